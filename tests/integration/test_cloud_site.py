"""The site platform's pieces: hosted zone, records, city CA, certificate, load balancer."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography import x509

from govcloud.cloud.certificates import CertificateProvider, CityCAProvider
from govcloud.cloud.dns import RecordProvider, ZoneProvider
from govcloud.cloud.loadbalancing import (
    ListenerProvider,
    ListenerRuleProvider,
    LoadBalancerProvider,
    TargetGroupProvider,
)
from govcloud.cloud.network import SubnetProvider, VpcProvider
from tests.integration.cloud_harness import PRIMARY, Lifecycle, governance_tags

pytestmark = pytest.mark.integration


def test_zone_and_record_lifecycle(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str],
                                   aws: Callable[..., Any]) -> None:
    zones = lifecycle(ZoneProvider)
    props = {"name": f"{unique('city')}.gov.cn", "region": PRIMARY, "tags": governance_tags()}
    zone_id, zone = zones.create(props)
    assert zones.create(props)[0] == zone_id  # Route53 would happily make a second one
    zone = zones.update_in_place(zone_id, zone, {**props, "comment": "site platform",
                                                 "tags": {**props["tags"], "tier": "web"}})

    records = lifecycle(RecordProvider)
    rec = {"zone_id": zone_id, "name": f"gaj.{props['name']}", "type": "A", "values": ["10.96.0.10"],
           "region": PRIMARY}
    record_id, outs = records.create(rec)
    outs = records.update_in_place(record_id, outs, {**rec, "values": ["10.96.0.11"], "ttl": 60})
    aws("route53").change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {"Name": rec["name"] + ".", "Type": "A", "TTL": 60,
                                                  "ResourceRecords": [{"Value": "10.96.0.99"}]}}]})
    current = records.read(record_id, outs)
    assert current and current["values"] == ["10.96.0.99"]
    record_id, outs, _ = records.replace(record_id, current, {**rec, "name": f"www.gaj.{props['name']}"}, {"name"})
    records.delete_twice(record_id, outs)

    zone_id, zone, _ = zones.replace(zone_id, zone, {**props, "name": "x" + props["name"]}, {"name"})
    zones.delete_twice(zone_id, zone)


def test_certificate_from_the_city_ca(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str],
                                      aws: Callable[..., Any]) -> None:
    cas = lifecycle(CityCAProvider)
    ca_id, ca = cas.create({"common_name": "Foshan Government Root CA", "region": PRIMARY})
    certs = lifecycle(CertificateProvider)
    domain = f"{unique('gaj')}.foshan.gov.cn"
    props = {"domain_name": domain, "subject_alternative_names": [f"www.{domain}"], "region": PRIMARY,
             "ca_certificate_pem": ca["certificate_pem"], "ca_private_key_pem": ca["private_key_pem"],
             "tags": governance_tags()}
    arn, outs = certs.create(props)
    again = certs.provider.create(certs.checked(props))  # a re-run finds the imported certificate
    assert again.id == arn and again.outs and again.outs["serial"] == outs["serial"]
    assert arn.startswith(f"arn:aws-cn:acm:{PRIMARY}:")
    assert "PRIVATE KEY" not in repr(outs)  # neither the leaf's nor the CA's key is in state
    leaf = x509.load_pem_x509_certificate(outs["certificate_pem"].encode())
    ca_cert = x509.load_pem_x509_certificate(ca["certificate_pem"].encode())
    leaf.verify_directly_issued_by(ca_cert)
    described = aws("acm").describe_certificate(CertificateArn=arn)["Certificate"]
    assert described["DomainName"] == domain and described["Type"] == "IMPORTED"
    certs.assert_in_sync(arn, outs, props)

    outs = certs.update_in_place(arn, outs, {**props, "tags": {**props["tags"], "site": "gaj"}})
    arn2, outs2, _ = certs.replace(arn, outs, {**props, "validity_days": 90}, {"validity_days"})
    certs.delete_twice(arn2, outs2)
    # The CA lives only in state: renaming it makes a new CA, deleting it forgets it.
    diff = cas.provider.diff(ca_id, ca, cas.checked({"common_name": "Foshan Root CA 2", "region": PRIMARY}))
    assert diff.replaces == ["common_name"]
    cas.provider.delete(ca_id, ca)


def test_site_platform_load_balancer(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str],
                                     aws: Callable[..., Any]) -> None:
    vpc_id, _ = lifecycle(VpcProvider).create(
        {"name": unique("internet-zone"), "cidr": "10.96.0.0/16", "region": PRIMARY, "tags": governance_tags()})
    subnets = lifecycle(SubnetProvider)
    # An application load balancer needs subnets in two zones.
    subnet_ids = [subnets.create({"name": unique("front"), "vpc_id": vpc_id, "cidr": f"10.96.{i}.0/24",
                                  "availability_zone": f"{PRIMARY}{zone}", "region": PRIMARY,
                                  "tags": governance_tags()})[0]
                  for i, zone in ((1, "a"), (2, "b"))]
    lbs = lifecycle(LoadBalancerProvider)
    lb_props = {"name": unique("site"), "subnet_ids": subnet_ids, "region": PRIMARY, "tags": governance_tags()}
    lb_arn, lb = lbs.create(lb_props)
    assert lb_arn.startswith(f"arn:aws-cn:elasticloadbalancing:{PRIMARY}:")
    assert lbs.create(lb_props)[0] == lb_arn
    lb = lbs.update_in_place(lb_arn, lb, {**lb_props, "tags": {**lb_props["tags"], "tier": "front"}})

    groups = lifecycle(TargetGroupProvider)
    tg_props = {"name": unique("gaj-site"), "vpc_id": vpc_id, "region": PRIMARY, "tags": governance_tags()}
    tg_arn, tg = groups.create(tg_props)
    tg = groups.update_in_place(tg_arn, tg, {**tg_props, "health_check_path": "/healthz"})

    listeners = lifecycle(ListenerProvider)
    listener_props = {"load_balancer_arn": lb_arn, "port": 80, "region": PRIMARY, "tags": governance_tags()}
    listener_arn, listener = listeners.create(listener_props)
    assert listeners.create(listener_props)[0] == listener_arn
    listener = listeners.update_in_place(listener_arn, listener, {**listener_props, "port": 8080})

    rules = lifecycle(ListenerRuleProvider)
    rule_props = {"listener_arn": listener_arn, "priority": 10, "hosts": ["gaj.foshan.gov.cn"],
                  "target_group_arn": tg_arn, "region": PRIMARY, "tags": governance_tags()}
    rule_arn, rule = rules.create(rule_props)
    rule = rules.update_in_place(rule_arn, rule, {**rule_props, "priority": 20,
                                                  "hosts": ["gaj.foshan.gov.cn", "www.gaj.foshan.gov.cn"]})
    aws("elbv2").modify_rule(RuleArn=rule_arn, Conditions=[{
        "Field": "host-header", "HostHeaderConfig": {"Values": ["evil.example.com"]}}])
    current = rules.read(rule_arn, rule)
    assert current and current["hosts"] == ["evil.example.com"]

    # A second load balancer and listener to move the rule and the listener to.
    lb2_arn, lb2 = lbs.create({**lb_props, "name": unique("site2"), "internal": True})
    listener2_arn, listener2 = listeners.create({**listener_props, "port": 81})
    rule_arn, rule, first = rules.replace(rule_arn, current, {**rule_props, "listener_arn": listener2_arn},
                                          {"listener_arn"})
    assert not first
    rules.delete_twice(rule_arn, rule)
    listener_arn, listener, _ = listeners.replace(
        listener_arn, listener, {**listener_props, "port": 8080, "load_balancer_arn": lb2_arn},
        {"load_balancer_arn"})
    listeners.delete_twice(listener_arn, listener)
    listeners.delete_twice(listener2_arn, listener2)
    lbs.delete_twice(lb2_arn, lb2)
    groups.delete_twice(tg_arn, tg)
    lb_arn, lb, _ = lbs.replace(lb_arn, lb, {**lb_props, "internal": True}, {"internal"})
    lbs.delete_twice(lb_arn, lb)
