"""Names the city will create, taken beforehand by hand (a careless operator) or by another
tenant: a create that does not look first (IAM, log groups, buckets) meets the cloud's refusal,
and what is there is never adopted unless it is this stack's. The apply fails naming it (exit
1), the cloud keeps what was there untouched, the state does not claim it, and once the name
is free again the next apply makes it."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.test_apply_support import Project, attach_sandbox, aws, make_project, own_sandbox

pytestmark = pytest.mark.integration
__all__ = ["own_sandbox"]  # the module's sandbox fixture

TRUST = '{"Version": "2012-10-17", "Statement": []}'
HAND = [{"Key": "owner", "Value": "手工"}]


def _next_create(project: Project, kind: str) -> dict[str, Any]:
    """The inputs of a create of `kind` the plan still has, in the extranet's pool."""
    for step in project.cli_json("plan", "--stack", project.stack)["steps"]:
        inputs = {d["path"]: d["new"] for d in step["diffs"]}
        if step["op"] == "create" and step["type"].endswith(":" + kind) and not inputs.get("pool"):
            return inputs
    raise AssertionError(f"no {kind} left to create")


def _role(endpoint: str, inputs: dict[str, Any]) -> Callable[[], None]:
    iam = aws(endpoint, "iam")
    iam.create_role(RoleName=inputs["name"], AssumeRolePolicyDocument=TRUST, Tags=HAND)

    def untouched() -> None:
        assert iam.list_role_tags(RoleName=inputs["name"])["Tags"] == HAND
        assert iam.list_attached_role_policies(RoleName=inputs["name"])["AttachedPolicies"] == []
        iam.delete_role(RoleName=inputs["name"])
    return untouched


def _log_group(endpoint: str, inputs: dict[str, Any]) -> Callable[[], None]:
    logs = aws(endpoint, "logs")
    logs.create_log_group(logGroupName=inputs["name"])

    def untouched() -> None:
        assert logs.list_tags_log_group(logGroupName=inputs["name"]).get("tags", {}) == {}
        group = logs.describe_log_groups(logGroupNamePrefix=inputs["name"])["logGroups"][0]
        assert "retentionInDays" not in group
        logs.delete_log_group(logGroupName=inputs["name"])
    return untouched


def _bucket(endpoint: str, inputs: dict[str, Any]) -> Callable[[], None]:
    s3 = aws(endpoint, "s3", inputs["region"])
    s3.create_bucket(Bucket=inputs["name"], CreateBucketConfiguration={"LocationConstraint": inputs["region"]})

    def untouched() -> None:
        with pytest.raises(ClientError, match="NoSuchTagSet"):
            s3.get_bucket_tagging(Bucket=inputs["name"])
        assert s3.get_bucket_versioning(Bucket=inputs["name"]).get("Status") is None
        s3.delete_bucket(Bucket=inputs["name"])
    return untouched


TAKE = {"Role": (_role, "role"), "LogGroup": (_log_group, "log group"), "Bucket": (_bucket, "bucket")}


def test_a_taken_name_fails_its_step_naming_it_and_nothing_is_taken_over(tmp_path: Path, own_sandbox: Path) -> None:
    project = make_project(tmp_path, ("swj",))
    endpoint = attach_sandbox(project, own_sandbox)
    taken = {}
    for kind, (take, label) in TAKE.items():
        inputs = _next_create(project, kind)
        taken[label] = (inputs["name"], take(endpoint, inputs))
    applied = project.cli_json("apply", "--stack", project.stack, "--yes", expect=1)
    assert applied["status"] == "failed"
    failed = [s for s in applied["steps"] if s["error"]]
    assert sorted(s["error"].split(": create failed: ", 1)[-1] for s in failed) == sorted(
        f"{label} '{name}' already exists and is not managed by this stack" for label, (name, _) in taken.items())
    held = {r["urn"] for r in project.cli_json("state", "list", "--stack", project.stack)}
    assert not {s["urn"] for s in failed} & held  # the state claims none of them
    for _, untouched in taken.values():
        untouched()  # no tag, policy or setting of the stack's; then the name is freed
    assert project.cli_json("apply", "--stack", project.stack, "--yes")["status"] == "ok"
