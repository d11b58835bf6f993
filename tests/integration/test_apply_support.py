"""Shared by the apply tests: a project copy with its own sandbox, the CLI, the cloud's view.

No tests here. Each apply test module gets its own project directory (its own state,
audit log and stack file) and its own sandbox process, so that "nothing managed by
govcloud is left" can be checked on a whole cloud.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from govcloud.cli.app import app
from govcloud.cloud import clients, sandbox

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = ROOT / "policies" / "data" / "approved-products.yaml"
REGIONS = sandbox.REGIONS
MANAGED = {"Key": "managed-by", "Value": "govcloud"}


def unique_stack() -> str:
    # Short: the stack name is part of bucket names, which S3 caps at 63 characters.
    return f"t{uuid.uuid4().hex[:6]}"


def _failures(stdout: str) -> list[str]:
    """A run's error and its failed steps' errors, when its output is JSON (kept short)."""
    try:
        data = json.loads(stdout)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    said = [str(data.get("error", ""))] if data.get("error") else []
    said += [f"{s.get('urn')}: {s.get('error')}" for s in data.get("steps", ())
             if isinstance(s, dict) and s.get("error")]
    return [line[:600] for line in said[:5]]


@dataclass
class Project:
    """A copy of the example project: Pulumi.yaml, policies/, blueprints/, one stack file."""

    root: Path
    stack: str
    endpoint: str = ""
    outputs: list[str] = field(default_factory=list)  # everything the CLI printed, for secret greps

    @property
    def departments(self) -> Path:
        return self.root / "blueprints" / "departments"

    @property
    def state_file(self) -> Path:
        """The stack's checkpoint in the project's default file:// backend."""
        return self.root / ".govcloud" / "state" / ".pulumi" / "stacks" / "govcloud" / f"{self.stack}.json"

    @property
    def audit_file(self) -> Path:
        return self.root / ".govcloud" / "audit" / f"{self.stack}.jsonl"

    def write_stack(self, *, endpoint: str | None = None, extra: Sequence[str] = ()) -> None:
        """The sandbox stack file, pointed at `endpoint` (default: the project's sandbox)."""
        config: dict[str, Any] = {
            "govcloud:blueprints": ["blueprints/city.yaml", "blueprints/departments", *extra],
            "govcloud:regions": {"city-dc-1": sandbox.PRIMARY_REGION, "city-dr-1": sandbox.DR_REGION,
                                 # the classified pool's sites: the same ids on its own server
                                 "city-intranet-1": sandbox.PRIMARY_REGION,
                                 "city-intranet-dr-1": sandbox.DR_REGION},
            "govcloud:partition": "aws-cn",
            "govcloud:sandbox": True,
            "govcloud:engine": "embedded",
            "govcloud:sandboxPassphrase": "govcloud-sandbox",
        }
        if endpoint or self.endpoint:
            config["govcloud:endpoint"] = endpoint or self.endpoint
        stacks = self.root / "stacks"
        stacks.mkdir(exist_ok=True)
        (stacks / f"Pulumi.{self.stack}.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")

    def cli(self, *args: str, expect: int | None = 0) -> Any:
        """`govcloud ARGS` in the project directory; stdout and stderr are kept for greps."""
        with contextlib.chdir(self.root):  # the CLI finds the project from the working directory
            result = CliRunner().invoke(app, list(args), catch_exceptions=False)
        self.outputs.append(result.stdout + result.stderr)
        if expect is not None:
            # A string, so that pytest prints it whole (it elides a long tuple's repr).
            assert result.exit_code == expect, "\n".join(
                [f"govcloud {' '.join(args)} exited {result.exit_code}, expected {expect}",
                 *_failures(result.stdout), "--- stdout (tail)", result.stdout[-3000:],
                 "--- stderr (tail)", result.stderr[-3000:]])
        return result

    def cli_json(self, *args: str, expect: int | None = 0) -> Any:
        return json.loads(self.cli(*args, "--format", "json", expect=expect).stdout)

    def state_digest(self) -> str:
        """Every object of the stack's state backend (checkpoint, history, journal), byte for byte."""
        digest = hashlib.sha256()
        root = self.root / ".govcloud" / "state"
        for path in sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else ():
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()


def make_project(tmp: Path, departments: Sequence[str] | None = None) -> Project:
    """The example city, or the city and only `departments`; requests under review kept aside."""
    root = tmp / "city"
    root.mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copytree(ROOT / "policies", root / "policies")
    shutil.copytree(ROOT / "blueprints", root / "blueprints")
    if departments is not None:
        for file in (root / "blueprints" / "departments").glob("*.yaml"):
            if file.stem not in departments:
                file.unlink()
    project = Project(root, unique_stack())
    project.write_stack()
    return project


@pytest.fixture(scope="module")
def own_sandbox(tmp_path_factory: pytest.TempPathFactory, isolated_aws_env: None) -> Iterator[Path]:
    """A sandbox process for one module; its sandbox.json lives in the returned directory."""
    state_dir = tmp_path_factory.mktemp("sandbox") / ".govcloud"
    sandbox.up(state_dir, PRODUCTS)
    yield state_dir
    sandbox.down(state_dir)


