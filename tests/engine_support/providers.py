"""Dynamic providers over the fake cloud, and resources that use them."""
from __future__ import annotations

import time
from typing import Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from tests.engine_support.cloud import Cloud

_INTERNAL = ("__provider", "arn")


def _props(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in _INTERNAL}


class ThingProvider(ResourceProvider):
    """A cloud object named by its `name` input; `delay` slows every write down."""

    serialize_as_secret_always = True

    def __init__(self, cloud_path: str, kind: str = "thing") -> None:
        super().__init__()
        self.cloud_path = cloud_path
        self.kind = kind

    def _cloud(self) -> Cloud:
        return Cloud(self.cloud_path)

    def _outs(self, id_: str, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "arn": f"arn:fake:{self.kind}/{id_}"}

    def create(self, props: dict[str, Any]) -> CreateResult:
        time.sleep(float(props.get("delay", 0)))
        if props.get("fail") == "create":
            raise RuntimeError(f"refusing to create {props.get('name')}")
        clean = _props(props)
        id_ = self._cloud().create(self.kind, str(props["name"]), clean)
        time.sleep(float(props.get("delay", 0)))
        return CreateResult(id_, self._outs(id_, clean))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = self._cloud().get(id_)
        if live is None:
            return ReadResult(None, {})
        return ReadResult(id_, self._outs(id_, live), live)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        time.sleep(float(news.get("delay", 0)))
        if news.get("fail") == "update":
            raise RuntimeError(f"refusing to update {news.get('name')}")
        clean = _props(news)
        self._cloud().update(id_, clean)
        return UpdateResult(self._outs(id_, clean))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        time.sleep(float(props.get("delay", 0)))
        if props.get("fail") == "delete":
            raise RuntimeError(f"refusing to delete {props.get('name')}")
        self._cloud().delete(id_)

    def find_existing(self, props: dict[str, Any]) -> list[ReadResult]:
        return [ReadResult(id_, self._outs(id_, live)) for id_, live in
                self._cloud().find(self.kind, str(props["name"]))]


class ZonedProvider(ThingProvider):
    """Has its own diff: a change of `zone` needs a new object."""

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in set(_props(olds)) | set(_props(news))
                   if olds.get(k) != news.get(k) and k != "arn"]
        return DiffResult(changes=bool(changed), replaces=[k for k in changed if k == "zone"])


class BlindProvider(ThingProvider):
    """Cannot look resources up: an interrupted create cannot be recovered."""

    find_existing = None  # type: ignore[assignment]


class Thing(Resource, module="test", name="Thing"):
    arn: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(self, resource_name: str, props: dict[str, Any], cloud_path: str,
                 opts: pulumi.ResourceOptions | None = None, provider: ThingProvider | None = None) -> None:
        super().__init__(provider or ThingProvider(cloud_path), resource_name,
                         {"name": resource_name, **props, "arn": None}, opts)


class Group(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:index:Group", name, None, opts)


class EchoProvider(ResourceProvider):
    """Any catalogue resource in the fake cloud: its outputs are named after its id."""

    def __init__(self, cloud_path: str) -> None:
        super().__init__()
        self.cloud_path = cloud_path

    def create(self, props: dict[str, Any]) -> CreateResult:
        clean = {k: v for k, v in props.items() if k != "__provider"}
        id_ = Cloud(self.cloud_path).create(str(props["_token"]), str(props.get("name", "")), clean)
        return CreateResult(id_, {**clean, **{o: f"{id_}:{o}" for o in props["_outputs"]}})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        clean = {k: v for k, v in news.items() if k != "__provider"}
        Cloud(self.cloud_path).update(id_, clean)
        return UpdateResult({**clean, **{o: f"{id_}:{o}" for o in news["_outputs"]}})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        Cloud(self.cloud_path).delete(id_)


class Echo(Resource, module="test", name="Echo"):
    """Stands in for the catalogue's resource of `token`, with the same outputs."""

    def __init__(self, token: str, resource_name: str, inputs: dict[str, Any], outputs: tuple[str, ...],
                 cloud_path: str, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {**{o: None for o in outputs}, **inputs, "_token": token, "_outputs": list(outputs)}
        super().__init__(EchoProvider(cloud_path), resource_name, props, opts)
