"""Bad input: every case names the exact rule, line and column a department officer sees."""
from __future__ import annotations

from pathlib import Path

import pytest

from govcloud import validate
from govcloud.load import MAX_FILE_BYTES
from tests.support.bounds import bounded_memory

MINI = Path(__file__).resolve().parents[1] / "data" / "mini"
SLJ = (MINI / "departments" / "slj.yaml").read_text("utf-8")
CITY = (MINI / "city.yaml").read_text("utf-8")


def _findings(tmp_path: Path, text: str | bytes, city: bool = True) -> list[tuple[str, int, int, str]]:
    if city:
        (tmp_path / "city.yaml").write_text(CITY, "utf-8")
    target = tmp_path / "dept.yaml"
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, "utf-8")
    result = validate([str(tmp_path)])
    assert result.exit_code == 2
    return [(f.rule, f.location.line, f.location.column, f.message) for f in result.findings if f.location]


def _one(tmp_path: Path, text: str | bytes) -> tuple[str, int, int, str]:
    found = _findings(tmp_path, text)
    assert len(found) == 1, found
    return found[0]


# (case id, a substitution applied to the valid slj blueprint, expected line, column, message part)
CASES = [
    ("typo-key", ("      mlps: 2\n", "      mlsp: 2\n"), 22, 7, "unknown key 'mlsp'"),
    ("typo-key-top", ("spec:\n", "spce:\n"), 9, 1, "unknown key 'spce'"),
    ("wrong-type-int", ("      mlps: 2\n", "      mlps: two\n"), 22, 13, "must be an integer, not string"),
    ("wrong-type-bool", ("      backup: {offsite: true,", "      backup: {offsite: 'yes',"), 27, 25,
     "must be true or false"),
    ("wrong-type-list", ("    columns: [information-release, interpretation, online-services, interaction]\n",
                         "    columns: information-release\n"), 14, 14, "must be a list"),
    ("out-of-range-mlps", ("      mlps: 2\n", "      mlps: 6\n"), 22, 13, "must be ≤ 5, not 6"),
    ("out-of-range-count", ("{role: app, count: 2,", "{role: app, count: 0,"), 24, 30, "must be ≥ 1, not 0"),
    ("negative-headcount", ("  headcount: 180\n", "  headcount: -3\n"), 8, 14, "must be ≥ 1"),
    ("pattern-code", ("  code: slj\n", "  code: SLJ\n"), 4, 9, "does not match the pattern"),
    ("pattern-system-name", ("    - name: river-monitoring\n", "    - name: River Monitoring\n"), 18, 13,
     "does not match the pattern"),
    ("enum-network", ("      network: extranet\n", "      network: internet\n"), 21, 16,
     "must be one of extranet, intranet, dedicated"),
    ("enum-category", ("  category: general\n", "  category: bureau\n"), 6, 13, "must be one of"),
    ("missing-network", ("      network: extranet\n", ""), 18, 7, "missing required key 'network'"),
    ("missing-metadata-name", ("  name: 市水利局\n", ""), 4, 3, "missing required key 'name'"),
    ("missing-quota-field", ("  quota: {vcpu: 64, memoryGiB: 256, storageTiB: 10}\n",
                             "  quota: {vcpu: 64, memoryGiB: 256}\n"), 10, 10, "missing required key 'storageTiB'"),
    ("wrong-api-version", ("apiVersion: govcloud/v1\n", "apiVersion: govcloud/v2\n"), 1, 13, "must be 'govcloud/v1'"),
    ("unknown-kind", ("kind: Department\n", "kind: Departmnet\n"), 2, 7, "unknown kind 'Departmnet'"),
    ("duplicate-key", ("      mlps: 2\n", "      mlps: 2\n      mlps: 3\n"), 23, 7, "duplicate key 'mlps'"),
    ("syntax-error", ("      network: extranet\n", "      network: [extranet\n"), 22, 11, "invalid YAML"),
    ("bad-indentation", ("      mlps: 2\n", "     mlps: 2\n"), 22, 6, "invalid YAML"),
    ("python-tag", ("      mlps: 2\n", "      mlps: !!python/object/apply:os.system [ls]\n"), 22, 13,
     "unsupported tag"),
    ("empty-columns-item", ("interaction]", "interaction, interaction]"), 14, 14, "duplicate items"),
    ("float-for-int", ("      mlps: 2\n", "      mlps: 2.5\n"), 22, 13, "must be an integer, not number"),
    ("null-value", ("      mlps: 2\n", "      mlps:\n"), 22, 12, "must be an integer, not null"),
    ("string-for-mapping", ("  oa: {seats: 180, storageGiB: 200, documentExchange: true}\n", "  oa: yes\n"), 11, 7,
     "must be a mapping, not boolean"),
]


