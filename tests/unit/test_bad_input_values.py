"""Values the sandbox would accept and the real cloud (or the engine) would not: each is
stopped by `validate`, at the exact line and column of the field to change."""
from __future__ import annotations

from pathlib import Path

import pytest

from govcloud import validate
from govcloud.load.located import MAX_NUMBER

MINI = Path(__file__).resolve().parents[1] / "data" / "mini"
SLJ = (MINI / "departments" / "slj.yaml").read_text("utf-8")
CITY = (MINI / "city.yaml").read_text("utf-8")

Found = tuple[str, int, int, str]


def _project(tmp_path: Path, dept: str = SLJ, city: str = CITY, name: str = "slj.yaml") -> Path:
    (tmp_path / "departments").mkdir(exist_ok=True)
    (tmp_path / "city.yaml").write_text(city, "utf-8")
    (tmp_path / "departments" / name).write_text(dept, "utf-8")
    return tmp_path


def _findings(tmp_path: Path, dept: str = SLJ, city: str = CITY, name: str = "slj.yaml") -> list[Found]:
    result = validate([str(_project(tmp_path, dept, city, name))])
    assert result.exit_code == 2
    assert result.project is None or result.departments == 0 or not result.ok
    return [(f.rule, f.location.line, f.location.column, f.message) for f in result.findings if f.location]


def _one(tmp_path: Path, dept: str = SLJ, city: str = CITY, name: str = "slj.yaml") -> Found:
    found = _findings(tmp_path, dept, city, name)
    assert len(found) == 1, found
    return found[0]


def test_the_unchanged_blueprints_are_valid(tmp_path: Path) -> None:
    result = validate([str(_project(tmp_path))])
    assert result.exit_code == 0 and result.departments == 1, result.findings


# (case, text substituted in the department, line, column, message part)
DEPARTMENT_CASES = [
    ("code-trailing-newline", ("  code: slj\n", '  code: "slj\\n"\n'), 4, 9, "does not match the pattern"),
    ("system-trailing-newline", ("    - name: river-monitoring\n", '    - name: "river-monitoring\\n"\n'), 18, 13,
     "does not match the pattern"),
    ("system-trailing-hyphen", ("    - name: river-monitoring\n", "    - name: river-monitoring-\n"), 18, 13,
     "does not match the pattern"),
    ("system-double-hyphen", ("    - name: river-monitoring\n", "    - name: river--ol-s3\n"), 18, 13,
     "does not match the pattern"),
    ("system-s3alias", ("    - name: river-monitoring\n", "    - name: river-s3alias\n"), 18, 13,
     "must not end with '-s3alias'"),
    ("project-trailing-newline", ("  project: FS-2026-IT-0101\n", '  project: "FS-2026-IT-0101\\n"\n'), 7, 12,
     "may hold only letters, digits, spaces and _.:/=+-@ (it becomes the gov:project tag)"),
    ("project-not-a-tag", ("FS-2026-IT-0101", "佛府〔2026〕12号"), 7, 12, "(it becomes the gov:project tag)"),
    ("count-float", ("{role: app, count: 2,", "{role: app, count: 2.0,"), 24, 30, "must be an integer, not number 2.0"),
    ("mlps-float", ("      mlps: 2\n", "      mlps: 2.0\n"), 22, 13, "must be an integer, not number 2.0"),
    ("headcount-bool", ("  headcount: 180\n", "  headcount: true\n"), 8, 14, "must be an integer, not boolean"),
    ("quota-nan", ("storageTiB: 10}", "storageTiB: .nan}"), 10, 49, "'.nan' is not a finite number"),
    ("quota-inf", ("storageTiB: 10}", "storageTiB: .inf}"), 10, 49, "'.inf' is not a finite number"),
    ("quota-huge-float", ("storageTiB: 10}", "storageTiB: 1.0e+400}"), 10, 49, "not a finite number"),
    ("headcount-huge", ("  headcount: 180\n", "  headcount: " + "9" * 5000 + "\n"), 8, 14, "is too large"),
    ("headcount-over-2^53", ("  headcount: 180\n", f"  headcount: {MAX_NUMBER + 1}\n"), 8, 14, "is too large"),
    ("headcount-hex-huge", ("  headcount: 180\n", "  headcount: 0x" + "f" * 20 + "\n"), 8, 14, "is too large"),
    ("host-too-long", ("    host: slj.foshan.gov.cn\n", "    host: " + "a" * 51 + ".foshan.gov.cn\n"), 13, 11,
     "must be at most 64 characters"),
    ("title-too-long", ("      title: 河道水情监测系统\n", "      title: " + "河" * 65 + "\n"), 19, 14,
     "must be at most 64 characters"),
    ("reserved-code", ("  code: slj\n", "  code: city\n"), 4, 9, "reserved for the city's own resources"),
    ("reserved-former-code", ("  code: slj\n", "  code: slj\n  formerCode: city\n"), 5, 15,
     "formerCode 'city' is reserved"),
    ("database-volume-too-big", ("storageGiB: 200, replicas", "storageGiB: 70000, replicas"), 25, 43, "≤ 65536"),
]


