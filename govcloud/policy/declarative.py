"""Declarative rules: bind a rule to the city and data once, then test every object fast.

A rule selects objects (`resource`, `select`, `exempt`) and requires a JSON Schema of each.
The yes/no question runs through compiled predicates; only an object that fails is handed
to jsonschema, whose errors give the exact path of the offending key, so the finding
points at the line a reviewer has to change.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from govcloud.model import Department, Document, Finding
from govcloud.policy.predicate import Predicate, compile_predicate, validator_for
from govcloud.policy.rule import Rule
from govcloud.policy.template import OBJECT, STATIC, TemplateError, message, namespaces_in, substitute

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class BoundRule:
    """A declarative rule with the city's values filled in and its schemas compiled."""

    rule: Rule
    scope: Mapping[str, Any]                    # static names (+ `each` when iterated)
    select: tuple[tuple[str, Predicate], ...]
    exempt: tuple[tuple[str, Predicate], ...]
    require: Predicate
    require_schema: Any                          # bound; object references still open
    projection: tuple[str, ...] | None = None    # the only keys of a subject its errors depend on
    open_refs: bool = False                      # require_schema still refers to the object
    # errors by (resolved schema, projected subject): failing systems are alike, jsonschema is slow
    memo: dict[tuple[str, str], list[tuple[Path, str]]] = field(default_factory=dict, compare=False,
                                                                 repr=False)

    def applies(self, objects: Mapping[str, Any]) -> bool:
        for name, test in self.select:
            if not test(objects.get(name), objects):
                return False
        return not (self.exempt and all(test(objects.get(name), objects) for name, test in self.exempt))


_checked: set[str] = set()


_SCHEMAS = ("additionalProperties", "items", "contains", "not", "if", "then", "else")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_COUNTS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties",
           "minContains", "maxContains")
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_TYPE_NAMES = {"object", "array", "string", "integer", "number", "boolean", "null"}
_TEXTS = ("title", "description", "$comment")
_FLAGS = ("uniqueItems", "deprecated", "readOnly", "writeOnly")
_ANY = ("const", "default")


def _plainly_valid(schema: Any) -> bool:
    """True when `schema` is certainly valid under the 2020-12 meta-schema: only the keywords
    rules use, each of the shape the meta-schema asks. False means 'ask jsonschema', not 'invalid'."""
    if type(schema) is bool:
        return True
    if type(schema) is not dict:
        return False
    for key, value in schema.items():
        if key in _ANY:
            continue
        if key in _SCHEMAS:
            ok = _plainly_valid(value)
        elif key in _SCHEMA_LISTS:
            ok = type(value) is list and bool(value) and all(_plainly_valid(v) for v in value)
        elif key == "properties":
            ok = type(value) is dict and all(_plainly_valid(v) for v in value.values())
        elif key == "required":
            ok = type(value) is list and all(type(v) is str for v in value) and len(set(value)) == len(value)
        elif key == "type":
            names = value if type(value) is list else [value]
            ok = bool(names) and all(type(v) is str and v in _TYPE_NAMES for v in names) \
                and len(set(names)) == len(names)
        elif key == "enum":
            ok = type(value) is list
        elif key in _COUNTS:
            ok = type(value) is int and value >= 0
        elif key in _BOUNDS:
            ok = type(value) in (int, float)
        elif key == "pattern":
            ok = type(value) is str and _compiles(value)
        elif key in _TEXTS:
            ok = type(value) is str
        elif key in _FLAGS:
            ok = type(value) is bool
        elif key == "examples":
            ok = type(value) is list
        else:
            ok = False
        if not ok:
            return False
    return True


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def check_schema(schema: Any) -> None:
    """SchemaError unless `schema` is a valid JSON Schema; each schema is checked once per
    process, because the meta-schema check costs more than evaluating a whole city. A schema of
    the plain keywords rules use is judged here; any other goes to jsonschema's meta-schema."""
    key = json.dumps(schema, sort_keys=True, default=str)
    if key not in _checked:
        if not _plainly_valid(schema):
            from jsonschema import Draft202012Validator

            Draft202012Validator.check_schema(schema)
        _checked.add(key)


