"""The classified pool on two real moto servers: the City and the procuratorate (jcy: one
classified intranet system, one on its private line) applied, then everything each server
holds listed. Nothing of the classified pool is in the extranet's cloud, nothing in the
classified pool names a key, role or bucket of the extranet's, and its copies stay inside.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from govcloud.cloud import clients, sandbox
from govcloud.errors import GovcloudError
from govcloud.graph import Graph, build_graph, pools
from govcloud.operations import apply
from govcloud.program import load_blueprints, load_stack_config
from tests.integration.test_robust_apply import PASSPHRASE, CityProject

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXTRANET_ACCOUNT = sandbox.DEFAULT_ACCOUNT
CLASSIFIED_ACCOUNT = sandbox.CLASSIFIED_ACCOUNT
# The property that holds the name the cloud knows a resource by.
CLOUD_NAME = {"govcloud:storage:Bucket": "name", "govcloud:identity:Role": "name",
              "govcloud:identity:Policy": "name", "govcloud:identity:InstanceProfile": "name",
              "govcloud:keys:Key": "alias", "govcloud:secrets:Secret": "name", "govcloud:logs:LogGroup": "name",
              "govcloud:network:Vpc": "name", "govcloud:network:Subnet": "name",
              "govcloud:network:SecurityGroup": "name", "govcloud:compute:Instance": "name",
              "govcloud:compute:Volume": "name"}
MARKER = "pool-marker/卷宗.txt"


@dataclass
class Inventory:
    """Everything one server holds: every name it knows, and every ARN its resources refer to."""

    names: set[str] = field(default_factory=set)
    references: dict[str, set[str]] = field(default_factory=dict)  # resource name → ARNs it names
    buckets: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → region, replication, objects

    def refer(self, name: str, *arns: str | None) -> None:
        self.references.setdefault(name, set()).update(a for a in arns if a)


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page[key]]


def _name_tag(tags: list[dict[str, str]] | None) -> str | None:
    return next((t["Value"] for t in tags or [] if t["Key"] == "Name"), None)


def inventory(endpoint: str) -> Inventory:
    """List the server: buckets (replication, encryption, objects), keys and aliases, roles and
    policies, instance profiles, secrets, log groups, VPCs, subnets, groups, machines, volumes."""
    found = Inventory()
    s3 = clients.client("s3", sandbox.PRIMARY_REGION, endpoint)
    for bucket in s3.list_buckets()["Buckets"]:
        name = bucket["Name"]
        found.names.add(name)
        try:
            rules = s3.get_bucket_replication(Bucket=name)["ReplicationConfiguration"]
        except s3.exceptions.ClientError:
            rules = None
        try:
            sse = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        except s3.exceptions.ClientError:
            sse = []
        keys = [r["ApplyServerSideEncryptionByDefault"].get("KMSMasterKeyID") for r in sse]
        if rules:
            found.refer(name, rules["Role"], *(r["Destination"]["Bucket"] for r in rules["Rules"]))
        found.refer(name, *keys)
        objects = [o["Key"] for o in s3.list_objects_v2(Bucket=name).get("Contents", [])]
        region = s3.get_bucket_location(Bucket=name).get("LocationConstraint")
        found.buckets[name] = {"region": region, "replication": rules, "objects": objects}
    iam = clients.client("iam", sandbox.PRIMARY_REGION, endpoint)
    for role in _pages(iam, "list_roles", "Roles"):
        name = role["RoleName"]
        found.names.add(name)
        attached = [p["PolicyArn"] for p in _pages(iam, "list_attached_role_policies", "AttachedPolicies",
                                                   RoleName=name)]
        found.refer(name, role["Arn"], *attached)
        for policy in _pages(iam, "list_role_policies", "PolicyNames", RoleName=name):
            document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            found.refer(name, *(r for s in document["Statement"] for r in _listed(s.get("Resource"))
                                if r.startswith("arn:") and "*" not in r))  # patterns name no one resource
    for policy in _pages(iam, "list_policies", "Policies", Scope="Local"):
        found.names.add(policy["PolicyName"])
    for profile in _pages(iam, "list_instance_profiles", "InstanceProfiles"):
        found.names.add(profile["InstanceProfileName"])
        found.refer(profile["InstanceProfileName"], *(r["Arn"] for r in profile["Roles"]))
    for region in sandbox.REGIONS:
        kms = clients.client("kms", region, endpoint)
        found.names.update(a["AliasName"] for a in _pages(kms, "list_aliases", "Aliases"))
        secrets = clients.client("secretsmanager", region, endpoint)
        for secret in _pages(secrets, "list_secrets", "SecretList"):
            found.names.add(secret["Name"])
            found.refer(secret["Name"], secret.get("KmsKeyId"))
        logs = clients.client("logs", region, endpoint)
        for group in _pages(logs, "describe_log_groups", "logGroups"):
            found.names.add(group["logGroupName"])
            found.refer(group["logGroupName"], group.get("kmsKeyId"))
        ec2 = clients.client("ec2", region, endpoint)
        for key, operation in (("Vpcs", "describe_vpcs"), ("Subnets", "describe_subnets")):
            found.names.update(n for n in (_name_tag(x.get("Tags")) for x in _pages(ec2, operation, key)) if n)
        found.names.update(g["GroupName"] for g in _pages(ec2, "describe_security_groups", "SecurityGroups"))
        for reservation in _pages(ec2, "describe_instances", "Reservations"):
            for machine in reservation["Instances"]:
                name = _name_tag(machine.get("Tags")) or machine["InstanceId"]
                found.names.add(name)
                found.refer(name, (machine.get("IamInstanceProfile") or {}).get("Arn"))
        for volume in _pages(ec2, "describe_volumes", "Volumes"):
            name = _name_tag(volume.get("Tags")) or volume["VolumeId"]
            found.names.add(name)
            found.refer(name, volume.get("KmsKeyId"))
    return found


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def cloud_names(graph: Graph, pool: str) -> set[str]:
    return {str(n.inputs[CLOUD_NAME[n.type]]) for n in graph.nodes
            if n.type in CLOUD_NAME and pools.pool_of(n) == pool}


def account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""  # S3 ARNs name no account


def leaks(graph: Graph, extranet: Inventory, classified: Inventory) -> list[str]:
    """Every way the stack's classified pool shows in the extranet's cloud or leans on it; [] when
    sealed. Only the stack's own resources are judged: the session's sandbox holds other tests'."""
    found = [f"{name} is in the extranet's cloud" for name in sorted(cloud_names(graph, pools.CLASSIFIED)
                                                                      & extranet.names)]
    prefix = graph.target.stack
    extranet_buckets = set(extranet.buckets)
    for owner, arns in sorted(classified.references.items()):
        if prefix not in owner:
            continue
        for arn in sorted(arns):
            if account_of(arn) and account_of(arn) != CLASSIFIED_ACCOUNT:
                found.append(f"{owner} (classified pool) names {arn}")
            if arn.startswith("arn:aws-cn:s3:::") and arn.removeprefix("arn:aws-cn:s3:::") not in classified.buckets:
                found.append(f"{owner} (classified pool) copies to {arn}, not a bucket of the pool")
    for owner, arns in sorted(extranet.references.items()):
        if prefix not in owner:
            continue
        for arn in sorted(arns):
            if account_of(arn) and account_of(arn) != EXTRANET_ACCOUNT:
                found.append(f"{owner} (extranet) names {arn}")
            bucket = arn.removeprefix("arn:aws-cn:s3:::")
            if arn.startswith("arn:aws-cn:s3:::") and bucket not in extranet_buckets:
                found.append(f"{owner} (extranet) copies to {arn}, not a bucket of the extranet")
        replication = extranet.buckets.get(owner, {}).get("replication")
        if replication and replication["Role"].endswith("-city-classified-replication"):
            found.append(f"{owner} (extranet) replicates with the classified pool's role")
    for name, bucket in extranet.buckets.items():
        if MARKER in bucket["objects"]:
            found.append(f"a classified object is in the extranet's bucket {name}")
    return found


