"""The sandbox reads an EC2 object's tags by its id (moto scans every tag of the region for
each object it filters) and finds an instance without copying every reservation: the
answers stay those of the real API."""
from __future__ import annotations

import boto3
import pytest

from tests.integration.cloud_harness import PRIMARY

pytestmark = pytest.mark.integration


def test_tag_filters_and_tag_lists_answer_as_the_api_does(sandbox_endpoint: str) -> None:
    ec2 = boto3.client("ec2", region_name=PRIMARY, endpoint_url=sandbox_endpoint,
                       aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
    vpc = ec2.create_vpc(CidrBlock="10.250.0.0/16")["Vpc"]["VpcId"]
    made = []
    for n in range(40):
        tags = [{"Key": "probe", "Value": f"s{n}"}, {"Key": "城市", "Value": "佛山"}] if n % 2 else []
        spec = [{"ResourceType": "subnet", "Tags": tags}] if tags else []
        made.append(ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.250.{n}.0/24",
                                      TagSpecifications=spec)["Subnet"]["SubnetId"])
    try:
        one = ec2.describe_subnets(Filters=[{"Name": "tag:probe", "Values": ["s7"]}])["Subnets"]
        assert [s["SubnetId"] for s in one] == [made[7]]
        assert sorted((t["Key"], t["Value"]) for t in one[0]["Tags"]) == [("probe", "s7"), ("城市", "佛山")]
        tagged = ec2.describe_subnets(Filters=[{"Name": "tag-key", "Values": ["probe"]}])["Subnets"]
        assert sorted(s["SubnetId"] for s in tagged) == sorted(made[1::2])
        plain = ec2.describe_subnets(SubnetIds=[made[0]])["Subnets"][0]
        assert not plain.get("Tags")
        listed = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [made[3]]}])["Tags"]
        assert {(t["Key"], t["ResourceType"]) for t in listed} == {("probe", "subnet"), ("城市", "subnet")}
        ec2.create_tags(Resources=[made[0]], Tags=[{"Key": "probe", "Value": "late"}])
        late = ec2.describe_subnets(Filters=[{"Name": "tag:probe", "Values": ["late"]}])["Subnets"]
        assert [s["SubnetId"] for s in late] == [made[0]]
    finally:
        for subnet in made:
            ec2.delete_subnet(SubnetId=subnet)
        ec2.delete_vpc(VpcId=vpc)


def test_instances_are_found_by_id_among_many_reservations(sandbox_endpoint: str) -> None:
    from botocore.exceptions import ClientError

    ec2 = boto3.client("ec2", region_name=PRIMARY, endpoint_url=sandbox_endpoint,
                       aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ids = [i["InstanceId"] for _ in range(5)
           for i in ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2)["Instances"]]
    try:
        ec2.modify_instance_attribute(InstanceId=ids[7], DisableApiTermination={"Value": True})
        found = ec2.describe_instance_attribute(InstanceId=ids[7], Attribute="disableApiTermination")
        assert found["InstanceId"] == ids[7] and found["DisableApiTermination"]["Value"] is True
        ec2.modify_instance_attribute(InstanceId=ids[7], DisableApiTermination={"Value": False})
        with pytest.raises(ClientError, match="InvalidInstanceID"):
            ec2.describe_instance_attribute(InstanceId="i-0123456789abcdef0", Attribute="instanceType")
    finally:
        ec2.terminate_instances(InstanceIds=ids)
