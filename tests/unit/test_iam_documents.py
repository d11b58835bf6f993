"""Every IAM document the program writes for the example city, read as the real cloud reads it.

The sandbox cannot evaluate conditions (aws:ResourceTag, kms:EncryptionContext…) nor
resource ARNs outside S3, IAM and SQS, so the documents themselves are checked here: by
rules (no wildcard grants, nothing on shared resources, every action a real one) and by a
small evaluator of identity policies that plays each attack and its positive control.
"""
from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from govcloud.cloud.secretstore import resource_policy
from govcloud.cloud.storage import baseline_policy
from govcloud.graph import Graph, Ref, Target, build_graph
from govcloud.load import load

ROOT = Path(__file__).resolve().parents[2]
TARGET = Target.create("sandbox", {"city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1",
                                   "city-intranet-1": "cn-north-1", "city-intranet-dr-1": "cn-northwest-1"})
ACCOUNT = "111122223333"
PREFIX = "foshan-sandbox"
# S3 permission names that are not API operation names (the service authorization reference).
S3_PERMISSIONS = {
    "AbortMultipartUpload", "BypassGovernanceRetention", "CreateBucket", "DeleteBucket", "DeleteBucketPolicy",
    "DeleteObject", "GetBucketLocation", "GetObject", "GetObjectVersion", "GetObjectVersionAcl",
    "GetObjectVersionForReplication", "GetObjectVersionTagging", "GetReplicationConfiguration", "ListBucket",
    "ListBucketVersions", "ListMultipartUploadParts", "PutAccountPublicAccessBlock", "PutBucketAcl",
    "PutBucketLogging", "PutBucketObjectLockConfiguration", "PutBucketOwnershipControls", "PutBucketPolicy",
    "PutBucketPublicAccessBlock", "PutBucketTagging", "PutBucketVersioning", "PutEncryptionConfiguration",
    "PutLifecycleConfiguration", "PutObject", "PutObjectAcl", "PutObjectVersionAcl",
    "PutReplicationConfiguration", "ReplicateDelete", "ReplicateObject", "ReplicateTags",
}
# IAM prefixes whose actions are the API operations of this botocore service model.
SERVICE_MODELS = {"elasticloadbalancing": "elbv2"}
# Permissions that guard no single API operation of their own.
PERMISSION_ONLY = {"iam:PassRole"}


@pytest.fixture(scope="module")
def graph() -> Graph:
    result = load([str(ROOT / "blueprints" / "city.yaml"), str(ROOT / "blueprints" / "departments")])
    assert result.project is not None
    return build_graph(result.project, TARGET)


def _arn_of(graph: Graph, ref: Ref) -> str:
    """The ARN a Ref would resolve to in an account: what the cloud would see."""
    node = graph.node(ref.node)
    region = node.inputs["region"]
    if node.type == "govcloud:keys:Key":
        return f"arn:aws-cn:kms:{region}:{ACCOUNT}:key/{ref.node.replace('/', '-')}"
    if node.type == "govcloud:secrets:Secret":
        return f"arn:aws-cn:secretsmanager:{region}:{ACCOUNT}:secret:{node.inputs['name']}-AbCdEf"
    if node.type == "govcloud:identity:Policy":
        return f"arn:aws-cn:iam::{ACCOUNT}:policy/{node.inputs['name']}"
    raise AssertionError(f"a policy refers to {ref}")


def _resolved(graph: Graph, value: Any) -> Any:
    if isinstance(value, Ref):
        return _arn_of(graph, value)
    if isinstance(value, Mapping):
        return {k: _resolved(graph, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolved(graph, v) for v in value]
    return value


def policies_of(graph: Graph, node_name: str) -> list[dict[str, Any]]:
    """The identity policies of a role, inline and attached, with Refs resolved."""
    role = graph.node(node_name)
    found = list(role.inputs.get("inline_policies", {}).values())
    for ref in role.inputs.get("managed_policy_arns", []):
        found.append(graph.node(ref.node).inputs["document"])
    return [_resolved(graph, d) for d in found]


def all_documents(graph: Graph) -> Iterator[tuple[str, dict[str, Any]]]:
    for node in graph.of_type("govcloud:identity:Policy"):
        yield node.name, node.inputs["document"]
    for node in graph.of_type("govcloud:identity:Role"):
        for name, document in node.inputs.get("inline_policies", {}).items():
            yield f"{node.name}#{name}", document
        yield f"{node.name}#trust", node.inputs["assume_role_policy"]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- a small evaluator of identity policies (explicit deny > allow > implicit deny) ----------
def _condition_holds(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    for operator, pairs in condition.items():
        for key, expected in pairs.items():
            wanted, actual = [str(v) for v in _listed(expected)], context.get(key)
            if operator == "StringNotEquals":
                held = actual is None or actual not in wanted
            elif operator == "StringNotLike":
                held = actual is None or not any(fnmatch.fnmatchcase(actual, w) for w in wanted)
            elif actual is None:
                held = False  # a key the request does not carry matches no positive operator
            elif operator in ("StringEquals", "ArnEquals", "Bool"):
                held = actual in wanted
            elif operator in ("StringLike", "ArnLike"):
                held = any(fnmatch.fnmatchcase(actual, w) for w in wanted)
            else:
                raise AssertionError(f"the evaluator does not know {operator}")
            if not held:
                return False
    return True


def _applies(statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]) -> bool:
    actions = [a.lower() for a in _listed(statement["Action"])]
    return (any(fnmatch.fnmatchcase(action.lower(), a) for a in actions)
            and any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement["Resource"]))
            and _condition_holds(statement.get("Condition", {}), context))


