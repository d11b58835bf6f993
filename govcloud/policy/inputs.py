"""Reading the reviewer's own files (packs, policy data, waivers) with located problems.

A broken policy input is bad input (exit 2), reported like a blueprint's schema error:
`policies/network.yaml:12:7: GC-POLICY unknown key 'selct' in rules[0]`.
"""
from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from govcloud.load import load_file
from govcloud.model import Document, Finding, Location, Severity
from govcloud.schema import packaged_schema

RULE = "GC-POLICY"

if TYPE_CHECKING:  # jsonschema explains a broken file; a valid one never imports it
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError


def package_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped with govcloud.policy, e.g. 'pack' → pack.schema.json."""
    return packaged_schema("govcloud.policy", name)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with local `$ref`s to `$defs` replaced by their target (our schemas do not recurse)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref[len("#/$defs/"):]], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


@cache
def fast_check(schema_json: str) -> Callable[[Any], bool]:
    from govcloud.policy.predicate import (
        compile_predicate,  # a sibling module; no cycle at import
    )

    schema = json.loads(schema_json)
    predicate = compile_predicate(_inline(schema, schema.get("$defs", {})))
    return lambda data: predicate(data, {})


def shown(path: str | os.PathLike[str]) -> str:
    """A path as the user should read it: relative to the working directory when inside it."""
    text = os.fspath(path)
    rel = os.path.relpath(text)
    return text if rel.startswith("..") else rel


def problem(message: str, location: Location | None, hint: str = "") -> Finding:
    return Finding(RULE, Severity.ERROR, message, location, hint=hint)


def read_documents(path: str) -> tuple[tuple[Document, ...], list[Finding]]:
    """The YAML documents of a policy file; syntax errors become GC-POLICY findings."""
    loaded = load_file(path, shown(path))
    return loaded.documents, [problem(f.message, f.location, f.hint) for f in loaded.findings]


def _where(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "document"


def _message(error: ValidationError) -> tuple[str, tuple[Any, ...], bool, str] | None:
    """(message, path, point-at-key, hint) for one jsonschema error."""
    path = tuple(error.absolute_path)
    where, v = _where(path), error.validator
    if v == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(error.schema.get("properties", {}))
        extra = min(set(error.instance) - set(known))
        close = difflib.get_close_matches(extra, known, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "allowed keys: " + ", ".join(known)
        return f"unknown key '{extra}' in {where}", path + (extra,), True, hint
    if v == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        known = error.schema.get("properties", {})
        typos = [k for k in error.instance if k not in known]
        if difflib.get_close_matches(missing[0], typos, n=1, cutoff=0.6):
            return None  # a misspelt required key is reported once, as the unknown key
        return f"missing required key '{missing[0]}' in {where}", path, True, ""
    if v == "enum":
        return f"{where} must be one of {', '.join(map(str, error.validator_value))}", path, False, ""
    if v == "type":
        return f"{where} must be of type {error.validator_value}", path, False, ""
    if v == "pattern":
        return f"{where} {error.instance!r} does not match {error.validator_value}", path, False, ""
    if v == "not" and isinstance(error.instance, dict):
        return f"{where}: a built-in rule (with 'check') takes only params, not select/require/message", path, False, ""
    return f"{where}: {error.message[:160]}", path, False, ""


def schema_problems(doc: Document, schema: dict[str, Any] | Draft202012Validator) -> list[Finding]:
    """Located GC-POLICY findings for every way `doc` breaks `schema` (or a validator's)."""
    raw = schema if isinstance(schema, dict) else schema.schema
    # valid files (nearly all) take the compiled yes/no path; jsonschema only explains failures
    if fast_check(json.dumps(raw, sort_keys=True))(doc.data):
        return []
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    validator = schema if not isinstance(schema, dict) else Draft202012Validator(schema)
    out = []
    for found in validator.iter_errors(doc.data):
        error = best_match(found.context) if found.context and found.validator in ("anyOf", "oneOf") else found
        described = _message(error)
        if described is None:
            continue
        message, path, key, hint = described
        out.append(problem(message, doc.location_of(path, key=key), hint))
    out.sort(key=Finding.sort_key)
    return out
