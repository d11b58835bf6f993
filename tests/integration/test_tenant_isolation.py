"""A department's role, with the very document the program writes, reaches its own buckets only.

The documents come from the example city's graph (gaj and slj); the roles and buckets are
made by govcloud's providers on a sandbox of the test's own, which then enforces IAM.
The whole applied city under attack is tests/integration/test_iam_attacks.py.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from govcloud.cloud import sandbox
from govcloud.cloud.identity import PolicyProvider, RoleProvider
from govcloud.cloud.storage import BucketProvider
from govcloud.graph import Ref, Target, build_graph
from govcloud.load import load
from tests.integration.cloud_harness import PRIMARY, Lifecycle, governance_tags
from tests.integration.test_iam_support import create_admin, denied, set_auth

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def enforcing_cloud(tmp_path: Path, isolated_aws_env: None) -> Iterator[str]:
    info = sandbox.up(tmp_path / "iam", seed=False, classified=False)  # documents of the extranet's roles
    assert info.endpoint
    try:
        yield info.endpoint
    finally:
        sandbox.down(tmp_path / "iam")  # the process goes, and with it the enforcement


def _without_refs(value: Any) -> Any:
    """The document as the cloud gets it; a key nobody uses stands in for each Ref."""
    if isinstance(value, Ref):
        return f"arn:aws-cn:kms:{PRIMARY}:123456789012:key/{value.node.replace('/', '-')}"
    if isinstance(value, dict):
        return {k: _without_refs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_refs(v) for v in value]
    return value


def test_department_role_reads_only_its_own_buckets(enforcing_cloud: str, unique: Callable[[str], str]) -> None:
    endpoint, stack = enforcing_cloud, unique("t")
    result = load([str(ROOT / "blueprints" / "city.yaml"), str(ROOT / "blueprints" / "departments")])
    assert result.project is not None
    graph = build_graph(result.project, Target.create(stack, {"city-dc-1": PRIMARY, "city-dr-1": sandbox.DR_REGION,
                                                              "city-intranet-1": PRIMARY,
                                                              "city-intranet-dr-1": sandbox.DR_REGION}))
    admin, admin_arn = create_admin(endpoint)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": admin_arn}, "Action": "sts:AssumeRole"}]}
    roles, policies, buckets = (Lifecycle(RoleProvider(endpoint)), Lifecycle(PolicyProvider(endpoint)),
                                Lifecycle(BucketProvider(endpoint)))
    guardrails, _ = policies.create({**_without_refs(dict(graph.node("city/guardrails").inputs)),
                                     "region": PRIMARY})
    arns: dict[str, str] = {}
    names: dict[str, str] = {}
    for department, system in (("gaj", "criminal-cases"), ("slj", "river-monitoring")):
        tags = governance_tags(stack=stack, department=department)
        tenant, _ = policies.create({**_without_refs(dict(graph.node(f"{department}/policy").inputs)),
                                     "region": PRIMARY})
        _, role = roles.create({"name": graph.node(f"{department}/role").inputs["name"], "region": PRIMARY,
                                "assume_role_policy": trust, "managed_policy_arns": [tenant, guardrails],
                                "tags": tags})
        bucket = graph.node(f"{department}/systems/{system}/bucket").inputs
        names[department], _ = buckets.create({"name": bucket["name"], "region": PRIMARY, "versioning": True,
                                               "block_public_access": True, "secure_transport_only": True,
                                               "tags": tags})
        admin.client("s3").put_object(Bucket=names[department], Key="notice.txt", Body=department.encode())
        arns[department] = role["arn"]

    set_auth(endpoint, "0")
    gaj = admin.assume(arns["gaj"], "gaj").client("s3")
    assert gaj.get_object(Bucket=names["gaj"], Key="notice.txt")["Body"].read() == b"gaj"
    for attempt in (lambda: gaj.get_object(Bucket=names["slj"], Key="notice.txt"),
                    lambda: gaj.list_objects_v2(Bucket=names["slj"]),
                    lambda: gaj.put_object(Bucket=names["slj"], Key="x", Body=b"x"),
                    lambda: gaj.delete_bucket_policy(Bucket=names["gaj"]),
                    lambda: gaj.delete_bucket(Bucket=names["gaj"])):
        denied(attempt)
