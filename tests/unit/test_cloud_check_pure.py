"""A provider's check() never changes the inputs it is given: validate() only reads them and
canonical() returns a new dict (sorted lists, lower-case names), for every provider."""
from __future__ import annotations

import copy
import importlib
from typing import Any

import pytest

from govcloud.cloud.check import _PYTHON_TYPES, normalise
from govcloud.cloud.provider import CloudProvider
from govcloud.cloud.types import CATALOGUE

MODULES = ("certificates", "compute", "dns", "identity", "keys", "loadbalancing", "logs", "messaging",
           "network", "secretstore", "storage")
# Values a canonical() rewrites: unsorted lists, upper case, a trailing dot, rules out of order.
SAMPLES: dict[str, Any] = {
    "security_group_ids": ["sg-2", "sg-1"], "subnet_ids": ["subnet-b", "subnet-a"],
    "managed_policy_arns": ["arn:aws-cn:iam::1:policy/b", "arn:aws-cn:iam::1:policy/a"],
    "readers": ["role-b", "role-a"], "hosts": ["B.foshan.gov.cn", "a.foshan.gov.cn"],
    "name": "Gaj.Foshan.gov.cn.", "region": "cn-north-1", "kms_key_id": "key-1",
    "ingress": [{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr": "10.16.0.0/12"},
                {"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr": "10.16.0.0/12"}],
}
BY_KIND: dict[type, Any] = {str: "x", int: 8, bool: True, list: ["b", "a"], dict: {}}


def providers() -> list[type[CloudProvider]]:
    found: dict[str, type[CloudProvider]] = {}
    for name in MODULES:
        module = importlib.import_module(f"govcloud.cloud.{name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, CloudProvider) and "rtype" in vars(value):
                found[value.__qualname__] = value
    return [found[k] for k in sorted(found)]


def news_for(provider: type[CloudProvider]) -> dict[str, Any]:
    news: dict[str, Any] = {}
    for prop in provider.rtype.props:
        if prop.name in SAMPLES:
            news[prop.name] = copy.deepcopy(SAMPLES[prop.name])
        elif prop.required:
            kind = _PYTHON_TYPES[prop.kind]
            news[prop.name] = copy.deepcopy(BY_KIND.get(kind[0] if isinstance(kind, tuple) else kind, "x"))
    return news


def test_every_type_of_the_catalogue_has_a_provider_here() -> None:
    assert {p.rtype.token for p in providers()} == set(CATALOGUE)


@pytest.mark.parametrize("provider", providers(), ids=lambda p: p.__qualname__)
def test_check_leaves_its_news_unchanged(provider: type[CloudProvider]) -> None:
    news = news_for(provider)
    before = copy.deepcopy(news)
    instance = provider.__new__(provider)  # no endpoint, no client: check() is pure
    instance.check({}, news)
    assert news == before
    props, _ = normalise(provider.rtype, news)
    shown = copy.deepcopy(props)
    instance.validate(props)
    assert props == shown  # validate() only reads


def test_canonical_forms_are_still_returned() -> None:
    from govcloud.cloud.loadbalancing import LoadBalancerProvider
    from govcloud.cloud.network import SecurityGroupProvider

    news = {**news_for(LoadBalancerProvider), "name": "gaj-lb"}
    checked = LoadBalancerProvider.__new__(LoadBalancerProvider).check({}, news)
    assert checked.inputs["subnet_ids"] == ["subnet-a", "subnet-b"] and news["subnet_ids"] == ["subnet-b", "subnet-a"]
    news = {"name": "web", "vpc_id": "vpc-1", "region": "cn-north-1", "ingress": copy.deepcopy(SAMPLES["ingress"])}
    checked = SecurityGroupProvider.__new__(SecurityGroupProvider).check({}, news)
    assert [r["from_port"] for r in checked.inputs["ingress"]] == [80, 443]
    assert news["ingress"] == SAMPLES["ingress"]
