"""Messaging provider: SQS queues, the departments' mailboxes on the document exchange."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pulumi import Output

from govcloud.cloud import tags as tagging
from govcloud.cloud.provider import CloudProvider, CloudResource, is_gone
from govcloud.cloud.types import QUEUE
from govcloud.errors import GovcloudError


def _attributes(props: dict[str, Any]) -> dict[str, str]:
    attributes = {
        "MessageRetentionPeriod": str(props["message_retention_seconds"]),
        "VisibilityTimeout": str(props["visibility_timeout"]),
    }
    if props.get("kms_key_id"):
        attributes["KmsMasterKeyId"] = props["kms_key_id"]
    return attributes


class QueueProvider(CloudProvider):
    rtype = QUEUE

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        failures: list[tuple[str, str]] = []
        name = props["name"].removesuffix(".fifo")
        if not name or len(props["name"]) > 80 or not all(c.isalnum() or c in "-_" for c in name):
            failures.append(("name", f"1-80 of A-Z a-z 0-9 - _ (and .fifo), got {props['name']!r}"))
        if not 60 <= props["message_retention_seconds"] <= 1209600:
            failures.append(("message_retention_seconds", "must be 60..1209600"))
        if not 0 <= props["visibility_timeout"] <= 43200:
            failures.append(("visibility_timeout", "must be 0..43200"))
        return failures

    def find_existing(self, props: dict[str, Any]) -> str | None:
        sqs = self.client("sqs", props["region"])
        try:
            url = str(sqs.get_queue_url(QueueName=props["name"])["QueueUrl"])
        except ClientError as e:
            if is_gone(e):
                return None
            raise
        if not tagging.is_ours(sqs.list_queue_tags(QueueUrl=url).get("Tags", {}), props["tags"]):
            raise GovcloudError(f"queue '{props['name']}' already exists and is not managed by this stack",
                                rule="GC-CLOUD", exit_code=1)
        return url

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        sqs = self.client("sqs", props["region"])
        attributes = _attributes(props)
        if props["name"].endswith(".fifo"):
            attributes["FifoQueue"] = "true"
        url = str(sqs.create_queue(QueueName=props["name"], Attributes=attributes,
                                   tags=props["tags"])["QueueUrl"])
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, {"url": url, "arn": arn}

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        sqs = self.client("sqs", props["region"])
        attributes = sqs.get_queue_attributes(QueueUrl=id_, AttributeNames=["All"])["Attributes"]
        found = {
            "name": attributes["QueueArn"].rsplit(":", 1)[1], "region": props["region"],
            "message_retention_seconds": int(attributes["MessageRetentionPeriod"]),
            "visibility_timeout": int(attributes["VisibilityTimeout"]),
            "tags": sqs.list_queue_tags(QueueUrl=id_).get("Tags", {}),
            "url": id_, "arn": attributes["QueueArn"],
        }
        if attributes.get("KmsMasterKeyId"):
            found["kms_key_id"] = attributes["KmsMasterKeyId"]
        return found

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        sqs = self.client("sqs", news["region"])
        if _attributes(olds) != _attributes(news):
            attributes = _attributes(news)
            if olds.get("kms_key_id") and not news.get("kms_key_id"):
                attributes["KmsMasterKeyId"] = ""  # an empty id turns KMS encryption off
            sqs.set_queue_attributes(QueueUrl=id_, Attributes=attributes)
        to_set, to_remove = tagging.changes(olds.get("tags", {}), news["tags"])
        if to_set:
            sqs.tag_queue(QueueUrl=id_, Tags=to_set)
        if to_remove:
            sqs.untag_queue(QueueUrl=id_, TagKeys=to_remove)
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client("sqs", props["region"]).delete_queue(QueueUrl=id_)


class Queue(CloudResource, module="govcloud/messaging", name="Queue"):
    rtype = QUEUE
    provider_class = QueueProvider
    url: Output[str]
    arn: Output[str]
