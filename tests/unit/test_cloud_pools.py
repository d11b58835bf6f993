"""Providers resolve a resource's pool NAME to the stack's endpoint and credentials for the
duration of a call; neither endpoint ever reaches a pickled provider or an output."""
from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from typing import Any

import dill
import pytest

from govcloud.cloud import clients
from govcloud.cloud.check import normalise
from govcloud.cloud.diff import diff_properties
from govcloud.cloud.keys import key_policy, log_group_prefix_of, logs_principal
from govcloud.cloud.provider import CloudProvider
from govcloud.cloud.types import BUCKET, CATALOGUE, KEY
from govcloud.errors import GovcloudError

MAIN = "http://127.0.0.1:45001"
CLASSIFIED = "http://127.0.0.1:45002"
PROPS = {"name": "foshan-sandbox-jcy-procuratorial-cases", "region": "cn-north-1"}


class Recording(CloudProvider):
    """A provider whose hooks report which endpoint their client would call (no request is sent)."""

    rtype = BUCKET

    def find_existing(self, props: dict[str, Any]) -> str | None:
        return None if props.get("adopt") is None else self._endpoint(props)

    def _endpoint(self, props: dict[str, Any]) -> str:
        return str(self.client("s3", props["region"]).meta.endpoint_url)

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return props["name"], {"seen": self._endpoint(props)}

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        return {"name": id_, "region": props["region"], "seen": self._endpoint(props)}

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        return {"seen": self._endpoint(news)}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        props["seen"] = self._endpoint(props)


@pytest.fixture(autouse=True)
def stack_pools(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.delenv(clients.POOLS_ENV, raising=False)
    clients.reset()
    clients.use_endpoint(MAIN)
    clients.use_pools({"classified": clients.Pool(CLASSIFIED)})
    yield
    clients.reset()


def test_a_call_goes_to_its_props_pool_and_back() -> None:
    provider = Recording(MAIN)  # as the program builds it: with the stack's main endpoint
    assert provider.create({**PROPS, "pool": "classified"}).outs["seen"] == CLASSIFIED
    assert provider.create(dict(PROPS)).outs["seen"] == MAIN
    assert provider.read("b", {**PROPS, "pool": "classified"}).outs["seen"] == CLASSIFIED
    assert provider.update("b", {**PROPS, "pool": "classified"}, {**PROPS, "pool": "classified"}).outs[
        "seen"] == CLASSIFIED
    gone = {**PROPS, "pool": "classified"}
    provider.delete("b", gone)
    assert clients.current_pool() is None  # nothing outlives the call


def test_the_recovery_hooks_run_in_the_props_pool_too() -> None:
    # The engine's journal calls find_interrupted/find_existing directly, outside create.
    provider = Recording(MAIN)
    assert provider.find_existing({**PROPS, "pool": "classified", "adopt": True}) == CLASSIFIED
    assert provider.find_interrupted({**PROPS, "adopt": True}) == MAIN


def test_pools_are_per_thread() -> None:
    provider, seen = Recording(MAIN), {}
    barrier = threading.Barrier(2)

    def call(pool: str | None) -> None:
        with clients.in_pool(pool):
            barrier.wait()
            seen[pool] = provider._endpoint(PROPS)

    threads = [threading.Thread(target=call, args=(p,)) for p in ("classified", None)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"classified": CLASSIFIED, None: MAIN}


def test_a_read_keeps_the_pool_so_a_refresh_shows_no_change() -> None:
    result = Recording(MAIN).read(PROPS["name"], {**PROPS, "pool": "classified"})
    assert result.inputs is not None and result.inputs["pool"] == "classified"
    assert diff_properties(BUCKET, dict(result.outs), {**PROPS, "pool": "classified"}).changed == ()


def test_pickled_providers_and_outputs_hold_no_endpoint() -> None:
    provider = Recording(MAIN)
    outputs = provider.create({**PROPS, "pool": "classified"}).outs
    for pickled in (pickle.dumps(provider), dill.dumps(provider)):
        assert MAIN.encode() not in pickled and CLASSIFIED.encode() not in pickled
        assert b"45001" not in pickled and b"45002" not in pickled
    assert outputs["pool"] == "classified"  # the name, and only the name
    assert CLASSIFIED not in str({k: v for k, v in outputs.items() if k != "seen"})


def test_the_provider_process_reads_the_pools_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    clients.reset()
    monkeypatch.setenv(clients.POOLS_ENV, clients.pools_environment({"classified": clients.Pool(CLASSIFIED)}))
    assert clients.pool("classified") == clients.Pool(CLASSIFIED)
    with clients.in_pool("classified"):
        assert Recording()._endpoint(PROPS) == CLASSIFIED


def test_a_pool_the_stack_does_not_place_is_an_error_not_the_default_endpoint() -> None:
    clients.use_pools({})
    with pytest.raises(GovcloudError, match="lives in the classified pool, but the stack being run says nowhere"):
        Recording(MAIN).create({**PROPS, "pool": "classified"})


def test_clients_are_per_pool_service_region_and_profile() -> None:
    a = clients.client("s3", "cn-north-1", CLASSIFIED)
    assert clients.client("s3", "cn-north-1", CLASSIFIED) is a
    assert clients.client("s3", "cn-north-1", MAIN) is not a
    assert clients.client("s3", "cn-northwest-1", CLASSIFIED) is not a


def test_every_type_declares_the_pool_and_absent_stays_absent() -> None:
    for rtype in CATALOGUE.values():
        prop = rtype.prop("pool")
        assert prop.replace and prop.default is None, rtype.token
    inputs, failures = normalise(BUCKET, dict(PROPS))
    assert not failures and "pool" not in inputs
    old = dict(inputs)
    assert not diff_properties(BUCKET, old, inputs).changes  # an existing resource sees no change
    moved = diff_properties(BUCKET, old, normalise(BUCKET, {**PROPS, "pool": "classified"})[0])
    assert moved.replaces == ("pool",)
    _, failures = normalise(BUCKET, {**PROPS, "pool": "http://127.0.0.1:45002"})
    assert failures and failures[0][0] == "pool"  # a name, never an endpoint


def test_a_log_group_key_policy_names_the_regional_logs_principal_of_its_partition() -> None:
    assert logs_principal("aws-cn", "cn-north-1") == "logs.cn-north-1.amazonaws.com.cn"
    assert logs_principal("aws", "eu-west-1") == "logs.eu-west-1.amazonaws.com"
    policy = key_policy("aws-cn", "cn-north-1", "210987654321", "/govcloud/foshan-sandbox/jcy/")
    admin, logs = policy["Statement"]
    assert admin["Principal"] == {"AWS": "arn:aws-cn:iam::210987654321:root"} and admin["Action"] == "kms:*"
    assert logs["Principal"] == {"Service": "logs.cn-north-1.amazonaws.com.cn"}
    assert sorted(logs["Action"]) == ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*",
                                      "kms:ReEncrypt*"]
    assert logs["Condition"] == {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                             "arn:aws-cn:logs:cn-north-1:210987654321:log-group:"
                                             "/govcloud/foshan-sandbox/jcy/*"}}
    assert log_group_prefix_of(policy) == "/govcloud/foshan-sandbox/jcy/"
    assert log_group_prefix_of(key_policy("aws-cn", "cn-north-1", "210987654321", None)) is None
    assert KEY.prop("log_group_prefix").replace is False  # in place
