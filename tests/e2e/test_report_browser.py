"""The HTML report in a real browser: headless Chromium opens it from disk, offline.

Playwright drives the machine's own Chromium (found on PATH, never downloaded), with every
request that is not the report file itself refused, and records each console message,
page error and request the page makes.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govcloud.cli.app import app
from tests.conftest import DATA, ROOT

CHROMIUM = shutil.which("chromium")
CITY = DATA / "consolidation"
VIEWPORT = {"width": 1280, "height": 2000}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)"),
]


@dataclass
class Page:
    """The report open in Chromium, with what the page did since it started loading."""

    page: Any  # playwright.sync_api.Page
    url: str
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    refused: list[str] = field(default_factory=list)  # those that were not the report file
    errors: list[str] = field(default_factory=list)  # console errors, page errors, failed requests

    def evaluate(self, expression: str) -> Any:
        return self.page.evaluate(expression)

    def screenshot(self) -> bytes:
        return bytes(self.page.screenshot(full_page=False))



@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The test city's report as the CLI writes it: the HTML file and `--format json`."""
    out = tmp_path_factory.mktemp("report")
    html = out / "report.html"
    runner = CliRunner()
    common = [str(CITY), "--policies", str(ROOT / "policies"), "--today", "2026-05-01"]
    result = runner.invoke(app, ["report", *common, "--output", str(html)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["report", *common, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return html, json.loads(result.stdout)


@pytest.fixture(scope="module")
def page(rendered: tuple[Path, dict[str, Any]]) -> Iterator[Page]:
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"  # the machine's Chromium, never a download
    from playwright.sync_api import sync_playwright

    url = rendered[0].as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            context = browser.new_context(viewport=VIEWPORT, service_workers="block")
            seen = Page(context.new_page(), url)

            def route(route: Any) -> None:
                if route.request.url == url:
                    route.continue_()
                else:
                    seen.refused.append(route.request.url)
                    route.abort("blockedbyclient")

            context.route("**/*", route)
            seen.page.on("request", lambda request: seen.requests.append(request.url))
            seen.page.on("console", lambda message: seen.errors.append(f"console {message.type}: {message.text}")
                         if message.type in ("error", "assert") else None)
            seen.page.on("pageerror", lambda error: seen.errors.append(f"page error: {error}"))
            seen.page.on("requestfailed", lambda request: seen.errors.append(f"request failed: {request.url}"))
            seen.page.goto(url, wait_until="load")
            yield seen
        finally:
            browser.close()


def figure(page: Page, name: str) -> float:
    value = page.evaluate(f"document.querySelector('[data-figure=\"{name}\"]').dataset.value")
    return float(value)


def test_the_dom_shows_the_same_totals_as_json(page: Page, rendered: tuple[Path, dict[str, Any]]) -> None:
    data = rendered[1]
    assert figure(page, "savings.yearly") == data["savings"]["yearly"] == 229_000
    assert figure(page, "savings.oneOff") == data["savings"]["oneOff"] == 400_000
    assert figure(page, "duplicates.yearly") == data["duplicates"]["yearly"]
    assert figure(page, "chargeback.monthly") == data["chargeback"]["monthlyTotal"]["total"] == 11_155
    assert figure(page, "departments") == data["departments"] == 3
    assert figure(page, "findings.errors") == data["findingsSummary"]["errors"]
    assert figure(page, "findings.warnings") == data["findingsSummary"]["warnings"]
    assert figure(page, "quota.over") == data["capacity"]["overQuota"] == 1
    for gauge in data["capacity"]["gauges"]:
        assert figure(page, f"capacity.{gauge['resource']}") == gauge["ratio"]
    rows = page.evaluate("Array.from(document.querySelectorAll('#department-table tbody tr'))"
                         ".map(r => [r.dataset.department, parseFloat(r.cells[7].dataset.v)])")
    assert {code: cost for code, cost in rows} == {
        d["code"]: d["billed"] for d in data["departmentTable"]}
    headline = page.evaluate("document.querySelector('[data-figure=\"savings.yearly\"]').textContent")
    assert headline == "≥ ¥22.9万/yr"     # a floor, in 万元


def test_chinese_names_and_charts_render(page: Page) -> None:
    assert "测试市" in page.evaluate("document.title")
    names = page.evaluate("Array.from(document.querySelectorAll('#department-table tbody tr td:nth-child(2)'))"
                          ".map(td => td.textContent)")
    assert sorted(names) == ["市公安局", "市水利局", "市统计局"]
    assert page.evaluate("document.querySelectorAll('#savings svg rect').length") == 5  # 4 items + duplicates
    assert page.evaluate("document.querySelectorAll('.gauge svg').length") == 6


CJK_FONT = re.compile(r"CJK|Han Sans|Han Serif|Hei|Song|Ming|Kai|WenQuanYi|Droid Sans Fallback|PingFang|YaHei",
                      re.IGNORECASE)


def test_chinese_is_drawn_with_a_chinese_font(page: Page) -> None:
    # Without a CJK font Chromium draws boxes (tofu); ask which platform font drew the name.
    session = page.page.context.new_cdp_session(page.page)
    try:
        session.send("DOM.enable")
        session.send("CSS.enable")
        root = session.send("DOM.getDocument")["root"]["nodeId"]
        cell = session.send("DOM.querySelector", {"nodeId": root,
                                                  "selector": "#department-table tbody tr td:nth-child(2)"})["nodeId"]
        fonts = [f["familyName"] for f in session.send("CSS.getPlatformFontsForNode", {"nodeId": cell})["fonts"]]
    finally:
        session.detach()
    assert any(CJK_FONT.search(name) for name in fonts), (
        f"Chinese text is drawn with {fonts}: install a CJK font (apt-get install fonts-noto-cjk)")


def test_the_department_table_sorts(page: Page) -> None:
    click = "document.querySelectorAll('#department-table th button')[7].click()"
    codes = "Array.from(document.querySelectorAll('#department-table tbody tr')).map(r => r.dataset.department)"
    page.evaluate(click)
    assert page.evaluate(codes) == ["tjj", "slj", "gaj"]   # monthly cost 2,000 < 2,060 < 7,095
    page.evaluate(click)
    assert page.evaluate(codes) == ["gaj", "slj", "tjj"]


def test_findings_link_to_their_rule_basis(page: Page) -> None:
    links = page.evaluate("Array.from(document.querySelectorAll('#findings-table a')).map(a => a.hash)")
    assert links, "the test city breaks rules, so the report lists findings"
    for anchor in set(links):
        assert page.evaluate(f"document.getElementById({anchor[1:]!r}) !== null")


def test_screenshot_is_not_blank(page: Page, rendered: tuple[Path, dict[str, Any]]) -> None:
    png = page.screenshot()
    shot = rendered[0].with_suffix(".png")
    shot.write_bytes(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000   # a blank page compresses to ~5 kB
    # The headline sits in the first screen: its box is inside the 1280×2000 viewport.
    box = page.evaluate("(() => { const r = document.querySelector('[data-figure=\"savings.yearly\"]')"
                        ".getBoundingClientRect(); return [r.top, r.bottom, r.width]; })()")
    assert 0 < box[0] < box[1] < 2000 and box[2] > 0


def test_no_console_error_and_no_network_request(page: Page) -> None:
    page.evaluate("1")  # a round trip: events that arrived before it are recorded
    assert page.errors == []
    assert page.refused == [] and page.requests == [page.url], page.requests
    resources = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert resources == []
