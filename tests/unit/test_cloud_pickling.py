"""The SDK's provider serializer must not nest a pickler wrapper per resource."""
from __future__ import annotations

import pickle

import pulumi.dynamic

from govcloud.sdkcompat import reset_pickler


def _depth() -> int:
    current, depth = pickle._Pickler._batch_setitems, 0  # type: ignore[attr-defined]
    while getattr(current, "__qualname__", "") != "_Pickler._batch_setitems":
        cells = [c.cell_contents for c in current.__closure__ or ()]
        current = next(c for c in cells if callable(c) and getattr(c, "__name__", "") != "sorted")
        depth += 1
    return depth


class _Provider(pulumi.dynamic.ResourceProvider):
    pass


def test_serializing_many_providers_keeps_the_pickler_flat() -> None:
    for _ in range(50):
        reset_pickler()
        pulumi.dynamic.dynamic.serialize_provider(_Provider())  # type: ignore[attr-defined]
    assert _depth() <= 1


def test_without_the_reset_the_sdk_nests_wrappers() -> None:
    reset_pickler()
    for _ in range(5):
        pulumi.dynamic.dynamic.serialize_provider(_Provider())  # type: ignore[attr-defined]
    assert _depth() == 5  # the behaviour reset_pickler exists for; if this fails, the SDK fixed it
    reset_pickler()
