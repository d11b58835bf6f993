"""IPv6: a department whose site is on IPv6 gets dual-stack VPCs and subnets and an AAAA
record; the internet zone and the portal are dual-stack when any site is."""
from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path

import pytest

from govcloud.graph import Graph, Node, Ref, Target, build_graph
from govcloud.graph import city as platform
from govcloud.load import load
from govcloud.model import Department, Project

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = Target.create("sandbox", {"city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1",
                                    "city-intranet-1": "cn-north-1", "city-intranet-dr-1": "cn-northwest-1"})
VPC, SUBNET, RECORD = "govcloud:network:Vpc", "govcloud:network:Subnet", "govcloud:dns:Record"
IPV6_INPUTS = {"ipv6", "vpc_ipv6_cidr", "ipv6_slot", "assign_ipv6_on_creation"}


@pytest.fixture(scope="module")
def project() -> Project:
    result = load([str(ROOT / "blueprints" / "city.yaml"), str(ROOT / "blueprints" / "departments")])
    assert result.project is not None
    return result.project


def _with_ipv6(project: Project, on: set[str]) -> Project:
    """The project with `site.ipv6` true exactly for the departments in `on`."""
    def one(d: Department) -> Department:
        if d.site is None:
            return d
        return dataclasses.replace(d, site=dataclasses.replace(d.site, ipv6=d.code in on))
    return dataclasses.replace(project, departments=tuple(one(d) for d in project.departments))


def _chosen(project: Project) -> Department:
    """A department with a site and systems on two networks at least, if there is one."""
    with_site = [d for d in project.departments if d.site is not None and d.systems]
    return max(with_site, key=lambda d: (len({s.network for s in d.systems}), d.code))


def _department_nodes(graph: Graph, code: str, token: str) -> list[Node]:
    return [n for n in graph.of_type(token) if n.name.startswith(f"{code}/")]


def _ipv6_free(node: Node) -> bool:
    return not IPV6_INPUTS & node.inputs.keys()


def test_a_site_on_ipv6_makes_its_department_dual_stack(project: Project) -> None:
    department = _chosen(project)
    code = department.code
    graph = build_graph(_with_ipv6(project, {code}), SANDBOX)

    vpcs = _department_nodes(graph, code, VPC)
    assert vpcs and all(v.inputs["ipv6"] is True for v in vpcs)
    subnets = _department_nodes(graph, code, SUBNET)
    assert len(subnets) == len(department.systems)
    for subnet in subnets:
        vpc = subnet.inputs["vpc_id"].node
        assert subnet.inputs["vpc_ipv6_cidr"] == Ref(vpc, "ipv6_cidr")
        assert subnet.inputs["assign_ipv6_on_creation"] is True
        # The /64's slot is the index of the IPv4 subnet in its VPC: the families move together.
        v4 = ipaddress.IPv4Network(subnet.inputs["cidr"])
        zone = ipaddress.IPv4Network(graph.node(vpc).inputs["cidr"])
        assert subnet.inputs["ipv6_slot"] == (int(v4.network_address) - int(zone.network_address)) // v4.num_addresses

    assert department.site is not None
    records = {n.inputs["type"]: n for n in _department_nodes(graph, code, RECORD)}
    assert set(records) == {"A", "AAAA"}
    assert records["AAAA"].inputs["name"] == department.site.host
    assert records["AAAA"].inputs["alias"] == records["A"].inputs["alias"]

    others = [n for n in graph.nodes if n.component != "city" and not n.name.startswith(f"{code}/")]
    assert all(_ipv6_free(n) for n in others)
    assert not [n for n in others if n.type == RECORD and n.inputs["type"] == "AAAA"]


