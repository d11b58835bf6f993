"""Storage provider: S3 buckets with tags, versioning, KMS encryption and DR replication."""
from __future__ import annotations

import json
import re
from typing import Any

from botocore.exceptions import ClientError
from pulumi import Output

from govcloud.cloud import tags as tagging
from govcloud.cloud.partitions import partition
from govcloud.cloud.provider import CloudProvider, CloudResource, error_code, is_gone
from govcloud.cloud.types import BUCKET
from govcloud.errors import GovcloudError

_BUCKET_NAME = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RULE_ID = "govcloud-dr"
_REPLICATION_KEYS = {"role_arn", "destination_bucket_arn"}


def _replication_config(replication: dict[str, Any]) -> dict[str, Any]:
    destination: dict[str, Any] = {"Bucket": replication["destination_bucket_arn"]}
    rule: dict[str, Any] = {
        "ID": _RULE_ID, "Status": "Enabled", "Priority": 1, "Filter": {},
        "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": destination,
    }
    if replication.get("replica_kms_key_arn"):
        # Objects encrypted with KMS are only replicated when the rule says so.
        destination["EncryptionConfiguration"] = {"ReplicaKmsKeyID": replication["replica_kms_key_arn"]}
        rule["SourceSelectionCriteria"] = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    return {"Role": replication["role_arn"], "Rules": [rule]}


def _replication_props(config: dict[str, Any]) -> dict[str, Any] | None:
    rules = [r for r in config.get("Rules", []) if r.get("Status") == "Enabled"]
    if not rules:
        return None
    found: dict[str, Any] = {"role_arn": config["Role"],
                             "destination_bucket_arn": rules[0]["Destination"]["Bucket"]}
    replica_key = rules[0]["Destination"].get("EncryptionConfiguration", {}).get("ReplicaKmsKeyID")
    if replica_key:
        found["replica_kms_key_arn"] = replica_key
    return found


# S3's first region: no LocationConstraint, and a create of a bucket the account holds succeeds.
_LEGACY_REGION = "us-east-1"
_ACLS_OFF = "BucketOwnerEnforced"  # the object ownership that disables ACLs
_PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                        "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def baseline_policy(bucket_arn: str, account: str) -> dict[str, Any]:
    """The bucket policy of every bucket: TLS only, and nobody outside the city's account.

    Both statements deny; what a principal may do is granted by identity policies only.
    A request without a principal account (anonymous) matches StringNotEquals, so it is denied.
    """
    resources = [bucket_arn, f"{bucket_arn}/*"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": resources, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "DenyOutsideAccount", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": resources, "Condition": {"StringNotEquals": {"aws:PrincipalAccount": account}}},
        ],
    }


