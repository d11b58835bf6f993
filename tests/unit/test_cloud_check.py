"""Input checks: defaults, precise failures, the governance tag (no cloud needed)."""
from __future__ import annotations

from govcloud.cloud.logs import LogGroupProvider
from govcloud.cloud.network import SecurityGroupProvider
from govcloud.cloud.storage import BucketProvider
from govcloud.cloud.types import CATALOGUE


def _failures(provider: object, props: dict[str, object]) -> list[tuple[str, str]]:
    result = provider.check({}, props)  # type: ignore[attr-defined]
    return [(f.property, f.reason) for f in result.failures]


def test_defaults_and_managed_by_tag_are_filled_in() -> None:
    result = BucketProvider().check({}, {"name": "gaj-docs", "region": "cn-north-1", "__provider": "x"})
    assert not result.failures
    assert result.inputs == {"name": "gaj-docs", "region": "cn-north-1", "versioning": False,
                             "force_destroy": False, "block_public_access": False,
                             "secure_transport_only": False, "tags": {"managed-by": "govcloud"}}


def test_unknown_and_missing_and_mistyped_properties_are_named() -> None:
    failures = dict(_failures(BucketProvider(), {"nmae": "x", "region": "cn-north-1", "versioning": "yes"}))
    assert failures["nmae"].startswith("unknown property of govcloud:storage:Bucket")
    assert failures["name"] == "required by govcloud:storage:Bucket"
    assert failures["versioning"] == "must be bool, got str 'yes'"


def test_type_specific_failures_come_once_the_kinds_are_right() -> None:
    failures = _failures(BucketProvider(), {"name": "Bad_Name", "region": "cn-north-1",
                                            "replication": {"role_arn": "r"}})
    reasons = [reason for prop, reason in failures if prop == "replication"]
    assert any("destination_bucket_arn" in r for r in reasons)
    assert any("versioning" in r for r in reasons)
    assert any(prop == "name" and "not a valid bucket name" in r for prop, r in failures)


def test_bool_is_not_an_int_and_tags_must_be_strings() -> None:
    failures = dict(_failures(LogGroupProvider(), {"name": "/a", "region": "cn-north-1",
                                                   "retention_days": True, "tags": {"gov:mlps": 3}}))
    assert failures["retention_days"] == "must be int, got bool True"
    assert "gov:mlps" in failures["tags"]


def test_ingress_rules_are_normalised_for_a_stable_diff() -> None:
    rules = [{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "10.0.0.0/8"},
             {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "10.0.0.0/8"}]
    result = SecurityGroupProvider().check({}, {"name": "web", "vpc_id": "vpc-1", "region": "cn-north-1",
                                                "ingress": rules})
    assert [r["from_port"] for r in result.inputs["ingress"]] == [22, 443]


def test_catalogue_outputs_and_props_do_not_collide_except_computed_defaults() -> None:
    for rtype in CATALOGUE.values():
        shared = {p.name for p in rtype.props} & set(rtype.outputs)
        assert all(not rtype.prop(n).required for n in shared), rtype.token
