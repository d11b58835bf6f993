"""Address allocation: hashed homes, probing on collision, and no displacement by newcomers."""
from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govcloud.errors import GovcloudError
from govcloud.graph.addressing import (
    DEPARTMENT_SLOTS,
    RESERVED_SLOTS,
    claim,
    department_zone,
    front_end_subnets,
    home_slot,
    shared_zone,
    system_subnet,
    vpc_block,
)

CODE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=2, max_size=16)
CODES = st.lists(CODE, min_size=1, max_size=60, unique=True)


@given(CODES, CODE)
def test_a_later_claim_never_moves_an_earlier_one(codes: list[str], newcomer: str) -> None:
    if newcomer in codes:
        return
    before = claim(codes, DEPARTMENT_SLOTS, "zone")
    after = claim([*codes, newcomer], DEPARTMENT_SLOTS, "zone")
    assert {k: after[k] for k in codes} == before
    assert len(set(after.values())) == len(after)


def test_a_collision_probes_to_the_next_free_slot() -> None:
    homes: dict[int, list[str]] = {}
    for i in range(64):
        homes.setdefault(home_slot(f"k{i}", 8), []).append(f"k{i}")
    home, (first, second, *_) = next((h, keys) for h, keys in sorted(homes.items()) if len(keys) >= 2)
    slots = claim([first, second], 8, "slot")
    assert slots == {first: home, second: (home + 1) % 8}
    assert sorted(claim([f"k{i}" for i in range(4)], 4, "slot").values()) == [0, 1, 2, 3]
    with pytest.raises(GovcloudError, match="no free slot"):
        claim([f"k{i}" for i in range(5)], 4, "slot")


def test_zones_and_subnets_nest() -> None:
    extranet = ipaddress.IPv4Network("10.16.0.0/12")
    shared = ipaddress.IPv4Network(shared_zone(str(extranet)))
    assert shared == ipaddress.IPv4Network("10.16.0.0/16")
    zone = ipaddress.IPv4Network(department_zone(str(extranet), RESERVED_SLOTS + 5))
    assert zone.prefixlen == 20 and zone.subnet_of(extranet) and not zone.overlaps(shared)
    subnet = ipaddress.IPv4Network(system_subnet(str(zone), 3))
    assert subnet.prefixlen == 24 and subnet.subnet_of(zone)
    assert front_end_subnets("10.96.0.0/16") == ("10.96.0.0/20", "10.96.16.0/20")
    assert vpc_block("10.0.0.0/8") == "10.0.0.0/16" and vpc_block("10.96.0.0/16") == "10.96.0.0/16"


def test_department_zones_stay_out_of_the_shared_zone() -> None:
    keys = [f"d{i}" for i in range(DEPARTMENT_SLOTS)]
    slots = claim(keys, DEPARTMENT_SLOTS, "zone")
    assert sorted(slots.values()) == list(range(DEPARTMENT_SLOTS))
    assert RESERVED_SLOTS + DEPARTMENT_SLOTS == 256


def test_a_network_too_small_to_divide_is_refused() -> None:
    with pytest.raises(GovcloudError, match="too small"):
        system_subnet("10.16.0.0/26", 0)
