"""A pack's rules prove themselves when it is read: a rule whose failing example does not fire
(a misspelt property checks nothing) or whose passing example fires is a GC-POLICY error."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli import app
from govcloud.policy import load_policies, selfcheck

ROOT = Path(__file__).resolve().parents[2]

PACK = """\
apiVersion: govcloud/v1
kind: PolicyPack
metadata:
  name: custom
  title: Custom rules
  description: A city's own rule.
rules:
  - id: GC-CUSTOM-001
    severity: error
    title: Level 3 systems encrypt their data
    basis: city policy
    resource: system
    select:
      system:
        properties:
          mlps: {minimum: 3}
    require:
      properties:
        encryption: {const: true}
    message: "system '${system.name}' is not encrypted"
    examples:
      fail: |
        spec:
          systems:
            - {name: river-monitoring, function: river-monitoring, network: extranet, mlps: 3, encryption: false}
      pass: |
        spec:
          systems:
            - {name: river-monitoring, function: river-monitoring, network: extranet, mlps: 3, encryption: true}
"""


def _project(pack: str, mini_city: Path) -> Path:
    (mini_city.parent / "policies").mkdir()
    (mini_city.parent / "policies" / "custom.yaml").write_text(pack, "utf-8")
    return mini_city.parent


def test_a_sound_rule_loads(mini_city: Path) -> None:
    project = _project(PACK, mini_city)
    assert load_policies(project / "policies").problems == ()


def test_a_misspelt_property_is_an_error_at_the_rule(mini_city: Path) -> None:
    project = _project(PACK.replace("        encryption: {const: true}", "        encrypton: {const: true}"),
                       mini_city)
    [found] = load_policies(project / "policies").problems
    assert found.location is not None and (found.location.line, found.location.column) == (8, 5)
    assert found.rule == "GC-POLICY"
    assert found.message == "GC-CUSTOM-001: its failing example does not make the rule fire"
    assert "misspelt property" in found.hint


def test_a_passing_example_that_fires_is_an_error(mini_city: Path) -> None:
    project = _project(PACK.replace("mlps: 3, encryption: true}", "mlps: 3, encryption: false}"), mini_city)
    [found] = load_policies(project / "policies").problems
    assert found.message == "GC-CUSTOM-001: its passing example makes the rule fire"


def test_check_exits_2_with_one_located_line(mini_city: Path) -> None:
    project = _project(PACK.replace("        encryption: {const: true}", "        encrypton: {const: true}"),
                       mini_city)
    old = Path.cwd()
    try:
        os.chdir(project)
        result = CliRunner().invoke(app, ["policy", "list"], catch_exceptions=False)
    finally:
        os.chdir(old)
    assert result.exit_code == 2
    assert result.stderr.startswith("policies/custom.yaml:8:5: GC-POLICY GC-CUSTOM-001: its failing example")


def test_the_verdict_is_kept_by_content_and_reused(mini_city: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCLOUD_CACHE_DIR", str(tmp_path / "cache"))
    project = _project(PACK, mini_city)
    load_policies(project / "policies")
    kept = list((tmp_path / "cache" / "examples").iterdir())
    assert len(kept) == 1 and not (project / ".govcloud").exists()
    # the same content in another folder of the project: judged from the kept verdict, not run again
    (project / "policies2").mkdir()
    (project / "policies2" / "custom.yaml").write_text(PACK, "utf-8")

    def run_again(*args: object) -> dict[str, list[str]]:
        raise AssertionError("the examples ran again")

    monkeypatch.setattr(selfcheck, "_verdicts", run_again)
    assert load_policies(project / "policies2").problems == ()


def test_every_shipped_rule_passes_its_own_examples() -> None:
    assert [f.line() for f in load_policies(ROOT / "policies").problems] == []
