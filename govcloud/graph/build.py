"""build_graph: the loaded city and departments → the desired resource graph (pure)."""
from __future__ import annotations

from datetime import date

from govcloud.errors import GovcloudError
from govcloud.graph import addressing, pools
from govcloud.graph.city import build_city
from govcloud.graph.context import Builder
from govcloud.graph.department import build_department
from govcloud.graph.desired import Graph, Target
from govcloud.graph.names import CITY
from govcloud.graph.system import build_system
from govcloud.model import Department, Project


def _check_codes(departments: tuple[Department, ...]) -> None:
    seen: set[str] = set()
    for d in departments:
        if d.code == CITY:
            raise GovcloudError(
                f"department code '{CITY}' is reserved for the city's own resources",
                rule="GC-GRAPH", location=d.location_of(("metadata", "code")),
            )
        if d.code in seen:
            raise GovcloudError(f"department '{d.code}' is defined twice", rule="GC-GRAPH",
                                location=d.location_of(("metadata", "code")))
        seen.add(d.code)


def build_graph(project: Project, target: Target, today: date | None = None,
                pins: addressing.Pins = addressing.NO_PINS) -> Graph:
    """The resources `project` needs on `target` on `today`; the same blueprints give an equal graph.

    A system retired (`retire: DATE`) by `today` has no resources: the plan deletes them.
    `pins` are the address slots already deployed (graph/addressing.py): they stay where they are."""
    active = project.active(today or date.today())
    departments = tuple(sorted(active.departments, key=lambda d: d.code))
    _check_codes(departments)
    pools.require_pool(active)
    full = {d.code: d for d in project.departments}  # retired systems keep their slots: no other one moves
    b = Builder(active, target, addressing.department_slots(departments, pins))
    build_city(b)
    for department in departments:
        parent = build_department(b, department)
        slots = addressing.system_slots(full[department.code], pins)
        for system in department.systems:
            build_system(b, department, system, slots[system.name], parent)
    graph = Graph(
        target,
        tuple(b.components[name] for name in sorted(b.components)),
        tuple(b.nodes[name] for name in sorted(b.nodes)),
    )
    graph.order()  # refuses dangling references and cycles here, not halfway through a deployment
    pools.check_no_cross_pool_refs(graph.nodes)
    return graph
