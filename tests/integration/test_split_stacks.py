"""A split stack on a real sandbox cloud (moto's server): a platform stack and one per department.

One small city (the City, gzw, tjj) is applied as a family, then changed the ways an
operator's day changes it: a no-change apply, a department with a policy error, a member
locked by someone else, `--only`, two members at once, the platform's key replaced. A
second city is applied whole, then split with `govcloud state split`.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govcloud.cloud import clients, sandbox
from govcloud.engine import StateStore
from govcloud.engine.lock import StackLock
from govcloud.errors import GovcloudError
from govcloud.operations.family import FamilyOptions, run_family
from govcloud.operations.results import FamilyResult
from tests.integration.test_robust_apply import PASSPHRASE, CityProject

pytestmark = pytest.mark.slow
REGIONS = ("city-dr-1: cn-northwest-1}",
           "city-dr-1: cn-northwest-1, city-intranet-1: cn-north-1, city-intranet-dr-1: cn-northwest-1}")


def _without_classified_pool(city_file: Path) -> None:
    """These departments host nothing classified: the City's classified pool is left out."""
    kept, skipping, indent = [], False, 0
    for line in city_file.read_text(encoding="utf-8").splitlines(keepends=True):
        depth = len(line) - len(line.lstrip())
        if line.strip().startswith("classifiedPool:"):
            skipping, indent = True, depth
            continue
        if skipping and line.strip() and depth > indent:
            continue
        skipping = False
        kept.append(line)
    city_file.write_text("".join(kept), encoding="utf-8")


def make_city(root: Path, endpoint: str, stack: str, *, split: bool) -> CityProject:
    city = CityProject.create(root, endpoint, stack=stack)
    _without_classified_pool(city.root / "blueprints" / "city.yaml")
    stack_file = city.root / "stacks" / f"Pulumi.{stack}.yaml"
    stack_file.write_text(stack_file.read_text(encoding="utf-8").replace(*REGIONS), encoding="utf-8")
    if split:
        configure_split(city)
    return city


def configure_split(city: CityProject) -> None:
    stack_file = city.root / "stacks" / f"Pulumi.{city.stack}.yaml"
    stack_file.write_text(stack_file.read_text(encoding="utf-8") + "  govcloud:split: department\n",
                          encoding="utf-8")


def family(city: CityProject, operation: str = "apply", **options: Any) -> FamilyResult:
    options.setdefault("parallel_stacks", 1)
    return run_family(operation, city.stack, root=city.root,
                      options=FamilyOptions(passphrase=PASSPHRASE, **options))


def store(city: CityProject, member: str) -> StateStore:
    return StateStore.for_stack(city.root, f"{city.stack}__{member}", project="govcloud").open()


def changes(result: FamilyResult) -> dict[str, int]:
    return {m.member: m.changes for m in result.members}


@pytest.fixture(scope="module")
def split_city(tmp_path_factory: pytest.TempPathFactory, sandbox_endpoint: str) -> Iterator[CityProject]:
    city = make_city(tmp_path_factory.mktemp("split") / "city", sandbox_endpoint, f"sp{uuid.uuid4().hex[:6]}",
                     split=True)
    first = family(city)
    assert first.ok, [m.error for m in first.members]
    assert [m.member for m in first.members] == ["platform", "gzw", "tjj"]
    assert all(m.summary["create"] > 0 for m in first.members)
    yield city


def test_the_family_applies_and_a_second_apply_changes_nothing(split_city: CityProject) -> None:
    again = family(split_city)
    assert again.ok and again.changes == 0, changes(again)
    # Cloud names and tags are the family's: the stack prefix, gov:stack = the family's name.
    tags = store(split_city, "gzw").sealed_resources()
    stacks = {r.inputs["tags"]["gov:stack"] for r in tags if r.custom and isinstance(r.inputs.get("tags"), dict)}
    assert stacks == {split_city.stack}
    # A department's resources depend on nothing outside their own stack.
    urns = {r.urn for r in tags}
    assert all(set(r.dependencies) <= urns for r in tags)
    audit = split_city.root / ".govcloud" / "audit"
    assert {p.name for p in audit.iterdir()} >= {f"{split_city.stack}__{m}.jsonl" for m in ("platform", "gzw", "tjj")}


