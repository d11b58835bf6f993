"""What the graph guarantees about every resource: tags, placement, encryption, names."""
from __future__ import annotations

import dataclasses
import ipaddress
import re
from pathlib import Path

import pytest

from govcloud.errors import GovcloudError
from govcloud.graph import TAG_KEYS, Graph, Node, Ref, Target, build_graph, refs_in
from govcloud.graph.names import Names, fit
from govcloud.load import load
from govcloud.model import Project

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = Target.create("sandbox", {"city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1",
                                    "city-intranet-1": "cn-north-1", "city-intranet-dr-1": "cn-northwest-1"})
UNTAGGABLE = {"govcloud:dns:Record", "govcloud:certificates:CityCA"}
# The characters AWS accepts in tag keys and values.
TAG_TEXT = re.compile(r"^[\w .:/=+\-@]*$")
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def example() -> Project:
    result = load([str(ROOT / "blueprints" / "city.yaml"), str(ROOT / "blueprints" / "departments")])
    assert result.project is not None
    return result.project


@pytest.fixture(scope="module")
def project() -> Project:
    return example()


@pytest.fixture(scope="module")
def graph(project: Project) -> Graph:
    return build_graph(project, SANDBOX)


def system_nodes(graph: Graph, code: str, system: str) -> tuple[Node, ...]:
    return graph.in_component(f"{code}/systems/{system}")


# -- tags -------------------------------------------------------------------------------
def test_every_resource_carries_the_seven_tags(graph: Graph) -> None:
    for node in graph.nodes:
        assert set(TAG_KEYS) <= set(node.tags), node.name
        assert node.tags["managed-by"] == "govcloud"
        assert node.tags["gov:stack"] == "sandbox"
        assert all(TAG_TEXT.match(k) and TAG_TEXT.match(v) for k, v in node.tags.items()), node.name
        if node.type in UNTAGGABLE:
            assert "tags" not in node.inputs
        else:
            assert node.inputs["tags"] == node.tags, node.name


def test_tags_name_the_owner(project: Project, graph: Graph) -> None:
    for node in graph.nodes:
        tags = node.tags
        if node.component == "city":
            assert tags["gov:department"] == "city" and tags["gov:project"] == "city"
            assert tags["gov:system"].startswith("platform:")
            continue
        department = project.department(tags["gov:department"])
        assert department is not None and node.name.startswith(f"{department.code}/")
        assert tags["gov:project"] == department.project
        if "/systems/" in node.name:
            system = next(s for s in department.systems if s.name == tags["gov:system"])
            assert tags["gov:mlps"] == str(system.mlps)
            assert tags["gov:classified"] == ("true" if system.classified else "false")
        else:
            assert tags["gov:system"].startswith("tenant:")


# -- placement --------------------------------------------------------------------------
def network_of(graph: Graph, node: Node) -> str:
    vpc = node.inputs["vpc_id"]
    assert isinstance(vpc, Ref)
    return vpc.node


def test_classified_systems_live_only_in_the_intranet(project: Project, graph: Graph) -> None:
    intranet = ipaddress.IPv4Network(project.city.networks["intranet"])
    internet = ipaddress.IPv4Network(project.city.networks["internetZone"])
    classified = [(d.code, s) for d in project.departments for s in d.systems if s.classified]
    assert classified
    for code, system in classified:
        for node in system_nodes(graph, code, system.name):
            if "vpc_id" in node.inputs:
                vpc = graph.node(network_of(graph, node))
                assert vpc.name == f"{code}/intranet" and vpc.tags["gov:classified"] == "true"
                assert ipaddress.IPv4Network(vpc.inputs["cidr"]).subnet_of(intranet), node.name
            if node.type == "govcloud:network:SecurityGroup":
                for rule in node.inputs["ingress"]:
                    assert not ipaddress.ip_network(rule["cidr"]).overlaps(internet)
        subnet = graph.node(f"{code}/systems/{system.name}/subnet")
        assert ipaddress.IPv4Network(subnet.inputs["cidr"]).subnet_of(intranet)


def test_every_subnet_is_in_its_own_departments_network(graph: Graph) -> None:
    for node in graph.of_type("govcloud:network:Subnet"):
        vpc = graph.node(network_of(graph, node))
        assert vpc.tags["gov:department"] in (node.tags["gov:department"], "city"), node.name


def test_a_classified_system_on_the_extranet_is_refused(project: Project) -> None:
    bgs = project.department("bgs")
    assert bgs is not None
    leaked = tuple(dataclasses.replace(s, network="extranet") if s.classified else s for s in bgs.systems)
    changed = dataclasses.replace(project, departments=tuple(
        dataclasses.replace(d, systems=leaked) if d.code == "bgs" else d for d in project.departments))
    with pytest.raises(GovcloudError) as e:
        build_graph(changed, SANDBOX)
    assert e.value.rule == "GC-NET-002"


