"""Rule schemas compiled once into plain Python predicates.

A rule is evaluated against every system of the city, so it must cost microseconds:
jsonschema builds error machinery even for a valid instance. The compiler covers the
JSON Schema (2020-12) keywords rules use; a schema with any other keyword is evaluated by
jsonschema itself, so the two never disagree. Keyword values may still hold references
to the evaluated object (`${department.metadata.code}`), resolved at each call.
"""
from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from govcloud.policy.template import OBJECT, namespaces_in, substitute
from govcloud.schema import PatternError, check_safe, compile_pattern, schema_validator

if TYPE_CHECKING:  # jsonschema only for schemas the compiler leaves to it, and for errors
    from jsonschema import Draft202012Validator

Scope = Mapping[str, Any]
Predicate = Callable[[Any, Scope], bool]

_ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "default", "examples",
                "deprecated", "readOnly", "writeOnly"}
_SUPPORTED = _ANNOTATIONS | {
    "type", "const", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "properties", "required", "additionalProperties",
    "items", "contains", "minContains", "maxContains", "minItems", "maxItems", "uniqueItems",
    "not", "allOf", "anyOf", "oneOf", "if", "then", "else", "minProperties", "maxProperties",
}


class Unsupported(Exception):
    """The schema uses a keyword the compiler leaves to jsonschema."""


def json_equal(a: Any, b: Any) -> bool:
    """JSON Schema equality: 1 == 1.0, but true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


_NUMBERS = (int, float)


def _number(v: Any) -> bool:
    return type(v) in _NUMBERS or (isinstance(v, _NUMBERS) and not isinstance(v, bool))


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _number,
    "integer": lambda v: _number(v) and (isinstance(v, int) or float(v).is_integer()),
}


def _equals(const: Any) -> Predicate:
    """Equality with a constant, specialised: most rule constants are a string or a boolean."""
    if isinstance(const, bool):
        return lambda v, s: v is const
    if isinstance(const, str):
        return lambda v, s: v == const
    return lambda v, s: json_equal(v, const)


Compare = Callable[[Any, Any], bool]
_LENGTHS: dict[str, Compare] = {"minLength": operator.ge, "maxLength": operator.le}
_BOUNDS: dict[str, Compare] = {"minimum": operator.ge, "maximum": operator.le,
                               "exclusiveMinimum": operator.gt, "exclusiveMaximum": operator.lt}


def _bounded(raw: Any, compare: Compare, applies: Callable[[Any], bool],
             measure: Callable[[Any], Any] | None) -> Predicate:
    """A bound keyword: only instances of its type are compared (JSON Schema ignores others)."""
    if _is_const(raw):  # the common case: a number written in the rule or bound from the city
        if measure is None:
            return lambda v, s: not applies(v) or compare(v, raw)
        return lambda v, s: not applies(v) or compare(measure(v), raw)
    get = _value(raw)
    if measure is None:
        return lambda v, s: not applies(v) or compare(v, get(s))
    return lambda v, s: not applies(v) or compare(measure(v), get(s))


def _value(raw: Any) -> Callable[[Scope], Any]:
    """A keyword's value: constant, or resolved against the evaluated object at each call."""
    if namespaces_in(raw) & set(OBJECT):
        return lambda scope: substitute(raw, scope, OBJECT)
    return lambda scope: raw


def _is_const(raw: Any) -> bool:
    return not (namespaces_in(raw) & set(OBJECT))


def _safe(pattern: str) -> re.Pattern[str]:
    """A reviewer's pattern runs against every department: refuse one that could hang `check`."""
    try:
        return check_safe(pattern)
    except PatternError as exc:
        from jsonschema.exceptions import SchemaError

        raise SchemaError(f"pattern {pattern!r}: {exc}") from None


