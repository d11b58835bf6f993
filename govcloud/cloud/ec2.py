"""EC2 conventions shared by the network and compute providers: Name and key tags, lookup."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govcloud.cloud import tags as tagging
from govcloud.cloud.types import ResourceType


def wanted_tags(rtype: ResourceType, props: Mapping[str, Any]) -> dict[str, str]:
    """The tags an EC2 resource carries: the user's, its Name and its idempotency key."""
    key = tagging.idempotency_key(rtype.token, props, rtype.replace_props)
    return {**props["tags"], tagging.NAME_TAG: props["name"], tagging.KEY_TAG: key}


def tag_specifications(resource_type: str, tags: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": tagging.to_aws(tags)}]


def name_and_tags(aws_tags: list[dict[str, str]] | None) -> tuple[str, dict[str, str]]:
    """(name, user tags) from an EC2 resource's tag list."""
    found = tagging.from_aws(aws_tags)
    return found.get(tagging.NAME_TAG, ""), tagging.visible(found, tagging.NAME_TAG)


def retag(ec2: Any, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> None:
    """Bring the Name and user tags of `resource_id` from `olds` to `news` in place."""
    old = {**olds.get("tags", {}), tagging.NAME_TAG: olds.get("name", "")}
    new = {**news["tags"], tagging.NAME_TAG: news["name"]}
    to_set, to_remove = tagging.changes(old, new)
    if to_set:
        ec2.create_tags(Resources=[resource_id], Tags=tagging.to_aws(to_set))
    if to_remove:
        ec2.delete_tags(Resources=[resource_id], Tags=[{"Key": k} for k in to_remove])


def key_filter(rtype: ResourceType, props: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Filters that find what an earlier create of exactly these props left behind."""
    key = tagging.idempotency_key(rtype.token, props, rtype.replace_props)
    return [{"Name": f"tag:{tagging.KEY_TAG}", "Values": [key]}]


def first_zone(ec2: Any) -> str:
    zones = ec2.describe_availability_zones(
        Filters=[{"Name": "state", "Values": ["available"]}]
    )["AvailabilityZones"]
    return str(min(z["ZoneName"] for z in zones))