def attach_sandbox(project: Project, state_dir: Path) -> str:
    """Point the project at the module's sandbox the way users do: its .govcloud/sandbox.json."""
    target = project.root / ".govcloud"
    target.mkdir(exist_ok=True)
    shutil.copy(state_dir / sandbox.STATE_FILE, target / sandbox.STATE_FILE)
    return str(json.loads((state_dir / sandbox.STATE_FILE).read_text())["endpoint"])


def aws(endpoint: str, service: str, region: str = sandbox.PRIMARY_REGION) -> Any:
    return clients.client(service, region, endpoint)


def pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """Every item of a listing: the sandbox pages as the real cloud does (e.g. 100 instances)."""
    if not client.can_paginate(operation):
        return list(getattr(client, operation)(**kwargs).get(key, []))
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]


def _tagged(tags: Any) -> bool:
    if isinstance(tags, dict):
        return tags.get("managed-by") == "govcloud"
    return any(t.get("Key", t.get("TagKey")) == "managed-by" and t.get("Value", t.get("TagValue")) == "govcloud"
               for t in tags or [])


def managed_resources(endpoint: str) -> dict[str, list[str]]:
    """Everything tagged managed-by=govcloud, service by service, in both sandbox regions."""
    found: dict[str, list[str]] = {}

    def add(kind: str, ident: str) -> None:
        found.setdefault(kind, []).append(ident)

    managed = [{"Name": "tag:managed-by", "Values": ["govcloud"]}]
    for region in REGIONS:
        ec2 = aws(endpoint, "ec2", region)
        for reservation in pages(ec2, "describe_instances", "Reservations", Filters=managed):
            for i in reservation["Instances"]:
                if i["State"]["Name"] != "terminated":
                    add("ec2:instance", i["InstanceId"])
        for v in pages(ec2, "describe_volumes", "Volumes", Filters=managed):
            add("ec2:volume", v["VolumeId"])
        for v in pages(ec2, "describe_vpcs", "Vpcs", Filters=managed):
            add("ec2:vpc", v["VpcId"])
        for s in pages(ec2, "describe_subnets", "Subnets", Filters=managed):
            add("ec2:subnet", s["SubnetId"])
        for g in pages(ec2, "describe_security_groups", "SecurityGroups", Filters=managed):
            add("ec2:security-group", g["GroupId"])
        sqs = aws(endpoint, "sqs", region)
        for url in pages(sqs, "list_queues", "QueueUrls"):
            if _tagged(sqs.list_queue_tags(QueueUrl=url).get("Tags", {})):
                add("sqs", url)
        logs = aws(endpoint, "logs", region)
        for group in pages(logs, "describe_log_groups", "logGroups"):
            if _tagged(logs.list_tags_log_group(logGroupName=group["logGroupName"]).get("tags", {})):
                add("logs", group["logGroupName"])
        kms = aws(endpoint, "kms", region)
        for key in pages(kms, "list_keys", "Keys"):
            state = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"]
            if state != "PendingDeletion" and _tagged(kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]):
                add("kms", key["KeyId"])
        elb = aws(endpoint, "elbv2", region)
        arns = [b["LoadBalancerArn"] for b in pages(elb, "describe_load_balancers", "LoadBalancers")]
        arns += [t["TargetGroupArn"] for t in pages(elb, "describe_target_groups", "TargetGroups")]
        for start in range(0, len(arns), 20):  # the API takes at most 20 ARNs a call
            for description in elb.describe_tags(ResourceArns=arns[start:start + 20])["TagDescriptions"]:
                if _tagged(description["Tags"]):
                    add("elbv2", description["ResourceArn"])
        acm = aws(endpoint, "acm", region)
        for cert in pages(acm, "list_certificates", "CertificateSummaryList"):
            if _tagged(acm.list_tags_for_certificate(CertificateArn=cert["CertificateArn"]).get("Tags", [])):
                add("acm", cert["CertificateArn"])
    s3 = aws(endpoint, "s3")
    for bucket in pages(s3, "list_buckets", "Buckets"):
        try:
            tags = s3.get_bucket_tagging(Bucket=bucket["Name"])["TagSet"]
        except ClientError:
            tags = []
        if _tagged(tags):
            add("s3", bucket["Name"])
    iam = aws(endpoint, "iam")
    for role in pages(iam, "list_roles", "Roles"):
        if _tagged(iam.list_role_tags(RoleName=role["RoleName"])["Tags"]):
            add("iam:role", role["RoleName"])
    for policy in pages(iam, "list_policies", "Policies", Scope="Local"):
        if _tagged(iam.list_policy_tags(PolicyArn=policy["Arn"])["Tags"]):
            add("iam:policy", policy["Arn"])
    route53 = aws(endpoint, "route53")
    for zone in pages(route53, "list_hosted_zones", "HostedZones"):
        zone_id = zone["Id"].rsplit("/", 1)[-1]
        tags = route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)
        if _tagged(tags["ResourceTagSet"].get("Tags", [])):
            add("route53", zone_id)
    return found


def names(steps: Sequence[dict[str, Any]]) -> set[str]:
    return {s["urn"].rsplit("::", 1)[-1] for s in steps}


def kind(step: dict[str, Any]) -> str:
    return str(step["type"]).rsplit(":", 1)[-1]
