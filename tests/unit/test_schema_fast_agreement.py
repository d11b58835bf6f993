"""The compiled validator and jsonschema are one schema engine: over generated schemas (every
keyword the compiler implements, nested) and generated data, they agree on every verdict.

jsonschema here is the product's own `SchemaValidator`: ECMA-262 patterns and int-only
integers, the two meanings govcloud gives the keywords on purpose (2.0 is no count).
"""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govcloud.schema._fast import compile_schema
from govcloud.schema._validate import SchemaValidator
from tests.support.fuzzing import examples

KEYS = ("a", "b", "name", "mlps")
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, 1.0, 2.0, 1.5, -1.0]),
    st.sampled_from(["", "a", "ab", "abc", "A1", "佛山", "x-y"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)),
    max_leaves=8,
)
TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")
PATTERNS = ("^[a-z]+$", "^[A-Z][0-9]$", "b", "^$", "^.{2}$")


def _schemas() -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.fixed_dictionaries({}, optional={
        "type": st.sampled_from(TYPES),
        "const": SCALARS,
        "enum": st.lists(SCALARS, min_size=1, max_size=4),
        "minimum": st.integers(-2, 2),
        "maximum": st.sampled_from([-1, 0, 1, 2, 1.5]),
        "minLength": st.integers(0, 3),
        "maxLength": st.integers(0, 3),
        "pattern": st.sampled_from(PATTERNS),
        "minItems": st.integers(0, 3),
        "uniqueItems": st.booleans(),
        "description": st.just("annotations change nothing"),
    })

    def nest(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        return st.tuples(leaf, st.fixed_dictionaries({}, optional={
            "properties": st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
            "required": st.lists(st.sampled_from(KEYS), max_size=2, unique=True),
            "additionalProperties": st.booleans(),
            "items": inner,
        })).map(lambda pair: {**pair[0], **pair[1]})

    return st.recursive(leaf, nest, max_leaves=6)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=_schemas(), data=st.lists(JSON, min_size=1, max_size=6))
def test_compiled_and_jsonschema_agree_on_generated_schemas(schema: dict[str, Any], data: list[Any]) -> None:
    fast, slow = compile_schema(schema), SchemaValidator(schema)
    for instance in data:
        assert fast(instance) == slow.is_valid(instance), (schema, instance)


@pytest.mark.parametrize(("schema", "instance", "valid"), [
    ({"uniqueItems": True}, [1, 1.0], False),          # one number twice
    ({"uniqueItems": True}, [1, True], True),          # true is not 1
    ({"uniqueItems": True}, [[1], [1.0]], False),
    ({"uniqueItems": True}, [{"a": 1}, {"a": 1.0}], False),
    ({"const": 1}, 1.0, True),
    ({"const": 1}, True, False),
    ({"enum": [0, "a"]}, 0.0, True),
    ({"enum": [0, "a"]}, False, False),
    ({"enum": ["a", "b"]}, "b", True),
    ({"type": "integer"}, 2.0, False),                 # govcloud's meaning: a count is an int
])
def test_the_edge_cases_named(schema: dict[str, Any], instance: Any, valid: bool) -> None:
    assert compile_schema(schema)(instance) is valid
    assert SchemaValidator(schema).is_valid(instance) is valid
