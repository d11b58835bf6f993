"""Every public result of the Python API has `to_dict()` (a dict of JSON types) and `to_json()`
(that dict as JSON text), and the two agree."""
from __future__ import annotations

import inspect
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from govcloud import api
from govcloud.engine.diff import Op
from govcloud.engine.results import ChangeSummary, Drift, Plan, Step
from govcloud.load import LoadResult
from govcloud.operations import ApplyResult, PlanResult, RefreshResult, StateEntry, StateView
from govcloud.policy import CheckResult
from govcloud.report.result import ReportResult

ROOT = Path(__file__).resolve().parents[2]
POLICIES = str(ROOT / "policies")
RESULTS = (LoadResult, CheckResult, ReportResult, PlanResult, ApplyResult, RefreshResult, StateView, StateEntry)


@pytest.mark.parametrize("cls", RESULTS, ids=lambda c: c.__name__)
def test_every_result_declares_both(cls: type) -> None:
    hints = {name: inspect.signature(getattr(cls, name)).return_annotation for name in ("to_dict", "to_json")}
    assert hints["to_json"] == "str", cls
    assert str(hints["to_dict"]).startswith("dict["), cls
    assert cls.__name__ in (api.__doc__ or "")  # documented where the API is


def _instances(mini_city: Path) -> list[Any]:
    checked = api.check([str(mini_city)], policies=POLICIES, today=date(2026, 6, 1), cache=False)
    step = Step("urn:pulumi:s::govcloud::govcloud:index:City$pulumi-python:dynamic/govcloud/storage:Bucket::b",
                "pulumi-python:dynamic/govcloud/storage:Bucket", Op.CREATE)
    plan = Plan("govcloud", "sandbox", (step,), ChangeSummary(create=1))
    entry = StateEntry(step.urn, step.type, "b-1", "", True, False, {"tags": {"gov:department": "slj"}},
                       {"arn": "arn:aws-cn:s3:::b-1"}, ())
    return [
        api.validate([str(mini_city)]),
        checked,
        api.report([str(mini_city)], policies=POLICIES, today=date(2026, 6, 1)),
        PlanResult("sandbox", "embedded", checked, plan),
        ApplyResult("sandbox", "embedded", "apply", "ok", checked, plan, departments={"slj": 1}),
        RefreshResult("sandbox", "embedded", Drift("govcloud", "sandbox", (), ("gone-urn",), 3, 0.5)),
        StateView("sandbox", ".govcloud/state", True, 4, (entry,), {}, 0),
        entry,
    ]


def test_to_json_is_to_dict_as_text(mini_city: Path) -> None:
    instances = _instances(mini_city)
    assert [type(i) for i in instances] == list(RESULTS)
    for result in instances:
        data, text = result.to_dict(), result.to_json()
        assert isinstance(data, dict) and isinstance(text, str), type(result)
        assert json.loads(text) == json.loads(json.dumps(data)), type(result)


def test_the_check_text_is_the_cli_envelope(mini_city: Path) -> None:
    from typer.testing import CliRunner

    from govcloud.cli import app

    checked = api.check([str(mini_city)], policies=POLICIES, today=date(2026, 6, 1), cache=False)
    cli = CliRunner().invoke(app, ["check", str(mini_city), "--policies", POLICIES, "--today", "2026-06-01",
                                   "--no-cache", "-f", "json"], catch_exceptions=False)
    assert checked.to_json() == cli.stdout


def test_plan_and_apply_carry_the_gate(mini_city: Path) -> None:
    plan, applied = _instances(mini_city)[3:5]
    assert plan.to_dict()["gate"]["errors"] == 0 and isinstance(plan.to_dict()["gate"]["warningRules"], list)
    assert applied.to_dict()["gate"] == plan.to_dict()["gate"]
