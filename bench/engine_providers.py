"""An in-memory dynamic provider and a synthetic program for the engine benchmark."""
from __future__ import annotations

import itertools
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

_ids = itertools.count()


class NullProvider(ResourceProvider):
    """Answers every call at once: the benchmark measures the engine, not a cloud."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"id-{next(_ids)}", {**props, "arn": f"arn:null:{props['name']}"})


class Item(Resource, module="bench", name="Item"):
    arn: pulumi.Output[str]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(NullProvider(), name, {"name": name, **props, "arn": None}, opts)


class Group(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("bench:index:Group", name, None, None)


def city(count: int) -> Any:
    """`count` resources in groups of ten; each depends on the previous one in its group."""

    def program() -> None:
        group: Group | None = None
        previous: Item | None = None
        for i in range(count):
            if i % 10 == 0:
                group = Group(f"g{i // 10}")
                previous = None
            props: dict[str, Any] = {"index": i, "tags": {"gov:department": f"d{i % 37}", "managed-by": "govcloud"}}
            if previous is not None:
                props["after"] = previous.arn
            previous = Item(f"r{i}", props, pulumi.ResourceOptions(parent=group))

    return program
