"""GC-DATA-001: whatever a system consumes, someone provides or shares with its department."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from govcloud.model import Finding
from govcloud.policy.checks.registry import CheckContext, checks
from govcloud.policy.rule import Rule

SOURCE_PARAMS = {
    "type": "object", "additionalProperties": False,
    "properties": {"baseDatabases": {
        "type": "array", "items": {"type": "object", "required": ["id", "owner"]},
        "description": "The base databases and owners, to name the owner in a finding."}},
}


@checks.register("data-sources", SOURCE_PARAMS)
def data_sources(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """`consumes` names a base database someone hosts, or a dataset shared with the department."""
    departments = ctx.project.departments
    hosted: set[str] = set()
    shared_to: dict[str, set[str]] = {}     # dataset → departments it is shared with
    shared_by: dict[str, set[str]] = {}     # dataset → departments sharing it
    for dept in departments:
        for system in dept.systems:
            if system.base_database:
                hosted.add(system.base_database)
            for share in system.shares:
                shared_to.setdefault(share.dataset, set()).update(share.to)
                shared_by.setdefault(share.dataset, set()).add(dept.code)
    owners = {db["id"]: db["owner"] for db in params.get("baseDatabases", ())}
    for dept in departments:
        for system in dept.systems:
            for i, name in enumerate(system.consumes):
                if name in hosted or dept.code in shared_to.get(name, ()) or dept.code in shared_by.get(name, ()):
                    continue
                if name in shared_by:
                    message = (f"system '{system.name}' consumes dataset '{name}', which "
                               f"{', '.join(sorted(shared_by[name]))} shares but not with '{dept.code}'")
                elif name in owners:
                    message = (f"system '{system.name}' consumes base database '{name}', but its owner "
                               f"'{owners[name]}' hosts no such system in these blueprints")
                else:
                    message = f"system '{system.name}' consumes '{name}', which nobody provides or shares"
                yield rule.finding(message, dept.location_of(system.path + ("consumes", i)), dept, system)
