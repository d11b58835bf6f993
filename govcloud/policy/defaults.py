"""Blueprint defaults (of the blueprint format) applied to raw documents before rules look at them.

The defaults are read from the blueprint schema's `default` keywords, so the schema stays
their one source. A filled-in key has no place in the file, so a finding about it points
at the nearest key that is there (the system, or its `backup:`), which is what a reader
needs: "add it here".
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

from govcloud.schema import load_schema

Filler = Callable[[Any], Any]
_IMMUTABLE = (str, int, float, bool, type(None))


def _identity(value: Any) -> Any:
    return value


def compile_defaults(schema: dict[str, Any]) -> Filler:
    """A function returning a copy of an instance with absent defaulted keys filled in.

    Only what changes is copied; untouched subtrees are shared with the input, which is
    never modified.
    """
    props: dict[str, Any] = schema.get("properties", {})
    fills = {k: s["default"] for k, s in props.items() if isinstance(s, dict) and "default" in s}
    nested = {k: f for k, s in props.items() if isinstance(s, dict) and (f := compile_defaults(s)) is not _identity}
    items = compile_defaults(schema["items"]) if isinstance(schema.get("items"), dict) else _identity
    if not fills and not nested and items is _identity:
        return _identity

    mutable = frozenset(k for k, v in fills.items() if type(v) not in _IMMUTABLE)

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            out = dict(value)
            for key, default in fills.items():
                if key not in out:  # defaults are scalars (shared) or empty lists (copied)
                    out[key] = copy.copy(default) if key in mutable else default
            for key, sub in nested.items():
                if key in out:
                    out[key] = sub(out[key])
            return out
        if isinstance(value, list) and items is not _identity:
            return [items(x) for x in value]
        return value

    return fill


@cache
def defaults_for(kind: str) -> Filler:
    """The default filler of a blueprint kind ('City' or 'Department')."""
    return compile_defaults(load_schema(kind))