@dataclass(frozen=True)
class Applied:
    city: CityProject
    graph: Graph
    extranet: str
    classified: str

    @property
    def prefix(self) -> str:
        return f"foshan-{self.city.stack}"


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory, sandbox_info: sandbox.SandboxInfo) -> Iterator[Applied]:
    assert sandbox_info.endpoint
    classified = sandbox_info.pools[sandbox.CLASSIFIED].endpoint
    stack = f"pools{uuid.uuid4().hex[:6]}"
    city = CityProject.create(tmp_path_factory.mktemp("pools") / "city", sandbox_info.endpoint, ("jcy",),
                              stack=stack)
    assert city.classified == classified
    _expect_account(city, CLASSIFIED_ACCOUNT)
    outcome = apply(stack, yes=True, root=city.root, passphrase=PASSPHRASE)
    assert outcome.ok, outcome.error
    config = load_stack_config(stack, city.root)
    graph = build_graph(load_blueprints(config), config.target())
    # a classified document: it must never show in the extranet's cloud
    clients.client("s3", sandbox.PRIMARY_REGION, classified).put_object(
        Bucket=f"foshan-{stack}-jcy-procuratorial-cases", Key=MARKER, Body="起诉意见书".encode())
    yield Applied(city, graph, sandbox_info.endpoint, classified)


