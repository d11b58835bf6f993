"""A department's business system: subnet, security group, instances, volumes, database,
bucket with its off-site copy, and audit log group."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govcloud.errors import GovcloudError
from govcloud.graph import addressing, iam, pools, tokens
from govcloud.graph import city as platform
from govcloud.graph import department as tenancy
from govcloud.graph.context import Builder, Scope
from govcloud.graph.desired import Component, Ref
from govcloud.model import Department, System
from govcloud.schema import cloudnames

HTTPS = 443
# Listening ports of the approved database engines; others are PostgreSQL-compatible.
DATABASE_PORTS = {"dm8": 5236, "kingbase-v8": 54321, "gbase-8s": 9088}
DEFAULT_DATABASE_PORT = 5432
# A blueprint sizes a database by storage only; every database node gets this machine.
DATABASE_INSTANCE_TYPE = "r5.2xlarge"
# The only retention periods CloudWatch Logs accepts; a request is rounded up.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                      2192, 2557, 2922, 3288, 3653)
_SIZES = ((2, "large"), (4, "xlarge"), (8, "2xlarge"), (16, "4xlarge"), (32, "8xlarge"),
          (48, "12xlarge"), (64, "16xlarge"), (96, "24xlarge"))


def instance_type(vcpu: int, memory_gib: int) -> str:
    """The smallest standard machine with at least the requested vCPUs, in the family of its memory ratio."""
    ratio = memory_gib / max(vcpu, 1)
    family = "c5" if ratio <= 2 else "m5" if ratio <= 4 else "r5"
    size = next((name for cpus, name in _SIZES if cpus >= vcpu), _SIZES[-1][1])
    return f"{family}.{size}"


def log_retention(days: int) -> int:
    return next((d for d in LOG_RETENTION_DAYS if d >= days), LOG_RETENTION_DAYS[-1])


def system_component(code: str, system: str) -> str:
    return f"{code}/systems/{system}"


def _refuse_unsafe(department: Department, system: System) -> None:
    """Never build what secrecy rules forbid, even if policy checks were skipped."""
    where = department.location_of(system.path)
    if system.classified and system.network != "intranet":
        raise GovcloudError(
            f"classified system '{system.name}' is on the {system.network}, not the intranet",
            rule="GC-NET-002", location=where,
        )
    if system.public_endpoint and (system.classified or system.network == "intranet"):
        raise GovcloudError(
            f"system '{system.name}' on the intranet or classified has a public endpoint",
            rule="GC-NET-003", location=where,
        )


def _encryption(system: System, key: str) -> dict[str, Any]:
    return {"kms_key_arn": Ref(key, "arn")} if system.encryption else {}


def _ingress(b: Builder, system: System, zone: str, subnet: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        # Only the department's own zone reaches a system; others go through data sharing.
        {"protocol": "tcp", "from_port": HTTPS, "to_port": HTTPS, "cidr": zone},
    ]
    if system.database is not None:
        port = DATABASE_PORTS.get(system.database.engine, DEFAULT_DATABASE_PORT)
        rules.append({"protocol": "tcp", "from_port": port, "to_port": port, "cidr": subnet})
    if system.public_endpoint:
        # The Internet arrives only through the site platform's front end.
        cidr = b.city.networks["internetZone"]
        rules.append({"protocol": "tcp", "from_port": HTTPS, "to_port": HTTPS, "cidr": cidr})
    return sorted(rules, key=lambda r: (r["from_port"], r["cidr"]))


@dataclass(frozen=True)
class Home:
    """Where a system's resources live: its pool (None: the extranet's) and that pool's nodes."""

    pool: str | None
    key: str                # the department's key node, used where encryption is on
    own_key: str | None     # the department's key in the pool, if it has one
    dr_key: str
    replication_role: str
    guardrails: str
    primary: str
    dr: str


def home_of(b: Builder, department: Department, system: System) -> Home:
    """Intranet systems live in the classified pool (graph/pools.py), with its keys and roles."""
    if b.classified and pools.in_classified_pool(system):
        return Home(pools.CLASSIFIED, pools.department_key(department.code), tenancy.classified_key(department),
                    pools.DR_KEY, pools.REPLICATION_ROLE, pools.GUARDRAILS, b.classified_primary, b.classified_dr)
    return Home(None, tenancy.key_node(department.code), tenancy.own_key(b, department), platform.DR_KEY,
                platform.REPLICATION_ROLE, platform.GUARDRAILS, b.primary, b.dr)


