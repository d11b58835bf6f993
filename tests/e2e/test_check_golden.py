"""Golden files of every `govcloud check` format for two small cities.

Regenerate with `pytest tests/e2e/test_check_golden.py --update-golden` after an intended change.
"""
from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft4Validator, FormatChecker
from typer.testing import CliRunner

from govcloud.cli import app

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "check"
CITIES = {
    "mini": ["tests/data/mini"],
    "violations": ["tests/data/check", "--waivers", "tests/data/check/waivers.yaml"],
}
FORMATS = {"text": "txt", "json": "json", "sarif": "sarif", "junit": "xml"}


def _render(tmp_path: Path, city: str, fmt: str) -> tuple[int, str]:
    out = tmp_path / f"out.{FORMATS[fmt]}"
    old = os.getcwd()
    os.chdir(ROOT)  # golden files hold paths relative to the repository, never absolute ones
    try:
        result = CliRunner().invoke(app, ["check", *CITIES[city], "--today", "2026-06-01", "--format", fmt,
                                          "--output", str(out)], catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, out.read_text("utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("city", CITIES)
def test_golden(tmp_path: Path, city: str, fmt: str, update_golden: bool) -> None:
    code, text = _render(tmp_path, city, fmt)
    assert code == (0 if city == "mini" else 1)
    assert str(ROOT) not in text and not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text)
    golden = GOLDEN / f"{city}.{FORMATS[fmt]}"
    if update_golden:
        golden.write_text(text, "utf-8")
    assert golden.exists(), f"missing {golden.relative_to(ROOT)}; run pytest --update-golden"
    assert text == golden.read_text("utf-8")


def test_json_is_exactly_the_design_envelope(tmp_path: Path) -> None:
    _, text = _render(tmp_path, "violations", "json")
    data = json.loads(text)
    assert set(data) == {"findings", "summary"}
    assert set(data["summary"]) == {"errors", "warnings", "infos", "waived", "departments"}
    assert data["summary"] == {"errors": 1, "warnings": 10, "infos": 0, "waived": 2, "departments": 4}
    for f in data["findings"]:
        assert list(f) == ["rule", "severity", "department", "system", "file", "line", "column", "message",
                           "basis", "waived"]
    waived = [f for f in data["findings"] if f["waived"]]
    assert {(f["rule"], f["department"]) for f in waived} == {("GC-NET-001", "ybj"), ("GC-SEC-002", "xfj")}
    dup = [f for f in data["findings"] if f["rule"] == "GC-DUP-003"]
    assert {(f["department"], f["system"]) for f in dup} == {("slj", "river-monitoring"), ("xfj", "river-monitoring")}


# The official SARIF 2.1.0 schema (OASIS, errata 01), vendored unchanged: tests/data/sarif/README.md.
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json").read_text("utf-8"))
# The schema names the formats "uri" and "uri-reference"; jsonschema checks them only with an
# optional package, so they are checked here by RFC 3986's characters (and a scheme for "uri").
_URI_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
SARIF_FORMATS = FormatChecker()


@SARIF_FORMATS.checks("uri-reference")
def _uri_reference(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI_CHARS.fullmatch(value))


@SARIF_FORMATS.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or (bool(_URI_CHARS.fullmatch(value)) and bool(urlsplit(value).scheme))


def sarif_errors(log: object) -> list[str]:
    validator = Draft4Validator(SARIF_SCHEMA, format_checker=SARIF_FORMATS)
    return sorted(f"{e.json_path}: {e.message}" for e in validator.iter_errors(log))


@pytest.mark.parametrize("name", ["mini", "violations"])
def test_the_golden_sarif_logs_are_valid_by_the_official_schema(name: str) -> None:
    assert sarif_errors(json.loads((GOLDEN / f"{name}.sarif").read_text("utf-8"))) == []


def test_the_official_schema_refuses_what_sarif_does_not_allow(tmp_path: Path) -> None:
    _, text = _render(tmp_path, "violations", "sarif")
    log = json.loads(text)
    result = log["runs"][0]["results"][0]
    result["level"] = "fatal"
    result["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "blueprints/市水利局.yaml"
    found = sarif_errors(log)
    assert any("'fatal' is not one of" in e for e in found), found
    assert any("startLine" in e and "less than the minimum" in e for e in found), found
    assert any(".uri: " in e and "is not a 'uri-reference'" in e for e in found), found


def test_sarif_has_the_required_2_1_0_structure(tmp_path: Path) -> None:
    _, text = _render(tmp_path, "violations", "sarif")
    log = json.loads(text)
    assert sarif_errors(log) == []
    assert log["version"] == "2.1.0" and "sarif-2.1.0" in log["$schema"]
    run = log["runs"][0]
    # What a code-scanning upload needs beyond the schema: a located result, a relative path.
    for result in run["results"]:
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert not physical["artifactLocation"]["uri"].startswith(("/", "\\")), physical
        assert physical["region"]["startLine"] >= 1, physical
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    net = next(r for r in rules if r["id"] == "GC-NET-001")
    assert "佛山" in net["help"]["text"] and net["defaultConfiguration"]["level"] == "error"
    assert sum(1 for r in run["results"] if r.get("suppressions")) == 2


def test_junit_parses_with_one_case_per_department_and_rule(tmp_path: Path) -> None:
    _, text = _render(tmp_path, "violations", "junit")
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert {"gaj", "slj", "xfj", "ybj", "city"} <= set(suites)
    names = [c.get("name", "").split()[0] for c in suites["xfj"].findall("testcase")]
    assert len(names) == len(set(names)) and "GC-NET-001" in names and "GC-SEC-005" in names
    failed = {c.get("name", "").split()[0]: c for c in suites["xfj"].findall("testcase")
              if c.find("failure") is not None}
    assert set(failed) == {"GC-SEC-005"}
    skipped = [c for c in suites["ybj"].findall("testcase") if c.find("skipped") is not None]
    assert [c.get("name", "").split()[0] for c in skipped] == ["GC-NET-001"]
    assert int(root.get("failures", "0")) == 1
    assert int(root.get("tests", "0")) == sum(int(s.get("tests", "0")) for s in suites.values())
