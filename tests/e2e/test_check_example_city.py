"""The example city: approved departments pass untouched; the requests give exactly README's table."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.api import check
from govcloud.cli import app

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = ROOT / "blueprints"
TODAY = date(2026, 6, 1)


def expected_findings() -> set[tuple[str, str, str, str | None, str]]:
    """(rule, severity, department, system, file) rows of README's 'Expected findings' table."""
    text = (BLUEPRINTS / "README.md").read_text("utf-8")
    section = text.split("## Expected findings", 1)[1]
    rows = set()
    for line in section.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if re.fullmatch(r"GC-[A-Z]+(-\d{3})?", cells[0]):
            system = None if cells[3] in ("—", "-", "") else cells[3]
            rows.add((cells[0], cells[1], cells[2], system, cells[4]))
    return rows


def test_the_requests_give_exactly_the_findings_readme_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = check(["blueprints"], today=TODAY)
    found = {(f.rule, f.severity.value, f.department or "", f.system, f.location.file if f.location else "")
             for f in result.findings}
    expected = expected_findings()
    assert len(expected) == 19
    assert found == expected
    assert len(result.findings) == len(expected)  # each once
    approved = [f for f in result.findings if f.location and f.location.file.startswith("blueprints/departments/")]
    assert {f.rule for f in approved} == {"GC-MLPS-001", "GC-MLPS-002"} and not any(f.blocking for f in approved)
    assert all(f.location and f.location.file.startswith("blueprints/") for f in result.findings)
    assert result.exit_code == 1
    summary = re.search(r"findings \((\d+) errors, (\d+) warnings\)", (BLUEPRINTS / "README.md").read_text("utf-8"))
    assert summary and (result.summary.errors, result.summary.warnings) == (int(summary[1]), int(summary[2]))


def test_the_approved_departments_alone_give_only_their_mlps_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = check(["blueprints/departments", "blueprints/city.yaml"], today=TODAY)  # the registers come along
    assert {(f.rule, f.department) for f in result.findings} == {
        ("GC-MLPS-002", "czj"), ("GC-MLPS-002", "jtysj"), ("GC-MLPS-001", "kjj"), ("GC-MLPS-002", "wjw")}
    assert result.exit_code == 0 and result.summary.departments == 32
    assert result.project is not None and result.project.registers.approvals is not None


def test_the_cli_gate_and_the_reviewers_view(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    runner = CliRunner()
    gate = runner.invoke(app, ["check", "blueprints/departments", "blueprints/city.yaml", "--today", "2026-06-01"],
                         catch_exceptions=False)
    assert gate.exit_code == 0, gate.stdout
    view = runner.invoke(app, ["check", "blueprints/", "--today", "2026-06-01"], catch_exceptions=False)
    assert view.exit_code == 1
    for code in ("ybj", "xfj", "rfb", "sws", "nhzsj"):
        assert code in view.stdout
    assert "12 errors, 7 warnings" in view.stdout


def test_the_domain_review_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    """ybj on the national 医保专网 and sws on 金税 are no longer flagged; the new planted cases are."""
    monkeypatch.chdir(ROOT)
    result = check(["blueprints"], today=TODAY)
    by = {(f.rule, f.department, f.system): f for f in result.findings}
    assert not any(f.rule == "GC-NET-001" and f.department in ("ybj", "sws") for f in result.findings)
    assert not any(f.rule.startswith(("GC-OA", "GC-SITE")) and f.department == "sws" for f in result.findings)
    assert not any(f.rule == "GC-SITE-001" for f in result.findings)          # xinfang.foshan.gov.cn
    assert "office-automation-system" in by["GC-DUP-001", "ybj", "office-automation"].message   # a synonym of oa
    assert "did you mean 'self-service-tax-terminals'" in by["GC-STD-002", "sws", "self-service-tax"].hint
    assert "240 minutes" in by["GC-SEC-001", "rfb", "air-defence-command"].message               # RPO
    assert "replicas 1" in by["GC-SEC-003", "sws", "tax-analytics"].message                     # replicas
    assert "nanhia" in by["GC-STD-003", "nhzsj", None].message                                  # district
    assert "政法专网" in by["GC-NET-001", "rfb", "shelter-works"].message
    assert "16 vCPU granted" in by["GC-CAP-001", "ybj", None].message                              # the grant counts
    assert "asks for 64 vCPU" in by["GC-CAP-001", "ybj", None].message
    assert "佛发改审〔2026〕15号" in by["GC-STD-001", "rfb", "shelter-works"].message
    assert "2025-04-18" in by["GC-MLPS-002", "czj", "treasury-payment"].message
