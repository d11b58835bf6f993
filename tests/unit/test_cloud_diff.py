"""The property-level diff every provider returns (no cloud needed)."""
from __future__ import annotations

from govcloud.cloud.check import UNKNOWN
from govcloud.cloud.diff import diff_properties, secret_digest
from govcloud.cloud.types import BUCKET, CERTIFICATE, LISTENER, SUBNET, VPC

TAGS = {"managed-by": "govcloud", "gov:department": "gaj"}
BUCKET_PROPS = {"name": "gaj-docs", "region": "cn-north-1", "versioning": True, "tags": TAGS,
                "force_destroy": False}


def test_only_a_provider_change_is_no_change() -> None:
    olds = {**BUCKET_PROPS, "__provider": "old-serialised", "arn": "arn:aws-cn:s3:::gaj-docs"}
    news = {**BUCKET_PROPS, "__provider": "new-serialised"}
    diff = diff_properties(BUCKET, olds, news)
    assert not diff.changes and diff.changed == () and diff.replaces == ()


def test_tag_change_is_in_place() -> None:
    diff = diff_properties(BUCKET, BUCKET_PROPS, {**BUCKET_PROPS, "tags": {**TAGS, "gov:mlps": "4"}})
    assert diff.changed == ("tags",) and diff.replaces == () and not diff.delete_before_replace


def test_renaming_a_bucket_replaces_it_alongside() -> None:
    diff = diff_properties(BUCKET, BUCKET_PROPS, {**BUCKET_PROPS, "name": "gaj-docs-2"})
    assert diff.replaces == ("name",) and not diff.delete_before_replace


def test_moving_a_bucket_keeps_its_name_so_the_old_one_goes_first() -> None:
    diff = diff_properties(BUCKET, BUCKET_PROPS, {**BUCKET_PROPS, "region": "cn-northwest-1"})
    assert diff.replaces == ("region",) and diff.delete_before_replace


def test_natural_key_of_several_properties() -> None:
    olds = {"load_balancer_arn": "lb1", "port": 80, "protocol": "HTTP", "region": "cn-north-1", "tags": TAGS}
    moved = diff_properties(LISTENER, olds, {**olds, "load_balancer_arn": "lb2"})
    assert moved.replaces == ("load_balancer_arn",) and not moved.delete_before_replace
    assert diff_properties(LISTENER, olds, {**olds, "port": 443}).replaces == ()


def test_unknown_values_count_as_changes() -> None:
    olds = {"name": "app", "vpc_id": "vpc-1", "cidr": "10.0.1.0/24", "region": "cn-north-1", "tags": TAGS}
    diff = diff_properties(SUBNET, olds, {**olds, "vpc_id": UNKNOWN})
    assert diff.replaces == ("vpc_id",)
    nested = diff_properties(SUBNET, olds, {**olds, "tags": {**TAGS, "gov:system": UNKNOWN}})
    assert nested.changed == ("tags",) and nested.replaces == ()


def test_a_value_the_cloud_chose_is_not_a_change() -> None:
    olds = {"name": "app", "vpc_id": "vpc-1", "cidr": "10.0.1.0/24", "region": "cn-north-1", "tags": TAGS,
            "availability_zone": "cn-north-1a"}
    news = {k: v for k, v in olds.items() if k != "availability_zone"}
    assert not diff_properties(SUBNET, olds, news).changes
    assert diff_properties(SUBNET, olds, {**news, "availability_zone": "cn-north-1b"}).replaces == (
        "availability_zone",)


def test_missing_old_property_takes_its_default() -> None:
    olds = {"name": "net", "cidr": "10.16.0.0/16", "region": "cn-north-1"}  # state from before tags
    assert not diff_properties(VPC, olds, {**olds, "tags": {}}).changes


def test_secret_inputs_are_compared_by_digest() -> None:
    key = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n"
    base = {"domain_name": "gaj.foshan.gov.cn", "region": "cn-north-1", "ca_certificate_pem": "cert",
            "tags": TAGS}
    olds = {**base, "ca_private_key_pem": secret_digest(key)}
    assert not diff_properties(CERTIFICATE, olds, {**base, "ca_private_key_pem": key}).changes
    rotated = diff_properties(CERTIFICATE, olds, {**base, "ca_private_key_pem": key + "x"})
    assert rotated.replaces == ("ca_private_key_pem",)


def test_pulumi_result_carries_replaces_and_delete_first() -> None:
    result = diff_properties(BUCKET, BUCKET_PROPS, {**BUCKET_PROPS, "region": "cn-northwest-1"}).to_result()
    assert result.changes is True and result.replaces == ["region"] and result.delete_before_replace is True
