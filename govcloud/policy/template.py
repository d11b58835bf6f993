"""`${…}` references in policy packs: values from the city, the policy data and the object.

A reference is a dotted path into a namespace, with `[*]` to project over a list and an
optional JSON default after `??`:

    ${city.spec.datacentre.mlps}
    ${data.shared-platforms.functions[*].id}
    ${city.spec.projectPattern ?? ""}

A string that is exactly one reference becomes the referenced value (a list stays a list);
a reference inside a longer string is interpolated as text.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

REFERENCE = re.compile(r"\$\{\s*([^}?]+?)\s*(?:\?\?\s*([^}]*?)\s*)?\}")

# Namespaces known before any department is read (bound once per run) …
STATIC = ("city", "data", "approved", "derived", "params", "today", "each")
# … and the ones that change with every evaluated object (resolved per evaluation).
OBJECT = ("department", "system")
# In messages only: the failing value, the mapping holding it, its key and its dotted path.
MESSAGE = ("value", "parent", "key", "path")
NAMESPACES = STATIC + OBJECT + MESSAGE


class TemplateError(ValueError):
    """A reference that names no namespace, or a value that is missing with no default."""


_MISSING = object()


@dataclass(frozen=True)
class Reference:
    path: tuple[str, ...]
    default: Any = _MISSING

    @property
    def namespace(self) -> str:
        return self.path[0]


def _parse_path(text: str) -> tuple[str, ...]:
    parts: list[str] = []
    for part in text.split("."):
        if part.endswith("[*]"):
            parts.extend((part[:-3], "[*]"))
        else:
            parts.append(part)
    if not parts or any(not p for p in parts):
        raise TemplateError(f"malformed reference ${{{text}}}")
    return tuple(parts)


def references(text: str) -> list[Reference]:
    """Every reference in `text`, checked for a known namespace and a valid default."""
    return list(_parsed(text))


@lru_cache(maxsize=4096)
def _parsed(text: str) -> tuple[Reference, ...]:
    """`references`, parsed once per text: a message template is rendered for every finding."""
    out = []
    for match in REFERENCE.finditer(text):
        path = _parse_path(match.group(1))
        if path[0] not in NAMESPACES:
            raise TemplateError(
                f"unknown namespace '{path[0]}' in ${{{match.group(1)}}} (known: {', '.join(NAMESPACES)})")
        default: Any = _MISSING
        if match.group(2) is not None:
            try:
                default = json.loads(match.group(2))
            except json.JSONDecodeError:
                raise TemplateError(f"the default after ?? must be JSON, not {match.group(2)!r}") from None
        out.append(Reference(path, default))
    return tuple(out)


def lookup(scope: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at `path`, or _MISSING; `[*]` maps the rest of the path over a list."""
    node: Any = scope
    for i, part in enumerate(path):
        if part == "[*]":
            if not isinstance(node, list):
                return _MISSING
            rest = path[i + 1:]
            values = [lookup(item, rest) if rest else item for item in node]
            return [v for v in values if v is not _MISSING]
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _value(ref: Reference, scope: Mapping[str, Any], missing: Any = _MISSING) -> Any:
    value = lookup(scope, ref.path)
    if value is _MISSING:
        if ref.default is _MISSING and missing is not _MISSING:
            return missing
        if ref.default is _MISSING:
            raise TemplateError(f"${{{'.'.join(ref.path).replace('.[*]', '[*]')}}} has no value")
        return ref.default
    return value


def as_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(as_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def render(text: str, scope: Mapping[str, Any], namespaces: tuple[str, ...] = NAMESPACES) -> Any:
    """`text` with the references of `namespaces` replaced (others are left for later)."""
    match = REFERENCE.fullmatch(text.strip()) if "${" in text else None
    if match is not None:
        (ref,) = references(text)
        return _value(ref, scope) if ref.namespace in namespaces else text

    def one(m: re.Match[str]) -> str:
        (ref,) = references(m.group(0))
        return as_text(_value(ref, scope)) if ref.namespace in namespaces else m.group(0)

    return REFERENCE.sub(one, text)


@lru_cache(maxsize=1024)
def _pieces(text: str) -> tuple[str | Reference, ...]:
    """`text` as its literal parts and references, in order (parsed once per message template)."""
    out: list[str | Reference] = []
    at = 0
    for m in REFERENCE.finditer(text):
        out.append(text[at:m.start()])
        out.extend(_parsed(m.group(0)))
        at = m.end()
    out.append(text[at:])
    return tuple(out)


def message(text: str, scope: Mapping[str, Any]) -> str:
    """A finding's message: every reference interpolated; a missing value shows as '?'."""
    if "${" not in text:
        return text
    return "".join([p if isinstance(p, str) else as_text(_value(p, scope, missing="?")) for p in _pieces(text)])


def substitute(node: Any, scope: Mapping[str, Any], namespaces: tuple[str, ...] = NAMESPACES) -> Any:
    """A copy of a JSON-like tree with the references of `namespaces` resolved."""
    if isinstance(node, str):
        return render(node, scope, namespaces) if "${" in node else node
    if isinstance(node, list):
        return [substitute(x, scope, namespaces) for x in node]
    if isinstance(node, dict):
        return {k: substitute(v, scope, namespaces) for k, v in node.items()}
    return node


def namespaces_in(node: Any) -> set[str]:
    """The namespaces a JSON-like tree refers to."""
    if isinstance(node, str):
        return {r.namespace for r in references(node)} if "${" in node else set()
    if isinstance(node, list):
        return set().union(*(namespaces_in(x) for x in node)) if node else set()
    if isinstance(node, dict):
        return set().union(*(namespaces_in(v) for v in node.values())) if node else set()
    return set()
