"""IAM roles and policies, SQS mailboxes and log groups against the sandbox cloud."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from govcloud.cloud.identity import PolicyProvider, RoleProvider
from govcloud.cloud.logs import LogGroupProvider
from govcloud.cloud.messaging import QueueProvider
from tests.integration.cloud_harness import DR, PRIMARY, Lifecycle, governance_tags

pytestmark = pytest.mark.integration

TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com.cn"}, "Action": "sts:AssumeRole"}]}
READ_ONLY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}
TENANT = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws-cn:s3:::gaj-*/*"]}]}


def test_role_lifecycle(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str],
                        aws: Callable[..., Any]) -> None:
    policies = lifecycle(PolicyProvider)
    policy_arn, policy = policies.create({"name": unique("gaj-read"), "document": READ_ONLY,
                                          "region": PRIMARY, "tags": governance_tags()})
    assert policy_arn.startswith("arn:aws-cn:iam::123456789012:policy/")
    roles = lifecycle(RoleProvider)
    tenant = TENANT
    props = {"name": unique("gaj-app"), "assume_role_policy": TRUST, "region": PRIMARY,
             "inline_policies": {"tenant": tenant}, "managed_policy_arns": [policy_arn],
             "tags": governance_tags()}
    name, outs = roles.create(props)
    assert outs["arn"] == f"arn:aws-cn:iam::123456789012:role/{name}"
    assert roles.create(props)[0] == name
    roles.assert_in_sync(name, outs, props)

    changed = {**props, "description": "app servers", "managed_policy_arns": [],
               "inline_policies": {"tenant": tenant, "extra": READ_ONLY},
               "tags": {**props["tags"], "gov:mlps": "4"}}
    outs = roles.update_in_place(name, outs, changed)

    aws("iam").delete_role_policy(RoleName=name, PolicyName="extra")  # drift
    current = roles.read(name, outs)
    assert current and set(current["inline_policies"]) == {"tenant"}

    outs = policies.update_in_place(policy_arn, policy, {**{k: policy[k] for k in ("name", "region", "tags")},
                                                         "document": tenant})
    assert outs["default_version"] == "v2"
    policy_arn2, policy2, _ = policies.replace(
        policy_arn, outs, {"name": unique("gaj-read"), "document": tenant, "region": PRIMARY,
                           "tags": governance_tags()}, {"name"})

    name2, outs2, first = roles.replace(name, current, {**changed, "name": unique("gaj-app")}, {"name"})
    assert not first
    roles.delete_twice(name2, outs2)
    policies.delete_twice(policy_arn2, policy2)


def test_mailbox_queue_lifecycle(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str],
                                 aws: Callable[..., Any]) -> None:
    queues = lifecycle(QueueProvider)
    props = {"name": unique("gaj-mailbox"), "region": PRIMARY, "tags": governance_tags()}
    url, outs = queues.create(props)
    assert outs["arn"].startswith(f"arn:aws-cn:sqs:{PRIMARY}:")
    assert queues.create(props)[0] == url
    outs = queues.update_in_place(url, outs, {**props, "visibility_timeout": 120,
                                              "tags": {**props["tags"], "exchange": "city"}})
    aws("sqs").set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "5"})
    current = queues.read(url, outs)
    assert current and current["visibility_timeout"] == 5  # drift is visible
    url2, outs2, first = queues.replace(url, current, {**props, "region": DR}, {"region"})
    assert first  # same name: the old mailbox goes first
    queues.delete_twice(url2, outs2)


def test_audit_log_group_lifecycle(lifecycle: Callable[..., Lifecycle], unique: Callable[[str], str],
                                   aws: Callable[..., Any]) -> None:
    groups = lifecycle(LogGroupProvider)
    props = {"name": f"/govcloud/gaj/{unique('audit')}", "region": PRIMARY, "tags": governance_tags()}
    name, outs = groups.create(props)
    assert outs["arn"] == f"arn:aws-cn:logs:{PRIMARY}:123456789012:log-group:{name}"
    assert groups.create(props)[0] == name
    outs = groups.update_in_place(name, outs, {**props, "retention_days": 365,
                                               "tags": {**props["tags"], "audit": "mlps"}})
    aws("logs").delete_retention_policy(logGroupName=name)  # drift: logs kept forever
    current = groups.read(name, outs)
    assert current and current["retention_days"] == 0
    name2, outs2, _ = groups.replace(name, current, {**props, "name": name + "-v2"}, {"name"})
    groups.delete_twice(name2, outs2)


def test_log_group_check_suggests_a_valid_retention(lifecycle: Callable[..., Lifecycle]) -> None:
    result = lifecycle(LogGroupProvider).provider.check(
        {}, {"name": "/a", "region": PRIMARY, "retention_days": 200})
    assert [(f.property, f.reason) for f in result.failures] == [
        ("retention_days", "200 is not a CloudWatch retention period; the next longer one is 365")]
