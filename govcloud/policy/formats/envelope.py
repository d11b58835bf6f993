"""`--format json`: exactly the check envelope, pretty-printed, Chinese kept readable.

The text is what `json.dumps(envelope, ensure_ascii=False, indent=2)` writes, produced one
finding at a time with the C encoder for each value (the indenting encoder is pure Python
and holds the whole document), so a city's report can be streamed to a file.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from govcloud.policy.result import CheckResult

_string = json.encoder.encode_basestring  # C, keeps non-ASCII as is (ensure_ascii=False)
_dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
_CONSTANTS = {None: "null", True: "true", False: "false"}


def _encode(value: Any) -> str:
    """One scalar as the standard encoder writes it, without building an encoder per call."""
    if type(value) is str:
        return _string(value)
    if value is None or type(value) is bool:
        return _CONSTANTS[value]
    if type(value) is int:
        return int.__repr__(value)
    return _dumps(value)


def _value(value: Any, indent: str) -> str:
    if isinstance(value, (dict, list)) and value:  # nested (rare): the standard encoder, re-indented
        return json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False).replace("\n", "\n" + indent)
    return _encode(value)


def _object(obj: dict[str, Any], indent: str) -> str:
    inner = indent + "  "
    if not obj:
        return "{}"
    body = ",\n".join(f"{inner}{_encode(k)}: {_value(v, inner)}" for k, v in obj.items())
    return "{\n" + body + "\n" + indent + "}"


def iter_json(result: CheckResult) -> Iterator[str]:
    """The envelope in pieces: its head, one piece per finding, its tail."""
    findings = result.findings
    if not findings:
        yield '{\n  "findings": [],\n'
    else:
        yield '{\n  "findings": [\n'
        last = len(findings) - 1
        for i, f in enumerate(findings):
            yield "    " + _object(f.to_json(), "    ") + (",\n" if i < last else "\n")
        yield "  ],\n"
    yield '  "summary": ' + _object(dict(result.summary.to_json()), "  ") + "\n}\n"


def render_json(result: CheckResult) -> str:
    return "".join(iter_json(result))
