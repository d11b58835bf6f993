"""The Pulumi SDK internals the embedded engine relies on (govcloud/engine/sdk.py), by behaviour.

Each test calls a hook and checks what it does, so an SDK upgrade that renames or reshapes
one fails here before an apply does.
"""
from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi.dynamic
from google.protobuf import empty_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import engine_pb2, resource_pb2

from govcloud.cloud import check
from govcloud.engine import sdk
from govcloud.engine.host import run_program
from govcloud.engine.monitor import Monitor
from govcloud.engine.properties import from_struct
from tests.engine_support.providers import Thing, ThingProvider

MONITOR_SERVICE = resource_pb2.DESCRIPTOR.services_by_name["ResourceMonitor"]


class RecordingMonitor:
    """Answers every registration at once (no id and no outputs in a preview)."""

    def __init__(self, preview: bool) -> None:
        self.preview = preview
        self.requests: list[Any] = []
        self.outputs: list[Any] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def SupportsFeature(self, request: Any) -> Any:
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id == "secrets")

    def GetDeploymentInfo(self, request: Any) -> Any:
        return resource_pb2.DeploymentInfo(supportedFeatures=[resource_pb2.RESOURCE_MONITOR_FEATURE_SECRETS])

    def RegisterResource(self, request: Any) -> Any:
        with self._lock:
            self.requests.append(request)
            self.threads.add(threading.current_thread().name)
        urn = f"urn:pulumi:dev::proj::{request.type}::{request.name}"
        if self.preview or not request.custom:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=f"id-{request.name}", object=request.object)

    def RegisterResourceOutputs(self, request: Any) -> Any:
        self.outputs.append(from_struct(request.outputs))
        return empty_pb2.Empty()

    def SignalAndWaitForShutdown(self, request: Any) -> Any:
        return empty_pb2.Empty()


class RecordingEngine:
    def __init__(self) -> None:
        self.logs: list[tuple[int, str]] = []

    def Log(self, request: Any) -> Any:
        self.logs.append((request.severity, request.message))
        return empty_pb2.Empty()


def run(program: Callable[[], None], *, preview: bool = False, parallel: int = 4,
        config: dict[str, str] | None = None) -> tuple[RecordingMonitor, RecordingEngine]:
    monitor, engine = RecordingMonitor(preview), RecordingEngine()
    run_program(program, project="proj", stack="dev", monitor=monitor, engine=engine,
                preview=preview, parallel=parallel, config=config)
    return monitor, engine


def by_name(monitor: RecordingMonitor) -> dict[str, dict[str, Any]]:
    return {r.name: from_struct(r.object) for r in monitor.requests}


def test_start_run_makes_the_sdk_call_the_given_monitor_and_engine_objects() -> None:
    def program() -> None:
        pulumi.ComponentResource("test:index:Box", "box")
        pulumi.log.warn("careful")
        pulumi.export("answer", 42)

    monitor, engine = run(program)
    assert [(r.type, r.name) for r in monitor.requests] == [
        ("pulumi:pulumi:Stack", "proj-dev"), ("test:index:Box", "box")]
    assert {"answer": 42} in monitor.outputs  # the stack's outputs
    assert (engine_pb2.WARNING, "careful") in engine.logs


def test_registrations_run_on_the_executor_the_host_installs() -> None:
    def program() -> None:
        for i in range(8):
            Thing(f"t{i}", {}, "/nonexistent")

    monitor, _ = run(program, parallel=4)
    # The host's ThreadPoolExecutor is the loop's default executor: the parallelism.
    assert monitor.threads and all(name.startswith("govcloud-step") for name in monitor.threads)


def test_a_run_leaves_no_settings_behind() -> None:
    before = dict(contextvars.copy_context())
    run(lambda: None)
    assert dict(contextvars.copy_context()) == before


def test_set_config_is_what_pulumi_config_reads() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        config = pulumi.Config("proj")
        seen["region"] = config.get("region")
        seen["missing"] = config.get("missing")

    run(program, config={"proj:region": "cn-north-1"})
    assert seen == {"region": "cn-north-1", "missing": None}


def test_a_dynamic_resource_carries_its_provider_under_the_key_and_decodes_back() -> None:
    monitor, _ = run(lambda: Thing("t", {"size": 1}, "/cloud.db"))
    inputs = by_name(monitor)["t"]
    assert sdk.PROVIDER_KEY == "__provider" and sdk.PROVIDER_KEY in inputs
    sealed = inputs[sdk.PROVIDER_KEY]
    # serialize_as_secret_always: the provider arrives as a secret.
    assert sealed[sdk.SIG_KEY] == sdk.SECRET_SIG
    provider = sdk.decode_provider(sealed["value"])
    assert type(provider) is ThingProvider and provider.cloud_path == "/cloud.db"
    assert type(sdk.decode_provider(serialize_provider(pulumi.dynamic.ResourceProvider()))) is \
        pulumi.dynamic.ResourceProvider