def test_only_public_endpoints_are_reachable_from_the_internet_zone(project: Project, graph: Graph) -> None:
    internet = ipaddress.ip_network(project.city.networks["internetZone"])
    for d in project.departments:
        for s in d.systems:
            group = graph.node(f"{d.code}/systems/{s.name}/security-group")
            reachable = any(ipaddress.ip_network(r["cidr"]).overlaps(internet) for r in group.inputs["ingress"])
            assert reachable == s.public_endpoint, s.name
            assert all(r["cidr"] != "0.0.0.0/0" for r in group.inputs["ingress"])


def test_networks_are_valid_vpcs_inside_the_city_plan(project: Project, graph: Graph) -> None:
    plan = [ipaddress.IPv4Network(c) for c in project.city.networks.values()]
    zones = [ipaddress.IPv4Network(n.inputs["cidr"]) for n in graph.of_type("govcloud:network:Vpc")
             if not n.name.endswith("/dedicated")]
    assert all(16 <= z.prefixlen <= 28 for z in zones)
    assert all(any(z.subnet_of(p) for p in plan) for z in zones)
    for i, a in enumerate(zones):  # tenants' zones never overlap each other or the city's
        assert not any(a.overlaps(b) for b in zones[i + 1:]), a


def test_subnets_lie_in_their_network_and_never_overlap(graph: Graph) -> None:
    by_vpc: dict[str, list[ipaddress.IPv4Network]] = {}
    for node in graph.of_type("govcloud:network:Subnet"):
        vpc = graph.node(network_of(graph, node))
        cidr = ipaddress.IPv4Network(node.inputs["cidr"])
        assert cidr.subnet_of(ipaddress.IPv4Network(vpc.inputs["cidr"])), node.name
        by_vpc.setdefault(vpc.name, []).append(cidr)
    for network, cidrs in by_vpc.items():
        for i, a in enumerate(cidrs):
            assert not any(a.overlaps(b) for b in cidrs[i + 1:]), network


# -- encryption -------------------------------------------------------------------------
ENCRYPTION_KEYS = {"kms_key_arn", "kms_key_id", "encrypted"}


def test_encryption_follows_the_blueprint_everywhere(project: Project, graph: Graph) -> None:
    seen = {True: 0, False: 0}
    for d in project.departments:
        for s in d.systems:
            seen[s.encryption] += 1
            for node in system_nodes(graph, d.code, s.name):
                settings = ENCRYPTION_KEYS & set(node.inputs)
                if node.type == "govcloud:secrets:Secret":
                    # A secret is always encrypted with the department's key (of the system's pool),
                    # whatever the system asks.
                    key = f"{d.code}/classified/key" if s.network == "intranet" else f"{d.code}/key"
                    assert node.inputs["kms_key_id"] == Ref(key, "arn"), node.name
                elif not s.encryption:
                    assert not settings, node.name
                elif node.type == "govcloud:compute:Volume":
                    assert node.inputs["encrypted"] is True and isinstance(node.inputs["kms_key_id"], Ref)
                elif node.type in ("govcloud:storage:Bucket", "govcloud:logs:LogGroup"):
                    assert isinstance(node.inputs["kms_key_arn"], Ref), node.name
    assert seen[True] and seen[False]


def test_database_volumes_are_encrypted_with_the_department_key(graph: Graph) -> None:
    # criminal-cases is classified: its key is the department's own in the classified pool.
    volume = graph.node("gaj/systems/criminal-cases/db/0/data")
    assert volume.inputs["kms_key_id"] == Ref("gaj/classified/key", "arn")
    assert volume.inputs["size_gib"] == 800


def test_database_machines_learn_where_the_admin_secret_is_and_nothing_else(graph: Graph) -> None:
    system = "gaj/systems/criminal-cases"
    secret = graph.node(f"{system}/db-admin")
    assert secret.inputs["name"] == "govcloud/foshan-sandbox/gaj/criminal-cases/db-admin"
    for db in ("db/0", "db/1"):
        assert graph.node(f"{system}/{db}").inputs["admin_secret_arn"] == Ref(secret.name, "arn")
    app = graph.node(f"{system}/vm/app-0")
    assert "admin_secret_arn" not in app.inputs
    for node in (app, graph.node(f"{system}/db/0")):
        assert node.inputs["iam_instance_profile_arn"] == Ref(f"{system}/instance-profile", "arn")
        assert not node.inputs.get("user_data")
    # The secret exists before any machine that reads it.
    order = [n.name for n in graph.order()]
    assert order.index(secret.name) < order.index(f"{system}/db/0")


def test_offsite_backup_replicates_to_the_dr_region(project: Project, graph: Graph) -> None:
    for d in project.departments:
        for s in d.systems:
            bucket = graph.node(f"{d.code}/systems/{s.name}/bucket")
            assert ("replication" in bucket.inputs) == s.backup.offsite
            if s.backup.offsite:
                copy = graph.node(bucket.inputs["replication"]["destination_bucket_arn"].node)
                assert copy.inputs["region"] == "cn-northwest-1" and bucket.inputs["region"] == "cn-north-1"