def build_system(b: Builder, department: Department, system: System, system_slot: int, parent: str) -> str:
    _refuse_unsafe(department, system)
    code = department.code
    c = b.component(Component(system_component(code, system.name), "System", parent=parent,
                              department=code, system=system.name))
    scope = b.system(department, system)
    home = home_of(b, department, system)
    pool = home.pool
    key = home.key
    zone = tenancy.network_cidr(b, department, system.network)
    cidr = addressing.system_subnet(zone, system_slot)
    network = tenancy.network_node(code, system.network)

    subnet = b.add(f"{c}/subnet", tokens.SUBNET, c, scope, {
        "name": b.names.tagged(f"{c}/subnet"), "vpc_id": Ref(network, "vpc_id"), "cidr": cidr,
        **(dual_stack_subnet(network, addressing.system_ipv6_slot(system_slot), assign=True)
           if tenancy.dual_stack(department) else {}),
    }, pool=pool)
    group = b.add(f"{c}/security-group", tokens.SECURITY_GROUP, c, scope, {
        "name": b.names.tagged(f"{c}/security-group"), "vpc_id": Ref(network, "vpc_id"),
        # EC2 descriptions are ASCII only: the Chinese title goes in a tag instead.
        "description": f"system {system.name} of department {code}",
        "ingress": _ingress(b, system, zone, cidr),
        "tags": {"gov:title": cloudnames.as_tag_value(system.title)},
    }, pool=pool)
    parts = (code, system.name)
    profile = _machine_identity(b, department, system, c, scope, home)
    placement: dict[str, Any] = {"subnet_id": Ref(subnet, "subnet_id"),
                                 "security_group_ids": [Ref(group, "group_id")],
                                 "iam_instance_profile_arn": Ref(profile, "arn")}
    for compute in system.compute:
        for index in range(compute.count):
            _machine(b, c, scope, system, key, f"{c}/vm/{compute.role}-{index}", placement,
                     image=compute.image, size=instance_type(compute.vcpu, compute.memory_gib),
                     disk_gib=compute.disk_gib, pool=pool)
    if system.database is not None:
        for index in range(system.database.replicas):
            # Every database machine learns where the admin secret is; never the value itself.
            _machine(b, c, scope, system, key, f"{c}/db/{index}",
                     {**placement, "admin_secret_arn": Ref(admin_secret(c), "arn")},
                     image=system.database.engine, size=DATABASE_INSTANCE_TYPE,
                     disk_gib=system.database.storage_gib, pool=pool)

    bucket: dict[str, Any] = {
        "name": b.names.bucket(*parts), "versioning": True, **_encryption(system, key),
        "tags": {"gov:quota-gib": str(system.object_storage_gib)},
    }
    if system.backup.offsite:
        copy: dict[str, Any] = {
            "name": b.names.replica_bucket(*parts), "versioning": True,
            **_encryption(system, home.dr_key), "tags": bucket["tags"],
        }
        # Off-site copies stay in the system's own pool, in that pool's DR site.
        b.add(platform.replica(f"{c}/bucket"), tokens.BUCKET, c, scope, copy, region=home.dr, pool=pool)
        bucket["replication"] = {"role_arn": Ref(home.replication_role, "arn"),
                                 "destination_bucket_arn": Ref(platform.replica(f"{c}/bucket"), "arn")}
    b.add(f"{c}/bucket", tokens.BUCKET, c, scope, bucket, pool=pool)
    b.add(f"{c}/audit-log", tokens.LOG_GROUP, c, scope, {
        "name": b.names.log_group(c), "retention_days": log_retention(system.audit_log_days),
        **_encryption(system, key),
    }, pool=pool)
    return c


def dual_stack_subnet(vpc: str, slot: int, *, assign: bool) -> dict[str, Any]:
    """The inputs that give a subnet the /64 `slot` of its VPC's IPv6 block."""
    return {"vpc_ipv6_cidr": Ref(vpc, "ipv6_cidr"), "ipv6_slot": slot, "assign_ipv6_on_creation": assign}


def admin_secret(component: str) -> str:
    return f"{component}/db-admin"


def instance_role(component: str) -> str:
    return f"{component}/instance-role"


def instance_profile(component: str) -> str:
    return f"{component}/instance-profile"


def _machine_identity(b: Builder, department: Department, system: System, c: str, scope: Scope,
                      home: Home) -> str:
    """The system's database admin secret, and the role and profile its machines run as."""
    code = department.code
    key, pool = home.own_key, home.pool
    secret = None
    role_name = b.names.role(code, system.name)
    if system.database is not None:
        # Created before any machine, under a name a re-run finds: a crash never loses the value.
        secret = b.add(admin_secret(c), tokens.SECRET, c, scope, {
            "name": iam.secret_name(b, code, system.name),
            "description": f"database admin password of system {system.name} of department {code}",
            "readers": [iam.role_arn(b, role_name)],
            **({"kms_key_id": Ref(key, "arn")} if key else {}),
        }, pool=pool)
    role = b.add(instance_role(c), tokens.ROLE, c, scope, {
        "name": role_name,
        "assume_role_policy": iam.assume_role(iam.EC2_PRINCIPAL),
        "description": f"machines of system {system.name} of department {code}",
        "inline_policies": {"system": iam.instance_policy(
            b, b.names.bucket(code, system.name), b.names.log_group(c), key, secret,
            region=home.primary if home.pool else None)},
        "managed_policy_arns": [Ref(home.guardrails, "arn")],
    }, pool=pool)
    return b.add(instance_profile(c), tokens.INSTANCE_PROFILE, c, scope, {
        "name": role_name, "role_name": Ref(role, "role_name"),
    }, pool=pool)


def _machine(
    b: Builder, c: str, scope: Scope, system: System, key: str, node: str,
    placement: dict[str, Any], *, image: str, size: str, disk_gib: int, pool: str | None,
) -> None:
    inputs: dict[str, Any] = {"name": b.names.tagged(node), "image": image, "instance_type": size,
                              **placement}
    b.add(node, tokens.INSTANCE, c, scope, inputs, pool=pool)
    volume: dict[str, Any] = {
        "name": b.names.tagged(f"{node}/data"), "size_gib": disk_gib,
        "availability_zone": Ref(node, "availability_zone"), "instance_id": Ref(node, "instance_id"),
    }
    if system.encryption:
        volume.update(encrypted=True, kms_key_id=Ref(key, "arn"))
    b.add(f"{node}/data", tokens.VOLUME, c, scope, volume, pool=pool)
