"""A provider whose every client call is answered by botocore's Stubber (unit tests of one
provider method: the answers, and the calls expected, are the test's)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, TypeVar

import boto3
import pytest
from botocore.stub import Stubber

P = TypeVar("P")


@contextlib.contextmanager
def stubbed(service: str) -> Iterator[Stubber]:
    """A stubbed client of `service` (its endpoint is never reached); every answer queued must be used."""
    client = boto3.client(service, region_name="cn-north-1", endpoint_url="http://127.0.0.1:1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        yield stubber
    stubber.assert_no_pending_responses()


def on_stub(provider: P, stubber: Stubber, monkeypatch: pytest.MonkeyPatch) -> P:
    """`provider` with its clients replaced by the stubbed one."""
    client: Any = stubber.client  # type: ignore[attr-defined]
    monkeypatch.setattr(provider, "client", lambda service, region: client)
    return provider
