"""Network providers: VPC, subnet, security group."""
from __future__ import annotations

import ipaddress
from typing import Any

from pulumi import Output

from govcloud.cloud import ec2 as conventions
from govcloud.cloud import tags as tagging
from govcloud.cloud.clients import arn
from govcloud.cloud.provider import CloudProvider, CloudResource
from govcloud.cloud.types import SECURITY_GROUP, SUBNET, VPC


def _cidr_failure(prop: str, value: str) -> list[tuple[str, str]]:
    try:
        ipaddress.IPv4Network(value)
    except ValueError as e:
        return [(prop, f"not an IPv4 CIDR: {e}")]
    return []


class VpcProvider(CloudProvider):
    rtype = VPC

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        return _cidr_failure("cidr", props["cidr"])

    def find_existing(self, props: dict[str, Any]) -> str | None:
        ec2 = self.client("ec2", props["region"])
        vpcs = ec2.describe_vpcs(Filters=conventions.key_filter(self.rtype, props))["Vpcs"]
        return str(vpcs[0]["VpcId"]) if vpcs else None

    def _arn(self, region: str, owner: str, vpc_id: str) -> str:
        return arn("ec2", region, owner, f"vpc/{vpc_id}")

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ec2 = self.client("ec2", props["region"])
        tags = conventions.wanted_tags(self.rtype, props)
        vpc = ec2.create_vpc(
            CidrBlock=props["cidr"], TagSpecifications=conventions.tag_specifications("vpc", tags)
        )["Vpc"]
        vpc_id = str(vpc["VpcId"])
        return vpc_id, {"vpc_id": vpc_id, "arn": self._arn(props["region"], vpc["OwnerId"], vpc_id)}

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        ec2 = self.client("ec2", props["region"])
        vpcs = ec2.describe_vpcs(VpcIds=[id_])["Vpcs"]
        if not vpcs:
            return None
        vpc = vpcs[0]
        name, tags = conventions.name_and_tags(vpc.get("Tags"))
        return {
            "name": name, "cidr": vpc["CidrBlock"], "region": props["region"], "tags": tags,
            "vpc_id": id_, "arn": self._arn(props["region"], vpc["OwnerId"], id_),
        }

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        conventions.retag(self.client("ec2", news["region"]), id_, olds, news)
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client("ec2", props["region"]).delete_vpc(VpcId=id_)


class SubnetProvider(CloudProvider):
    rtype = SUBNET

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        return _cidr_failure("cidr", props["cidr"])

    def find_existing(self, props: dict[str, Any]) -> str | None:
        ec2 = self.client("ec2", props["region"])
        found = ec2.describe_subnets(Filters=conventions.key_filter(self.rtype, props))["Subnets"]
        return str(found[0]["SubnetId"]) if found else None

    def _arn(self, region: str, owner: str, subnet_id: str) -> str:
        return arn("ec2", region, owner, f"subnet/{subnet_id}")

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ec2 = self.client("ec2", props["region"])
        zone = props.get("availability_zone") or conventions.first_zone(ec2)
        subnet = ec2.create_subnet(
            VpcId=props["vpc_id"], CidrBlock=props["cidr"], AvailabilityZone=zone,
            TagSpecifications=conventions.tag_specifications(
                "subnet", conventions.wanted_tags(self.rtype, props)),
        )["Subnet"]
        subnet_id = str(subnet["SubnetId"])
        return subnet_id, {
            "subnet_id": subnet_id, "availability_zone": zone,
            "arn": self._arn(props["region"], subnet["OwnerId"], subnet_id),
        }

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        ec2 = self.client("ec2", props["region"])
        found = ec2.describe_subnets(SubnetIds=[id_])["Subnets"]
        if not found:
            return None
        subnet = found[0]
        name, tags = conventions.name_and_tags(subnet.get("Tags"))
        return {
            "name": name, "vpc_id": subnet["VpcId"], "cidr": subnet["CidrBlock"],
            "availability_zone": subnet["AvailabilityZone"], "region": props["region"],
            "tags": tags, "subnet_id": id_,
            "arn": self._arn(props["region"], subnet["OwnerId"], id_),
        }

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        conventions.retag(self.client("ec2", news["region"]), id_, olds, news)
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client("ec2", props["region"]).delete_subnet(SubnetId=id_)


