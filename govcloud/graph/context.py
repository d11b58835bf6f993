"""What every part of the graph builder shares: the project, the target, names, slots and tags.

Tags (DESIGN §5) on every node:

| tag | city-level resource | department-level resource | a system's resource |
|---|---|---|---|
| `gov:department` | `city` | the code | the code |
| `gov:system` | `platform:<name>` | `tenant:<name>` | the system's name |
| `gov:mlps` | the data centre's level | OA/site: the data centre's; a network zone: the highest of the systems in it; else the highest of its systems (1 without) | the system's level |
| `gov:classified` | `true` only for the intranet | a network zone: `true` for the intranet; else `true` if any of its systems is | the system's flag |
| `gov:project` | `city` | the project number (`none` without) | the department's |
| `gov:stack` | the stack | the stack | the stack |
| `managed-by` | `govcloud` | `govcloud` | `govcloud` |

`platform:`/`tenant:` values contain a colon, which no system name can, so a tag query
for a system never matches a shared resource.
"""  # noqa: E501 (the tag table)
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from govcloud.graph import pools, tokens
from govcloud.graph.desired import Component, Node, Ref, Target
from govcloud.graph.names import CITY, Names
from govcloud.model import Department, Project, System

TAG_KEYS = (
    "gov:department", "gov:system", "gov:mlps", "gov:classified", "gov:project", "gov:stack",
    "managed-by",
)


def _frozen_order(value: Any) -> Any:
    """Dicts with sorted keys all the way down; tuples become lists (JSON shape)."""
    if isinstance(value, Ref):
        return value
    if isinstance(value, Mapping):
        return {k: _frozen_order(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [_frozen_order(v) for v in value]
    return value


def flag(value: bool) -> str:
    return "true" if value else "false"


@dataclass(frozen=True)
class Scope:
    """The values of the governance tags for one group of resources."""

    department: str
    system: str
    mlps: int
    classified: bool
    project: str

    def tags(self, stack: str) -> dict[str, str]:
        return {
            "gov:classified": flag(self.classified),
            "gov:department": self.department,
            "gov:mlps": str(self.mlps),
            "gov:project": self.project,
            "gov:stack": stack,
            "gov:system": self.system,
            "managed-by": "govcloud",
        }


class Builder:
    """Collects components and nodes while the city, departments and systems are mapped."""

    def __init__(self, project: Project, target: Target, department_slots: dict[str, int]) -> None:
        self.project = project
        self.city = project.city
        self.target = target
        self.names = Names(project.city.name, target.stack)
        self.primary = target.region(project.city.datacentre.region)
        self.dr = target.region(project.city.datacentre.dr_region)
        # The classified pool's own sites (graph/pools.py), when the City declares one.
        pool = project.city.datacentre.classified_pool
        self.classified = pool is not None
        self.classified_primary = target.region(pool.region) if pool else self.primary
        self.classified_dr = target.region(pool.dr_region) if pool else self.dr
        self.department_slots = department_slots
        self.components: dict[str, Component] = {}
        self.nodes: dict[str, Node] = {}

    # -- scopes ------------------------------------------------------------------------
    def platform(self, name: str, *, classified: bool = False) -> Scope:
        return Scope(CITY, f"platform:{name}", self.city.datacentre.mlps, classified, CITY)

    def tenant(self, department: Department, name: str, *, on_platform: bool) -> Scope:
        if on_platform:
            mlps, classified = self.city.datacentre.mlps, False
        else:
            mlps = max((s.mlps for s in department.systems), default=1)
            classified = any(s.classified for s in department.systems)
        return Scope(department.code, f"tenant:{name}", mlps, classified, department.project or "none")

    def system(self, department: Department, system: System) -> Scope:
        return Scope(department.code, system.name, system.mlps, system.classified,
                     department.project or "none")

    def primary_of(self, pool: str | None) -> str:
        return self.classified_primary if pool == pools.CLASSIFIED else self.primary

    def dr_of(self, pool: str | None) -> str:
        return self.classified_dr if pool == pools.CLASSIFIED else self.dr

    # -- collecting --------------------------------------------------------------------
    def component(self, component: Component) -> str:
        self.components[component.name] = component
        return component.name

    def add(
        self,
        name: str,
        token: str,
        component: str,
        scope: Scope,
        inputs: Mapping[str, Any],
        *,
        region: str | None = None,
        depends_on: tuple[str, ...] = (),
        pool: str | None = None,
    ) -> str:
        """Add a node and return its name; `inputs["tags"]` may add tags to the governance ones.

        `pool` is None for the extranet's pool (the node carries no `pool` input, as before
        pools existed) or `classified`; `region` defaults to the pool's primary site."""
        if name in self.nodes:
            raise ValueError(f"duplicate node {name}")  # a builder bug, not a user error
        tags = dict(sorted({**scope.tags(self.target.stack), **inputs.get("tags", {})}.items()))
        full = {k: v for k, v in inputs.items() if k != "tags"}
        full["region"] = region or self.primary_of(pool)
        if pool is not None and pool != pools.EXTRANET:
            full["pool"] = pool
        if token == tokens.BUCKET:
            # Every bucket: no public access, TLS only (the data-centre team's controls).
            full.setdefault("block_public_access", True)
            full.setdefault("secure_transport_only", True)
        if token not in tokens.UNTAGGABLE:
            full["tags"] = tags
        self.nodes[name] = Node(
            name, token, component, _frozen_order(full), tags, tuple(sorted(depends_on))
        )
        return name
