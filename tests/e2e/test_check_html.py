"""`govcloud check --format html` renders the report's findings page for the same findings."""
from __future__ import annotations

import html
import json
from pathlib import Path

from typer.testing import CliRunner

from govcloud.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
# Expiries in policies/data (approved products, waivers) are judged as of this day, not the real one.
TODAY = "2026-06-01"


def test_check_html_shows_every_finding_of_the_json(tmp_path: Path) -> None:
    target = tmp_path / "findings.html"
    blueprints = str(ROOT / "blueprints")
    as_json = runner.invoke(app, ["check", blueprints, "-f", "json", "--today", TODAY], catch_exceptions=False)
    as_html = runner.invoke(app, ["check", blueprints, "-f", "html", "-o", str(target),
                                       "--today", TODAY], catch_exceptions=False)
    assert as_json.exit_code == as_html.exit_code == 1
    page = html.unescape(target.read_text("utf-8"))
    findings = json.loads(as_json.stdout)["findings"]
    assert findings
    for finding in findings:
        assert finding["rule"] in page
        assert finding["message"] in page
    assert "<script src=" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_check_html_on_a_clean_city_says_so(tmp_path: Path) -> None:
    target = tmp_path / "findings.html"
    result = runner.invoke(app, ["check", str(ROOT / "tests" / "data" / "mini"), "-f", "html", "-o", str(target),
                                         "--today", TODAY],
                           catch_exceptions=False)
    assert result.exit_code == 0
    assert "GC-" not in target.read_text("utf-8").split("<body", 1)[1].replace("GC-SCHEMA", "")
