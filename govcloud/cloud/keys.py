"""Keys provider: a KMS key with its alias (the alias is the key's natural name).

A key that encrypts log groups (`log_group_prefix`) gets a key policy of its own: the
account administers it (as the default policy says), and CloudWatch Logs of the key's
region may use it only where the encryption context names a log group of that account
under the prefix. The service principal is regional, `logs.<region>.amazonaws.com`, and in
the aws-cn partition `logs.<region>.amazonaws.com.cn` (the provider's `getServicePrincipal`
data: https://www.pulumi.com/registry/packages/aws/api-docs/getserviceprincipal). Other
keys keep the cloud's default policy.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError
from pulumi import Output

from govcloud.cloud import tags as tagging
from govcloud.cloud.partitions import partition
from govcloud.cloud.provider import CloudProvider, CloudResource, error_code, is_already_there, is_gone, retried
from govcloud.cloud.types import KEY
from govcloud.errors import GovcloudError

_GONE_STATES = ("PendingDeletion", "PendingReplicaDeletion")
LOGS_SID = "CloudWatchLogsUse"
LOGS_ACTIONS = ("kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*")
LOGS_CONTEXT = "kms:EncryptionContext:aws:logs:arn"
# The DNS suffix of service principals by partition (aws-cn: amazonaws.com.cn).
_SERVICE_SUFFIX = {"aws-cn": "amazonaws.com.cn"}


def logs_principal(partition: str, region: str) -> str:
    return f"logs.{region}.{_SERVICE_SUFFIX.get(partition, 'amazonaws.com')}"


def key_policy(partition: str, region: str, account: str, log_group_prefix: str | None) -> dict[str, Any]:
    """The account administers the key; CloudWatch Logs uses it for the log groups under the prefix
    (without one: the account alone, as the cloud's default policy says)."""
    statements: list[dict[str, Any]] = [
        {"Sid": "AccountAdministers", "Effect": "Allow",
         "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
    ]
    if log_group_prefix:
        log_groups = f"arn:{partition}:logs:{region}:{account}:log-group:{log_group_prefix}*"
        statements.append(
            {"Sid": LOGS_SID, "Effect": "Allow", "Principal": {"Service": logs_principal(partition, region)},
             "Action": list(LOGS_ACTIONS), "Resource": "*", "Condition": {"ArnLike": {LOGS_CONTEXT: log_groups}}})
    return {"Version": "2012-10-17", "Id": "govcloud-key", "Statement": statements}


def log_group_prefix_of(policy: dict[str, Any]) -> str | None:
    """The prefix a key policy lets CloudWatch Logs use the key under (None: no such grant)."""
    for statement in policy.get("Statement", []):
        if statement.get("Sid") == LOGS_SID:
            arn = str(statement.get("Condition", {}).get("ArnLike", {}).get(LOGS_CONTEXT, ""))
            _, found, prefix = arn.partition(":log-group:")
            return prefix.removesuffix("*") if found else None
    return None


class KeyProvider(CloudProvider):
    rtype = KEY

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        failures: list[tuple[str, str]] = []
        alias = props["alias"]
        if not alias.startswith("alias/") or alias.startswith("alias/aws/") or len(alias) <= 6:
            failures.append(("alias", f"must be alias/<name> and not under alias/aws/, got {alias!r}"))
        if not 7 <= props["deletion_window_days"] <= 30:
            failures.append(("deletion_window_days", "must be 7..30"))
        return failures

    def _alias_target(self, kms: Any, alias: str) -> str | None:
        for page in kms.get_paginator("list_aliases").paginate():
            for entry in page["Aliases"]:
                if entry["AliasName"] == alias and entry.get("TargetKeyId"):
                    return str(entry["TargetKeyId"])
        return None

    def _tags(self, kms: Any, key_id: str) -> dict[str, str]:
        return tagging.from_aws(kms.list_resource_tags(KeyId=key_id)["Tags"], "TagKey", "TagValue")

    def find_existing(self, props: dict[str, Any]) -> str | None:
        kms = self.client("kms", props["region"])
        key_id = self._alias_target(kms, props["alias"])
        if key_id is None:
            return None
        if not tagging.is_ours(self._tags(kms, key_id), props["tags"]):
            raise GovcloudError(f"KMS alias '{props['alias']}' already names a key not managed by this stack",
                                rule="GC-CLOUD", exit_code=1)
        return key_id

    def find_interrupted(self, props: dict[str, Any]) -> str | None:
        # A create killed between create_key and create_alias leaves a key without its alias:
        # find it by what create_key was given, among the enabled keys no alias names.
        found = self.find_existing(props)
        if found is not None:
            return found
        return next(self._unnamed(self.client("kms", props["region"]), props), None)

    def _unnamed(self, kms: Any, props: dict[str, Any]) -> Iterator[str]:
        """The enabled keys no alias names that create_key made of these props."""
        named = {str(a["TargetKeyId"]) for page in kms.get_paginator("list_aliases").paginate()
                 for a in page["Aliases"] if a.get("TargetKeyId")}
        for page in kms.get_paginator("list_keys").paginate():
            for key in page["Keys"]:
                key_id = str(key["KeyId"])
                if key_id in named:
                    continue
                meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
                if (meta["KeyState"] == "Enabled" and meta.get("KeyManager") != "AWS"
                        and meta.get("Description", "") == props["description"]
                        and self._tags(kms, key_id) == props["tags"]):
                    yield key_id

    def _policy(self, props: dict[str, Any]) -> dict[str, Any]:
        region = props["region"]
        return key_policy(partition(region), region, self.account(region), props.get("log_group_prefix"))

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        kms = self.client("kms", props["region"])
        policy = {"Policy": json.dumps(self._policy(props))} if props.get("log_group_prefix") else {}
        created = kms.create_key(Description=props["description"], **policy,
                                 Tags=tagging.to_aws(props["tags"], "TagKey", "TagValue"))
        meta = created["KeyMetadata"]
        key_id = str(meta["KeyId"])
        if retried(created):
            # CreateKey takes no client token: an attempt whose answer was lost made a twin,
            # which carries the same description and tags and no alias yet.
            for twin in [k for k in self._unnamed(kms, props) if k != key_id]:
                self._schedule_deletion(kms, twin, props["deletion_window_days"])
        self._create_alias(kms, props["alias"], key_id)
        if props["rotation"]:
            kms.enable_key_rotation(KeyId=key_id)
        return key_id, self._computed(meta["Arn"], props)

    def _computed(self, key_arn: str, props: dict[str, Any]) -> dict[str, Any]:
        # An alias ARN is the key ARN's prefix with the alias in place of key/<id>.
        prefix = key_arn.rsplit(":", 1)[0]
        return {"key_id": key_arn.rsplit("/", 1)[1], "arn": key_arn,
                "alias_arn": f"{prefix}:{props['alias']}"}

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        kms = self.client("kms", props["region"])
        meta = kms.describe_key(KeyId=id_)["KeyMetadata"]
        if meta["KeyState"] in _GONE_STATES:
            return None
        aliases = [a["AliasName"] for a in kms.list_aliases(KeyId=id_)["Aliases"]]
        alias = props.get("alias") if props.get("alias") in aliases else (aliases[0] if aliases else "")
        found = {
            "alias": alias, "description": meta.get("Description", ""),
            "rotation": bool(kms.get_key_rotation_status(KeyId=id_)["KeyRotationEnabled"]),
            "deletion_window_days": props.get("deletion_window_days", 7),
            "region": props["region"], "tags": self._tags(kms, id_),
        }
        prefix = log_group_prefix_of(json.loads(kms.get_key_policy(KeyId=id_, PolicyName="default")["Policy"]))
        if prefix is not None:
            found["log_group_prefix"] = prefix
        return {**found, **self._computed(meta["Arn"], found)}

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        kms = self.client("kms", news["region"])
        if olds.get("description") != news["description"]:
            kms.update_key_description(KeyId=id_, Description=news["description"])
        if olds.get("rotation") != news["rotation"]:
            (kms.enable_key_rotation if news["rotation"] else kms.disable_key_rotation)(KeyId=id_)
        if olds.get("log_group_prefix") != news.get("log_group_prefix"):
            kms.put_key_policy(KeyId=id_, PolicyName="default", Policy=json.dumps(self._policy(news)))
        if olds.get("alias") != news["alias"]:
            self._create_alias(kms, news["alias"], id_)
            if olds.get("alias"):
                self._delete_alias(kms, olds["alias"])
        to_set, to_remove = tagging.changes(olds.get("tags", {}), news["tags"])
        if to_set:
            kms.tag_resource(KeyId=id_, Tags=tagging.to_aws(to_set, "TagKey", "TagValue"))
        if to_remove:
            kms.untag_resource(KeyId=id_, TagKeys=to_remove)
        meta = kms.describe_key(KeyId=id_)["KeyMetadata"]
        return self._computed(meta["Arn"], news)

    def _create_alias(self, kms: Any, alias: str, key_id: str) -> None:
        try:
            kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        except ClientError as e:
            # A retried call whose first attempt landed finds the alias naming this very key.
            if not (is_already_there(e) and retried(e.response) and self._alias_target(kms, alias) == key_id):
                raise

    def _delete_alias(self, kms: Any, alias: str) -> None:
        try:
            kms.delete_alias(AliasName=alias)
        except ClientError as e:
            if not is_gone(e):
                raise

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        kms = self.client("kms", props["region"])
        meta = kms.describe_key(KeyId=id_)["KeyMetadata"]
        if meta["KeyState"] in _GONE_STATES:
            return
        if props.get("alias") and self._alias_target(kms, props["alias"]) == id_:
            self._delete_alias(kms, props["alias"])
        self._schedule_deletion(kms, id_, props.get("deletion_window_days", 7))

    def _schedule_deletion(self, kms: Any, key_id: str, days: int) -> None:
        try:
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)
        except ClientError as e:
            if error_code(e) != "KMSInvalidStateException":  # pending deletion already
                raise


class Key(CloudResource, module="govcloud/keys", name="Key"):
    rtype = KEY
    provider_class = KeyProvider
    key_id: Output[str]
    arn: Output[str]
    alias_arn: Output[str]
