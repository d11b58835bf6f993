"""Load-balancing providers: application load balancer, target group, listener, host rule."""
from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError
from pulumi import Output

from govcloud.cloud import tags as tagging
from govcloud.cloud.provider import CloudProvider, CloudResource, delete_if_there, is_gone, retried
from govcloud.cloud.types import LISTENER, LISTENER_RULE, LOAD_BALANCER, TARGET_GROUP
from govcloud.errors import GovcloudError

_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")
_WAIT = {"Delay": 2, "MaxAttempts": 150}
_NOT_FOUND = {"Type": "fixed-response", "FixedResponseConfig": {
    "StatusCode": "404", "ContentType": "text/plain", "MessageBody": "unknown site"}}
_UNAVAILABLE = {"Type": "fixed-response", "FixedResponseConfig": {
    "StatusCode": "503", "ContentType": "text/plain", "MessageBody": "site not yet available"}}


class _Elbv2Provider(CloudProvider):
    """Tags and adoption are the same for every ELBv2 resource: by ARN."""

    def elb(self, props: dict[str, Any]) -> Any:
        return self.client("elbv2", props["region"])

    def tags_of(self, elb: Any, resource_arn: str) -> dict[str, str]:
        found = elb.describe_tags(ResourceArns=[resource_arn])["TagDescriptions"]
        return tagging.from_aws(found[0]["Tags"]) if found else {}

    def retag(self, elb: Any, resource_arn: str, olds: dict[str, Any], news: dict[str, Any]) -> None:
        to_set, to_remove = tagging.changes(olds.get("tags", {}), news["tags"])
        if to_set:
            elb.add_tags(ResourceArns=[resource_arn], Tags=tagging.to_aws(to_set))
        if to_remove:
            elb.remove_tags(ResourceArns=[resource_arn], TagKeys=to_remove)

    def twins(self, elb: Any, arns: list[str], made: str, props: dict[str, Any]) -> list[str]:
        """Of `arns` (the same name or port as `made`), the others this stack's create tagged."""
        return [arn for arn in arns if arn != made and tagging.is_ours(self.tags_of(elb, arn), props["tags"])]

    def adoptable(self, elb: Any, resource_arn: str, props: dict[str, Any], what: str) -> str:
        if not tagging.is_ours(self.tags_of(elb, resource_arn), props["tags"]):
            raise GovcloudError(f"{what} already exists and is not managed by this stack",
                                rule="GC-CLOUD", exit_code=1)
        return resource_arn


class LoadBalancerProvider(_Elbv2Provider):
    rtype = LOAD_BALANCER

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        failures: list[tuple[str, str]] = []
        if not _NAME.match(props["name"]) or props["name"].startswith("internal-"):
            failures.append(("name", f"1-32 of A-Z a-z 0-9 -, got {props['name']!r}"))
        if len(props["subnet_ids"]) < 2:
            failures.append(("subnet_ids", "an application load balancer needs subnets in two zones"))
        return failures

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "subnet_ids": sorted(props["subnet_ids"]),
                "security_group_ids": sorted(props["security_group_ids"])}

    def find_existing(self, props: dict[str, Any]) -> str | None:
        elb = self.elb(props)
        try:
            found = elb.describe_load_balancers(Names=[props["name"]])["LoadBalancers"]
        except ClientError as e:
            if is_gone(e):
                return None
            raise
        return self.adoptable(elb, found[0]["LoadBalancerArn"], props, f"load balancer '{props['name']}'")

    def _computed(self, lb: dict[str, Any]) -> dict[str, Any]:
        return {"arn": lb["LoadBalancerArn"], "dns_name": lb["DNSName"],
                "canonical_hosted_zone_id": lb["CanonicalHostedZoneId"]}

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        args: dict[str, Any] = {
            "Name": props["name"], "Subnets": props["subnet_ids"], "Type": "application",
            "Scheme": "internal" if props["internal"] else "internet-facing",
            "IpAddressType": props["ip_address_type"], "Tags": tagging.to_aws(props["tags"]),
        }
        if props["security_group_ids"]:
            args["SecurityGroups"] = props["security_group_ids"]
        elb = self.elb(props)
        created = elb.create_load_balancer(**args)
        lb = created["LoadBalancers"][0]
        if retried(created):
            # ELBv2 answers a repeated create with the same balancer; a cloud that makes a
            # second one of the name instead (the sandbox does) has a twin to drop.
            twins = [twin["LoadBalancerArn"] for page in elb.get_paginator("describe_load_balancers").paginate()
                     for twin in page["LoadBalancers"] if twin["LoadBalancerName"] == props["name"]]
            for twin in self.twins(elb, twins, lb["LoadBalancerArn"], props):
                delete_if_there(elb.delete_load_balancer, LoadBalancerArn=twin)
        return str(lb["LoadBalancerArn"]), self._computed(lb)

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        elb = self.elb(props)
        lb = elb.describe_load_balancers(LoadBalancerArns=[id_])["LoadBalancers"][0]
        return {
            "name": lb["LoadBalancerName"], "region": props["region"],
            "subnet_ids": sorted(z["SubnetId"] for z in lb.get("AvailabilityZones", [])),
            "security_group_ids": sorted(lb.get("SecurityGroups", [])),
            "internal": lb["Scheme"] == "internal", "ip_address_type": lb["IpAddressType"],
            "tags": self.tags_of(elb, id_), **self._computed(lb),
        }

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        elb = self.elb(news)
        if sorted(olds.get("subnet_ids", [])) != news["subnet_ids"]:
            elb.set_subnets(LoadBalancerArn=id_, Subnets=news["subnet_ids"])
        if sorted(olds.get("security_group_ids", [])) != news["security_group_ids"]:
            elb.set_security_groups(LoadBalancerArn=id_, SecurityGroups=news["security_group_ids"])
        if olds.get("ip_address_type") != news["ip_address_type"]:
            elb.set_ip_address_type(LoadBalancerArn=id_, IpAddressType=news["ip_address_type"])
        self.retag(elb, id_, olds, news)
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        elb = self.elb(props)
        elb.delete_load_balancer(LoadBalancerArn=id_)
        # Deletion is asynchronous; its subnets and groups stay busy until it is done.
        elb.get_waiter("load_balancers_deleted").wait(LoadBalancerArns=[id_], WaiterConfig=_WAIT)


