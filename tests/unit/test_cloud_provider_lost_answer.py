"""The base provider's rule for a create whose answer was lost: the SDK sent the call again and
the cloud says "already exists". Retried, that is our own earlier attempt: it is found and
adopted. Sent once, it is a collision and stays an error for a provider that looked first.
A provider whose cloud refuses a taken name (`create_refuses_existing`: a log group's) does not
look first: the refusal is its look-up, and what is there is adopted only if it is ours.
A log group's provider against a stubbed client shows each case call by call (the sandbox run
is in test_robust_apply.py).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from govcloud.cloud.logs import LogGroupProvider
from govcloud.cloud.provider import CloudError, is_already_there, retried
from govcloud.errors import GovcloudError
from tests.support.stubbed import on_stub, stubbed

NAME = "/govcloud/foshan-robust/gzw/systems/state-assets"
ARN = f"arn:aws-cn:logs:cn-north-1:123456789012:log-group:{NAME}"
OURS = {"managed-by": "govcloud", "gov:stack": "robust", "gov:department": "gzw"}
PROPS: dict[str, Any] = {"name": NAME, "retention_days": 180, "region": "cn-north-1", "tags": OURS}
EXISTS = {"service_error_code": "ResourceAlreadyExistsException",
          "service_message": "The specified log group already exists"}


@pytest.fixture
def logs() -> Iterator[Stubber]:
    with stubbed("logs") as stubber:
        yield stubber


class LooksFirst(LogGroupProvider):
    """A log group's provider as a provider that looks before it creates (the base's default)."""

    create_refuses_existing = False


def _on_stub(provider: LogGroupProvider, logs: Stubber, monkeypatch: pytest.MonkeyPatch) -> LogGroupProvider:
    monkeypatch.setattr(provider, "account", lambda region: "123456789012")
    return on_stub(provider, logs, monkeypatch)


@pytest.fixture
def provider(logs: Stubber, monkeypatch: pytest.MonkeyPatch) -> LogGroupProvider:
    return _on_stub(LooksFirst(), logs, monkeypatch)


@pytest.fixture
def refused(logs: Stubber, monkeypatch: pytest.MonkeyPatch) -> LogGroupProvider:
    """The log group's own provider: it creates without looking."""
    return _on_stub(LogGroupProvider(), logs, monkeypatch)


def listed(logs: Stubber, *groups: dict[str, Any]) -> None:
    logs.add_response("describe_log_groups", {"logGroups": list(groups)}, {"logGroupNamePrefix": NAME})


def tagged(logs: Stubber, tags: dict[str, str]) -> None:
    logs.add_response("list_tags_for_resource", {"tags": tags}, {"resourceArn": ARN})


def create_fails(logs: Stubber, retries: int) -> None:
    logs.add_client_error("create_log_group", **EXISTS, expected_params={"logGroupName": NAME, "tags": OURS},
                          response_meta={"RetryAttempts": retries})


GROUP = {"logGroupName": NAME, "arn": f"{ARN}:*", "logGroupArn": ARN}


def adopted(logs: Stubber) -> None:
    """The calls of adopting the group after the refused create: it is there and ours, it is
    read, and updated to the retention the earlier attempt never got to set."""
    listed(logs, GROUP)
    tagged(logs, OURS)
    listed(logs, GROUP)  # _read
    tagged(logs, OURS)
    logs.add_response("put_retention_policy", {}, {"logGroupName": NAME, "retentionInDays": 180})


def test_a_retried_already_exists_adopts_what_the_earlier_attempt_made(
        provider: LogGroupProvider, logs: Stubber) -> None:
    listed(logs)  # find_existing: nothing yet
    create_fails(logs, retries=1)  # the first attempt landed, its answer was lost
    adopted(logs)  # found by find_interrupted
    created = provider.create(dict(PROPS))
    assert created.id == NAME
    assert created.outs is not None and created.outs["arn"] == ARN


def test_an_already_exists_to_a_call_sent_once_is_a_collision(provider: LogGroupProvider, logs: Stubber) -> None:
    listed(logs)
    create_fails(logs, retries=0)
    with pytest.raises(CloudError, match="ResourceAlreadyExistsException"):
        provider.create(dict(PROPS))


def test_a_retried_already_exists_with_nothing_of_ours_found_stands(
        provider: LogGroupProvider, logs: Stubber) -> None:
    listed(logs)
    create_fails(logs, retries=2)
    listed(logs)  # gone again (deleted meanwhile): nothing to adopt
    with pytest.raises(CloudError, match="ResourceAlreadyExistsException"):
        provider.create(dict(PROPS))


def test_a_retried_already_exists_of_someone_elses_is_refused(provider: LogGroupProvider, logs: Stubber) -> None:
    listed(logs)
    create_fails(logs, retries=1)
    listed(logs, GROUP)
    tagged(logs, {"owner": "someone-else"})  # made meanwhile, by hand: never adopted
    with pytest.raises(GovcloudError, match="not managed by this stack"):
        provider.create(dict(PROPS))


def test_a_create_that_refuses_taken_names_does_not_look_first(refused: LogGroupProvider, logs: Stubber) -> None:
    logs.add_response("create_log_group", {}, {"logGroupName": NAME, "tags": OURS})
    logs.add_response("put_retention_policy", {}, {"logGroupName": NAME, "retentionInDays": 180})
    created = refused.create(dict(PROPS))  # no describe before, none after: the ARN is known
    assert created.id == NAME
    assert created.outs is not None and created.outs["arn"] == ARN


def test_a_refused_create_adopts_what_is_ours(refused: LogGroupProvider, logs: Stubber) -> None:
    create_fails(logs, retries=0)  # left by a run killed before it recorded the group
    adopted(logs)  # found by find_existing
    created = refused.create(dict(PROPS))
    assert created.id == NAME


def test_a_refused_create_of_someone_elses_name_is_a_collision(refused: LogGroupProvider, logs: Stubber) -> None:
    create_fails(logs, retries=0)
    listed(logs, GROUP)
    tagged(logs, {"owner": "someone-else"})
    with pytest.raises(GovcloudError, match="not managed by this stack"):
        refused.create(dict(PROPS))


def test_a_refused_create_of_a_name_gone_meanwhile_stands(refused: LogGroupProvider, logs: Stubber) -> None:
    create_fails(logs, retries=0)
    listed(logs)  # deleted between the refusal and the look
    with pytest.raises(CloudError, match="ResourceAlreadyExistsException"):
        refused.create(dict(PROPS))


def test_retried_reads_the_attempts_the_sdk_made() -> None:
    assert retried({"ResponseMetadata": {"RetryAttempts": 1}})
    assert not retried({"ResponseMetadata": {"RetryAttempts": 0}})
    assert not retried({})  # a stubbed or hand-made answer without metadata


@pytest.mark.parametrize("code", ["EntityAlreadyExists", "AlreadyExistsException", "BucketAlreadyOwnedByYou",
                                  "InvalidGroup.Duplicate", "InvalidPermission.Duplicate", "DuplicateTargetGroupName",
                                  "ResourceExistsException", "ResourceAlreadyExistsException", "PriorityInUse"])
def test_the_already_there_codes(code: str) -> None:
    assert is_already_there(ClientError({"Error": {"Code": code}}, "Create"))
    assert not is_already_there(ClientError({"Error": {"Code": "Throttling"}}, "Create"))
