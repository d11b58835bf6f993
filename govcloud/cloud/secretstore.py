"""Secret store provider: generated secrets (database admin passwords) in Secrets Manager.

The value is generated here on the first create, sent once to the secret store (encrypted
there with the given KMS key) and forgotten: no output, no state entry, no log line holds
it. What the state keeps is the secret's ARN. The name is deterministic, so a re-run after
a crash (or a destroy within the recovery window) finds the secret again and keeps its
value: a secret is never generated twice for the same system.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import string
from typing import Any

from botocore.exceptions import ClientError
from pulumi import Output

from govcloud.cloud import tags as tagging
from govcloud.cloud.provider import CloudProvider, CloudResource, is_gone
from govcloud.cloud.types import SECRET
from govcloud.errors import GovcloudError

# Letters and digits only: every approved database engine accepts them in a password.
_ALPHABET = string.ascii_letters + string.digits
_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "/_+=.@-")


def generate(length: int) -> str:
    """A random value from the OS's CSPRNG, with at least one digit and one letter of each case."""
    while True:
        value = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in value) and any(c.islower() for c in value) and any(c.isupper() for c in value):
            return value


_READERS_SID = "OnlyItsReaders"


def resource_policy(readers: list[str]) -> dict[str, Any]:
    """Deny reading the value to every principal but `readers` (an explicit deny beats any grant)."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": _READERS_SID, "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*", "Condition": {"StringNotLike": {"aws:PrincipalArn": sorted(readers)}}}]}


def _readers(policy_text: str | None) -> list[str]:
    """The readers of a resource policy this provider wrote; none for any other policy."""
    if not policy_text:
        return []
    statements = json.loads(policy_text).get("Statement", [])
    ours = [s for s in statements if isinstance(s, dict) and s.get("Sid") == _READERS_SID]
    if len(statements) != 1 or not ours:
        return []
    return sorted(ours[0].get("Condition", {}).get("StringNotLike", {}).get("aws:PrincipalArn", []))


def request_token(name: str, tags: dict[str, str]) -> str:
    """The same create request gets the same token, so a retried CreateSecret is idempotent."""
    return hashlib.sha256(f"{tags.get(tagging.STACK, '')}/{name}".encode()).hexdigest()[:64]


class SecretProvider(CloudProvider):
    rtype = SECRET

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        failures: list[tuple[str, str]] = []
        name = props["name"]
        if not 1 <= len(name) <= 512 or not set(name) <= _NAME_CHARS:
            failures.append(("name", f"1-512 of letters, digits and /_+=.@-, got {name!r}"))
        elif len(name) > 7 and name[-7] == "-":
            # The cloud appends a hyphen and six random characters to the ARN; a name ending
            # like that makes lookups ambiguous.
            failures.append(("name", "must not end in a hyphen and six characters"))
        if not 16 <= props["length"] <= 128:
            failures.append(("length", "must be 16..128"))
        if not 7 <= props["recovery_window_days"] <= 30:
            failures.append(("recovery_window_days", "must be 7..30"))
        return failures

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "readers": sorted(props["readers"])}

    def _describe(self, sm: Any, secret_id: str) -> dict[str, Any] | None:
        try:
            return dict(sm.describe_secret(SecretId=secret_id))
        except ClientError as e:
            if is_gone(e):
                return None
            raise

    def find_existing(self, props: dict[str, Any]) -> str | None:
        sm = self.client("secretsmanager", props["region"])
        found = self._describe(sm, props["name"])
        if found is None:
            return None
        if not tagging.is_ours(tagging.from_aws(found.get("Tags")), props["tags"]):
            raise GovcloudError(f"secret '{props['name']}' already exists and is not managed by this stack",
                                rule="GC-CLOUD", exit_code=1)
        if found.get("DeletedDate"):
            # Scheduled for deletion by an earlier destroy: restoring keeps the value the database has.
            sm.restore_secret(SecretId=found["ARN"])
        return str(found["ARN"])

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        sm = self.client("secretsmanager", props["region"])
        args: dict[str, Any] = {
            "Name": props["name"], "Description": props["description"],
            "SecretString": generate(props["length"]),
            "ClientRequestToken": request_token(props["name"], props["tags"]),
            "Tags": tagging.to_aws(props["tags"]),
        }
        if props.get("kms_key_id"):
            args["KmsKeyId"] = props["kms_key_id"]
        created = sm.create_secret(**args)
        if props["readers"]:
            self._set_readers(sm, str(created["ARN"]), props["readers"])
        return str(created["ARN"]), {"arn": created["ARN"]}

    def _set_readers(self, sm: Any, arn: str, readers: list[str]) -> None:
        if readers:
            sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps(resource_policy(readers)),
                                   BlockPublicPolicy=True)
        else:
            sm.delete_resource_policy(SecretId=arn)

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        found = self._describe(self.client("secretsmanager", props["region"]), id_)
        if found is None or found.get("DeletedDate"):
            return None
        current: dict[str, Any] = {
            **props,  # the length and recovery window are not read back
            "name": found["Name"], "description": found.get("Description", ""),
            "tags": tagging.from_aws(found.get("Tags")), "arn": found["ARN"],
        }
        current.pop("kms_key_id", None)
        if found.get("KmsKeyId"):
            current["kms_key_id"] = found["KmsKeyId"]
        policy = self.client("secretsmanager", props["region"]).get_resource_policy(SecretId=id_)
        current["readers"] = _readers(policy.get("ResourcePolicy"))
        return current

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        sm = self.client("secretsmanager", news["region"])
        changes: dict[str, Any] = {}
        if olds.get("kms_key_id") != news.get("kms_key_id") and news.get("kms_key_id"):
            changes["KmsKeyId"] = news["kms_key_id"]  # the store re-encrypts the current value
        if olds.get("description") != news["description"]:
            changes["Description"] = news["description"]
        if changes:
            sm.update_secret(SecretId=id_, **changes)
        if sorted(olds.get("readers", [])) != news["readers"]:
            self._set_readers(sm, id_, news["readers"])
        to_set, to_remove = tagging.changes(olds.get("tags", {}), news["tags"])
        if to_set:
            sm.tag_resource(SecretId=id_, Tags=tagging.to_aws(to_set))
        if to_remove:
            sm.untag_resource(SecretId=id_, TagKeys=to_remove)
        return {"arn": id_}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        sm = self.client("secretsmanager", props["region"])
        found = self._describe(sm, id_)
        if found is None or found.get("DeletedDate"):
            return
        sm.delete_secret(SecretId=id_, RecoveryWindowInDays=props.get("recovery_window_days", 7))


class Secret(CloudResource, module="govcloud/secrets", name="Secret"):
    rtype = SECRET
    provider_class = SecretProvider
    arn: Output[str]
