"""The city's IAM documents: tenant isolation, the guardrails, system instance roles (pure).

Rules every document here follows (tests/unit/test_iam_documents.py checks each of them on
the example city):
- an Allow names its actions one by one: never `*`, never `service:*`, never a `Describe*`;
- an Allow names its resources: ARNs built from the city's naming rules (a department's
  buckets, queue and log groups all start with its own prefix), Refs to the exact resource
  (keys, secrets), or instance ARNs confined by the `gov:department` and `gov:stack` tags;
- EC2's Describe calls cannot be confined to resources (the cloud only accepts `*` for them),
  and DescribeInstanceAttribute shows any instance's user data, so tenants get none of them;
- what the data-centre team owns is denied to every tenant role by the guardrails: shared
  platform resources (listener, load balancer, hosted zone, DR role, keys) and the controls
  the policies require (replication, encryption, public-access block, bucket policy,
  versioning, retention, log groups, tags). An explicit Deny wins over any Allow, so no
  policy attached later can hand them back.

The graph does not know the cloud account: ARNs that are not Refs use `*` for it. Names are
unique per city and stack, and another account's resources need grants of their own there.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from govcloud.graph.context import Builder
from govcloud.graph.desired import Ref
from govcloud.graph.names import CITY
from govcloud.model import Department, System

VERSION = "2012-10-17"
# Service principals end in amazonaws.com in every partition, aws-cn included, except for the few
# services that use the partition's own suffix there (in aws-cn: codedeploy, elasticmapreduce and
# logs, see cloud/keys.py), as the AWS CDK's region facts and the AWS provider's
# `aws_service_principal` data source record.
# The department's workloads and its systems' machines run as roles EC2 assumes.
EC2_PRINCIPAL = "ec2.amazonaws.com"
# S3 itself assumes the replication role when it copies objects off-site.
S3_PRINCIPAL = "s3.amazonaws.com"

OBJECT_ACTIONS = ("s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion",
                  "s3:ListMultipartUploadParts", "s3:PutObject")
BUCKET_READ_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketVersions")
MAILBOX_ACTIONS = ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                   "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage")
LOG_WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
LOG_READ_ACTIONS = ("logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents")
KEY_USE_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
DATA_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
INSTANCE_OPERATIONS = ("ec2:RebootInstances", "ec2:StartInstances", "ec2:StopInstances")
SECRET_READ_ACTIONS = ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue")

# Denied to every tenant role: the data-centre team's controls and the shared platform.
GUARDED_ACTIONS: dict[str, tuple[str, ...]] = {
    "DataCentreBucketControls": (
        "s3:BypassGovernanceRetention", "s3:CreateBucket", "s3:DeleteBucket", "s3:DeleteBucketPolicy",
        "s3:PutAccountPublicAccessBlock", "s3:PutBucketAcl", "s3:PutBucketLogging",
        "s3:PutBucketObjectLockConfiguration", "s3:PutBucketOwnershipControls", "s3:PutBucketPolicy",
        "s3:PutBucketPublicAccessBlock", "s3:PutBucketTagging", "s3:PutBucketVersioning",
        "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration", "s3:PutObjectAcl",
        "s3:PutObjectVersionAcl", "s3:PutReplicationConfiguration",
    ),
    "DataCentreLogControls": (
        "logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteLogStream",
        "logs:DeleteRetentionPolicy", "logs:DisassociateKmsKey", "logs:PutRetentionPolicy",
        "logs:TagLogGroup", "logs:TagResource", "logs:UntagLogGroup", "logs:UntagResource",
    ),
    "DataCentreKeys": (
        "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:DeleteAlias",
        "kms:DisableKey", "kms:DisableKeyRotation", "kms:PutKeyPolicy", "kms:ReplicateKey",
        "kms:RetireGrant", "kms:RevokeGrant", "kms:ScheduleKeyDeletion", "kms:TagResource",
        "kms:UntagResource", "kms:UpdateAlias", "kms:UpdateKeyDescription",
    ),
    "SharedSitePlatform": (
        "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:AddTags",
        "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateRule", "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:DeleteRule", "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:ModifyRule",
        "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:RegisterTargets",
        "elasticloadbalancing:RemoveListenerCertificates", "elasticloadbalancing:RemoveTags",
        "elasticloadbalancing:SetRulePriorities", "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets",
        "route53:AssociateVPCWithHostedZone", "route53:ChangeResourceRecordSets",
        "route53:ChangeTagsForResource", "route53:CreateHostedZone", "route53:DeleteHostedZone",
        "route53:DisassociateVPCFromHostedZone",
        "acm:DeleteCertificate", "acm:ImportCertificate", "acm:RequestCertificate",
    ),
    "DataCentreIdentity": (
        "iam:AddRoleToInstanceProfile", "iam:AttachRolePolicy", "iam:CreatePolicyVersion",
        "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
        "iam:PassRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
        "iam:RemoveRoleFromInstanceProfile", "iam:SetDefaultPolicyVersion", "iam:TagRole",
        "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "sts:AssumeRole",
    ),
    "DataCentreSecrets": (
        "secretsmanager:CancelRotateSecret", "secretsmanager:CreateSecret", "secretsmanager:DeleteResourcePolicy",
        "secretsmanager:DeleteSecret", "secretsmanager:PutResourcePolicy", "secretsmanager:PutSecretValue",
        "secretsmanager:RemoveRegionsFromReplication", "secretsmanager:ReplicateSecretToRegions",
        "secretsmanager:RestoreSecret", "secretsmanager:RotateSecret", "secretsmanager:TagResource",
        "secretsmanager:UntagResource", "secretsmanager:UpdateSecret",
        "secretsmanager:UpdateSecretVersionStage",
    ),
    # User data, console output and launch templates can carry what a machine was given at boot.
    "MachineInternals": (
        "ec2:AssociateIamInstanceProfile", "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateTags", "ec2:DeleteTags", "ec2:DeleteVolume",
        "ec2:DescribeInstanceAttribute", "ec2:DescribeLaunchTemplateVersions",
        "ec2:DetachVolume", "ec2:DisassociateIamInstanceProfile", "ec2:GetConsoleOutput",
        "ec2:GetConsoleScreenshot", "ec2:GetLaunchTemplateData", "ec2:ModifyInstanceAttribute",
        "ec2:ReplaceIamInstanceProfileAssociation", "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress", "ec2:RunInstances", "ec2:TerminateInstances",
    ),
}


def department_key(code: str, systems: Iterable[System]) -> str | None:
    """The node of the department's own key, if `systems` (those of department `code` outside
    the classified pool) need one: encrypted systems and databases' admin secrets do."""
    if any(s.encryption or s.database is not None for s in systems):
        return f"{code}/key"
    return None


