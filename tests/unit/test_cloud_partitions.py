"""One partition rule for stack files, providers and ARNs, the same as the cloud SDK's data."""
from __future__ import annotations

import botocore.session
import pytest

from govcloud.cloud import clients
from govcloud.cloud.partitions import partition
from govcloud.program import stackconfig


def test_every_region_the_sdk_knows_is_in_the_partition_the_sdk_says() -> None:
    session = botocore.session.get_session()
    checked = 0
    for name in session.get_available_partitions():
        for region in session.get_available_regions("ec2", partition_name=name):
            assert partition(region) == name == session.get_partition_for_region(region), region
            checked += 1
    assert checked > 30


@pytest.mark.parametrize(("region", "expected"), [
    ("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"),
    ("us-isob-east-1", "aws-iso-b"), ("us-iso-east-1", "aws-iso"), ("eu-west-1", "aws"),
    ("city-dc-1", "aws"),  # a name no partition claims: the SDK's default
])
def test_prefixes(region: str, expected: str) -> None:
    assert partition(region) == expected


def test_the_clients_and_the_stack_loader_use_the_same_rule() -> None:
    assert clients.partition is partition
    assert stackconfig.partitions.partition is partition
