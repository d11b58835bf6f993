"""A department renamed in an institutional reform (机构改革) keeps every cloud resource."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest

from govcloud.cloud.types import CATALOGUE
from govcloud.errors import GovcloudError
from govcloud.graph import Target
from govcloud.load import load
from govcloud.program import make_program
from tests.engine_support.harness import Rig
from tests.engine_support.providers import Echo

SANDBOX = Target.create("sandbox", {"city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1",
                                    "city-intranet-1": "cn-north-1", "city-intranet-dr-1": "cn-northwest-1"})


def echo_factory(cloud_path: str) -> Callable[..., pulumi.CustomResource]:
    def factory(token: str, name: str, inputs: Mapping[str, Any], endpoint_url: str | None,
                opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
        return Echo(token, name, dict(inputs), tuple(CATALOGUE[token].outputs), cloud_path, opts)

    return factory


def program_for(blueprints: Path, rig: Rig) -> Callable[[], None]:
    found = load([str(blueprints)])
    assert found.project is not None, [f.message for f in found.findings]
    return make_program(found.project, SANDBOX, factory=echo_factory(rig.cloud_path))


def reform(blueprints: Path, old: str, new: str, *, former: bool = True) -> None:
    """Rename department `old` to `new` (file and code), saying so in formerCode."""
    source = blueprints / "departments" / f"{old}.yaml"
    text = source.read_text(encoding="utf-8")
    replacement = f"code: {new}\n  formerCode: {old}" if former else f"code: {new}"
    (blueprints / "departments" / f"{new}.yaml").write_text(
        text.replace(f"code: {old}", replacement, 1), encoding="utf-8")
    source.unlink()


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def test_a_renamed_department_keeps_its_resources_under_its_new_code(mini_city: Path, rig: Rig) -> None:
    first = rig.engine(program_for(mini_city, rig), parallel=4).up()
    assert first.ok, first.error
    ids = rig.live_ids()
    writes = len(rig.cloud.writes())
    reform(mini_city, "slj", "slb")

    program = program_for(mini_city, rig)
    plan = rig.engine(program, parallel=4).preview()
    assert plan.summary.changes == 0, plan.to_json()  # no create, update, replace or delete
    assert any(s.renamed_from for s in plan.steps)

    result = rig.engine(program, parallel=4).up()
    assert result.ok, result.error
    assert rig.live_ids() == ids and len(rig.cloud.writes()) == writes
    store = rig.state()
    names = [urn.rsplit("::", 1)[1] for urn in store.resources()]
    assert any(n.startswith("slb/") for n in names) and not any(n.startswith("slj/") for n in names)
    assert "slb" in names and "slj" not in names  # the department's component


def test_without_former_code_a_renamed_department_is_rebuilt(mini_city: Path, rig: Rig) -> None:
    rig.engine(program_for(mini_city, rig), parallel=4).up()
    reform(mini_city, "slj", "slb", former=False)
    plan = rig.engine(program_for(mini_city, rig), parallel=4).preview()
    assert plan.summary.create > 0 and plan.summary.delete > 0  # what formerCode avoids


@pytest.mark.parametrize("taken", ["slj", "slb"], ids=["another's former code", "a current code"])
def test_a_former_code_claimed_twice_is_refused_with_its_location(mini_city: Path, taken: str) -> None:
    reform(mini_city, "slj", "slb")
    gaj = mini_city / "departments" / "gaj.yaml"
    gaj.write_text(gaj.read_text(encoding="utf-8").replace("code: gaj", f"code: gaj\n  formerCode: {taken}", 1),
                   encoding="utf-8")
    found = load([str(mini_city)])
    assert found.project is not None
    with pytest.raises(GovcloudError, match=f"formerCode '{taken}' of department '(gaj|slb)'") as raised:
        make_program(found.project, SANDBOX)
    assert raised.value.rule == "GC-REFORM" and raised.value.location is not None
