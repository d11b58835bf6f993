"""GC-NET-001: a private line only on an exempt network the city lists, by its users, until its sunset.

Seed 004 exempts "政法、社保等部门" — an open list, and transitional ("逐步整合业已存在的专用
传输网络"). So an exemption belongs to a network (医保专网, 金税专网, 政法专网…) with its basis
and an optional sunset date, and each `dedicated` system names the one it uses. The City's
`exemptCategories` (whole categories of departments) is still read, as the legacy form: a
dedicated system that names no network passes when its department's category is listed.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from govcloud.model import Department, ExemptNetwork, Finding, System
from govcloud.policy.checks.registry import CheckContext, checks
from govcloud.policy.rule import Rule


def _sunset(network: ExemptNetwork) -> date | None:
    try:
        return date.fromisoformat(network.sunset) if network.sunset else None
    except ValueError:
        return None  # the schema's pattern admits e.g. 2026-02-30; such a date never ends the exemption


def _problem(network: ExemptNetwork | None, term: str, dept: Department, known: Mapping[str, ExemptNetwork],
             today: date) -> tuple[str, str | None] | None:
    """(message, hint) when `dept` may not use the exempt network `term`, else None."""
    if network is None:
        close = difflib.get_close_matches(term, list(known), n=1)
        listed = ("known: " + ", ".join(sorted(known)) if known
                  else "the City lists no exempt network (spec.exemptNetworks)")
        hint = f"did you mean '{close[0]}'?" if close else listed
        return f"names exempt network '{term}', which is not on the city's list", hint
    end = _sunset(network)
    if end is not None and today > end:
        return ((f"uses {network.name} ('{network.id}'), whose exemption ended on {network.sunset}: it is to be "
                 f"integrated into the unified network"), "move the system to the extranet (or the intranet)")
    if network.departments and dept.code not in network.departments:
        return (f"uses {network.name} ('{network.id}'), which only {', '.join(network.departments)} may use",
                None)
    return None


@checks.register("exempt-network", local=True)
def exempt_network(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """A `dedicated` system names an exempt network of the City that its department may use today
    (or, in the legacy form, its department's category is in the City's exemptCategories)."""
    city = ctx.project.city
    known = {n.id: n for n in city.exempt_networks}
    for dept in ctx.project.departments:
        for system in dept.systems:
            if system.network != "dedicated":
                continue
            yield from _system(rule, dept, system, known, city.exempt_categories, ctx.today)


def _system(rule: Rule, dept: Department, system: System, known: Mapping[str, ExemptNetwork],
            categories: tuple[str, ...], today: date) -> Iterator[Finding]:
    term = system.dedicated_network
    if term is None:
        if dept.category in categories:
            return  # legacy: the whole category is exempt
        yield rule.finding(
            f"system '{system.name}' is on a dedicated private line but names no exempt network; "
            f"department '{dept.code}' ({dept.category}) is not exempt from the unified network",
            dept.location_of(system.path + ("network",)), dept, system)
        return
    found = _problem(known.get(term), term, dept, known, today)
    if found is not None:
        message, hint = found
        yield rule.finding(f"system '{system.name}' {message}",
                           dept.location_of(system.path + ("dedicatedNetwork",)), dept, system, hint=hint)