@pytest.mark.parametrize("case,change,line,column,message", DEPARTMENT_CASES, ids=[c[0] for c in DEPARTMENT_CASES])
def test_a_bad_department_value_is_stopped_at_its_field(tmp_path: Path, case: str, change: tuple[str, str],
                                                        line: int, column: int, message: str) -> None:
    assert change[0] in SLJ, case
    name = "city.yaml" if case == "reserved-code" else "slj.yaml"  # so only the reserved code is wrong
    (tmp_path / "departments").mkdir()
    rule, got_line, got_column, got_message = _one(tmp_path, SLJ.replace(change[0], change[1], 1), name=name) \
        if name == "slj.yaml" else _one_in(tmp_path, SLJ.replace(change[0], change[1], 1))
    assert (rule, got_line, got_column) == ("GC-SCHEMA", line, column), got_message
    assert message in got_message


def _one_in(tmp_path: Path, dept: str) -> Found:
    """A department in a file outside departments/, where its file name need not be its code."""
    (tmp_path / "city.yaml").write_text(CITY, "utf-8")
    (tmp_path / "dept.yaml").write_text(dept, "utf-8")
    result = validate([str(tmp_path)])
    assert result.exit_code == 2
    [finding] = result.findings
    assert finding.location is not None
    return finding.rule, finding.location.line, finding.location.column, finding.message


CITY_CASES = [
    ("cidr-host-bits", ("extranet: {cidr: 10.16.0.0/12}", "extranet: {cidr: 10.16.0.1/12}"), 7, 22,
     "has host bits set"),
    ("cidr-overlap", ("intranet: {cidr: 10.64.0.0/12}", "intranet: {cidr: 10.20.0.0/16}"), 8, 22,
     "overlaps the extranet (10.16.0.0/12)"),
    ("internet-zone-overlap", ("internetZone: {cidr: 10.96.0.0/16}", "internetZone: {cidr: 10.64.0.0/16}"), 9, 26,
     "overlaps the intranet"),
    ("no-internet-zone", ("    internetZone: {cidr: 10.96.0.0/16}\n", ""), 7, 5,
     "missing required key 'internetZone' in spec.networks"),
    ("cidr-too-small", ("extranet: {cidr: 10.16.0.0/12}", "extranet: {cidr: 10.16.0.0/20}"), 7, 22, "is too small"),
    ("cidr-full-width", ("extranet: {cidr: 10.16.0.0/12}", "extranet: {cidr: 1０.16.0.0/12}"), 7, 22,
     "does not match the pattern"),
    ("pattern-alternation-bomb", (r"'^FS-\d{4}-IT-\d{4}$'", "'^(a|a)*$'"), 11, 19, "exponential time"),
    ("pattern-nested-quantifier", (r"'^FS-\d{4}-IT-\d{4}$'", "'^(F[A-Z]+)+$'"), 11, 19, "exponential time"),
    ("pattern-backreference", (r"'^FS-\d{4}-IT-\d{4}$'", r"'^(FS)-\1$'"), 11, 19, "backreferences"),
    ("pattern-invalid", (r"'^FS-\d{4}-IT-\d{4}$'", "'^FS-(\\d{4}'"), 11, 19, "not a valid regular expression"),
    ("domain-too-long", ("  domain: foshan.gov.cn\n", "  domain: " + "a" * 199 + ".gov.cn\n"), 5, 11,
     "must be at most 60 characters"),
    ("domain-label-too-long", ("  domain: foshan.gov.cn\n", "  domain: " + "a" * 64 + ".gov.cn\n"), 5, 11,
     "must be at most 60 characters"),
    ("city-name-sthree", ("name: foshan,", "name: sthree,"), 3, 18, "must not start with 'sthree-'"),
    ("city-name-sg", ("name: foshan,", "name: sg,"), 3, 18, "must not start with 'sg-'"),
    ("city-name-internal", ("name: foshan,", "name: internal,"), 3, 18, "must not start with 'internal-'"),
    ("city-name-trailing-hyphen", ("name: foshan,", "name: foshan-,"), 3, 18, "does not match the pattern"),
    ("city-title-too-long", ("title: 佛山市}", "title: " + "佛" * 61 + "}"), 3, 33, "must be at most 60 characters"),
    ("mlps-float", ("    mlps: 3\n", "    mlps: 3.0\n"), 15, 11, "must be an integer, not number 3.0"),
    ("capacity-nan", ("capacity: {vcpu: 8000,", "capacity: {vcpu: .NaN,"), 16, 22, "not a finite number"),
]


@pytest.mark.parametrize("case,change,line,column,message", CITY_CASES, ids=[c[0] for c in CITY_CASES])
def test_a_bad_city_value_is_stopped_at_its_field(tmp_path: Path, case: str, change: tuple[str, str],
                                                  line: int, column: int, message: str) -> None:
    assert change[0] in CITY, case
    rule, got_line, got_column, got_message = _one(tmp_path, city=CITY.replace(change[0], change[1], 1))
    assert (rule, got_line, got_column) == ("GC-SCHEMA", line, column), got_message
    assert message in got_message


