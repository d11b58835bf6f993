"""The embedded engine's steps: create, same, update, replace, delete and their options."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pulumi
import pytest

from govcloud.engine import Op, ResourceState
from govcloud.engine.deletes import Deleter, DeleteTarget
from govcloud.engine.providers import ProviderRegistry
from tests.engine_support.harness import Rig
from tests.engine_support.programs import Tree
from tests.engine_support.providers import Thing, ThingProvider


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def ops(result: Any) -> dict[str, str]:
    return {s.name: s.op.value for s in result.steps}


def test_first_up_creates_everything_and_reapply_is_all_same_with_zero_writes(rig: Rig) -> None:
    program = Tree(rig.cloud_path, count=7)
    first = rig.engine(program).up()
    assert first.ok, first.error
    assert first.summary.create == 7 + 1  # the things and the stack itself
    assert len(rig.cloud.objects()) == 7
    writes = len(rig.cloud.writes())

    again = rig.engine(program).up()
    assert again.ok
    assert again.summary.changes == 0 and again.summary.same == 8
    assert len(rig.cloud.writes()) == writes
    assert again.outputs == {"count": 7}


def test_reapply_writes_no_state(rig: Rig) -> None:
    program = Tree(rig.cloud_path, count=4)
    rig.engine(program).up()
    before = rig.state().version
    rig.engine(program).up()
    # Only the history row of the run itself and the stack outputs.
    assert rig.state().version - before <= 2


def test_update_changes_only_what_changed(rig: Rig) -> None:
    program = Tree(rig.cloud_path, count=3)
    rig.engine(program).up()
    program.size = 2
    result = rig.engine(program).up()
    assert result.ok
    assert result.summary.update == 3 and result.summary.create == 0
    assert [w[0] for w in rig.cloud.writes()[-3:]] == ["update"] * 3
    step = next(s for s in result.steps if s.name == "t0")
    assert [(d.path, d.old, d.new) for d in step.diffs] == [("size", 1, 2)]


def test_replace_creates_before_deleting_and_rewires_dependents(rig: Rig) -> None:
    program = Tree(rig.cloud_path, count=3)
    rig.engine(program).up()
    old_ids = rig.live_ids()
    program.zone = "b"  # the provider's own diff replaces on zone
    result = rig.engine(program).up()
    assert result.ok, result.error
    assert result.summary.replace == 3 and result.summary.delete == 0
    writes = [w[0] for w in rig.cloud.writes()[-6:]]
    assert writes == ["create"] * 3 + ["delete"] * 3
    assert rig.live_ids().isdisjoint(old_ids) and len(rig.live_ids()) == 3
    t1 = next(v for k, v in rig.state().resources().items() if k.endswith("::t1"))
    t0 = next(v for k, v in rig.state().resources().items() if k.endswith("::t0"))
    assert t1.inputs["peer"] == t0.outputs["arn"]


def test_delete_before_replace_deletes_first(rig: Rig) -> None:
    zone = {"z": "a"}

    def program() -> None:
        Thing("solo", {"zone": zone["z"]}, rig.cloud_path,
              pulumi.ResourceOptions(replace_on_changes=["zone"], delete_before_replace=True))

    rig.engine(program).up()
    zone["z"] = "b"
    result = rig.engine(program).up()
    assert result.ok, result.error
    assert ops(result)["solo"] == "replace"
    assert [w[0] for w in rig.cloud.writes()] == ["create", "delete", "create"]


def test_replace_on_changes_without_provider_diff(rig: Rig) -> None:
    size = {"v": 1}

    def program() -> None:
        Thing("r", {"size": size["v"], "label": "x"}, rig.cloud_path,
              pulumi.ResourceOptions(replace_on_changes=["size"]))

    rig.engine(program).up()
    size["v"] = 2
    plan = rig.engine(program).preview()
    step = next(s for s in plan.steps if s.name == "r")
    assert step.op is Op.REPLACE and step.diffs[0].replaces
    assert rig.engine(program).up().summary.replace == 1


def test_removed_resources_are_deleted_dependents_first(rig: Rig) -> None:
    program = Tree(rig.cloud_path, count=7)
    rig.engine(program).up()
    ids = {name: id_ for id_, _, name in rig.cloud.objects()}
    program.count = 0
    result = rig.engine(program, parallel=4).up()
    assert result.ok, result.error
    assert result.summary.delete == 7 and rig.cloud.objects() == []
    order = [w[2] for w in rig.cloud.writes("delete")]
    for i in range(1, 7):
        assert order.index(f"t{i}") < order.index(f"t{(i - 1) // 2}"), order
    assert set(ids) == set(order)


def test_protect_refuses_delete_and_replace(rig: Rig) -> None:
    state = {"present": True, "zone": "a"}

    def program() -> None:
        if state["present"]:
            Thing("vault", {"zone": state["zone"]}, rig.cloud_path,
                  pulumi.ResourceOptions(protect=True, replace_on_changes=["zone"]))

    assert rig.engine(program).up().ok
    state["zone"] = "b"
    replaced = rig.engine(program).up()
    assert not replaced.ok and "protected" in replaced.error and "vault" in replaced.error
    state["zone"], state["present"] = "a", False
    removed = rig.engine(program).up()
    assert not removed.ok and "protected" in removed.error
    destroyed = rig.engine(program).destroy()
    assert not destroyed.ok and "protected" in destroyed.error
    assert len(rig.cloud.objects()) == 1 and rig.cloud.writes("delete") == []


def test_ignore_changes_keeps_the_recorded_value(rig: Rig) -> None:
    value = {"v": "one"}

    def program() -> None:
        Thing("ig", {"note": value["v"], "size": 1}, rig.cloud_path,
              pulumi.ResourceOptions(ignore_changes=["note"]))

    rig.engine(program).up()
    value["v"] = "two"
    result = rig.engine(program).up()
    assert result.summary.changes == 0 and len(rig.cloud.writes()) == 1
    recorded = next(iter(r for r in rig.state().resources().values() if r.custom))
    assert recorded.inputs["note"] == "one"


def test_retain_on_delete_leaves_the_cloud_object(rig: Rig) -> None:
    present = {"v": True}

    def program() -> None:
        if present["v"]:
            Thing("keep", {}, rig.cloud_path, pulumi.ResourceOptions(retain_on_delete=True))

    rig.engine(program).up()
    present["v"] = False
    result = rig.engine(program).up()
    assert result.ok and ops(result)["keep"] == Op.DISCARD.value
    assert len(rig.cloud.objects()) == 1 and rig.state_ids() == set()


def test_preview_diffs_without_writing(rig: Rig) -> None:
    program = Tree(rig.cloud_path, count=3)
    plan = rig.engine(program).preview()
    assert plan.summary.create == 4 and rig.cloud.writes() == []
    t1 = next(s for s in plan.steps if s.name == "t1")
    assert {d.path: d.new for d in t1.diffs}["peer"] == "(unknown)"
    rig.engine(program).up()
    version = rig.state().version
    program.zone = "b"
    plan = rig.engine(program).preview()
    # Every thing's zone changes: the provider's diff says replace for all three, the
    # dependents' unknown `peer` notwithstanding (the plan says what apply will do).
    assert (plan.summary.replace, plan.summary.update) == (3, 0)
    t0 = next(s for s in plan.steps if s.name == "t0")
    assert [(d.path, d.old, d.new, d.replaces) for d in t0.diffs] == [("zone", "a", "b", True)]
    assert rig.state().version == version and len(rig.cloud.writes()) == 3
    assert '"replace": 3' in plan.to_json()


def test_failed_create_reports_and_skips_deletes(rig: Rig) -> None:
    names = {"v": ["a", "b"]}

    def program() -> None:
        for name in names["v"]:
            Thing(name, {"fail": "create" if name == "c" else ""}, rig.cloud_path)

    rig.engine(program).up()
    names["v"] = ["c"]
    result = rig.engine(program).up()
    assert not result.ok and "refusing to create c" in result.error
    assert {n for _, _, n in rig.cloud.objects()} == {"a", "b"}  # no deletes after a failure
    assert rig.state().pending_ops() == []


def test_events_report_started_and_finished(rig: Rig) -> None:
    started = time.monotonic()
    rig.engine(Tree(rig.cloud_path, count=2)).up()
    elapsed = time.monotonic() - started
    kinds = [(e.kind, e.op) for e in rig.events if e.urn.endswith("::t0")]
    assert kinds == [("step-started", Op.CREATE), ("step-finished", Op.CREATE)]
    finished = sorted((e.urn.rsplit("::", 1)[1], e.duration) for e in rig.events
                      if e.kind == "step-finished" and e.op is Op.CREATE and "::t" in e.urn)
    assert [name for name, _ in finished] == ["t0", "t1"]
    assert all(isinstance(d, float) and 0 <= d <= elapsed for _, d in finished), (finished, elapsed)


def test_provider_without_diff_ignores_a_changed_provider_alone(rig: Rig) -> None:
    kind = {"v": "thing"}

    def program() -> None:
        provider = ThingProvider(rig.cloud_path, kind="thing")
        provider.cosmetic = kind["v"]  # type: ignore[attr-defined]  # changes the pickle only
        Thing("p", {"size": 1}, rig.cloud_path, provider=provider)

    rig.engine(program).up()
    kind["v"] = "other"
    assert rig.engine(program).up().summary.changes == 0


def test_a_failed_delete_names_every_resource_left_behind(rig: Rig) -> None:
    present = {"v": True}

    def program() -> None:
        if present["v"]:
            base = Thing("base", {}, rig.cloud_path)
            Thing("top", {"fail": "delete", "peer": base.arn}, rig.cloud_path)

    rig.engine(program).up()
    present["v"] = False
    result = rig.engine(program).up()
    assert not result.ok
    # `top` failed, and `base` (waiting for it) was never tried: both are named.
    assert "refusing to delete top" in result.error and "not deleted:" in result.error
    left = result.error.split("not deleted:", 1)[1]
    assert "::top" in left and "::base" in left
    assert {n for _, _, n in rig.cloud.objects()} == {"base", "top"}


def test_targets_caught_in_a_dependency_cycle_fail_the_run_by_name(rig: Rig) -> None:
    store = rig.state()
    a, b, c = (f"urn:pulumi:dev::proj::test:index:Group::{n}" for n in "abc")
    for urn, deps in ((a, (b,)), (b, (a,)), (c, ())):
        store.put(ResourceState(urn, "test:index:Group", "", False, "", {}, {}, deps))
    targets = [DeleteTarget(r) for r in store.resources().values()]
    steps, failure = Deleter(store, ProviderRegistry("proj", {}), parallel=2, preview=False,
                             emit=lambda e: None).run(targets)
    assert [s.urn for s in steps] == [c]  # the free one is deleted
    assert failure is not None and "dependency cycle" in failure.message
    assert failure.message.endswith(f"not deleted: {a}, {b}")
    assert set(store.resources()) == {a, b}