def _compile(schema: Any) -> Predicate:
    if schema is True or schema == {}:
        return lambda v, s: True
    if schema is False:
        return lambda v, s: False
    if not isinstance(schema, dict):
        raise Unsupported(f"a schema must be a mapping or a boolean, not {schema!r}")
    unknown = set(schema) - _SUPPORTED
    if unknown:
        raise Unsupported(", ".join(sorted(unknown)))
    checks: list[Predicate] = []
    add = checks.append
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        tests = [_TYPES[n] for n in names]
        if len(tests) == 1:
            (test,) = tests
            add(lambda v, s: test(v))
        else:
            add(lambda v, s: any(t(v) for t in tests))
    if "const" in schema:
        if _is_const(schema["const"]):
            add(_equals(schema["const"]))
        else:
            get = _value(schema["const"])
            add(lambda v, s: json_equal(v, get(s)))
    if "enum" in schema:
        if _is_const(schema["enum"]):
            allowed = list(schema["enum"])
            hashable = {a for a in allowed if isinstance(a, str)}
            if len(hashable) == len(allowed):  # the common case: a list of ids
                add(lambda v, s: isinstance(v, str) and v in hashable)
            else:
                add(lambda v, s: any(json_equal(v, a) for a in allowed))
        else:
            get_enum = _value(schema["enum"])
            add(lambda v, s: any(json_equal(v, a) for a in get_enum(s)))
    if "pattern" in schema:
        if _is_const(schema["pattern"]):
            search = _safe(schema["pattern"]).search  # JSON Schema's meaning: \d is [0-9]
            add(lambda v, s: not isinstance(v, str) or search(v) is not None)
        else:
            get_pattern = _value(schema["pattern"])
            add(lambda v, s: not isinstance(v, str) or compile_pattern(get_pattern(s)).search(v) is not None)
    for key, compare in _LENGTHS.items():
        if key in schema:
            add(_bounded(schema[key], compare, lambda v: isinstance(v, str), len))
    for key, compare in _BOUNDS.items():
        if key in schema:
            add(_bounded(schema[key], compare, _number, None))
    if {"properties", "required", "additionalProperties", "minProperties", "maxProperties"} & set(schema):
        add(_object(schema))
    if {"items", "contains", "minItems", "maxItems", "uniqueItems"} & set(schema):
        add(_array(schema))
    if "not" in schema:
        inner = _compile(schema["not"])
        add(lambda v, s: not inner(v, s))
    if "allOf" in schema:
        add(_all([_compile(x) for x in schema["allOf"]]))
    if "anyOf" in schema:
        add(_any([_compile(x) for x in schema["anyOf"]]))
    if "oneOf" in schema:
        choices = [_compile(x) for x in schema["oneOf"]]
        add(lambda v, s: sum(1 for p in choices if p(v, s)) == 1)
    if "if" in schema:
        cond = _compile(schema["if"])
        then = _compile(schema.get("then", True))
        other = _compile(schema.get("else", True))
        add(lambda v, s: then(v, s) if cond(v, s) else other(v, s))
    return _all(checks)


def _any(options: list[Predicate]) -> Predicate:
    """Any of `options` (none: false, as JSON Schema's empty anyOf is invalid anyway)."""
    if len(options) == 1:
        return options[0]
    if len(options) == 2:
        first, second = options
        return lambda v, s: first(v, s) or second(v, s)
    parts = tuple(options)

    def some(v: Any, s: Scope) -> bool:
        for option in parts:  # noqa: SIM110 - a loop: any() would build a generator per call
            if option(v, s):
                return True
        return False

    return some


def _all(checks: list[Predicate]) -> Predicate:
    """All of `checks`, without a generator per call: a rule's select runs for every system."""
    if not checks:
        return lambda v, s: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v, s: first(v, s) and second(v, s)
    parts = tuple(checks)

    def every(v: Any, s: Scope) -> bool:
        for check in parts:  # noqa: SIM110 - a loop: all() would build a generator per call
            if not check(v, s):
                return False
        return True

    return every


def _object(schema: dict[str, Any]) -> Predicate:
    props = {k: _compile(x) for k, x in schema.get("properties", {}).items()}
    required = tuple(schema.get("required", ()))
    extra_schema = schema.get("additionalProperties", True)
    extra = None if extra_schema is True else _compile(extra_schema)
    low, high = schema.get("minProperties", 0), schema.get("maxProperties")

    pairs = tuple(props.items())
    sized = low > 0 or high is not None

    def check(v: Any, s: Scope) -> bool:
        if not isinstance(v, dict):
            return True
        for key in required:
            if key not in v:
                return False
        if sized and (len(v) < low or (high is not None and len(v) > high)):
            return False
        if extra is None:
            # rules name a key or two of a large mapping: look those up, don't scan the mapping
            for key, sub in pairs:  # noqa: SIM110 - a loop, no generator per call
                if key in v and not sub(v[key], s):
                    return False
            return True
        for key, value in v.items():
            known = props.get(key)
            if known is not None:
                if not known(value, s):
                    return False
            elif extra is not None and not extra(value, s):
                return False
        return True

    return check


def _unique(items: list[Any]) -> bool:
    return all(not json_equal(a, b) for i, a in enumerate(items) for b in items[i + 1:])


def _array(schema: dict[str, Any]) -> Predicate:
    item = _compile(schema["items"]) if "items" in schema else None
    contains = _compile(schema["contains"]) if "contains" in schema else None
    least, most = schema.get("minContains", 1), schema.get("maxContains")
    low, high = schema.get("minItems", 0), schema.get("maxItems")
    unique = bool(schema.get("uniqueItems"))

    def check(v: Any, s: Scope) -> bool:
        if not isinstance(v, list):
            return True
        if len(v) < low or (high is not None and len(v) > high):
            return False
        if item is not None and not all(item(x, s) for x in v):
            return False
        if contains is not None:
            n = sum(1 for x in v if contains(x, s))
            if n < least or (most is not None and n > most):
                return False
        return not unique or _unique(v)

    return check


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Draft202012Validator:
    validator: Draft202012Validator = schema_validator()(json.loads(schema_json))
    return validator  # the predicates' meaning of `pattern`, so both agree


def validator_for(schema: Any, scope: Scope) -> Draft202012Validator:
    """A jsonschema validator of `schema` with the object's references resolved (cached)."""
    resolved = substitute(schema, scope, OBJECT)
    return _validator(json.dumps(resolved, sort_keys=True, ensure_ascii=False))


def compile_predicate(schema: Any) -> Predicate:
    """A predicate telling whether an instance satisfies `schema` for the given object scope."""
    try:
        return _compile(schema)
    except Unsupported:
        return lambda v, s: validator_for(schema, s).is_valid(v)
