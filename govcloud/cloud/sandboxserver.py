"""The sandbox cloud's server process: moto's server with two corrections for IAM.

- moto checks an IAM policy's Resource element only for S3, IAM, SQS and STS; for every
  other service it asks whether the caller may act on `*`, so a grant confined to one
  secret (as the real cloud reads it) would be refused. Here Secrets Manager names the
  secret a request is about, as the real cloud does, so the sandbox proves that a system's
  machines read their own database secret and no other.
- moto cannot evaluate a policy's conditions and treats every one as met, so a bucket
  policy that denies plain HTTP (`aws:SecureTransport: false`) would deny every request,
  TLS or not. Here bucket-policy statements with a condition are left out of the
  evaluation: the sandbox enforces no condition at all, and the documents' conditions are
  tested on their own (tests/unit/test_iam_documents.py).
- moto's backends are not safe for concurrent requests: one request changes a dict (IAM's
  roles and profiles, EC2's instance-profile associations...) while another iterates it,
  and the second fails with an HTTP 500 whose HTML body botocore cannot parse and so does
  not retry. A real cloud's API is linearisable; here requests take turns (one lock around
  the whole application, the response read inside it). moto runs under one interpreter
  lock, so its throughput does not drop.
- moto finds an EC2 object's tags by scanning every tag of the region, once per object a
  filtered describe looks at: a describe of subnets by tag in a city of 20,000 resources
  read every tag of every object for each subnet, and the sandbox slowed with every
  resource made. Here an object's tags are looked up by its id, with the same answer.
  Likewise moto finds an instance by id after copying every reservation of the region;
  here the reservations are searched where they are.
- werkzeug's server closes the connection after every answer (it cannot tell where a
  request body it did not read ends), so a client paid a TCP connect, and the server a new
  thread, per call. Here a connection stays open between calls, as a real cloud's endpoint
  keeps it: the answer is sent with its length, and the request body is read to its end
  before the next request line. One log line per request is no longer written (a sixth of
  the server's time went to it); errors still are, and `GOVCLOUD_SANDBOX_LOG_REQUESTS=1`
  brings the request lines back.
- moto lists its own package folder (a stat per service, some 200) on every request to
  route it, and lists a service's methods (by inspecting its class) on every request to
  find the action's: here each list is made once.
- moto has no CloudWatch Logs AssociateKmsKey or DisassociateKmsKey, so a log group's
  encryption could be set only when the group is made. Here both exist as the API has
  them: the group must exist (ResourceNotFoundException), the key must be a key of the
  group's account and region (InvalidParameterException), and DescribeLogGroups shows
  the group's kmsKeyId.

Everything else is moto's server unchanged.

Run as `python -m govcloud.cloud.sandboxserver -H 127.0.0.1 -p PORT` (what `sandbox up` does).
"""
from __future__ import annotations

import functools
import json
import os
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from moto import backends, server
from moto.core import responses
from moto.ec2.exceptions import InvalidInstanceIdError
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.models.instances import InstanceBackend
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.kms.models import kms_backends
from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.responses import LogsResponse
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler
from moto.s3.models import FakeBucket
from moto.secretsmanager.responses import SecretsManagerResponse
from werkzeug.wsgi import LimitedStream


def _secret_resource(response: Any) -> str:
    """The ARN of the secret a request names, or `*` (a listing, or no such secret)."""
    try:
        secret_id = response._get_param("SecretId")
        if not secret_id:
            return "*"
        return str(response.backend.describe_secret(secret_id).arn)
    except Exception:  # noqa: BLE001 - moto's internals may raise anything; never break a request over a name
        return "*"


def _unconditional_permission(bucket: Any, action: str, resource: str) -> Any:
    """The bucket policy's verdict from its statements without a condition."""
    if bucket.policy is None:
        return PermissionResult.NEUTRAL
    policy = json.loads(bucket.policy.decode())
    listed = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    statements = [s for s in listed if "Condition" not in s]
    if not statements:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({**policy, "Statement": statements})).is_action_permitted(action, resource)


_TURNS = threading.Lock()  # one request at a time inside moto
_dispatch = DomainDispatcherApplication.__call__


