"""What changed between the recorded inputs and the program's, and what step that calls for."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from govcloud.engine.properties import (
    PROVIDER_KEY,
    SIG_KEY,
    UNKNOWN,
    Props,
    contains_unknown,
    render,
)


class Op(str, Enum):
    CREATE = "create"
    SAME = "same"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    # The old half of a replacement, deleted after the program finished.
    DELETE_REPLACED = "delete-replaced"
    # retainOnDelete: forgotten by the state, left in the cloud.
    DISCARD = "discard"
    # Recovery of an interrupted create: the resource was found in the cloud and adopted.
    ADOPT = "adopt"


@dataclass(frozen=True)
class PropertyDiff:
    """One changed property; values are rendered (secrets masked, unknowns named)."""

    path: str
    kind: str  # "add" | "update" | "delete"
    old: Any = None
    new: Any = None
    replaces: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "old": self.old, "new": self.new,
                "replaces": self.replaces}


@dataclass(frozen=True)
class Decision:
    op: Op
    diffs: tuple[PropertyDiff, ...] = ()
    delete_before_replace: bool = False


def _changed_paths(old: Any, new: Any, prefix: str) -> Iterable[tuple[str, str, Any, Any]]:
    if isinstance(old, dict) and isinstance(new, dict) and not _is_special(old) and not _is_special(new):
        for key in sorted(set(old) | set(new)):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in new:
                yield path, "delete", old[key], None
            elif key not in old:
                yield path, "add", None, new[key]
            elif old[key] != new[key] or new[key] == UNKNOWN:
                yield from _changed_paths(old[key], new[key], path)
    elif old != new or new == UNKNOWN:
        yield prefix, "update", old, new


def _is_special(value: dict[str, Any]) -> bool:
    # Secret wrappers are compared whole: their inside is not a property path.
    return SIG_KEY in value


def property_diffs(olds: Props, news: Props, replace_keys: Sequence[str] = ()) -> tuple[PropertyDiff, ...]:
    """Per-property differences, ignoring a change of `__provider` alone."""
    old_view = {k: v for k, v in olds.items() if k != PROVIDER_KEY}
    new_view = {k: v for k, v in news.items() if k != PROVIDER_KEY}
    if old_view == new_view and not contains_unknown(new_view):
        return ()
    return tuple(
        PropertyDiff(path, kind, render(old), render(new), _matches(path, replace_keys))
        for path, kind, old, new in _changed_paths(old_view, new_view, "")
    )


def _matches(path: str, keys: Sequence[str]) -> bool:
    top = path.split(".", 1)[0].split("[", 1)[0]
    return any(key in ("*", path, top) or path.startswith(key + ".") for key in keys)


def _get(props: Any, parts: list[str]) -> tuple[bool, Any]:
    for part in parts:
        if not isinstance(props, dict) or part not in props:
            return False, None
        props = props[part]
    return True, props


def apply_ignore_changes(olds: Props, news: Props, paths: Sequence[str]) -> Props:
    """Keep the recorded value at each ignored path (dotted paths reach into maps)."""
    if not paths:
        return news
    result: Props = _copy(news)
    for path in paths:
        parts = path.replace("[", ".").replace("]", "").split(".")
        found, value = _get(olds, parts)
        parent_found, parent = _get(result, parts[:-1])
        if not parent_found or not isinstance(parent, dict):
            continue
        if found:
            parent[parts[-1]] = value
        else:
            parent.pop(parts[-1], None)
    return result


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def decide(
    diffs: tuple[PropertyDiff, ...],
    *,
    provider_changes: bool | None = None,
    provider_replaces: Sequence[str] = (),
    provider_dbr: bool | None = None,
    delete_before_replace: bool = False,
) -> Decision:
    """The step for a resource that exists: same, update or replace."""
    dbr = delete_before_replace or bool(provider_dbr)
    if provider_changes is False:
        return Decision(Op.SAME, diffs)
    if provider_replaces:
        marked = tuple(
            PropertyDiff(d.path, d.kind, d.old, d.new, d.replaces or _matches(d.path, provider_replaces))
            for d in diffs
        )
        return Decision(Op.REPLACE, marked, dbr)
    if not diffs and not provider_changes:
        return Decision(Op.SAME)
    if any(d.replaces for d in diffs):
        return Decision(Op.REPLACE, diffs, dbr)
    return Decision(Op.UPDATE, diffs)