@pytest.mark.parametrize("case,change,line,column,message", CASES, ids=[c[0] for c in CASES])
def test_bad_blueprint_is_reported_at_its_line(tmp_path: Path, case: str, change: tuple[str, str],
                                               line: int, column: int, message: str) -> None:
    assert change[0] in SLJ, case
    rule, got_line, got_column, got_message = _one(tmp_path, SLJ.replace(change[0], change[1], 1))
    assert (rule, got_line, got_column) == ("GC-SCHEMA", line, column), got_message
    assert message in got_message


def test_empty_file(tmp_path: Path) -> None:
    assert _one(tmp_path, "") [:3] == ("GC-SCHEMA", 1, 1)
    assert "empty" in _one(tmp_path, "# only a comment\n")[3]


def test_non_utf8_file_points_at_the_first_bad_byte(tmp_path: Path) -> None:
    text = SLJ.replace("市水利局", "市水利局").encode("utf-8").replace("市水利局".encode(), "市水利局".encode("gbk"))
    rule, line, column, message = _one(tmp_path, text)
    assert (rule, line, column) == ("GC-SCHEMA", 5, 9)
    assert "not UTF-8" in message


@pytest.mark.timeout(120)  # expanding the bomb (10^9 items) would hang: that fails, slowness does not
def test_alias_bomb_fails_fast(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8)
    )
    with bounded_memory(64):  # refused before it is expanded
        rule, line, _, message = _one(tmp_path, bomb)
    assert rule == "GC-SCHEMA" and "alias bomb" in message and line >= 1


def test_recursive_alias_fails_cleanly(tmp_path: Path) -> None:
    rule, _, _, _message = _one(tmp_path, "a: &a [*a]\n")
    assert rule == "GC-SCHEMA"


def test_oversized_file(tmp_path: Path) -> None:
    big = SLJ + "#" + "x" * MAX_FILE_BYTES + "\n"
    rule, line, column, message = _one(tmp_path, big)
    assert (rule, line, column) == ("GC-SCHEMA", 1, 1)
    assert f"the limit is {MAX_FILE_BYTES}" in message


def test_duplicate_department_codes(tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text(SLJ, "utf-8")
    found = _findings(tmp_path, SLJ)
    assert len(found) == 1
    rule, line, column, message = found[0]
    assert (rule, line, column) == ("GC-SCHEMA", 4, 9)
    assert "department code 'slj' is already used" in message


def test_duplicate_system_names(tmp_path: Path) -> None:
    system = SLJ[SLJ.index("    - name: river-monitoring"):]
    rule, line, column, message = _one(tmp_path, SLJ + system)
    assert (rule, line, column) == ("GC-SCHEMA", 28, 13)
    assert "duplicate system name 'river-monitoring'" in message


def test_missing_city(tmp_path: Path) -> None:
    target = tmp_path / "dept.yaml"
    target.write_text(SLJ, "utf-8")
    result = validate([str(tmp_path)])
    assert result.exit_code == 2
    [finding] = result.findings
    assert (finding.rule, finding.location.line, finding.location.column) == ("GC-SCHEMA", 1, 1)
    assert "no City blueprint found" in finding.message


def test_two_cities(tmp_path: Path) -> None:
    rule, line, column, message = _one(tmp_path, SLJ + "---\n" + CITY)
    assert (rule, line, column) == ("GC-SCHEMA", 30, 7)
    assert "a second City document" in message


def test_empty_document_in_a_multi_document_file(tmp_path: Path) -> None:
    rule, _line, _column, message = _one(tmp_path, SLJ + "---\n")
    assert rule == "GC-SCHEMA" and "empty" in message


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    result_text = SLJ.replace("      mlps: 2\n", "      mlps: 2\n      clasified: true\n")
    (tmp_path / "city.yaml").write_text(CITY, "utf-8")
    (tmp_path / "dept.yaml").write_text(result_text, "utf-8")
    [finding] = validate([str(tmp_path)]).findings
    assert finding.hint == "did you mean 'classified'?"
    assert (finding.department, finding.system) == ("slj", "river-monitoring")


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    text = SLJ.replace("      mlps: 2\n", "      mlps: 9\n").replace("  code: slj\n", "  code: S\n") \
        .replace("      network: extranet\n", "      network: lan\n")
    found = _findings(tmp_path, text)
    assert [f[1] for f in found] == [4, 21, 22]


def test_invalid_project_pattern_in_city(tmp_path: Path) -> None:
    (tmp_path / "city.yaml").write_text(CITY.replace(r"'^FS-\d{4}-IT-\d{4}$'", "'^FS-(\\d{4}'"), "utf-8")
    found = _findings(tmp_path, SLJ, city=False)
    assert len(found) == 1 and found[0][:3] == ("GC-SCHEMA", 11, 19)
    assert "not a valid regular expression" in found[0][3]
