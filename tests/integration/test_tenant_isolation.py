"""A department's role reaches its own buckets and not another department's.

Runs against its own sandbox process with moto's IAM enforcement switched on (the
server-side form of INITIAL_NO_AUTH_ACTION_COUNT), after the setup ran unauthenticated.
"""
from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from govcloud.cloud import sandbox
from govcloud.cloud.identity import RoleProvider, tenant_policy
from govcloud.cloud.storage import BucketProvider
from tests.integration.cloud_harness import PRIMARY, Lifecycle, governance_tags

pytestmark = pytest.mark.integration


def _set_auth(endpoint: str, unauthenticated_requests: str) -> None:
    """moto authenticates every request after this many more ("inf": never)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth",
                                     data=unauthenticated_requests.encode(), method="POST",
                                     # A form content type would hide the body from moto.
                                     headers={"Content-Type": "text/plain"})
    with opener.open(request, timeout=5) as response:
        assert response.status == 200


@pytest.fixture
def enforcing_cloud(tmp_path: Path, isolated_aws_env: None) -> Iterator[str]:
    info = sandbox.up(tmp_path / "iam", seed=False)
    assert info.endpoint
    try:
        yield info.endpoint
    finally:
        sandbox.down(tmp_path / "iam")  # the process goes, and with it the enforcement


def _s3_as(endpoint: str, credentials: dict[str, str]) -> Any:
    session = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials.get("SessionToken"))
    return session.client("s3", region_name=PRIMARY, endpoint_url=endpoint)


def test_department_role_reads_only_its_own_buckets(enforcing_cloud: str, unique: Callable[[str], str]) -> None:
    endpoint = enforcing_cloud
    plain = boto3.session.Session(aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
    iam = plain.client("iam", region_name=PRIMARY, endpoint_url=endpoint)
    admin = iam.create_user(UserName="city-admin")["User"]
    iam.put_user_policy(UserName="city-admin", PolicyName="all", PolicyDocument=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'))
    key = iam.create_access_key(UserName="city-admin")["AccessKey"]

    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": admin["Arn"]}, "Action": "sts:AssumeRole"}]}
    roles, buckets = Lifecycle(RoleProvider(endpoint)), Lifecycle(BucketProvider(endpoint))
    arns: dict[str, str] = {}
    names: dict[str, str] = {}
    for department in ("gaj", "slj"):
        prefix = f"{department}-{unique('t')}-"
        tags = governance_tags(department=department)
        _, role = roles.create({"name": f"{department}-tenant", "assume_role_policy": trust, "region": PRIMARY,
                                "inline_policies": {"tenant": tenant_policy(department, PRIMARY, prefix)},
                                "tags": tags})
        arns[department] = role["arn"]
        names[department], _ = buckets.create({"name": f"{prefix}docs", "region": PRIMARY, "tags": tags})
        plain.client("s3", region_name=PRIMARY, endpoint_url=endpoint).put_object(
            Bucket=names[department], Key="notice.txt", Body=department.encode())

    _set_auth(endpoint, "0")
    sts = boto3.session.Session(aws_access_key_id=key["AccessKeyId"],
                                aws_secret_access_key=key["SecretAccessKey"]).client(
        "sts", region_name=PRIMARY, endpoint_url=endpoint)
    gaj = _s3_as(endpoint, sts.assume_role(RoleArn=arns["gaj"], RoleSessionName="gaj")["Credentials"])

    own = gaj.get_object(Bucket=names["gaj"], Key="notice.txt")["Body"].read()
    assert own == b"gaj"
    for attempt in (lambda: gaj.get_object(Bucket=names["slj"], Key="notice.txt"),
                    lambda: gaj.list_objects_v2(Bucket=names["slj"]),
                    lambda: gaj.put_object(Bucket=names["slj"], Key="x", Body=b"x")):
        with pytest.raises(ClientError) as denied:
            attempt()
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
    # And credentials nobody issued are refused outright.
    with pytest.raises(ClientError):
        _s3_as(endpoint, {"AccessKeyId": "AKIAFORGED", "SecretAccessKey": "x"}).list_objects_v2(Bucket=names["gaj"])
