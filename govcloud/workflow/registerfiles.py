"""Writing the city's registers and editing blueprints as text, so comments and layout survive.

An entry is appended as a block of YAML lines at the end of the register's list; a key is
removed from a blueprint by deleting its lines, found from the located document. Every
written file is read back by the caller: a write that would not load is undone.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from govcloud.model import REGISTERS_DIR, Document

REGISTER_FILES = {"Grants": ("grants.yaml", "grants"), "Approvals": ("approvals.yaml", "approvals"),
                  "Projects": ("projects.yaml", "projects"), "MlpsRecords": ("mlps.yaml", "records")}
HEADERS = {
    "Grants": "# What the city grants each department (资源核定): data-centre quota, OA seats, a site slot.\n"
              "# Only a grant counts; a department's own spec.quota only asks.\n",
    "Approvals": "# The data bureau's approvals of requests (审批记录); `govcloud approve` appends here.\n",
    "Projects": ("# Approved IT projects (立项批复): number, approval, budget and the systems each "
                 "covers.\n"),
    "MlpsRecords": ("# Protection levels (定级), filings with the public-security bureau (备案) and "
                    "assessments (测评).\n"),
}
_WORD = r"A-Za-z0-9\u3000-\u9fff\uff00-\uffef〔〕（）_"  # ASCII letters and digits, CJK and full-width forms
_PLAIN = re.compile(rf"^[{_WORD}][{_WORD} .@/-]*$")
_RESERVED = re.compile(r"^(true|false|yes|no|on|off|null|~|[-+]?[0-9.]+([eE][-+]?[0-9]+)?)$", re.IGNORECASE)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def scalar(value: Any) -> str:
    """A YAML scalar that reads back as `value` (strings quoted only when they must be)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else repr(value)
    text = str(value)
    if _DATE.match(text) or (_PLAIN.match(text) and not _RESERVED.match(text) and not text.endswith(" ")):
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def entry_lines(entry: Mapping[str, Any]) -> str:
    """One list entry in block style, nested values in flow style."""
    lines = []
    for i, (key, value) in enumerate(entry.items()):
        lines.append(("  - " if i == 0 else "    ") + f"{key}: {flow(value)}")
    return "\n".join(lines) + "\n"


def register_path(blueprints: str, kind: str) -> str:
    return os.path.join(blueprints, REGISTERS_DIR, REGISTER_FILES[kind][0])


def new_register(kind: str, entries: Sequence[Mapping[str, Any]], keeper: str = "") -> str:
    key = REGISTER_FILES[kind][1]
    meta = f"metadata: {{keeper: {scalar(keeper)}}}\n" if keeper else ""
    body = "".join(entry_lines(e) for e in entries) if entries else ""
    return HEADERS[kind] + f"apiVersion: govcloud/v1\nkind: {kind}\n{meta}{key}:" + (
        "\n" + body if entries else " []\n")


def with_entries(text: str, kind: str, entries: Sequence[Mapping[str, Any]]) -> str:
    """The register's text with `entries` appended to its list (a flow `[]` list is opened up)."""
    key = REGISTER_FILES[kind][1]
    body = "".join(entry_lines(e) for e in entries)
    empty = re.compile(rf"^{key}:\s*\[\s*\]\s*$", re.MULTILINE)
    if empty.search(text):
        return empty.sub(f"{key}:\n" + body.rstrip("\n"), text, count=1) + ("" if text.endswith("\n") else "\n")
    return (text if text.endswith("\n") else text + "\n") + body


def without_key(text: str, doc: Document, path: tuple[str, ...]) -> str:
    """`text` (the file of `doc`) without the mapping entry at `path` and its lines."""
    if path not in doc.keys:
        return text
    start = doc.keys[path][0]
    parent = path[:-1]
    later = [line for p, (line, _) in doc.keys.items()
             if len(p) == len(path) and p[:-1] == parent and line > start]
    upper = [line for p, (line, _) in doc.keys.items() if len(p) < len(path) and line > start]
    ends = later + upper
    lines = text.splitlines(keepends=True)
    end = min(ends) if ends else len(lines) + 1
    while end - 1 > start and (not lines[end - 2].strip() or lines[end - 2].lstrip().startswith("#")):
        end -= 1  # blank lines and comments before the next key belong to it
    return "".join(lines[: start - 1] + lines[end - 1:])


def write_atomically(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
