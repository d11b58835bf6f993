"""Validate one located document against its kind's schema.

jsonschema's own messages dump whole instances; a department's IT officer needs the
key, the expected value and the line. Each error becomes one finding pointing at the
offending key or value, with the most specific branch chosen for oneOf/anyOf.
"""
from __future__ import annotations

import difflib
import importlib
import json
import os
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any

from govcloud.model import Document, Finding, Severity
from govcloud.schema._fast import Check, compile_schema
from govcloud.schema.patterns import compile_pattern

KINDS = ("City", "Department", "Grants", "Approvals", "Projects", "MlpsRecords")  # the last four: city registers
API_VERSION = "govcloud/v1"
RULE = "GC-SCHEMA"

if TYPE_CHECKING:  # jsonschema is imported when a document is invalid, not to check a valid city
    from jsonschema.exceptions import ValidationError


@cache
def packaged_schema(package: str, name: str) -> dict[str, Any]:
    """A JSON Schema shipped as package data: `<package>/<name>.schema.json`."""
    origin = getattr(importlib.import_module(package), "__file__", None)
    path = os.path.join(os.path.dirname(origin), f"{name}.schema.json") if origin else ""
    if os.path.isfile(path):  # an installed package's folder: read as a file (importlib.resources and
        with open(path, encoding="utf-8") as fh:  # the tempfile it imports cost 15 ms of every start-up)
            text = fh.read()
    else:
        from importlib import resources  # a package inside a zip file

        text = resources.files(package).joinpath(f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_schema(kind: str) -> dict[str, Any]:
    """The blueprint schema of `kind` (City or Department)."""
    return packaged_schema("govcloud.schema", kind.lower())


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and compile_pattern(pattern).search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def schema_validator() -> Any:
    """jsonschema's 2020-12 validator class with the fast validator's meanings: ECMA-262
    patterns, and 2.0 is not an integer."""
    from jsonschema import Draft202012Validator, validators

    return validators.extend(
        Draft202012Validator,
        validators={"pattern": _pattern},
        type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", lambda _, v: type(v) is int),
    )


def __getattr__(name: str) -> Any:
    if name == "SchemaValidator":  # the class, built on first use
        return schema_validator()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _validator(kind: str) -> Any:
    return schema_validator()(load_schema(kind))


@cache
def _is_valid(kind: str) -> Check:
    return compile_schema(load_schema(kind))


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "mapping"}.get(
        type(value), type(value).__name__
    )


_EXPECTED = {
    "object": "a mapping", "array": "a list", "integer": "an integer", "number": "a number",
    "string": "a string", "boolean": "true or false", "null": "empty",
}


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _name(path: tuple[Any, ...]) -> str:
    """A readable name for a path: 'spec.systems[0].mlps'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "document"


def _hint(error: ValidationError) -> str:
    desc = error.schema.get("description", "") if isinstance(error.schema, dict) else ""
    return desc.split(". ")[0].rstrip(".") if desc else ""


def _findings(doc: Document, error: ValidationError) -> list[Finding]:
    if error.context and error.validator in ("oneOf", "anyOf"):
        from jsonschema.exceptions import best_match

        # the branch that nearly matched explains more than "is not valid under any"
        return _findings(doc, best_match(error.context))
    path = tuple(error.absolute_path)
    where = _name(path)
    v, expected, value = error.validator, error.validator_value, error.instance

    def at(message: str, p: tuple[Any, ...] = path, key: bool = False, hint: str = "") -> Finding:
        return Finding(RULE, Severity.ERROR, message, doc.location_of(p, key=key), hint=hint or _hint(error))

    if v == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        out = []
        for extra in sorted(set(value) - set(known), key=lambda k: doc.location_of(path + (k,), key=True)):
            close = difflib.get_close_matches(extra, known, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "allowed keys: " + ", ".join(known)
            out.append(at(f"unknown key '{extra}' in {where}", path + (extra,), key=True, hint=hint))
        return out
    if v == "required":
        props = error.schema.get("properties", {})
        extras = [k for k in value if k not in props]
        # a typo of a required key is reported once, as the unknown key with its suggestion
        missing = [k for k in expected if k not in value and not difflib.get_close_matches(k, extras, n=1, cutoff=0.6)]
        return [at(f"missing required key '{k}' in {where}") for k in missing]
    if v == "type":
        wanted = _EXPECTED.get(expected, expected)
        return [at(f"{where} must be {wanted}, not {_type_name(value)} {_short(value)}")]
    if v == "enum":
        return [at(f"{where} must be one of {', '.join(map(str, expected))}, not {_short(value)}")]
    if v == "const":
        return [at(f"{where} must be {_short(expected)}, not {_short(value)}")]
    if v == "pattern":
        return [at(f"{where} {_short(value)} does not match the pattern {expected}")]
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        op = {"minimum": "≥", "maximum": "≤", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[v]
        return [at(f"{where} must be {op} {expected}, not {_short(value)}")]
    if v == "uniqueItems":
        return [at(f"{where} has duplicate items")]
    if v in ("minItems", "minLength") and expected == 1:
        return [at(f"{where} must not be empty")]
    if v == "minLength":
        return [at(f"{where} must be at least {expected} characters, not {len(value)}")]
    if v == "maxLength":
        return [at(f"{where} must be at most {expected} characters, not {len(value)}")]
    return [at(f"{where}: {error.message}")]


def _owned(data: dict[str, Any], error: ValidationError, finding: Finding) -> Finding:
    """Name the department and system a finding belongs to, when the document says."""
    meta = data.get("metadata")
    code = meta.get("code") if isinstance(meta, dict) else None
    system = None
    path = list(error.absolute_path)
    if path[:2] == ["spec", "systems"] and len(path) > 2:
        systems = data["spec"]["systems"]
        item = systems[path[2]] if isinstance(systems, list) else None
        system = item.get("name") if isinstance(item, dict) and isinstance(item.get("name"), str) else None
    return replace(finding, department=code if isinstance(code, str) else None, system=system)


def validate_document(doc: Document) -> tuple[str | None, list[Finding]]:
    """The document's kind (None when unknown) and its schema findings, in file order."""
    data = doc.data
    if not isinstance(data, dict):
        return None, [Finding(RULE, Severity.ERROR, f"a blueprint must be a mapping, not {_type_name(data)}",
                              doc.location_of(()), hint="start with 'apiVersion: govcloud/v1'")]
    kind = data.get("kind")
    if kind not in KINDS:
        if "kind" not in data:
            msg, loc = "missing required key 'kind'", doc.location_of(())
        else:
            msg, loc = f"unknown kind {_short(kind)}", doc.location_of(("kind",))
        close = difflib.get_close_matches(str(kind), KINDS, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "kind is one of " + ", ".join(KINDS)
        return None, [Finding(RULE, Severity.ERROR, msg, loc, hint=hint)]
    if _is_valid(kind)(data):
        return kind, []
    errors: list[Finding] = []
    judged: set[tuple[Any, ...]] = set()
    for error in _validator(kind).iter_errors(data):
        if error.validator not in ("required", "additionalProperties"):
            path = tuple(error.absolute_path)
            if path in judged:
                continue  # one line per value: a too-long name need not also be told its pattern
            judged.add(path)
        errors.extend(_owned(data, error, f) for f in _findings(doc, error))
    errors.sort(key=Finding.sort_key)
    return kind, errors
