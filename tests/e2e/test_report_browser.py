"""The HTML report in a real browser: headless Chromium opens it from disk, offline.

Chromium is driven over its DevTools protocol on a pipe (`--remote-debugging-pipe`: fd 3
carries commands in, fd 4 carries replies and events out, each JSON message ends in NUL),
so the test needs no port, no websocket library and sees every console message, exception
and network request of the page.
"""
from __future__ import annotations

import base64
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govcloud.cli.app import app
from tests.conftest import DATA, ROOT

CHROMIUM = "/usr/bin/chromium"
CITY = DATA / "consolidation"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="headless Chromium is not installed at /usr/bin/chromium "
                       "(apt-get install chromium)"),
]


class Chromium:
    """A headless Chromium and one page, spoken to over the DevTools pipe."""

    def __init__(self, profile: Path) -> None:
        commands_r, self._commands_w = os.pipe()
        self._replies_r, replies_w = os.pipe()

        def wire_fds() -> None:  # the child's fd 3 reads our commands, fd 4 writes its replies
            a, b = os.dup(commands_r), os.dup(replies_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-first-run",
             "--no-default-browser-check", "--mute-audio", f"--user-data-dir={profile}",
             "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds, close_fds=False,
        )
        os.close(commands_r)
        os.close(replies_w)
        self._next = 0
        self._messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.session = ""

    def _read(self) -> None:
        buffer = b""
        with os.fdopen(self._replies_r, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for message in messages:
                    self._messages.put(json.loads(message))

    def send(self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False,
             timeout: float = 20.0) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if not browser:
            message["sessionId"] = self.session
        os.write(self._commands_w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._messages.get(timeout=max(0.1, deadline - time.monotonic()))
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]  # type: ignore[no-any-return]
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 20.0) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            event = self._messages.get(timeout=max(0.1, deadline - time.monotonic()))
            self.events.append(event)
            if event.get("method") == method:
                return event

    def open(self, url: str, width: int = 1280, height: int = 2000) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, browser=True)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 browser=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        return base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])

    def close(self) -> None:
        try:
            self.send("Browser.close", browser=True, timeout=5)
        except (RuntimeError, queue.Empty, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands_w)


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
def page(rendered: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    browser = Chromium(profile)
    try:
        browser.open(rendered[0].as_uri())
        yield browser
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)   # a profile is tens of MB


def figure(page: Chromium, name: str) -> float:
    value = page.evaluate(f"document.querySelector('[data-figure=\"{name}\"]').dataset.value")
    return float(value)


def test_the_dom_shows_the_same_totals_as_json(page: Chromium, rendered: tuple[Path, dict[str, Any]]) -> None:
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


def test_chinese_names_and_charts_render(page: Chromium) -> None:
    assert "测试市" in page.evaluate("document.title")
    names = page.evaluate("Array.from(document.querySelectorAll('#department-table tbody tr td:nth-child(2)'))"
                          ".map(td => td.textContent)")
    assert sorted(names) == ["市公安局", "市水利局", "市统计局"]
    assert page.evaluate("document.querySelectorAll('#savings svg rect').length") == 5  # 4 items + duplicates
    assert page.evaluate("document.querySelectorAll('.gauge svg').length") == 6


CJK_FONT = re.compile(r"CJK|Han Sans|Han Serif|Hei|Song|Ming|Kai|WenQuanYi|Droid Sans Fallback|PingFang|YaHei", re.IGNORECASE)


def test_chinese_is_drawn_with_a_chinese_font(page: Chromium) -> None:
    # Without a CJK font Chromium draws boxes (tofu); ask which platform font drew the name.
    page.send("DOM.enable")
    page.send("CSS.enable")
    root = page.send("DOM.getDocument")["root"]["nodeId"]
    cell = page.send("DOM.querySelector", {"nodeId": root,
                                           "selector": "#department-table tbody tr td:nth-child(2)"})["nodeId"]
    fonts = [f["familyName"] for f in page.send("CSS.getPlatformFontsForNode", {"nodeId": cell})["fonts"]]
    assert any(CJK_FONT.search(name) for name in fonts), (
        f"Chinese text is drawn with {fonts}: install a CJK font (apt-get install fonts-noto-cjk)")


def test_the_department_table_sorts(page: Chromium) -> None:
    click = "document.querySelectorAll('#department-table th button')[7].click()"
    codes = "Array.from(document.querySelectorAll('#department-table tbody tr')).map(r => r.dataset.department)"
    page.evaluate(click)
    assert page.evaluate(codes) == ["tjj", "slj", "gaj"]   # monthly cost 2,000 < 2,060 < 7,095
    page.evaluate(click)
    assert page.evaluate(codes) == ["gaj", "slj", "tjj"]


def test_findings_link_to_their_rule_basis(page: Chromium) -> None:
    links = page.evaluate("Array.from(document.querySelectorAll('#findings-table a')).map(a => a.hash)")
    assert links, "the test city breaks rules, so the report lists findings"
    for anchor in set(links):
        assert page.evaluate(f"document.getElementById({anchor[1:]!r}) !== null")


def test_screenshot_is_not_blank(page: Chromium, rendered: tuple[Path, dict[str, Any]]) -> None:
    png = page.screenshot()
    shot = rendered[0].with_suffix(".png")
    shot.write_bytes(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000   # a blank page compresses to ~5 kB
    # The headline sits in the first screen: its box is inside the 1280×2000 viewport.
    box = page.evaluate("(() => { const r = document.querySelector('[data-figure=\"savings.yearly\"]')"
                        ".getBoundingClientRect(); return [r.top, r.bottom, r.width]; })()")
    assert 0 < box[0] < box[1] < 2000 and box[2] > 0


def test_no_console_error_and_no_network_request(page: Chromium) -> None:
    page.evaluate("1")  # flush: events that arrived since the last command are collected
    errors = [e for e in page.events
              if e.get("method") == "Runtime.exceptionThrown"
              or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
              or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
    assert errors == []
    requests = [e["params"]["request"]["url"] for e in page.events if e.get("method") == "Network.requestWillBeSent"]
    assert all(url.startswith("file://") for url in requests), requests
    resources = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert resources == []