class TargetGroupProvider(_Elbv2Provider):
    rtype = TARGET_GROUP

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        if not _NAME.match(props["name"]):
            return [("name", f"1-32 of A-Z a-z 0-9 -, got {props['name']!r}")]
        return []

    def find_existing(self, props: dict[str, Any]) -> str | None:
        elb = self.elb(props)
        try:
            found = elb.describe_target_groups(Names=[props["name"]])["TargetGroups"]
        except ClientError as e:
            if is_gone(e):
                return None
            raise
        return self.adoptable(elb, found[0]["TargetGroupArn"], props, f"target group '{props['name']}'")

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        group = self.elb(props).create_target_group(
            Name=props["name"], Protocol=props["protocol"], Port=props["port"], VpcId=props["vpc_id"],
            HealthCheckPath=props["health_check_path"], TargetType="instance",
            Tags=tagging.to_aws(props["tags"]))["TargetGroups"][0]
        return str(group["TargetGroupArn"]), {"arn": group["TargetGroupArn"]}

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        elb = self.elb(props)
        group = elb.describe_target_groups(TargetGroupArns=[id_])["TargetGroups"][0]
        return {
            "name": group["TargetGroupName"], "vpc_id": group["VpcId"], "port": group["Port"],
            "protocol": group["Protocol"], "health_check_path": group.get("HealthCheckPath", "/"),
            "region": props["region"], "tags": self.tags_of(elb, id_), "arn": id_,
        }

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        elb = self.elb(news)
        if olds.get("health_check_path") != news["health_check_path"]:
            elb.modify_target_group(TargetGroupArn=id_, HealthCheckPath=news["health_check_path"])
        self.retag(elb, id_, olds, news)
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        self.elb(props).delete_target_group(TargetGroupArn=id_)


