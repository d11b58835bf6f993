"""Each department's monthly cost from the city's price book.

    compute = vCPU × vcpuMonth            memory = GiB × memoryGiBMonth
    storage = GiB × storageGiBMonth       (systems only, sized as the blueprint format says)
    OA      = seats × oaSeatYear ÷ 12     site   = siteYear ÷ 12 when the department has a sub-site

OA and site storage are part of the seat and site prices, so they are not charged again.

Who pays each item is the price book's `funding` (锡政发[2004]99号 四(五): shared-platform
costs "由市統一支付,不再分核至各部門"; business systems are the departments' own): a
city-funded item is shown to the department as an allocation, never billed to it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from govcloud.model import City, Department, Project

ITEMS = ("compute", "memory", "storage", "oa", "site")


@dataclass(frozen=True)
class Cost:
    """Monthly yuan per item; unrounded so totals add up, rounded when shown."""

    compute: float = 0.0
    memory: float = 0.0
    storage: float = 0.0
    oa: float = 0.0
    site: float = 0.0

    @property
    def total(self) -> float:
        return self.compute + self.memory + self.storage + self.oa + self.site

    def __add__(self, other: Cost) -> Cost:
        return Cost(*(getattr(self, i) + getattr(other, i) for i in ITEMS))

    def part(self, items: tuple[str, ...]) -> float:
        return float(sum(getattr(self, i) for i in items))

    def to_json(self) -> dict[str, float]:
        out = {i: round(getattr(self, i), 2) for i in ITEMS}
        out["total"] = round(self.total, 2)
        return out


@dataclass(frozen=True)
class DepartmentCost:
    department: str
    name: str
    systems: int
    cost: Cost
    share: float  # of the city's monthly total, 0..1
    billed: float = 0.0      # monthly, the department-billed items
    allocated: float = 0.0   # monthly, the city-funded items (an allocation, not billed)

    def to_json(self) -> dict[str, object]:
        return {"department": self.department, "name": self.name, "systems": self.systems,
                "monthly": self.cost.to_json(), "billed": round(self.billed, 2),
                "allocated": round(self.allocated, 2), "share": round(self.share, 6)}


@dataclass(frozen=True)
class Chargeback:
    departments: tuple[DepartmentCost, ...]  # by code, as the project lists them
    total: Cost
    funding: dict[str, str] = field(default_factory=dict)   # item → city | department

    @property
    def billed_items(self) -> tuple[str, ...]:
        return tuple(i for i in ITEMS if self.funding.get(i, "department") == "department")

    @property
    def allocated_items(self) -> tuple[str, ...]:
        return tuple(i for i in ITEMS if self.funding.get(i, "department") == "city")

    @property
    def billed(self) -> float:
        return self.total.part(self.billed_items)

    @property
    def allocated(self) -> float:
        return self.total.part(self.allocated_items)

    def of(self, code: str) -> DepartmentCost:
        return next(d for d in self.departments if d.department == code)

    def ranked(self) -> tuple[DepartmentCost, ...]:
        """Most expensive first; ties by code so the order is stable."""
        return tuple(sorted(self.departments, key=lambda d: (-d.cost.total, d.department)))

    def to_json(self) -> dict[str, object]:
        return {"monthlyTotal": self.total.to_json(), "yearlyTotal": round(self.total.total * 12, 2),
                "funding": dict(self.funding), "monthlyBilled": round(self.billed, 2),
                "monthlyAllocated": round(self.allocated, 2),
                "departments": [d.to_json() for d in self.departments]}


def monthly_cost(city: City, d: Department) -> Cost:
    price = city.price
    return Cost(
        compute=d.vcpu * price("vcpuMonth"),
        memory=d.memory_gib * price("memoryGiBMonth"),
        storage=d.storage_gib * price("storageGiBMonth"),
        oa=(d.oa.seats * price("oaSeatYear") / 12) if d.oa else 0.0,
        site=(price("siteYear") / 12) if d.site else 0.0,
    )


def chargeback(project: Project) -> Chargeback:
    city = project.city
    funding = {i: city.funding(i) for i in ITEMS}
    billed = tuple(i for i in ITEMS if funding[i] == "department")
    allocated = tuple(i for i in ITEMS if funding[i] == "city")
    costs = [(d, monthly_cost(city, d)) for d in project.departments]
    total = sum((c for _, c in costs), Cost())
    grand = total.total
    return Chargeback(
        tuple(DepartmentCost(d.code, d.name, len(d.systems), c, c.total / grand if grand else 0.0,
                             c.part(billed), c.part(allocated))
              for d, c in costs),
        total,
        funding,
    )
