"""A department: its IAM role scoped to its own resources, its key, and its OA and site tenants."""
from __future__ import annotations

import dataclasses

from govcloud.errors import GovcloudError
from govcloud.graph import addressing, iam, pools, tokens
from govcloud.graph import city as platform
from govcloud.graph.context import Builder
from govcloud.graph.desired import Component, Ref
from govcloud.model import Department, System


def role_node(code: str) -> str:
    return f"{code}/role"


def policy_node(code: str) -> str:
    return f"{code}/policy"


def key_node(code: str) -> str:
    return f"{code}/key"


def network_node(code: str, network: str) -> str:
    """The department's VPC in `network` (extranet, intranet or its own dedicated line)."""
    return f"{code}/{network}"


def dual_stack(department: Department) -> bool:
    """A department whose site is on IPv6 gets dual-stack VPCs and subnets."""
    return department.site is not None and department.site.ipv6


def network_cidr(b: Builder, department: Department, network: str) -> str:
    if network == "dedicated":
        return addressing.vpc_block(b.target.dedicated_cidr)
    return addressing.department_zone(b.city.networks[network], b.department_slots[department.code])


def build_department(b: Builder, department: Department) -> str:
    code = department.code
    c = b.component(Component(code, "Department", department=code))
    identity = b.tenant(department, "identity", on_platform=False)
    key = own_key(b, department)
    if key is not None:
        b.add(key, tokens.KEY, c, b.tenant(department, "keys", on_platform=False), {
            "alias": b.names.alias(key), "description": f"{department.name} data at rest",
            **_log_groups(b, department, outside_pool(b, department)),
        })
    policy = b.add(policy_node(code), tokens.POLICY, c, identity, {
        "name": b.names.policy(*b.names.own(code, "tenant")),
        "document": iam.tenant_policy(b, department, key, platform.KEY),
        # IAM descriptions are Latin-1 only: the department's Chinese name stays in KMS and tags.
        "description": f"department {code}: only its own buckets, mailbox, audit logs, key and machines",
    })
    b.add(role_node(code), tokens.ROLE, c, identity, {
        "name": b.names.role(code),
        "assume_role_policy": iam.assume_role(iam.EC2_PRINCIPAL),
        "description": f"workloads of department {code}",
        "managed_policy_arns": [Ref(policy, "arn"), Ref(platform.GUARDRAILS, "arn")],
    })
    if b.classified and pools.intranet_systems(department):
        _classified_tenant(b, department, c)
    for network in sorted({s.network for s in department.systems}):
        # Tenants' networks are isolated from each other; a private line (专网) ends in its own.
        on_it = [s for s in department.systems if s.network == network]
        scope = dataclasses.replace(
            b.tenant(department, f"{network}-network", on_platform=False),
            mlps=max(s.mlps for s in on_it), classified=network == "intranet",
        )
        node = network_node(code, network)
        b.add(node, tokens.VPC, c, scope, {
            "name": b.names.tagged(node), "cidr": network_cidr(b, department, network),
            **({"ipv6": True} if dual_stack(department) else {}),
        }, pool=pools.CLASSIFIED if network == "intranet" and b.classified else None)
    if department.oa is not None:
        _oa_tenant(b, department, c)
    if department.site is not None:
        _site_tenant(b, department, c)
    return c


def outside_pool(b: Builder, department: Department) -> list[System]:
    """The department's systems in the datacentre's own pool (all of them without a classified pool)."""
    return [s for s in department.systems if not (b.classified and pools.in_classified_pool(s))]


def own_key(b: Builder, department: Department) -> str | None:
    """The department's key outside the classified pool, if its systems there need one: a
    department whose encrypted systems are all on the intranet has only its pool's key."""
    return iam.department_key(department.code, outside_pool(b, department))


def _log_groups(b: Builder, department: Department, systems: list[System]) -> dict[str, str]:
    """The key input that lets CloudWatch Logs use the key: its systems' audit logs are encrypted."""
    if any(s.encryption for s in systems):
        return {"log_group_prefix": iam.log_group_scope(b, department.code)}
    return {}


def classified_key(department: Department) -> str | None:
    """The department's own key in the classified pool: its intranet systems need one."""
    if any(s.encryption or s.database is not None for s in pools.intranet_systems(department)):
        return pools.department_key(department.code)
    return None