@pytest.mark.timeout(120)  # evaluating the pattern on that input would take ~2^40 steps: a hang fails
def test_an_unsafe_project_pattern_is_refused_fast_and_never_evaluated(tmp_path: Path) -> None:
    city = CITY.replace(r"'^FS-\d{4}-IT-\d{4}$'", "'^(a|a)*$'")
    dept = SLJ.replace("FS-2026-IT-0101", "a" * 40 + "-")
    result = validate([str(_project(tmp_path, dept, city))])
    assert result.project is None  # so `check` never runs the pattern
    assert [(f.rule, f.location.line) for f in result.findings if f.location] == [("GC-SCHEMA", 11)]


def test_a_department_file_is_named_after_its_code(tmp_path: Path) -> None:
    rule, line, column, message = _one(tmp_path, name="water.yaml")
    assert (rule, line, column) == ("GC-SCHEMA", 4, 9)
    assert "its file must be named slj.yaml" in message


def test_outside_departments_folder_any_file_name_is_fine(tmp_path: Path) -> None:
    (tmp_path / "city.yaml").write_text(CITY, "utf-8")
    (tmp_path / "water.yaml").write_text(SLJ, "utf-8")
    assert validate([str(tmp_path)]).exit_code == 0


def test_one_mistake_is_not_a_flood(tmp_path: Path) -> None:
    many = SLJ.replace("    columns: [information-release, interpretation, online-services, interaction]\n",
                       "    columns: [" + ", ".join(["X"] * 200) + "]\n")
    found = _findings(tmp_path, many)
    assert len(found) == 26
    assert found[-1][3] == "... and 176 more problems in this file"
    assert all(f[:2] == ("GC-SCHEMA", 14) for f in found)


def test_validate_json_never_writes_nan(tmp_path: Path) -> None:
    result = validate([str(_project(tmp_path, SLJ.replace("storageTiB: 10}", "storageTiB: .nan}")))])
    text = result.to_json()
    assert "NaN" not in text and result.exit_code == 2


@pytest.mark.parametrize("project", ["FS-２０２６-IT-0101", "FS-٢٠٢٦-IT-0101", "FS-2026-IT-0101x"])
def test_digits_of_other_scripts_do_not_match_the_project_pattern(tmp_path: Path, project: str) -> None:
    """JSON Schema's \\d is [0-9]: the number is valid input, but not the city's number (GC-STD-001)."""
    from govcloud.api import check

    root = _project(tmp_path, SLJ.replace("FS-2026-IT-0101", project))
    assert validate([str(root)]).exit_code == 0
    result = check([str(root)], policies=str(Path(__file__).resolve().parents[2] / "policies"))
    found = [(f.rule, f.location.line, f.location.column) for f in result.findings if f.location]
    assert ("GC-STD-001", 7, 12) in found and result.exit_code == 1


@pytest.mark.parametrize("pattern,safe", [
    (r"^FS-\d{4}-IT-\d{4}$", True),
    (r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$", True),  # each round starts with '-', which nothing else in it matches
    (r"^(\.[^.]+)*$", True),
    (r"^(?!www\.)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.foshan\.gov\.cn$", True),
    (r"^(a|a)*$", False),
    (r"^(a+)+$", False),
    (r"^(-[-a]+)+$", False),  # '-' also inside: "--a" splits two ways
    (r"^(-.+)+$", False),
    (r"^(FS)-\1$", False),
    ("(" * 300, False),
], ids=lambda v: str(v)[:24])
def test_which_patterns_are_safe(pattern: str, safe: bool) -> None:
    from govcloud.schema import PatternError, check_safe

    if safe:
        assert check_safe(pattern).pattern.endswith("\\Z") or "\\Z" in check_safe(pattern).pattern
    else:
        with pytest.raises(PatternError):
            check_safe(pattern)


@pytest.mark.timeout(120)  # a pattern evaluated on that input would hang: the timeout fails it
def test_an_unsafe_pattern_in_a_policy_pack_is_a_policy_error(tmp_path: Path) -> None:
    import shutil

    from govcloud.api import check

    policies = tmp_path / "policies"
    shutil.copytree(Path(__file__).resolve().parents[2] / "policies", policies)
    pack = policies / "site.yaml"  # the packs' one declarative pattern (GC-STD-001 reads the register)
    text = pack.read_text("utf-8")
    assert 'host: {pattern: "${derived.siteHostPattern}"}' in text
    pack.write_text(text.replace('host: {pattern: "${derived.siteHostPattern}"}',
                                 "host: {pattern: '^(FS|FS)*$'}"), "utf-8")
    (tmp_path / "city").mkdir()
    root = _project(tmp_path / "city", SLJ.replace("FS-2026-IT-0101", "FS" * 30 + "-"))
    result = check([str(root)], policies=str(policies))
    assert result.exit_code == 2
    [problem] = [f for f in result.findings if f.rule == "GC-POLICY"]
    assert problem.location is not None and problem.location.file.endswith("site.yaml")
    assert "GC-SITE-001: not a valid JSON Schema: pattern '^(FS|FS)*$': a repeated group" in problem.message
