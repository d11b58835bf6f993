"""The names `${…}` references see: the city, the policy data and derived lists.

Derived lists are registered explicitly; each is computed once per run from the policy
data, e.g. `approved.images`: ids of OS images whose listing notice is current today (and
that are listed themselves, not only accepted as advisory), or `derived.sharedFunctions`:
the vocabulary's ids and synonyms of functions a shared platform provides.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from govcloud.model import City
from govcloud.policy.defaults import defaults_for
from govcloud.policy.vocabulary import Vocabulary

Derived = Callable[[Mapping[str, Any], date], Any]
DERIVED: dict[str, Derived] = {}


def derived(name: str) -> Callable[[Derived], Derived]:
    def register(fn: Derived) -> Derived:
        DERIVED[name] = fn
        return fn
    return register


def _current(products: Any, today: date, advisory: bool = False) -> list[str]:
    """Ids of products whose listing has started and not expired on `today`: the listed ones,
    or (`advisory`) the upstream editions accepted for reference only."""
    out = []
    for p in products or ():
        if bool(p.get("advisory", False)) is not advisory:
            continue
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


@derived("advisoryImages")
def advisory_images(data: Mapping[str, Any], today: date) -> list[str]:
    return _current(data.get("approved-products", {}).get("images"), today, advisory=True)


@derived("advisoryEngines")
def advisory_engines(data: Mapping[str, Any], today: date) -> list[str]:
    return _current(data.get("approved-products", {}).get("engines"), today, advisory=True)


def _derived_names(city: City, data: Mapping[str, Any]) -> dict[str, Any]:
    """The `derived` namespace: values computed from the city and the policy data together."""
    vocabulary = Vocabulary.of(data)
    return {
        "sharedFunctions": vocabulary.shared_terms(),
        "functionTerms": vocabulary.terms(),
        # one label (code, English or pinyin abbreviation) under the city domain; not the portal's www
        "siteHostPattern": rf"^(?!www\.)[a-z0-9]([a-z0-9-]{{0,61}}[a-z0-9])?\.{re.escape(city.domain)}$",
    }


def static_scope(city: City, data: Mapping[str, Any], today: date) -> dict[str, Any]:
    """Everything known before the first department is evaluated."""
    return {
        "city": defaults_for("City")(city.doc.data),
        "data": dict(data),
        "approved": {name: fn(data, today) for name, fn in DERIVED.items()},
        "derived": _derived_names(city, data),
        "today": today.isoformat(),
    }
