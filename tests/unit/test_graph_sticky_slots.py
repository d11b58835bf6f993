"""Deployed address slots never move: pins placed first, inverses of the address functions,
and pins read back from a stack's state in the backend (Pulumi's DIY layout)."""
from __future__ import annotations

import ipaddress
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from govcloud.engine import StateStore
from govcloud.errors import GovcloudError
from govcloud.graph.addressing import (
    DEPARTMENT_SLOTS,
    NO_PINS,
    RESERVED_SLOTS,
    SYSTEM_SLOTS,
    Pins,
    claim,
    department_slot_of,
    department_zone,
    home_slot,
    pins_from_resources,
    system_slot_of,
    system_subnet,
)
from govcloud.program import load_stack_config
from govcloud.program.pins import deployed_pins, family_stacks
from govcloud.program.stackconfig import member_config

CODE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8)
CODES = st.lists(CODE, min_size=1, max_size=80, unique=True)


@settings(max_examples=80, deadline=None)
@given(CODES, st.data())
def test_no_deployed_slot_moves_whatever_leaves_or_arrives(codes: list[str], data: st.DataObject) -> None:
    deployed = claim(codes, DEPARTMENT_SLOTS, "zone")
    for _ in range(3):  # a few changes in a row, each planned on the state the last one left
        if not deployed:
            break
        gone = data.draw(st.sets(st.sampled_from(sorted(deployed))), label="removed")
        kept = [c for c in deployed if c not in gone]
        new = [c for c in data.draw(st.lists(CODE, max_size=12, unique=True), label="added") if c not in deployed]
        # newcomers may claim first (an earlier project number): order is the caller's
        order = data.draw(st.permutations([*kept, *new]), label="order")
        after = claim(order, DEPARTMENT_SLOTS, "zone", pinned=deployed)
        assert {c: after[c] for c in kept} == {c: deployed[c] for c in kept}
        assert len(set(after.values())) == len(after)
        # newcomers never take a slot the state still holds, the leaving ones' included
        assert not {after[c] for c in new} & set(deployed.values())
        deployed = after


@given(CODES)
def test_without_pins_or_with_todays_the_slots_are_todays(codes: list[str]) -> None:
    today = claim(codes, DEPARTMENT_SLOTS, "zone")
    assert claim(codes, DEPARTMENT_SLOTS, "zone", pinned={}) == today
    assert claim(codes, DEPARTMENT_SLOTS, "zone", pinned=today) == today


def test_removing_the_department_another_probed_past_moves_it_without_pins_only() -> None:
    first = "a0"
    second = next(f"a{i}" for i in range(1, 5000)
                  if home_slot(f"a{i}", DEPARTMENT_SLOTS) == home_slot(first, DEPARTMENT_SLOTS))
    deployed = claim([first, second], DEPARTMENT_SLOTS, "zone")
    assert deployed[second] == deployed[first] + 1  # it probed past the first
    assert claim([second], DEPARTMENT_SLOTS, "zone")[second] == deployed[first]  # today: it moves
    assert claim([second], DEPARTMENT_SLOTS, "zone", pinned=deployed)[second] == deployed[second]
    # the one leaving holds its slot until its resources are gone: a newcomer of that home probes on
    newcomer = claim([first, second, "zz-new"], DEPARTMENT_SLOTS, "zone", pinned=deployed)
    assert newcomer["zz-new"] not in deployed.values()


def test_two_keys_in_one_slot_or_one_out_of_range_is_refused() -> None:
    with pytest.raises(GovcloudError, match=r"'a' and 'b' are both deployed in zone slot 3") as twice:
        claim(["a", "b"], 16, "zone", pinned={"a": 3, "b": 3})
    assert twice.value.exit_code == 2 and "\n" not in twice.value.line()
    with pytest.raises(GovcloudError, match="slot 16, outside 0-15"):
        claim(["a"], 16, "zone", pinned={"a": 16})
    # a key no longer wanted gives way to one that is (their state disagrees; the wanted one is kept)
    assert claim(["b"], 16, "zone", pinned={"a": 3, "b": 3}) == {"b": 3}


