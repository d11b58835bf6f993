"""An apply reuses its HTTP connections: each client's pool holds the engine's parallelism.

The stack's endpoint is a counting proxy (no faults; keep-alive towards boto3) in front of
the session's sandbox. An apply of buckets with parallelism P then opens at most P
connections per client (service and region), however many requests it makes. The pools'
floor is lowered to one connection, so that their size comes from the parallelism alone;
a control run whose pools stay at one connection shows that the count does catch a pool
smaller than the parallelism (connections are then opened and thrown away per request).
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from govcloud.cloud import clients
from govcloud.engine import Engine, StateStore
from govcloud.program.program import catalogue_factory
from tests.support.faultproxy import FaultProxy

pytestmark = pytest.mark.integration

PARALLEL = 8
COUNT = 4 * PARALLEL
REGION = "cn-north-1"
TAGS = {"gov:department": "pool", "gov:system": "connections", "gov:mlps": "2",
        "gov:classified": "false", "gov:project": "FS-2026-IT-0001", "gov:stack": "pool",
        "managed-by": "govcloud"}


def _buckets(prefix: str, endpoint: str) -> Callable[[], None]:
    def program() -> None:
        for i in range(COUNT):
            catalogue_factory("govcloud:storage:Bucket", f"bucket-{i:03d}",
                              {"name": f"{prefix}-{i:03d}", "region": REGION, "tags": TAGS},
                              endpoint, pulumi.ResourceOptions())

    return program


@pytest.fixture
def proxy(sandbox_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """The counting proxy as every provider's endpoint, with pools sized by the runs alone."""
    with FaultProxy(sandbox_endpoint, error_rate=0.0) as counting:
        clients.reset()
        monkeypatch.setattr(clients, "_current_endpoint", [counting.endpoint])
        monkeypatch.setattr(clients, "_pool_connections", [1])
        try:
            yield counting
        finally:
            clients.reset()  # no client of a one-connection pool outlives the test


def _apply_and_destroy(tmp_path: Path, proxy: FaultProxy, prefix: str) -> tuple[int, int, int]:
    """(connections accepted, requests forwarded, clients used) during one apply."""
    engine = Engine("pool", prefix, _buckets(prefix, proxy.endpoint), StateStore(tmp_path / f"{prefix}.db"),
                    passphrase="pool", parallel=PARALLEL)
    proxy.reset_counters()
    result = engine.up()
    counted = proxy.connections, proxy.forwarded, len(proxy.by_service)
    assert result.ok, result.error
    assert result.summary.create == COUNT + 1  # and the stack
    assert engine.destroy().ok
    return counted


def test_an_apply_opens_at_most_its_parallelism_of_connections_per_client(
        tmp_path: Path, proxy: FaultProxy, unique: Callable[[str], str]) -> None:
    connections, requests, services = _apply_and_destroy(tmp_path, proxy, unique("pool"))
    print(f"\n{requests} requests to {services} service(s) over {connections} connections, parallel {PARALLEL}")
    assert clients.pool_connections() >= PARALLEL
    assert requests >= 2 * COUNT  # every bucket: its create, then its tags (and more, by its props)
    assert connections <= PARALLEL * services


def test_the_count_catches_a_pool_smaller_than_the_parallelism(
        tmp_path: Path, proxy: FaultProxy, unique: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> None:
    def unsized(parallel: int) -> Any:
        return contextlib.nullcontext()

    monkeypatch.setattr(clients, "connections_for", unsized)  # the pools stay at one connection
    connections, requests, services = _apply_and_destroy(tmp_path, proxy, unique("pool"))
    print(f"\n{requests} requests to {services} service(s) over {connections} connections, pools of 1")
    assert clients.pool_connections() == 1
    assert connections > PARALLEL * services
