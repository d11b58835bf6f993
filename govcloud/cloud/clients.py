"""The one place boto3 clients are built: lazily, once per (service, region, endpoint).

Providers never keep a client as an attribute (dill pickles provider instances into the
state); they ask this module for one on every call. A client is thread-safe and a session
is not, so clients are created from one session under a lock and then shared.
Credentials come only from the standard AWS environment or profile.
"""
from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=64)
# S3-compatible private clouds and the sandbox serve buckets by path, not by host name.
_PATH_STYLE = _CONFIG.merge(Config(s3={"addressing_style": "path"}))

_lock = threading.Lock()
_session: boto3.session.Session | None = None
_clients: dict[tuple[str, str, str | None], Any] = {}
_accounts: dict[tuple[str, str | None], str] = {}
_partitions: dict[str, str] = {}
# The endpoint of the stack being run, from its current config: it wins over the one a
# provider was built with, which old states still carry in their pickled providers.
ENDPOINT_ENV = "GOVCLOUD_ENDPOINT_URL"
_current_endpoint: list[str | None] = []


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
    if _current_endpoint:
        return _current_endpoint[0]
    import os

    return os.environ.get(ENDPOINT_ENV) or None


def client(service: str, region: str, endpoint_url: str | None = None) -> Any:
    """A shared boto3 client; `endpoint_url=None` means the standard AWS resolution."""
    key = (service, region, endpoint_url)
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(key)
        if found is None:
            config = _PATH_STYLE if endpoint_url and service == "s3" else _CONFIG
            found = _shared_session().client(
                service, region_name=region, endpoint_url=endpoint_url, config=config
            )
            _clients[key] = found
    return found


def _shared_session() -> boto3.session.Session:
    """The one session clients are made from; call with _lock held."""
    global _session
    if _session is None:
        _session = boto3.session.Session()
    return _session


def account_id(region: str, endpoint_url: str | None = None) -> str:
    """The account of the caller's credentials, asked once per endpoint and partition."""
    key = (partition(region), endpoint_url)
    if key not in _accounts:
        identity = client("sts", region, endpoint_url).get_caller_identity()
        _accounts[key] = str(identity["Account"])
    return _accounts[key]


def partition(region: str) -> str:
    """`aws-cn` for cn-north-1, `aws` for us-east-1…; ARNs are built from this."""
    found = _partitions.get(region)
    if found is None:
        # The shared session parses its endpoint data (~1 MB of JSON) once, for the clients
        # too; a fresh session per call, from a whole pool of provider threads, would each
        # parse it again.
        with _lock:
            found = _partitions.get(region)
            if found is None:
                found = str(_shared_session()._session.get_partition_for_region(region))
                _partitions[region] = found
    return found


def arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:{partition(region)}:{service}:{region}:{account}:{resource}"


def reset() -> None:
    """Forget every client (after the credentials in the environment changed)."""
    global _session
    with _lock:
        _clients.clear()
        _accounts.clear()
        _partitions.clear()
        _current_endpoint.clear()
        _session = None
