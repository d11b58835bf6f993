"""Slips of a Chinese input method get a message naming the character, at its line and column."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli import app
from govcloud.load import parse

DEPARTMENT = """\
apiVersion: govcloud/v1
kind: Department
metadata:
  code: slj
  name: 市水利局
  category: general
spec:
  quota: {vcpu: 64, memoryGiB: 256, storageTiB: 10}
  systems:
    - name: river-monitoring
      mlps: 2
"""


def _one(text: str) -> tuple[str, int, int, str]:
    [finding] = parse(text, "slj.yaml").findings
    assert finding.location is not None
    return finding.message, finding.location.line, finding.location.column, finding.hint


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  name: 市水利局", "  name：市水利局",
     ("full-width colon '：' after key 'name'; YAML needs ':' followed by a space", 5, 7)),
    ("    - name: river", "    - name：river",
     ("full-width colon '：' after key 'name'; YAML needs ':' followed by a space", 10, 11)),
    ("{vcpu: 64,", "{vcpu：64,",
     ("full-width colon '：' after key 'vcpu'; YAML needs ':' followed by a space", 8, 15)),
    ("      mlps: 2", "      mlps: ２",
     ("full-width digits in '２', the value of 'mlps'; YAML reads them as text", 11, 13)),
    ("memoryGiB: 256", "memoryGiB: ２5６",
     ("full-width digits in '２5６', the value of 'memoryGiB'; YAML reads them as text", 8, 32)),
    ("  category: general", "\tcategory: general",
     ("tab in the indentation; YAML indents with spaces only", 6, 1)),
])
def test_each_slip_is_named_at_its_place(old: str, new: str, expected: tuple[str, int, int]) -> None:
    assert old in DEPARTMENT
    message, line, column, hint = _one(DEPARTMENT.replace(old, new))
    assert (message, line, column) == expected
    assert hint


def test_the_hint_shows_the_fix() -> None:
    assert _one(DEPARTMENT.replace("mlps: 2", "mlps: ２"))[3] == "type ASCII digits (half-width input): `mlps: 2`"
    assert "`name: …`" in _one(DEPARTMENT.replace("name: 市", "name：市"))[3]


@pytest.mark.parametrize("text", [
    "  name: 市水利局：防汛\n",            # a full-width colon inside a Chinese value
    '  title: "第２期"\n',                 # quoted: text on purpose
    "  code: slj   # 代码：２\n",           # in a comment
    "  headcount:\t180\n",                 # a tab after the colon is valid YAML
    "  project: FS-２０２６-IT-0101\n",     # an id, not a number: its pattern rule reports it
])
def test_chinese_text_quotes_comments_and_inner_tabs_are_left_alone(text: str) -> None:
    assert parse(DEPARTMENT + "extra:\n" + text, "slj.yaml").findings == ()


def test_the_cli_prints_one_line_and_exits_2(mini_city: Path) -> None:
    slj = mini_city / "departments" / "slj.yaml"
    slj.write_text(slj.read_text("utf-8").replace("  name: ", "  name："), "utf-8")
    result = CliRunner().invoke(app, ["validate", str(mini_city)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [(
        f"{slj}:5:7: GC-SCHEMA full-width colon '：' after key 'name'; YAML needs ':' followed by a space "
        "(hint: type the ASCII colon (half-width input) and a space: `name: …`)")]


@pytest.mark.parametrize(("char", "name", "escape"), [
    ("\x85", "U+0085 NEXT LINE", "\\N"), ("\u2028", "U+2028 LINE SEPARATOR", "\\L"),
    ("\u2029", "U+2029 PARAGRAPH SEPARATOR", "\\P")])
def test_a_unicode_line_break_is_named_where_the_editor_shows_it(char: str, name: str, escape: str) -> None:
    # YAML counts it as a line break, an editor does not: every later line number would be off.
    text = DEPARTMENT.replace("  name: 市水利局", f"  name: 市水{char}利局").replace("kind: Department",
                                                                             f"kind: Department  # a{char}b")
    findings = parse(text, "slj.yaml").findings
    assert [(f.message.split(":")[0], f.location.line, f.location.column) for f in findings if f.location] == [
        (name, 2, 22), (name, 5, 11)]
    assert escape in findings[0].hint


def test_an_escaped_line_break_in_a_quoted_string_is_data() -> None:
    loaded = parse(DEPARTMENT.replace("  name: 市水利局", '  name: "市水\\L利局"'), "slj.yaml")
    assert not loaded.findings
    assert loaded.documents[0].data["metadata"]["name"] == "市水\u2028利局"
