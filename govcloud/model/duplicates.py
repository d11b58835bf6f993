"""Departments building the same function, and what building it once would save (GC-DUP-003).

A fact about the city that both the policy checks and the consolidation figures need.

Prices come from the City's price book (monthly, yuan):

    yearly cost of a system = (vCPU × vcpuMonth + memory GiB × memoryGiBMonth
                               + storage GiB × storageGiBMonth) × 12
    saving of a group       = Σ yearly cost of the group's systems − the largest of them

i.e. keep the largest instance (sized for the heaviest user) and retire the others; when the
instances are alike this is (n − 1) × the yearly cost of one instance. This is govcloud's own
estimate (no guidance gives the figure), and it is labelled so wherever it is shown. Sizing
is the blueprint contract's (vCPU and memory over `compute`, storage = disks + database ×
replicas + object storage). Functions are compared by vocabulary id (`canonical` maps a
synonym to its id). Grouping is one pass over the systems, so it is linear in the city.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from govcloud.model.blueprint import City, Department, System
from govcloud.model.money import money

__all__ = ["DuplicateGroup", "duplicate_groups", "system_yearly_cost"]


@dataclass(frozen=True)
class DuplicateGroup:
    """Departments building the same function (GC-DUP-003) and what sharing one would save."""

    function: str
    departments: tuple[str, ...]            # codes, sorted
    systems: tuple[tuple[str, str], ...]    # (department code, system name)
    yearly_saving: float
    formula: str

    def to_json(self) -> dict[str, object]:
        return {"function": self.function, "departments": list(self.departments),
                "systems": [{"department": d, "system": s} for d, s in self.systems],
                "yearlySaving": round(self.yearly_saving, 2), "formula": self.formula}


def _monthly_prices(city: City) -> tuple[float, float, float]:
    """The price book's vCPU, memory GiB and storage GiB a month."""
    return city.price("vcpuMonth"), city.price("memoryGiBMonth"), city.price("storageGiBMonth")


def _yearly_cost(system: System, prices: tuple[float, float, float]) -> float:
    vcpu, memory, storage = prices
    return (system.vcpu * vcpu + system.memory_gib * memory + system.storage_gib * storage) * 12


def system_yearly_cost(city: City, system: System) -> float:
    """What one system costs a year at the city's monthly prices."""
    return _yearly_cost(system, _monthly_prices(city))


def duplicate_groups(
    city: City,
    departments: Iterable[Department],
    exclude: Collection[str] = (),
    min_departments: int = 2,
    canonical: Mapping[str, str] | None = None,
) -> tuple[DuplicateGroup, ...]:
    """Every function built by at least `min_departments` departments, by vocabulary id.

    `exclude` names functions left out (e.g. the shared platforms, which GC-DUP-001 reports);
    `canonical` maps each id and synonym to its id (unknown terms stand for themselves).
    """
    ids = canonical or {}
    by_function: dict[str, list[tuple[Department, System]]] = {}
    for dept in departments:
        for system in dept.systems:
            function = ids.get(system.function, system.function)
            if system.function not in exclude and function not in exclude:
                by_function.setdefault(function, []).append((dept, system))
    groups = []
    prices = _monthly_prices(city)  # read once: a group of the whole city has a system per department
    for function in sorted(by_function):
        members = by_function[function]
        codes = tuple(sorted({d.code for d, _ in members}))
        if len(codes) < min_departments:
            continue
        costs = [_yearly_cost(s, prices) for _, s in members]
        total, largest = sum(costs), max(costs)
        saving = round(total - largest, 2)
        formula = (f"govcloud's estimate: {len(members)} systems cost {money(total)}/yr at the price book; "
                   f"keeping the largest ({money(largest)}/yr) saves {money(saving)}/yr")
        groups.append(DuplicateGroup(
            function=function,
            departments=codes,
            systems=tuple(sorted((d.code, s.name) for d, s in members)),
            yearly_saving=saving,
            formula=formula,
        ))
    return tuple(groups)
