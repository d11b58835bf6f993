"""The one place boto3 clients are built: lazily, once per (service, region, endpoint).

Providers never keep a client as an attribute (dill pickles provider instances into the
state); they ask this module for one on every call. A client is thread-safe and a session
is not, so clients are created from one session under a lock and then shared.
Credentials come from the standard AWS environment or profile, or are given explicitly
(`use_credentials`: a sandbox stack's, when the environment has none); this module never
writes the process environment.

A server error whose body is not the service's error document (an HTML page from a gateway
or proxy in front of the cloud's API, or from an emulator that failed inside) is given one
before it is parsed (`_gateway_errors`): for the XML query services (IAM, EC2, ELB, STS)
botocore would otherwise raise a parser error, which its retries do not cover, instead of
the HTTP 5xx they do.

Resource pools (graph/pools.py): a resource of the classified pool carries only the pool's
NAME as an input; the stack being run says where that pool is (`use_pools`, or
$GOVCLOUD_POOLS in the Pulumi CLI's provider process) and with which AWS profile, and a
provider call runs `in_pool(name)` so that its clients go there. Clients are built per
(pool, service, region): per (service, region, endpoint, profile).
"""
from __future__ import annotations

import contextlib
import datetime
import html
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
import botocore.session
from botocore.config import Config
from botocore.utils import parse_timestamp

from govcloud.cloud.partitions import partition
from govcloud.errors import GovcloudError

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=64)
# Connections each client keeps for reuse: never fewer than this, and at least the sum of
# the parallelism of the engine runs in progress (`connections_for`), so that no provider
# call waits for a connection or opens one it then has to throw away.
MIN_POOL_CONNECTIONS = 64
_concurrency = [0]
_pool_connections = [MIN_POOL_CONNECTIONS]
# S3-compatible private clouds and the sandbox serve buckets by path, not by host name.
_PATH_STYLE = _CONFIG.merge(Config(s3={"addressing_style": "path"}))

# Every cache below is read and written under _lock, except _accounts: it has its own lock,
# held across the identity call so that each account is asked once (the call builds a client,
# which takes _lock; never take _accounts_lock while holding _lock).
_lock = threading.Lock()
_accounts_lock = threading.Lock()
# The one session of the environment's credentials (key None), and one per AWS profile.
_sessions: dict[str | None, boto3.session.Session] = {}
_clients: dict[tuple[str, str, str | None, str | None], Any] = {}
_accounts: dict[tuple[str, str | None, str | None], str] = {}
# Facts of a cloud that change rarely, with when they were asked (see `remembered`).
_remembered: dict[tuple[Any, ...], tuple[float, Any]] = {}
REMEMBER_SECONDS = 60.0
T = TypeVar("T")
# The sandbox accepts any credentials; these only keep boto3 from looking for real ones.
SANDBOX_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox"}
# Credentials given explicitly for the environment's session (AWS_ACCESS_KEY_ID… → value).
_credentials: dict[str, str] = {}
_SESSION_ARGUMENTS = {"AWS_ACCESS_KEY_ID": "aws_access_key_id",
                      "AWS_SECRET_ACCESS_KEY": "aws_secret_access_key",
                      "AWS_SESSION_TOKEN": "aws_session_token"}
# The endpoint of the stack being run, from its current config: it wins over the one a
# provider was built with, which old states still carry in their pickled providers.
ENDPOINT_ENV = "GOVCLOUD_ENDPOINT_URL"
_current_endpoint: list[str | None] = []


# Where each named pool of the stack being run is; the Pulumi CLI's provider process reads
# the same from $GOVCLOUD_POOLS (JSON: {name: {"endpoint": URL, "profile": NAME}}).
POOLS_ENV = "GOVCLOUD_POOLS"


@dataclass(frozen=True)
class Pool:
    """Where one resource pool's API is, and whose credentials call it (never in state)."""

    endpoint: str | None
    profile: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"endpoint": self.endpoint, "profile": self.profile}


_pools: dict[str, Pool] = {}
_local = threading.local()  # the pool of the provider call running on this thread


def use_pools(pools: Mapping[str, Pool]) -> None:
    """The pools of the stack being run, by name (the default extranet pool is not one)."""
    with _lock:
        _pools.clear()
        _pools.update(pools)


