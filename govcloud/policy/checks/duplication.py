"""GC-DUP-002 and GC-DUP-003: base databases built by their owners only; no function built twice."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from govcloud.model import Department, Finding, Project, System
from govcloud.model.duplicates import DuplicateGroup, duplicate_groups
from govcloud.model.money import money
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


NAMED = 3      # departments a GC-DUP-003 message names when the group is large
LISTED_IN_FULL = 4  # a group this small is named in full


def named_departments(codes: tuple[str, ...]) -> str:
    """'gaj, slj' for a small group; 'gaj, gtj, rsj and 1,497 more' for a large one, so that a
    message stays the same size however many departments build the function."""
    if len(codes) <= LISTED_IN_FULL:
        return ", ".join(codes)
    return f"{', '.join(codes[:NAMED])} and {len(codes) - NAMED:,} more"


def group_message(group: DuplicateGroup) -> str:
    """One message for every member of a group: its id (the function), size, a few names, the saving."""
    return (f"function '{group.function}' is built by {len(group.departments):,} departments "
            f"({named_departments(group.departments)}); building it once would save about "
            f"{money(group.yearly_saving)} a year (govcloud's estimate: all but the largest system "
            f"at the price book)")


def groups_of(params: Mapping[str, Any], ctx: CheckContext) -> tuple[DuplicateGroup, ...]:
    """The duplicate groups of a run, computed once (the report shows them too)."""
    exclude = frozenset(params.get("exclude", ()))
    key = ("duplicate-groups", exclude, int(params.get("minDepartments", 2)))
    found = ctx.memo.get(key)
    if found is None:
        project = ctx.project
        found = duplicate_groups(project.city, project.departments, exclude, key[2],
                                 Vocabulary.of(ctx.scope.get("data", {})).canonical)
        ctx.memo[key] = found
    groups: tuple[DuplicateGroup, ...] = found
    return groups


@checks.register("duplicate-function", DUPLICATE_PARAMS)
def duplicate_function(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """Two or more departments build systems with the same function; reported on each of them."""
    groups = groups_of(params, ctx)
    if not groups:
        return
    wanted = {key for group in groups for key in group.systems}
    members: dict[tuple[str, str], tuple[Department, System]] = {
        (d.code, s.name): (d, s) for d in ctx.project.departments for s in d.systems if (d.code, s.name) in wanted
    }
    for group in groups:
        message = group_message(group)  # one string shared by every member's finding
        for key in group.systems:
            dept, system = members[key]
            yield rule.finding(message, dept.location_of(system.path + ("function",)), dept, system)