@pytest.fixture(scope="module")
def listed(applied: Applied) -> tuple[Inventory, Inventory]:
    """(the extranet's cloud, the classified pool's cloud) as the apply left them."""
    return inventory(applied.extranet), inventory(applied.classified)


def _expect_account(city: CityProject, account: str) -> None:
    file = city.root / "stacks" / f"Pulumi.{city.stack}.yaml"
    text = file.read_text(encoding="utf-8")
    file.write_text(text.replace(f"{{endpoint: {city.classified}}}",
                                 f"{{endpoint: {city.classified}, account: '{account}'}}"), encoding="utf-8")


def test_nothing_classified_is_in_the_extranet_and_nothing_leans_across(
        applied: Applied, listed: tuple[Inventory, Inventory]) -> None:
    graph, (extranet, classified) = applied.graph, listed
    inside = cloud_names(graph, pools.CLASSIFIED)
    # the classified system, the intranet zones and the pool's own keys and roles
    assert f"{applied.prefix}-jcy-procuratorial-cases" in inside
    assert f"alias/govcloud/{applied.prefix}/city/classified/dr-key" in inside
    assert MARKER in classified.buckets[f"{applied.prefix}-jcy-procuratorial-cases"]["objects"]
    assert inside <= classified.names, sorted(inside - classified.names)
    outside = cloud_names(graph, pools.EXTRANET)
    assert outside <= extranet.names and not outside & classified.names
    assert leaks(graph, extranet, classified) == []


def test_classified_copies_replicate_only_within_the_pool(
        applied: Applied, listed: tuple[Inventory, Inventory]) -> None:
    extranet, classified = listed
    prefix = applied.prefix
    primary = classified.buckets[f"{prefix}-jcy-procuratorial-cases"]
    rule = primary["replication"]
    assert rule["Role"] == f"arn:aws-cn:iam::{CLASSIFIED_ACCOUNT}:role/{prefix}-city-classified-replication"
    copy = f"{prefix}-city-dr-jcy-procuratorial-cases"
    assert [r["Destination"]["Bucket"] for r in rule["Rules"]] == [f"arn:aws-cn:s3:::{copy}"]
    assert classified.buckets[copy]["region"] == sandbox.DR_REGION  # the pool's own DR site
    role = clients.client("iam", sandbox.PRIMARY_REGION, applied.classified).get_role_policy(
        RoleName=f"{prefix}-city-classified-replication", PolicyName="replicate")["PolicyDocument"]
    assert "arn:aws-cn:s3:::" + f"{prefix}-city-dr-*/*" in json.dumps(role)
    # the extranet's system still replicates with the extranet's role, in the extranet's cloud
    other = extranet.buckets[f"{prefix}-jcy-public-interest-leads"]["replication"]
    assert other["Role"] == f"arn:aws-cn:iam::{EXTRANET_ACCOUNT}:role/{prefix}-city-replication"