def evaluate(policies: list[dict[str, Any]], action: str, resource: str,
             context: Mapping[str, str] | None = None) -> str:
    """'deny' (explicit), 'allow', or 'implicit' (no statement grants it)."""
    statements = [s for p in policies for s in p["Statement"]]
    matching = [s for s in statements if _applies(s, action, resource, context or {})]
    if any(s["Effect"] == "Deny" for s in matching):
        return "deny"
    return "allow" if matching else "implicit"


def test_the_evaluator_itself_denies_and_allows() -> None:
    grant = {"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws-cn:s3:::a/*",
                            "Condition": {"StringEquals": {"aws:ResourceTag/t": "x"}}}]}
    assert evaluate([grant], "s3:GetObject", "arn:aws-cn:s3:::a/k", {"aws:ResourceTag/t": "x"}) == "allow"
    assert evaluate([grant], "s3:GetObject", "arn:aws-cn:s3:::a/k", {"aws:ResourceTag/t": "y"}) == "implicit"
    assert evaluate([grant], "s3:GetObject", "arn:aws-cn:s3:::b/k", {"aws:ResourceTag/t": "x"}) == "implicit"
    assert evaluate([grant], "s3:PutObject", "arn:aws-cn:s3:::a/k", {"aws:ResourceTag/t": "x"}) == "implicit"
    deny = {"Statement": [{"Effect": "Deny", "Action": ["s3:GetObject"], "Resource": "*"}]}
    assert evaluate([grant, deny], "s3:GetObject", "arn:aws-cn:s3:::a/k", {"aws:ResourceTag/t": "x"}) == "deny"


# -- rules every document follows -------------------------------------------------------------
def _actions(graph: Graph, *, effect: str) -> Iterator[tuple[str, str]]:
    for name, document in all_documents(graph):
        for statement in document["Statement"]:
            if statement["Effect"] == effect:
                for action in _listed(statement["Action"]):
                    yield name, action


def test_no_grant_is_a_wildcard_and_none_names_its_resources_by_exclusion(graph: Graph) -> None:
    for name, document in all_documents(graph):
        for statement in document["Statement"]:
            assert not {"NotAction", "NotResource", "NotPrincipal"} & set(statement), name
            if statement["Effect"] != "Allow":
                continue
            for action in _listed(statement["Action"]):
                assert "*" not in action and "?" not in action, (name, action)
            if name.endswith("#trust"):
                continue
            for resource in _listed(statement["Resource"]):
                assert resource != "*", (name, statement["Sid"])
                if isinstance(resource, str) and resource.endswith(("instance/*", "key/*")):
                    # A whole resource type is granted only to its tagged members.
                    tags = statement["Condition"]["StringEquals"]
                    assert "aws:ResourceTag/gov:stack" in tags, (name, statement["Sid"])


def test_every_action_is_one_the_cloud_knows(graph: Graph) -> None:
    loader = botocore.session.get_session()
    operations: dict[str, set[str]] = {}
    for _, action in [*_actions(graph, effect="Allow"), *_actions(graph, effect="Deny")]:
        service, _, name = action.partition(":")
        if action in PERMISSION_ONLY:
            continue
        if service == "s3":
            assert name in S3_PERMISSIONS, action
            continue
        if service not in operations:
            model = loader.get_service_model(SERVICE_MODELS.get(service, service))
            operations[service] = set(model.operation_names)
        assert name in operations[service], action


