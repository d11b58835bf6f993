"""What the departments request against what the data centre and shared platforms hold.

Sizing follows the blueprint format (`System.vcpu`, `.memory_gib`, `.storage_gib`); storage is compared in
GiB, with 1 TiB = 1,024 GiB. OA and site storage count against the shared platforms, not
against the data centre or a department's quota.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from govcloud.model import Department, Project

GIB_PER_TIB = 1024


@dataclass(frozen=True)
class Gauge:
    """One resource: requested against available."""

    resource: str   # vcpu | memory | storage | oa-seats | oa-storage | site-slots
    title: str
    unit: str
    requested: float
    capacity: float

    @property
    def ratio(self) -> float | None:
        return self.requested / self.capacity if self.capacity else None

    @property
    def over(self) -> bool:
        return self.requested > self.capacity

    def to_json(self) -> dict[str, object]:
        ratio = self.ratio
        return {
            "resource": self.resource, "title": self.title, "unit": self.unit,
            "requested": self.requested, "capacity": self.capacity,
            "ratio": None if ratio is None else round(ratio, 4), "over": self.over,
        }


@dataclass(frozen=True)
class QuotaUse:
    """One department's request against the quota the data-centre team granted it."""

    department: str
    name: str
    vcpu: Gauge
    memory: Gauge
    storage: Gauge

    @property
    def gauges(self) -> tuple[Gauge, Gauge, Gauge]:
        return (self.vcpu, self.memory, self.storage)

    @property
    def peak(self) -> float:
        """The highest ratio of the three: how close the department is to its quota."""
        return max((g.ratio or 0.0) for g in self.gauges)

    @property
    def over(self) -> bool:
        return any(g.over for g in self.gauges)

    def to_json(self) -> dict[str, object]:
        return {"department": self.department, "name": self.name, "peak": round(self.peak, 4),
                "over": self.over, "gauges": [g.to_json() for g in self.gauges]}


@dataclass(frozen=True)
class Reclaimed:
    """A retired system (下线): what it no longer takes from its department's grant and the data centre."""

    department: str
    system: str
    retired: str          # ISO date
    vcpu: int
    memory_gib: int
    storage_gib: int

    def to_json(self) -> dict[str, object]:
        return {"department": self.department, "system": self.system, "retired": self.retired,
                "vcpu": self.vcpu, "memoryGiB": self.memory_gib, "storageGiB": self.storage_gib}


def reclaimed(project: Project, today: date) -> tuple[Reclaimed, ...]:
    """Every system of `project` retired by `today`, with the capacity it frees."""
    return tuple(Reclaimed(d.code, s.name, s.retire or "", s.vcpu, s.memory_gib, s.storage_gib)
                 for d, s in project.retired(today))


@dataclass(frozen=True)
class CapacityReport:
    gauges: tuple[Gauge, ...]
    quotas: tuple[QuotaUse, ...]          # departments with a quota, by code
    without_quota: tuple[str, ...]        # department codes with no quota granted
    members: tuple[tuple[str, int], ...] = ()   # (platform, departments on it): OA, document exchange, site
    reclaimed: tuple[Reclaimed, ...] = ()       # retired systems: capacity given back

    def reclaimed_total(self) -> tuple[int, int, int]:
        """(vCPU, GiB memory, GiB storage) the retired systems gave back."""
        return (sum(r.vcpu for r in self.reclaimed), sum(r.memory_gib for r in self.reclaimed),
                sum(r.storage_gib for r in self.reclaimed))

    def gauge(self, resource: str) -> Gauge:
        return next(g for g in self.gauges if g.resource == resource)

    def to_json(self) -> dict[str, object]:
        return {"gauges": [g.to_json() for g in self.gauges],
                "overQuota": sum(1 for q in self.quotas if q.over),
                "quotas": [q.to_json() for q in self.quotas],
                "withoutQuota": list(self.without_quota),
                "members": dict(self.members),
                "reclaimed": {"systems": [r.to_json() for r in self.reclaimed],
                              "vcpu": self.reclaimed_total()[0], "memoryGiB": self.reclaimed_total()[1],
                              "storageGiB": self.reclaimed_total()[2]}}


def _quota_use(d: Department) -> QuotaUse | None:
    if d.quota is None:
        return None
    q = d.quota
    return QuotaUse(
        d.code, d.name,
        Gauge("vcpu", "vCPU", "vCPU", d.vcpu, q.vcpu),
        Gauge("memory", "Memory", "GiB", d.memory_gib, q.memory_gib),
        Gauge("storage", "Storage", "GiB", d.storage_gib, q.storage_tib * GIB_PER_TIB),
    )


def capacity(project: Project) -> CapacityReport:
    """City-wide gauges and every department's quota use."""
    city, depts = project.city, project.departments
    cap, platforms = city.datacentre.capacity, city.platforms
    gauges = [
        Gauge("vcpu", "vCPU", "vCPU", sum(d.vcpu for d in depts), cap.vcpu),
        Gauge("memory", "Memory", "GiB", sum(d.memory_gib for d in depts), cap.memory_gib),
        Gauge("storage", "Storage", "GiB", sum(d.storage_gib for d in depts), cap.storage_tib * GIB_PER_TIB),
        Gauge("oa-seats", "OA seats", "seats", sum(d.oa.seats for d in depts if d.oa), platforms.oa_seats),
    ]
    # The OA's document storage is only gauged when the city states it (it is optional).
    if platforms.oa_storage_tib:
        gauges.append(Gauge("oa-storage", "OA storage", "GiB",
                            sum(d.oa.storage_gib for d in depts if d.oa),
                            platforms.oa_storage_tib * GIB_PER_TIB))
    gauges.append(Gauge("site-slots", "Site slots", "sites", sum(1 for d in depts if d.site),
                        platforms.site_max_sites))
    quotas = tuple(q for q in (_quota_use(d) for d in depts) if q is not None)
    # Memberships differ by platform: Foshan had about 80 units on the OA but 220+ on the exchange.
    members = (("oa", sum(1 for d in depts if d.oa)),
               ("document-exchange", sum(1 for d in depts if d.on_document_exchange)),
               ("site", sum(1 for d in depts if d.site)))
    return CapacityReport(tuple(gauges), quotas, tuple(d.code for d in depts if d.quota is None), members)
