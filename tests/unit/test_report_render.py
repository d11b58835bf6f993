"""The report's renderings from injected findings: JSON envelope, HTML page, findings page, text."""
from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import date

import pytest
from rich.console import Console

from govcloud.api import load_project
from govcloud.consolidation import DuplicateGroup
from govcloud.model import Finding, Location, Project, Severity
from govcloud.report import ReportResult, build_report, render_findings_html, render_report_html, render_text
from tests.conftest import DATA

CITY = DATA / "consolidation"

FINDINGS = (
    Finding("GC-CAP-001", Severity.ERROR, "市水利局 requests 10 vCPU, more than its quota of 6",
            Location("departments/slj.yaml", 4, 3), department="slj", basis="政务云资源配额 <quota>"),
    Finding("GC-DUP-003", Severity.WARNING, "permit-registry is built by gaj and slj: consolidate",
            Location("departments/gaj.yaml", 17, 7), department="gaj", system="permit-registry",
            basis="锡政发[2004]99号 四(四) 严禁重复建设"),
    Finding("GC-DUP-003", Severity.WARNING, "permit-registry is built by gaj and slj: consolidate",
            Location("departments/slj.yaml", 7, 7), department="slj", system="permits",
            basis="锡政发[2004]99号 四(四) 严禁重复建设"),
    Finding("GC-NET-001", Severity.ERROR, "case-handling is on a dedicated line <script>alert(1)</script>",
            Location("departments/gaj.yaml", 12, 16), department="gaj", system="case-handling",
            basis="佛山 统一网络平台", waived=True),
)
DUPLICATE = DuplicateGroup("permit-registry", ("gaj", "slj"), (("gaj", "permit-registry"), ("slj", "permits")),
                           30_000, "2 systems × ¥15,000/yr")


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(CITY)


@pytest.fixture(scope="module")
def result(project: Project) -> ReportResult:
    return build_report(project, FINDINGS, [DUPLICATE], generated="2026-05-01")


def test_json_has_every_figure_the_page_shows(result: ReportResult) -> None:
    data = json.loads(result.to_json())
    assert data["city"] == {"name": "testcity", "title": "测试市", "domain": "test.gov.cn"}
    assert (data["departments"], data["systems"], data["generated"]) == (3, 4, "2026-05-01")
    assert (data["savings"]["yearly"], data["savings"]["oneOff"]) == (229_000, 400_000)
    assert data["savings"]["shown"] == {"yearly": "≥ ¥22.9万/yr", "oneOff": "≥ ¥40万"}
    assert (data["chargeback"]["monthlyBilled"], data["chargeback"]["monthlyAllocated"]) == (3155, 8000)
    assert [line["item"] for line in data["savings"]["lines"]] == ["network-lines", "oa", "site", "datacentre"]
    assert data["duplicates"] == {"yearly": 30_000, "groups": [DUPLICATE.to_json()]}
    assert data["chargeback"]["monthlyTotal"] == {
        "compute": 1500, "memory": 1080, "storage": 575, "oa": 4000, "site": 4000, "total": 11155}
    assert [g["resource"] for g in data["capacity"]["gauges"]] == [
        "vcpu", "memory", "storage", "oa-seats", "oa-storage", "site-slots"]
    rows = {row["code"]: row for row in data["departmentTable"]}
    assert rows["slj"]["monthlyCost"] == 2060
    assert rows["slj"]["quotaPeak"] == pytest.approx(1.6667)
    assert rows["tjj"]["quotaPeak"] is None
    # The waived GC-NET-001 does not count as an error of gaj.
    assert rows["gaj"]["findings"] == {"errors": 0, "warnings": 1, "infos": 0, "waived": 1}
    assert data["findingsSummary"] == {"errors": 1, "warnings": 2, "infos": 0, "waived": 1}
    assert [r["id"] for r in data["rules"]] == ["GC-CAP-001", "GC-DUP-003", "GC-NET-001"]
    assert data["findings"][0]["rule"] == "GC-CAP-001"      # errors first, waived last
    assert data["findings"][-1]["waived"] is True