def test_audit_log_retention_is_at_least_what_was_asked(project: Project, graph: Graph) -> None:
    for d in project.departments:
        for s in d.systems:
            assert graph.node(f"{d.code}/systems/{s.name}/audit-log").inputs["retention_days"] >= s.audit_log_days


# -- tenant isolation -------------------------------------------------------------------
def test_a_department_policy_reaches_only_its_own_resources(graph: Graph) -> None:
    document = graph.node("gaj/policy").inputs["document"]
    by_sid = {st["Sid"]: st for st in document["Statement"]}
    assert by_sid["OwnMachines"]["Condition"]["StringEquals"]["aws:ResourceTag/gov:department"] == "gaj"
    assert by_sid["OwnBucketObjects"]["Resource"] == ["arn:aws-cn:s3:::foshan-sandbox-gaj-*/*"]
    assert by_sid["OwnBucketListings"]["Resource"] == ["arn:aws-cn:s3:::foshan-sandbox-gaj-*"]
    gaj_buckets = [n.inputs["name"] for n in graph.of_type("govcloud:storage:Bucket")
                   if n.tags["gov:department"] == "gaj" and n.inputs["region"] == "cn-north-1"]
    assert gaj_buckets and all(b.startswith("foshan-sandbox-gaj-") for b in gaj_buckets)
    others = [n.inputs["name"] for n in graph.of_type("govcloud:storage:Bucket") if n.tags["gov:department"] != "gaj"]
    assert not any(b.startswith("foshan-sandbox-gaj-") for b in others)


def test_no_arn_is_built_for_the_wrong_partition(graph: Graph) -> None:
    text = repr([n.inputs for n in graph.nodes])
    assert "arn:aws:" not in text and "arn:aws-cn:" in text


# -- names ------------------------------------------------------------------------------
def test_cloud_names_are_valid_and_unique(graph: Graph) -> None:
    limits = {"govcloud:storage:Bucket": 63, "govcloud:identity:Role": 64, "govcloud:identity:Policy": 128,
              "govcloud:messaging:Queue": 80, "govcloud:loadbalancing:LoadBalancer": 32,
              "govcloud:loadbalancing:TargetGroup": 32}
    for token, limit in limits.items():
        names = [n.inputs["name"] for n in graph.of_type(token)]
        assert len(names) == len(set(names)), token
        assert all(len(name) <= limit for name in names), token
    assert all(BUCKET_NAME.match(n.inputs["name"]) for n in graph.of_type("govcloud:storage:Bucket"))


def test_long_city_and_stack_names_still_fit() -> None:
    names = Names("a-very-long-city-name-for-testing", "production-east-and-west")
    assert len(names.prefix) <= 30
    bucket = names.bucket("abcdefghijklmnop", "a" * 41)
    assert len(bucket) == 63 and bucket.startswith(names.bucket_scope("abcdefghijklmnop"))
    assert BUCKET_NAME.match(bucket)
    assert names.bucket("abcdefghijklmnop", "a" * 41) != names.bucket("abcdefghijklmnop", "a" * 40 + "b")
    assert len(names.elb("city", "site")) <= 32
    assert fit("short", 10) == "short"


def test_references_name_outputs_the_catalogue_declares(graph: Graph) -> None:
    from govcloud.cloud.types import CATALOGUE

    for node in graph.nodes:
        spec = CATALOGUE[node.type]
        assert set(node.inputs) <= {p.name for p in spec.props}, node.name
        assert all(p.name in node.inputs for p in spec.props if p.required), node.name
        assert (node.type not in UNTAGGABLE) == spec.taggable
        for ref in refs_in(node.inputs):
            assert ref.output in CATALOGUE[graph.node(ref.node).type].outputs, (node.name, ref)


# -- refusals ---------------------------------------------------------------------------
def test_an_unmapped_region_is_a_stack_error(project: Project) -> None:
    with pytest.raises(GovcloudError) as e:
        build_graph(project, Target.create("sandbox", {"city-dc-1": "cn-north-1"}))
    assert "city-dr-1" in e.value.message and e.value.exit_code == 2


def test_the_city_code_is_reserved(project: Project) -> None:
    renamed = dataclasses.replace(project.departments[0], code="city")
    with pytest.raises(GovcloudError, match="reserved"):
        build_graph(dataclasses.replace(project, departments=(renamed, *project.departments[1:])), SANDBOX)


def test_a_site_outside_the_city_domain_is_refused(project: Project) -> None:
    first = project.departments[0]
    assert first.site is not None
    moved = dataclasses.replace(first, site=dataclasses.replace(first.site, host="bgs.example.cn"))
    with pytest.raises(GovcloudError) as e:
        build_graph(dataclasses.replace(project, departments=(moved, *project.departments[1:])), SANDBOX)
    assert e.value.rule == "GC-SITE-001"
