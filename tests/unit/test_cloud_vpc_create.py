"""A dual-stack VPC's create, call by call against a stubbed EC2: a create whose answer names
its IPv6 /56 associated already asks the cloud nothing more; one that answers "associating"
(as the real cloud does) reads the VPC until the block is associated."""
from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from govcloud.cloud import network
from govcloud.cloud.network import VpcProvider
from tests.support.stubbed import on_stub, stubbed

PROPS: dict[str, Any] = {"name": "extranet", "cidr": "10.16.0.0/16", "ipv6": True, "region": "cn-north-1",
                         "tags": {"managed-by": "govcloud", "gov:stack": "sandbox"}}
BLOCK = "2400:6500:89f4:5f00::/56"


def _vpc(state: str | None) -> dict[str, Any]:
    vpc: dict[str, Any] = {"VpcId": "vpc-1", "OwnerId": "123456789012", "CidrBlock": PROPS["cidr"]}
    if state is not None:
        vpc["Ipv6CidrBlockAssociationSet"] = [{
            "AssociationId": "vpc-cidr-assoc-1", "Ipv6CidrBlock": BLOCK if state == "associated" else "",
            "Ipv6CidrBlockState": {"State": state}}]
    return vpc


def _queue_create(ec2: Stubber, answer: dict[str, Any]) -> None:
    ec2.add_response("describe_vpcs", {"Vpcs": []}, {"Filters": ANY})  # find_existing: none of ours
    ec2.add_response("create_vpc", {"Vpc": answer},
                     {"CidrBlock": PROPS["cidr"], "AmazonProvidedIpv6CidrBlock": True, "TagSpecifications": ANY})


def _create(ec2: Stubber, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    created = on_stub(VpcProvider(), ec2, monkeypatch).create(dict(PROPS))
    assert created.id == "vpc-1"
    outs: dict[str, Any] = created.outs
    return outs


def test_an_answer_that_names_the_block_is_not_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    with stubbed("ec2") as ec2:
        _queue_create(ec2, _vpc("associated"))  # and no describe_vpcs of the new VPC after it
        outs = _create(ec2, monkeypatch)
    assert outs["ipv6_cidr"] == BLOCK


@pytest.mark.parametrize("answered", ["associating", None])
def test_an_answer_without_the_block_is_read_until_associated(answered: str | None,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network.time, "sleep", lambda seconds: None)
    with stubbed("ec2") as ec2:
        _queue_create(ec2, _vpc(answered))
        ec2.add_response("describe_vpcs", {"Vpcs": [_vpc("associating")]}, {"VpcIds": ["vpc-1"]})
        ec2.add_response("describe_vpcs", {"Vpcs": [_vpc("associated")]}, {"VpcIds": ["vpc-1"]})
        outs = _create(ec2, monkeypatch)
    assert outs["ipv6_cidr"] == BLOCK
