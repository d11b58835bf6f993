"""Dual-stack VPCs and subnets, and AAAA alias records, against the sandbox cloud."""
from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import pytest

from govcloud.cloud.dns import RecordProvider, ZoneProvider
from govcloud.cloud.loadbalancing import LoadBalancerProvider
from govcloud.cloud.network import SubnetProvider, VpcProvider, ipv6_subnet
from tests.integration.cloud_harness import PRIMARY, Lifecycle, governance_tags

pytestmark = pytest.mark.integration


def _vpc(name: str, cidr: str = "10.16.0.0/16", ipv6: bool = True) -> dict[str, Any]:
    return {"name": name, "cidr": cidr, "ipv6": ipv6, "region": PRIMARY, "tags": governance_tags()}


def _vpc_blocks(aws: Callable[..., Any], vpc_id: str) -> list[str]:
    vpc = aws("ec2").describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    return [a["Ipv6CidrBlock"] for a in vpc.get("Ipv6CidrBlockAssociationSet", [])
            if a["Ipv6CidrBlockState"]["State"] == "associated"]


def _subnet(aws: Callable[..., Any], subnet_id: str) -> dict[str, Any]:
    found: dict[str, Any] = aws("ec2").describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
    return found


def test_dual_stack_vpc_lifecycle(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str],
                                  aws: Callable[..., Any]) -> None:
    cycle = lifecycle(VpcProvider)
    props = _vpc(unique("extranet"))
    vpc_id, outs = cycle.create(props)
    block = ipaddress.IPv6Network(outs["ipv6_cidr"])
    assert block.prefixlen == 56 and _vpc_blocks(aws, vpc_id) == [outs["ipv6_cidr"]]
    cycle.assert_in_sync(vpc_id, outs, props)
    assert cycle.create(props)[0] == vpc_id  # a re-run adopts it and asks for no second /56
    assert len(_vpc_blocks(aws, vpc_id)) == 1

    # Drift: the /56 taken away by hand shows on refresh, and the update gives one back.
    association = aws("ec2").describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]
    aws("ec2").disassociate_vpc_cidr_block(AssociationId=association["AssociationId"])
    current = cycle.read(vpc_id, outs)
    assert current and current["ipv6"] is False and current["ipv6_cidr"] == ""
    assert cycle.provider.diff(vpc_id, current, cycle.checked(props)).changes
    outs = cycle.update_in_place(vpc_id, current, props)
    assert outs["ipv6_cidr"] and _vpc_blocks(aws, vpc_id) == [outs["ipv6_cidr"]]

    # Off and on again in place: the VPC (and all in it) stays.
    outs = cycle.update_in_place(vpc_id, outs, {**props, "ipv6": False})
    assert outs["ipv6_cidr"] == "" and _vpc_blocks(aws, vpc_id) == []
    again = cycle.provider.update(vpc_id, outs, cycle.checked({**props, "ipv6": False}))
    assert again.outs and again.outs["ipv6_cidr"] == ""  # already off: nothing to disassociate
    outs = cycle.update_in_place(vpc_id, outs, props)
    assert len(_vpc_blocks(aws, vpc_id)) == 1
    cycle.delete_twice(vpc_id, outs)


def test_an_ipv4_vpc_stays_ipv4(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str],
                                aws: Callable[..., Any]) -> None:
    cycle = lifecycle(VpcProvider)
    props = _vpc(unique("intranet"), "10.64.0.0/16", ipv6=False)
    vpc_id, outs = cycle.create(props)
    assert outs["ipv6_cidr"] == "" and _vpc_blocks(aws, vpc_id) == []
    cycle.assert_in_sync(vpc_id, outs, {k: v for k, v in props.items() if k != "ipv6"})  # the default
    cycle.delete_twice(vpc_id, outs)


