"""Resource pools: the extranet's (the default) and the intranet's own classified pool.

The guidance keeps the intranet physically apart from the extranet (内网与外网物理隔离), so
everything on the intranet lives in the classified pool the City declares
(`datacentre.classifiedPool`): the intranet's shared zone, departments' intranet zones and
every intranet system, with the pool's own keys, DR key, replication role, guardrails and
tenant roles, and off-site copies in the pool's own DR site.

A node names its pool only by the input `pool` (absent: the extranet's pool), never by an
endpoint: each stack says where its pools are (`govcloud:pools`) and the providers resolve
the name. No reference may cross pools (`check_no_cross_pool_refs`): a key, role or bucket
of one pool is meaningless, or a leak, in the other.
"""
from __future__ import annotations

from collections.abc import Iterable

from govcloud.errors import GovcloudError
from govcloud.graph.desired import Node, refs_in
from govcloud.model import Department, Project, System

EXTRANET = "extranet"  # the default pool: its nodes carry no `pool` input
CLASSIFIED = "classified"
POOLS = (EXTRANET, CLASSIFIED)

# The classified pool's own platform nodes (the extranet's are city/key, city/dr-key, …).
KEY = "city/classified/key"
DR_KEY = "city/classified/dr-key"
REPLICATION_ROLE = "city/classified/replication-role"
GUARDRAILS = "city/classified/guardrails"


def pool_of(node: Node) -> str:
    return str(node.inputs.get("pool") or EXTRANET)


def in_classified_pool(system: System) -> bool:
    """Every system on the intranet, and so every classified one, lives in the classified pool."""
    return system.network == "intranet" or system.classified


def department_key(code: str) -> str:
    """The node of a department's own key in the classified pool."""
    return f"{code}/classified/key"


def department_role(code: str) -> str:
    return f"{code}/classified/role"


def department_policy(code: str) -> str:
    return f"{code}/classified/policy"


def require_pool(project: Project) -> None:
    """A City with intranet or classified systems must declare the pool they live in."""
    if project.city.datacentre.classified_pool is not None:
        return
    for department in project.departments:
        for system in department.systems:
            if in_classified_pool(system):
                raise GovcloudError(
                    f"system '{system.name}' of department '{department.code}' is on the intranet, "
                    f"but the City declares no classified pool to build it in",
                    rule="GC-POOL-001", location=department.location_of(system.path),
                    hint="declare spec.datacentre.classifiedPool {region, drRegion} in the City "
                         "and govcloud:pools.classified in the stack",
                )


def intranet_systems(department: Department) -> tuple[System, ...]:
    return tuple(s for s in department.systems if in_classified_pool(s))


def check_no_cross_pool_refs(nodes: Iterable[Node]) -> None:
    """Refuse a graph in which a node refers to (or waits on) a node of another pool."""
    index = {n.name: n for n in nodes}
    for node in index.values():
        pool = pool_of(node)
        targets = {r.node for r in refs_in(node.inputs)} | set(node.depends_on)
        for name in sorted(targets):
            other = index.get(name)
            if other is not None and pool_of(other) != pool:
                # a builder bug, never a user error: nothing may be built from such a graph
                raise GovcloudError(
                    f"resource '{node.name}' of the {pool} pool refers to '{name}' of the "
                    f"{pool_of(other)} pool; nothing may cross pools", rule="GC-POOL-002", exit_code=1,
                )
