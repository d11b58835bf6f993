"""Where findings point, what GC-DUP-003 says, and that compiled rule schemas agree with jsonschema."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from govcloud.api import validate
from govcloud.model import Finding
from govcloud.model.duplicates import duplicate_groups, system_yearly_cost
from govcloud.policy import check, load_policies
from govcloud.policy.declarative import bind
from govcloud.policy.predicate import compile_predicate, json_equal
from govcloud.policy.scope import static_scope
from govcloud.policy.template import OBJECT, substitute

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
MINI = ROOT / "tests" / "data" / "mini"
TODAY = date(2026, 6, 1)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def _only(city: Path, rule: str) -> tuple[Finding, str]:
    found = [f for f in check([str(city)], policies=POLICIES, today=TODAY).findings if f.rule == rule]
    assert len(found) == 1, found
    loc = found[0].location
    assert loc is not None
    line = Path(loc.file).read_text("utf-8").splitlines()[loc.line - 1]
    return found[0], line[loc.column - 1:]


def test_net_002_points_at_the_network_value(mini_city: Path) -> None:
    _edit(mini_city / "departments" / "gaj.yaml", "network: intranet", "network: extranet")
    finding, at = _only(mini_city, "GC-NET-002")
    assert at == "extranet" and (finding.department, finding.system) == ("gaj", "household-registry")
    assert finding.basis.startswith("佛山《实施智慧政务 提升行政水平》") and "政务内网(涉密网)" in finding.basis
    assert finding.hint


def test_sec_001_points_at_the_system_when_backup_is_absent(mini_city: Path) -> None:
    _edit(mini_city / "departments" / "slj.yaml", "      backup: {offsite: true, rpoMinutes: 60}\n", "")
    finding, at = _only(mini_city, "GC-SEC-001")
    assert at.startswith("name: river-monitoring") and "lacks backup settings" in finding.message


def test_sec_001_points_at_backup_when_offsite_is_left_out(mini_city: Path) -> None:
    _edit(mini_city / "departments" / "slj.yaml", "backup: {offsite: true, rpoMinutes: 60}", "backup: {rpoMinutes: 60}")
    _, at = _only(mini_city, "GC-SEC-001")
    assert at.startswith("backup:")


def test_sec_001_points_at_offsite_when_false(mini_city: Path) -> None:
    _edit(mini_city / "departments" / "slj.yaml", "offsite: true", "offsite: false")
    _, at = _only(mini_city, "GC-SEC-001")
    assert at.startswith("false")


def test_std_001_points_at_metadata_when_the_project_is_missing(mini_city: Path) -> None:
    _edit(mini_city / "departments" / "slj.yaml", "  project: FS-2026-IT-0101\n", "")
    finding, at = _only(mini_city, "GC-STD-001")
    assert at.startswith("metadata:") and finding.system is None and finding.department == "slj"


def test_std_001_points_at_the_project_number(mini_city: Path) -> None:
    _edit(mini_city / "departments" / "slj.yaml", "project: FS-2026-IT-0101", "project: FS-26-0101")
    finding, at = _only(mini_city, "GC-STD-001")
    assert at == "FS-26-0101" and "'FS-26-0101' does not match" in finding.message


def test_cap_002_is_a_city_finding(mini_city: Path) -> None:
    _edit(mini_city / "city.yaml", "capacity: {vcpu: 8000,", "capacity: {vcpu: 10,")
    finding, at = _only(mini_city, "GC-CAP-002")
    assert finding.department is None and finding.system is None and at.startswith("10,")
    assert "24 vCPU in total, above the data centre's capacity of 10 (240%)" in finding.message


def test_dup_003_names_every_department_and_the_saving(mini_city: Path) -> None:
    _edit(mini_city / "departments" / "slj.yaml", "function: river-monitoring", "function: household-registry")
    result = check([str(mini_city)], policies=POLICIES, today=TODAY)
    found = [f for f in result.findings if f.rule == "GC-DUP-003"]
    assert sorted((f.department, f.system) for f in found) == [
        ("gaj", "household-registry"), ("slj", "river-monitoring")]
    project = validate([str(mini_city)]).project
    assert project is not None
    costs = sorted(system_yearly_cost(project.city, s) for d in project.departments for s in d.systems)
    # slj: 8 vCPU, 32 GiB, 200 + 400 + 500 GiB → (480 + 480 + 440) × 12 = 16,800 a year (the smaller one)
    assert costs[0] == 16_800
    for f in found:
        assert f.message == ("function 'household-registry' is built by 2 departments (gaj, slj); "
                             "building it once would save about ¥1.68万 a year (govcloud's estimate: "
                             "all but the largest system at the price book)")
    (group,) = result.duplicates
    assert group.departments == ("gaj", "slj") and group.yearly_saving == 16_800


def test_duplicate_groups_keep_the_largest_instance() -> None:
    project = validate([str(MINI)]).project
    assert project is not None
    assert duplicate_groups(project.city, project.departments) == ()
    gaj, slj = project.department("gaj"), project.department("slj")
    assert gaj is not None and slj is not None
    from dataclasses import replace
    slj2 = replace(slj, systems=tuple(replace(s, function="household-registry") for s in slj.systems))
    (group,) = duplicate_groups(project.city, [gaj, slj2, replace(slj2, code="sthjj")])
    big, small = system_yearly_cost(project.city, gaj.systems[0]), system_yearly_cost(project.city, slj.systems[0])
    assert big > small and group.yearly_saving == 2 * small  # (n − 1) instances retired, the largest kept
    assert group.departments == ("gaj", "slj", "sthjj")
    assert duplicate_groups(project.city, [gaj, slj2], exclude={"household-registry"}) == ()


# ---- compiled predicates must agree with jsonschema on every shipped rule schema ----

def _bound_schemas() -> list[Any]:
    policies = load_policies(POLICIES)
    project = validate([str(MINI)]).project
    assert project is not None
    scope = static_scope(project.city, policies.data, TODAY)
    schemas: list[Any] = []
    for rule in policies.rules:
        if rule.kind == "declarative":
            for b in bind(rule, scope):
                schemas.append(b.require_schema)
                schemas.extend(substitute(s, scope) for s in rule.select.values())
                schemas.extend(substitute(s, scope) for s in rule.exempt.values())
    return schemas


SCHEMAS = _bound_schemas()
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 400), st.floats(-3, 400, allow_nan=False),
                    st.sampled_from(["intranet", "extranet", "dedicated", "oa", "kylin-v10-server", "dm8",
                                     "centos-7-server", "slj", "slj.foshan.gov.cn", "FS-2026-IT-0001", "interaction",
                                     "information-release", "politics-law", "general", ""]))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["network", "classified", "mlps", "publicEndpoint", "function", "encryption",
                                     "backup", "offsite", "compute", "count", "image", "database", "engine",
                                     "auditLogDays", "spec", "site", "host", "columns", "ipv6", "metadata",
                                     "project", "category", "code", "oa"]), inner, max_size=6)), max_leaves=20)
SCOPE = {"department": {"metadata": {"code": "slj"}}, "system": {"name": "x"}}


PAIRS = [(compile_predicate(s), Draft202012Validator(substitute(s, SCOPE, OBJECT)), s) for s in SCHEMAS]


@settings(max_examples=150, deadline=None)
@given(JSON)
def test_compiled_rule_schemas_agree_with_jsonschema(instance: Any) -> None:
    for predicate, validator, schema in PAIRS:
        assert predicate(instance, SCOPE) is validator.is_valid(instance), (schema, instance)


@settings(max_examples=100, deadline=None)
@given(JSON, JSON)
def test_json_equality_matches_jsonschema_const(a: Any, b: Any) -> None:
    assert json_equal(a, b) is Draft202012Validator({"const": b}).is_valid(a)