class BucketProvider(CloudProvider):
    rtype = BUCKET

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        failures: list[tuple[str, str]] = []
        if not _BUCKET_NAME.match(props["name"]):
            failures.append(("name", (f"not a valid bucket name: {props['name']!r} "
                                      "(3-63 of a-z 0-9 . -, starting and ending alphanumeric)")))
        replication = props.get("replication")
        if replication is not None:
            missing = _REPLICATION_KEYS - replication.keys()
            if missing:
                failures.append(("replication", f"needs {', '.join(sorted(missing))}"))
            if not props["versioning"]:
                failures.append(("replication", "needs versioning: true on this bucket"))
        return failures

    def refuses_existing(self, props: dict[str, Any]) -> bool:
        # Everywhere but the legacy region a create of a bucket the account holds is refused
        # (BucketAlreadyOwnedByYou; another account's: BucketAlreadyExists). There it succeeds.
        return bool(props["region"] != _LEGACY_REGION)

    def find_existing(self, props: dict[str, Any]) -> str | None:
        return self._lookup(props, untagged_is_ours=False)

    def find_interrupted(self, props: dict[str, Any]) -> str | None:
        # CreateBucket takes no tags: a create killed before put_bucket_tagging leaves the
        # bucket untagged. Only the journal, which knows that create was ours, adopts it.
        return self._lookup(props, untagged_is_ours=True)

    def _lookup(self, props: dict[str, Any], *, untagged_is_ours: bool) -> str | None:
        s3 = self.client("s3", props["region"])
        try:
            s3.head_bucket(Bucket=props["name"])
        except ClientError as e:
            if is_gone(e):
                return None
            raise
        found = self._tags(s3, props["name"])
        if not (untagged_is_ours and not found) and not tagging.is_ours(found, props["tags"]):
            raise GovcloudError(
                f"bucket '{props['name']}' already exists and is not managed by this stack",
                rule="GC-CLOUD", exit_code=1, hint="choose another name or import the bucket")
        return str(props["name"])

    def _tags(self, s3: Any, name: str) -> dict[str, str]:
        try:
            return tagging.from_aws(s3.get_bucket_tagging(Bucket=name)["TagSet"])
        except ClientError as e:
            if error_code(e) == "NoSuchTagSet":
                return {}
            raise

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        region, name = props["region"], props["name"]
        s3 = self.client("s3", region)
        args: dict[str, Any] = {"Bucket": name}
        if region != _LEGACY_REGION:  # the one region that rejects its own LocationConstraint
            args["CreateBucketConfiguration"] = {"LocationConstraint": region}
        if props["block_public_access"]:
            args["ObjectOwnership"] = _ACLS_OFF  # set with the bucket: one call fewer
        s3.create_bucket(**args)
        self._apply(s3, name, {"tags": {}, "versioning": False}, props, acls_off=props["block_public_access"])
        return name, self._computed(props)

    def _computed(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"bucket": props["name"], "arn": f"arn:{partition(props['region'])}:s3:::{props['name']}"}

    def _apply(self, s3: Any, name: str, olds: dict[str, Any], news: dict[str, Any], *,
               acls_off: bool = False) -> None:
        """Bring tags, versioning, encryption and replication from `olds` to `news`
        (`acls_off`: the bucket's object ownership is BucketOwnerEnforced already)."""
        if olds.get("tags") != news["tags"]:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tagging.to_aws(news["tags"])})
        if bool(olds.get("versioning")) != news["versioning"]:
            status = "Enabled" if news["versioning"] else "Suspended"
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
        if olds.get("kms_key_arn") != news.get("kms_key_arn"):
            if news.get("kms_key_arn"):
                s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": news["kms_key_arn"]},
                    "BucketKeyEnabled": True,
                }]})
            else:
                s3.delete_bucket_encryption(Bucket=name)
        if bool(olds.get("block_public_access")) != news["block_public_access"]:
            if news["block_public_access"]:
                s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=_PUBLIC_ACCESS_BLOCK)
                # ACLs off altogether: no object can be made public by an ACL, whoever writes it.
                if not acls_off:
                    s3.put_bucket_ownership_controls(
                        Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": _ACLS_OFF}]})
            else:
                s3.delete_public_access_block(Bucket=name)
        if bool(olds.get("secure_transport_only")) != news["secure_transport_only"]:
            if news["secure_transport_only"]:
                policy = baseline_policy(self._computed(news)["arn"], self.account(news["region"]))
                s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
            else:
                s3.delete_bucket_policy(Bucket=name)
        if olds.get("replication") != news.get("replication"):
            if news.get("replication"):
                s3.put_bucket_replication(
                    Bucket=name, ReplicationConfiguration=_replication_config(news["replication"]))
            elif olds.get("replication"):
                s3.delete_bucket_replication(Bucket=name)

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        region = props["region"]
        s3 = self.client("s3", region)
        try:
            s3.head_bucket(Bucket=id_)
        except ClientError as e:
            if is_gone(e):
                return None
            raise
        location = s3.get_bucket_location(Bucket=id_).get("LocationConstraint") or _LEGACY_REGION
        versioning = s3.get_bucket_versioning(Bucket=id_).get("Status") == "Enabled"
        kms_key_arn = None
        try:
            rules = s3.get_bucket_encryption(Bucket=id_)["ServerSideEncryptionConfiguration"]["Rules"]
            default = rules[0]["ApplyServerSideEncryptionByDefault"] if rules else {}
            if default.get("SSEAlgorithm") == "aws:kms":
                kms_key_arn = default.get("KMSMasterKeyID")
        except ClientError as e:
            if error_code(e) != "ServerSideEncryptionConfigurationNotFoundError":
                raise
        try:
            replication = _replication_props(
                s3.get_bucket_replication(Bucket=id_)["ReplicationConfiguration"])
        except ClientError as e:
            if error_code(e) != "ReplicationConfigurationNotFoundError":
                raise
            replication = None
        found = {
            "name": id_, "region": location, "tags": self._tags(s3, id_), "versioning": versioning,
            "force_destroy": props.get("force_destroy", False),
            "block_public_access": self._blocks_public_access(s3, id_),
            "secure_transport_only": self._has_baseline_policy(s3, id_, location),
        }
        if kms_key_arn:
            found["kms_key_arn"] = kms_key_arn
        if replication:
            found["replication"] = replication
        return {**found, **self._computed(found)}

    def _blocks_public_access(self, s3: Any, name: str) -> bool:
        try:
            config = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        except ClientError as e:
            if error_code(e) != "NoSuchPublicAccessBlockConfiguration":
                raise
            return False
        return all(config.get(k) for k in _PUBLIC_ACCESS_BLOCK)

    def _has_baseline_policy(self, s3: Any, name: str, region: str) -> bool:
        try:
            found = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
        except ClientError as e:
            if error_code(e) != "NoSuchBucketPolicy":
                raise
            return False
        arn = f"arn:{partition(region)}:s3:::{name}"
        return bool(found == baseline_policy(arn, self.account(region)))

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        self._apply(self.client("s3", news["region"]), id_, olds, news)
        return self._computed(news)

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        s3 = self.client("s3", props["region"])
        if props.get("force_destroy"):
            self._empty(s3, id_)
        s3.delete_bucket(Bucket=id_)

    def _empty(self, s3: Any, name: str) -> None:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                      for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if doomed:
                s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})


class Bucket(CloudResource, module="govcloud/storage", name="Bucket"):
    rtype = BUCKET
    provider_class = BucketProvider
    bucket: Output[str]
    arn: Output[str]
