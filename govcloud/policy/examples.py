"""A rule's failing and passing examples as whole blueprints, so they can be run.

An example in a pack is a JSON merge patch (RFC 7386: mappings merge, anything else
replaces, null removes a key) over a compliant city and department. It is either a
department patch, or a mapping of `city`, `department`, `departments` (several patches,
for cross-department rules) and `waivers` (the waivers file's entries).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

from govcloud.policy.rule import Rule

STRUCTURED = ("city", "department", "departments", "waivers", "registers")
# The day every example is judged as of, whatever the calendar says: dates in examples (an
# assessment, an expiry) are written relative to it, so an example that shows a rule today
# shows it in ten years too, and a check never fails because the examples grew old.
EXAMPLES_DAY = date(2026, 6, 1)
# `registers` maps a register's list key to its entries, written beside city.yaml (city/<key>.yaml).
REGISTERS = {"grants": "Grants", "approvals": "Approvals", "projects": "Projects", "records": "MlpsRecords"}

BASE_CITY: dict[str, Any] = {
    "apiVersion": "govcloud/v1",
    "kind": "City",
    "metadata": {"name": "foshan", "title": "佛山市"},
    "spec": {
        "domain": "foshan.gov.cn",
        "networks": {"extranet": {"cidr": "10.16.0.0/12"}, "intranet": {"cidr": "10.64.0.0/12"},
                     "internetZone": {"cidr": "10.96.0.0/16"}},
        "exemptCategories": ["politics-law", "social-security"],
        "projectPattern": r"^FS-\d{4}-IT-\d{4}$",
        "datacentre": {"region": "city-dc-1", "drRegion": "city-dr-1", "mlps": 3,
                       "capacity": {"vcpu": 8000, "memoryGiB": 32000, "storageTiB": 2000}},
        "platforms": {"oa": {"seats": 40000, "storageTiB": 60}, "site": {"maxSites": 300}},
        "prices": {"vcpuMonth": 60, "memoryGiBMonth": 15, "storageGiBMonth": 0.4,
                   "oaSeatYear": 200, "siteYear": 30000},
    },
}

# Compliant with every rule of the shipped packs: examples only change what they show.
BASE_DEPARTMENT: dict[str, Any] = {
    "apiVersion": "govcloud/v1",
    "kind": "Department",
    "metadata": {"code": "slj", "name": "市水利局", "category": "general", "project": "FS-2026-IT-0101",
                 "headcount": 180},
    "spec": {
        "quota": {"vcpu": 64, "memoryGiB": 256, "storageTiB": 10},
        "oa": {"seats": 180, "storageGiB": 200, "documentExchange": True},
        "site": {"host": "slj.foshan.gov.cn",
                 "columns": ["information-release", "interpretation", "online-services", "interaction"],
                 "ipv6": True, "storageGiB": 20},
        "systems": [{
            "name": "river-monitoring", "title": "河道水情监测系统", "function": "river-monitoring",
            "network": "extranet", "mlps": 2,
            "compute": [{"role": "app", "count": 2, "vcpu": 4, "memoryGiB": 16, "image": "kylin-v10-server",
                         "diskGiB": 100}],
            "database": {"engine": "dm8", "storageGiB": 200, "replicas": 2},
            "backup": {"offsite": True, "rpoMinutes": 60},
        }],
    },
}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch of `target` (which is not modified)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


@dataclass(frozen=True)
class Example:
    """The files of one example: blueprints by relative path, and the waivers file if any."""

    blueprints: dict[str, str]
    waivers: str | None = None


# libyaml's emitter where PyYAML has it: examples are built whenever a pack is read
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def build(patch: Any) -> Example:
    """The blueprints (and waivers) an example patch describes."""
    parts = patch if isinstance(patch, dict) and set(patch) & set(STRUCTURED) else {"department": patch or {}}
    city = merge_patch(BASE_CITY, parts.get("city") or {})
    patches = parts.get("departments") or [parts.get("department") or {}]
    files = {"city.yaml": _dump(city)}
    for p in patches:
        dept = merge_patch(BASE_DEPARTMENT, p)
        files[f"departments/{dept['metadata']['code']}.yaml"] = _dump(dept)
    for key, entries in (parts.get("registers") or {}).items():
        files[f"city/{key}.yaml"] = _dump({"apiVersion": "govcloud/v1", "kind": REGISTERS.get(key, key),
                                           key: entries or []})
    waivers = None
    if "waivers" in parts:
        waivers = _dump({"apiVersion": "govcloud/v1", "kind": "Waivers", "waivers": parts["waivers"] or []})
    return Example(files, waivers)


def example(rule: Rule, which: str) -> Example:
    """The `fail` or `pass` example of a rule, ready to be written out and checked."""
    return build(yaml.load(rule.examples[which], Loader=_Loader))  # a safe loader (C or Python)