def pools_environment(pools: Mapping[str, Pool]) -> str:
    """The value of $GOVCLOUD_POOLS that tells another process where `pools` are."""
    return json.dumps({name: pool.to_json() for name, pool in sorted(pools.items())})


def pool(name: str) -> Pool:
    """The pool called `name` in the stack being run; GovcloudError if the stack has none."""
    with _lock:
        found = _pools.get(name)
    if found is not None:
        return found
    raw = os.environ.get(POOLS_ENV)
    if raw:
        try:
            entry = json.loads(raw).get(name)
        except (ValueError, AttributeError):
            entry = None
        if isinstance(entry, dict):
            return Pool(entry.get("endpoint") or None, entry.get("profile") or None)
    raise GovcloudError(
        f"a resource lives in the {name} pool, but the stack being run says nowhere where that pool is",
        rule="GC-POOL-003", hint=f"add govcloud:pools.{name} {{endpoint, account}} to the stack file")


@contextlib.contextmanager
def in_pool(name: str | None) -> Iterator[None]:
    """Provider calls inside go to pool `name` (None: the stack's default endpoint)."""
    previous = getattr(_local, "pool", None)
    _local.pool = name or None
    try:
        yield
    finally:
        _local.pool = previous


def current_pool() -> str | None:
    return getattr(_local, "pool", None)


def use_endpoint(endpoint_url: str | None) -> None:
    """Make every provider call go to `endpoint_url` (None: standard AWS resolution)."""
    with _lock:
        _current_endpoint[:] = [endpoint_url]


def endpoint_for(built_with: str | None) -> str | None:
    """The endpoint a provider calls: the one it was built with in this process, else the
    stack's current one, else $GOVCLOUD_ENDPOINT_URL (how the Pulumi CLI's provider process
    learns it). A provider read back from state never carries one (see CloudProvider)."""
    if built_with:
        return built_with
    with _lock:
        current = _current_endpoint[:]
    if current:
        return current[0]
    return os.environ.get(ENDPOINT_ENV) or None


# The protocols whose parser has no fallback for an error body that is not XML.
_XML_ERROR_DOCUMENTS = {
    "query": "<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code><Message>{message}</Message>"
             "</Error><RequestId>gateway</RequestId></ErrorResponse>",
    "ec2": "<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
           "<RequestID>gateway</RequestID></Response>",
}
_TAG = re.compile(rb"<[^>]*>")