def bind(rule: Rule, static: Mapping[str, Any]) -> list[BoundRule]:
    """The rule bound to the run's static names.

    TemplateError when a reference has no value; SchemaError when a bound schema is invalid.
    """
    scope = dict(static, params=rule.params)
    items: list[Any] = [None]
    if rule.each is not None:
        each = substitute(rule.each, scope, STATIC)
        if not isinstance(each, list):
            raise TemplateError(f"'each' must give a list, not {type(each).__name__}")
        items = each
    bound = []
    for item in items:
        item_scope = dict(scope, each=item) if rule.each is not None else scope
        select = {k: substitute(v, item_scope, STATIC) for k, v in rule.select.items()}
        exempt = {k: substitute(v, item_scope, STATIC) for k, v in rule.exempt.items()}
        require = substitute(rule.require, item_scope, STATIC)
        for schema in (require, *select.values(), *exempt.values()):
            check_schema(schema)
        bound.append(BoundRule(
            rule, item_scope,
            tuple((k, compile_predicate(v)) for k, v in select.items()),
            tuple((k, compile_predicate(v)) for k, v in exempt.items()),
            compile_predicate(require), require,
            _projection(require), bool(namespaces_in(require) & set(OBJECT)),
        ))
    return bound


_ANNOTATIONS = {"$comment", "title", "description", "default", "examples"}
_NESTED = ("if", "then", "else", "not")
_LISTS = ("allOf", "anyOf", "oneOf")


def _projection(schema: Any) -> tuple[str, ...] | None:
    """The top-level keys a schema looks at, when it looks at nothing else of an object
    (only properties, required and combinations of them); None when it may see the whole."""
    if schema is True or schema == {}:
        return ()
    if not isinstance(schema, dict) or set(schema) - _ANNOTATIONS - {"properties", "required", *_NESTED, *_LISTS}:
        return None
    props, required = schema.get("properties", {}), schema.get("required", [])
    if not isinstance(props, dict) or not isinstance(required, list):
        return None
    keys = set(props) | {k for k in required if isinstance(k, str)}
    parts = [schema[k] for k in _NESTED if k in schema]
    for k in _LISTS:
        if not isinstance(schema.get(k, []), list):
            return None
        parts.extend(schema.get(k, []))
    for part in parts:
        inner = _projection(part)
        if inner is None:
            return None
        keys.update(inner)
    return tuple(sorted(keys))


def _parent(subject: Any, rel: Path) -> Any:
    node = subject
    for part in rel[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _errors(bound: BoundRule, subject: Any, objects: Mapping[str, Any]) -> list[tuple[Path, str]]:
    """(path in the subject, keyword) of each jsonschema error, the nearly matching branch of an
    anyOf/oneOf chosen; reused for every subject alike in the keys the schema looks at."""
    key: tuple[str, str] | None = None
    if bound.projection is not None and isinstance(subject, dict):
        schema_key = json.dumps(substitute(bound.require_schema, objects, OBJECT), sort_keys=True,
                                default=str) if bound.open_refs else ""
        seen = {k: subject[k] for k in bound.projection if k in subject}
        key = (schema_key, json.dumps(seen, sort_keys=True, ensure_ascii=False, default=str))
        found = bound.memo.get(key)
        if found is not None:
            return found
    from jsonschema.exceptions import best_match

    out = []
    for found in validator_for(bound.require_schema, objects).iter_errors(subject):
        error = found
        while error.context and error.validator in ("anyOf", "oneOf"):
            error = best_match(error.context)  # the branch that nearly matched explains more
        out.append((tuple(error.absolute_path), str(error.validator)))
    if key is not None:
        bound.memo[key] = out
    return out


def _at(subject: Any, rel: Path) -> Any:
    node = subject
    for part in rel:
        node = node[part]
    return node


def violations(
    bound: BoundRule,
    subject: Any,
    objects: Mapping[str, Any],
    doc: Document,
    base: Path,
    department: Department | str | None,
    system: str | None,
) -> Iterator[Finding]:
    """The findings of a subject that failed `require`: one per jsonschema error."""
    rule = bound.rule
    errors: list[tuple[Path, str] | None] = [*_errors(bound, subject, objects)] or [None]
    for error in errors:
        rel, keyword = error if error is not None else ((), "")
        path = base + rel
        exact = path in doc.values and keyword != "required"
        location = doc.location_of(path, key=not exact)
        names = {
            "value": _at(subject, rel),  # jsonschema's instance: the value at the error's path
            "parent": _parent(subject, rel) if rel else subject,
            "key": rel[-1] if rel else None,
            "path": _dotted(path),
        }
        template = rule.messages.get(str(keyword), rule.message)
        text = message(template, {**bound.scope, **objects, **names})  # names first, then objects, then scope
        yield rule.finding(text, location, department, system)