def test_configure_request_gives_providers_the_stack_config() -> None:
    seen: dict[str, Any] = {}

    class Configured(pulumi.dynamic.ResourceProvider):
        def configure(self, req: pulumi.dynamic.ConfigureRequest) -> None:
            seen["region"] = req.config.get("region")

    provider = Configured()
    provider.configure(sdk.configure_request({"proj:region": "cn-north-1"}, "proj"))
    assert seen == {"region": "cn-north-1"}


def test_unknowns_and_secrets_arrive_as_the_markers() -> None:
    def program() -> None:
        first = Thing("first", {"token": pulumi.Output.secret("s3cr3t")}, "/c")
        Thing("second", {"peer": first.arn}, "/c")

    monitor, _ = run(program, preview=True)
    inputs = by_name(monitor)
    assert inputs["second"]["peer"] == sdk.UNKNOWN  # not known until apply
    assert inputs["first"]["token"] == {sdk.SIG_KEY: sdk.SECRET_SIG, "value": "s3cr3t"}
    # The cloud layer keeps its own copy of the unknown marker: it must be the SDK's.
    assert check.UNKNOWN == sdk.UNKNOWN


def test_refusing_callbacks_let_a_resource_transform_reach_the_monitor() -> None:
    class Advertising(RecordingMonitor):
        def GetDeploymentInfo(self, request: Any) -> Any:
            return resource_pb2.DeploymentInfo(supportedFeatures=[
                resource_pb2.RESOURCE_MONITOR_FEATURE_SECRETS, resource_pb2.RESOURCE_MONITOR_FEATURE_TRANSFORMS])

    monitor = Advertising(preview=True)
    run_program(lambda: Thing("t", {}, "/c", pulumi.ResourceOptions(transforms=[lambda args: None])),
                project="proj", stack="dev", monitor=monitor, engine=RecordingEngine(),
                preview=True, parallel=1)
    request = next(r for r in monitor.requests if r.name == "t")
    # Sent, for the monitor to refuse by name, with no callback server started for it.
    assert [t.target for t in request.transforms] == ["govcloud-embedded-engine"]


def test_the_monitor_implements_every_rpc_of_the_resource_monitor_service() -> None:
    missing = [m.name for m in MONITOR_SERVICE.methods if not callable(getattr(Monitor, m.name, None))]
    assert not missing, f"the SDK's ResourceMonitor service has RPCs the engine lacks: {missing}"


def test_the_register_resource_response_reaches_the_program() -> None:
    """The urn, id and object the engine's monitor answers with are what the program sees."""
    seen: dict[str, Any] = {}

    def program() -> None:
        thing = Thing("t", {"size": 3}, "/c")
        thing.urn.apply(lambda v: seen.update(urn=v))
        thing.id.apply(lambda v: seen.update(id=v))
        thing.size.apply(lambda v: seen.update(size=v))  # type: ignore[attr-defined]  # an input, as output

    run(program)
    assert seen["urn"].endswith("::t") and seen["id"] == "id-t" and seen["size"] == 3


def test_dynamic_provider_defaults() -> None:
    assert pulumi.dynamic.ResourceProvider.serialize_as_secret_always is True
    # The default diff says "unknown": the engine must compare inputs itself.
    assert pulumi.dynamic.ResourceProvider().diff("id", {}, {}).changes is None


def test_provider_result_shapes() -> None:
    """The results the engine builds and reads, built with its keywords and read back."""
    from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

    created = CreateResult(id_="i-1", outs={"arn": "a"})
    assert (created.id, created.outs) == ("i-1", {"arn": "a"})
    read = ReadResult(id_="i-1", outs={"arn": "a"}, inputs={"size": 1})
    assert (read.id, read.outs, read.inputs) == ("i-1", {"arn": "a"}, {"size": 1})
    assert UpdateResult(outs={"arn": "b"}).outs == {"arn": "b"}
    diff = DiffResult(changes=True, replaces=["zone"], delete_before_replace=True)
    assert (diff.changes, diff.replaces, diff.delete_before_replace) == (True, ["zone"], True)
    checked = CheckResult(inputs={"size": 1}, failures=[CheckFailure("size", "too big")])
    assert checked.inputs == {"size": 1}
    assert [(f.property, f.reason) for f in checked.failures] == [("size", "too big")]
