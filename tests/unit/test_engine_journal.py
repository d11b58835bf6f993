"""The operation journal, one interrupted operation at a time (the kill -9 test does it at random)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from govcloud.engine import Op
from govcloud.engine.properties import PROVIDER_KEY, secret
from tests.engine_support.harness import Rig
from tests.engine_support.providers import BlindProvider, Thing, ThingProvider

URN = "urn:pulumi:dev::proj::pulumi-python:dynamic/test:Thing::x"
TYPE = "pulumi-python:dynamic/test:Thing"


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def one_thing(rig: Rig, provider: ThingProvider | None = None) -> Any:
    def program() -> None:
        Thing("x", {"size": 1}, rig.cloud_path, provider=provider)

    return program


def journal(rig: Rig, op: str, provider: ThingProvider, **kw: Any) -> None:
    store = rig.state()
    inputs = {"name": "x", "size": 1, PROVIDER_KEY: secret(serialize_provider(provider))}
    store.begin(URN, TYPE, op, inputs=inputs, meta={"seq": 1}, **kw)
    store.close()


def test_interrupted_create_of_an_existing_object_is_adopted(rig: Rig) -> None:
    rig.engine(lambda: None).up()  # an empty stack, to have a state
    journal(rig, "create", ThingProvider(rig.cloud_path))
    orphan = rig.cloud.create("thing", "x", {"name": "x", "size": 1})
    result = rig.engine(one_thing(rig)).up()
    assert result.ok, result.error
    assert [s.op for s in result.steps if s.name == "x"] == [Op.ADOPT, Op.SAME]
    assert rig.live_ids() == rig.state_ids() == {orphan}
    assert len(rig.cloud.writes("create")) == 1


def test_interrupted_create_that_never_happened_is_dropped(rig: Rig) -> None:
    rig.engine(lambda: None).up()
    journal(rig, "create", ThingProvider(rig.cloud_path))
    result = rig.engine(one_thing(rig)).up()
    assert result.ok and result.summary.create == 1
    assert rig.state().pending_ops() == [] and len(rig.cloud.objects()) == 1


def test_provider_without_lookup_warns_about_a_possible_orphan(rig: Rig) -> None:
    rig.engine(lambda: None).up()
    journal(rig, "create", BlindProvider(rig.cloud_path))
    result = rig.engine(lambda: None).up()
    assert result.ok and any("check the cloud for an orphan" in w for w in result.warnings)


def test_interrupted_delete_is_finished(rig: Rig) -> None:
    rig.engine(one_thing(rig)).up()
    (resource,) = [r for r in rig.state().resources().values() if r.custom]
    journal(rig, "delete", ThingProvider(rig.cloud_path), resource_id=resource.id,
            outputs=resource.outputs)
    result = rig.engine(lambda: None).up()
    assert result.ok, result.error
    assert rig.cloud.objects() == [] and rig.state_ids() == set()


def test_interrupted_delete_of_a_vanished_object_makes_no_call(rig: Rig) -> None:
    rig.engine(one_thing(rig)).up()
    (resource,) = [r for r in rig.state().resources().values() if r.custom]
    journal(rig, "delete", ThingProvider(rig.cloud_path), resource_id=resource.id,
            outputs=resource.outputs)
    rig.cloud.vanish(resource.id)
    assert rig.engine(lambda: None).up().ok
    assert rig.cloud.writes("delete") == [] and rig.state_ids() == set()


def test_interrupted_update_is_applied_again(rig: Rig) -> None:
    rig.engine(one_thing(rig)).up()
    (resource,) = [r for r in rig.state().resources().values() if r.custom]
    journal(rig, "update", ThingProvider(rig.cloud_path), resource_id=resource.id)
    result = rig.engine(one_thing(rig)).up()
    assert result.ok and result.summary.update == 1
    assert rig.engine(one_thing(rig)).up().summary.changes == 0


def test_preview_reports_pending_operations_without_settling_them(rig: Rig) -> None:
    rig.engine(lambda: None).up()
    journal(rig, "create", ThingProvider(rig.cloud_path))
    plan = rig.engine(one_thing(rig)).preview()
    assert any("interrupted" in w for w in plan.warnings)
    assert len(rig.state().pending_ops()) == 1
