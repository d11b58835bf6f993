"""The sandbox's CloudWatch Logs encrypts an existing group with a KMS key, as the API does
(logs:AssociateKmsKey and DisassociateKmsKey; moto has neither): the group and the key must
exist, and the group's description names its key."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


def _group(logs: Any, name: str) -> dict[str, Any]:
    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return next(g for g in groups if g["logGroupName"] == name)


def test_a_group_takes_a_key_and_gives_it_back(aws: Callable[..., Any], unique: Callable[[str], str]) -> None:
    logs, kms = aws("logs"), aws("kms")
    name = "/govcloud/审计/" + unique("audit")
    key = kms.create_key(Description="审计日志")["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName=name)
    try:
        assert "kmsKeyId" not in _group(logs, name)
        logs.associate_kms_key(logGroupName=name, kmsKeyId=key)
        assert _group(logs, name)["kmsKeyId"] == key
        logs.disassociate_kms_key(logGroupName=name)
        assert "kmsKeyId" not in _group(logs, name)
        logs.associate_kms_key(resourceIdentifier=_group(logs, name)["logGroupArn"], kmsKeyId=key)  # by its ARN
        assert _group(logs, name)["kmsKeyId"] == key
    finally:
        logs.delete_log_group(logGroupName=name)


def test_a_missing_group_or_key_is_refused(aws: Callable[..., Any], unique: Callable[[str], str]) -> None:
    logs, kms = aws("logs"), aws("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(ClientError) as missing_group:
        logs.associate_kms_key(logGroupName=unique("/nowhere"), kmsKeyId=key)
    assert missing_group.value.response["Error"]["Code"] == "ResourceNotFoundException"
    name = unique("/govcloud/probe")
    logs.create_log_group(logGroupName=name)
    try:
        with pytest.raises(ClientError) as missing_key:
            logs.associate_kms_key(logGroupName=name, kmsKeyId=key.rsplit("/", 1)[0] + "/no-such-key")
        assert missing_key.value.response["Error"]["Code"] == "InvalidParameterException"
        assert "kmsKeyId" not in _group(logs, name)
    finally:
        logs.delete_log_group(logGroupName=name)
