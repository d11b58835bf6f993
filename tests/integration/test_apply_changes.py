"""Blueprint changes and drift on a reduced city (the city and three departments).

One base apply for the module; each test changes one thing, checks that `plan` shows
exactly that and that `apply` does exactly that, in the steps and in the cloud. They run
in file order on the same stack; the encryption change comes last because the sandbox
cannot complete it (see that test).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.test_apply_support import (
    Project,
    attach_sandbox,
    aws,
    kind,
    make_project,
    names,
    own_sandbox,
    pages,
)

pytestmark = pytest.mark.integration
__all__ = ["own_sandbox"]  # the module's sandbox fixture

DEPARTMENTS = ("gzw", "nyncj", "swj")


@dataclass(frozen=True)
class Stack:
    project: Project
    endpoint: str
    base: dict[str, Any]

    def plan(self) -> dict[str, Any]:
        return dict(self.project.cli_json("plan", "--stack", self.project.stack))

    def apply(self, *extra: str) -> dict[str, Any]:
        applied = dict(self.project.cli_json("apply", "--stack", self.project.stack, "--yes", *extra, expect=None))
        assert applied["status"] == "ok", (applied["error"], [s for s in applied["steps"] if s["error"]])
        return applied

    def edit(self, code: str) -> tuple[Path, dict[str, Any]]:
        path = self.project.departments / f"{code}.yaml"
        return path, yaml.safe_load(path.read_text(encoding="utf-8"))

    def instance(self, name: str) -> dict[str, Any]:
        """The live instance whose Name tag ends with `name` (the resource's name in the stack)."""
        tag = [{"Name": "tag:Name", "Values": [f"foshan-{self.project.stack}/{name}"]},
               {"Name": "instance-state-name", "Values": ["running", "stopped", "pending"]}]
        found = [i for r in pages(aws(self.endpoint, "ec2"), "describe_instances", "Reservations", Filters=tag)
                 for i in r["Instances"]]
        assert len(found) == 1, (name, found)
        return dict(found[0])


def _save(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


# The steps of one replacement, as an apply reports them, and the op a plan gives it.
_REPLACEMENT = {"create-replacement": "replace", "replace": "replace", "delete-replaced": "replace"}


def _changed(result: dict[str, Any]) -> dict[str, str]:
    """{resource name: op} of the steps that change something (a replacement's steps: "replace")."""
    return {s["urn"].rsplit("::", 1)[-1]: _REPLACEMENT.get(s["op"], s["op"]) for s in result["steps"]}


def _grant_room(project: Project, code: str, systems: tuple[str, ...]) -> None:
    """The city's side of a change: a larger grant for `code`, and `systems` approved and in its project."""
    city = project.root / "blueprints" / "city"
    for name in ("approvals.yaml", "grants.yaml", "projects.yaml"):
        data = yaml.safe_load((city / name).read_text(encoding="utf-8"))
        for entry in next(v for v in data.values() if isinstance(v, list)) if isinstance(data, dict) else ():
            if not isinstance(entry, dict) or entry.get("department") != code:
                continue
            if "quota" in entry:
                entry["quota"] = {"vcpu": 256, "memoryGiB": 1024, "storageTiB": 64}
            for key in ("scope", "systems"):
                if key in entry:
                    entry[key] = [*entry[key], *(s for s in systems if s not in entry[key])]
        (city / name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, own_sandbox: Path) -> Stack:
    project = make_project(tmp_path_factory.mktemp("apply-changes"), DEPARTMENTS)
    _grant_room(project, "gzw", ("asset-registry",))
    endpoint = attach_sandbox(project, own_sandbox)
    base = project.cli_json("apply", "--stack", project.stack, "--yes")
    assert base["status"] == "ok" and base["summary"]["create"] > 50
    return Stack(project, endpoint, base)


def test_nothing_to_do_is_said(stack: Stack) -> None:
    planned = stack.project.cli("plan", "--stack", stack.project.stack).stdout
    assert "no changes" in planned
    applied = stack.project.cli("apply", "--stack", stack.project.stack, "--yes").stdout
    assert "Nothing to do" in applied and "Resources per department" in applied


def test_adding_a_system_creates_exactly_its_resources(stack: Stack) -> None:
    path, gzw = stack.edit("gzw")
    system = {**copy.deepcopy(gzw["spec"]["systems"][0]), "name": "asset-registry", "title": "国资产权登记系统",
              "function": "state-assets-registry"}
    system.pop("consumes", None)
    gzw["spec"]["systems"].append(system)
    _save(path, gzw)

    planned = stack.plan()
    new = "gzw/systems/asset-registry"
    assert planned["steps"] and all(s["op"] == "create" for s in planned["steps"]), _changed(planned)
    assert all(n == new or n.startswith(new + "/") for n in names(planned["steps"])), _changed(planned)
    assert {kind(s) for s in planned["steps"]} >= {
        "Subnet", "SecurityGroup", "Instance", "Volume", "Bucket", "LogGroup"}
    assert planned["summary"]["create"] == len(planned["steps"])
    assert planned["summary"]["update"] == planned["summary"]["replace"] == planned["summary"]["delete"] == 0

    applied = stack.apply()
    assert _changed(applied) == _changed(planned)
    assert stack.instance(f"{new}/vm/app-0")["State"]["Name"] == "running"


def test_resizing_changes_the_instance_type_in_place(stack: Stack) -> None:
    path, gzw = stack.edit("gzw")
    machine = gzw["spec"]["systems"][0]["compute"][0]
    assert (machine["vcpu"], machine["memoryGiB"]) == (4, 16)
    machine.update(vcpu=8, memoryGiB=32)
    _save(path, gzw)
    name = "gzw/systems/state-assets/vm/app-0"
    before = stack.instance(name)

    planned = stack.plan()
    assert _changed(planned) == {name: "update"}
    assert [(d["path"], d["old"], d["new"]) for d in planned["steps"][0]["diffs"]] == \
        [("instance_type", "m5.xlarge", "m5.2xlarge")]

    applied = stack.apply()
    assert _changed(applied) == {name: "update"}
    after = stack.instance(name)
    assert after["InstanceId"] == before["InstanceId"] and after["InstanceType"] == "m5.2xlarge"


def test_removing_a_department_deletes_exactly_its_resources(stack: Stack) -> None:
    held = [r for r in stack.project.cli_json("state", "list", "--stack", stack.project.stack)
            if r["name"] == "swj" or r["name"].startswith("swj/")]
    (stack.project.departments / "swj.yaml").unlink()

    planned = stack.plan()
    assert planned["steps"] and all(s["op"] == "delete" for s in planned["steps"]), _changed(planned)
    assert names(planned["steps"]) == {r["name"] for r in held}

    # A third of this small stack: more than the mass-delete limit allows without asking.
    refused = dict(stack.project.cli_json("apply", "--stack", stack.project.stack, "--yes", expect=1))
    assert refused["status"] == "failed" and "GC-ENGINE-MASS-DELETE" in refused["error"]
    assert refused["summary"]["delete"] == 0 and len(held) == len(
        [r for r in stack.project.cli_json("state", "list", "--stack", stack.project.stack)
         if r["name"] == "swj" or r["name"].startswith("swj/")])
    applied = stack.apply("--allow-mass-delete")
    assert _changed(applied) == _changed(planned)
    ours = [{"Name": "tag:gov:department", "Values": ["swj"]}]
    for region in ("cn-north-1", "cn-northwest-1"):
        ec2 = aws(stack.endpoint, "ec2", region)
        alive = [i for r in pages(ec2, "describe_instances", "Reservations", Filters=ours)
                 for i in r["Instances"] if i["State"]["Name"] != "terminated"]
        assert alive == [] and pages(ec2, "describe_subnets", "Subnets", Filters=ours) == []
    assert not [b for b in pages(aws(stack.endpoint, "s3"), "list_buckets", "Buckets") if "-swj-" in b["Name"]]


def test_refresh_reports_drift_and_the_next_apply_repairs_it(stack: Stack) -> None:
    listed = {r["name"]: r for r in stack.project.cli_json("state", "list", "--stack", stack.project.stack)}
    bucket = listed["gzw/systems/state-assets/bucket"]
    instance = listed["nyncj/systems/agri-traceability/vm/app-0"]
    s3, ec2 = aws(stack.endpoint, "s3"), aws(stack.endpoint, "ec2")
    s3.delete_bucket(Bucket=bucket["id"])  # out of band: someone deleted it in a console
    ec2.create_tags(Resources=[instance["id"]], Tags=[{"Key": "gov:mlps", "Value": "1"}])

    drift = stack.project.cli_json("refresh", "--stack", stack.project.stack)
    assert drift["drifted"] is True
    assert [u.rsplit("::", 1)[-1] for u in drift["gone"]] == [bucket["name"]]
    changed = {c["urn"].rsplit("::", 1)[-1]: c for c in drift["changed"]}
    assert list(changed) == [instance["name"]]
    assert [(d["path"], d["old"], d["new"]) for d in changed[instance["name"]]["diffs"]] == \
        [("tags.gov:mlps", "2", "1")]
    text = stack.project.cli("refresh", "--stack", stack.project.stack).stdout
    assert "1 resource drifted" in text or "drifted" in text

    planned = stack.plan()
    assert _changed(planned) == {bucket["name"]: "create", instance["name"]: "update"}
    applied = stack.apply()
    assert _changed(applied) == _changed(planned)
    assert s3.head_bucket(Bucket=bucket["id"])["ResponseMetadata"]["HTTPStatusCode"] == 200
    tags = {t["Key"]: t["Value"] for t in stack.instance(instance["name"])["Tags"]}
    assert tags["gov:mlps"] == "2"
    assert stack.project.cli_json("refresh", "--stack", stack.project.stack)["drifted"] is False


def test_a_retired_system_is_deleted_on_the_plan_after_its_date(stack: Stack) -> None:
    path, gzw = stack.edit("gzw")
    system = next(s for s in gzw["spec"]["systems"] if s["name"] == "asset-registry")
    held = {r["name"] for r in stack.project.cli_json("state", "list", "--stack", stack.project.stack)
            if r["name"].startswith("gzw/systems/asset-registry")}
    assert held
    system["retire"] = "2026-01-31"  # 下线: before today, so the plan takes it down
    _save(path, gzw)
    planned = stack.plan()
    assert {n: op for n, op in _changed(planned).items()} == {n: "delete" for n in held}, _changed(planned)
    applied = stack.apply()
    assert _changed(applied) == {n: "delete" for n in held}
    left = {r["name"] for r in stack.project.cli_json("state", "list", "--stack", stack.project.stack)}
    assert not held & left and "gzw/systems/state-assets/bucket" in left


def test_turning_encryption_on_encrypts_the_systems_storage(stack: Stack) -> None:
    path, nyncj = stack.edit("nyncj")
    system = nyncj["spec"]["systems"][0]
    assert not system.get("encryption")
    system["encryption"] = True
    _save(path, nyncj)
    prefix = f"nyncj/systems/{system['name']}/"

    planned = stack.plan()
    changed = _changed(planned)
    volumes = {prefix + "vm/app-0/data": "replace", prefix + "db/0/data": "replace"}
    bucket = prefix + "bucket"
    # The department already has its key (its database's admin secret is sealed with it); storage takes it on,
    # and the key's policy now lets CloudWatch Logs use it for the encrypted audit log.
    assert changed == {bucket: "update", bucket + "/dr": "update", prefix + "audit-log": "update",
                       "nyncj/key": "update", **volumes}
    key_step = next(s for s in planned["steps"] if s["urn"].endswith("::nyncj/key"))
    assert {d["path"] for d in key_step["diffs"]} == {"log_group_prefix"}, key_step["diffs"]
    for step in planned["steps"]:
        if kind(step) == "Volume":  # a volume cannot be encrypted in place
            forcing = {d["path"] for d in step["diffs"] if d["replaces"]}
            assert forcing == {"encrypted", "kms_key_id"}, step["diffs"]

    applied = stack.project.cli_json("apply", "--stack", stack.project.stack, "--yes", expect=None)
    held = {r["name"]: r["id"] for r in stack.project.cli_json("state", "list", "--stack", stack.project.stack)}
    data = aws(stack.endpoint, "ec2").describe_volumes(VolumeIds=[held[n] for n in volumes])["Volumes"]
    assert len(data) == len(volumes) and all(v["Encrypted"] and v.get("KmsKeyId") for v in data)
    bucket_name = held[bucket]
    rules = aws(stack.endpoint, "s3").get_bucket_encryption(Bucket=bucket_name)
    algorithm = rules["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    assert algorithm["SSEAlgorithm"] == "aws:kms"
    assert applied["status"] == "ok", [s["error"] for s in applied["steps"] if s["error"]]
    assert _changed(applied) == changed
    # The audit log is encrypted in place with the department's key (logs:AssociateKmsKey).
    group_name = held[prefix + "audit-log"]
    groups = aws(stack.endpoint, "logs").describe_log_groups(logGroupNamePrefix=group_name)["logGroups"]
    audit = next(g for g in groups if g["logGroupName"] == group_name)
    assert audit.get("kmsKeyId", "").endswith("/" + held["nyncj/key"]), audit