def test_any_site_on_ipv6_makes_the_internet_zone_and_portal_dual_stack(project: Project) -> None:
    graph = build_graph(_with_ipv6(project, {_chosen(project).code}), SANDBOX)
    assert graph.node(platform.NETWORK_NODES["internetZone"]).inputs["ipv6"] is True
    assert [graph.node(n).inputs["ipv6_slot"] for n in platform.FRONT_END_SUBNETS] == [0, 1]
    for name in platform.FRONT_END_SUBNETS:
        assert graph.node(name).inputs["vpc_ipv6_cidr"] == Ref(platform.NETWORK_NODES["internetZone"], "ipv6_cidr")
    assert graph.node(platform.LOAD_BALANCER).inputs["ip_address_type"] == "dualstack"
    portal = graph.node(platform.PORTAL_RECORD_AAAA)
    assert portal.inputs["type"] == "AAAA"
    assert portal.inputs["name"] == graph.node(platform.PORTAL_RECORD).inputs["name"]
    # The city's extranet and intranet zones stay IPv4: no site lives there.
    assert all(_ipv6_free(graph.node(platform.NETWORK_NODES[n])) for n in ("extranet", "intranet"))


def test_a_site_turned_off_ipv6_loses_exactly_its_dual_stack(project: Project) -> None:
    code = _chosen(project).code
    on = build_graph(_with_ipv6(project, {code}), SANDBOX)
    off = build_graph(_with_ipv6(project, set()), SANDBOX)
    own = [n for n in on.nodes if n.name.startswith(f"{code}/")]
    assert {f"{code}/site/record-aaaa", platform.PORTAL_RECORD_AAAA} <= {n.name for n in on.nodes}
    assert any(not _ipv6_free(n) for n in own)
    # With `site.ipv6: false` everywhere: no IPv6 input, no AAAA record, an IPv4 load balancer.
    assert all(_ipv6_free(n) for n in off.nodes)
    assert not [n for n in off.of_type(RECORD) if n.inputs["type"] == "AAAA"]
    assert off.node(platform.LOAD_BALANCER).inputs["ip_address_type"] == "ipv4"


def test_ipv6_slots_are_unique_in_each_vpc(project: Project) -> None:
    graph = build_graph(project, SANDBOX)  # the example city: every site is on IPv6
    seen: dict[str, set[int]] = {}
    dual = [s for s in graph.of_type(SUBNET) if "ipv6_slot" in s.inputs]
    assert dual
    for subnet in dual:
        slots = seen.setdefault(subnet.inputs["vpc_id"].node, set())
        assert subnet.inputs["ipv6_slot"] not in slots, subnet.name
        assert 0 <= subnet.inputs["ipv6_slot"] < 256
        slots.add(subnet.inputs["ipv6_slot"])


def test_ipv6_does_not_move_ipv4(project: Project) -> None:
    """Turning IPv6 on or off changes no IPv4 address and no other node."""
    on = build_graph(_with_ipv6(project, {d.code for d in project.departments}), SANDBOX)
    off = build_graph(_with_ipv6(project, set()), SANDBOX)
    aaaa = {n.name for n in on.of_type(RECORD) if n.inputs["type"] == "AAAA"}
    sites = [d for d in project.departments if d.site is not None]
    assert len(aaaa) == len(sites) + 1  # every site and the portal
    assert {n.name for n in on.nodes} - aaaa == {n.name for n in off.nodes}
    for node in off.nodes:
        if node.type in (VPC, SUBNET):
            assert on.node(node.name).inputs["cidr"] == node.inputs["cidr"]


def test_a_dual_stack_front_end_lets_ipv6_clients_in_on_https_only() -> None:
    from govcloud.cloud.network import _permission, _rules

    rules = [{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "0.0.0.0/0"},
             {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "::/0"}]
    assert _permission(rules[1])["Ipv6Ranges"] == [{"CidrIpv6": "::/0"}] and "IpRanges" not in _permission(rules[1])
    assert _rules([_permission(r) for r in rules]) == sorted(rules, key=lambda r: r["cidr"])


@pytest.mark.parametrize("on", [True, False])
def test_the_site_front_end_admits_ipv6_exactly_when_it_is_dual_stack(project: Project, on: bool) -> None:
    department = _chosen(project)
    graph = build_graph(_with_ipv6(project, {department.code} if on else set()), SANDBOX)
    front = next(n for n in graph.nodes if n.name == platform.SITE_SECURITY_GROUP)
    cidrs = {r["cidr"] for r in front.inputs["ingress"]}
    assert cidrs == ({"0.0.0.0/0", "::/0"} if on else {"0.0.0.0/0"})
