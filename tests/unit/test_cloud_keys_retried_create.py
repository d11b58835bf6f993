"""A KMS key's create when an answer was lost: CreateKey takes no client token, so a retried
one made a twin, which is scheduled for deletion; a retried CreateAlias whose first attempt
landed finds the alias naming the key and is done. A stubbed client shows the calls.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from govcloud.cloud.keys import KeyProvider
from govcloud.cloud.provider import CloudError
from govcloud.errors import GovcloudError
from tests.support.stubbed import on_stub, stubbed

ALIAS = "alias/govcloud/foshan-robust/gzw/key"
OURS = {"managed-by": "govcloud", "gov:stack": "robust", "gov:department": "gzw"}
PROPS: dict[str, Any] = {"alias": ALIAS, "description": "gzw department key", "rotation": False,
                         "deletion_window_days": 7, "region": "cn-north-1", "tags": OURS}
TAGS = [{"TagKey": k, "TagValue": v} for k, v in sorted(OURS.items())]


def arn(key_id: str) -> str:
    return f"arn:aws-cn:kms:cn-north-1:123456789012:key/{key_id}"


@pytest.fixture
def kms() -> Iterator[Stubber]:
    with stubbed("kms") as stubber:
        yield stubber


@pytest.fixture
def provider(kms: Stubber, monkeypatch: pytest.MonkeyPatch) -> KeyProvider:
    return on_stub(KeyProvider(), kms, monkeypatch)


def aliases(kms: Stubber, *named: tuple[str, str]) -> None:
    kms.add_response("list_aliases", {"Aliases": [{"AliasName": a, "TargetKeyId": k} for a, k in named]}, {})


def create_key(kms: Stubber, key_id: str, retries: int) -> None:
    kms.add_response("create_key", {"KeyMetadata": {"KeyId": key_id, "Arn": arn(key_id)},
                                    "ResponseMetadata": {"RetryAttempts": retries}},
                     {"Description": PROPS["description"], "Tags": TAGS})


def a_key(kms: Stubber, key_id: str) -> None:
    kms.add_response("describe_key", {"KeyMetadata": {
        "KeyId": key_id, "KeyState": "Enabled", "KeyManager": "CUSTOMER", "Description": PROPS["description"]}},
        {"KeyId": key_id})
    kms.add_response("list_resource_tags", {"Tags": TAGS}, {"KeyId": key_id})


def test_a_retried_create_key_schedules_the_twin_its_lost_attempt_made(provider: KeyProvider, kms: Stubber) -> None:
    aliases(kms)  # find_existing: no alias yet
    create_key(kms, "k2", retries=1)  # the first attempt made k1; its answer was lost
    aliases(kms)
    kms.add_response("list_keys", {"Keys": [{"KeyId": "k1"}, {"KeyId": "k2"}]}, {})
    a_key(kms, "k1")
    a_key(kms, "k2")
    kms.add_response("schedule_key_deletion", {}, {"KeyId": "k1", "PendingWindowInDays": 7})
    kms.add_response("create_alias", {}, {"AliasName": ALIAS, "TargetKeyId": "k2"})
    assert provider.create(dict(PROPS)).id == "k2"


def test_a_create_key_sent_once_looks_for_no_twin(provider: KeyProvider, kms: Stubber) -> None:
    aliases(kms)
    create_key(kms, "k1", retries=0)
    kms.add_response("create_alias", {}, {"AliasName": ALIAS, "TargetKeyId": "k1"})
    assert provider.create(dict(PROPS)).id == "k1"


def retried_alias_exists(kms: Stubber, retries: int) -> None:
    kms.add_client_error("create_alias", "AlreadyExistsException", f"An alias with the name {ALIAS} already exists",
                         expected_params={"AliasName": ALIAS, "TargetKeyId": "k1"},
                         response_meta={"RetryAttempts": retries})


def test_a_retried_create_alias_that_landed_is_done(provider: KeyProvider, kms: Stubber) -> None:
    aliases(kms)
    create_key(kms, "k1", retries=0)
    retried_alias_exists(kms, retries=1)
    aliases(kms, (ALIAS, "k1"))  # the alias names our key: the lost attempt made it
    assert provider.create(dict(PROPS)).id == "k1"


def test_an_alias_naming_another_key_is_a_collision(provider: KeyProvider, kms: Stubber) -> None:
    aliases(kms)
    create_key(kms, "k1", retries=0)
    retried_alias_exists(kms, retries=1)
    aliases(kms, (ALIAS, "k9"))  # _create_alias: another key's
    aliases(kms, (ALIAS, "k9"))  # the base's find_interrupted…
    kms.add_response("list_resource_tags", {"Tags": [{"TagKey": "owner", "TagValue": "someone-else"}]},
                     {"KeyId": "k9"})  # …which refuses a key not of this stack
    with pytest.raises(GovcloudError, match="not managed by this stack") as raised:
        provider.create(dict(PROPS))
    assert not isinstance(raised.value, CloudError)  # find_existing's own error, naming the alias
