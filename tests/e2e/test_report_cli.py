"""`govcloud report` as a user runs it: formats, output files, bad input."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli.app import app
from tests.conftest import DATA, ROOT

pytestmark = pytest.mark.e2e

CITY = DATA / "consolidation"
COMMON = ["--policies", str(ROOT / "policies"), "--today", "2026-05-01"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["report", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_json_carries_the_figures_and_the_check_findings() -> None:
    code, out, _ = run(str(CITY), *COMMON, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["generated"] == "2026-05-01"
    assert (data["savings"]["yearly"], data["savings"]["oneOff"]) == (229_000, 400_000)
    assert data["chargeback"]["monthlyTotal"]["total"] == 11_155
    rules = {f["rule"] for f in data["findings"]}
    # gaj's site lacks columns, slj exceeds its vCPU quota, both build permit-registry.
    assert {"GC-CAP-001", "GC-DUP-003"} <= rules
    (group,) = data["duplicates"]["groups"]
    assert (group["function"], group["yearlySaving"]) == ("permit-registry", 3660)
    assert data["findingsSummary"]["errors"] >= 1


def test_policy_errors_do_not_fail_a_report() -> None:
    code, out, _ = run(str(CITY), *COMMON)
    assert code == 0
    assert "≥ ¥22.9万/yr" in out and "市水利局" in out and "Capacity" in out


def test_html_output_creates_its_folder_and_says_where(tmp_path: Path) -> None:
    target = tmp_path / ".govcloud" / "report.html"
    code, out, err = run(str(CITY), *COMMON, "--output", str(target))
    assert code == 0 and out == ""
    assert f"wrote {target}" in err
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "测试市政务云" in page


def test_the_format_follows_the_output_extension(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    assert run(str(CITY), *COMMON, "--output", str(target))[0] == 0
    assert json.loads(target.read_text(encoding="utf-8"))["departments"] == 3
    text = tmp_path / "report.txt"
    assert run(str(CITY), *COMMON, "--output", str(text))[0] == 0
    content = text.read_text(encoding="utf-8")
    assert "Savings against every department building its own" in content and "\x1b[" not in content


def test_invalid_blueprints_exit_2_with_one_line(tmp_path: Path) -> None:
    city = tmp_path / "city"
    shutil.copytree(CITY, city)
    bad = city / "departments" / "slj.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("network: extranet", "network: lan", 1), encoding="utf-8")
    code, out, err = run(str(city), *COMMON)
    assert code == 2 and out == ""
    assert "slj.yaml:" in err and "GC-SCHEMA" in err and "Traceback" not in err


def test_a_bad_today_is_a_usage_error() -> None:
    code, _, err = run(str(CITY), "--today", "yesterday")
    assert code == 2 and "--today 'yesterday' is not a date" in err


def test_the_example_city_report_keeps_requests_apart_and_groups_by_district() -> None:
    code, out, _ = run(str(ROOT / "blueprints"), "--policies", str(ROOT / "policies"), "--today", "2026-06-01",
                       "--format", "json")
    assert code == 0
    data = json.loads(out)
    savings = data["savings"]
    assert savings["underReview"]["departments"] == ["nhzsj", "rfb", "sws", "xfj", "ybj"]
    assert savings["floor"] is True and savings["shown"]["yearly"].startswith("≥ ¥")
    assert savings["shown"]["yearly"].endswith("万/yr")
    oa = next(line for line in savings["lines"] if line["item"] == "oa")
    assert (oa["count"], oa["pending"]) == (32, 3)          # approved departments on the OA; requests apart
    assert data["chargeback"]["funding"]["oa"] == data["chargeback"]["funding"]["site"] == "city"
    rows = {row["code"]: row for row in data["departmentTable"]}
    assert rows["gaj"]["billed"] + rows["gaj"]["allocated"] == rows["gaj"]["monthlyCost"]
    assert rows["nhzsj"]["level"] == "district" and rows["ybj"]["underReview"]
    assert [d["district"] for d in data["districts"]] == [None, "nanhia"]
    # sws joins the document exchange without an OA tenant (a membership of its own)
    assert data["capacity"]["members"] == {"oa": 35, "document-exchange": 34, "site": 35}
