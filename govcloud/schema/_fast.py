"""A compiled yes/no validator for the JSON Schema subset our blueprints use.

jsonschema spends most of a validation building error machinery that a valid document
never needs. Valid documents (nearly all of them) take this fast path; only an invalid
one is handed to jsonschema for its precise errors. The compiler refuses any keyword it
does not implement, so the two can never silently disagree about a schema.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from govcloud.schema.patterns import compile_pattern

Check = Callable[[Any], bool]
_ANNOTATIONS = {"$schema", "$id", "title", "description", "default", "examples", "$comment"}


def _is_integer(v: Any) -> bool:
    return type(v) is int  # 2.0 is no count: range(2.0) fails; bool is not an int either


_TYPES: dict[str, Check] = {
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
    "string": lambda v: type(v) is str,
    "integer": _is_integer,
    "number": lambda v: type(v) in (int, float),
    "boolean": lambda v: type(v) is bool,
    "null": lambda v: v is None,
}


def _unique(items: list[Any]) -> bool:
    seen: list[Any] = []
    for item in items:
        if any(item == s and type(item) is type(s) for s in seen):
            return False
        seen.append(item)
    return True


def compile_schema(schema: dict[str, Any]) -> Check:
    """A function telling whether an instance is valid under `schema`."""
    unknown = set(schema) - _ANNOTATIONS - {
        "type", "properties", "additionalProperties", "required", "const", "enum", "pattern",
        "minimum", "maximum", "items", "uniqueItems", "minItems", "minLength", "maxLength",
    }
    if unknown:
        raise ValueError(f"the fast validator does not implement {sorted(unknown)}")
    checks: list[Check] = []
    if "type" in schema:
        checks.append(_TYPES[schema["type"]])
    if "const" in schema:
        const = schema["const"]
        checks.append(lambda v: v == const and type(v) is type(const))
    if "enum" in schema:
        allowed = schema["enum"]
        checks.append(lambda v: any(v == a and type(v) is type(a) for a in allowed))
    if "pattern" in schema:
        search = compile_pattern(schema["pattern"]).search
        checks.append(lambda v: type(v) is not str or search(v) is not None)
    if "minLength" in schema:
        n = schema["minLength"]
        checks.append(lambda v: type(v) is not str or len(v) >= n)
    if "maxLength" in schema:
        most = schema["maxLength"]
        checks.append(lambda v: type(v) is not str or len(v) <= most)
    numeric = (int, float)
    if "minimum" in schema:
        lo = schema["minimum"]
        checks.append(lambda v: type(v) not in numeric or v >= lo)
    if "maximum" in schema:
        hi = schema["maximum"]
        checks.append(lambda v: type(v) not in numeric or v <= hi)
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        props = {k: compile_schema(s) for k, s in schema.get("properties", {}).items()}
        required = tuple(schema.get("required", ()))
        closed = schema.get("additionalProperties", True) is False

        def check_object(v: Any) -> bool:
            if type(v) is not dict:
                return True
            for key in required:
                if key not in v:
                    return False
            for key, value in v.items():
                sub = props.get(key)
                if sub is None:
                    if closed:
                        return False
                elif not sub(value):
                    return False
            return True

        checks.append(check_object)
    if "items" in schema:
        item = compile_schema(schema["items"])
        checks.append(lambda v: type(v) is not list or all(item(x) for x in v))
    if "minItems" in schema:
        m = schema["minItems"]
        checks.append(lambda v: type(v) is not list or len(v) >= m)
    if schema.get("uniqueItems"):
        checks.append(lambda v: type(v) is not list or _unique(v))
    if len(checks) == 1:
        return checks[0]
    return lambda v: all(c(v) for c in checks)
