"""Network providers: VPC, subnet, security group."""
from __future__ import annotations

import ipaddress
import time
from typing import Any

from botocore.exceptions import ClientError
from pulumi import Output

from govcloud.cloud import ec2 as conventions
from govcloud.cloud import tags as tagging
from govcloud.cloud.check import UNKNOWN
from govcloud.cloud.clients import arn
from govcloud.cloud.provider import CloudProvider, CloudResource, delete_if_there, is_already_there, retried
from govcloud.cloud.types import SECURITY_GROUP, SUBNET, VPC
from govcloud.errors import GovcloudError


def _cidr_failure(prop: str, value: str) -> list[tuple[str, str]]:
    try:
        ipaddress.IPv4Network(value)
    except ValueError as e:
        return [(prop, f"not an IPv4 CIDR: {e}")]
    return []


_GONE_STATES = ("disassociat", "fail")  # an association in these states holds no block
IPV6_WAIT_SECONDS = 30  # the cloud assigns an Amazon-provided /56 within seconds


def _live(associations: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The IPv6 associations that hold their block (disassociated ones linger in describe)."""
    return [a for a in associations or []
            if not str(a.get("Ipv6CidrBlockState", {}).get("State", "")).startswith(_GONE_STATES)]


def _vpc_ipv6(vpc: dict[str, Any]) -> dict[str, Any] | None:
    live = _live(vpc.get("Ipv6CidrBlockAssociationSet"))
    return live[0] if live else None


def _associated_ipv6(vpc: dict[str, Any]) -> str | None:
    """The VPC's IPv6 block once it is associated (an answer may say "associating" first)."""
    association = _vpc_ipv6(vpc)
    if association and association.get("Ipv6CidrBlock") and \
            association["Ipv6CidrBlockState"]["State"] == "associated":
        return str(association["Ipv6CidrBlock"])
    return None


def ipv6_subnet(vpc_block: str, slot: int) -> str:
    """The /64 number `slot` of a VPC's IPv6 block."""
    net = ipaddress.IPv6Network(vpc_block)
    return str(ipaddress.IPv6Network((int(net.network_address) + (slot << 64), 64)))


def _ipv6_slot(vpc_block: str, subnet_block: str) -> int | None:
    net, sub = ipaddress.IPv6Network(vpc_block), ipaddress.IPv6Network(subnet_block)
    if sub.prefixlen != 64 or not sub.subnet_of(net):
        return None
    return (int(sub.network_address) - int(net.network_address)) >> 64


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

    def _wait_ipv6(self, ec2: Any, vpc_id: str, answered: dict[str, Any] | None = None) -> str:
        """The VPC's IPv6 /56 once the cloud has assigned it: from the create's answer
        (`answered`) when that names it associated already, else as the cloud describes it."""
        block = _associated_ipv6(answered) if answered is not None else None
        if block:
            return block
        for _ in range(IPV6_WAIT_SECONDS):
            block = _associated_ipv6(ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0])
            if block:
                return block
            time.sleep(1)
        raise GovcloudError(f"VPC {vpc_id}: no IPv6 block after {IPV6_WAIT_SECONDS}s", rule="GC-CLOUD")

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ec2 = self.client("ec2", props["region"])
        tags = conventions.wanted_tags(self.rtype, props)
        created = ec2.create_vpc(
            CidrBlock=props["cidr"], AmazonProvidedIpv6CidrBlock=bool(props["ipv6"]),
            TagSpecifications=conventions.tag_specifications("vpc", tags),
        )
        vpc = created["Vpc"]
        vpc_id = str(vpc["VpcId"])
        if retried(created):
            # CreateVpc takes no client token: an attempt whose answer was lost made a twin
            # (same key tag, still empty: nothing knows its id).
            for twin in ec2.describe_vpcs(Filters=conventions.key_filter(self.rtype, props))["Vpcs"]:
                if twin["VpcId"] != vpc_id:
                    delete_if_there(ec2.delete_vpc, VpcId=twin["VpcId"])
        ipv6_cidr = self._wait_ipv6(ec2, vpc_id, vpc) if props["ipv6"] else ""
        return vpc_id, {"vpc_id": vpc_id, "ipv6_cidr": ipv6_cidr,
                        "arn": self._arn(props["region"], vpc["OwnerId"], vpc_id)}

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        ec2 = self.client("ec2", props["region"])
        vpcs = ec2.describe_vpcs(VpcIds=[id_])["Vpcs"]
        if not vpcs:
            return None
        vpc = vpcs[0]
        name, tags = conventions.name_and_tags(vpc.get("Tags"))
        association = _vpc_ipv6(vpc)
        return {
            "name": name, "cidr": vpc["CidrBlock"], "region": props["region"], "tags": tags,
            "ipv6": association is not None,
            "ipv6_cidr": str(association.get("Ipv6CidrBlock", "")) if association else "",
            "vpc_id": id_, "arn": self._arn(props["region"], vpc["OwnerId"], id_),
        }

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        ec2 = self.client("ec2", news["region"])
        conventions.retag(ec2, id_, olds, news)
        # Decided on what the cloud holds, not on olds: a re-run after a crash converges.
        association = _vpc_ipv6(ec2.describe_vpcs(VpcIds=[id_])["Vpcs"][0])
        if news["ipv6"] and association is None:
            ec2.associate_vpc_cidr_block(VpcId=id_, AmazonProvidedIpv6CidrBlock=True)
        elif not news["ipv6"] and association is not None:
            # The cloud keeps a VPC's /56 while any subnet holds a /64 of it.
            for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [id_]}])["Subnets"]:
                _release_ipv6(ec2, subnet)
            ec2.disassociate_vpc_cidr_block(AssociationId=association["AssociationId"])
            return {"ipv6_cidr": ""}
        return {"ipv6_cidr": self._wait_ipv6(ec2, id_) if news["ipv6"] else ""}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client("ec2", props["region"]).delete_vpc(VpcId=id_)


