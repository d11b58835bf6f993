"""Checks before a stack operation touches a real cloud: one line, exit 2, nothing started.

A sandbox stack is exempt (its own checks find the sandbox). For any other stack:
- no value of the stack file may still be a template placeholder ("FILL IN");
- cloud credentials must be present (the standard AWS environment or profile);
- the API endpoint must accept a connection.
"""
from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from govcloud.errors import GovcloudError
from govcloud.model.location import Location
from govcloud.program import StackConfig

PLACEHOLDER = re.compile(r"FILL[ _-]?IN", re.ASCII | re.IGNORECASE)
CONNECT_TIMEOUT = 3.0


def placeholders(config: StackConfig) -> None:
    """The first value (not comment) of the stack file that is still a placeholder."""
    path = config.file  # a member of a split stack is checked in its family's file
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return  # the stack loader already reported an unreadable file
    for number, line in enumerate(lines, start=1):
        code = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
        found = PLACEHOLDER.search(code)
        if found:
            raise GovcloudError(
                f"stack '{config.stack}' still has a template placeholder: {code.strip()}",
                rule="GC-STACK", location=Location(str(path), number, found.start() + 1),
                hint="fill in every value marked FILL IN before the first plan")


def credentials() -> None:
    import boto3

    if boto3.session.Session().get_credentials() is None:
        raise GovcloudError(
            "no cloud credentials: nothing would be created", rule="GC-CREDENTIALS",
            hint="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, for the data-centre team")


def reachable(endpoint: str | None) -> None:
    if not endpoint:
        return
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise GovcloudError(
            f"the cloud endpoint {endpoint} does not answer ({exc.strerror or exc})",
            rule="GC-ENDPOINT", hint="check govcloud:endpoint in the stack file and the network path") from None


def pool_accounts(config: StackConfig) -> None:
    """Each pool with an expected account must answer as that account, or nothing is created.

    Run for sandbox stacks too (the sandbox records its pool's account); asked once per run."""
    from govcloud.cloud import clients

    region = min(config.region_map.values())
    for name, pool in sorted(config.resolve_pools().items()):
        if pool.account is None or pool.endpoint is None:
            continue
        try:
            actual = clients.account_id(region, pool.endpoint, pool.profile)
        except (BotoCoreError, ClientError) as exc:
            raise GovcloudError(
                f"the {name} pool at {pool.endpoint} cannot say whose credentials these are: {exc}",
                rule="GC-POOL-004", hint=f"check govcloud:pools.{name} and its credentials") from None
        if actual != pool.account:
            raise GovcloudError(
                f"the {name} pool at {pool.endpoint} answers as account {actual}, not {pool.account}: "
                f"nothing is created there", rule="GC-POOL-004",
                location=_pools_location(config),
                hint=f"point govcloud:pools.{name} at the right cloud, or use that account's credentials")


def _pools_location(config: StackConfig) -> Location | None:
    path = config.file
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("govcloud:pools"):
            return Location(str(path), number, line.index("govcloud:pools") + 1)
    return None


def preflight(config: StackConfig) -> None:
    if config.sandbox:
        return
    placeholders(config)
    credentials()
    reachable(config.resolve_endpoint())
    for pool in config.resolve_pools().values():
        reachable(pool.endpoint)
