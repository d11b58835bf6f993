"""Buckets (encryption, versioning, DR replication) and KMS keys against the sandbox cloud."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from govcloud.cloud.keys import KeyProvider
from govcloud.cloud.storage import BucketProvider
from govcloud.errors import GovcloudError
from tests.integration.cloud_harness import DR, PRIMARY, Lifecycle, governance_tags

pytestmark = pytest.mark.integration


def _key(alias: str, region: str = PRIMARY) -> dict[str, Any]:
    return {"alias": f"alias/{alias}", "description": "household registry data", "region": region,
            "tags": governance_tags()}


def test_key_lifecycle(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str],
                       aws: Callable[..., Any]) -> None:
    keys = lifecycle(KeyProvider)
    props = _key(unique("gaj-registry"))
    key_id, outs = keys.create(props)
    assert outs["arn"].startswith(f"arn:aws-cn:kms:{PRIMARY}:") and outs["alias_arn"].endswith(props["alias"])
    assert keys.create(props)[0] == key_id  # the alias finds the key again

    renamed = {**props, "alias": props["alias"] + "-v2", "rotation": False,
               "tags": {**props["tags"], "gov:mlps": "4"}}
    outs = keys.update_in_place(key_id, outs, renamed)

    aws("kms").disable_key_rotation(KeyId=key_id)
    aws("kms").enable_key_rotation(KeyId=key_id)  # drift: rotation switched on by hand
    current = keys.read(key_id, outs)
    assert current and current["rotation"] is True

    # A key cannot move regions: a new key in the DR region, the alias is free there.
    key_id, outs, _ = keys.replace(key_id, current, {**renamed, "region": DR}, {"region"})
    keys.delete_twice(key_id, outs)


def test_bucket_lifecycle_with_encryption_and_replication(
        lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str], aws: Callable[..., Any]) -> None:
    key_id, key = lifecycle(KeyProvider).create(_key(unique("gaj-docs")))
    buckets = lifecycle(BucketProvider)
    dr_name = unique("gaj-docs-dr")
    dr_id, dr = buckets.create({"name": dr_name, "region": DR, "versioning": True, "tags": governance_tags()})
    role = "arn:aws-cn:iam::123456789012:role/govcloud-replication"
    props = {"name": unique("gaj-docs"), "region": PRIMARY, "versioning": True,
             "kms_key_arn": key["arn"], "tags": governance_tags(),
             "replication": {"role_arn": role, "destination_bucket_arn": dr["arn"]}}
    name, outs = buckets.create(props)
    assert outs["arn"] == f"arn:aws-cn:s3:::{name}"
    assert aws("s3").get_bucket_location(Bucket=name)["LocationConstraint"] == PRIMARY
    assert buckets.create(props)[0] == name  # adopted: already exists with our tags
    buckets.assert_in_sync(name, outs, props)

    plain = {**props, "kms_key_arn": None, "replication": None, "tags": {**props["tags"], "tier": "cold"}}
    outs = buckets.update_in_place(name, outs, plain)
    assert "kms_key_arn" not in outs or outs["kms_key_arn"] is None

    # Drift: versioning suspended by hand.
    aws("s3").put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    current = buckets.read(name, outs)
    assert current and current["versioning"] is False
    diff = buckets.provider.diff(name, current, buckets.checked(plain))
    assert diff.changes and not diff.replaces

    # Same name in another region: the old bucket must go first.
    aws("s3").put_object(Bucket=name, Key="doc.txt", Body=b"x")
    moved = {**plain, "region": DR, "force_destroy": True}
    name2, outs, first = buckets.replace(name, {**current, "force_destroy": True}, moved, {"region"})
    assert first and name2 == name
    buckets.delete_twice(name2, outs)
    buckets.delete_twice(dr_id, dr)
    lifecycle(KeyProvider).delete_twice(key_id, key)


def test_bucket_of_someone_else_is_not_adopted(
        lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str], aws: Callable[..., Any]) -> None:
    name = unique("foreign")
    aws("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": PRIMARY})
    buckets = lifecycle(BucketProvider)
    with pytest.raises(GovcloudError, match="not managed by this stack"):
        buckets.create({"name": name, "region": PRIMARY, "tags": governance_tags()})
    aws("s3").delete_bucket(Bucket=name)
