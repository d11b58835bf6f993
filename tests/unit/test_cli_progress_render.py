"""What apply, plan and destroy print around a run, at a given width and without a terminal:
progress that counts changes only, the policy gate's warnings, a destroy's summary, grids that fit."""
from __future__ import annotations

import io
import time

import pytest
from rich.cells import cell_len

from govcloud.cli.apply import render_outcome
from govcloud.cli.progress import ProgressFeed
from govcloud.cli.render import destroy_summary, gate_line, grid
from govcloud.engine import EngineEvent
from govcloud.engine.diff import Op
from govcloud.model import Finding, Location, Severity
from govcloud.operations import ApplyResult, StateEntry
from govcloud.policy import CheckResult, CheckSummary

INSTANCE = "pulumi-python:dynamic/govcloud/compute:Instance"


def urn(name: str, type_: str = INSTANCE) -> str:
    return f"urn:pulumi:sandbox::govcloud::govcloud:index:System${type_}::{name}"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _feed(total: int | None = None) -> tuple[ProgressFeed, io.StringIO, Clock]:
    stream, clock = io.StringIO(), Clock()
    feed = ProgressFeed("applying", terminal=False, stream=stream, interval=10.0, clock=clock)
    if total is not None:
        feed.set_total(total)
    return feed, stream, clock


def test_unchanged_resources_and_components_are_not_steps() -> None:
    feed, stream, clock = _feed()
    for i in range(50):
        feed(EngineEvent("step-finished", urn(f"same-{i}"), Op.SAME))
    feed(EngineEvent("step-finished", urn("gaj", "govcloud:index:Department"), Op.CREATE))
    clock.now += 60  # planning and unchanged resources took a minute
    assert feed.done == 0 and feed.started_at is None and stream.getvalue() == ""
    feed(EngineEvent("step-started", urn("gaj/app-1"), Op.CREATE))
    assert feed.started_at == 160.0  # the clock starts at the first change
    assert stream.getvalue() == "applying: 0 changes, 0 s\n"
    feed(EngineEvent("step-finished", urn("gaj/app-1"), Op.CREATE))
    feed(EngineEvent("step-started", urn("gaj/db"), Op.REPLACE))
    feed(EngineEvent("step-finished", urn("gaj/db"), Op.REPLACE))
    feed(EngineEvent("step-finished", urn("gaj/db"), Op.DELETE_REPLACED))  # the old half: one resource
    assert feed.done == 2


def test_without_a_terminal_a_line_every_tenth_and_every_interval() -> None:
    feed, stream, clock = _feed(total=20)
    for i in range(20):
        feed(EngineEvent("step-started", urn(f"r{i}"), Op.CREATE))
        clock.now += 1
        feed(EngineEvent("step-finished", urn(f"r{i}"), Op.CREATE))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "applying: 0/20 changes (0 %), 0 s"  # the first change started
    assert lines[1] == "applying: 2/20 changes (10 %), 2 s"
    assert lines[-1] == "applying: 20/20 changes (100 %), 20 s"
    assert len(lines) == 11
    feed2, stream2, clock2 = _feed()  # no total known (apply --yes): by time only
    feed2(EngineEvent("step-started", urn("a"), Op.CREATE))
    clock2.now += 11
    feed2(EngineEvent("step-failed", urn("a"), Op.CREATE, message="boom"))
    assert stream2.getvalue() == "applying: 0 changes, 0 s\napplying: 1 changes, 1 failed, 11 s\n"


def test_the_ticker_prints_while_a_long_step_runs() -> None:
    stream = io.StringIO()
    feed = ProgressFeed("destroying", terminal=False, stream=stream, interval=0.05)
    with feed.shown(now=True):
        feed(EngineEvent("step-started", urn("slow"), Op.DELETE))
        time.sleep(0.3)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("destroying: 0 changes, 0 s") and len(lines) >= 4  # start, ticks, end


def _check(*rules: str, errors: int = 0) -> CheckResult:
    findings = [Finding(r, Severity.WARNING, "m", Location("b.yaml", 1, 1)) for r in rules]
    findings += [Finding("GC-NET-001", Severity.ERROR, "m", Location("b.yaml", 1, 1))] * errors
    return CheckResult(tuple(findings), CheckSummary.of(findings, 2), 1 if errors else 0)


def test_the_gate_line_names_its_warnings() -> None:
    assert gate_line(_check("GC-OA-001", "GC-SITE-003", "GC-OA-001")) == (
        "Policy gate passed: 0 errors, 3 warnings (GC-OA-001 ×2, GC-SITE-003); "
        "warnings do not block (`govcloud check` shows them)")
    assert gate_line(_check()) == "Policy gate passed: 0 errors, 0 warnings"
    assert gate_line(None) is None


@pytest.mark.parametrize("width", [80, 120])
def test_the_apply_summary_fits_the_width(width: int, capsys: pytest.CaptureFixture[str]) -> None:
    departments = {code: 10 + i * 37 for i, code in enumerate(
        ["city", "bgs", "cgj", "czj", "fgw", "fy", "gaj", "gxj", "gzw", "jcy", "jgswj", "tyjrswj", "zwfwj"])}
    result = ApplyResult("sandbox", "embedded", "apply", "ok", check=_check("GC-OA-001"), departments=departments)
    render_outcome(result, listed=True, width=width)
    out = capsys.readouterr().out
    assert "Policy gate passed: 0 errors, 1 warning (GC-OA-001)" in out.replace("\n  ", " ")
    assert max(cell_len(line) for line in out.splitlines()) <= width
    for code, count in departments.items():
        assert f"{code} " in out and f" {count:,}" in out


def test_grid_uses_the_width_it_has() -> None:
    cells = [(f"d{i:02}", i * 100) for i in range(24)]
    narrow, wide = grid(cells, 80), grid(cells, 120)
    assert len(wide) < len(narrow)
    assert all(len(line) <= 80 for line in narrow) and all(len(line) <= 120 for line in wide)


def test_destroy_lists_what_goes_by_type_and_department() -> None:
    entries = [StateEntry(urn(f"{d}/vm-{i}"), INSTANCE if i % 4 else "pulumi-python:dynamic/govcloud/storage:Bucket",
                          f"i-{i}", "", True, False, {"tags": {"gov:department": d}}, {}, ())
               for d in ("gaj", "slj", "wjw") for i in range(358)]
    entries += [StateEntry(urn("vpc", "pulumi-python:dynamic/govcloud/network:Vpc"), "Vpc", "vpc-1", "", True, False,
                           {}, {}, ()), StateEntry(urn("gaj", "govcloud:index:Department"), "", "", "", False, False,
                                                   {}, {}, ())]
    lines = destroy_summary(entries, "sandbox", 80)
    text = "\n".join(lines)
    assert lines[0] == "Stack 'sandbox' holds 1075 resources, all to be deleted:"
    assert "Instance 804" in text and "Bucket   270" in text and "Vpc        1" in text
    assert "gaj  358" in text and "city   1" in text
    assert "  … and 1,065 more (`govcloud state list --stack sandbox` lists them all)" in lines
    assert all(cell_len(line) <= 80 for line in lines)
