"""GC-CAP-001 and GC-CAP-002: what departments request against what was granted and built."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from govcloud.model import Finding
from govcloud.policy.checks.registry import CheckContext, checks
from govcloud.policy.rule import Rule

GIB_PER_TIB = 1024


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


@checks.register("department-quota")
def department_quota(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """Each department's systems (sized as the blueprint format says) fit in the quota it was granted."""
    for dept in ctx.project.departments:
        wanted = (dept.vcpu, dept.memory_gib, dept.storage_gib)
        if dept.quota is None:
            if any(wanted):
                yield rule.finding(
                    f"department '{dept.code}' requests {_n(wanted[0])} vCPU, {_n(wanted[1])} GiB memory and "
                    f"{_n(wanted[2])} GiB storage but has no quota", dept.location_of(("spec",), key=True), dept,
                    hint="ask the data-centre team for a quota (spec.quota) before requesting systems")
            continue
        quota = dept.quota
        for key, asked, granted, unit in (
            ("vcpu", wanted[0], quota.vcpu, "vCPU"),
            ("memoryGiB", wanted[1], quota.memory_gib, "GiB memory"),
            ("storageTiB", wanted[2], quota.storage_tib * GIB_PER_TIB, "GiB storage"),
        ):
            if asked > granted:
                yield rule.finding(
                    f"department '{dept.code}' requests {_n(asked)} {unit}, above its quota of {_n(granted)} {unit}",
                    dept.location_of(("spec", "quota", key)), dept)


CAPACITY_PARAMS = {
    "type": "object", "additionalProperties": False,
    "properties": {"threshold": {"type": "number", "exclusiveMinimum": 0,
                                 "description": "Fire when demand exceeds this fraction of capacity."}},
}


@checks.register("city-capacity", CAPACITY_PARAMS, scope="city")
def city_capacity(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """All departments together fit in the data centre and on the shared OA and site platforms."""
    threshold = float(params.get("threshold", 1.0))
    project, city = ctx.project, ctx.project.city
    depts = project.departments
    cap = city.datacentre.capacity
    demand = [
        (("spec", "datacentre", "capacity", "vcpu"), sum(d.vcpu for d in depts), cap.vcpu,
         "vCPU", "the data centre's capacity"),
        (("spec", "datacentre", "capacity", "memoryGiB"), sum(d.memory_gib for d in depts), cap.memory_gib,
         "GiB memory", "the data centre's capacity"),
        (("spec", "datacentre", "capacity", "storageTiB"), sum(d.storage_gib for d in depts),
         cap.storage_tib * GIB_PER_TIB, "GiB storage", "the data centre's capacity"),
        (("spec", "platforms", "oa", "seats"), sum(d.oa.seats for d in depts if d.oa), city.platforms.oa_seats,
         "OA seats", "the shared OA's seats"),
        (("spec", "platforms", "oa", "storageTiB"), sum(d.oa.storage_gib for d in depts if d.oa),
         city.platforms.oa_storage_tib * GIB_PER_TIB, "GiB OA storage", "the shared OA's storage"),
        (("spec", "platforms", "site", "maxSites"), sum(1 for d in depts if d.site), city.platforms.site_max_sites,
         "sub-sites", "the site platform's slots"),
    ]
    for path, asked, built, unit, what in demand:
        if city.doc.get(path) is None:
            continue  # a platform the city does not describe has no capacity to exceed
        if asked > threshold * built:
            share = f" ({asked / built:.0%})" if built else ""
            yield rule.finding(
                f"the departments request {_n(asked)} {unit} in total, above {what} of {_n(built)}{share}",
                city.location_of(path), None)