def test_a_department_with_a_policy_error_is_held_back_and_the_rest_applied(split_city: CityProject) -> None:
    blueprint = split_city.root / "blueprints" / "departments" / "tjj.yaml"
    original = blueprint.read_text(encoding="utf-8")
    before = store(split_city, "tjj").version
    blueprint.write_text(original.replace("auditLogDays: 180", "auditLogDays: 30")
                         if "auditLogDays: 180" in original else
                         original.replace("      mlps:", "      auditLogDays: 30\n      mlps:", 1), encoding="utf-8")
    try:
        result = family(split_city)
    finally:
        blueprint.write_text(original, encoding="utf-8")
    assert result.member("tjj").status == "held" and "tjj" in result.member("tjj").error
    assert result.member("platform").ok and result.member("gzw").ok
    assert result.exit_code == 1 and any(f.rule == "GC-SEC-005" for f in result.check.findings)  # type: ignore[union-attr]
    assert store(split_city, "tjj").version == before  # its stack untouched


def test_each_member_has_its_own_lock(split_city: CityProject) -> None:
    blobs = store(split_city, "gzw").blobs
    with StackLock(blobs, "govcloud", f"{split_city.stack}__gzw", "apply"):
        result = family(split_city)
    assert result.member("gzw").status == "failed" and "GC-ENGINE-LOCK" in result.member("gzw").error
    assert result.member("platform").ok and result.member("tjj").ok


def test_only_limits_the_run_and_two_members_run_at_once(split_city: CityProject) -> None:
    versions = {m: store(split_city, m).version for m in ("platform", "gzw", "tjj")}
    only = family(split_city, only=("gzw",))
    assert [m.member for m in only.members] == ["gzw"] and only.ok
    assert store(split_city, "tjj").version == versions["tjj"]
    assert store(split_city, "platform").version == versions["platform"]
    assert store(split_city, "gzw").version == versions["gzw"] + 1
    with pytest.raises(GovcloudError, match="no member"):
        family(split_city, only=("nosuch",))

    both = family(split_city, parallel_stacks=2)
    assert both.ok and both.changes == 0 and both.parallel_stacks == 2
    gzw, tjj = both.member("gzw"), both.member("tjj")
    # Separate worker processes; the overlap of their runs, from the recorded timestamps:
    assert len({gzw.pid, tjj.pid}) == 2
    overlap = min(gzw.ended_at, tjj.ended_at) - max(gzw.started_at, tjj.started_at)
    print(f"gzw {gzw.started_at:.2f}-{gzw.ended_at:.2f}, tjj {tjj.started_at:.2f}-{tjj.ended_at:.2f}: "
          f"overlap {overlap:.2f} s")


def test_one_worker_runs_members_in_turn_each_with_its_own_state_lock_and_key(split_city: CityProject) -> None:
    from govcloud.engine.secrets import derived_keys
    from govcloud.operations.family import MemberTask, _Worker
    from govcloud.operations.worker import Keys, Warm, encode
    from govcloud.program import load_stack_config
    from govcloud.program.entry import loaded_family
    from govcloud.program.family import output_name

    key, built = loaded_family(load_stack_config(split_city.stack, split_city.root))
    options = FamilyOptions(passphrase=PASSPHRASE)

    def task(member: str) -> MemberTask:
        found = built[1].find(member)
        assert found is not None
        return MemberTask("apply", str(split_city.root), split_city.stack, member, found.departments, options,
                          tuple(output_name(r) for r in found.imports))

    before = {m: (store(split_city, m).version, len(store(split_city, m).sealed_resources())) for m in ("gzw", "tjj")}
    warm = encode(Warm(str(split_city.root), split_city.stack, key, built))
    worker = _Worker(split_city.root, warm)
    try:
        gzw, tjj = worker.run(task("gzw")), worker.run(task("tjj"))
    finally:
        worker.close()
    assert gzw.ok and tjj.ok and gzw.changes == tjj.changes == 0, (gzw.error, tjj.error)
    assert gzw.pid == tjj.pid != os.getpid()  # one process, one member after the other
    assert tjj.started_at >= gzw.ended_at
    for member in ("gzw", "tjj"):
        version, count = before[member]
        assert store(split_city, member).version == version + 1  # each wrote its own state …
        assert len(store(split_city, member).sealed_resources()) == count  # … with only its own resources
        with StackLock(store(split_city, member).blobs, "govcloud", f"{split_city.stack}__{member}", "apply"):
            pass  # … and let go of its own lock
    assert str(gzw.audit).endswith(f"{split_city.stack}__gzw.jsonl")
    assert str(tjj.audit).endswith(f"{split_city.stack}__tjj.jsonl")

    # This process applied the family first, so it holds the members' keys. A fresh worker
    # handed them uses them instead of deriving its own: handed wrong, the run fails on them.
    kept = derived_keys()
    assert kept
    worker = _Worker(split_city.root, warm)
    try:
        worker.send(Keys(tuple((p, salt, b"\0" * 32) for p, salt, _ in kept)))
        wrong = worker.run(task("gzw"))
    finally:
        worker.close()
    assert wrong.status == "failed" and "incorrect passphrase" in wrong.error, wrong
    assert store(split_city, "gzw").version == before["gzw"][0] + 1  # nothing written


