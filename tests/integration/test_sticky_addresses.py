"""A department leaves the city: the plan deletes its resources and moves no other department's network.

In the example city `jgswj` (市机关事务管理局) hashes to the zone slot of `mzj` (市民政局),
which was approved first, so it probed to the next slot; computed afresh without `mzj`, it
would take `mzj`'s slot and its VPC, subnets and machines would be replaced. The slots the
stack's state holds keep it where it is.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from govcloud.graph.addressing import department_slots
from govcloud.load import load
from tests.integration.test_apply_support import attach_sandbox, make_project, own_sandbox

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["own_sandbox"]  # the module's sandbox fixture


def test_removing_a_department_another_probed_past_deletes_only_it(
        tmp_path: Path, own_sandbox: Path) -> None:
    project = make_project(tmp_path, ("mzj", "jgswj"))
    attach_sandbox(project, own_sandbox)
    blueprints = project.root / "blueprints"
    loaded = load([str(blueprints / "city.yaml"), str(blueprints / "departments")]).project
    assert loaded is not None
    both = department_slots(loaded.departments)
    alone = department_slots([d for d in loaded.departments if d.code == "jgswj"])
    assert alone["jgswj"] == both["mzj"] != both["jgswj"]  # recomputed, jgswj would move

    base = project.cli_json("apply", "--stack", project.stack, "--yes")
    assert base["status"] == "ok" and base["summary"]["create"] > 20

    (project.departments / "mzj.yaml").unlink()
    planned = project.cli_json("plan", "--stack", project.stack)
    ops = {s["urn"].rsplit("::", 1)[-1]: s["op"] for s in planned["steps"] if s["op"] != "same"}
    assert ops and set(ops.values()) == {"delete"}, ops
    assert all(n == "mzj" or n.startswith("mzj/") for n in ops), ops
    summary = planned["summary"]
    assert summary["update"] == summary["replace"] == summary["create"] == 0
    assert summary["delete"] == len(ops)
