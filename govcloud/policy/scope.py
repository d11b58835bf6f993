"""The names `${…}` references see: the city, the policy data and derived lists.

Derived lists are registered explicitly; each is computed once per run from the policy
data, e.g. `approved.images`: ids of OS images whose listing notice is current today.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from govcloud.model import City
from govcloud.policy.defaults import defaults_for

Derived = Callable[[Mapping[str, Any], date], Any]
DERIVED: dict[str, Derived] = {}


def derived(name: str) -> Callable[[Derived], Derived]:
    def register(fn: Derived) -> Derived:
        DERIVED[name] = fn
        return fn
    return register


def _current(products: Any, today: date) -> list[str]:
    """Ids of listed products whose listing has started and not expired on `today`."""
    out = []
    for p in products or ():
        try:
            listed = date.fromisoformat(str(p.get("listed", "0001-01-01")))
            expires = date.fromisoformat(str(p.get("expires", "9999-12-31")))
        except ValueError:
            continue
        if listed <= today <= expires:
            out.append(p["id"])
    return out


@derived("images")
def approved_images(data: Mapping[str, Any], today: date) -> list[str]:
    return _current(data.get("approved-products", {}).get("images"), today)


@derived("engines")
def approved_engines(data: Mapping[str, Any], today: date) -> list[str]:
    return _current(data.get("approved-products", {}).get("engines"), today)


def static_scope(city: City, data: Mapping[str, Any], today: date) -> dict[str, Any]:
    """Everything known before the first department is evaluated."""
    return {
        "city": defaults_for("City")(city.doc.data),
        "data": dict(data),
        "approved": {name: fn(data, today) for name, fn in DERIVED.items()},
        "today": today.isoformat(),
    }
