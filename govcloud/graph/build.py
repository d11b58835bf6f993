"""build_graph: the loaded city and departments → the desired resource graph (pure)."""
from __future__ import annotations

from govcloud.errors import GovcloudError
from govcloud.graph import addressing
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


def build_graph(project: Project, target: Target) -> Graph:
    """The resources `project` needs on `target`; the same blueprints give an equal graph."""
    departments = tuple(sorted(project.departments, key=lambda d: d.code))
    _check_codes(departments)
    b = Builder(project, target, addressing.department_slots(departments))
    build_city(b)
    for department in departments:
        parent = build_department(b, department)
        slots = addressing.system_slots(department)
        for system in department.systems:
            build_system(b, department, system, slots[system.name], parent)
    graph = Graph(
        target,
        tuple(b.components[name] for name in sorted(b.components)),
        tuple(b.nodes[name] for name in sorted(b.nodes)),
    )
    graph.order()  # refuses dangling references and cycles here, not halfway through a deployment
    return graph
