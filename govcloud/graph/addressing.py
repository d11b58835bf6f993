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

Deployed slots never move: the slots a stack's state records (`Pins`, read back from its
VPCs' and subnets' CIDRs and its site rules' priorities by `pins_from_resources`) are placed
first, and only departments and systems the state does not hold claim free slots, so
removing a department (or a system) or approving one with an earlier number moves no other.
Without pins the slots are those of the hash-and-probe order alone.

IPv6: a dual-stack VPC gets an Amazon-provided /56 (known only once the VPC exists), and a
subnet gets the /64 of the same slot as its IPv4 subnet, so the two families move together
and never collide (16 system slots fit in the 256 /64s of a /56).
"""
from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from govcloud.errors import GovcloudError
from govcloud.graph import tokens
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


def claim(keys: Iterable[str], slots: int, what: str,
          pinned: Mapping[str, int] | None = None) -> dict[str, int]:
    """Slots for `keys`: each pinned one where it is, then the others in the given order, at
    their hash home or the next free slot. A pin no key of `keys` has still holds its slot
    (its resources are deployed until the plan deletes them) unless a key of `keys` is pinned
    there too."""
    keys = list(keys)
    wanted = set(keys)
    pins = dict(pinned or {})
    taken: dict[int, str] = {}
    for key in sorted(pins, key=lambda k: (k not in wanted, k)):
        slot = pins[key]
        if not 0 <= slot < slots:
            raise GovcloudError(f"the deployed {what} of '{key}' is slot {slot}, outside 0-{slots - 1}",
                                rule="GC-GRAPH", hint=_STATE_HINT)
        other = taken.get(slot)
        if other is not None and key in wanted:
            raise GovcloudError(f"'{other}' and '{key}' are both deployed in {what} slot {slot}",
                                rule="GC-GRAPH", hint=_STATE_HINT)
        taken.setdefault(slot, key)
    found = {key: pins[key] for key in keys if key in pins}
    for key in keys:
        if key in found:
            continue
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


_STATE_HINT = "the stack's state records it so; see its VPCs and subnets with `govcloud state list`"


@dataclass(frozen=True)
class Pins:
    """The slots a deployment holds: department code → zone slot, and per department its
    systems' subnet slots. Codes are those the graph is built under (a renamed department's
    former code)."""

    departments: Mapping[str, int] = field(default_factory=dict)
    systems: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.departments or self.systems)

    def key(self) -> tuple[object, ...]:
        """A hashable value equal for equal pins (for caches)."""
        return (tuple(sorted(self.departments.items())),
                tuple((code, tuple(sorted(s.items()))) for code, s in sorted(self.systems.items())))

    def merged(self, other: Pins) -> Pins:
        """Both sets of pins (a split stack's members); a key pinned twice must agree."""
        departments = dict(self.departments)
        for code, slot in other.departments.items():
            _agree(departments, code, slot, f"department '{code}'", "zone slots")
        systems = {code: dict(s) for code, s in self.systems.items()}
        for code, own in other.systems.items():
            mine = systems.setdefault(code, {})
            for name, slot in own.items():
                _agree(mine, name, slot, f"system '{code}/{name}'", "subnet slots")
        return Pins(departments, systems)


def _agree(into: dict[str, int], key: str, slot: int, what: str, kind: str) -> None:
    if into.setdefault(key, slot) != slot:
        raise GovcloudError(f"{what} is deployed in two {kind}, {into[key]} and {slot}",
                            rule="GC-GRAPH", hint=_STATE_HINT)


NO_PINS = Pins()


def claim_order(department: Department) -> tuple[str, str]:
    # Departments without a project number claim after every numbered one.
    return (department.project or "\uffff", department.code)


def department_slots(departments: Sequence[Department], pins: Pins = NO_PINS) -> dict[str, int]:
    """Each department's zone index in every network (never one inside the shared zone)."""
    ordered = sorted(departments, key=claim_order)
    for code, slot in pins.departments.items():
        if not RESERVED_SLOTS <= slot < RESERVED_SLOTS + DEPARTMENT_SLOTS:
            raise GovcloudError(
                f"the deployed department zone of '{code}' is slot {slot}, outside "
                f"{RESERVED_SLOTS}-{RESERVED_SLOTS + DEPARTMENT_SLOTS - 1}", rule="GC-GRAPH", hint=_STATE_HINT)
    pinned = {code: slot - RESERVED_SLOTS for code, slot in pins.departments.items()}
    slots = claim((d.code for d in ordered), DEPARTMENT_SLOTS, "department zone", pinned)
    return {code: RESERVED_SLOTS + slot for code, slot in slots.items()}


def system_slots(department: Department, pins: Pins = NO_PINS) -> dict[str, int]:
    code = department.code
    keys = [f"{code}/{s.name}" for s in department.systems]
    pinned = {f"{code}/{name}": slot for name, slot in pins.systems.get(code, {}).items()}
    slots = claim(keys, SYSTEM_SLOTS, f"subnet in the zone of department '{code}'", pinned)
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


# -- inverses: a deployed address → its slot ------------------------------------------------
def department_slot_of(network: str, vpc: str) -> int | None:
    """The department slot whose zone in `network` is the VPC block `vpc`; None if none is."""
    parent = ipaddress.IPv4Network(network)
    block = ipaddress.IPv4Network(vpc)
    prefix = parent.prefixlen + DEPARTMENT_BITS
    if prefix > SMALLEST_SUBNET or not block.subnet_of(parent):
        return None
    slot = (int(block.network_address) - int(parent.network_address)) >> (32 - prefix)
    if slot < RESERVED_SLOTS or department_zone(network, slot) != str(block):
        return None
    return slot


def system_slot_of(subnet: str) -> int:
    """The system slot of a subnet `system_subnet` cut from any zone: its index among the
    sixteen subnets of the zone it is aligned in."""
    net = ipaddress.IPv4Network(subnet)
    return (int(net.network_address) >> (32 - net.prefixlen)) & (SYSTEM_SLOTS - 1)


def system_slot_of_ipv6(ipv6_slot: int) -> int:
    """The system slot whose subnet takes the /64 `ipv6_slot` of its VPC's /56."""
    return ipv6_slot


def department_slot_of_priority(priority: int) -> int:
    """The department slot of a site's listener rule priority (graph/department.py)."""
    return priority - 1


def _kind(type_: str) -> str:
    """`govcloud:network:Vpc` or `pulumi-python:dynamic/govcloud/network:Vpc` → `Vpc`."""
    return type_.rsplit(":", 1)[-1]


_VPC, _SUBNET, _RULE = _kind(tokens.VPC), _kind(tokens.SUBNET), _kind(tokens.LISTENER_RULE)
_CITY = "city"  # gov:department of the city's own resources (graph/names.py)


def pins_from_resources(
    resources: Iterable[tuple[str, str, Mapping[str, Any]]], networks: Mapping[str, str],
) -> Pins:
    """The slots deployed resources hold, from (type, name, inputs) of each: a department VPC's
    CIDR in one of the City's `networks`, a system subnet's CIDR (and IPv6 slot), a site rule's
    priority. Codes come from the `gov:department` tag, which a renamed department keeps."""
    departments: dict[str, int] = {}
    systems: dict[str, dict[str, int]] = {}
    for type_, name, inputs in resources:
        kind = _kind(type_)
        if kind not in (_VPC, _SUBNET, _RULE):
            continue
        tags = inputs.get("tags")
        code = tags.get("gov:department") if isinstance(tags, Mapping) else None
        if not isinstance(code, str) or code == _CITY:
            continue
        if kind == _VPC:
            network = networks.get(name.split("/", 1)[-1])
            cidr = inputs.get("cidr")
            slot = department_slot_of(network, cidr) if network and isinstance(cidr, str) else None
            if slot is not None:
                _agree(departments, code, slot, f"department '{code}'", "zone slots")
        elif kind == _RULE:
            priority = inputs.get("priority")
            if isinstance(priority, int) and not isinstance(priority, bool):
                _agree(departments, code, department_slot_of_priority(priority), f"department '{code}'",
                       "zone slots")
        else:
            system = tags.get("gov:system") if isinstance(tags, Mapping) else None
            if isinstance(system, str):
                _system_pin(systems.setdefault(code, {}), code, system, inputs)
    return Pins(departments, {code: own for code, own in systems.items() if own})


def _system_pin(into: dict[str, int], code: str, system: str, inputs: Mapping[str, Any]) -> None:
    what = f"system '{code}/{system}'"
    cidr, ipv6 = inputs.get("cidr"), inputs.get("ipv6_slot")
    if isinstance(cidr, str):
        _agree(into, system, system_slot_of(cidr), what, "subnet slots")
    if isinstance(ipv6, int) and not isinstance(ipv6, bool):
        _agree(into, system, system_slot_of_ipv6(ipv6), what, "subnet slots")
