"""`govcloud sandbox status` counts what the sandbox holds by service, and shows what is being
released (terminated instances, keys pending deletion) apart; `--format json` like every command."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli.sandbox import app, holdings_lines
from govcloud.cloud import clients, sandbox
from govcloud.cloud.sandbox import kind_of

pytestmark = pytest.mark.integration

MANAGED = [{"Key": "managed-by", "Value": "govcloud"}]


def test_kinds_group_queues_and_buckets_under_their_service() -> None:
    assert kind_of("arn:aws-cn:sqs:cn-north-1:123456789012:gaj-events") == "sqs"
    assert kind_of("arn:aws-cn:s3:::gaj-docs") == "s3"
    assert kind_of("arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-0abc") == "ec2:instance"
    assert kind_of("arn:aws-cn:logs:cn-north-1:123456789012:log-group:/govcloud/gaj") == "logs:log-group"
    assert holdings_lines({"ec2:instance": 2, "ec2:volume": 3, "sqs": 4}, {"kms:key": 1}) == [
        "holds (managed-by=govcloud): 9 resources",
        "  ec2 5 (instance 2, volume 3)",
        "  sqs 4",
        "being released (not held): kms key 1",
    ]


def test_status_groups_by_service_and_sets_released_resources_apart(tmp_path: Path, isolated_aws_env: None) -> None:
    state_dir = tmp_path / ".govcloud"
    info = sandbox.up(state_dir, None)
    try:
        endpoint = str(info.endpoint)
        sqs = clients.client("sqs", sandbox.PRIMARY_REGION, endpoint)
        for name in ("gaj-events", "gaj-jobs", "slj-events"):
            sqs.create_queue(QueueName=name, tags={"managed-by": "govcloud"})
        ec2 = clients.client("ec2", sandbox.PRIMARY_REGION, endpoint)
        image = ec2.describe_images()["Images"][0]["ImageId"]
        running, stopped = (ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": MANAGED}])["Instances"][0]["InstanceId"]
            for _ in range(2))
        ec2.terminate_instances(InstanceIds=[stopped])
        kms = clients.client("kms", sandbox.PRIMARY_REGION, endpoint)
        kept = kms.create_key(Tags=[{"TagKey": "managed-by", "TagValue": "govcloud"}])["KeyMetadata"]["KeyId"]
        going = kms.create_key(Tags=[{"TagKey": "managed-by", "TagValue": "govcloud"}])["KeyMetadata"]["KeyId"]
        kms.schedule_key_deletion(KeyId=going, PendingWindowInDays=7)
        assert running and kept

        runner = CliRunner()
        shown = runner.invoke(app, ["status", "--state-dir", str(state_dir)], catch_exceptions=False)
        assert shown.exit_code == 0
        lines = shown.stdout.splitlines()
        assert "  sqs 3" in lines  # one line for the service, not one per queue
        assert "  ec2 1 (instance 1)" in lines and "  kms 1 (key 1)" in lines
        assert "being released (not held): ec2 instance 1, kms key 1" in lines

        data = json.loads(runner.invoke(app, ["status", "--state-dir", str(state_dir), "--format", "json"],
                                        catch_exceptions=False).stdout)
        assert data["holds"] == {"ec2:instance": 1, "kms:key": 1, "sqs": 3}
        assert data["releasing"] == {"ec2:instance": 1, "kms:key": 1}
        legacy = runner.invoke(app, ["status", "--state-dir", str(state_dir), "--json"], catch_exceptions=False)
        assert json.loads(legacy.stdout)["holds"] == data["holds"]  # the old spelling still works
        helped = runner.invoke(app, ["status", "--help"], catch_exceptions=False).stdout
        assert "--format" in helped and "--json" not in helped
    finally:
        sandbox.down(state_dir)
