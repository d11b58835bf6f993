"""What the embedded host spares the SDK per resource, and that nothing else changes.

- The SDK's end-of-program loop waits on every pending Output for the first to finish, once
  per finished Output; the host waits for them all at once first (sdk.settle_outputs).
- The stack trace of each resource's constructor and the SDK's debug messages are not made
  in an embedded run; outside one the SDK behaves as it always does.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime.proto import engine_pb2, resource_pb2

from govcloud.engine import sdk
from govcloud.engine.host import run_program
from govcloud.engine.monitor import EngineLog, Monitor, make_urn

CHAINS = 60


class EchoMonitor:
    """Answers every registration at once with its inputs; keeps the requests."""

    def __init__(self) -> None:
        self.requests: list[Any] = []

    def RegisterResource(self, request: Any) -> Any:
        self.requests.append(request)
        urn = make_urn("dev", "host", request.parent, request.type, request.name)
        return resource_pb2.RegisterResourceResponse(urn=urn, id="id" if request.custom else "",
                                                     object=request.object)

    def RegisterResourceOutputs(self, request: Any) -> Any:
        return empty_pb2.Empty()

    def SupportsFeature(self, request: Any) -> Any:
        return Monitor.SupportsFeature(self, request)  # type: ignore[arg-type]

    def GetDeploymentInfo(self, request: Any) -> Any:
        return Monitor.GetDeploymentInfo(self, request)  # type: ignore[arg-type]

    def SignalAndWaitForShutdown(self, request: Any) -> Any:
        return empty_pb2.Empty()


class Thing(pulumi.CustomResource):
    def __init__(self, name: str, props: dict[str, Any]) -> None:
        super().__init__("host:index:Thing", name, props)


class Logged(EngineLog):
    def __init__(self) -> None:
        super().__init__(lambda event: None)
        self.severities: list[int] = []

    def Log(self, request: Any) -> empty_pb2.Empty:
        self.severities.append(request.severity)
        return super().Log(request)


def _chained(values: list[int]) -> Callable[[], None]:
    """CHAINS resources, each input an Output two applies away from the one before."""

    def program() -> None:
        previous: pulumi.Output[Any] = pulumi.Output.from_input(0)
        for i in range(CHAINS):
            value = previous.apply(lambda v: v + 1).apply(lambda v: v * 1)
            value.apply(values.append)
            previous = Thing(f"t{i}", {"value": value, "index": i}).id.apply(lambda _, v=value: v)
        pulumi.log.warn("the program warns")
        pulumi.export("last", previous)

    return program


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The number of futures each asyncio.wait call of the run was given."""
    sizes: list[int] = []
    real = asyncio.wait

    async def counted(fs: Any, **kwargs: Any) -> Any:
        fs = list(fs)
        sizes.append(len(fs))
        return await real(fs, **kwargs)

    monkeypatch.setattr(asyncio, "wait", counted)
    yield sizes


def _run(program: Callable[[], None], monitor: EchoMonitor, log: EngineLog) -> None:
    run_program(program, project="host", stack="dev", monitor=monitor, engine=log, preview=False, parallel=4)


def test_every_output_settles_and_the_end_of_program_wait_stays_linear(waits: list[int]) -> None:
    values: list[int] = []
    monitor = EchoMonitor()
    _run(_chained(values), monitor, Logged())
    assert sorted(values) == list(range(1, CHAINS + 1))
    assert len(monitor.requests) == CHAINS + 1  # and the stack
    # Each Output is waited for a bounded number of times, not once per Output finished.
    assert sum(waits) < 20 * CHAINS, (len(waits), sum(waits))


def test_the_sdk_alone_waits_quadratically(waits: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: without the host's settling the same program's waits grow with N²."""

    async def nothing() -> list[Any]:
        return []

    monkeypatch.setattr(sdk, "settle_outputs", nothing)
    values: list[int] = []
    _run(_chained(values), EchoMonitor(), Logged())
    assert sorted(values) == list(range(1, CHAINS + 1))
    assert sum(waits) > 20 * CHAINS


def test_a_failed_output_still_fails_the_run() -> None:
    def program() -> None:
        thing = Thing("t", {"value": 1})

        def boom(_: Any) -> None:
            raise ValueError("an apply failed")

        thing.id.apply(boom)

    with pytest.raises(ValueError, match="an apply failed"):
        _run(program, EchoMonitor(), Logged())


def test_an_embedded_run_sends_no_stack_trace_and_no_debug_messages_but_warnings() -> None:
    monitor, log = EchoMonitor(), Logged()
    _run(_chained([]), monitor, log)
    assert all(len(r.stackTrace.frames) == 0 and not r.HasField("sourcePosition") for r in monitor.requests)
    assert engine_pb2.DEBUG not in log.severities
    assert engine_pb2.WARNING in log.severities


def test_outside_an_embedded_run_the_sdk_captures_and_logs_as_ever(monkeypatch: pytest.MonkeyPatch) -> None:
    _run(lambda: None, EchoMonitor(), Logged())  # installs the hooks
    captured: list[str] = []
    monkeypatch.setattr(sdk, "_sdk_stack_trace", lambda: captured.append("trace") or "trace")
    monkeypatch.setattr(sdk, "_sdk_debug", lambda *args: captured.append("debug"))
    assert sdk_resource._get_stack_trace() == "trace"
    pulumi.log.debug("a message")
    assert captured == ["trace", "debug"]