def _gateway_errors(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    """A 5xx answer whose body is not an XML document becomes the service's own error
    document (code `HTTP<status>`, the page's text as the message), so that the SDK sees an
    HTTP 5xx, which it retries, instead of a body it cannot parse, which it does not."""
    status = int(response_dict.get("status_code", 0))
    template = _XML_ERROR_DOCUMENTS.get(operation_model.service_model.resolved_protocol)
    body = response_dict.get("body") or b""
    if status < 500 or template is None or not isinstance(body, bytes):
        return
    head = body.lstrip()[:200].lower()
    if head.startswith(b"<?xml") or (head.startswith(b"<") and not head.startswith((b"<!doctype", b"<html"))):
        return  # an XML document: the parser reads the service's own error
    text = " ".join(_TAG.sub(b" ", body[:2000]).decode("utf-8", "replace").split())[:300]
    message = html.escape(f"the endpoint answered HTTP {status} with no error document: {text or '(empty)'}")
    response_dict["body"] = template.format(code=f"HTTP{status}", message=message).encode()


def _timestamp(value: Any) -> Any:
    """A timestamp of an answer: ISO 8601 with a zone by the standard library (the form EC2,
    IAM, S3's XML and the others answer in; botocore's own parser, through dateutil, costs a
    hundred times more, several times per answer), anything else as botocore reads it."""
    if isinstance(value, str) and "T" in value:
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    return parse_timestamp(value)


def client(service: str, region: str, endpoint_url: str | None = None, profile: str | None = None) -> Any:
    """A shared boto3 client; `endpoint_url=None` means the standard AWS resolution, and
    `profile` an AWS profile's credentials instead of the environment's."""
    key = (service, region, endpoint_url, profile)
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(key)
        if found is None:
            config = _PATH_STYLE if endpoint_url and service == "s3" else _CONFIG
            config = config.merge(Config(max_pool_connections=_pool_connections[0]))
            found = _session_for(profile).client(
                service, region_name=region, endpoint_url=endpoint_url, config=config
            )
            found.meta.events.register("before-parse", _gateway_errors)
            _clients[key] = found
    return found


def use_credentials(credentials: Mapping[str, str]) -> None:
    """Credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) for the calls
    made without a profile, instead of the environment's; empty: the environment's again."""
    given = {k: v for k, v in credentials.items() if k in _SESSION_ARGUMENTS}
    with _lock:
        if given == _credentials:
            return
        _credentials.clear()
        _credentials.update(given)
        # Clients and accounts of the former credentials are not these credentials'.
        _sessions.pop(None, None)
        for key in [k for k in _clients if k[3] is None]:
            del _clients[key]
    with _accounts_lock:
        for account in [k for k in _accounts if k[2] is None]:
            del _accounts[account]
    with _lock:
        _remembered.clear()  # what another account's credentials saw


def session_arguments() -> dict[str, str]:
    """Keyword arguments of boto3.session.Session for the credentials given to use_credentials."""
    with _lock:
        return {_SESSION_ARGUMENTS[k]: v for k, v in _credentials.items()}


def _session_for(profile: str | None) -> boto3.session.Session:
    """The shared session, or the one of an AWS profile; call with _lock held."""
    found = _sessions.get(profile)
    if found is None:
        core = botocore.session.get_session()
        core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_timestamp)
        if profile:
            found = boto3.session.Session(botocore_session=core, profile_name=profile)
        else:
            found = boto3.session.Session(
                botocore_session=core, **{_SESSION_ARGUMENTS[k]: v for k, v in _credentials.items()})
        _sessions[profile] = found
    return found


def account_id(region: str, endpoint_url: str | None = None, profile: str | None = None) -> str:
    """The account of the caller's credentials, asked once per endpoint, profile and partition."""
    key = (partition(region), endpoint_url, profile)
    found = _accounts.get(key)
    if found is not None:
        return found
    with _accounts_lock:
        found = _accounts.get(key)
        if found is None:
            identity = client("sts", region, endpoint_url, profile).get_caller_identity()
            found = str(identity["Account"])
            _accounts[key] = found
    return found


def remembered(key: tuple[Any, ...], ask: Callable[[], T]) -> T:
    """`ask()`'s answer for `key`, asked again only once REMEMBER_SECONDS have passed.

    For facts of a cloud that change rarely and are the same for every resource of a run (its
    zones, the id of an approved image): an apply of hundreds of machines asks once a minute,
    not once per machine. `key` names the endpoint or pool, the region and the question. Two
    threads asking at once may both ask; the later answer is kept. An error is not remembered.
    """
    now = time.monotonic()
    with _lock:
        found = _remembered.get(key)
    if found is not None and now - found[0] < REMEMBER_SECONDS:
        answer: T = found[1]
        return answer
    answer = ask()
    with _lock:
        _remembered[key] = (now, answer)
    return answer


def arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:{partition(region)}:{service}:{region}:{account}:{resource}"


@contextlib.contextmanager
def connections_for(parallel: int) -> Iterator[None]:
    """Inside, `parallel` more provider calls may run at once: every client's connection pool
    holds them all (clients built with a smaller pool are built again on their next use)."""
    with _lock:
        _concurrency[0] += parallel
        if _concurrency[0] > _pool_connections[0]:
            _pool_connections[0] = _concurrency[0]
            _clients.clear()
    try:
        yield
    finally:
        with _lock:
            _concurrency[0] -= parallel


def pool_connections() -> int:
    """The connection pool size of the clients built now."""
    with _lock:
        return _pool_connections[0]


def reset() -> None:
    """Forget every client (after the credentials in the environment changed)."""
    with _accounts_lock:
        _accounts.clear()
    with _lock:
        _clients.clear()
        _current_endpoint.clear()
        _pools.clear()
        _sessions.clear()
        _credentials.clear()
        _remembered.clear()
