"""The blueprint schemas' `default`s as one table: the source of every default the model uses.

`defaults(kind)[path]` maps the keys of the object at `path` (from the document's root, "*"
for any item of an array) to their defaults:

    defaults("Department")[("spec", "systems", "*")]["auditLogDays"]   → 180
    defaults("Department")[("spec", "systems", "*", "backup")]         → {"offsite": False}

Computed once per kind from the packaged schema; read-only (list defaults are shared).
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from govcloud.schema._validate import load_schema

SchemaPath = tuple[str, ...]
ITEM = "*"


def _collect(schema: Mapping[str, Any], path: SchemaPath, table: dict[SchemaPath, Mapping[str, Any]]) -> None:
    props = schema.get("properties")
    if isinstance(props, dict):
        found = {key: sub["default"] for key, sub in props.items() if isinstance(sub, dict) and "default" in sub}
        if found:
            table[path] = MappingProxyType(found)
        for key, sub in props.items():
            if isinstance(sub, dict):
                _collect(sub, (*path, key), table)
    items = schema.get("items")
    if isinstance(items, dict):
        _collect(items, (*path, ITEM), table)


@cache
def defaults(kind: str) -> Mapping[SchemaPath, Mapping[str, Any]]:
    """Every object's defaults in the blueprint schema of `kind` ('City' or 'Department')."""
    table: dict[SchemaPath, Mapping[str, Any]] = {}
    _collect(load_schema(kind), (), table)
    return MappingProxyType(table)
