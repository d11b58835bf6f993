"""Waivers: an active one marks its finding and unblocks the run; expired and stale ones are reported."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from govcloud.policy import check

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
TODAY = date(2026, 6, 1)


@pytest.fixture
def city(mini_city: Path) -> Path:
    """The mini city with one violation: slj's river-monitoring on a private line (GC-NET-001)."""
    slj = mini_city / "departments" / "slj.yaml"
    slj.write_text(slj.read_text("utf-8").replace("network: extranet", "network: dedicated"), "utf-8")
    return mini_city


def _waivers(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(body, "utf-8")
    return path


def _entry(expires: str = "2026-12-31", system: str = "river-monitoring", rule: str = "GC-NET-001",
           department: str = "slj", ref_key: str = "reference") -> str:
    return (f"  - rule: {rule}\n    department: {department}\n    system: {system}\n"
            f"    reason: settlement line until migration\n    approver: 市政务服务数据管理局\n"
            f"    {ref_key}: 佛数审〔2026〕12号\n    expires: {expires}\n")


def test_without_waiver_the_violation_fails_the_run(city: Path) -> None:
    result = check([str(city)], policies=POLICIES, today=TODAY, waivers=None)
    assert [f.rule for f in result.findings] == ["GC-NET-001"] and result.exit_code == 1


def test_active_waiver_marks_the_finding_and_the_run_passes(city: Path, tmp_path: Path) -> None:
    waivers = _waivers(tmp_path, "waivers:\n" + _entry())
    result = check([str(city)], policies=POLICIES, waivers=waivers, today=TODAY)
    (finding,) = result.findings
    assert finding.rule == "GC-NET-001" and finding.waived and "佛数审〔2026〕12号" in (finding.waiver or "")
    assert result.exit_code == 0
    assert result.summary.errors == 0 and result.summary.waived == 1
    assert result.to_dict()["findings"][0]["waived"] is True  # type: ignore[index]


def test_a_waiver_on_its_last_day_still_applies(city: Path, tmp_path: Path) -> None:
    waivers = _waivers(tmp_path, "waivers:\n" + _entry(expires="2026-06-01"))
    assert check([str(city)], policies=POLICIES, waivers=waivers, today=TODAY).exit_code == 0


def test_expired_waiver_is_ignored_and_reported(city: Path, tmp_path: Path) -> None:
    waivers = _waivers(tmp_path, "waivers:\n" + _entry(expires="2026-05-31"))
    result = check([str(city)], policies=POLICIES, waivers=waivers, today=TODAY)
    by_rule = {f.rule: f for f in result.findings}
    assert set(by_rule) == {"GC-NET-001", "GC-WAIVER-001"}
    assert not by_rule["GC-NET-001"].waived and result.exit_code == 1
    expired = by_rule["GC-WAIVER-001"]
    assert expired.severity.value == "warning" and "expired on 2026-05-31" in expired.message
    assert expired.location is not None and expired.location.file.endswith("waivers.yaml")
    assert (expired.location.line, expired.department, expired.system) == (2, "slj", "river-monitoring")


def test_today_decides_expiry(city: Path, tmp_path: Path) -> None:
    waivers = _waivers(tmp_path, "waivers:\n" + _entry(expires="2026-12-31"))
    assert check([str(city)], policies=POLICIES, waivers=waivers, today=date(2027, 1, 1)).exit_code == 1


def test_stale_waiver_is_reported(mini_city: Path, tmp_path: Path) -> None:
    waivers = _waivers(tmp_path, "waivers:\n" + _entry())
    result = check([str(mini_city)], policies=POLICIES, waivers=waivers, today=TODAY)
    (stale,) = result.findings
    assert stale.rule == "GC-WAIVER-002" and "matches no finding" in stale.message
    assert result.exit_code == 0  # a warning


def test_waiver_for_a_system_that_does_not_exist(city: Path, tmp_path: Path) -> None:
    waivers = _waivers(tmp_path, "waivers:\n" + _entry(system="river-gauges"))
    result = check([str(city)], policies=POLICIES, waivers=waivers, today=TODAY)
    by_rule = {f.rule: f for f in result.findings}
    assert set(by_rule) == {"GC-NET-001", "GC-WAIVER-002"} and not by_rule["GC-NET-001"].waived
    assert "names system 'river-gauges', which department 'slj' does not have" in by_rule["GC-WAIVER-002"].message


def test_department_wide_waiver_covers_every_system(city: Path, tmp_path: Path) -> None:
    entry = _entry().replace("    system: river-monitoring\n", "")
    result = check([str(city)], policies=POLICIES, waivers=_waivers(tmp_path, "waivers:\n" + entry), today=TODAY)
    assert [f.waived for f in result.findings] == [True]


def test_waivers_of_departments_outside_the_check_are_not_judged(city: Path, tmp_path: Path) -> None:
    body = "waivers:\n" + _entry(department="mzj", expires="2020-01-01") + _entry(department="mzj")
    result = check([str(city)], policies=POLICIES, waivers=_waivers(tmp_path, body), today=TODAY)
    assert [f.rule for f in result.findings] == ["GC-NET-001"]


def test_a_bare_list_and_the_approval_ref_synonym_are_accepted(city: Path, tmp_path: Path) -> None:
    waivers = _waivers(tmp_path, _entry(ref_key="approvalRef"))
    assert check([str(city)], policies=POLICIES, waivers=waivers, today=TODAY).exit_code == 0


@pytest.mark.parametrize(("body", "message", "line"), [
    ("waivers:\n" + _entry(rule="GC-NET-01"), "waiver rule GC-NET-01 is not a rule of the policy packs", 2),
    ("waivers:\n" + _entry(rule="GC-SCHEMA"), "waiver rule GC-SCHEMA cannot be waived", 2),
    ("waivers:\n" + _entry().replace("    approver: 市政务服务数据管理局\n", ""), "missing required key 'approver'", 2),
    ("waivers:\n" + _entry(expires="2026-02-30"), "expires '2026-02-30' is not a date", 8),
    ("waivers:\n" + _entry().replace("reason:", "reasn:"), "unknown key 'reasn'", 5),
])
def test_a_bad_waivers_file_is_bad_input(city: Path, tmp_path: Path, body: str, message: str, line: int) -> None:
    result = check([str(city)], policies=POLICIES, waivers=_waivers(tmp_path, body), today=TODAY)
    assert result.exit_code == 2
    (problem,) = result.findings
    assert problem.rule == "GC-POLICY" and message in problem.message, problem.message
    assert problem.location is not None and problem.location.line == line
