"""Aliases: a renamed resource (or component, with its children) is the same resource."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from govcloud.engine import Op
from govcloud.engine.urns import Alias, AliasResolver, Goal, make_urn
from tests.engine_support.harness import Rig
from tests.engine_support.providers import Group, Thing

THING = "pulumi-python:dynamic/test:Thing"
GROUP = "test:index:Group"


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def urn(name: str, type_: str = THING) -> str:
    return f"urn:pulumi:dev::proj::{type_}::{name}"


def custom_urns(rig: Rig) -> dict[str, str]:
    """URN → cloud id of every custom resource in the state."""
    store = rig.state()
    try:
        return {u: r.id for u, r in store.resources().items() if r.custom}
    finally:
        store.close()


# -- a renamed resource -----------------------------------------------------------------
class Renamed:
    """Resource `old` (physical name `phys`), later `new` with an alias to `old`."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.name = "old"
        self.aliases: list[Any] = []
        self.size = 1

    def __call__(self) -> None:
        opts = pulumi.ResourceOptions(aliases=self.aliases) if self.aliases else None
        first = Thing(self.name, {"name": "phys", "size": self.size}, self.rig.cloud_path, opts)
        Thing("user", {"peer": first.arn}, self.rig.cloud_path)


@pytest.mark.parametrize("alias", [pulumi.Alias(name="old"), urn("old")], ids=["spec", "urn"])
def test_a_renamed_resource_is_planned_and_applied_as_the_same(rig: Rig, alias: Any) -> None:
    program = Renamed(rig)
    assert rig.engine(program).up().ok
    before = custom_urns(rig)
    writes = len(rig.cloud.writes())
    program.name, program.aliases = "new", [alias]

    plan = rig.engine(program).preview()
    assert (plan.summary.create, plan.summary.delete, plan.summary.replace) == (0, 0, 0)
    renamed = next(s for s in plan.steps if s.name == "new")
    assert renamed.op is Op.SAME and renamed.renamed_from == urn("old")
    shown = json.loads(plan.to_json())["steps"]
    assert [(s["urn"], s["renamed_from"]) for s in shown] == [(urn("new"), urn("old"))]

    result = rig.engine(program).up()
    assert result.ok, result.error
    assert (result.summary.create, result.summary.delete, result.summary.replace) == (0, 0, 0)
    after = custom_urns(rig)
    assert set(after) == {urn("new"), urn("user")}  # the new URN only
    assert after[urn("new")] == before[urn("old")]  # the same cloud object
    assert len(rig.cloud.writes()) == writes  # nothing created, updated or deleted
    # The dependent now records the new URN.
    user = rig.state().resources()[urn("user")]
    assert user.dependencies == (urn("new"),)

    again = rig.engine(program).up()
    assert again.summary.changes == 0 and all(not s.renamed_from for s in again.steps)


def test_a_rename_with_a_change_updates_in_place(rig: Rig) -> None:
    program = Renamed(rig)
    rig.engine(program).up()
    old_id = custom_urns(rig)[urn("old")]
    program.name, program.aliases, program.size = "new", [pulumi.Alias(name="old")], 2
    plan = rig.engine(program).preview()
    step = next(s for s in plan.steps if s.name == "new")
    assert step.op is Op.UPDATE and [(d.path, d.old, d.new) for d in step.diffs] == [("size", 1, 2)]
    result = rig.engine(program).up()
    assert result.ok, result.error
    assert (result.summary.update, result.summary.create, result.summary.delete) == (1, 0, 0)
    assert custom_urns(rig)[urn("new")] == old_id
    assert rig.cloud.get(old_id) == {"name": "phys", "size": 2}


def test_without_the_alias_a_rename_is_a_create_and_a_delete(rig: Rig) -> None:
    program = Renamed(rig)
    rig.engine(program).up()
    program.name = "new"
    plan = rig.engine(program).preview()
    assert (plan.summary.create, plan.summary.delete) == (1, 1)  # what the alias avoids


def test_a_destroy_after_a_rename_deletes_the_renamed_resource(rig: Rig) -> None:
    program = Renamed(rig)
    rig.engine(program).up()
    program.name, program.aliases = "new", [pulumi.Alias(name="old")]
    rig.engine(program).up()
    result = rig.engine(program).destroy()
    assert result.ok, result.error
    assert rig.cloud.objects() == [] and custom_urns(rig) == {}
    order = [w[2] for w in rig.cloud.writes("delete")]
    assert order.index("user") < order.index("phys")