def _permission(rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "IpProtocol": str(rule["protocol"]),
        "FromPort": int(rule.get("from_port", -1)),
        "ToPort": int(rule.get("to_port", -1)),
        "IpRanges": [{"CidrIp": rule["cidr"]}],
    }


def _rules(permissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ingress rules in the input shape, one per CIDR, sorted for a stable comparison."""
    rules = [
        {"protocol": p["IpProtocol"], "from_port": p.get("FromPort", -1),
         "to_port": p.get("ToPort", -1), "cidr": r["CidrIp"]}
        for p in permissions for r in p.get("IpRanges", [])
    ]
    return sorted(rules, key=lambda r: (r["protocol"], r["from_port"], r["to_port"], r["cidr"]))


class SecurityGroupProvider(CloudProvider):
    rtype = SECURITY_GROUP

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        failures: list[tuple[str, str]] = []
        for i, rule in enumerate(props["ingress"]):
            if not isinstance(rule, dict) or not {"protocol", "cidr"} <= rule.keys():
                failures.append(("ingress", f"rule {i} needs protocol and cidr: {rule!r}"))
            else:
                failures += _cidr_failure("ingress", rule["cidr"])
        props["ingress"] = _rules([_permission(r) for r in props["ingress"]]) if not failures else props["ingress"]
        return failures

    def find_existing(self, props: dict[str, Any]) -> str | None:
        ec2 = self.client("ec2", props["region"])
        filters = [{"Name": "vpc-id", "Values": [props["vpc_id"]]},
                   {"Name": "group-name", "Values": [props["name"]]}]
        groups = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
        ours = [g for g in groups if tagging.is_ours(tagging.from_aws(g.get("Tags")), props["tags"])]
        return str(ours[0]["GroupId"]) if ours else None

    def _arn(self, region: str, owner: str, group_id: str) -> str:
        return arn("ec2", region, owner, f"security-group/{group_id}")

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ec2 = self.client("ec2", props["region"])
        group = ec2.create_security_group(
            GroupName=props["name"], Description=props["description"], VpcId=props["vpc_id"],
            TagSpecifications=conventions.tag_specifications(
                "security-group", conventions.wanted_tags(self.rtype, props)),
        )
        group_id = str(group["GroupId"])
        if props["ingress"]:
            ec2.authorize_security_group_ingress(
                GroupId=group_id, IpPermissions=[_permission(r) for r in props["ingress"]])
        owner = self.account(props["region"])
        return group_id, {"group_id": group_id, "arn": self._arn(props["region"], owner, group_id)}

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        ec2 = self.client("ec2", props["region"])
        groups = ec2.describe_security_groups(GroupIds=[id_])["SecurityGroups"]
        if not groups:
            return None
        group = groups[0]
        _, tags = conventions.name_and_tags(group.get("Tags"))
        return {
            "name": group["GroupName"], "vpc_id": group.get("VpcId"),
            "description": group["Description"], "ingress": _rules(group["IpPermissions"]),
            "region": props["region"], "tags": tags, "group_id": id_,
            "arn": self._arn(props["region"], group["OwnerId"], id_),
        }

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        ec2 = self.client("ec2", news["region"])
        conventions.retag(ec2, id_, olds, news)
        old_rules, new_rules = olds.get("ingress", []), news["ingress"]
        gone = [r for r in old_rules if r not in new_rules]
        added = [r for r in new_rules if r not in old_rules]
        if gone:
            ec2.revoke_security_group_ingress(GroupId=id_, IpPermissions=[_permission(r) for r in gone])
        if added:
            ec2.authorize_security_group_ingress(GroupId=id_, IpPermissions=[_permission(r) for r in added])
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client("ec2", props["region"]).delete_security_group(GroupId=id_)


class Vpc(CloudResource, module="govcloud/network", name="Vpc"):
    rtype = VPC
    provider_class = VpcProvider
    vpc_id: Output[str]
    arn: Output[str]


class Subnet(CloudResource, module="govcloud/network", name="Subnet"):
    rtype = SUBNET
    provider_class = SubnetProvider
    subnet_id: Output[str]
    arn: Output[str]
    availability_zone: Output[str]


class SecurityGroup(CloudResource, module="govcloud/network", name="SecurityGroup"):
    rtype = SECURITY_GROUP
    provider_class = SecurityGroupProvider
    group_id: Output[str]
    arn: Output[str]
