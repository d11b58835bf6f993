"""GC-DUP-002 and GC-DUP-003: base databases built by their owners only; no function built twice."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from govcloud.consolidation.duplicates import duplicate_groups
from govcloud.consolidation.money import money
from govcloud.model import Department, Finding, Project, System
from govcloud.policy.checks.registry import CheckContext, checks
from govcloud.policy.rule import Rule
from govcloud.policy.vocabulary import Vocabulary

OWNER_PARAMS = {
    "type": "object", "additionalProperties": False, "required": ["databases"],
    "properties": {"databases": {
        "type": "array", "description": "The base databases: id, owner and optional coOwners.",
        "items": {"type": "object", "required": ["id", "owner"],
                  "properties": {"id": {"type": "string"}, "owner": {"type": "string"},
                                 "coOwners": {"type": "array", "items": {"type": "string"}}}}}},
}


def _delegated(project: Project, owners: Mapping[str, tuple[str, ...]]) -> dict[str, set[str]]:
    """base database → departments its owner (or a co-owner) has declared as hosts."""
    out: dict[str, set[str]] = {}
    for dept in project.departments:
        for d in dept.delegated_hosting:
            if dept.code in owners.get(d.base_database, ()):
                out.setdefault(d.base_database, set()).add(d.host)
    return out


@checks.register("base-database-owner", OWNER_PARAMS)
def base_database_owner(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """Only a base database's owner (or co-owner) builds and hosts it, or the department the owner
    delegates hosting to (spec.delegatedHosting: e.g. the data bureau, 共建共享)."""
    owners = {db["id"]: (db["owner"], *db.get("coOwners", ())) for db in params["databases"]}
    delegated = _delegated(ctx.project, owners)
    for dept in ctx.project.departments:
        for system in dept.systems:
            base = system.base_database
            if base is None:
                continue
            where = dept.location_of(system.path + ("baseDatabase",))
            if base not in owners:
                yield rule.finding(
                    f"system '{system.name}' declares baseDatabase '{base}', which is not one of the base "
                    f"databases ({', '.join(sorted(owners))})", where, dept, system,
                    hint="remove baseDatabase unless the system is one of the base databases")
            elif dept.code not in owners[base] and dept.code not in delegated.get(base, ()):
                yield rule.finding(
                    f"system '{system.name}' declares base database '{base}', which only "
                    f"{' and '.join(owners[base])} may host, or a department they delegate hosting to",
                    where, dept, system)


DUPLICATE_PARAMS = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "exclude": {"type": "array", "items": {"type": "string"},
                    "description": "Functions left out (the shared platforms: GC-DUP-001 reports them)."},
        "minDepartments": {"type": "integer", "minimum": 2,
                           "description": "How many departments building a function make a duplicate."},
    },
}


@checks.register("duplicate-function", DUPLICATE_PARAMS)
def duplicate_function(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """Two or more departments build systems with the same function; reported on each of them."""
    project = ctx.project
    groups = duplicate_groups(project.city, project.departments, frozenset(params.get("exclude", ())),
                              int(params.get("minDepartments", 2)),
                              Vocabulary.of(ctx.scope.get("data", {})).canonical)
    if not groups:
        return
    members: dict[tuple[str, str], tuple[Department, System]] = {
        (d.code, s.name): (d, s) for d in project.departments for s in d.systems
    }
    for group in groups:
        message = (f"function '{group.function}' is built by {len(group.departments)} departments "
                   f"({', '.join(group.departments)}); building it once would save about "
                   f"{money(group.yearly_saving)} a year (govcloud's estimate: all but the largest system "
                   f"at the price book)")
        for key in group.systems:
            dept, system = members[key]
            yield rule.finding(message, dept.location_of(system.path + ("function",)), dept, system)
