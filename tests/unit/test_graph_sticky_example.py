"""The example city's addresses stay where they are deployed when departments and systems come and go."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest

from govcloud.graph import Graph, build_graph
from govcloud.graph.addressing import Pins, home_slot, pins_from_resources
from govcloud.model import Project
from govcloud.workflow.review import plan_summary
from tests.unit.test_graph_determinism import SANDBOX, example

ADDRESSED = ("govcloud:network:Vpc", "govcloud:network:Subnet", "govcloud:loadbalancing:ListenerRule")


@pytest.fixture(scope="module")
def project() -> Project:
    return example()


@pytest.fixture(scope="module")
def graph(project: Project) -> Graph:
    return build_graph(project, SANDBOX)


@pytest.fixture(scope="module")
def pins(project: Project, graph: Graph) -> Pins:
    return pins_from_resources(((n.type, n.name, n.inputs) for n in graph.nodes), project.city.networks)


def _address(inputs: Mapping[str, Any]) -> tuple[object, ...]:
    return tuple(inputs.get(k) for k in ("cidr", "ipv6_slot", "priority"))


def _moved(before: Graph, after: Graph) -> list[str]:
    """Networks, subnets and site rules of both whose address changed."""
    old = {n.name: n for n in before.nodes}
    return sorted(n.name for n in after.nodes if n.type in ADDRESSED and n.name in old
                  and _address(old[n.name].inputs) != _address(n.inputs))


def _without(project: Project, code: str) -> Project:
    return dataclasses.replace(project, departments=tuple(d for d in project.departments if d.code != code))


def test_every_deployed_slot_is_read_back_and_pinned_todays_graph_is_todays(
        project: Project, graph: Graph, pins: Pins) -> None:
    assert set(pins.departments) == {d.code for d in project.departments}  # each has a VPC or a site rule
    assert sum(map(len, pins.systems.values())) == sum(len(d.systems) for d in project.departments)
    assert build_graph(project, SANDBOX, pins=pins).nodes == graph.nodes


@pytest.mark.parametrize(("gone", "stays"), [("mzj", "jgswj"), ("zwfwj", "sjzyj")])
def test_removing_a_department_moves_no_other_with_pins(
        project: Project, graph: Graph, pins: Pins, gone: str, stays: str) -> None:
    rest = _without(project, gone)
    unpinned = build_graph(rest, SANDBOX)
    assert f"{stays}/extranet" in _moved(graph, unpinned)  # what the state's pins prevent
    assert _moved(graph, build_graph(rest, SANDBOX, pins=pins)) == []


def test_removing_a_system_moves_no_other_with_pins(project: Project, graph: Graph, pins: Pins) -> None:
    kjj = project.department("kjj")
    assert kjj is not None
    smaller = dataclasses.replace(kjj, systems=tuple(s for s in kjj.systems if s.name != "research-projects"))
    changed = dataclasses.replace(project, departments=tuple(
        smaller if d.code == "kjj" else d for d in project.departments))
    assert "kjj/systems/tech-achievements/subnet" in _moved(graph, build_graph(changed, SANDBOX))
    assert _moved(graph, build_graph(changed, SANDBOX, pins=pins)) == []


def test_a_department_with_an_earlier_project_number_moves_nobody(
        project: Project, graph: Graph, pins: Pins) -> None:
    template = project.department("slj")
    assert template is not None and template.site is not None
    taken = {slot - 16: code for code, slot in pins.departments.items()}
    # a code whose home is a deployed department's slot, approved before every other
    code = next(c for c in (f"x{i}j" for i in range(2000)) if home_slot(c, 240) in taken)
    newcomer = dataclasses.replace(template, code=code, name="佛山市新设局", project="FS-2000-IT-0001",
                                   site=dataclasses.replace(template.site, host=f"{code}.foshan.gov.cn"))
    grown = dataclasses.replace(project, departments=(*project.departments, newcomer))
    assert _moved(graph, build_graph(grown, SANDBOX))  # without pins it takes that home
    pinned = build_graph(grown, SANDBOX, pins=pins)
    assert _moved(graph, pinned) == []
    assert {n.name for n in pinned.nodes} - {n.name for n in graph.nodes} == {
        n.name for n in pinned.nodes if n.name.startswith(f"{code}/")}


def test_review_keeps_the_base_slots(project: Project) -> None:
    summary = plan_summary(project, _without(project, "mzj"), date(2026, 12, 1))
    assert summary.error is None and summary.delete and all(n.startswith("mzj/") for n in summary.delete)
    assert not summary.create
    assert not [n for n in summary.update if n.startswith("jgswj/")], summary.update