def test_a_department_gone_from_the_blueprints_is_a_mass_delete_refused_for_the_family(
        split_city: CityProject) -> None:
    from govcloud.operations.family import selection

    blueprint = split_city.root / "blueprints" / "departments" / "tjj.yaml"
    original = blueprint.read_text(encoding="utf-8")
    versions = {m: store(split_city, m).version for m in ("platform", "gzw", "tjj")}
    blueprint.unlink()
    try:
        # Its member stack is still there: the apply would empty it, which is most of the family.
        assert list(selection("apply", split_city.stack, root=split_city.root)) == ["platform", "gzw", "tjj"]
        with pytest.raises(GovcloudError) as caught:
            family(split_city)
    finally:
        blueprint.write_text(original, encoding="utf-8")
    assert caught.value.rule == "GC-ENGINE-MASS-DELETE" and "--allow-mass-delete" in caught.value.hint
    assert {m: store(split_city, m).version for m in versions} == versions  # nothing ran


def test_a_replaced_platform_key_re_plans_the_departments(split_city: CityProject, sandbox_endpoint: str) -> None:
    platform = store(split_city, "platform")
    old_arn = platform.sealed_outputs()["city/key.arn"]
    key = next(r for r in platform.sealed_resources() if r.urn.endswith("::city/key"))
    kms = clients.client("kms", sandbox.PRIMARY_REGION, sandbox_endpoint)
    kms.delete_alias(AliasName=key.inputs["alias"])
    kms.schedule_key_deletion(KeyId=key.id, PendingWindowInDays=7)  # lost out of band
    refreshed = family(split_city, "refresh", only=("platform",))
    assert refreshed.member("platform").summary["gone"] == 1

    # In worker processes: they get the family as built here, and the platform's secrets key.
    planned = family(split_city, "plan", parallel_stacks=2)
    assert planned.member("platform").summary["create"] == 1
    for department in ("gzw", "tjj"):  # what reads the key's ARN is known only after the platform's apply
        assert planned.member(department).summary["update"] > 0, planned.member(department)

    applied = family(split_city, parallel_stacks=2)
    assert applied.ok, [m.error for m in applied.members]
    assert len({applied.member(m).pid for m in ("gzw", "tjj")}) == 2
    assert store(split_city, "platform").sealed_outputs()["city/key.arn"] != old_arn
    assert applied.member("gzw").summary["update"] > 0 and applied.member("tjj").summary["update"] > 0
    assert family(split_city).changes == 0


def test_state_split_moves_an_applied_stack_without_recreating_anything(
        tmp_path: Path, sandbox_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    from govcloud.operations import apply, plan
    from govcloud.operations.statesplit import state_split

    city = make_city(tmp_path / "city", sandbox_endpoint, f"wh{uuid.uuid4().hex[:6]}", split=False)
    whole = apply(city.stack, yes=True, root=city.root, passphrase=PASSPHRASE)
    assert whole.ok, whole.error
    ids = _cloud_ids(StateStore.for_stack(city.root, city.stack, project="govcloud").open())
    configure_split(city)
    for refused in (lambda: plan(city.stack, root=city.root, passphrase=PASSPHRASE), lambda: family(city)):
        with pytest.raises(GovcloudError) as caught:
            refused()
        assert caught.value.exit_code == 2 and f"govcloud state split --stack {city.stack}" in caught.value.hint

    change = state_split(city.stack, root=city.root)
    assert f"moved {len(ids)} resources" in change.message
    moved: dict[str, str] = {}
    for member in ("platform", "gzw", "tjj"):
        moved |= _cloud_ids(store(city, member))
    assert sorted(moved.values()) == sorted(ids.values())  # the very same cloud resources
    assert not [r for r in StateStore.for_stack(city.root, city.stack, project="govcloud").open().sealed_resources()
                if r.custom]
    assert len(StateStore.for_stack(city.root, city.stack, project="govcloud").open().history()) >= 2

    after = family(city)
    assert after.ok and after.changes == 0, changes(after)
    with pytest.raises(GovcloudError, match="no resources in its unsplit state"):
        state_split(city.stack, root=city.root)


def _cloud_ids(state: StateStore) -> dict[str, str]:
    return {r.urn.rsplit("::", 1)[-1]: r.id for r in state.sealed_resources() if r.custom}
