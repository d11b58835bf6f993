"""Policy packs as reviewers write them: a YAML rule needs no Python; a broken pack is located bad input."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from govcloud.policy import check, load_policies

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
TODAY = date(2026, 6, 1)

CUSTOM = """\
apiVersion: govcloud/v1
kind: PolicyPack
metadata: {name: custom, title: 佛山市本地规则}
rules:
  - id: FS-OBJ-001
    severity: warning
    title: Buckets stay under the city's per-system limit
    basis: 佛山市政务云对象存储管理办法（示例）第五条
    hint: archive old objects or ask for an exception
    resource: system
    params: {maxGiB: 600}
    select:
      system: {required: [objectStorageGiB]}
    require:
      properties:
        objectStorageGiB: {maximum: "${params.maxGiB}"}
    message: "system '${system.name}' of ${department.metadata.code} stores ${value} GiB, above ${params.maxGiB}"
"""


def _policies(tmp_path: Path, *packs: str, data: bool = True) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    if data:
        shutil.copytree(POLICIES / "data", folder / "data")
    for i, text in enumerate(packs):
        (folder / f"pack{i}.yaml").write_text(text, "utf-8")
    return folder


def test_a_custom_rule_written_in_yaml_fires(mini_city: Path, tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES, folder)
    (folder / "custom.yaml").write_text(CUSTOM, "utf-8")
    result = check([str(mini_city)], policies=folder, today=TODAY)
    (finding,) = result.findings
    assert finding.rule == "FS-OBJ-001" and finding.severity.value == "warning"
    assert finding.message == "system 'household-registry' of gaj stores 1000 GiB, above 600"
    assert finding.department == "gaj" and finding.system == "household-registry"
    assert finding.basis.startswith("佛山市政务云对象存储管理办法")
    text = (mini_city / "departments" / "gaj.yaml").read_text("utf-8").splitlines()
    assert finding.location is not None and text[finding.location.line - 1].strip() == "objectStorageGiB: 1000"
    assert result.exit_code == 0 and check([str(mini_city)], policies=folder, today=TODAY,
                                           fail_on="warning").exit_code == 1


RULE = """\
apiVersion: govcloud/v1
kind: PolicyPack
metadata: {{name: broken}}
rules:
  - id: GC-TEST-001
    severity: {severity}
    title: test
    basis: test basis
{body}"""
DECLARATIVE = "    resource: system\n    require: {properties: {mlps: {maximum: 4}}}\n    message: too high\n"


@pytest.mark.parametrize(("severity", "body", "message", "hint"), [
    ("error", DECLARATIVE.replace("require:", "requre:"), "unknown key 'requre' in rules[0]",
     "did you mean 'require'?"),
    ("fatal", DECLARATIVE, "rules[0].severity must be one of error, warning, info", ""),
    ("error", DECLARATIVE.replace("    message: too high\n", ""), "missing required key 'message' in rules[0]", ""),
    ("error", "    check: duplicate-functions\n", "unknown built-in check 'duplicate-functions'",
     "did you mean 'duplicate-function'?"),
    ("error", "    check: duplicate-function\n    params: {minDepartments: 1}\n", "params: minDepartments", ""),
    ("error", "    check: duplicate-function\n" + DECLARATIVE, "a built-in rule (with 'check') takes only params", ""),
    ("error", DECLARATIVE.replace("too high", "${cty.spec.domain}"), "unknown namespace 'cty'", ""),
])
def test_a_broken_pack_is_reported_where_it_is_broken(tmp_path: Path, severity: str, body: str, message: str,
                                                      hint: str) -> None:
    folder = _policies(tmp_path, RULE.format(severity=severity, body=body))
    (problem,) = load_policies(folder).problems
    assert problem.rule == "GC-POLICY" and message in problem.message, problem.message
    assert problem.location is not None and problem.location.file.endswith("pack0.yaml")
    assert problem.location.line >= 5 and (not hint or problem.hint == hint)


def test_duplicate_rule_ids_across_packs(tmp_path: Path) -> None:
    pack = RULE.format(severity="error", body=DECLARATIVE)
    (problem,) = load_policies(_policies(tmp_path, pack, pack)).problems
    assert "rule id GC-TEST-001 is already defined at" in problem.message


@pytest.mark.parametrize(("body", "message"), [
    (DECLARATIVE.replace("maximum: 4", "maximum: '${city.spec.nope}'"), "${city.spec.nope} has no value"),
    (DECLARATIVE.replace("maximum: 4", "type: strnig"), "not a valid JSON Schema"),
])
def test_a_rule_that_cannot_be_bound_stops_the_check(mini_city: Path, tmp_path: Path, body: str,
                                                     message: str) -> None:
    folder = _policies(tmp_path, RULE.format(severity="error", body=body))
    result = check([str(mini_city)], policies=folder, today=TODAY)
    assert result.exit_code == 2
    (problem,) = result.findings
    assert problem.rule == "GC-POLICY" and message in problem.message and problem.location is not None


def test_a_malformed_data_file_is_bad_input(mini_city: Path, tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES, folder)
    products = folder / "data" / "approved-products.yaml"
    products.write_text(products.read_text("utf-8").replace("    expires: 2027-12-30\n", "", 1), "utf-8")
    result = check([str(mini_city)], policies=folder, today=TODAY)
    assert result.exit_code == 2
    assert [(f.rule, f.location.file.endswith("approved-products.yaml")) for f in result.findings  # type: ignore
            ] == [("GC-POLICY", True)]


def test_a_folder_without_packs_is_bad_input(mini_city: Path, tmp_path: Path) -> None:
    result = check([str(mini_city)], policies=_policies(tmp_path, data=False), today=TODAY)
    assert result.exit_code == 2 and "no policy pack" in result.findings[0].message