def test_tenant_roles_grant_nothing_on_shared_resources_and_only_their_own(graph: Graph) -> None:
    tenants = [n for n in graph.of_type("govcloud:identity:Role") if n.tags["gov:department"] != "city"]
    # every department role, its role in the classified pool where it has intranet systems (5),
    # and every system's instance role
    assert len(tenants) == 32 + 5 + 62
    for role in tenants:
        code = role.tags["gov:department"]
        own = (f"arn:aws-cn:s3:::{PREFIX}-{code}-", f"log-group:/govcloud/{PREFIX}/{code}/",
               f":{PREFIX}-{code}--mailbox", ":instance/*", f"key/{code}-key", f"key/{code}-classified-key",
               f"secret:govcloud/{PREFIX}/{code}/")
        for document in policies_of(graph, role.name):
            for statement in document["Statement"]:
                if statement["Effect"] != "Allow":
                    continue
                for resource in _listed(statement["Resource"]):
                    assert f"{PREFIX}-city-" not in resource, (role.name, resource)
                    if resource.endswith("key/city-key"):
                        # The platform's key, only where the context names the tenant's own data.
                        context = statement["Condition"]["StringLike"]
                        assert [k for k in context if k.startswith("kms:EncryptionContext:aws:")], role.name
                        values = itertools.chain(*context.values())
                        assert all(any(part in v for part in own) for v in values), role.name
                        continue
                    assert any(part in resource for part in own), (role.name, resource)
                if any(str(r).endswith(":instance/*") for r in _listed(statement["Resource"])):
                    assert statement["Condition"]["StringEquals"]["aws:ResourceTag/gov:department"] == code
        guardrails = [r.node for r in role.inputs["managed_policy_arns"]]
        # each pool's own guardrails: the classified pool's roles never name the extranet's
        expected = "city/classified/guardrails" if role.inputs.get("pool") == "classified" else "city/guardrails"
        assert guardrails.count(expected) == 1, role.name
    # The data-centre's own DR roles carry no guardrail: they are the ones that replicate.
    assert "managed_policy_arns" not in graph.node("city/replication-role").inputs
    assert "managed_policy_arns" not in graph.node("city/classified/replication-role").inputs


def test_no_tenant_may_describe_anything(graph: Graph) -> None:
    # Describe* cannot be confined to a tenant's resources, and DescribeInstanceAttribute shows user data.
    described = [(n, a) for n, a in _actions(graph, effect="Allow") if ":Describe" in a and "Secret" not in a
                 and "LogStreams" not in a and "DescribeKey" not in a]
    assert described == []


# -- the attacks, each with its positive control ---------------------------------------------
GAJ_BUCKET = f"arn:aws-cn:s3:::{PREFIX}-gaj-criminal-cases"
SLJ_BUCKET = f"arn:aws-cn:s3:::{PREFIX}-slj-river-monitoring"
GAJ_OA = f"arn:aws-cn:s3:::{PREFIX}-gaj--oa"
GAJ_LOG = f"arn:aws-cn:logs:cn-north-1:{ACCOUNT}:log-group:/govcloud/{PREFIX}/gaj/systems/criminal-cases"
INSTANCE = f"arn:aws-cn:ec2:cn-north-1:{ACCOUNT}:instance/i-0123456789abcdef0"
RULE = f"arn:aws-cn:elasticloadbalancing:cn-north-1:{ACCOUNT}:listener-rule/app/{PREFIX}-city-site/1/2/3"
LISTENER = f"arn:aws-cn:elasticloadbalancing:cn-north-1:{ACCOUNT}:listener/app/{PREFIX}-city-site/1/2"
ZONE = "arn:aws-cn:route53:::hostedzone/Z123"
GAJ_TAGS = {"aws:ResourceTag/gov:department": "gaj", "aws:ResourceTag/gov:stack": "sandbox"}
SLJ_TAGS = {"aws:ResourceTag/gov:department": "slj", "aws:ResourceTag/gov:stack": "sandbox"}