class ListenerProvider(_Elbv2Provider):
    rtype = LISTENER

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        if props["protocol"] == "HTTPS" and not props.get("certificate_arn"):
            return [("certificate_arn", "an HTTPS listener needs a certificate")]
        if not 1 <= props["port"] <= 65535:
            return [("port", "must be 1..65535")]
        return []

    def find_existing(self, props: dict[str, Any]) -> str | None:
        elb = self.elb(props)
        listeners = elb.describe_listeners(LoadBalancerArn=props["load_balancer_arn"])["Listeners"]
        for listener in listeners:
            if listener["Port"] == props["port"]:
                return self.adoptable(elb, listener["ListenerArn"], props, f"listener on port {props['port']}")
        return None

    def _args(self, props: dict[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = {"Port": props["port"], "Protocol": props["protocol"]}
        if props.get("certificate_arn"):
            args["Certificates"] = [{"CertificateArn": props["certificate_arn"]}]
        return args

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        elb = self.elb(props)
        created = elb.create_listener(
            LoadBalancerArn=props["load_balancer_arn"], DefaultActions=[_NOT_FOUND],
            Tags=tagging.to_aws(props["tags"]), **self._args(props))
        listener = created["Listeners"][0]
        if retried(created):
            # As for a balancer: a twin on the same port where the cloud made a second listener.
            twins = [twin["ListenerArn"] for twin in elb.describe_listeners(
                LoadBalancerArn=props["load_balancer_arn"])["Listeners"] if twin["Port"] == props["port"]]
            for twin in self.twins(elb, twins, listener["ListenerArn"], props):
                delete_if_there(elb.delete_listener, ListenerArn=twin)
        return str(listener["ListenerArn"]), {"arn": listener["ListenerArn"]}

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        elb = self.elb(props)
        listener = elb.describe_listeners(ListenerArns=[id_])["Listeners"][0]
        certificates = listener.get("Certificates") or []
        found = {
            "load_balancer_arn": listener["LoadBalancerArn"], "port": listener["Port"],
            "protocol": listener["Protocol"], "region": props["region"],
            "tags": self.tags_of(elb, id_), "arn": id_,
        }
        if certificates:
            found["certificate_arn"] = certificates[0]["CertificateArn"]
        return found

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        elb = self.elb(news)
        keys = ("port", "protocol", "certificate_arn")
        if any(olds.get(k) != news.get(k) for k in keys):
            elb.modify_listener(ListenerArn=id_, **self._args(news))
        self.retag(elb, id_, olds, news)
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        self.elb(props).delete_listener(ListenerArn=id_)


def _rule_action(props: dict[str, Any]) -> dict[str, Any]:
    if props.get("target_group_arn"):
        return {"Type": "forward", "TargetGroupArn": props["target_group_arn"]}
    return _UNAVAILABLE


class ListenerRuleProvider(_Elbv2Provider):
    rtype = LISTENER_RULE

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        failures: list[tuple[str, str]] = []
        if not 1 <= props["priority"] <= 50000:
            failures.append(("priority", "must be 1..50000"))
        if not props["hosts"] or len(props["hosts"]) > 5:
            failures.append(("hosts", "one to five host names"))
        return failures

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "hosts": sorted(h.lower() for h in props["hosts"])}

    def find_existing(self, props: dict[str, Any]) -> str | None:
        elb = self.elb(props)
        for rule in elb.describe_rules(ListenerArn=props["listener_arn"])["Rules"]:
            if rule["Priority"] == str(props["priority"]):
                return self.adoptable(elb, rule["RuleArn"], props, f"rule with priority {props['priority']}")
        return None

    def _conditions(self, props: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"Field": "host-header", "HostHeaderConfig": {"Values": props["hosts"]}}]

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        rule = self.elb(props).create_rule(
            ListenerArn=props["listener_arn"], Priority=props["priority"],
            Conditions=self._conditions(props), Actions=[_rule_action(props)],
            Tags=tagging.to_aws(props["tags"]))["Rules"][0]
        return str(rule["RuleArn"]), {"arn": rule["RuleArn"]}

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        elb = self.elb(props)
        rule = elb.describe_rules(RuleArns=[id_])["Rules"][0]
        hosts: list[str] = []
        for condition in rule.get("Conditions", []):
            if condition["Field"] == "host-header":
                hosts += condition.get("HostHeaderConfig", {}).get("Values") or condition.get("Values", [])
        forward = [a for a in rule.get("Actions", []) if a["Type"] == "forward"]
        found = {
            "listener_arn": props["listener_arn"], "priority": int(rule["Priority"]),
            "hosts": sorted(hosts), "region": props["region"], "tags": self.tags_of(elb, id_), "arn": id_,
        }
        if forward:
            found["target_group_arn"] = forward[0]["TargetGroupArn"]
        return found

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        elb = self.elb(news)
        if olds.get("priority") != news["priority"]:
            elb.set_rule_priorities(RulePriorities=[{"RuleArn": id_, "Priority": news["priority"]}])
        if olds.get("hosts") != news["hosts"] or olds.get("target_group_arn") != news.get("target_group_arn"):
            elb.modify_rule(RuleArn=id_, Conditions=self._conditions(news), Actions=[_rule_action(news)])
        self.retag(elb, id_, olds, news)
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        self.elb(props).delete_rule(RuleArn=id_)


class LoadBalancer(CloudResource, module="govcloud/loadbalancing", name="LoadBalancer"):
    rtype = LOAD_BALANCER
    provider_class = LoadBalancerProvider
    arn: Output[str]
    dns_name: Output[str]
    canonical_hosted_zone_id: Output[str]


class TargetGroup(CloudResource, module="govcloud/loadbalancing", name="TargetGroup"):
    rtype = TARGET_GROUP
    provider_class = TargetGroupProvider
    arn: Output[str]


class Listener(CloudResource, module="govcloud/loadbalancing", name="Listener"):
    rtype = LISTENER
    provider_class = ListenerProvider
    arn: Output[str]


class ListenerRule(CloudResource, module="govcloud/loadbalancing", name="ListenerRule"):
    rtype = LISTENER_RULE
    provider_class = ListenerRuleProvider
    arn: Output[str]