def assume_role(service: str) -> dict[str, Any]:
    return {
        "Version": VERSION,
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def _arn(b: Builder, service: str, resource: str, *, region: str | None = None) -> str:
    return f"arn:{b.target.partition}:{service}:{region or b.primary}:*:{resource}"


def role_arn(b: Builder, name: str) -> str:
    """A role's ARN by its name (the role refers to the secret, so the secret cannot refer back)."""
    return f"arn:{b.target.partition}:iam::*:role/{name}"


def _s3(b: Builder, name: str) -> str:
    return f"arn:{b.target.partition}:s3:::{name}"


def _allow(sid: str, actions: tuple[str, ...], resources: list[Any], condition: dict[str, Any] | None = None
           ) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def log_group_scope(b: Builder, code: str) -> str:
    """The name prefix of every log group of department `code` (its systems' are under it)."""
    return f"{b.names.log_group(code)}/"


def mailbox_name(b: Builder, code: str) -> str:
    return b.names.queue(*b.names.own(code, "mailbox"))


def secret_name(b: Builder, code: str, system: str) -> str:
    """`govcloud/<city>-<stack>/<department>/<system>/db-admin`: a re-run finds it by this name."""
    return f"govcloud/{b.names.prefix}/{code}/{system}/db-admin"


def tenant_policy(b: Builder, department: Department, key: str | None, platform_key: str,
                  *, region: str | None = None) -> dict[str, Any]:
    """A department's role: its own buckets' objects, mailbox, audit logs, key and machines.

    Its OA documents and mailbox live on the shared platform, encrypted with the platform's
    key: it may use that key only where the encryption context names its own bucket or queue.
    `region`: the primary site of the role's pool (default: the datacentre's).
    """
    code = department.code
    buckets = _s3(b, f"{b.names.bucket_scope(code)}*")
    logs = _arn(b, "logs", f"log-group:{log_group_scope(b, code)}*", region=region)
    statements = [
        _allow("OwnBucketObjects", OBJECT_ACTIONS, [f"{buckets}/*"]),
        _allow("OwnBucketListings", BUCKET_READ_ACTIONS, [buckets]),
        _allow("OwnAuditLogs", LOG_WRITE_ACTIONS + LOG_READ_ACTIONS, [logs]),
        # Start, stop and reboot take an instance ARN and honour its tags: only its own machines.
        _allow("OwnMachines", INSTANCE_OPERATIONS, [_arn(b, "ec2", "instance/*", region=region)],
               {"StringEquals": {"aws:ResourceTag/gov:department": code,
                                 "aws:ResourceTag/gov:stack": b.target.stack}}),
    ]
    if department.oa is not None:
        statements.append(_allow("PlatformKeyForOwnDocuments", DATA_KEY_ACTIONS, [Ref(platform_key, "arn")],
                                 {"StringLike": {"kms:EncryptionContext:aws:s3:arn": [buckets, f"{buckets}/*"]}}))
    if department.oa is not None and department.oa.document_exchange:
        mailbox = _arn(b, "sqs", mailbox_name(b, code))
        statements.append(_allow("OwnMailbox", MAILBOX_ACTIONS, [mailbox]))
        statements.append(_allow("PlatformKeyForOwnMailbox", DATA_KEY_ACTIONS, [Ref(platform_key, "arn")],
                                 {"StringLike": {"kms:EncryptionContext:aws:sqs:arn": [mailbox]}}))
    if key is not None:
        # The key only for S3 objects of its own buckets (SSE-KMS names the bucket in the context).
        statements.append(_allow("OwnKeyForOwnBuckets", KEY_USE_ACTIONS, [Ref(key, "arn")],
                                 {"StringLike": {"kms:EncryptionContext:aws:s3:arn": [buckets, f"{buckets}/*"]}}))
    return {"Version": VERSION, "Statement": statements}


def instance_policy(b: Builder, bucket_name: str, log_group: str, key: str | None,
                    secret: str | None, *, region: str | None = None) -> dict[str, Any]:
    """A system's machines: its own bucket and audit log, and its database admin secret."""
    bucket = _s3(b, bucket_name)
    logs = _arn(b, "logs", f"log-group:{log_group}", region=region)
    statements = [
        _allow("SystemBucketObjects", OBJECT_ACTIONS, [f"{bucket}/*"]),
        _allow("SystemBucketListing", BUCKET_READ_ACTIONS, [bucket]),
        _allow("SystemAuditLog", LOG_WRITE_ACTIONS, [logs, f"{logs}:log-stream:*"]),
    ]
    if secret is not None:
        statements.append(_allow("ReadAdminSecret", SECRET_READ_ACTIONS, [Ref(secret, "arn")]))
        if key is not None:
            # The store decrypts with the caller's rights; the context names this one secret.
            statements.append(_allow("DecryptAdminSecret", ("kms:Decrypt",), [Ref(key, "arn")],
                                     {"StringEquals": {"kms:EncryptionContext:SecretARN": Ref(secret, "arn")}}))
    return {"Version": VERSION, "Statement": statements}


def guardrail_policy() -> dict[str, Any]:
    """Attached to every tenant role: what only the data-centre team may do."""
    return {
        "Version": VERSION,
        "Statement": [{"Sid": sid, "Effect": "Deny", "Action": sorted(actions), "Resource": "*"}
                      for sid, actions in GUARDED_ACTIONS.items()],
    }


def replication_policy(b: Builder, pool: str | None = None) -> dict[str, Any]:
    """The DR role: read the stack's buckets, write their off-site copies, with the stack's keys.

    The keys are confined by their `gov:stack` tag rather than listed, so that a new
    department (with a key of its own) changes no city-level document. Each pool has its
    own role, account and sites (`pool`: None for the extranet's).
    """
    buckets = _s3(b, f"{b.names.prefix}-*")
    copies = _s3(b, f"{b.names.bucket(CITY, 'dr')}-*")
    return {
        "Version": VERSION,
        "Statement": [
            _allow("ReadSource", ("s3:GetReplicationConfiguration", "s3:ListBucket"), [buckets]),
            _allow("ReadVersions", ("s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication",
                                    "s3:GetObjectVersionTagging"), [f"{buckets}/*"]),
            _allow("WriteReplicas", ("s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"),
                   [f"{copies}/*"]),
            _allow("UseStackKeys", ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
                   [_arn(b, "kms", "key/*", region=b.primary_of(pool)),
                    _arn(b, "kms", "key/*", region=b.dr_of(pool))],
                   {"StringEquals": {"aws:ResourceTag/gov:stack": b.target.stack}}),
        ],
    }