ATTACKS = [  # (what, action, resource, request context, the answer)
    ("reads its own objects", "s3:GetObject", f"{GAJ_BUCKET}/a.pdf", {}, "allow"),
    ("reads another department's objects", "s3:GetObject", f"{SLJ_BUCKET}/a.pdf", {}, "implicit"),
    ("lists another department's bucket", "s3:ListBucket", SLJ_BUCKET, {}, "implicit"),
    ("deletes its off-site replication", "s3:PutReplicationConfiguration", GAJ_BUCKET, {}, "deny"),
    ("switches off its encryption", "s3:PutEncryptionConfiguration", GAJ_BUCKET, {}, "deny"),
    ("makes its OA documents public by policy", "s3:PutBucketPolicy", GAJ_OA, {}, "deny"),
    ("lifts its public-access block", "s3:PutBucketPublicAccessBlock", GAJ_OA, {}, "deny"),
    ("makes an object public by ACL", "s3:PutObjectAcl", f"{GAJ_OA}/a.pdf", {}, "deny"),
    ("suspends versioning", "s3:PutBucketVersioning", GAJ_BUCKET, {}, "deny"),
    ("creates a bucket under its prefix", "s3:CreateBucket", f"arn:aws-cn:s3:::{PREFIX}-gaj-shadow", {}, "deny"),
    ("writes its audit log", "logs:PutLogEvents", f"{GAJ_LOG}:log-stream:app", {}, "allow"),
    ("deletes its audit log group", "logs:DeleteLogGroup", GAJ_LOG, {}, "deny"),
    ("shortens its log retention", "logs:PutRetentionPolicy", GAJ_LOG, {}, "deny"),
    ("reads any instance's user data", "ec2:DescribeInstanceAttribute", INSTANCE, {}, "deny"),
    ("lists every instance", "ec2:DescribeInstances", "*", {}, "implicit"),
    ("restarts its own machine", "ec2:RebootInstances", INSTANCE, GAJ_TAGS, "allow"),
    ("stops another department's machine", "ec2:StopInstances", INSTANCE, SLJ_TAGS, "implicit"),
    ("retags a machine to pass as its own", "ec2:CreateTags", INSTANCE, SLJ_TAGS, "deny"),
    ("rewires its host rule on the city listener", "elasticloadbalancing:ModifyRule", RULE, GAJ_TAGS, "deny"),
    ("deletes the portal's rule", "elasticloadbalancing:DeleteRule", RULE, {}, "deny"),
    ("changes the shared listener", "elasticloadbalancing:ModifyListener", LISTENER, {}, "deny"),
    ("adds a host rule of its own", "elasticloadbalancing:CreateRule", LISTENER, {}, "deny"),
    ("repoints the city's DNS", "route53:ChangeResourceRecordSets", ZONE, {}, "deny"),
    ("reads a database admin password", "secretsmanager:GetSecretValue",
     f"arn:aws-cn:secretsmanager:cn-north-1:{ACCOUNT}:secret:govcloud/{PREFIX}/gaj/criminal-cases/db-admin-AbCdEf",
     {}, "implicit"),
]