def _release_ipv6(ec2: Any, subnet: dict[str, Any]) -> None:
    """Take a subnet's IPv6 /64 away (address assignment first: it needs the block)."""
    if subnet.get("AssignIpv6AddressOnCreation"):
        ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], AssignIpv6AddressOnCreation={"Value": False})
    for association in _live(subnet.get("Ipv6CidrBlockAssociationSet")):
        ec2.disassociate_subnet_cidr_block(AssociationId=association["AssociationId"])


def _subnet_ipv6_failures(props: dict[str, Any]) -> list[tuple[str, str]]:
    block, slot = props.get("vpc_ipv6_cidr"), props.get("ipv6_slot")
    if block is None and slot is None:
        if props["assign_ipv6_on_creation"]:
            return [("assign_ipv6_on_creation", "needs a dual-stack subnet (vpc_ipv6_cidr and ipv6_slot)")]
        return []
    if block is None or slot is None:
        return [("ipv6_slot" if slot is None else "vpc_ipv6_cidr",
                 "a dual-stack subnet needs both vpc_ipv6_cidr and ipv6_slot")]
    if block == UNKNOWN or slot == UNKNOWN:
        return []  # the VPC's block is known only once it exists (preview)
    try:
        net = ipaddress.IPv6Network(block)
    except ValueError as e:
        return [("vpc_ipv6_cidr", f"not an IPv6 CIDR: {e}")]
    if net.prefixlen > 64:
        return [("vpc_ipv6_cidr", f"must be /64 or larger, got /{net.prefixlen}")]
    if not 0 <= slot < 1 << (64 - net.prefixlen):
        return [("ipv6_slot", f"must be 0-{(1 << (64 - net.prefixlen)) - 1} in {block}, got {slot}")]
    return []


def _wanted_ipv6(props: dict[str, Any]) -> str:
    block, slot = props.get("vpc_ipv6_cidr"), props.get("ipv6_slot")
    return ipv6_subnet(block, slot) if block is not None and slot is not None else ""


class SubnetProvider(CloudProvider):
    rtype = SUBNET

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        return _cidr_failure("cidr", props["cidr"]) + _subnet_ipv6_failures(props)

    def find_existing(self, props: dict[str, Any]) -> str | None:
        ec2 = self.client("ec2", props["region"])
        found = ec2.describe_subnets(Filters=conventions.key_filter(self.rtype, props))["Subnets"]
        return str(found[0]["SubnetId"]) if found else None

    def _arn(self, region: str, owner: str, subnet_id: str) -> str:
        return arn("ec2", region, owner, f"subnet/{subnet_id}")

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ec2 = self.client("ec2", props["region"])
        zone = props.get("availability_zone") or self.remembered(
            props["region"], ("first zone",), lambda: conventions.first_zone(ec2))
        ipv6 = _wanted_ipv6(props)
        subnet = ec2.create_subnet(
            VpcId=props["vpc_id"], CidrBlock=props["cidr"], AvailabilityZone=zone,
            **({"Ipv6CidrBlock": ipv6} if ipv6 else {}),
            TagSpecifications=conventions.tag_specifications(
                "subnet", conventions.wanted_tags(self.rtype, props)),
        )["Subnet"]
        subnet_id = str(subnet["SubnetId"])
        if props["assign_ipv6_on_creation"]:
            ec2.modify_subnet_attribute(SubnetId=subnet_id, AssignIpv6AddressOnCreation={"Value": True})
        return subnet_id, {
            "subnet_id": subnet_id, "availability_zone": zone, "ipv6_cidr": ipv6,
            "arn": self._arn(props["region"], subnet["OwnerId"], subnet_id),
        }

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        ec2 = self.client("ec2", props["region"])
        found = ec2.describe_subnets(SubnetIds=[id_])["Subnets"]
        if not found:
            return None
        subnet = found[0]
        name, tags = conventions.name_and_tags(subnet.get("Tags"))
        result = {
            "name": name, "vpc_id": subnet["VpcId"], "cidr": subnet["CidrBlock"],
            "availability_zone": subnet["AvailabilityZone"], "region": props["region"],
            "tags": tags, "subnet_id": id_, "ipv6_cidr": "",
            "assign_ipv6_on_creation": bool(subnet.get("AssignIpv6AddressOnCreation")),
            "arn": self._arn(props["region"], subnet["OwnerId"], id_),
        }
        live = _live(subnet.get("Ipv6CidrBlockAssociationSet"))
        if live:
            # The slot is where the /64 sits in the VPC's current /56: a moved /56 is drift.
            result["ipv6_cidr"] = block = str(live[0]["Ipv6CidrBlock"])
            vpc = _vpc_ipv6(ec2.describe_vpcs(VpcIds=[subnet["VpcId"]])["Vpcs"][0])
            vpc_block = str(vpc["Ipv6CidrBlock"]) if vpc else str(ipaddress.IPv6Network(block).supernet(8))
            result["vpc_ipv6_cidr"] = vpc_block
            slot = _ipv6_slot(vpc_block, block)
            if slot is not None:
                result["ipv6_slot"] = slot
        return result

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        ec2 = self.client("ec2", news["region"])
        conventions.retag(ec2, id_, olds, news)
        subnet = ec2.describe_subnets(SubnetIds=[id_])["Subnets"][0]
        wanted = _wanted_ipv6(news)
        held = [str(a["Ipv6CidrBlock"]) for a in _live(subnet.get("Ipv6CidrBlockAssociationSet"))]
        assigning = bool(subnet.get("AssignIpv6AddressOnCreation"))
        if held != ([wanted] if wanted else []):
            _release_ipv6(ec2, subnet)
            assigning = False
            if wanted:
                ec2.associate_subnet_cidr_block(SubnetId=id_, Ipv6CidrBlock=wanted)
        if assigning != news["assign_ipv6_on_creation"]:
            ec2.modify_subnet_attribute(
                SubnetId=id_, AssignIpv6AddressOnCreation={"Value": news["assign_ipv6_on_creation"]})
        return {"ipv6_cidr": wanted}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client("ec2", props["region"]).delete_subnet(SubnetId=id_)