def test_pins_of_one_key_must_agree() -> None:
    with pytest.raises(GovcloudError, match="department 'gaj' is deployed in two zone slots, 40 and 41"):
        Pins({"gaj": 40}).merged(Pins({"gaj": 41}))
    both = Pins({"gaj": 40}, {"gaj": {"a": 1}}).merged(Pins({"slj": 50}, {"gaj": {"b": 2}}))
    assert both == Pins({"gaj": 40, "slj": 50}, {"gaj": {"a": 1, "b": 2}})
    assert not NO_PINS and both and both.key() == Pins(dict(both.departments), dict(both.systems)).key()


@pytest.mark.parametrize("network", ["10.16.0.0/12", "10.64.0.0/12", "10.0.0.0/8", "172.16.0.0/16"])
def test_the_inverses_give_back_every_slot(network: str) -> None:
    for slot in range(RESERVED_SLOTS, RESERVED_SLOTS + DEPARTMENT_SLOTS):
        zone = department_zone(network, slot)
        assert department_slot_of(network, zone) == slot
        for system in (0, 7, SYSTEM_SLOTS - 1):
            assert system_slot_of(system_subnet(zone, system)) == system
    assert department_slot_of(network, department_zone(network, 0)) is None  # the shared zone
    assert department_slot_of(network, "192.168.0.0/24") is None  # another network
    inside = next(ipaddress.IPv4Network(department_zone(network, 40)).subnets(new_prefix=30))
    assert department_slot_of(network, str(inside)) is None  # in a zone, but not a zone's block


def _tags(code: str, system: str) -> dict[str, str]:
    return {"gov:department": code, "gov:system": system, "managed-by": "govcloud"}


NETWORKS = {"extranet": "10.16.0.0/12", "intranet": "10.64.0.0/12", "internetZone": "10.96.0.0/16"}
ZONE = department_zone(NETWORKS["extranet"], 40)
DYNAMIC = "pulumi-python:dynamic/govcloud/"  # the type of a resource in a state (cloud/types.py)
DEPLOYED: list[tuple[str, str, dict[str, Any]]] = [
    (DYNAMIC + "network:Vpc", "gaj/extranet", {"cidr": ZONE, "tags": _tags("gaj", "tenant:extranet-network")}),
    (DYNAMIC + "network:Vpc", "gaj/intranet", {"cidr": department_zone(NETWORKS["intranet"], 40),
                                               "tags": _tags("gaj", "tenant:intranet-network")}),
    (DYNAMIC + "network:Subnet", "gaj/systems/hr/subnet",
     {"cidr": system_subnet(ZONE, 5), "ipv6_slot": 5, "tags": _tags("gaj", "hr")}),
    (DYNAMIC + "network:Subnet", "gaj/systems/web/subnet",
     {"cidr": system_subnet(ZONE, 2), "tags": _tags("gaj", "web")}),
    # a renamed department (机构改革): its Pulumi name is the new code, its tags the former one's
    (DYNAMIC + "network:Vpc", "xzspj/extranet", {"cidr": department_zone(NETWORKS["extranet"], 77),
                                                 "tags": _tags("zwfwj", "tenant:extranet-network")}),
    (DYNAMIC + "loadbalancing:ListenerRule", "slj/site/rule", {"priority": 91, "tags": _tags("slj", "tenant:site")}),
    # the city's own networks, a private line's zone and other resources hold no slot
    (DYNAMIC + "network:Vpc", "city/extranet", {"cidr": "10.16.0.0/16", "tags": _tags("city", "platform:network")}),
    (DYNAMIC + "network:Subnet", "city/site/subnet-a", {"cidr": "10.96.0.0/20", "tags": _tags("city", "platform:x")}),
    (DYNAMIC + "network:Vpc", "wsjkw/dedicated", {"cidr": "172.31.0.0/16", "tags": _tags("wsjkw", "tenant:x")}),
    (DYNAMIC + "storage:Bucket", "gaj/systems/hr/bucket", {"tags": _tags("gaj", "hr")}),
]
EXPECTED = Pins({"gaj": 40, "zwfwj": 77, "slj": 90}, {"gaj": {"hr": 5, "web": 2}})


