"""The city's shared platforms: networks, keys, OA, site platform, data exchange, DR copies."""
from __future__ import annotations

from typing import Any

from govcloud.graph import addressing, iam, pools, tokens
from govcloud.graph.context import Builder, Scope
from govcloud.graph.desired import Component, Ref
from govcloud.graph.names import CITY

COMPONENT = CITY
KEY = "city/key"
DR_KEY = "city/dr-key"
NETWORK_NODES = {"extranet": "city/extranet", "intranet": "city/intranet", "internetZone": "city/internet-zone"}
FRONT_END_SUBNETS = ("city/internet-zone/a", "city/internet-zone/b")
SITE_SECURITY_GROUP = "city/site/security-group"
CA = "city/ca"
SITE_CERTIFICATE = "city/site/certificate"
LOAD_BALANCER = "city/site/load-balancer"
TARGET_GROUP = "city/site/target-group"
LISTENER = "city/site/https"
ZONE = "city/site/zone"
PORTAL_RECORD = "city/site/www"
PORTAL_RECORD_AAAA = "city/site/www-aaaa"
OA_DOCUMENTS = "city/oa/documents"
DOCUMENT_EXCHANGE = "city/oa/document-exchange"
DATA_EXCHANGE = "city/data-exchange"
REPLICATION_ROLE = "city/replication-role"

GUARDRAILS = "city/guardrails"
HTTPS = 443


def replica(name: str) -> str:
    return f"{name}/dr"


def replicated_bucket(
    b: Builder, name: str, component: str, scope: Scope, parts: tuple[str, ...],
    *, key: str | None, dr_key: str | None, tags: dict[str, str] | None = None,
) -> str:
    """A versioned bucket in the primary region, replicated to its copy in the DR region."""
    extra = {"tags": tags} if tags else {}
    dr_inputs: dict[str, Any] = {"name": b.names.replica_bucket(*parts), "versioning": True, **extra}
    if dr_key:
        dr_inputs["kms_key_arn"] = Ref(dr_key, "arn")
    copy = b.add(replica(name), tokens.BUCKET, component, scope, dr_inputs, region=b.dr)
    inputs: dict[str, Any] = {
        "name": b.names.bucket(*parts), "versioning": True,
        "replication": {"role_arn": Ref(REPLICATION_ROLE, "arn"),
                        "destination_bucket_arn": Ref(copy, "arn")},
        **extra,
    }
    if key:
        inputs["kms_key_arn"] = Ref(key, "arn")
    return b.add(name, tokens.BUCKET, component, scope, inputs)


def build_city(b: Builder) -> None:
    city = b.city
    c = b.component(Component(COMPONENT, "City"))
    keys = b.platform("keys")
    b.add(KEY, tokens.KEY, c, keys, {"alias": b.names.alias(KEY),
                                     "description": f"{city.title} platform data"})
    b.add(DR_KEY, tokens.KEY, c, keys, {"alias": b.names.alias(DR_KEY),
                                        "description": f"{city.title} off-site copies"}, region=b.dr)

    # The extranet's and intranet's shared zones (公用网络区); departments get zones of their own.
    for network, node in NETWORK_NODES.items():
        scope = b.platform("network", classified=network == "intranet")
        cidr = city.networks[network]
        vpc = addressing.vpc_block(cidr) if network == "internetZone" else addressing.shared_zone(cidr)
        ipv6 = {"ipv6": True} if network == "internetZone" and internet_dual_stack(b) else {}
        b.add(node, tokens.VPC, c, scope, {"name": b.names.tagged(node), "cidr": vpc, **ipv6},
              pool=pools.CLASSIFIED if network == "intranet" and b.classified else None)
    _site_platform(b, c)

    # Tenant roles may never change what the data-centre team runs (graph/iam.py).
    b.add(GUARDRAILS, tokens.POLICY, c, b.platform("identity"), {
        "name": b.names.policy(CITY, "guardrails"), "document": iam.guardrail_policy(),
        "description": "denies tenants the platform and the controls the policies require",
    })
    b.add(REPLICATION_ROLE, tokens.ROLE, c, b.platform("dr"), {
        "name": b.names.role(CITY, "replication"),
        "assume_role_policy": iam.assume_role(iam.S3_PRINCIPAL),
        "description": "copies buckets to the off-site disaster-recovery centre",
        "inline_policies": {"replicate": iam.replication_policy(b)},
    })
    if b.classified:
        _classified_platform(b, c)
    replicated_bucket(b, OA_DOCUMENTS, c, b.platform("oa"), (CITY, "oa-documents"),
                      key=KEY, dr_key=DR_KEY)
    b.add(DOCUMENT_EXCHANGE, tokens.QUEUE, c, b.platform("oa"), {
        "name": b.names.queue(CITY, "document-exchange"), "kms_key_id": Ref(KEY, "arn"),
    })
    replicated_bucket(b, DATA_EXCHANGE, c, b.platform("data-exchange"), (CITY, "data-exchange"),
                      key=KEY, dr_key=DR_KEY)


