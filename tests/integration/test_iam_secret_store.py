"""The pieces a system's machines get their secret through, against the sandbox cloud:
the secret itself (generated, adopted by name, never in an output), the instance profile,
and the controls every bucket carries. Also the public certificate of a public site."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from govcloud.cloud.certificates import PublicCertificateProvider
from govcloud.cloud.compute import InstanceProvider
from govcloud.cloud.dns import ZoneProvider
from govcloud.cloud.identity import InstanceProfileProvider, RoleProvider
from govcloud.cloud.keys import KeyProvider
from govcloud.cloud.network import SubnetProvider, VpcProvider
from govcloud.cloud.secretstore import SecretProvider, resource_policy
from govcloud.cloud.storage import BucketProvider, baseline_policy
from tests.integration.cloud_harness import PRIMARY, Lifecycle, governance_tags

pytestmark = pytest.mark.integration

TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture
def key_arn(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str]) -> str:
    _, key = lifecycle(KeyProvider).create(
        {"alias": f"alias/{unique('gaj-secrets')}", "region": PRIMARY, "tags": governance_tags()})
    return str(key["arn"])


def _value(aws: Callable[..., Any], arn: str) -> str:
    return str(aws("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])


def test_a_secret_is_generated_once_and_found_again_by_its_name(
        lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str], aws: Callable[..., Any],
        key_arn: str) -> None:
    secrets = lifecycle(SecretProvider)
    reader = "arn:aws-cn:iam::*:role/foshan-t-gaj-household-registry"
    props: dict[str, Any] = {"name": f"govcloud/{unique('t')}/gaj/household-registry/db-admin", "kms_key_id": key_arn,
                             "description": "database admin password", "readers": [reader],
                             "region": PRIMARY, "tags": governance_tags()}
    arn, outs = secrets.create(props)
    value = _value(aws, arn)
    assert len(value) == 32 and value.isalnum()
    # Outputs are the inputs and the ARN: the value is nowhere in what the state would keep.
    assert set(outs) == set(secrets.checked(props)) | {"arn"} and value not in json.dumps(outs)
    described = aws("secretsmanager").describe_secret(SecretId=arn)
    assert described["KmsKeyId"] == key_arn and value not in json.dumps(described, default=str)
    secrets.assert_in_sync(arn, outs, props)
    policy = json.loads(aws("secretsmanager").get_resource_policy(SecretId=arn)["ResourcePolicy"])
    assert policy == resource_policy([reader])
    aws("secretsmanager").delete_resource_policy(SecretId=arn)  # by hand: drift, and put back
    current = secrets.read(arn, outs)
    assert current and current["readers"] == []
    outs = secrets.update_in_place(arn, current, props)

    # A re-run after a crash (create done, state not written) adopts it and keeps the value.
    again, _ = secrets.create(props)
    assert again == arn and _value(aws, arn) == value

    # A destroy schedules deletion; applying again within the window brings the same value back.
    secrets.provider.delete(arn, outs)
    assert secrets.read(arn, outs) is None
    restored, outs = secrets.create(props)
    assert restored == arn and _value(aws, arn) == value
    secrets.update_in_place(arn, outs, {**props, "description": "rotated key", "tags": {
        **props["tags"], "gov:mlps": "4"}})
    secrets.delete_twice(arn, outs)


def test_a_secret_of_another_stack_is_never_adopted(
        lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str]) -> None:
    secrets = lifecycle(SecretProvider)
    name = f"govcloud/{unique('t')}/gaj/x/db-admin"
    arn, outs = secrets.create({"name": name, "region": PRIMARY, "tags": governance_tags(stack="one")})
    with pytest.raises(Exception, match="not managed by this stack"):
        secrets.create({"name": name, "region": PRIMARY, "tags": governance_tags(stack="two")})
    secrets.delete_twice(arn, outs)


def test_instance_profile_lifecycle_and_an_instance_running_with_it(
        lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str], aws: Callable[..., Any],
        approved_image: str) -> None:
    roles, profiles = lifecycle(RoleProvider), lifecycle(InstanceProfileProvider)
    first, _ = roles.create({"name": unique("gaj-sys"), "assume_role_policy": TRUST, "region": PRIMARY,
                             "tags": governance_tags()})
    second, _ = roles.create({"name": unique("gaj-sys"), "assume_role_policy": TRUST, "region": PRIMARY,
                              "tags": governance_tags()})
    props = {"name": unique("gaj-sys"), "role_name": first, "region": PRIMARY, "tags": governance_tags()}
    name, outs = profiles.create(props)
    assert profiles.create(props)[0] == name
    profiles.assert_in_sync(name, outs, props)

    vpc, _ = lifecycle(VpcProvider).create({"name": unique("v"), "cidr": "10.70.0.0/16", "region": PRIMARY,
                                            "tags": governance_tags()})
    subnet, _ = lifecycle(SubnetProvider).create({"name": unique("s"), "vpc_id": vpc, "cidr": "10.70.1.0/24",
                                                  "region": PRIMARY, "tags": governance_tags()})
    instances = lifecycle(InstanceProvider)
    machine = {"name": unique("db"), "image": approved_image, "subnet_id": subnet,
               "iam_instance_profile_arn": outs["arn"], "region": PRIMARY, "tags": governance_tags()}
    instance_id, machine_outs = instances.create(machine)
    instances.assert_in_sync(instance_id, machine_outs, machine)

    outs = profiles.update_in_place(name, outs, {**props, "role_name": second})
    roles_now = aws("iam").get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"]
    assert [r["RoleName"] for r in roles_now] == [second]
    instances.delete_twice(instance_id, machine_outs)
    profiles.delete_twice(name, outs)
    roles.delete_twice(first, {"region": PRIMARY})  # a role still in no profile goes cleanly


def test_every_bucket_blocks_public_access_and_plain_http(
        lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str], aws: Callable[..., Any]) -> None:
    buckets = lifecycle(BucketProvider)
    props = {"name": unique("gaj-oa"), "versioning": True, "block_public_access": True,
             "secure_transport_only": True, "region": PRIMARY, "tags": governance_tags()}
    name, outs = buckets.create(props)
    s3 = aws("s3")
    block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                     "RestrictPublicBuckets": True}
    ownership = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    assert policy == baseline_policy(f"arn:aws-cn:s3:::{name}", "123456789012")
    buckets.assert_in_sync(name, outs, props)

    # Someone switches the controls off by hand: refresh shows it, apply puts them back.
    s3.delete_public_access_block(Bucket=name)
    s3.delete_bucket_policy(Bucket=name)
    current = buckets.read(name, outs)
    assert current and current["block_public_access"] is False and current["secure_transport_only"] is False
    buckets.update_in_place(name, current, props)
    assert json.loads(s3.get_bucket_policy(Bucket=name)["Policy"]) == policy
    buckets.delete_twice(name, outs)


def test_a_public_site_gets_a_certificate_from_the_public_ca(
        lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str], aws: Callable[..., Any]) -> None:
    domain = f"{unique('city')}.gov.cn"
    zone_id, zone = lifecycle(ZoneProvider).create({"name": domain, "region": PRIMARY, "tags": governance_tags()})
    certificates = lifecycle(PublicCertificateProvider)
    props = {"domain_name": f"www.{domain}", "subject_alternative_names": [domain],
             "validation_zone_id": zone_id, "region": PRIMARY, "tags": governance_tags()}
    arn, outs = certificates.create(props)
    described = aws("acm").describe_certificate(CertificateArn=arn)["Certificate"]
    assert described["Type"] == "AMAZON_ISSUED" and outs["status"] == "ISSUED"  # not imported: publicly trusted
    records = aws("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    wanted = {o["ResourceRecord"]["Name"] for o in described["DomainValidationOptions"]}
    assert wanted and wanted <= {r["Name"] for r in records if r["Type"] == "CNAME"}
    assert certificates.create(props)[0] == arn
    certificates.assert_in_sync(arn, outs, props)
    certificates.delete_twice(arn, outs)
    records = aws("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    assert not [r for r in records if r["Type"] == "CNAME"]  # the zone can go
    lifecycle(ZoneProvider).delete_twice(zone_id, zone)
