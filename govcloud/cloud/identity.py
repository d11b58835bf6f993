"""Identity providers: IAM roles (inline and managed policies), managed policies, instance profiles.

The documents themselves (tenant isolation, guardrails, instance roles) are written by the
graph (`govcloud/graph/iam.py`); these providers only put them in place.
"""
from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError
from pulumi import Output

from govcloud.cloud import tags as tagging
from govcloud.cloud.partitions import partition
from govcloud.cloud.provider import CloudProvider, CloudResource, error_code, is_gone, retried
from govcloud.cloud.types import INSTANCE_PROFILE, POLICY, ROLE
from govcloud.errors import GovcloudError


def _document(value: Any) -> dict[str, Any]:
    """IAM returns documents URL-decoded as dicts or JSON strings, depending on the call."""
    return dict(json.loads(value)) if isinstance(value, str) else dict(value)


def _policy_failures(prop: str, document: Any) -> list[tuple[str, str]]:
    if not isinstance(document, dict) or "Statement" not in document:
        return [(prop, "must be a policy document with a Statement")]
    return []


class RoleProvider(CloudProvider):
    rtype = ROLE
    create_refuses_existing = True  # a name is unique in the account

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        failures = _policy_failures("assume_role_policy", props["assume_role_policy"])
        for name, document in props["inline_policies"].items():
            failures += _policy_failures(f"inline_policies.{name}", document)
        return failures

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "managed_policy_arns": sorted(props["managed_policy_arns"])}

    def find_existing(self, props: dict[str, Any]) -> str | None:
        iam = self.client("iam", props["region"])
        try:
            iam.get_role(RoleName=props["name"])
        except ClientError as e:
            if is_gone(e):
                return None
            raise
        if not tagging.is_ours(self._tags(iam, props["name"]), props["tags"]):
            raise GovcloudError(f"role '{props['name']}' already exists and is not managed by this stack",
                                rule="GC-CLOUD", exit_code=1)
        return str(props["name"])

    def _tags(self, iam: Any, name: str) -> dict[str, str]:
        return tagging.from_aws(iam.list_role_tags(RoleName=name)["Tags"])

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        iam = self.client("iam", props["region"])
        role = iam.create_role(
            RoleName=props["name"], AssumeRolePolicyDocument=json.dumps(props["assume_role_policy"]),
            Description=props["description"], Tags=tagging.to_aws(props["tags"]))["Role"]
        empty = {"tags": props["tags"], "assume_role_policy": props["assume_role_policy"],
                 "description": props["description"], "inline_policies": {}, "managed_policy_arns": []}
        self._apply(iam, props["name"], empty, props)
        return str(props["name"]), {"role_name": role["RoleName"], "arn": role["Arn"], "role_id": role["RoleId"]}

    def _apply(self, iam: Any, name: str, olds: dict[str, Any], news: dict[str, Any]) -> None:
        if olds.get("assume_role_policy") != news["assume_role_policy"]:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(news["assume_role_policy"]))
        if olds.get("description") != news["description"]:
            iam.update_role(RoleName=name, Description=news["description"])
        old_inline, new_inline = olds.get("inline_policies", {}), news["inline_policies"]
        for policy_name, document in new_inline.items():
            if old_inline.get(policy_name) != document:
                iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
        for policy_name in old_inline.keys() - new_inline.keys():
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        old_managed, new_managed = set(olds.get("managed_policy_arns", [])), set(news["managed_policy_arns"])
        for policy_arn in sorted(new_managed - old_managed):
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        for policy_arn in sorted(old_managed - new_managed):
            iam.detach_role_policy(RoleName=name, PolicyArn=policy_arn)
        to_set, to_remove = tagging.changes(olds.get("tags", {}), news["tags"])
        if to_set:
            iam.tag_role(RoleName=name, Tags=tagging.to_aws(to_set))
        if to_remove:
            iam.untag_role(RoleName=name, TagKeys=to_remove)

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        iam = self.client("iam", props["region"])
        role = iam.get_role(RoleName=id_)["Role"]
        inline = {
            policy_name: _document(iam.get_role_policy(RoleName=id_, PolicyName=policy_name)["PolicyDocument"])
            for policy_name in iam.list_role_policies(RoleName=id_)["PolicyNames"]
        }
        managed = sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=id_)["AttachedPolicies"])
        return {
            "name": id_, "region": props["region"],
            "assume_role_policy": _document(role["AssumeRolePolicyDocument"]),
            "description": role.get("Description", ""), "inline_policies": inline,
            "managed_policy_arns": managed, "tags": self._tags(iam, id_),
            "role_name": id_, "arn": role["Arn"], "role_id": role["RoleId"],
        }

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        self._apply(self.client("iam", news["region"]), id_, olds, news)
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        iam = self.client("iam", props["region"])
        # A role with policies or in a profile cannot be deleted; remove every one, also those added by hand.
        for profile in iam.list_instance_profiles_for_role(RoleName=id_)["InstanceProfiles"]:
            iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=id_)
        for attached in iam.list_attached_role_policies(RoleName=id_)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=id_, PolicyArn=attached["PolicyArn"])
        for policy_name in iam.list_role_policies(RoleName=id_)["PolicyNames"]:
            iam.delete_role_policy(RoleName=id_, PolicyName=policy_name)
        iam.delete_role(RoleName=id_)


