"""Every RegisterResource option is honoured, harmlessly ignored, or refused by name."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pulumi
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import callback_pb2, resource_pb2

from govcloud.engine import EngineError
from govcloud.engine.monitor import Monitor
from govcloud.engine.options import RULES, Handling, refuse_unsupported
from tests.engine_support.harness import Rig
from tests.engine_support.providers import Group, Thing

REQUEST = resource_pb2.RegisterResourceRequest
URN = "urn:pulumi:dev::proj::test:Thing::r"


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def test_every_field_of_the_installed_sdk_is_classified() -> None:
    fields = {f.name for f in REQUEST.DESCRIPTOR.fields}
    # An SDK upgrade that adds a field fails here until the field is classified.
    assert fields == set(RULES), (fields - set(RULES), set(RULES) - fields)
    for name, rule in RULES.items():
        assert rule.handling is Handling.IMPLEMENTED or rule.why, name


# -- the request as the SDK builds it -------------------------------------------------
def _other(rig: Rig) -> Thing:
    return Thing("other", {}, rig.cloud_path)


def _hook(args: Any) -> None:
    return None


PROGRAM_OPTIONS: dict[str, Callable[[Rig], pulumi.ResourceOptions]] = {
    "importId": lambda rig: pulumi.ResourceOptions(import_="thing-123"),
    "customTimeouts": lambda rig: pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="5m")),
    "deletedWith": lambda rig: pulumi.ResourceOptions(deleted_with=_other(rig)),
    "replace_with": lambda rig: pulumi.ResourceOptions(replace_with=[_other(rig)]),
    "replacement_trigger": lambda rig: pulumi.ResourceOptions(replacement_trigger="v2"),
    "transforms": lambda rig: pulumi.ResourceOptions(transforms=[lambda args: None]),
    "hooks": lambda rig: pulumi.ResourceOptions(hooks=pulumi.ResourceHookBinding(before_create=[_hook])),
    "state_migrations": lambda rig: pulumi.ResourceOptions(state_migrations=[lambda state: state]),
    "hideDiffs": lambda rig: pulumi.ResourceOptions(hide_diffs=["size"]),
    "envVarMappings": lambda rig: pulumi.ResourceOptions(env_var_mappings={"NEW_KEY": "OLD_KEY"}),
    "version": lambda rig: pulumi.ResourceOptions(version="9.9.9"),
    "pluginDownloadURL": lambda rig: pulumi.ResourceOptions(plugin_download_url="https://plugins.invalid"),
}


@pytest.mark.parametrize("field", sorted(PROGRAM_OPTIONS))
@pytest.mark.parametrize("command", ["preview", "up"])
def test_a_program_using_an_unsupported_option_fails_naming_it(rig: Rig, field: str, command: str) -> None:
    def program() -> None:
        Thing("r", {"size": 1}, rig.cloud_path, PROGRAM_OPTIONS[field](rig))

    engine = rig.engine(program)
    if command == "preview":
        with pytest.raises(EngineError) as raised:
            engine.preview()
        message, hint = raised.value.message, raised.value.hint
    else:
        result = engine.up()
        assert not result.ok
        message, hint = result.error, result.error.split("(hint: ", 1)[-1]
    assert f"the engine does not support the Pulumi option '{field}'" in message
    assert "::r" in message  # the resource is named
    assert RULES[field].option in hint and "--engine pulumi" in hint
    # Nothing of the refused resource reached the cloud.
    assert [name for _, _, name in rig.cloud.objects() if name == "r"] == []


def test_stack_transforms_are_refused_by_name(rig: Rig) -> None:
    def program() -> None:
        pulumi.runtime.register_resource_transform(lambda args: None)
        Thing("r", {}, rig.cloud_path)

    with pytest.raises(EngineError, match="does not support the Pulumi option 'stack transforms'"):
        rig.engine(program).preview()


def test_a_program_with_every_option_at_its_default_runs(rig: Rig) -> None:
    def program() -> None:
        group = Group("g", pulumi.ResourceOptions(hooks=pulumi.ResourceHookBinding()))
        first = Thing("a", {"size": 1}, rig.cloud_path, pulumi.ResourceOptions(
            parent=group, custom_timeouts=pulumi.CustomTimeouts(), hooks=pulumi.ResourceHookBinding(),
            transforms=[], replace_with=[], hide_diffs=[], env_var_mappings={}, aliases=[],
            protect=False, retain_on_delete=False, delete_before_replace=False))
        Thing("b", {"size": 1, "peer": first.arn}, rig.cloud_path, pulumi.ResourceOptions(
            depends_on=[first], ignore_changes=["note"], replace_on_changes=["zone"],
            additional_secret_outputs=["arn"]))

    result = rig.engine(program).up()
    assert result.ok, result.error
    assert result.summary.create == 4 and len(rig.cloud.objects()) == 2
    assert rig.engine(program).preview().summary.changes == 0


# -- the request as any SDK might send it -----------------------------------------------
def _set(request: Any, field: str) -> None:
    """Give `field` a value other than its default."""
    descriptor = REQUEST.DESCRIPTOR.fields_by_name[field]
    value = getattr(request, field)
    messages: dict[str, Callable[[], None]] = {
        "customTimeouts": lambda: value.MergeFrom(REQUEST.CustomTimeouts(delete="1m")),
        "replacement_trigger": lambda: value.MergeFrom(struct_pb2.Value(string_value="v")),
        "hooks": lambda: value.before_create.append("hook"),
        "transforms": lambda: value.append(callback_pb2.Callback(target="t", token="1")),
        "state_migrations": lambda: value.append(callback_pb2.Callback(target="t", token="1")),
        "providers": lambda: value.update({"aws": "urn::id"}),
        "envVarMappings": lambda: value.update({"A": "B"}),
        "pluginChecksums": lambda: value.update({"linux-amd64": b"\x01"}),
    }
    if field in messages:
        messages[field]()
    elif descriptor.is_repeated:
        value.append("x")
    elif descriptor.type == descriptor.TYPE_BOOL:
        setattr(request, field, True)
    else:
        setattr(request, field, "x")


UNSUPPORTED = sorted(name for name, rule in RULES.items() if rule.handling is Handling.UNSUPPORTED)


@pytest.mark.parametrize("field", UNSUPPORTED)
def test_the_monitor_refuses_every_unsupported_field(field: str) -> None:
    request = REQUEST(type="test:Thing", name="r", custom=True)
    refuse_unsupported(request, URN)  # all defaults: fine
    _set(request, field)
    with pytest.raises(EngineError) as raised:
        refuse_unsupported(request, URN)
    assert raised.value.message == f"{URN}: the engine does not support the Pulumi option '{field}'"
    assert raised.value.hint


@pytest.mark.parametrize("field", sorted(n for n, r in RULES.items() if r.handling is Handling.IGNORED))
def test_ignored_fields_do_not_fail(field: str) -> None:
    request = REQUEST(type="test:Thing", name="r", custom=True)
    if field in ("sourcePosition", "stackTrace"):
        getattr(request, field).SetInParent()
        request.sourcePosition.uri = "file:///p.py"
        request.stackTrace.frames.add()
    else:
        _set(request, field)
    refuse_unsupported(request, URN)


def test_the_monitor_refuses_before_any_step() -> None:
    class NoSteps:
        renamed: ClassVar[dict[str, str]] = {}

        def register(self, reg: Any) -> Any:
            raise AssertionError("a refused resource must not become a step")

    monitor = Monitor("proj", "dev", NoSteps())  # type: ignore[arg-type]
    request = REQUEST(type="test:Thing", name="r", custom=True, importId="i-1")
    with pytest.raises(EngineError, match="'importId'"):
        monitor.RegisterResource(request)
