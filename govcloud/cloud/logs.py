"""Logs provider: CloudWatch log groups with retention (audit logs keep ≥ 180 days)."""
from __future__ import annotations

from typing import Any

from pulumi import Output

from govcloud.cloud import tags as tagging
from govcloud.cloud.clients import arn
from govcloud.cloud.provider import CloudProvider, CloudResource
from govcloud.cloud.types import LOG_GROUP
from govcloud.errors import GovcloudError

# The only retention periods CloudWatch Logs accepts.
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                  1827, 2192, 2557, 2922, 3288, 3653)


class LogGroupProvider(CloudProvider):
    rtype = LOG_GROUP
    create_refuses_existing = True  # a name is unique in the account

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        failures: list[tuple[str, str]] = []
        if props["retention_days"] not in RETENTION_DAYS:
            nearest = min((d for d in RETENTION_DAYS if d >= props["retention_days"]), default=3653)
            failures.append(("retention_days", (f"{props['retention_days']} is not a CloudWatch retention "
                                                f"period; the next longer one is {nearest}")))
        if not 1 <= len(props["name"]) <= 512:
            failures.append(("name", "1..512 characters"))
        return failures

    def _describe(self, logs: Any, name: str) -> dict[str, Any] | None:
        for group in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]:
            if group["logGroupName"] == name:
                return dict(group)
        return None

    def _arn(self, group: dict[str, Any]) -> str:
        return str(group.get("logGroupArn") or group["arn"].removesuffix(":*"))

    def _tags(self, logs: Any, group: dict[str, Any]) -> dict[str, str]:
        return dict(logs.list_tags_for_resource(resourceArn=self._arn(group)).get("tags", {}))

    def find_existing(self, props: dict[str, Any]) -> str | None:
        logs = self.client("logs", props["region"])
        group = self._describe(logs, props["name"])
        if group is None:
            return None
        if not tagging.is_ours(self._tags(logs, group), props["tags"]):
            raise GovcloudError(f"log group '{props['name']}' already exists and is not managed by this stack",
                                rule="GC-CLOUD", exit_code=1)
        return str(props["name"])

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        logs = self.client("logs", props["region"])
        args: dict[str, Any] = {"logGroupName": props["name"], "tags": props["tags"]}
        if props.get("kms_key_arn"):
            args["kmsKeyId"] = props["kms_key_arn"]
        logs.create_log_group(**args)
        logs.put_retention_policy(logGroupName=props["name"], retentionInDays=props["retention_days"])
        return str(props["name"]), {"arn": self._group_arn(props["region"], props["name"])}

    def _group_arn(self, region: str, name: str) -> str:
        """The ARN CloudWatch gives a group (its logGroupArn), without asking for it."""
        return arn("logs", region, self.account(region), f"log-group:{name}")

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        logs = self.client("logs", props["region"])
        group = self._describe(logs, id_)
        if group is None:
            return None
        found: dict[str, Any] = {
            "name": id_, "region": props["region"],
            "retention_days": group.get("retentionInDays", 0),  # 0: kept forever (drift)
            "tags": self._tags(logs, group), "arn": self._arn(group),
        }
        if group.get("kmsKeyId"):
            found["kms_key_arn"] = group["kmsKeyId"]
        return found

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        logs = self.client("logs", news["region"])
        if olds.get("retention_days") != news["retention_days"]:
            logs.put_retention_policy(logGroupName=id_, retentionInDays=news["retention_days"])
        if olds.get("kms_key_arn") != news.get("kms_key_arn"):
            if news.get("kms_key_arn"):
                logs.associate_kms_key(logGroupName=id_, kmsKeyId=news["kms_key_arn"])
            else:
                logs.disassociate_kms_key(logGroupName=id_)
        group_arn = self._group_arn(news["region"], id_)
        to_set, to_remove = tagging.changes(olds.get("tags", {}), news["tags"])
        if to_set:
            logs.tag_resource(resourceArn=group_arn, tags=to_set)
        if to_remove:
            logs.untag_resource(resourceArn=group_arn, tagKeys=to_remove)
        return {"arn": group_arn}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client("logs", props["region"]).delete_log_group(logGroupName=id_)


class LogGroup(CloudResource, module="govcloud/logs", name="LogGroup"):
    rtype = LOG_GROUP
    provider_class = LogGroupProvider
    arn: Output[str]