def test_the_key_of_encrypted_audit_logs_lets_cloudwatch_logs_use_it(applied: Applied) -> None:
    kms = clients.client("kms", sandbox.PRIMARY_REGION, applied.classified)
    alias = f"alias/govcloud/foshan-{applied.city.stack}/jcy/classified/key"
    key = next(a["TargetKeyId"] for a in _pages(kms, "list_aliases", "Aliases") if a["AliasName"] == alias)
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    logs = next(s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsUse")
    assert logs["Principal"] == {"Service": f"logs.{sandbox.PRIMARY_REGION}.amazonaws.com.cn"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        f"arn:aws-cn:logs:{sandbox.PRIMARY_REGION}:{CLASSIFIED_ACCOUNT}:log-group:"
        f"/govcloud/foshan-{applied.city.stack}/jcy/*")
    group = f"/govcloud/foshan-{applied.city.stack}/jcy/systems/procuratorial-cases"
    logs_client = clients.client("logs", sandbox.PRIMARY_REGION, applied.classified)
    (found,) = [g for g in logs_client.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
                if g["logGroupName"] == group]
    assert found["kmsKeyId"].endswith(f":{CLASSIFIED_ACCOUNT}:key/{key}")


def test_the_check_catches_a_classified_bucket_replicating_with_the_extranet_role(
        applied: Applied, listed: tuple[Inventory, Inventory]) -> None:
    prefix = applied.prefix
    leaked = f"{prefix}-jcy-procuratorial-cases"
    s3 = clients.client("s3", sandbox.PRIMARY_REGION, applied.extranet)
    s3.create_bucket(Bucket=leaked, CreateBucketConfiguration={"LocationConstraint": sandbox.PRIMARY_REGION})
    try:
        s3.put_bucket_versioning(Bucket=leaked, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_replication(Bucket=leaked, ReplicationConfiguration={
            "Role": f"arn:aws-cn:iam::{EXTRANET_ACCOUNT}:role/{prefix}-city-replication",
            "Rules": [{"ID": "dr", "Status": "Enabled", "Priority": 1, "Filter": {}, "DeleteMarkerReplication":
                       {"Status": "Disabled"}, "Destination": {"Bucket": f"arn:aws-cn:s3:::{prefix}-city-dr-x"}}]})
        found = leaks(applied.graph, inventory(applied.extranet), listed[1])
    finally:
        s3.delete_bucket(Bucket=leaked)
    assert f"{leaked} is in the extranet's cloud" in found
    assert f"{leaked} (extranet) copies to arn:aws-cn:s3:::{prefix}-city-dr-x, not a bucket of the extranet" in found


def test_a_stack_whose_pool_is_another_account_creates_nothing(applied: Applied, tmp_path: Path) -> None:
    stack = f"wrong{uuid.uuid4().hex[:6]}"
    city = CityProject.create(tmp_path / "city", applied.extranet, ("jcy",), stack=stack)
    _expect_account(city, "999999999999")
    with pytest.raises(GovcloudError) as refused:
        apply(stack, yes=True, root=city.root, passphrase=PASSPHRASE)
    error = refused.value
    assert error.rule == "GC-POOL-004" and error.exit_code == 2 and "\n" not in error.line()
    assert f"answers as account {CLASSIFIED_ACCOUNT}, not 999999999999" in error.message
    assert error.location is not None and error.location.file.endswith(f"Pulumi.{stack}.yaml")
    # no resource of the refused stack anywhere: every name of ours carries the stack's
    made = [n for cloud in (applied.extranet, applied.classified) for n in inventory(cloud).names if stack in n]
    assert made == []