def _one_at_a_time(app: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """moto's application, one request at a time: the answer is read whole before the next begins."""
    with _TURNS:
        body = _dispatch(app, environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()


def _own_tags(resource: Any) -> list[dict[str, str]]:
    """The EC2 object's tags, as moto's describe_tags for its id lists them, read by id."""
    id_ = str(getattr(resource, "id", None) or "")
    tags = resource.ec2_backend.tags.get(id_) if id_ else None  # .get: no empty entry is made
    if not tags:
        return []
    kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(id_), "")
    return [{"resource_id": id_, "key": key, "value": value, "resource_type": kind} for key, value in tags.items()]


def _instance(backend: Any, instance_id: str) -> Any:
    """moto's get_instance without copying every reservation first (the same instance object)."""
    for reservation in backend.reservations.values():
        for instance in reservation.instances:
            if instance.id == instance_id:
                return instance
    raise InvalidInstanceIdError(instance_id)


_FRAMING = {"content-length", "connection", "transfer-encoding", "keep-alive"}


class _KeepAliveHandler(MotoRequestHandler):
    """moto's request handler, answering with a length and keeping the connection open."""

    protocol_version = "HTTP/1.1"
    _log_requests = os.environ.get("GOVCLOUD_SANDBOX_LOG_REQUESTS") == "1"

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        body: LimitedStream | None = None
        if not environ.get("wsgi.input_terminated"):  # not chunked: the length says where it ends
            length = environ.get("CONTENT_LENGTH", "")
            body = LimitedStream(environ["wsgi.input"], int(length) if length.isdigit() else 0)
            environ["wsgi.input"] = body
        answer: list[Any] = []
        chunks: list[bytes] = []  # what the application writes, then what it returns

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = [status, headers]
            return chunks.append

        try:
            chunks.extend(self.server.app(environ, start_response))  # read whole (and closed) by _one_at_a_time
        except Exception:  # noqa: BLE001 - as werkzeug does: the request gets a 500, the log the traceback
            self.log_error("Error on request:\n%s", traceback.format_exc())
            answer[:] = ["500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain; charset=utf-8")]]
            chunks[:] = [b"Internal Server Error"]
        finally:
            if body is not None:
                body.exhaust()
            else:  # chunked: read to the last chunk
                while environ["wsgi.input"].read(65536):
                    pass
        self._send(answer[0], answer[1], b"".join(chunks))

    def _send(self, status: str, headers: list[tuple[str, str]], data: bytes) -> None:
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        head = self.command == "HEAD"
        for key, value in headers:
            if key.lower() not in _FRAMING or (head and key.lower() == "content-length"):
                self.send_header(key, value)
        if not head and not (100 <= int(code) < 200 or int(code) in (204, 304)):
            self.send_header("Content-Length", str(len(data)))
        if self.close_connection:  # HTTP/1.0, or the client's `Connection: close`
            self.send_header("Connection", "close")
        self.end_headers_and(b"" if head else data)

    def end_headers_and(self, data: bytes) -> None:
        """The head and the body in one write: in two, the body waits on the client's delayed ACK."""
        self._headers_buffer.append(b"\r\n" + data)
        self.flush_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self._log_requests:
            super().log_request(code, size)


def _log_group(response: Any) -> Any:
    """The group a request names, by logGroupName or by resourceIdentifier (its ARN)."""
    name = response._get_param("logGroupName")
    if name is None:
        arn = response._get_param("resourceIdentifier") or ""
        name = arn.partition(":log-group:")[2].removesuffix(":*") or None
    group = response.logs_backend.groups.get(name)
    if group is None:
        raise ResourceNotFoundException()
    return group


def _associate_kms_key(response: Any) -> str:
    """logs:AssociateKmsKey: the group's data is encrypted with the key from now on."""
    group, key_id = _log_group(response), response._get_param("kmsKeyId")
    try:
        kms_backends[response.current_account][response.region].describe_key(key_id)
    except KeyError:
        raise InvalidParameterException(msg=f"Specified KMS key {key_id} does not exist") from None
    group.kms_key_id = key_id
    return ""


def _disassociate_kms_key(response: Any) -> str:
    _log_group(response).kms_key_id = None
    return ""


def main() -> None:
    modules = tuple(backends.list_of_moto_modules())
    DomainDispatcherApplication.__call__ = _one_at_a_time  # type: ignore[method-assign,assignment]
    TaggedEC2Resource.get_tags = _own_tags  # type: ignore[method-assign,assignment]
    InstanceBackend.get_instance = _instance  # type: ignore[method-assign,assignment]
    SecretsManagerResponse._determine_resource = _secret_resource  # type: ignore[attr-defined]
    FakeBucket.get_permission = _unconditional_permission  # type: ignore[method-assign,assignment]
    LogsResponse.associate_kms_key = _associate_kms_key  # type: ignore[attr-defined]
    LogsResponse.disassociate_kms_key = _disassociate_kms_key  # type: ignore[attr-defined]
    backends.list_of_moto_modules = lambda: modules
    responses.method_names_from_class = functools.cache(responses.method_names_from_class)  # type: ignore[attr-defined]
    server.MotoRequestHandler = _KeepAliveHandler  # type: ignore[attr-defined]
    server.main()


if __name__ == "__main__":
    main()
