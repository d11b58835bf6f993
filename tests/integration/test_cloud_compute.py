"""Instances from approved images and encrypted volumes against the sandbox cloud."""
from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from govcloud.cloud.compute import SECRET_LINE, InstanceProvider, VolumeProvider
from govcloud.cloud.keys import KeyProvider
from govcloud.cloud.network import SecurityGroupProvider, SubnetProvider, VpcProvider
from govcloud.errors import GovcloudError
from tests.integration.cloud_harness import PRIMARY, Lifecycle, governance_tags

pytestmark = pytest.mark.integration


@pytest.fixture
def subnet(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str]) -> dict[str, str]:
    vpc_id, _ = lifecycle(VpcProvider).create(
        {"name": unique("intranet"), "cidr": "10.64.0.0/16", "region": PRIMARY, "tags": governance_tags()})
    subnet_id, _ = lifecycle(SubnetProvider).create(
        {"name": unique("app"), "vpc_id": vpc_id, "cidr": "10.64.1.0/24", "region": PRIMARY,
         "tags": governance_tags()})
    group_id, _ = lifecycle(SecurityGroupProvider).create(
        {"name": unique("app"), "vpc_id": vpc_id, "region": PRIMARY, "tags": governance_tags()})
    return {"vpc_id": vpc_id, "subnet_id": subnet_id, "group_id": group_id}


def test_instance_lifecycle(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str],
                            subnet: dict[str, str], approved_image: str, aws: Callable[..., Any]) -> None:
    instances = lifecycle(InstanceProvider)
    props = {"name": unique("registry-app"), "image": approved_image, "subnet_id": subnet["subnet_id"],
             "instance_type": "t3.medium", "region": PRIMARY, "tags": governance_tags()}
    instance_id, outs = instances.create(props)
    assert outs["image_id"].startswith("ami-") and outs["arn"].endswith(f"instance/{instance_id}")
    assert instances.create(props)[0] == instance_id  # found again by its key tag
    instances.assert_in_sync(instance_id, outs, props)

    bigger = {**props, "instance_type": "t3.large", "security_group_ids": [subnet["group_id"]],
              "tags": {**props["tags"], "role": "app"}}
    outs = instances.update_in_place(instance_id, outs, bigger)

    aws("ec2").create_tags(Resources=[instance_id], Tags=[{"Key": "gov:department", "Value": "other"}])
    current = instances.read(instance_id, outs)
    assert current and current["tags"]["gov:department"] == "other"  # drift is visible

    secret_arn = "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:govcloud/t/gaj/db-admin-AbCdEf"
    database = {**bigger, "admin_secret_arn": secret_arn}
    new_id, new_outs, first = instances.replace(instance_id, current, database, {"admin_secret_arn"})
    assert not first and "admin_password" not in new_outs
    user_data = aws("ec2").describe_instance_attribute(InstanceId=new_id, Attribute="userData")
    # The first-boot script learns where the password is, never the password itself.
    assert base64.b64decode(user_data["UserData"]["Value"]).decode() == f"{SECRET_LINE}{secret_arn}\n"
    instances.delete_twice(new_id, new_outs)


def test_unknown_image_is_a_clear_error(lifecycle: Callable[..., Lifecycle], subnet: dict[str, str]) -> None:
    instances = lifecycle(InstanceProvider)
    with pytest.raises(GovcloudError, match="image 'windows-xp' is not registered in cn-north-1"):
        instances.create({"name": "x", "image": "windows-xp", "subnet_id": subnet["subnet_id"],
                          "region": PRIMARY, "tags": governance_tags()})


def test_encrypted_volume_lifecycle(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str],
                                    subnet: dict[str, str], approved_image: str) -> None:
    _key_id, key = lifecycle(KeyProvider).create(
        {"alias": f"alias/{unique('gaj-disk')}", "region": PRIMARY, "tags": governance_tags()})
    instance_id, _ = lifecycle(InstanceProvider).create(
        {"name": unique("db"), "image": approved_image, "subnet_id": subnet["subnet_id"],
         "region": PRIMARY, "tags": governance_tags()})
    volumes = lifecycle(VolumeProvider)
    props = {"name": unique("data"), "availability_zone": f"{PRIMARY}a", "size_gib": 100,
             "kms_key_id": key["arn"], "region": PRIMARY, "tags": governance_tags()}
    volume_id, outs = volumes.create(props)
    assert outs["encrypted"] is True
    assert volumes.create(props)[0] == volume_id
    outs = volumes.update_in_place(volume_id, outs, {**props, "size_gib": 200, "instance_id": instance_id})
    outs = volumes.update_in_place(volume_id, outs, {**props, "size_gib": 200})  # detached again
    volume_id, outs, _ = volumes.replace(volume_id, outs, {**props, "size_gib": 200, "kms_key_id": None,
                                                           "encrypted": False}, {"encrypted", "kms_key_id"})
    volumes.delete_twice(volume_id, outs)
    lifecycle(InstanceProvider).delete_twice(instance_id, {"region": PRIMARY})
