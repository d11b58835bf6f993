"""A managed policy's update makes room among IAM's five versions before it adds one: room for
it and for a second copy, which a call the SDK sends again after a lost answer makes."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from govcloud.cloud.identity import PolicyProvider
from tests.support.stubbed import on_stub, stubbed

ARN = "arn:aws-cn:iam::123456789012:policy/govcloud-gaj-read"
TAGS = {"managed-by": "govcloud", "gov:department": "gaj"}
OLD = {"name": "govcloud-gaj-read", "region": "cn-north-1", "tags": TAGS,
       "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                            "Resource": "arn:aws-cn:s3:::gaj-docs/*"}]}}
NEW = {**OLD, "document": {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws-cn:s3:::gaj-docs*"}]}}
START = datetime(2026, 1, 1, tzinfo=UTC)


def versions(n: int) -> list[dict[str, Any]]:
    """n versions, v1 the oldest; the newest is the default."""
    return [{"VersionId": f"v{i}", "IsDefaultVersion": i == n, "CreateDate": START + timedelta(days=i)}
            for i in range(1, n + 1)]


def update(n: int, deleted: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    with stubbed("iam") as iam:
        provider = on_stub(PolicyProvider(), iam, monkeypatch)
        iam.add_response("list_policy_versions", {"Versions": versions(n)}, {"PolicyArn": ARN})
        for version in deleted:
            iam.add_response("delete_policy_version", {}, {"PolicyArn": ARN, "VersionId": version})
        iam.add_response("create_policy_version", {"PolicyVersion": {"VersionId": f"v{n + 1}"}}, None)
        return provider._update(ARN, OLD, NEW)


@pytest.mark.parametrize(("held", "deleted"), [
    (1, []), (3, []),
    (4, ["v1"]),  # 4 → 3: this version makes 4, a retried copy 5
    (5, ["v1", "v2"]),  # IAM's limit: the two oldest go, never the default
])
def test_room_for_the_new_version_and_a_retried_copy(
        held: int, deleted: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert update(held, deleted, monkeypatch) == {"default_version": f"v{held + 1}"}


def test_the_default_version_is_never_deleted(monkeypatch: pytest.MonkeyPatch) -> None:
    with stubbed("iam") as iam:
        provider = on_stub(PolicyProvider(), iam, monkeypatch)
        oldest_default = versions(5)
        oldest_default[0]["IsDefaultVersion"], oldest_default[-1]["IsDefaultVersion"] = True, False
        iam.add_response("list_policy_versions", {"Versions": oldest_default}, {"PolicyArn": ARN})
        for version in ("v2", "v3"):
            iam.add_response("delete_policy_version", {}, {"PolicyArn": ARN, "VersionId": version})
        iam.add_response("create_policy_version", {"PolicyVersion": {"VersionId": "v6"}}, None)
        provider._update(ARN, OLD, NEW)