_VERSIONS_KEPT = 3  # of a policy's five, before an update adds one (see PolicyProvider._update)


class PolicyProvider(CloudProvider):
    rtype = POLICY
    create_refuses_existing = True  # a name is unique in the account

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        return _policy_failures("document", props["document"])

    def _arn(self, props: dict[str, Any]) -> str:
        return f"arn:{partition(props['region'])}:iam::{self.account(props['region'])}:policy/{props['name']}"

    def find_existing(self, props: dict[str, Any]) -> str | None:
        iam = self.client("iam", props["region"])
        policy_arn = self._arn(props)
        try:
            iam.get_policy(PolicyArn=policy_arn)
        except ClientError as e:
            if is_gone(e):
                return None
            raise
        tags = tagging.from_aws(iam.list_policy_tags(PolicyArn=policy_arn)["Tags"])
        if not tagging.is_ours(tags, props["tags"]):
            raise GovcloudError(f"policy '{props['name']}' already exists and is not managed by this stack",
                                rule="GC-CLOUD", exit_code=1)
        return policy_arn

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        iam = self.client("iam", props["region"])
        policy = iam.create_policy(
            PolicyName=props["name"], PolicyDocument=json.dumps(props["document"]),
            Description=props["description"], Tags=tagging.to_aws(props["tags"]))["Policy"]
        return str(policy["Arn"]), {"arn": policy["Arn"], "policy_id": policy["PolicyId"],
                                    "default_version": policy["DefaultVersionId"]}

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        iam = self.client("iam", props["region"])
        policy = iam.get_policy(PolicyArn=id_)["Policy"]
        version = iam.get_policy_version(PolicyArn=id_, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
        return {
            "name": policy["PolicyName"], "region": props["region"],
            "document": _document(version["Document"]), "description": policy.get("Description", ""),
            "tags": tagging.from_aws(iam.list_policy_tags(PolicyArn=id_)["Tags"]),
            "arn": id_, "policy_id": policy["PolicyId"], "default_version": policy["DefaultVersionId"],
        }

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        iam = self.client("iam", news["region"])
        computed: dict[str, Any] = {}
        if olds.get("document") != news["document"]:
            versions = iam.list_policy_versions(PolicyArn=id_)["Versions"]
            # IAM keeps at most five versions. Room is made for this one and for a second copy
            # of it: a call the SDK sends again after its answer was lost makes two, and a
            # sixth would fail the update (LimitExceeded).
            stale = sorted((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
            for old in stale[:max(0, len(versions) - _VERSIONS_KEPT)]:
                iam.delete_policy_version(PolicyArn=id_, VersionId=old["VersionId"])
            version = iam.create_policy_version(
                PolicyArn=id_, PolicyDocument=json.dumps(news["document"]), SetAsDefault=True)["PolicyVersion"]
            computed["default_version"] = version["VersionId"]
        to_set, to_remove = tagging.changes(olds.get("tags", {}), news["tags"])
        if to_set:
            iam.tag_policy(PolicyArn=id_, Tags=tagging.to_aws(to_set))
        if to_remove:
            iam.untag_policy(PolicyArn=id_, TagKeys=to_remove)
        return computed

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        iam = self.client("iam", props["region"])
        entities = iam.list_entities_for_policy(PolicyArn=id_)
        for role in entities.get("PolicyRoles", []):
            iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=id_)
        for user in entities.get("PolicyUsers", []):
            iam.detach_user_policy(UserName=user["UserName"], PolicyArn=id_)
        for group in entities.get("PolicyGroups", []):
            iam.detach_group_policy(GroupName=group["GroupName"], PolicyArn=id_)
        for version in iam.list_policy_versions(PolicyArn=id_)["Versions"]:
            if not version["IsDefaultVersion"]:
                iam.delete_policy_version(PolicyArn=id_, VersionId=version["VersionId"])
        iam.delete_policy(PolicyArn=id_)


class InstanceProfileProvider(CloudProvider):
    rtype = INSTANCE_PROFILE
    create_refuses_existing = True  # a name is unique in the account

    def _profile(self, iam: Any, name: str) -> dict[str, Any] | None:
        try:
            return dict(iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"])
        except ClientError as e:
            if is_gone(e):
                return None
            raise

    def find_existing(self, props: dict[str, Any]) -> str | None:
        iam = self.client("iam", props["region"])
        profile = self._profile(iam, props["name"])
        if profile is None:
            return None
        if not tagging.is_ours(tagging.from_aws(profile.get("Tags")), props["tags"]):
            raise GovcloudError(f"instance profile '{props['name']}' already exists and is not managed by this stack",
                                rule="GC-CLOUD", exit_code=1)
        return str(props["name"])

    def find_interrupted(self, props: dict[str, Any]) -> str | None:
        # Created with its tags in one call, so a profile that exists is ours or not, never half-made.
        return self.find_existing(props)

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        iam = self.client("iam", props["region"])
        profile = iam.create_instance_profile(
            InstanceProfileName=props["name"], Tags=tagging.to_aws(props["tags"]))["InstanceProfile"]
        self._add_role(iam, props["name"], props["role_name"])
        return str(props["name"]), {"arn": profile["Arn"], "profile_id": profile["InstanceProfileId"]}

    def _add_role(self, iam: Any, name: str, role: str) -> None:
        try:
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
        except ClientError as e:
            # A profile holds one role: a retried call whose first attempt landed is refused
            # as over the limit, and the profile holds the role already.
            if not (error_code(e) == "LimitExceeded" and retried(e.response)
                    and [r["RoleName"] for r in (self._profile(iam, name) or {}).get("Roles", [])] == [role]):
                raise

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        iam = self.client("iam", props["region"])
        profile = self._profile(iam, id_)
        if profile is None:
            return None
        roles = [r["RoleName"] for r in profile.get("Roles", [])]
        return {
            "name": id_, "region": props["region"], "role_name": roles[0] if roles else "",
            "tags": tagging.from_aws(profile.get("Tags")), "arn": profile["Arn"],
            "profile_id": profile["InstanceProfileId"],
        }

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        iam = self.client("iam", news["region"])
        current = self._profile(iam, id_) or {}
        roles = [r["RoleName"] for r in current.get("Roles", [])]
        for role in roles:
            if role != news["role_name"]:  # a profile holds one role: the old one goes first
                iam.remove_role_from_instance_profile(InstanceProfileName=id_, RoleName=role)
        if news["role_name"] not in roles:
            self._add_role(iam, id_, news["role_name"])
        to_set, to_remove = tagging.changes(olds.get("tags", {}), news["tags"])
        if to_set:
            iam.tag_instance_profile(InstanceProfileName=id_, Tags=tagging.to_aws(to_set))
        if to_remove:
            iam.untag_instance_profile(InstanceProfileName=id_, TagKeys=to_remove)
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        iam = self.client("iam", props["region"])
        profile = self._profile(iam, id_)
        if profile is None:
            return
        for role in profile.get("Roles", []):  # a profile with a role cannot be deleted
            iam.remove_role_from_instance_profile(InstanceProfileName=id_, RoleName=role["RoleName"])
        iam.delete_instance_profile(InstanceProfileName=id_)


class InstanceProfile(CloudResource, module="govcloud/identity", name="InstanceProfile"):
    rtype = INSTANCE_PROFILE
    provider_class = InstanceProfileProvider
    arn: Output[str]
    profile_id: Output[str]


class Role(CloudResource, module="govcloud/identity", name="Role"):
    rtype = ROLE
    provider_class = RoleProvider
    role_name: Output[str]
    arn: Output[str]
    role_id: Output[str]


class Policy(CloudResource, module="govcloud/identity", name="Policy"):
    rtype = POLICY
    provider_class = PolicyProvider
    arn: Output[str]
    policy_id: Output[str]
    default_version: Output[str]