def test_dual_stack_subnet_lifecycle(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str],
                                     aws: Callable[..., Any]) -> None:
    vpcs = lifecycle(VpcProvider)
    vpc_props = _vpc(unique("net"))
    vpc_id, vpc = vpcs.create(vpc_props)
    subnets = lifecycle(SubnetProvider)
    props = {"name": unique("app"), "vpc_id": vpc_id, "cidr": "10.16.3.0/24", "region": PRIMARY,
             "vpc_ipv6_cidr": vpc["ipv6_cidr"], "ipv6_slot": 3, "assign_ipv6_on_creation": True,
             "tags": governance_tags()}
    subnet_id, outs = subnets.create(props)
    assert outs["ipv6_cidr"] == ipv6_subnet(vpc["ipv6_cidr"], 3)
    assert ipaddress.IPv6Network(outs["ipv6_cidr"]).subnet_of(ipaddress.IPv6Network(vpc["ipv6_cidr"]))
    cloud = _subnet(aws, subnet_id)
    assert cloud["AssignIpv6AddressOnCreation"] is True
    assert [a["Ipv6CidrBlock"] for a in cloud["Ipv6CidrBlockAssociationSet"]] == [outs["ipv6_cidr"]]
    subnets.assert_in_sync(subnet_id, outs, props)

    # Another slot in place: the /64 moves, the subnet (and its machines) stays.
    moved = {**props, "ipv6_slot": 5}
    outs = subnets.update_in_place(subnet_id, outs, moved)
    assert outs["ipv6_cidr"] == ipv6_subnet(vpc["ipv6_cidr"], 5)
    assert [a["Ipv6CidrBlock"] for a in _subnet(aws, subnet_id)["Ipv6CidrBlockAssociationSet"]] == [outs["ipv6_cidr"]]

    # Drift: the /64 removed and address assignment turned off by hand.
    ec2 = aws("ec2")
    ec2.modify_subnet_attribute(SubnetId=subnet_id, AssignIpv6AddressOnCreation={"Value": False})
    association = _subnet(aws, subnet_id)["Ipv6CidrBlockAssociationSet"][0]
    ec2.disassociate_subnet_cidr_block(AssociationId=association["AssociationId"])
    current = subnets.read(subnet_id, outs)
    assert current and current["ipv6_cidr"] == "" and "ipv6_slot" not in current
    assert current["assign_ipv6_on_creation"] is False
    diff = subnets.provider.diff(subnet_id, current, subnets.checked(moved))
    assert diff.changes and not diff.replaces
    outs = subnets.update_in_place(subnet_id, current, moved)
    assert _subnet(aws, subnet_id)["AssignIpv6AddressOnCreation"] is True

    # The VPC turned IPv4-only takes the subnets' /64s first (the cloud requires it).
    vpc = vpcs.update_in_place(vpc_id, vpc, {**vpc_props, "ipv6": False})
    current = subnets.read(subnet_id, outs)
    assert current and current["ipv6_cidr"] == "" and current["assign_ipv6_on_creation"] is False
    ipv4 = {k: v for k, v in props.items() if k not in ("vpc_ipv6_cidr", "ipv6_slot", "assign_ipv6_on_creation")}
    outs = subnets.update_in_place(subnet_id, outs, ipv4)  # from dual-stack state to IPv4 inputs
    subnets.assert_in_sync(subnet_id, outs, ipv4)

    subnets.delete_twice(subnet_id, outs)
    vpcs.delete_twice(vpc_id, vpc)


def test_a_dual_stack_subnet_needs_both_halves(lifecycle: Callable[..., Lifecycle]) -> None:
    subnets = lifecycle(SubnetProvider)
    base = {"name": "x", "vpc_id": "vpc-1", "cidr": "10.16.3.0/24", "region": PRIMARY}
    failures = {
        f.property for props in (
            {**base, "ipv6_slot": 1},
            {**base, "vpc_ipv6_cidr": "2400:6500:1:100::/56"},
            {**base, "vpc_ipv6_cidr": "2400:6500:1:100::/56", "ipv6_slot": 256},
            {**base, "vpc_ipv6_cidr": "10.0.0.0/16", "ipv6_slot": 1},
            {**base, "assign_ipv6_on_creation": True},
        ) for f in subnets.provider.check({}, props).failures
    }
    assert failures == {"ipv6_slot", "vpc_ipv6_cidr", "assign_ipv6_on_creation"}


def test_aaaa_alias_to_a_dual_stack_load_balancer(lifecycle: Callable[..., Lifecycle],
                                                  unique: Callable[[str], str]) -> None:
    vpcs = lifecycle(VpcProvider)
    vpc_id, vpc = vpcs.create(_vpc(unique("internet-zone"), "10.96.0.0/16"))
    subnets = lifecycle(SubnetProvider)
    created = [subnets.create({"name": unique("front"), "vpc_id": vpc_id, "cidr": f"10.96.{i}.0/24",
                               "availability_zone": f"{PRIMARY}{zone}", "vpc_ipv6_cidr": vpc["ipv6_cidr"],
                               "ipv6_slot": i, "region": PRIMARY, "tags": governance_tags()})
               for i, zone in ((0, "a"), (1, "b"))]
    lbs = lifecycle(LoadBalancerProvider)
    lb_props = {"name": unique("site"), "subnet_ids": [s for s, _ in created], "ip_address_type": "dualstack",
                "region": PRIMARY, "tags": governance_tags()}
    lb_arn, lb = lbs.create(lb_props)
    lbs.assert_in_sync(lb_arn, lb, lb_props)

    zones = lifecycle(ZoneProvider)
    zone_id, zone = zones.create({"name": f"{unique('city')}.gov.cn", "region": PRIMARY, "tags": governance_tags()})
    records = lifecycle(RecordProvider)
    alias = {"dns_name": lb["dns_name"], "zone_id": lb["canonical_hosted_zone_id"]}
    host = f"gaj.{zone['name']}"
    a_id, a = records.create({"zone_id": zone_id, "name": host, "type": "A", "alias": alias, "region": PRIMARY})
    aaaa = {"zone_id": zone_id, "name": host, "type": "AAAA", "alias": alias, "region": PRIMARY}
    aaaa_id, aaaa_outs = records.create(aaaa)
    assert aaaa_id != a_id  # beside the A record, not over it
    current = records.assert_in_sync(aaaa_id, aaaa_outs, aaaa)
    assert current["type"] == "AAAA" and current["alias"]["dns_name"].rstrip(".") == lb["dns_name"].rstrip(".")
    records.delete_twice(aaaa_id, aaaa_outs)
    assert records.read(a_id, a) is not None  # the A record stays
    records.delete_twice(a_id, a)

    zones.delete_twice(zone_id, zone)
    lbs.delete_twice(lb_arn, lb)
    for subnet_id, outs in created:
        subnets.delete_twice(subnet_id, outs)
    vpcs.delete_twice(vpc_id, vpc)