def _classified_platform(b: Builder, c: str) -> None:
    """The classified pool's own keys, guardrails and DR role: none of the extranet's reach it."""
    pool = pools.CLASSIFIED
    keys = b.platform("keys", classified=True)
    b.add(pools.KEY, tokens.KEY, c, keys, {
        "alias": b.names.alias(pools.KEY), "description": f"{b.city.title} classified pool data",
    }, pool=pool)
    b.add(pools.DR_KEY, tokens.KEY, c, keys, {
        "alias": b.names.alias(pools.DR_KEY), "description": f"{b.city.title} classified pool off-site copies",
    }, region=b.classified_dr, pool=pool)
    b.add(pools.GUARDRAILS, tokens.POLICY, c, b.platform("identity", classified=True), {
        "name": b.names.policy(CITY, "classified-guardrails"), "document": iam.guardrail_policy(),
        "description": "denies tenants of the classified pool the platform and the required controls",
    }, pool=pool)
    b.add(pools.REPLICATION_ROLE, tokens.ROLE, c, b.platform("dr", classified=True), {
        "name": b.names.role(CITY, "classified-replication"),
        "assume_role_policy": iam.assume_role(iam.S3_PRINCIPAL),
        "description": "copies the classified pool's buckets to its own disaster-recovery site",
        "inline_policies": {"replicate": iam.replication_policy(b, pool)},
    }, pool=pool)


def _site_platform(b: Builder, c: str) -> None:
    city = b.city
    network = b.platform("network")
    site = b.platform("site")
    zone_cidr = addressing.vpc_block(city.networks["internetZone"])
    dual = internet_dual_stack(b)
    for node, cidr, slot, az in zip(FRONT_END_SUBNETS, addressing.front_end_subnets(zone_cidr),
                                    addressing.front_end_ipv6_slots(), "ab", strict=True):
        # The load balancer takes its own addresses: its subnets assign none on launch.
        ipv6: dict[str, Any] = {"vpc_ipv6_cidr": Ref(NETWORK_NODES["internetZone"], "ipv6_cidr"),
                                "ipv6_slot": slot} if dual else {}
        b.add(node, tokens.SUBNET, c, network, {
            "name": b.names.tagged(node), "vpc_id": Ref(NETWORK_NODES["internetZone"], "vpc_id"),
            "cidr": cidr, "availability_zone": f"{b.primary}{az}", **ipv6,
        })
    # The internet zone is the only place the Internet reaches, and only on HTTPS.
    b.add(SITE_SECURITY_GROUP, tokens.SECURITY_GROUP, c, site, {
        "name": b.names.tagged(SITE_SECURITY_GROUP), "vpc_id": Ref(NETWORK_NODES["internetZone"], "vpc_id"),
        "description": "site platform front end: HTTPS from the Internet",
        "ingress": [{"protocol": "tcp", "from_port": HTTPS, "to_port": HTTPS, "cidr": "0.0.0.0/0"},
                    # IPv6 clients of a dual-stack front end are let in on HTTPS alike.
                    *([{"protocol": "tcp", "from_port": HTTPS, "to_port": HTTPS, "cidr": "::/0"}] if dual else [])],
    })
    # The 政务 CA issues identity and signing certificates for officials and systems; browsers
    # do not trust it, so the public sites' HTTPS certificates come from the public CA.
    b.add(CA, tokens.CITY_CA, c, b.platform("ca"), {
        "common_name": f"{city.title}政务CA", "organization": city.title,
    })
    # One certificate for the portal and every sub-site (<code>.<domain>): an ALB listener holds
    # at most 25 certificates by default, and a city has more sites than that.
    b.add(SITE_CERTIFICATE, tokens.PUBLIC_CERTIFICATE, c, site, {
        "domain_name": f"www.{city.domain}", "subject_alternative_names": [city.domain, f"*.{city.domain}"],
        "validation_zone_id": Ref(ZONE, "zone_id"),
    })
    b.add(LOAD_BALANCER, tokens.LOAD_BALANCER, c, site, {
        "name": b.names.elb(CITY, "site"), "subnet_ids": [Ref(n, "subnet_id") for n in FRONT_END_SUBNETS],
        "security_group_ids": [Ref(SITE_SECURITY_GROUP, "group_id")], "internal": False,
        "ip_address_type": "dualstack" if dual else "ipv4",
    })
    b.add(TARGET_GROUP, tokens.TARGET_GROUP, c, site, {
        "name": b.names.elb(CITY, "sites"), "vpc_id": Ref(NETWORK_NODES["internetZone"], "vpc_id"),
        "port": 80, "protocol": "HTTP", "health_check_path": "/",
    })
    b.add(LISTENER, tokens.LISTENER, c, site, {
        "load_balancer_arn": Ref(LOAD_BALANCER, "arn"), "port": HTTPS, "protocol": "HTTPS",
        "certificate_arn": Ref(SITE_CERTIFICATE, "arn"),
    })
    b.add(ZONE, tokens.ZONE, c, site, {"name": city.domain, "comment": f"{city.title} government sites"})
    b.add(PORTAL_RECORD, tokens.RECORD, c, site, alias_record(f"www.{city.domain}"))
    if dual:
        b.add(PORTAL_RECORD_AAAA, tokens.RECORD, c, site, alias_record(f"www.{city.domain}", "AAAA"))


def internet_dual_stack(b: Builder) -> bool:
    """The internet zone (and the portal) is dual-stack when any department's site is on IPv6."""
    return any(d.site is not None and d.site.ipv6 for d in b.project.departments)


def alias_record(host: str, type_: str = "A") -> dict[str, Any]:
    """An A (or AAAA) record for `host` in the city zone, aliased to the site platform's load balancer."""
    return {
        "zone_id": Ref(ZONE, "zone_id"), "name": host, "type": type_,
        "alias": {"dns_name": Ref(LOAD_BALANCER, "dns_name"),
                  "zone_id": Ref(LOAD_BALANCER, "canonical_hosted_zone_id")},
    }