def _classified_tenant(b: Builder, department: Department, c: str) -> None:
    """The department's key and role in the classified pool, confined to its intranet systems."""
    code, pool = department.code, pools.CLASSIFIED
    # The classified pool runs no OA and no site: the role sees only the intranet systems.
    inside = dataclasses.replace(department, systems=pools.intranet_systems(department), oa=None, site=None)
    key = classified_key(department)
    if key is not None:
        b.add(key, tokens.KEY, c, b.tenant(inside, "classified-keys", on_platform=False), {
            "alias": b.names.alias(key), "description": f"{department.name} classified data at rest",
            **_log_groups(b, department, list(inside.systems)),
        }, pool=pool)
    identity = b.tenant(inside, "classified-identity", on_platform=False)
    policy = b.add(pools.department_policy(code), tokens.POLICY, c, identity, {
        "name": b.names.policy(*b.names.own(code, "classified-tenant")),
        "document": iam.tenant_policy(b, inside, key, pools.KEY, region=b.classified_primary),
        "description": f"department {code} in the classified pool: only its own intranet systems",
    }, pool=pool)
    b.add(pools.department_role(code), tokens.ROLE, c, identity, {
        "name": b.names.role(*b.names.own(code, "classified")),
        "assume_role_policy": iam.assume_role(iam.EC2_PRINCIPAL),
        "description": f"workloads of department {code} in the classified pool",
        "managed_policy_arns": [Ref(policy, "arn"), Ref(pools.GUARDRAILS, "arn")],
    }, pool=pool)


def _oa_tenant(b: Builder, department: Department, parent: str) -> None:
    assert department.oa is not None
    code, oa = department.code, department.oa
    c = b.component(Component(f"{code}/oa", "OATenant", parent=parent, department=code))
    scope = b.tenant(department, "oa", on_platform=True)
    # Official documents are kept off-site like the platform's own.
    platform.replicated_bucket(
        b, f"{c}/documents", c, scope, b.names.own(code, "oa"), key=platform.KEY, dr_key=platform.DR_KEY,
        tags={"gov:oa-seats": str(oa.seats), "gov:quota-gib": str(oa.storage_gib)},
    )
    if oa.document_exchange:
        b.add(f"{c}/mailbox", tokens.QUEUE, c, scope, {
            "name": iam.mailbox_name(b, code),
            "kms_key_id": Ref(platform.KEY, "arn"),
        })


def _site_tenant(b: Builder, department: Department, parent: str) -> None:
    assert department.site is not None
    code, site, domain = department.code, department.site, b.city.domain
    label = site.host.removesuffix(f".{domain}")
    # One label under the domain: the platform's certificate (*.<domain>) names no deeper host.
    if label == site.host or not label or "." in label:
        raise GovcloudError(
            f"site host '{site.host}' of department '{code}' is not one name directly under the city domain {domain}",
            rule="GC-SITE-001", location=department.location_of(("spec", "site", "host")),
            hint=f"use {code}.{domain}",
        )
    c = b.component(Component(f"{code}/site", "SiteTenant", parent=parent, department=code))
    scope = b.tenant(department, "site", on_platform=True)
    b.add(f"{c}/content", tokens.BUCKET, c, scope, {
        "name": b.names.bucket(*b.names.own(code, "site")), "versioning": True,
        "tags": {"gov:quota-gib": str(site.storage_gib), "gov:site-host": site.host},
    })
    # No certificate of its own: the platform's public one names every sub-site (*.<city domain>).
    b.add(f"{c}/record", tokens.RECORD, c, scope, platform.alias_record(site.host))
    if site.ipv6:
        b.add(f"{c}/record-aaaa", tokens.RECORD, c, scope, platform.alias_record(site.host, "AAAA"))
    b.add(f"{c}/rule", tokens.LISTENER_RULE, c, scope, {
        "listener_arn": Ref(platform.LISTENER, "arn"),
        # The department's zone slot is unique and stable, so it serves as the rule priority.
        "priority": b.department_slots[code] + 1,
        "hosts": [site.host],
        "target_group_arn": Ref(platform.TARGET_GROUP, "arn"),
    })
