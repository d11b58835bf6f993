"""The request workflow: the city's registers grant and approve, systems retire, one file is
checked in context, and `approve` and `migrate registers` change the project as documented."""
from __future__ import annotations

import io
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console

from govcloud.graph import Target, build_graph
from govcloud.load import load
from govcloud.load.context import load_in_context
from govcloud.policy import check
from govcloud.report import build_report, render_report_html, render_text
from govcloud.workflow import approve, migrate_registers

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
EXAMPLE = ROOT / "blueprints"
TODAY = date(2026, 6, 1)
SANDBOX = Target.create("sandbox", {"city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1",
                                    "city-intranet-1": "cn-north-1", "city-intranet-dr-1": "cn-northwest-1"})
RETIRE = ("      mlps: 2\n", "      mlps: 2\n      retire: 2026-05-31\n")


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example city (blueprints/ and policies/), the working directory."""
    shutil.copytree(EXAMPLE, tmp_path / "blueprints")
    shutil.copytree(POLICIES, tmp_path / "policies")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def rules_of(paths: list[str], today: date = TODAY) -> list[tuple[str, str | None, str | None]]:
    return [(f.rule, f.department, f.system) for f in check(paths, policies=POLICIES, today=today).findings]


# --- only a grant counts ---------------------------------------------------------------------

def test_a_department_raising_its_own_quota_still_fails_cap_001(example: Path) -> None:
    ybj = example / "blueprints" / "requests" / "ybj.yaml"
    edit(ybj, "quota: {vcpu: 64,", "quota: {vcpu: 640,")
    found = check(["blueprints"], today=TODAY).findings
    cap = [f for f in found if f.rule == "GC-CAP-001"]
    assert [(f.department, f.blocking) for f in cap] == [("ybj", True)]
    assert "16 vCPU granted in blueprints/city/grants.yaml" in cap[0].message and "640 vCPU" in cap[0].message


def test_a_quota_with_no_grant_says_so(example: Path) -> None:
    grants = example / "blueprints" / "city" / "grants.yaml"
    text = grants.read_text("utf-8")
    start = text.index("  - department: xfj")
    grants.write_text(text[:start] + text[text.index("  - department: rfb"):], "utf-8")
    cap = [f for f in check(["blueprints"], today=TODAY).findings if f.rule == "GC-CAP-001" and f.department == "xfj"]
    assert len(cap) == 1 and "grants it no quota" in cap[0].message and "spec.quota" in cap[0].message
    assert "migrate registers" in cap[0].hint


def test_a_city_without_registers_keeps_reading_spec_quota(mini_city: Path) -> None:
    loaded = load([str(mini_city)])
    assert loaded.project is not None and loaded.project.registers.grants is None
    assert loaded.project.department("slj").quota == loaded.project.department("slj").requested_quota  # type: ignore[union-attr]
    assert check([str(mini_city)], policies=POLICIES, today=TODAY).findings == ()


# --- requests and approvals ------------------------------------------------------------------

def test_an_unapproved_file_in_departments_is_an_error(example: Path) -> None:
    shutil.move("blueprints/requests/nhzsj.yaml", "blueprints/departments/nhzsj.yaml")
    found = [f for f in check(["blueprints"], today=TODAY).findings if f.rule == "GC-FLOW-001"]
    assert [(f.department, f.blocking, f.location.file if f.location else "") for f in found] == [
        ("nhzsj", True, "blueprints/departments/nhzsj.yaml")]
    assert "approve nhzsj" in found[0].hint


def test_approve_moves_the_request_and_records_the_approval(example: Path) -> None:
    nhzsj = example / "blueprints" / "requests" / "nhzsj.yaml"
    edit(nhzsj, "district: nanhia", "district: nanhai")     # its one error, fixed
    result = approve("blueprints", "nhzsj", "佛数审〔2026〕50号", "市政务服务数据管理局", TODAY)
    assert result.exit_code == 0 and result.scope == ("town-service-centres",)
    assert not nhzsj.exists() and (example / "blueprints" / "departments" / "nhzsj.yaml").exists()
    loaded = load(["blueprints"])
    assert loaded.project is not None
    record = loaded.project.registers.approvals_of("nhzsj")
    assert [(a.reference, a.approver, a.date, a.scope) for a in record] == [
        ("佛数审〔2026〕50号", "市政务服务数据管理局", "2026-06-01", ("town-service-centres",))]
    now = [f for f in check(["blueprints"], today=TODAY).findings if f.department == "nhzsj"]
    assert {f.rule for f in now} == {"GC-MLPS-001", "GC-MLPS-002"} and not any(f.blocking for f in now)  # file it


def test_approve_refuses_while_errors_remain(example: Path) -> None:
    before = (example / "blueprints" / "city" / "approvals.yaml").read_text("utf-8")
    result = approve("blueprints", "xfj", "佛数审〔2026〕51号", "市政务服务数据管理局", TODAY)
    assert result.exit_code == 1 and {f.rule for f in result.refused} == {"GC-SEC-002", "GC-SEC-003"}
    assert (example / "blueprints" / "requests" / "xfj.yaml").exists()
    assert not (example / "blueprints" / "departments" / "xfj.yaml").exists()
    assert (example / "blueprints" / "city" / "approvals.yaml").read_text("utf-8") == before


def test_a_system_added_after_approval_needs_a_new_one(example: Path) -> None:
    slj = example / "blueprints" / "departments" / "slj.yaml"
    edit(slj, "    - name: flood-forecasting", "    - name: flood-warning")
    grants = example / "blueprints" / "city" / "projects.yaml"
    edit(grants, "systems: [river-monitoring, flood-forecasting]", "systems: [river-monitoring, flood-warning]")
    assert ("GC-FLOW-001", "slj", "flood-warning") in rules_of(["blueprints"])
    assert approve("blueprints", "slj", "佛数审〔2026〕52号", "市数据局", TODAY).exit_code == 0
    assert ("GC-FLOW-001", "slj", "flood-warning") not in rules_of(["blueprints"])
    assert slj.exists()


# --- retiring a system -----------------------------------------------------------------------

def test_a_retired_system_leaves_the_graph_and_gives_its_quota_back(mini_city: Path) -> None:
    edit(mini_city / "departments" / "slj.yaml", *RETIRE)
    project = load([str(mini_city)]).project
    assert project is not None
    before = build_graph(project, SANDBOX, today=date(2026, 5, 30))
    after = build_graph(project, SANDBOX, today=TODAY)
    gone = {n.name for n in before.nodes} - {n.name for n in after.nodes}
    assert "slj/systems/river-monitoring/bucket" in gone and all(name.startswith("slj/") for name in gone)
    assert {n.name for n in after.nodes} < {n.name for n in before.nodes}  # only deletions
    kept = {n.name: n for n in after.nodes}
    assert all(kept[n.name] == n for n in before.nodes if not n.name.startswith("slj/"))  # nothing else changes
    report = build_report(project, generated=TODAY.isoformat())
    capacity = report.consolidation.capacity
    assert [(r.department, r.system, r.retired, r.vcpu) for r in capacity.reclaimed] == [
        ("slj", "river-monitoring", "2026-05-31", 8)]
    assert capacity.to_json()["reclaimed"]["vcpu"] == 8  # type: ignore[index]
    slj = next(q for q in capacity.quotas if q.department == "slj")
    assert slj.vcpu.requested == 0 and capacity.gauge("vcpu").requested == 16
    assert build_report(project, generated="2026-05-30").consolidation.capacity.reclaimed == ()
    console = Console(file=io.StringIO(), width=200)
    render_text(report, console)
    assert "Reclaimed by retired systems (下线): 8 vCPU" in console.file.getvalue()  # type: ignore[attr-defined]
    html = render_report_html(report)
    assert 'data-figure="reclaimed.vcpu" data-value="8"' in html and "slj/river-monitoring from 2026-05-31" in html


def test_a_retired_system_is_no_longer_judged(mini_city: Path) -> None:
    edit(mini_city / "departments" / "slj.yaml", "      backup: {offsite: true, rpoMinutes: 60}\n", "")
    assert ("GC-SEC-001", "slj", "river-monitoring") in rules_of([str(mini_city)])
    edit(mini_city / "departments" / "slj.yaml", *RETIRE)
    assert ("GC-SEC-001", "slj", "river-monitoring") in rules_of([str(mini_city)], date(2026, 5, 30))
    assert rules_of([str(mini_city)]) == []


# --- one file in context ---------------------------------------------------------------------

def _example_files() -> list[str]:
    return sorted(os.path.relpath(p, ROOT) for p in EXAMPLE.rglob("*.yaml"))


@pytest.mark.parametrize("name", _example_files())
def test_checking_one_file_gives_the_whole_citys_findings_of_that_file(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    whole = check(["blueprints"], today=TODAY)
    alone = check([name], today=TODAY, context=True)
    expected = tuple(f for f in whole.findings if f.location and f.location.file == name)
    assert alone.findings == expected
    assert alone.exit_code == (1 if any(f.blocking for f in expected) else 0)


def test_a_copy_of_another_departments_function_is_a_duplicate_in_a_single_file_check(example: Path) -> None:
    edit(example / "blueprints" / "requests" / "xfj.yaml", "function: petition-handling",
         "function: river-monitoring")
    alone = check(["blueprints/requests/xfj.yaml"], today=TODAY, context=True)
    assert ("GC-DUP-003", "xfj", "petition-handling") in [(f.rule, f.department, f.system) for f in alone.findings]
    assert all(f.location and f.location.file == "blueprints/requests/xfj.yaml" for f in alone.findings)


def test_checking_a_request_with_the_city_file_reports_no_false_data_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    found = check(["blueprints/requests/ybj.yaml", "blueprints/city.yaml"], today=TODAY, context=True).findings
    assert {f.rule for f in found} == {"GC-DUP-001", "GC-OA-001", "GC-CAP-001"}


def test_a_stack_gate_checks_exactly_its_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    gate = check(["blueprints/requests/ybj.yaml", "blueprints/city.yaml"], today=TODAY)  # no context
    assert gate.summary.departments == 1 and "GC-DATA-001" in {f.rule for f in gate.findings}


def test_validate_of_one_department_file_finds_the_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "blueprints" / "departments")
    result = load_in_context(["slj.yaml"])
    assert result.exit_code == 0 and result.findings == () and result.departments == 1


def test_files_outside_a_projects_blueprints_are_read_as_given(mini_city: Path) -> None:
    draft = mini_city.parent / "drafts" / "slj.yaml"
    draft.parent.mkdir()
    shutil.copy(mini_city / "departments" / "slj.yaml", draft)
    result = load_in_context([str(draft)])
    assert any("no City blueprint" in f.message for f in result.findings)
    inside = load_in_context([str(mini_city / "departments" / "slj.yaml")])
    assert inside.exit_code == 0 and inside.departments == 1


# --- migration -------------------------------------------------------------------------------

def test_migrate_registers_moves_quotas_into_grants_and_records_approvals(mini_city: Path) -> None:
    before = check([str(mini_city)], policies=POLICIES, today=TODAY)
    result = migrate_registers(str(mini_city), "佛数审〔2026〕1号", "市政务服务数据管理局", "2026-06-01")
    assert result.grants == ("gaj", "slj") and result.approvals == ("gaj", "slj")
    assert "quota:" not in (mini_city / "departments" / "slj.yaml").read_text("utf-8")
    loaded = load([str(mini_city)])
    assert loaded.project is not None and loaded.project.registers.grants is not None
    slj = loaded.project.department("slj")
    assert slj is not None and slj.quota is not None and slj.quota.vcpu == 64 and slj.requested_quota is None
    after = check([str(mini_city)], policies=POLICIES, today=TODAY)
    assert after.findings == before.findings == ()
    again = migrate_registers(str(mini_city), "佛数审〔2026〕1号", "市政务服务数据管理局", "2026-06-01")
    assert again.grants == () and again.approvals == ()


@pytest.mark.parametrize("broken", ["    oaSeat: 250\n", "grants: [\n"])
def test_a_register_that_does_not_load_stops_the_check_of_any_file(example: Path, broken: str) -> None:
    grants = example / "blueprints" / "city" / "grants.yaml"
    text = grants.read_text("utf-8")
    grants.write_text(text.replace("    oaSeats: 250\n", broken, 1) if broken.startswith(" ") else broken, "utf-8")
    result = check(["blueprints/departments/slj.yaml"], today=TODAY, context=True)
    assert result.exit_code == 2 and result.project is None
    assert [f.location.file for f in result.findings if f.location] == ["blueprints/city/grants.yaml"]
    assert not any(f.rule == "GC-CAP-001" for f in result.findings)  # never judged as a city without grants
