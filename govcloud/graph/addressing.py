"""Address plan: the city's shared zone and one zone per department in each network.

A city network (the extranet's /12, say) is larger than one VPC may be (/16 at most), and
tenants' networks must be isolated from each other (MLPS cloud extension), so each
network is cut into zones of 1/256: the first sixteen form the city's shared zone
(公用网络区), every other zone is one department's own VPC (专用网络区), and a system
gets one sixteenth of its department's zone as its subnet.

A subnet CIDR change replaces the subnet and every instance in it, so allocation must not
move existing systems when the city grows. Each department gets one zone slot, the same
in every network: its home slot is a hash of its code, and a collision probes to the
next free slot. Departments claim slots in the order of their approved project numbers
(issued in sequence), so a newly approved department claims last and can never displace
an existing one. Systems claim the subnets of their department's zone the same way, in
blueprint order, so a system appended to a blueprint moves nothing.

IPv6: a dual-stack VPC gets an Amazon-provided /56 (known only once the VPC exists), and a
subnet gets the /64 of the same slot as its IPv4 subnet, so the two families move together
and never collide (16 system slots fit in the 256 /64s of a /56).
"""
from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Sequence

from govcloud.errors import GovcloudError
from govcloud.model import Department

DEPARTMENT_BITS = 8  # 256 zones per network: a /12 network gives /20 zones
SHARED_ZONE_BITS = 4  # the first sixteenth of a network is the city's shared zone
RESERVED_SLOTS = 1 << (DEPARTMENT_BITS - SHARED_ZONE_BITS)  # the zones inside the shared zone
DEPARTMENT_SLOTS = (1 << DEPARTMENT_BITS) - RESERVED_SLOTS
SYSTEM_BITS = 4  # 16 system subnets per zone: a /20 zone gives /24 subnets
SYSTEM_SLOTS = 1 << SYSTEM_BITS
LARGEST_VPC = 16  # the cloud accepts VPCs of /16 to /28
SMALLEST_SUBNET = 28


def home_slot(key: str, slots: int) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % slots


def claim(keys: Iterable[str], slots: int, what: str) -> dict[str, int]:
    """Slots for `keys`, claimed in the given order: hash home, then the next free slot."""
    taken: dict[int, str] = {}
    found: dict[str, int] = {}
    for key in keys:
        slot = home_slot(key, slots)
        for _ in range(slots):
            if slot not in taken:
                break
            slot = (slot + 1) % slots
        else:
            raise GovcloudError(f"no free {what} for '{key}' (all {slots} are taken)", rule="GC-GRAPH")
        taken[slot] = key
        found[key] = slot
    return found


def claim_order(department: Department) -> tuple[str, str]:
    # Departments without a project number claim after every numbered one.
    return (department.project or "\uffff", department.code)


def department_slots(departments: Sequence[Department]) -> dict[str, int]:
    """Each department's zone index in every network (never one inside the shared zone)."""
    ordered = sorted(departments, key=claim_order)
    slots = claim((d.code for d in ordered), DEPARTMENT_SLOTS, "department zone")
    return {code: RESERVED_SLOTS + slot for code, slot in slots.items()}


def system_slots(department: Department) -> dict[str, int]:
    keys = [f"{department.code}/{s.name}" for s in department.systems]
    slots = claim(keys, SYSTEM_SLOTS, f"subnet in the zone of department '{department.code}'")
    return {key.split("/", 1)[1]: slot for key, slot in slots.items()}


def _child(network: str, extra_bits: int, index: int) -> ipaddress.IPv4Network:
    parent = ipaddress.IPv4Network(network)
    prefix = parent.prefixlen + extra_bits
    if prefix > SMALLEST_SUBNET:
        raise GovcloudError(
            f"network {network} is too small to divide into {1 << extra_bits} parts (needs /{prefix})",
            rule="GC-GRAPH", hint=f"use a network of /{SMALLEST_SUBNET - extra_bits} or larger",
        )
    size = 1 << (32 - prefix)
    return ipaddress.IPv4Network((int(parent.network_address) + index * size, prefix))


def vpc_block(block: ipaddress.IPv4Network | str) -> str:
    """`block`, or its first /16 when it is larger than a VPC may be."""
    net = ipaddress.IPv4Network(block)
    return str(net if net.prefixlen >= LARGEST_VPC else next(net.subnets(new_prefix=LARGEST_VPC)))


def shared_zone(network: str) -> str:
    """The city's own VPC in `network`."""
    return vpc_block(_child(network, SHARED_ZONE_BITS, 0))


def department_zone(network: str, department_slot: int) -> str:
    """The VPC of one department in `network`."""
    return vpc_block(_child(network, DEPARTMENT_BITS, department_slot))


def system_subnet(zone: str, system_slot: int) -> str:
    """A system's subnet in its department's VPC `zone`."""
    return str(_child(zone, SYSTEM_BITS, system_slot))


def front_end_subnets(zone: str, count: int = 2) -> tuple[str, ...]:
    """The internet zone's first subnets, one per availability zone for the load balancer."""
    return tuple(str(_child(zone, SYSTEM_BITS, i)) for i in range(count))


IPV6_SUBNET_SLOTS = 256  # the /64s of a VPC's /56


def system_ipv6_slot(system_slot: int) -> int:
    """The /64 of a system's subnet in its VPC's /56: the index of its IPv4 subnet."""
    return system_slot


def front_end_ipv6_slots(count: int = 2) -> tuple[int, ...]:
    """The /64s of the internet zone's front-end subnets, matching front_end_subnets."""
    return tuple(range(count))