@pytest.mark.parametrize(("what", "action", "resource", "context", "answer"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_a_department_role_against_each_attack(graph: Graph, what: str, action: str, resource: str,
                                               context: dict[str, str], answer: str) -> None:
    assert evaluate(policies_of(graph, "gaj/role"), action, resource, context) == answer, what


def test_a_department_uses_its_key_only_for_its_own_buckets(graph: Graph) -> None:
    policies, key = policies_of(graph, "gaj/role"), _arn_of(graph, Ref("gaj/key", "arn"))
    own = {"kms:EncryptionContext:aws:s3:arn": GAJ_BUCKET}
    assert evaluate(policies, "kms:Decrypt", key, own) == "allow"
    assert evaluate(policies, "kms:Decrypt", key, {"kms:EncryptionContext:aws:s3:arn": SLJ_BUCKET}) == "implicit"
    secret = _arn_of(graph, Ref("gaj/systems/criminal-cases/db-admin", "arn"))
    assert evaluate(policies, "kms:Decrypt", key, {"kms:EncryptionContext:SecretARN": secret}) == "implicit"
    assert evaluate(policies, "kms:ScheduleKeyDeletion", key, own) == "deny"
    assert evaluate(policies, "kms:Decrypt", _arn_of(graph, Ref("slj/key", "arn")), {
        "kms:EncryptionContext:aws:s3:arn": SLJ_BUCKET}) == "implicit"


def test_a_department_uses_the_platform_key_only_for_its_own_documents_and_mailbox(graph: Graph) -> None:
    policies, key = policies_of(graph, "gaj/role"), _arn_of(graph, Ref("city/key", "arn"))
    mailbox = f"arn:aws-cn:sqs:cn-north-1:{ACCOUNT}:{PREFIX}-gaj--mailbox"
    assert evaluate(policies, "kms:GenerateDataKey", key, {"kms:EncryptionContext:aws:s3:arn": GAJ_OA}) == "allow"
    assert evaluate(policies, "kms:Decrypt", key, {"kms:EncryptionContext:aws:sqs:arn": mailbox}) == "allow"
    assert evaluate(policies, "kms:Decrypt", key, {
        "kms:EncryptionContext:aws:s3:arn": f"arn:aws-cn:s3:::{PREFIX}-slj--oa"}) == "implicit"
    assert evaluate(policies, "kms:Decrypt", key, {
        "kms:EncryptionContext:aws:s3:arn": f"arn:aws-cn:s3:::{PREFIX}-city-oa-documents"}) == "implicit"
    assert evaluate(policies, "kms:Encrypt", key, {"kms:EncryptionContext:aws:s3:arn": GAJ_OA}) == "implicit"
    assert evaluate(policies, "kms:DisableKey", key) == "deny"


def test_only_the_systems_own_machines_read_its_admin_secret(graph: Graph) -> None:
    system = "gaj/systems/criminal-cases"
    own = policies_of(graph, f"{system}/instance-role")
    other = policies_of(graph, "slj/systems/river-monitoring/instance-role")
    secret = _arn_of(graph, Ref(f"{system}/db-admin", "arn"))
    key = _arn_of(graph, Ref("gaj/classified/key", "arn"))  # criminal-cases is classified
    context = {"kms:EncryptionContext:SecretARN": secret}
    assert evaluate(own, "secretsmanager:GetSecretValue", secret) == "allow"
    assert evaluate(own, "kms:Decrypt", key, context) == "allow"
    assert evaluate(other, "secretsmanager:GetSecretValue", secret) == "implicit"
    assert evaluate(other, "kms:Decrypt", key, context) == "implicit"
    sibling = _arn_of(graph, Ref("gaj/systems/household-registry/db-admin", "arn"))
    assert evaluate(own, "secretsmanager:GetSecretValue", sibling) == "implicit"
    assert evaluate(own, "kms:Decrypt", key, {"kms:EncryptionContext:SecretARN": sibling}) == "implicit"
    assert evaluate(own, "secretsmanager:PutSecretValue", secret) == "deny"
    assert evaluate(own, "ec2:DescribeInstanceAttribute", INSTANCE) == "deny"


def test_the_secret_itself_refuses_every_reader_but_its_systems_machines(graph: Graph) -> None:
    system = "gaj/systems/criminal-cases"
    policy = resource_policy(graph.node(f"{system}/db-admin").inputs["readers"])
    secret = _arn_of(graph, Ref(f"{system}/db-admin", "arn"))
    own = f"arn:aws-cn:iam::{ACCOUNT}:role/{graph.node(f'{system}/instance-role').inputs['name']}"
    department = f"arn:aws-cn:iam::{ACCOUNT}:role/{graph.node('gaj/role').inputs['name']}"
    sibling_role = graph.node("gaj/systems/household-registry/instance-role").inputs["name"]
    sibling = f"arn:aws-cn:iam::{ACCOUNT}:role/{sibling_role}"
    read = "secretsmanager:GetSecretValue"
    assert evaluate([policy], read, secret, {"aws:PrincipalArn": own}) == "implicit"  # its grant decides
    for stranger in (department, sibling, f"arn:aws-cn:iam::{ACCOUNT}:user/operator"):
        assert evaluate([policy], read, secret, {"aws:PrincipalArn": stranger}) == "deny", stranger


def test_every_bucket_refuses_plain_http_and_strangers() -> None:
    bucket = GAJ_OA
    denied = baseline_policy(bucket, ACCOUNT)
    tls_inside = {"aws:SecureTransport": "true", "aws:PrincipalAccount": ACCOUNT}
    assert evaluate([denied], "s3:GetObject", f"{bucket}/a.pdf", tls_inside) == "implicit"
    assert evaluate([denied], "s3:GetObject", f"{bucket}/a.pdf",
                    {"aws:SecureTransport": "false", "aws:PrincipalAccount": ACCOUNT}) == "deny"
    assert evaluate([denied], "s3:GetObject", f"{bucket}/a.pdf", {"aws:SecureTransport": "true"}) == "deny"
    assert evaluate([denied], "s3:PutObject", f"{bucket}/a.pdf",
                    {"aws:SecureTransport": "true", "aws:PrincipalAccount": "999999999999"}) == "deny"


def test_the_graph_asks_every_bucket_for_its_controls(graph: Graph) -> None:
    for node in graph.of_type("govcloud:storage:Bucket"):
        assert node.inputs["block_public_access"] is True and node.inputs["secure_transport_only"] is True, node.name


def test_the_admin_secret_is_named_for_a_re_run_to_find_it(graph: Graph) -> None:
    names = [n.inputs["name"] for n in graph.of_type("govcloud:secrets:Secret")]
    assert len(names) == len(set(names)) == 62
    assert all(n.startswith(f"govcloud/{PREFIX}/") and n.endswith("/db-admin") for n in names)