def _permission(rule: dict[str, Any]) -> dict[str, Any]:
    ranges = ({"Ipv6Ranges": [{"CidrIpv6": rule["cidr"]}]} if ":" in str(rule["cidr"])
              else {"IpRanges": [{"CidrIp": rule["cidr"]}]})
    return {
        "IpProtocol": str(rule["protocol"]),
        "FromPort": int(rule.get("from_port", -1)),
        "ToPort": int(rule.get("to_port", -1)),
        **ranges,
    }


def _rules(permissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ingress rules in the input shape, one per CIDR (IPv4 or IPv6), sorted for a stable comparison."""
    rules = [
        {"protocol": p["IpProtocol"], "from_port": p.get("FromPort", -1),
         "to_port": p.get("ToPort", -1), "cidr": cidr}
        for p in permissions
        for cidr in [*(r["CidrIp"] for r in p.get("IpRanges", [])),
                     *(r["CidrIpv6"] for r in p.get("Ipv6Ranges", []))]
    ]
    return sorted(rules, key=lambda r: (r["protocol"], r["from_port"], r["to_port"], r["cidr"]))


class SecurityGroupProvider(CloudProvider):
    rtype = SECURITY_GROUP

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        failures: list[tuple[str, str]] = []
        for i, rule in enumerate(props["ingress"]):
            if not isinstance(rule, dict) or not {"protocol", "cidr"} <= rule.keys():
                failures.append(("ingress", f"rule {i} needs protocol and cidr: {rule!r}"))
            elif ":" in str(rule["cidr"]):
                try:
                    ipaddress.IPv6Network(rule["cidr"])
                except ValueError as e:
                    failures.append(("ingress", f"not an IPv6 CIDR: {e}"))
            else:
                failures += _cidr_failure("ingress", rule["cidr"])
        return failures

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "ingress": _rules([_permission(r) for r in props["ingress"]])}

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
        self._authorize(ec2, group_id, props["ingress"])
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
        self._authorize(ec2, id_, added)
        return {}

    def _authorize(self, ec2: Any, group_id: str, rules: list[dict[str, Any]]) -> None:
        if not rules:
            return
        try:
            ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[_permission(r) for r in rules])
        except ClientError as e:
            # A retried call whose first attempt landed: the group holds every rule already.
            if not (is_already_there(e) and retried(e.response)):
                raise
            held = _rules(ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["IpPermissions"])
            if any(rule not in held for rule in _rules([_permission(r) for r in rules])):
                raise

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client("ec2", props["region"]).delete_security_group(GroupId=id_)


class Vpc(CloudResource, module="govcloud/network", name="Vpc"):
    rtype = VPC
    provider_class = VpcProvider
    vpc_id: Output[str]
    arn: Output[str]
    ipv6_cidr: Output[str]


class Subnet(CloudResource, module="govcloud/network", name="Subnet"):
    rtype = SUBNET
    provider_class = SubnetProvider
    subnet_id: Output[str]
    arn: Output[str]
    availability_zone: Output[str]
    ipv6_cidr: Output[str]


class SecurityGroup(CloudResource, module="govcloud/network", name="SecurityGroup"):
    rtype = SECURITY_GROUP
    provider_class = SecurityGroupProvider
    group_id: Output[str]
    arn: Output[str]
