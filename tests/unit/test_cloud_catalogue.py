"""The catalogue in govcloud/cloud/types.py matches the classes that implement it."""
from __future__ import annotations

import base64
import pickle
from typing import Any

import dill
import pulumi
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from govcloud.cloud import clients
from govcloud.cloud.provider import CloudProvider, CloudResource
from govcloud.cloud.types import CATALOGUE, KINDS


@pytest.mark.parametrize("token", sorted(CATALOGUE))
def test_every_type_has_its_resource_and_provider(token: str) -> None:
    rtype = CATALOGUE[token]
    resource_class = rtype.resource_class
    assert issubclass(resource_class, CloudResource) and resource_class.rtype is rtype
    assert resource_class.provider_class.rtype is rtype
    assert f"pulumi-python:{resource_class._resource_type_name}" == rtype.pulumi_type
    assert all(p.kind in KINDS for p in rtype.props)
    assert set(rtype.natural_key) <= {p.name for p in rtype.props}
    assert set(rtype.secret_outputs) <= set(rtype.outputs)
    assert {"region"} <= {p.name for p in rtype.props}
    assert rtype.taggable == ("tags" in {p.name for p in rtype.props})


@pytest.mark.parametrize("token", sorted(CATALOGUE))
def test_providers_pickle_by_value_without_a_client(token: str) -> None:
    provider: CloudProvider = CATALOGUE[token].resource_class.provider_class("http://127.0.0.1:5000")
    provider.client("sts", "cn-north-1")  # a client exists, but not on the provider
    assert vars(provider) == {"endpoint_url": "http://127.0.0.1:5000"}
    serialized = base64.b64decode(serialize_provider(provider))
    restored = dill.loads(serialized)
    # The endpoint never reaches state: a provider read back calls the stack's current one.
    assert type(restored) is type(provider) and restored.endpoint_url is None
    assert b"127.0.0.1" not in serialized
    assert pickle.dumps(provider)  # classes by reference: importable modules


def test_a_provider_read_back_calls_the_stacks_current_endpoint() -> None:
    restored = dill.loads(base64.b64decode(serialize_provider(
        CATALOGUE["govcloud:storage:Bucket"].resource_class.provider_class("http://127.0.0.1:5000"))))
    try:
        clients.use_endpoint("http://127.0.0.1:6001")
        assert restored.client("s3", "cn-north-1").meta.endpoint_url == "http://127.0.0.1:6001"
        clients.use_endpoint("http://127.0.0.1:6002")  # the sandbox restarted on another port
        assert restored.client("s3", "cn-north-1").meta.endpoint_url == "http://127.0.0.1:6002"
    finally:
        clients.reset()


def test_clients_are_shared_per_service_region_and_endpoint() -> None:
    a = clients.client("s3", "cn-north-1", "http://127.0.0.1:5000")
    assert clients.client("s3", "cn-north-1", "http://127.0.0.1:5000") is a
    assert clients.client("s3", "cn-northwest-1", "http://127.0.0.1:5000") is not a
    assert a.meta.config.retries["mode"] == "standard" and a.meta.config.max_pool_connections == 64
    assert clients.partition("cn-northwest-1") == "aws-cn" and clients.partition("eu-west-1") == "aws"


def test_resource_classes_declare_outputs_and_mark_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from govcloud.cloud.compute import Instance

    seen: dict[str, Any] = {}

    def register(self: Any, provider: Any, name: str, props: dict[str, Any], opts: Any = None) -> None:
        seen.update(provider=provider, name=name, props=props, opts=opts)

    monkeypatch.setattr(pulumi.dynamic.Resource, "__init__", register)
    keep = pulumi.ResourceOptions(protect=True)
    Instance("db", {"name": "db", "image": "dm8", "subnet_id": "subnet-1", "region": "cn-north-1"},
             endpoint_url="http://127.0.0.1:5000", opts=keep)
    assert seen["provider"].endpoint_url == "http://127.0.0.1:5000"
    assert seen["props"]["instance_id"] is None and "admin_password" not in seen["props"]
    assert seen["opts"].protect
    from govcloud.cloud.certificates import CityCA

    CityCA("ca", {"common_name": "CA", "region": "cn-north-1"}, endpoint_url=None, opts=keep)
    assert seen["props"]["private_key_pem"] is None
    assert seen["opts"].additional_secret_outputs == ["private_key_pem"] and seen["opts"].protect