def test_html_is_self_contained(result: ReportResult) -> None:
    page = render_report_html(result)
    assert page.startswith("<!doctype html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)   # no external asset
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page
    assert "<script>alert(1)</script>" not in page                            # findings are escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for text in ("测试市政务云", "市公安局", "统一网络平台", "≥ ¥22.9万/yr", "≥ ¥40万", "¥1.12万", "¥0.32万",
                 "≥ ¥300万/yr ÷ 1,000 organisations × 3 departments on the shared networks = ≥ ¥0.9万/yr",
                 "govcloud's estimate", "由市統一支付",
                 "2 systems × ¥15,000/yr", "锡政发[2004]99号 四(四) 严禁重复建设"):
        assert text in page, text


def test_html_figures_match_json(result: ReportResult) -> None:
    page = render_report_html(result)
    figures = dict(re.findall(r'data-figure="([^"]+)" data-value="([^"]+)"', page))
    data = result.to_dict()
    assert float(figures["savings.yearly"]) == data["savings"]["yearly"]            # type: ignore[index]
    assert float(figures["duplicates.yearly"]) == 30_000
    assert float(figures["chargeback.monthly"]) == 11_155
    assert (figures["findings.errors"], figures["findings.warnings"], figures["findings.waived"]) == ("1", "2", "1")


def test_findings_link_to_the_basis_of_their_rule(result: ReportResult) -> None:
    page = render_report_html(result)
    for rule in ("GC-CAP-001", "GC-DUP-003", "GC-NET-001"):
        assert f'href="#rule-{rule}"' in page
        assert f'id="rule-{rule}"' in page


@dataclass(frozen=True)
class FakeCheck:
    findings: tuple[Finding, ...]


def test_findings_page_for_check() -> None:
    page = render_findings_html(FakeCheck(FINDINGS))
    assert page.startswith("<!doctype html>") and "default-src 'none'" in page
    assert page.count('<tr class="') == 4
    assert 'href="#rule-GC-DUP-003"' in page and "严禁重复建设" in page
    assert 'data-figure="findings.errors" data-value="1"' in page
    assert "No findings" in render_findings_html(FakeCheck(()))


def test_cost_chart_names_the_top_departments_and_sums_the_rest(
        project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from govcloud.report import html

    r = build_report(project)
    chart = html.cost_chart(r)
    assert [b.label for b in chart.bars] == ["市公安局 gaj", "市水利局 slj", "市统计局 tjj"]
    assert chart.bars[0].width > chart.bars[1].width > chart.bars[2].width
    monkeypatch.setattr(html, "COST_CHART_TOP", 1)
    bars = html.cost_chart(r).bars
    assert [(b.label, b.value) for b in bars] == [("市公安局 gaj", 7095), ("2 other departments", 4060)]


def test_text_tables(result: ReportResult) -> None:
    console = Console(file=io.StringIO(), width=200, record=True)
    render_text(result, console)
    text = console.export_text()
    for expected in ("测试市政务云", "≥ ¥22.9万/yr", "≥ ¥40万 one-off", "permit-registry", "¥3万",
                     "Site slots", "100.0 %", "166.7 %", "¥0.32万", "City-funded items", "oa, site",
                     "govcloud's estimate", "1 error, 2 warnings"):
        assert expected in text, expected


def test_duplicates_come_from_the_gc_dup_003_findings(project: Project) -> None:
    r = build_report(project, FINDINGS)
    (group,) = r.consolidation.duplicates
    assert group.function == "permit-registry"
    assert group.systems == (("gaj", "permit-registry"), ("slj", "permits"))
    # gaj/permit-registry: (4×50 + 8×10 + 50×0.5) × 12 = 305 × 12 = 3,660/yr
    # slj/permits:         (8×50 + 32×10 + 300×0.5) × 12 = 870 × 12 = 10,440/yr
    # keep the larger, retire the other: 3,660/yr
    assert group.yearly_saving == 3_660
    assert r.consolidation.duplicates_yearly == 3_660
    assert build_report(project, FINDINGS[:1]).consolidation.duplicates == ()


def test_findings_page_of_a_real_check_names_the_city_and_the_rule_titles() -> None:
    from markupsafe import escape

    from govcloud.api import check
    from tests.conftest import ROOT

    result = check([str(CITY)], policies=str(ROOT / "policies"), today=date(2026, 5, 1))
    page = render_findings_html(result)
    assert "<title>测试市政务云 · Policy check · govcloud</title>" in page
    assert page.count('<tr class="') == len(result.findings) > 0
    for rule in result.rules:
        if any(f.rule == rule.id for f in result.findings):
            assert f'id="rule-{rule.id}"' in page and str(escape(rule.title)) in page
