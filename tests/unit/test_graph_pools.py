"""The classified pool: everything of the intranet lives there, nothing refers across pools,
and the extranet's resources are exactly what they were before pools existed."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from govcloud.errors import GovcloudError
from govcloud.graph import Graph, Node, Ref, Target, build_graph, pools, refs_in
from govcloud.load import load
from govcloud.model import Department, Project

ROOT = Path(__file__).resolve().parents[2]
# The pool's sites mapped the other way round from the datacentre's: a node follows its pool's mapping.
TARGET = Target.create("sandbox", {"city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1",
                                   "city-intranet-1": "cn-northwest-1", "city-intranet-dr-1": "cn-north-1"})
# The names the cloud knows a resource by, per type: unique over the whole stack, both pools.
CLOUD_NAMES = {"govcloud:storage:Bucket": "name", "govcloud:identity:Role": "name",
               "govcloud:identity:Policy": "name", "govcloud:identity:InstanceProfile": "name",
               "govcloud:keys:Key": "alias", "govcloud:secrets:Secret": "name", "govcloud:logs:LogGroup": "name",
               "govcloud:network:Vpc": "name", "govcloud:network:Subnet": "name",
               "govcloud:network:SecurityGroup": "name", "govcloud:compute:Instance": "name",
               "govcloud:compute:Volume": "name", "govcloud:messaging:Queue": "name"}


def example() -> Project:
    result = load([str(ROOT / "blueprints" / "city.yaml"), str(ROOT / "blueprints" / "departments")])
    assert result.ok and result.project is not None
    return result.project


@pytest.fixture(scope="module")
def project() -> Project:
    return example()


@pytest.fixture(scope="module")
def graph(project: Project) -> Graph:
    return build_graph(project, TARGET)


def without_pool(project: Project) -> Project:
    city = project.city
    return dataclasses.replace(project, city=dataclasses.replace(
        city, datacentre=dataclasses.replace(city.datacentre, classified_pool=None)))


def classified(graph: Graph) -> list[Node]:
    return [n for n in graph.nodes if pools.pool_of(n) == pools.CLASSIFIED]


def test_everything_of_the_intranet_is_in_the_classified_pool(project: Project, graph: Graph) -> None:
    inside = {n.name for n in classified(graph)}
    intranet = [(d.code, s.name) for d in project.departments for s in d.systems if s.network == "intranet"]
    assert len(intranet) == 5 and all(s.classified for d in project.departments for s in d.systems
                                      if s.network == "intranet")
    for code, system in intranet:
        own = {n.name for n in graph.in_component(f"{code}/systems/{system}")}
        assert own and own <= inside, (code, system)
        assert {f"{code}/intranet", f"{code}/classified/role", f"{code}/classified/policy",
                f"{code}/classified/key"} <= inside
    assert {"city/intranet", pools.KEY, pools.DR_KEY, pools.REPLICATION_ROLE, pools.GUARDRAILS} <= inside
    # and nothing else: the extranet's platform, OA, sites and systems stay where they were
    others = inside - {n.name for code, s in intranet for n in graph.in_component(f"{code}/systems/{s}")}
    assert all(name.startswith("city/") or name.split("/")[1] in ("intranet", "classified") for name in others)
    assert not any(n.component.endswith(("/oa", "/site")) for n in classified(graph))


def test_a_pool_is_a_name_and_sites_of_its_own(graph: Graph) -> None:
    for node in graph.nodes:
        assert node.inputs.get("pool") in (None, "classified"), node.name  # a name, never an endpoint
    for node in classified(graph):
        expected = "cn-north-1" if node.name.endswith(("/dr", "/dr-key")) else "cn-northwest-1"
        assert node.inputs["region"] == expected, node.name
    assert graph.node("gaj/systems/population-database/bucket").inputs["region"] == "cn-north-1"


def test_no_reference_crosses_pools(graph: Graph) -> None:
    crossing = [(n.name, r.node) for n in graph.nodes for r in refs_in(n.inputs)
                if pools.pool_of(n) != pools.pool_of(graph.node(r.node))]
    assert crossing == []
    pools.check_no_cross_pool_refs(graph.nodes)  # what build_graph runs


def test_classified_copies_replicate_within_the_pool(project: Project, graph: Graph) -> None:
    checked = 0
    for node in classified(graph):
        replication = node.inputs.get("replication")
        if node.type != "govcloud:storage:Bucket" or not replication:
            continue
        checked += 1
        assert replication["role_arn"] == Ref(pools.REPLICATION_ROLE, "arn")
        copy = graph.node(replication["destination_bucket_arn"].node)
        assert pools.pool_of(copy) == pools.CLASSIFIED and copy.inputs["region"] == "cn-north-1"
        if "kms_key_arn" in copy.inputs:
            assert copy.inputs["kms_key_arn"] == Ref(pools.DR_KEY, "arn")
    assert checked == 5
    # the classified DR role's keys are the pool's sites, not the datacentre's
    document = graph.node(pools.REPLICATION_ROLE).inputs["inline_policies"]["replicate"]
    keys = next(s for s in document["Statement"] if s["Sid"] == "UseStackKeys")["Resource"]
    assert keys == ["arn:aws-cn:kms:cn-northwest-1:*:key/*", "arn:aws-cn:kms:cn-north-1:*:key/*"]


def test_the_check_refuses_a_reference_across_pools(graph: Graph) -> None:
    bucket = graph.node("gaj/systems/criminal-cases/bucket")
    leaking = dataclasses.replace(bucket, inputs={**bucket.inputs, "replication": {
        **bucket.inputs["replication"], "role_arn": Ref("city/replication-role", "arn")}})
    nodes = [leaking if n.name == bucket.name else n for n in graph.nodes]
    with pytest.raises(GovcloudError, match="refers to 'city/replication-role' of the extranet pool") as refused:
        pools.check_no_cross_pool_refs(nodes)
    assert refused.value.rule == "GC-POOL-002"
    # an extranet node waiting on a classified one is refused as well
    vpc = graph.node("gaj/extranet")
    waiting = dataclasses.replace(vpc, depends_on=("city/classified/key",))
    with pytest.raises(GovcloudError, match="of the extranet pool refers to 'city/classified/key'"):
        pools.check_no_cross_pool_refs([waiting if n.name == vpc.name else n for n in graph.nodes])


def test_cloud_names_stay_unique_across_pools(graph: Graph) -> None:
    seen: dict[tuple[str, str], str] = {}
    for node in graph.nodes:
        prop = CLOUD_NAMES.get(node.type)
        if prop is None:
            continue
        key = (node.type, str(node.inputs[prop]))  # roles and instance profiles are two namespaces
        assert key not in seen, (node.name, seen.get(key))
        seen[key] = node.name


def test_the_extranet_is_what_it_was_before_pools(project: Project, graph: Graph,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Without a pool (and its refusal switched off), the builder builds what it always built.
    monkeypatch.setattr(pools, "require_pool", lambda _project: None)
    before = build_graph(without_pool(project), TARGET)
    assert not classified(before)
    moved = {n.name for n in classified(graph)}
    for old in before.nodes:
        node = old
        if node.name in moved:
            # into the other pool, under the same cloud name, with that pool's keys and roles
            prop = CLOUD_NAMES.get(node.type)
            assert graph.node(node.name).type == node.type
            assert prop is None or graph.node(node.name).inputs[prop] == node.inputs[prop], node.name
            continue
        now = graph.node(node.name)
        if node.type == "govcloud:keys:Key":
            # which log groups a key serves depends on the pool they are in (checked below)
            now, node = (dataclasses.replace(n, inputs={k: v for k, v in n.inputs.items() if k != "log_group_prefix"})
                         for n in (now, old))
        assert now == node, node.name
    assert {n.name for n in graph.nodes} - {n.name for n in before.nodes} == {
        n.name for n in classified(graph) if "/classified/" in n.name}


def test_a_city_with_intranet_systems_and_no_pool_is_refused(project: Project) -> None:
    with pytest.raises(GovcloudError) as refused:
        build_graph(without_pool(project), TARGET)
    error = refused.value
    assert error.rule == "GC-POOL-001" and error.exit_code == 2
    assert error.location is not None and error.location.file.endswith("bgs.yaml") and error.location.line > 1
    assert "is on the intranet, but the City declares no classified pool" in error.message
    assert "classifiedPool" in error.hint and "govcloud:pools.classified" in error.hint


def test_a_city_without_intranet_systems_needs_no_pool(project: Project) -> None:
    extranet_only = dataclasses.replace(without_pool(project), departments=tuple(
        dataclasses.replace(d, systems=tuple(s for s in d.systems if s.network != "intranet"))
        for d in project.departments))
    graph = build_graph(extranet_only, TARGET)
    assert not classified(graph) and graph.has("city/intranet")


def test_an_unmapped_pool_site_is_named() -> None:
    with pytest.raises(GovcloudError, match="maps no cloud region for the city's region 'city-intranet-1'"):
        build_graph(example(), Target.create("sandbox", {"city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1"}))


def test_log_group_keys_let_cloudwatch_logs_use_them(project: Project, graph: Graph) -> None:
    for department in project.departments:
        for key, inside in ((f"{department.code}/key", False), (f"{department.code}/classified/key", True)):
            if not graph.has(key):
                continue
            systems = [s for s in department.systems if (s.network == "intranet") == inside]
            encrypted_logs = any(s.encryption for s in systems)
            prefix = graph.node(key).inputs.get("log_group_prefix")
            assert (prefix == f"/govcloud/foshan-sandbox/{department.code}/") == encrypted_logs, key
            for system in systems:
                log = graph.node(f"{department.code}/systems/{system.name}/audit-log")
                if system.encryption:
                    assert log.inputs["kms_key_arn"] == Ref(key, "arn") and log.inputs["name"].startswith(prefix)


def _all_on_the_intranet(project: Project, code: str) -> Project:
    """`code`'s systems moved to the intranet: its data is all in the classified pool."""
    def moved(d: Department) -> Department:
        if d.code != code:
            return d
        return dataclasses.replace(d, systems=tuple(dataclasses.replace(s, network="intranet") for s in d.systems))
    return dataclasses.replace(project, departments=tuple(moved(d) for d in project.departments))


def test_a_department_with_all_its_data_in_the_pool_has_no_unused_key_outside(project: Project) -> None:
    code = next(d.code for d in project.departments
                if any(s.encryption or s.database is not None for s in d.systems)
                and any(s.network != "intranet" for s in d.systems))
    assert build_graph(project, TARGET).has(f"{code}/key")  # before: it has extranet systems to seal
    graph = build_graph(_all_on_the_intranet(project, code), TARGET)
    assert not graph.has(f"{code}/key")  # nothing outside the pool would use it
    assert graph.has(pools.department_key(code))  # its data is sealed with its key in the pool
    assert not any(r.node == f"{code}/key" for n in graph.nodes for r in refs_in(n.inputs))