def test_pins_from_deployed_resources() -> None:
    assert pins_from_resources(DEPLOYED, NETWORKS) == EXPECTED
    assert pins_from_resources([], NETWORKS) == NO_PINS
    wrong = [(DYNAMIC + "network:Subnet", "gaj/systems/hr/subnet",
              {"cidr": system_subnet(ZONE, 5), "ipv6_slot": 6, "tags": _tags("gaj", "hr")})]
    with pytest.raises(GovcloudError, match="system 'gaj/hr' is deployed in two subnet slots, 5 and 6"):
        pins_from_resources(wrong, NETWORKS)


def _deployment(resources: list[tuple[str, str, dict[str, Any]]], stack: str) -> dict[str, Any]:
    """A version-3 deployment as `pulumi stack export` writes it."""
    return {"version": 3, "deployment": {
        "manifest": {"time": "2026-12-01T00:00:00Z", "magic": "", "version": "v3.0.0"},
        "resources": [{"urn": f"urn:pulumi:{stack}::govcloud::{type_}::{name}", "custom": True,
                       "id": name, "type": type_, "inputs": inputs, "outputs": {}}
                      for type_, name, inputs in resources]}}


def _project(root: Path) -> Path:
    (root / "Pulumi.yaml").write_text("name: govcloud\nruntime: python\nstackConfigDir: stacks\n", encoding="utf-8")
    (root / "stacks").mkdir()
    config = {"govcloud:blueprints": ["blueprints/city.yaml", "blueprints/departments"],
              "govcloud:regions": {"city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1"},
              "govcloud:partition": "aws-cn", "govcloud:endpoint": "http://127.0.0.1:1"}
    (root / "stacks" / "Pulumi.one.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    split = {**config, "govcloud:split": "department"}
    (root / "stacks" / "Pulumi.fam.yaml").write_text(yaml.safe_dump({"config": split}), encoding="utf-8")
    return root


def _store(root: Path, stack: str, resources: list[tuple[str, str, dict[str, Any]]]) -> None:
    store = StateStore.for_stack(root, stack).open()
    store.replace_all(_deployment(resources, stack))
    store.checkpoint()


def test_pins_from_a_stack_state_and_from_every_member_of_a_split_one(tmp_path: Path) -> None:
    root = _project(tmp_path)
    city: Any = SimpleNamespace(city=SimpleNamespace(networks=NETWORKS))  # all deployed_pins reads
    one = load_stack_config("one", root)
    assert deployed_pins(one, city) == NO_PINS  # never applied
    _store(root, "one", DEPLOYED)
    assert deployed_pins(one, city) == EXPECTED

    platform = [d for d in DEPLOYED if d[1].startswith("city/")]
    _store(root, "fam__platform", platform)
    _store(root, "fam__gaj", [d for d in DEPLOYED if d[1].startswith("gaj/")])
    _store(root, "fam__xzspj", [d for d in DEPLOYED if d[1].startswith("xzspj/")])
    _store(root, "fam__slj", [d for d in DEPLOYED if d[1].startswith("slj/")])  # gone from the blueprints
    fam = load_stack_config("fam", root)
    assert family_stacks(StateStore.for_stack(root, "fam"), "fam") == (
        "fam__gaj", "fam__platform", "fam__slj", "fam__xzspj")
    assert deployed_pins(fam, city) == EXPECTED
    assert deployed_pins(member_config(fam, "gaj"), city) == EXPECTED  # a member's are the family's

    _store(root, "fam__wsjkw", [(DYNAMIC + "network:Vpc", "gaj/extranet",
                                 {"cidr": department_zone(NETWORKS["extranet"], 41), "tags": _tags("gaj", "x")})])
    with pytest.raises(GovcloudError, match="department 'gaj' is deployed in two zone slots, 40 and 41"):
        deployed_pins(fam, city)
