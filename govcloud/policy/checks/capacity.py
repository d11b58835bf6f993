"""GC-CAP-001 and GC-CAP-002: what departments request against what was granted and built."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from govcloud.model import Department, Finding, Grant
from govcloud.policy.checks.registry import CheckContext, checks
from govcloud.policy.rule import Rule

GIB_PER_TIB = 1024


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _asked(dept: Department) -> str:
    q = dept.requested_quota
    return f"{_n(q.vcpu)} vCPU, {_n(q.memory_gib)} GiB memory and {_n(q.storage_tib)} TiB" if q else ""


@checks.register("department-quota", local=True)
def department_quota(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """Each department's systems (sized as the blueprint format says) fit in the quota it was granted:
    the city's grants register once it keeps one (a department's spec.quota only asks), else spec.quota."""
    registers = ctx.project.registers
    kept = registers.grants is not None
    where = registers.files.get("Grants", "the grants register")
    for dept in ctx.project.departments:
        wanted = (dept.vcpu, dept.memory_gib, dept.storage_gib)
        if dept.quota is None:
            if any(wanted) and kept:
                note = f" (its file asks for {_asked(dept)} in spec.quota, which grants nothing)" \
                    if dept.requested_quota else ""
                yield rule.finding(
                    f"department '{dept.code}' requests {_n(wanted[0])} vCPU, {_n(wanted[1])} GiB memory and "
                    f"{_n(wanted[2])} GiB storage but {where} grants it no quota{note}",
                    dept.location_of(("spec", "quota") if dept.requested_quota else ("spec",), key=True), dept,
                    hint=f"the data bureau records the grant in {where}; `govcloud migrate registers` moves "
                         "existing spec.quota entries there")
            elif any(wanted):
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
            if asked <= granted:
                continue
            if not kept:
                yield rule.finding(
                    f"department '{dept.code}' requests {_n(asked)} {unit}, above its quota of {_n(granted)} {unit}",
                    dept.location_of(("spec", "quota", key)), dept)
                continue
            ask = dept.requested_quota
            asks: dict[str, float] = {"vcpu": ask.vcpu, "memoryGiB": ask.memory_gib,
                    "storageTiB": ask.storage_tib * GIB_PER_TIB} if ask else {}
            own = f"; its own spec.quota asks for {_n(asks[key])} {unit}, which grants nothing" \
                if asks.get(key, 0) >= asked else ""
            yield rule.finding(
                f"department '{dept.code}' requests {_n(asked)} {unit}, above the {_n(granted)} {unit} "
                f"granted in {where}{own}",
                dept.location_of(("spec", "quota", key) if ask else ("spec", "systems"), key=ask is None), dept,
                hint=f"shrink the systems, or ask the data bureau to raise the grant in {where}")
        yield from _platform_grants(rule, dept, registers.grant_of(dept.code), where) if kept else ()


def _platform_grants(rule: Rule, dept: Department, grant: Grant | None, where: str) -> Iterator[Finding]:
    """With a grants register, OA seats and a site slot are granted too."""
    if grant is None:
        return
    if dept.oa is not None and dept.oa.seats > (grant.oa_seats or 0):
        yield rule.finding(f"department '{dept.code}' requests {_n(dept.oa.seats)} OA seats, above the "
                           f"{_n(grant.oa_seats or 0)} granted in {where}",
                           dept.location_of(("spec", "oa", "seats")), dept)
    if dept.site is not None and not grant.site:
        yield rule.finding(f"department '{dept.code}' requests a sub-site, but {where} grants it no site slot",
                           dept.location_of(("spec", "site"), key=True), dept)


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
