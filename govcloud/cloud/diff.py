"""The property-level diff every provider's `diff` returns (pure)."""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.dynamic import DiffResult

from govcloud.cloud.check import UNKNOWN, user_inputs
from govcloud.cloud.types import ResourceType


@dataclass(frozen=True)
class ProviderDiff:
    """A dynamic provider's answer to diff(): which inputs changed, which of them replace the
    resource, and in which order (the engine's per-property diff is engine.diff.PropertyDiff)."""

    changed: tuple[str, ...]
    replaces: tuple[str, ...]
    delete_before_replace: bool

    @property
    def changes(self) -> bool:
        return bool(self.changed)

    def to_result(self) -> DiffResult:
        return DiffResult(
            changes=self.changes,
            replaces=list(self.replaces),
            stables=[],
            delete_before_replace=self.delete_before_replace,
        )


SECRET_PREFIX = "sha256:"


def secret_digest(value: str) -> str:
    """What outputs keep of a secret input: enough to see it changed, nothing to reuse."""
    return SECRET_PREFIX + hashlib.sha256(value.encode()).hexdigest()


def _contains_unknown(value: Any) -> bool:
    if value == UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(_contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_unknown(v) for v in value)
    return False


def _same(old: Any, new: Any) -> bool:
    if _contains_unknown(new):
        return False  # not known until apply: assume it changes
    if isinstance(old, tuple):
        old = list(old)
    if isinstance(new, tuple):
        new = list(new)
    return bool(old == new)


def diff_properties(rtype: ResourceType, olds: Mapping[str, Any], news: Mapping[str, Any]) -> ProviderDiff:
    """Compare old state with new inputs, property by property.

    `olds` are the old outputs (they repeat every input); a property missing there takes
    its default, so state written before a property existed does not show a change.
    `__provider` is not a property: a provider change alone is no change.
    """
    olds, news = user_inputs(olds), user_inputs(news)
    changed: list[str] = []
    for prop in rtype.props:
        old = olds.get(prop.name, prop.default)
        new = news.get(prop.name, prop.default)
        if prop.secret and isinstance(new, str) and old == secret_digest(new):
            continue
        if new is None and prop.name in rtype.outputs:
            continue  # left to the cloud (e.g. a subnet's zone): whatever it chose stands
        if not _same(old, new):
            changed.append(prop.name)
    replaces = tuple(n for n in changed if rtype.prop(n).replace)
    # Two resources with the same natural key cannot coexist: the old one must go first.
    collide = bool(replaces) and bool(rtype.natural_key) and not any(
        k in changed for k in rtype.natural_key
    )
    return ProviderDiff(tuple(changed), replaces, collide)
