"""A bucket's create, call by call against a stubbed S3: outside us-east-1 the cloud refuses a
name the account holds (BucketAlreadyOwnedByYou), so a create does not look first; in us-east-1
a create of such a name succeeds, so it looks first. ACLs are off from the first call."""
from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from govcloud.cloud.provider import CloudError
from govcloud.cloud.storage import BucketProvider
from govcloud.errors import GovcloudError
from tests.support.stubbed import on_stub, stubbed

OURS = {"managed-by": "govcloud", "gov:stack": "sandbox", "gov:department": "gaj"}
PROPS: dict[str, Any] = {"name": "foshan-gaj-docs", "region": "cn-north-1", "tags": OURS, "versioning": False,
                         "block_public_access": True, "secure_transport_only": False, "force_destroy": False}


def _provider(s3: Stubber, monkeypatch: pytest.MonkeyPatch) -> BucketProvider:
    monkeypatch.setattr(BucketProvider, "account", lambda self, region: "123456789012")
    return on_stub(BucketProvider(), s3, monkeypatch)


def _made(s3: Stubber, region: str) -> None:
    args: dict[str, Any] = {"Bucket": PROPS["name"], "ObjectOwnership": "BucketOwnerEnforced"}
    if region != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.add_response("create_bucket", {}, args)
    s3.add_response("put_bucket_tagging", {}, None)
    s3.add_response("put_public_access_block", {}, None)  # no ownership call: set by the create


def test_outside_us_east_1_a_create_does_not_look_first(monkeypatch: pytest.MonkeyPatch) -> None:
    with stubbed("s3") as s3:
        _made(s3, "cn-north-1")
        created = _provider(s3, monkeypatch).create(dict(PROPS))
    assert created.id == PROPS["name"]


def test_in_us_east_1_a_create_looks_first(monkeypatch: pytest.MonkeyPatch) -> None:
    with stubbed("s3") as s3:
        s3.add_client_error("head_bucket", "404", http_status_code=404, expected_params={"Bucket": PROPS["name"]})
        _made(s3, "us-east-1")
        _provider(s3, monkeypatch).create({**PROPS, "region": "us-east-1"})


def test_a_refused_name_not_ours_is_a_collision(monkeypatch: pytest.MonkeyPatch) -> None:
    # (one of ours is adopted: test_cloud_storage.py shows it on the sandbox)
    with stubbed("s3") as s3:
        s3.add_client_error("create_bucket", "BucketAlreadyOwnedByYou", http_status_code=409)
        s3.add_response("head_bucket", {}, {"Bucket": PROPS["name"]})  # find_existing: the account's…
        s3.add_client_error("get_bucket_tagging", "NoSuchTagSet", http_status_code=404)  # …but not this stack's
        with pytest.raises(GovcloudError, match="already exists and is not managed by this stack"):
            _provider(s3, monkeypatch).create(dict(PROPS))


def test_another_accounts_name_is_the_clouds_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with stubbed("s3") as s3:
        s3.add_client_error("create_bucket", "BucketAlreadyExists", http_status_code=409)
        with pytest.raises(CloudError, match="BucketAlreadyExists"):
            _provider(s3, monkeypatch).create(dict(PROPS))
