"""VPC, subnet and security group against the sandbox cloud."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from govcloud.cloud.network import SecurityGroupProvider, SubnetProvider, VpcProvider
from tests.integration.cloud_harness import PRIMARY, Lifecycle, governance_tags

pytestmark = pytest.mark.integration


def _vpc(name: str, cidr: str = "10.16.0.0/16") -> dict[str, Any]:
    return {"name": name, "cidr": cidr, "region": PRIMARY, "tags": governance_tags()}


def test_vpc_lifecycle(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str]) -> None:
    cycle = lifecycle(VpcProvider)
    props = _vpc(unique("extranet"))
    vpc_id, outs = cycle.create(props)
    assert outs["arn"] == f"arn:aws-cn:ec2:{PRIMARY}:123456789012:vpc/{vpc_id}"
    cycle.assert_in_sync(vpc_id, outs, props)

    renamed = {**props, "name": props["name"] + "-x", "tags": {**props["tags"], "gov:mlps": "4"}}
    outs = cycle.update_in_place(vpc_id, outs, renamed)

    new_id, outs, first = cycle.replace(vpc_id, outs, {**renamed, "cidr": "10.17.0.0/16"}, {"cidr"})
    assert not first  # two VPCs may coexist: create before delete
    cycle.delete_twice(new_id, outs)


def test_a_rerun_create_adopts_what_a_crashed_one_left(
        lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str]) -> None:
    cycle = lifecycle(VpcProvider)
    props = _vpc(unique("intranet"), "10.64.0.0/16")
    first, outs = cycle.create(props)
    again, _ = cycle.create(props)  # the engine retries a create whose result it never saw
    assert again == first
    cycle.delete_twice(first, outs)


def test_subnet_and_security_group(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str],
                                   aws: Callable[..., Any]) -> None:
    vpc_id, vpc_outs = lifecycle(VpcProvider).create(_vpc(unique("net")))
    subnets = lifecycle(SubnetProvider)
    props = {"name": unique("app"), "vpc_id": vpc_id, "cidr": "10.16.1.0/24", "region": PRIMARY,
             "tags": governance_tags()}
    subnet_id, outs = subnets.create(props)
    assert outs["availability_zone"] == f"{PRIMARY}a"
    outs = subnets.update_in_place(subnet_id, outs, {**props, "tags": {**props["tags"], "tier": "app"}})
    # Same CIDR in another zone cannot coexist with the old subnet: delete first.
    zoned = {**props, "availability_zone": f"{PRIMARY}b"}
    subnet_id, outs, first = subnets.replace(subnet_id, outs, zoned, {"availability_zone"})
    assert first

    groups = lifecycle(SecurityGroupProvider)
    web = {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "10.16.0.0/12"}
    sg = {"name": unique("web"), "vpc_id": vpc_id, "ingress": [web], "region": PRIMARY,
          "tags": governance_tags()}
    group_id, sg_outs = groups.create(sg)
    ssh = {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "10.64.0.0/12"}
    sg_outs = groups.update_in_place(group_id, sg_outs, {**sg, "ingress": [web, ssh]})

    # Drift: a rule added by hand shows up on refresh.
    aws("ec2").authorize_security_group_ingress(GroupId=group_id, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    current = groups.read(group_id, sg_outs)
    rdp = {"protocol": "tcp", "from_port": 3389, "to_port": 3389, "cidr": "0.0.0.0/0"}
    assert current and rdp in current["ingress"]
    assert groups.provider.diff(group_id, current, groups.checked({**sg, "ingress": [web, ssh]})).changes

    group_id, sg_outs, _ = groups.replace(group_id, sg_outs, {**sg, "description": "web tier"}, {"description"})
    groups.delete_twice(group_id, sg_outs)
    subnets.delete_twice(subnet_id, outs)
    lifecycle(VpcProvider).delete_twice(vpc_id, vpc_outs)
