"""Properties: no input crashes the loader, every finding points at a file and a line,
and the fast validator agrees with jsonschema on every document."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govcloud import validate
from govcloud.load import parse
from govcloud.schema import SchemaValidator, load_schema, validate_document
from govcloud.schema._fast import compile_schema
from tests.support.fuzzing import examples

MINI = Path(__file__).resolve().parents[1] / "data" / "mini"
SLJ = yaml.safe_load((MINI / "departments" / "slj.yaml").read_text("utf-8"))
GAJ = yaml.safe_load((MINI / "departments" / "gaj.yaml").read_text("utf-8"))
CITY = yaml.safe_load((MINI / "city.yaml").read_text("utf-8"))

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12), st.sampled_from(["extranet", "intranet", "dedicated", "dm8", "govcloud/v1", "City"]),
)
json_values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)), max_leaves=12)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A valid blueprint with a few random replacements, deletions or insertions."""
    doc = copy.deepcopy(draw(st.sampled_from([SLJ, GAJ, CITY])))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "insert"]))
        if action == "replace":
            parent[path[-1]] = draw(json_values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
        else:
            parent.insert(0, draw(json_values))
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=300))
def test_arbitrary_text_never_crashes(text: str) -> None:
    loaded = parse(text, "any.yaml")
    for finding in loaded.findings:
        assert finding.location is not None and finding.location.line >= 1 and finding.location.column >= 1
    for doc in loaded.documents:
        _kind, findings = validate_document(doc)
        assert all(f.location and f.location.file == "any.yaml" and f.location.line >= 1 for f in findings)


@settings(max_examples=200, deadline=None)
@given(data=json_values)
def test_arbitrary_yaml_documents_never_crash(data: Any) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    for doc in parse(text, "doc.yaml").documents:
        validate_document(doc)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=mutated())
def test_mutated_blueprints_never_crash_and_point_at_a_line(doc: dict[str, Any]) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    loaded = parse(text, "mutated.yaml")
    lines = text.count("\n") + 1
    for document in loaded.documents:
        _, findings = validate_document(document)
        for finding in findings:
            assert finding.location is not None
            assert 1 <= finding.location.line <= lines


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=mutated())
def test_fast_validator_agrees_with_jsonschema(doc: dict[str, Any]) -> None:
    kind = doc.get("kind") if doc.get("kind") in ("City", "Department") else "Department"
    schema = load_schema(kind)
    slow = SchemaValidator(schema).is_valid(doc)  # jsonschema with ECMA-262 patterns and int-only integers
    assert compile_schema(schema)(doc) == slow, json.dumps(doc, ensure_ascii=False)[:400]


def test_fast_validator_refuses_keywords_it_does_not_implement() -> None:
    import pytest

    with pytest.raises(ValueError, match="does not implement"):
        compile_schema({"type": "object", "oneOf": [{"type": "string"}]})


def test_a_mutated_blueprint_on_disk_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "city.yaml").write_text(yaml.safe_dump(CITY, allow_unicode=True), "utf-8")
    bad = copy.deepcopy(SLJ)
    bad["spec"]["systems"][0]["compute"] = "lots"
    (tmp_path / "slj.yaml").write_text(yaml.safe_dump(bad, allow_unicode=True), "utf-8")
    result = validate([str(tmp_path)])
    assert result.exit_code == 2
    assert [f.message for f in result.findings] == ["spec.systems[0].compute must be a list, not string 'lots'"]
    # The finding points at the bad value in the file as written, not at the document.
    lines = (tmp_path / "slj.yaml").read_text("utf-8").splitlines()
    (where,) = [f.location for f in result.findings]
    assert where is not None and Path(where.file).name == "slj.yaml"
    assert lines[where.line - 1].strip() == "compute: lots", (where, lines[where.line - 1])
