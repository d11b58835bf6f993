"""The sandbox cloud answers concurrent requests as a real cloud does: each one whole, never
an internal error because another request changed what it was reading.

moto's IAM backend finds a role by iterating every role, and deletes one after iterating
every instance profile, while another request may be adding one; unserialised, the
iteration fails ("dictionary changed size during iteration") and the caller gets an HTTP
500 whose HTML body botocore cannot parse, so it is not retried. An apply of the example
city on a loaded machine met exactly that. Hundreds of roles (a city's worth) make the
iterations long enough for the requests to meet.
"""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.config import Config

from govcloud.cloud import clients
from tests.integration.cloud_harness import PRIMARY

pytestmark = pytest.mark.integration

WORKERS, ROUNDS, STANDING = 16, 20, 400
# No retries: a 500 must be seen, not hidden by the SDK.
_NO_RETRY = Config(retries={"mode": "standard", "max_attempts": 1}, max_pool_connections=WORKERS)


def test_concurrent_iam_creates_and_deletes_never_fail_inside_the_cloud(sandbox_endpoint: str) -> None:
    import boto3

    iam = boto3.client("iam", region_name=PRIMARY, endpoint_url=sandbox_endpoint, config=_NO_RETRY,
                       aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    start = threading.Barrier(WORKERS)
    clients.reset()
    with ThreadPoolExecutor(8) as pool:  # the standing roles and profiles a city holds
        list(pool.map(lambda n: (iam.create_role(RoleName=f"standing-{n}", AssumeRolePolicyDocument=trust),
                                 iam.create_instance_profile(InstanceProfileName=f"standing-{n}")),
                      range(STANDING)))

    def churn(worker: int) -> list[str]:
        start.wait()
        failures = []
        for round_ in range(ROUNDS):
            role, profile = f"churn-{worker}-{round_}", f"churn-profile-{worker}-{round_}"
            try:
                iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
                iam.create_instance_profile(InstanceProfileName=profile)
                iam.get_role(RoleName=role)  # found by iterating every role
                iam.list_instance_profiles_for_role(RoleName=role)  # every profile
                iam.delete_instance_profile(InstanceProfileName=profile)
                iam.delete_role(RoleName=role)
            except Exception as error:  # noqa: BLE001 - every failure is collected and shown
                failures.append(f"{role}: {type(error).__name__}: {str(error)[:200]}")
        return failures

    with ThreadPoolExecutor(WORKERS) as pool:
        failures = [f for batch in pool.map(churn, range(WORKERS)) for f in batch]
    assert not failures, f"{len(failures)} of {WORKERS * ROUNDS * 6} calls failed:\n" + "\n".join(failures[:10])
    names = {r["RoleName"] for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]}
    assert not {n for n in names if n.startswith("churn-")}
    for n in range(STANDING):
        iam.delete_instance_profile(InstanceProfileName=f"standing-{n}")
        iam.delete_role(RoleName=f"standing-{n}")