# -- a renamed component and its children -----------------------------------------------
class Department:
    """A component named after a department code; children named `<code>-db` and `logs`."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.code = "old"
        self.aliases: list[Any] = []

    def __call__(self) -> None:
        group = Group(self.code, pulumi.ResourceOptions(aliases=self.aliases))
        child = pulumi.ResourceOptions(parent=group)
        # The physical names stay those of the former code.
        db = Thing(f"{self.code}-db", {"name": "old-db"}, self.rig.cloud_path, child)
        Thing("logs", {"name": "old-logs", "peer": db.arn}, self.rig.cloud_path, child)
        inner = Group(f"{self.code}-inner", child)
        Thing("deep", {"name": "old-deep"}, self.rig.cloud_path, pulumi.ResourceOptions(parent=inner))


def test_a_renamed_component_keeps_its_children(rig: Rig) -> None:
    program = Department(rig)
    assert rig.engine(program).up().ok
    before = custom_urns(rig)
    writes = len(rig.cloud.writes())
    program.code, program.aliases = "new", [pulumi.Alias(name="old")]

    plan = rig.engine(program).preview()
    assert (plan.summary.create, plan.summary.delete, plan.summary.replace) == (0, 0, 0), plan.to_json()
    renamed = {s.name: s.renamed_from for s in plan.steps if s.renamed_from}
    # A URN holds the parent's type, not its name: `logs` and `deep` keep theirs.
    assert renamed == {"new": urn("old", GROUP), "new-db": urn("old-db", f"{GROUP}${THING}"),
                       "new-inner": urn("old-inner", f"{GROUP}${GROUP}")}

    result = rig.engine(program).up()
    assert result.ok, result.error
    assert result.summary.changes == 0 and len(rig.cloud.writes()) == writes
    after = custom_urns(rig)
    group = f"{GROUP}${THING}"
    inner = f"{GROUP}${GROUP}${THING}"
    assert set(after) == {urn("new-db", group), urn("logs", group), urn("deep", inner)}
    # Every child is its former self: same cloud objects.
    assert sorted(after.values()) == sorted(before.values())
    store = rig.state()
    components = {u: r.parent for u, r in store.resources().items() if not r.custom}
    assert urn("new", GROUP) in components and urn("old", GROUP) not in components
    assert components[urn("new-inner", f"{GROUP}${GROUP}")] == urn("new", GROUP)
    assert store.resources()[urn("logs", group)].parent == urn("new", GROUP)
    assert store.resources()[urn("logs", group)].dependencies == (urn("new-db", group),)
    assert rig.engine(program).preview().summary.changes == 0


def test_two_resources_cannot_claim_the_same_former_resource(rig: Rig) -> None:
    program = Renamed(rig)
    rig.engine(program).up()

    def both() -> None:
        Thing("a", {"name": "phys"}, rig.cloud_path, pulumi.ResourceOptions(aliases=[pulumi.Alias(name="old")]))
        Thing("b", {"name": "phys"}, rig.cloud_path, pulumi.ResourceOptions(
            aliases=[pulumi.Alias(name="old")], depends_on=[]))
        Thing("user", {}, rig.cloud_path)

    result = rig.engine(both).up()
    assert not result.ok and "already taken" in result.error and urn("old") in result.error


def test_an_old_urn_claimed_by_an_alias_cannot_be_registered_again(rig: Rig) -> None:
    program = Renamed(rig)
    rig.engine(program).up()

    def reuse() -> None:
        new = Thing("new", {"name": "phys"}, rig.cloud_path, pulumi.ResourceOptions(aliases=[pulumi.Alias(name="old")]))
        Thing("old", {"name": "other", "peer": new.arn}, rig.cloud_path)
        Thing("user", {}, rig.cloud_path)

    result = rig.engine(reuse).up()
    assert not result.ok and "is an alias of" in result.error


# -- the URNs an alias stands for -----------------------------------------------------------
def test_alias_specs_default_to_the_current_name_type_and_parent() -> None:
    resolver = AliasResolver("proj", "dev")
    parent = make_urn("dev", "proj", "", GROUP, "g")
    goal = Goal("r", THING, parent, (Alias(name="q"), Alias(type="test:Old"), Alias(no_parent=True),
                                      Alias(project="other", stack="prod")))
    assert resolver.former_urns(goal, {}) == (
        f"urn:pulumi:dev::proj::{GROUP}${THING}::q",
        f"urn:pulumi:dev::proj::{GROUP}$test:Old::r",
        f"urn:pulumi:dev::proj::{THING}::r",
        f"urn:pulumi:prod::other::{GROUP}${THING}::r",
    )


def test_children_inherit_the_former_urn_of_a_renamed_parent() -> None:
    resolver = AliasResolver("proj", "dev")
    new_parent = make_urn("dev", "proj", "", GROUP, "new")
    old_parent = make_urn("dev", "proj", "", GROUP, "old")
    renamed = {new_parent: old_parent}
    # Prefixed by the parent's name: the prefix is renamed too; otherwise the name stays.
    assert resolver.former_urns(Goal("new-db", THING, new_parent), renamed) == (
        f"urn:pulumi:dev::proj::{GROUP}${THING}::old-db",)
    assert resolver.former_urns(Goal("logs", THING, new_parent), renamed) == (
        f"urn:pulumi:dev::proj::{GROUP}${THING}::logs",)
    # The child's own alias is multiplied out under the parent's former URN.
    own = Goal("new-logs", THING, new_parent, (Alias(name="new-log"),))
    assert resolver.former_urns(own, renamed) == (
        f"urn:pulumi:dev::proj::{GROUP}${THING}::new-log",  # its own, under the new parent
        f"urn:pulumi:dev::proj::{GROUP}${THING}::old-logs",  # inherited
        f"urn:pulumi:dev::proj::{GROUP}${THING}::old-log",  # both
    )
    # An explicit alias parent that was itself renamed means its former URN.
    explicit = Goal("x", THING, "", (Alias(parent_urn=new_parent),))
    assert resolver.former_urns(explicit, renamed) == (f"urn:pulumi:dev::proj::{GROUP}${THING}::x",)
    stack = make_urn("dev", "proj", "", "pulumi:pulumi:Stack", "proj-dev")
    assert resolver.former_urns(Goal("x", THING, stack, (Alias(name="y"),)), {}) == (urn("y"),)


def test_a_resource_moved_into_a_component_is_the_same(rig: Rig) -> None:
    moved = {"v": False}

    def program() -> None:
        if moved["v"]:
            group = Group("g")
            Thing("t", {"name": "phys"}, rig.cloud_path, pulumi.ResourceOptions(
                parent=group, aliases=[pulumi.Alias(parent=None)]))  # it had no parent but the stack
        else:
            Thing("t", {"name": "phys"}, rig.cloud_path)

    rig.engine(program).up()
    old_id = custom_urns(rig)[urn("t")]
    moved["v"] = True
    plan = rig.engine(program).preview()
    assert (plan.summary.create, plan.summary.delete) == (1, 0)  # only the new component
    assert rig.engine(program).up().ok
    assert custom_urns(rig) == {urn("t", f"{GROUP}${THING}"): old_id}


def test_after_a_failed_rename_run_the_state_still_orders_a_destroy(rig: Rig) -> None:
    state: dict[str, Any] = {"name": "old", "aliases": [], "user": {"delay": 0.3}}

    def program() -> None:
        opts = pulumi.ResourceOptions(aliases=state["aliases"])
        first = Thing(state["name"], {"name": "phys"}, rig.cloud_path, opts)
        # `user` is slow to delete: only its recorded dependency keeps `phys` waiting for it.
        Thing("user", {"peer": first.arn, **state["user"]}, rig.cloud_path)

    assert rig.engine(program).up().ok
    state.update(name="new", aliases=[pulumi.Alias(name="old")], user={"delay": 0.3, "fail": "update"})
    failed = rig.engine(program).up()
    assert not failed.ok and "refusing to update user" in failed.error
    # The rename is recorded, and the row whose own step failed follows it.
    assert set(custom_urns(rig)) == {urn("new"), urn("user")}
    assert rig.state().resources()[urn("user")].dependencies == (urn("new"),)

    destroyed = rig.engine(program, parallel=4).destroy()
    assert destroyed.ok, destroyed.error
    order = [w[2] for w in rig.cloud.writes("delete")]
    assert order.index("user") < order.index("phys"), order
