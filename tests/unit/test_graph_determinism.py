"""The example city's graph: deterministic, complete, acyclic, and stable as the city grows."""
from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from typing import Any

import pytest

from govcloud.graph import Graph, Ref, Target, build_graph
from govcloud.load import load
from govcloud.model import Project

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = Target.create("sandbox", {"city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1",
                                    "city-intranet-1": "cn-north-1", "city-intranet-dr-1": "cn-northwest-1"})

# The example city's approved departments (blueprints/departments): the resources they need.
EXPECTED_COUNTS = {
    "govcloud:certificates:CityCA": 1,
    "govcloud:certificates:PublicCertificate": 1,   # the portal's, naming every sub-site too
    "govcloud:compute:Instance": 186,          # 93 compute + 93 database nodes
    "govcloud:compute:Volume": 186,            # one data volume per instance
    "govcloud:dns:Record": 66,                 # A and AAAA: 32 sub-sites (all on IPv6) + www
    "govcloud:dns:Zone": 1,
    "govcloud:identity:InstanceProfile": 62,   # one per system
    # + the classified pool's: its guardrails, DR role, key and DR key, and for each of the 5
    # departments with intranet systems a policy, role and key of its own there
    "govcloud:identity:Policy": 39,            # one per department + the guardrails, + 6 classified
    "govcloud:identity:Role": 101,             # one per department and system + the replication role, + 6
    "govcloud:keys:Key": 41,                   # city + DR + 32 departments with databases or encryption, + 7
    "govcloud:loadbalancing:Listener": 1,
    "govcloud:loadbalancing:ListenerRule": 32,
    "govcloud:loadbalancing:LoadBalancer": 1,
    "govcloud:loadbalancing:TargetGroup": 1,
    "govcloud:logs:LogGroup": 62,              # one per system
    "govcloud:messaging:Queue": 31,            # the hub + 30 mailboxes
    "govcloud:network:SecurityGroup": 63,      # one per system + the site front end
    "govcloud:network:Subnet": 64,             # one per system + two front-end subnets
    "govcloud:network:Vpc": 44,                # 3 city zones + 30 extranet, 5 intranet, 6 private-line zones
    "govcloud:secrets:Secret": 62,             # the database admin password of every system
    "govcloud:storage:Bucket": 219,
}


def example() -> Project:
    result = load([str(ROOT / "blueprints" / "city.yaml"), str(ROOT / "blueprints" / "departments")])
    assert result.ok and result.project is not None
    return result.project


@pytest.fixture(scope="module")
def project() -> Project:
    return example()


@pytest.fixture(scope="module")
def graph(project: Project) -> Graph:
    return build_graph(project, SANDBOX)


def as_json(graph: Graph) -> str:
    def encode(value: Any) -> Any:
        if isinstance(value, Ref):
            return {"ref": [value.node, value.output]}
        raise TypeError(value)

    nodes = [dataclasses.asdict(n) for n in graph.nodes]
    return json.dumps({"nodes": nodes, "edges": graph.edges}, default=encode, ensure_ascii=False)


def test_the_same_blueprints_give_an_identical_graph(project: Project, graph: Graph) -> None:
    again = build_graph(example(), SANDBOX)
    assert again == graph
    assert as_json(again) == as_json(graph)


def test_department_order_does_not_matter(project: Project, graph: Graph) -> None:
    for seed in range(3):
        shuffled = list(project.departments)
        random.Random(seed).shuffle(shuffled)
        other = build_graph(dataclasses.replace(project, departments=tuple(shuffled)), SANDBOX)
        assert as_json(other) == as_json(graph)


def test_counts_per_type(graph: Graph) -> None:
    assert graph.counts() == EXPECTED_COUNTS
    assert len(graph.nodes) == sum(EXPECTED_COUNTS.values())


def test_counts_follow_the_blueprints(project: Project, graph: Graph) -> None:
    systems = [s for d in project.departments for s in d.systems]
    compute = sum(c.count for s in systems for c in s.compute)
    databases = sum(s.database.replicas for s in systems if s.database)
    assert len(graph.of_type("govcloud:compute:Instance")) == compute + databases
    assert len(graph.of_type("govcloud:logs:LogGroup")) == len(systems)
    offsite = sum(1 for s in systems if s.backup.offsite)
    oa = sum(1 for d in project.departments if d.oa)
    sites = sum(1 for d in project.departments if d.site)
    # system buckets + their copies, OA tenants + copies, site content, 2 city buckets + copies
    assert len(graph.of_type("govcloud:storage:Bucket")) == len(systems) + offsite + 2 * oa + sites + 4


def test_components(project: Project, graph: Graph) -> None:
    kinds = [c.kind for c in graph.components]
    assert kinds.count("City") == 1
    assert kinds.count("Department") == len(project.departments)
    assert kinds.count("System") == sum(len(d.systems) for d in project.departments)
    names = {c.name for c in graph.components}
    assert all(c.parent is None or c.parent in names for c in graph.components)
    assert {n.component for n in graph.nodes} <= names


def test_no_cycles_and_no_dangling_references(graph: Graph) -> None:
    order = [n.name for n in graph.order()]
    assert sorted(order) == sorted(n.name for n in graph.nodes)
    position = {name: i for i, name in enumerate(order)}
    for dependent, dependency in graph.edges:
        assert position[dependency] < position[dependent]


def test_order_is_reproducible(graph: Graph) -> None:
    assert [n.name for n in graph.order()] == [n.name for n in build_graph(example(), SANDBOX).order()]


def test_adding_a_department_changes_no_other_node(project: Project, graph: Graph) -> None:
    template = project.department("slj")
    assert template is not None
    newcomer = dataclasses.replace(
        template, code="ybj", name="佛山市医疗保障局", project="FS-2026-IT-0033",
        site=dataclasses.replace(template.site, host="ybj.foshan.gov.cn") if template.site else None,
    )
    grown = build_graph(dataclasses.replace(project, departments=(*project.departments, newcomer)), SANDBOX)
    for node in graph.nodes:
        assert grown.node(node.name) == node, node.name
    added = {n.name for n in grown.nodes} - {n.name for n in graph.nodes}
    assert added and all(name.startswith("ybj/") for name in added)


def test_another_stack_changes_names_not_shape(project: Project, graph: Graph) -> None:
    other = build_graph(project, Target.create("production", dict(SANDBOX.regions)))
    assert [n.name for n in other.nodes] == [n.name for n in graph.nodes]
    assert other.edges == graph.edges
    bucket = "gaj/systems/population-database/bucket"
    assert other.node(bucket).inputs["name"] != graph.node(bucket).inputs["name"]
