"""`--format json`: exactly the check envelope, pretty-printed, Chinese kept readable.

The text is what `json.dumps(envelope, ensure_ascii=False, indent=2)` writes, produced one
finding at a time with the C encoder for each value (the indenting encoder is pure Python
and holds the whole document), so a city's report can be streamed to a file.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from govcloud.model import Finding
from govcloud.policy.result import CheckResult

_string = json.encoder.encode_basestring  # C, keeps non-ASCII as is (ensure_ascii=False)
_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
_CONSTANTS = {None: "null", True: "true", False: "false"}


def _encode(value: Any, indent: str, memo: dict[str, str]) -> str:
    """One value as the standard encoder writes it at `indent`, without building an encoder per
    call; long strings (a rule's basis, a group's message) are encoded once per rendering."""
    if type(value) is str:
        if len(value) < 48:
            return _string(value)
        text = memo.get(value)
        if text is None:
            text = memo[value] = _string(value)
        return text
    if value is None or type(value) is bool:
        return _CONSTANTS[value]
    if type(value) is int:
        return int.__repr__(value)
    if isinstance(value, (dict, list)) and value:  # nested (rare): the standard encoder, re-indented
        return json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False).replace("\n", "\n" + indent)
    return _dumps(value)


def _object(obj: dict[str, Any], indent: str, memo: dict[str, str]) -> str:
    inner = indent + "  "
    if not obj:
        return "{}"
    body = ",\n".join([f"{inner}{_string(k)}: {_encode(v, inner, memo)}" for k, v in obj.items()])
    return "{\n" + body + "\n" + indent + "}"


# A finding as `_object(f.to_json(), "    ")` writes it, its keys laid out once.
_FIELDS = ("rule", "severity", "department", "system", "file", "line", "column", "message", "basis", "waived")
_FINDING = "    {\n" + ",\n".join(f"      {_string(k)}: %s" for k in _FIELDS) + "\n    }"


def _finding(f: Finding, memo: dict[str, str]) -> str:
    loc = f.location
    if loc is None:
        file, line, column = "null", "null", "null"
    else:
        file, line, column = _encode(loc.file, "", memo), _encode(loc.line, "", memo), _encode(loc.column, "", memo)
    return _FINDING % (
        _encode(f.rule, "", memo), _encode(f.severity.value, "", memo), _encode(f.department, "", memo),
        _encode(f.system, "", memo), file, line, column, _encode(f.message, "", memo),
        _encode(f.basis, "", memo), _encode(f.waived, "", memo),
    )


def iter_json(result: CheckResult) -> Iterator[str]:
    """The envelope in pieces: its head, one piece per finding, its tail."""
    findings = result.findings
    memo: dict[str, str] = {}
    if not findings:
        yield '{\n  "findings": [],\n'
    else:
        yield '{\n  "findings": [\n'
        last = len(findings) - 1
        for i, f in enumerate(findings):
            yield _finding(f, memo) + (",\n" if i < last else "\n")
        yield "  ],\n"
    yield '  "summary": ' + _object(dict(result.summary.to_json()), "  ", memo) + "\n}\n"


def render_json(result: CheckResult) -> str:
    return "".join(iter_json(result))
