"""Tags: the governance tags every resource carries and the AWS wire forms of a tag dict."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

MANAGED_BY = "managed-by"
GOVCLOUD = "govcloud"
STACK = "gov:stack"
# Finds a half-done create again after a crash, where the API has no natural key (EC2).
KEY_TAG = "govcloud:key"
NAME_TAG = "Name"
INTERNAL = frozenset({KEY_TAG})


def to_aws(tags: Mapping[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in sorted(tags.items())]


def from_aws(
    tag_list: Iterable[Mapping[str, Any]] | None, key: str = "Key", value: str = "Value"
) -> dict[str, str]:
    return {str(t[key]): str(t.get(value, "")) for t in tag_list or ()}


def visible(tags: Mapping[str, str], *hidden: str) -> dict[str, str]:
    """The tags a user declared: internal ones (and e.g. Name, a property of its own) hidden."""
    return {k: v for k, v in tags.items() if k not in INTERNAL and k not in hidden}


def changes(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """(tags to set, tag keys to remove) to turn `old` into `new`."""
    to_set = {k: v for k, v in new.items() if old.get(k) != v}
    return to_set, sorted(k for k in old if k not in new)


def is_ours(found: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    """May a create adopt a resource carrying `found` tags? Only ours, of the same stack."""
    if found.get(MANAGED_BY) != GOVCLOUD:
        return False
    return found.get(STACK) == wanted.get(STACK)


def idempotency_key(token: str, props: Mapping[str, Any], replace_props: Iterable[str]) -> str:
    """Same stack, type, name and replace-forcing properties ⇒ same key.

    A replacement (create-before-delete) changes a replace-forcing property, so it never
    adopts the resource it is about to replace.
    """
    basis = {
        "token": token,
        "stack": props.get("tags", {}).get(STACK, ""),
        "name": props.get("name"),
        "replace": {p: props.get(p) for p in sorted(replace_props)},
    }
    digest = hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()
    return digest[:24]
