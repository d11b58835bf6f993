"""Workarounds for the Pulumi SDK, shared by the dynamic providers (cloud/) and the engine.

Below both layers: it imports nothing of govcloud.

Undo the SDK's cumulative pickler patch before each dynamic resource:

`pulumi.dynamic.serialize_provider` wraps `pickle._Pickler._batch_setitems` in a sorting
wrapper on every call and never restores it, so the n-th dynamic resource pickles
through n nested wrappers: slower each time, and a RecursionError near 1,000 resources
(pulumi 3.272). Putting the original back before each resource keeps the depth at one.
"""
from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

_ORIGINAL_NAME = "_Pickler._batch_setitems"


def _original(current: Callable[..., Any]) -> Callable[..., Any]:
    """The pickle module's own function, found through the wrappers' closures."""
    seen = 0
    while getattr(current, "__qualname__", "") != _ORIGINAL_NAME:
        cells = [c.cell_contents for c in getattr(current, "__closure__", None) or ()]
        inner = [c for c in cells if callable(c) and getattr(c, "__name__", "") != "sorted"]
        if not inner or seen > 100_000:
            return current  # not the SDK's wrapper: leave whatever it is alone
        current, seen = inner[0], seen + 1
    return current


_PRISTINE = _original(pickle._Pickler._batch_setitems)  # type: ignore[attr-defined]


def reset_pickler() -> None:
    pickle._Pickler._batch_setitems = _PRISTINE  # type: ignore[attr-defined]
