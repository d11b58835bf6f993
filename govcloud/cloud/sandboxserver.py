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

Everything else is moto's server unchanged.

Run as `python -m govcloud.cloud.sandboxserver -H 127.0.0.1 -p PORT` (what `sandbox up` does).
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto import server
from moto.ec2.exceptions import InvalidInstanceIdError
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.models.instances import InstanceBackend
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.s3.models import FakeBucket
from moto.secretsmanager.responses import SecretsManagerResponse


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


def main() -> None:
    DomainDispatcherApplication.__call__ = _one_at_a_time  # type: ignore[method-assign,assignment]
    TaggedEC2Resource.get_tags = _own_tags  # type: ignore[method-assign,assignment]
    InstanceBackend.get_instance = _instance  # type: ignore[method-assign,assignment]
    SecretsManagerResponse._determine_resource = _secret_resource  # type: ignore[attr-defined]
    FakeBucket.get_permission = _unconditional_permission  # type: ignore[method-assign,assignment]
    server.main()


if __name__ == "__main__":
    main()
