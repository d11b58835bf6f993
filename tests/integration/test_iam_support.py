"""Shared by the IAM tests on the sandbox: IAM enforcement, the data-centre's admin, roles' sessions.

No tests here. moto's server enforces IAM once `reset-auth` says so (the server-side form of
INITIAL_NO_AUTH_ACTION_COUNT): every request after that must be signed by credentials IAM
issued, and is allowed only as the caller's identity policies say.
"""
from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from govcloud.cloud import sandbox

PRIMARY = sandbox.PRIMARY_REGION
ADMIN = "city-datacentre-admin"
_PATH_STYLE = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
DENIED = ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")
# 403s that mean the credentials are bad, not that the policy refused.
NOT_A_REFUSAL = ("SignatureDoesNotMatch", "InvalidClientTokenId", "InvalidAccessKeyId", "InvalidToken")


def set_auth(endpoint: str, unauthenticated_requests: str) -> None:
    """moto authenticates every request after this many more ("inf": never)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth",
                                     data=unauthenticated_requests.encode(), method="POST",
                                     # A form content type would hide the body from moto.
                                     headers={"Content-Type": "text/plain"})
    with opener.open(request, timeout=5) as response:
        assert response.status == 200


@dataclass(frozen=True)
class Principal:
    """Clients that sign with one identity's credentials."""

    endpoint: str
    credentials: dict[str, str]

    def client(self, service: str, region: str = PRIMARY) -> Any:
        session = boto3.session.Session(
            aws_access_key_id=self.credentials["AccessKeyId"],
            aws_secret_access_key=self.credentials["SecretAccessKey"],
            aws_session_token=self.credentials.get("SessionToken"))
        return session.client(service, region_name=region, endpoint_url=self.endpoint, config=_PATH_STYLE)

    def assume(self, role_arn: str, session: str) -> Principal:
        issued = self.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session)["Credentials"]
        return Principal(self.endpoint, issued)


def create_admin(endpoint: str) -> tuple[Principal, str]:
    """The data-centre team's administrator (everything allowed), made while nothing is enforced."""
    plain = boto3.session.Session(aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
    iam = plain.client("iam", region_name=PRIMARY, endpoint_url=endpoint)
    user = iam.create_user(UserName=ADMIN)["User"]
    iam.put_user_policy(UserName=ADMIN, PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=ADMIN)["AccessKey"]
    return Principal(endpoint, {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}), \
        str(user["Arn"])


def let_admin_assume(iam: Any, role_name: str, admin_arn: str) -> None:
    """Stand in for EC2 handing a machine its role: the admin may assume it too.

    One statement with both principals: the sandbox reads only the AWS principal of each.
    """
    trust = json.loads(json.dumps(iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]))
    service = trust["Statement"][0]["Principal"]["Service"]
    iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": service, "AWS": admin_arn}}]}))


def denied(call: Callable[[], Any]) -> str:
    """The error code of a call that must be refused for lack of permission."""
    with pytest.raises(ClientError) as refused:
        call()
    response = refused.value.response
    code = str(response["Error"].get("Code"))
    # Some services of the sandbox answer a refusal with a bare 403 and no code botocore can read.
    refusal = code in DENIED or (response["ResponseMetadata"]["HTTPStatusCode"] == 403
                                 and code not in NOT_A_REFUSAL)
    assert refusal, response["Error"]
    return code
