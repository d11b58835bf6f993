"""A rule's bound schema is judged valid without jsonschema only when jsonschema's 2020-12
meta-schema would say so too; anything else is left to it, so a bad schema is still refused."""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from govcloud.policy.declarative import _plainly_valid, check_schema

_values = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-2, 2, allow_nan=False),
                    st.sampled_from(["", "a", "string", "integer", "(", "^[a-z]+$", "object"]))
_keys = st.sampled_from(["type", "const", "enum", "pattern", "minLength", "maxItems", "minimum", "required",
                         "properties", "items", "not", "anyOf", "allOf", "if", "then", "title", "uniqueItems",
                         "examples", "default", "$ref", "format", "multipleOf", "exclusiveMaximum"])


def _schemas() -> st.SearchStrategy[Any]:
    return st.recursive(
        st.one_of(st.booleans(), st.dictionaries(_keys, _values, max_size=3)),
        lambda inner: st.one_of(
            st.dictionaries(_keys, st.one_of(_values, inner, st.lists(st.one_of(inner, _values), max_size=3),
                                             st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2)),
                            max_size=4),
        ),
        max_leaves=12,
    )


def _meta_valid(schema: Any) -> bool:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(_schemas())
def test_a_schema_judged_plainly_valid_is_valid_under_the_meta_schema(schema: Any) -> None:
    if _plainly_valid(schema):
        assert _meta_valid(schema), schema


@pytest.mark.parametrize("schema", [
    {"type": "strin"}, {"type": []}, {"type": ["string", "string"]}, {"minLength": -1}, {"minItems": 1.5},
    {"required": ["a", "a"]}, {"required": "a"}, {"pattern": "("}, {"anyOf": []}, {"properties": {"a": 3}},
    {"not": "x"}, {"minimum": "1"}, {"uniqueItems": 1}, {"items": [{}]},
])
def test_a_bad_schema_is_still_refused(schema: dict[str, Any]) -> None:
    assert not _plainly_valid(schema)
    with pytest.raises(SchemaError):
        check_schema(schema)


def test_the_shapes_rules_use_need_no_meta_schema() -> None:
    for schema in ({"properties": {"network": {"const": "intranet"}}, "required": ["network"]},
                   {"not": {"properties": {"function": {"enum": ["oa", "website"]}}}},
                   {"anyOf": [{"properties": {"mlps": {"maximum": 2}}}, {"required": ["backup"]}]},
                   {"properties": {"auditLogDays": {"type": "integer", "minimum": 180}}, "$comment": "等保"},
                   {"if": {"properties": {"classified": {"const": True}}}, "then": {"required": ["network"]}}):
        assert _plainly_valid(schema) and _meta_valid(schema)
