"""The Pulumi SDK internals the embedded engine relies on.

govcloud/engine runs programs in-process by handing the SDK a monitor object. If an SDK
upgrade renames or reshapes any hook below, these tests fail before an apply does.
"""
from __future__ import annotations

import base64
import inspect
import re
from pathlib import Path

import dill
import pulumi
import pulumi.dynamic
import pulumi.runtime
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import resource_pb2

from govcloud.engine.monitor import Monitor
from govcloud.engine.properties import SECRET_SIG, SIG_KEY, UNKNOWN

SDK = Path(pulumi.__file__).parent


def test_reset_options_takes_objects_for_monitor_and_engine() -> None:
    params = inspect.signature(pulumi.runtime.reset_options).parameters
    for name in ("project", "stack", "root_directory", "parallel", "engine_address",
                 "monitor_address", "preview", "organization"):
        assert name in params, name
    # A non-string address is used as the stub itself (no gRPC channel).
    source = inspect.getsource(settings.Settings.__init__)
    assert "isinstance(monitor, str)" in source and "self.monitor = monitor" in source
    assert "isinstance(engine, str)" in source and "self.engine = engine" in source


def test_run_in_stack_is_an_async_entry_point() -> None:
    assert inspect.iscoroutinefunction(pulumi.runtime.run_in_stack)
    assert list(inspect.signature(pulumi.runtime.run_in_stack).parameters) == ["func"]


def test_sdk_calls_only_monitor_methods_we_provide() -> None:
    called: set[str] = set()
    for path in (SDK / "runtime").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        called |= set(re.findall(r"\bmonitor\.([A-Z][A-Za-z]+)\(", text))
        called |= set(re.findall(r"SETTINGS\.monitor\.([A-Z][A-Za-z]+)\(", text))
    assert {"RegisterResource", "RegisterResourceOutputs", "SupportsFeature",
            "GetDeploymentInfo", "Invoke", "ReadResource", "SignalAndWaitForShutdown"} <= called
    missing = {name for name in called if not callable(getattr(Monitor, name, None))}
    assert not missing, f"the SDK calls monitor methods the engine lacks: {missing}"


def test_register_resource_request_and_response_fields() -> None:
    request = {f.name for f in resource_pb2.RegisterResourceRequest.DESCRIPTOR.fields}
    assert {"type", "name", "parent", "custom", "object", "protect", "dependencies",
            "propertyDependencies", "deleteBeforeReplace", "ignoreChanges", "replaceOnChanges",
            "retainOnDelete", "additionalSecretOutputs", "provider", "remote"} <= request
    response = {f.name for f in resource_pb2.RegisterResourceResponse.DESCRIPTOR.fields}
    assert {"urn", "id", "object", "result"} <= response
    assert isinstance(resource_pb2.RESOURCE_MONITOR_FEATURE_SECRETS, int)


def test_registrations_go_through_the_default_executor() -> None:
    # Parallelism comes from loop.set_default_executor(ThreadPoolExecutor(n)).
    source = inspect.getsource(pulumi.runtime.resource.register_resource)
    assert "run_in_executor(\n                None" in source or "run_in_executor(None" in source


def test_dynamic_provider_encoding_is_base64_dill_under___provider() -> None:
    from pulumi.dynamic.dynamic import PROVIDER_KEY, serialize_provider

    assert PROVIDER_KEY == "__provider"
    provider = pulumi.dynamic.ResourceProvider()
    decoded = dill.loads(base64.b64decode(serialize_provider(provider)))
    assert type(decoded) is pulumi.dynamic.ResourceProvider
    assert pulumi.dynamic.ResourceProvider.serialize_as_secret_always is True
    # The default diff says "unknown": the engine must compare inputs itself.
    assert pulumi.dynamic.ResourceProvider().diff("id", {}, {}).changes is None


def test_provider_result_shapes() -> None:
    from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

    assert set(inspect.signature(CreateResult).parameters) == {"id_", "outs"}
    assert {"id_", "outs", "inputs"} <= set(inspect.signature(ReadResult).parameters)
    assert set(inspect.signature(UpdateResult).parameters) == {"outs"}
    assert {"changes", "replaces", "delete_before_replace"} <= set(inspect.signature(DiffResult).parameters)
    assert set(inspect.signature(CheckResult).parameters) == {"inputs", "failures"}


def test_unknown_and_secret_sentinels() -> None:
    assert UNKNOWN == rpc.UNKNOWN == "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    assert SIG_KEY == "4dabf18193072939515e22adb298388d"
    assert SECRET_SIG == "1b47061264138c4ac30d75fd1eb44270"
    assert rpc.wrap_rpc_secret("x") == {SIG_KEY: SECRET_SIG, "value": "x"}


def test_deserialize_context_helper_exists() -> None:
    from pulumi.runtime._serialization import _deserialize

    assert _deserialize(lambda: 41) == 41


def test_set_mocks_uses_the_same_hook() -> None:
    source = inspect.getsource(pulumi.runtime.mocks.set_mocks)
    assert "configure(settings)" in source and "monitor=monitor" in source
