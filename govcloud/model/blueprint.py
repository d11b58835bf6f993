"""The city and its departments, as the blueprints describe them (DESIGN §3)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from govcloud.model.document import Document, Path
from govcloud.model.location import Location

if TYPE_CHECKING:
    from govcloud.model.registers import Registers

NETWORKS = ("extranet", "intranet", "dedicated")
CATEGORIES = ("general", "politics-law", "social-security", "vertical")
LEVELS = ("city", "district", "town")


@dataclass(frozen=True)
class Compute:
    role: str
    count: int
    vcpu: int
    memory_gib: int
    image: str
    disk_gib: int


@dataclass(frozen=True)
class Database:
    engine: str
    storage_gib: int
    replicas: int = 1


@dataclass(frozen=True)
class Backup:
    offsite: bool = False


@dataclass(frozen=True)
class Share:
    dataset: str
    to: tuple[str, ...]


@dataclass(frozen=True)
class Part:
    """A part of a system on one network (外网受理、内网办理、外网公布)."""

    name: str
    network: str
    stage: str | None = None
    exchange: str = "data-sharing"


@dataclass(frozen=True)
class System:
    name: str
    title: str
    function: str
    network: str
    mlps: int
    classified: bool = False
    public_endpoint: bool = False
    compute: tuple[Compute, ...] = ()
    database: Database | None = None
    object_storage_gib: int = 0
    encryption: bool = False
    backup: Backup = Backup()
    audit_log_days: int = 180
    base_database: str | None = None
    consumes: tuple[str, ...] = ()
    shares: tuple[Share, ...] = ()
    path: Path = field(default=(), compare=False)  # where it sits in its department's document
    dedicated_network: str | None = None   # the exempt network a `dedicated` system uses
    encryption_in_transit: bool = False
    parts: tuple[Part, ...] = ()
    retire: str | None = None              # ISO date from which the system is retired (下线)
    project: str | None = None             # its own approved project, when not the department's
    secrecy: str | None = None             # 密级 of a classified system: confidential (秘密) | secret (机密)

    def retired(self, today: date) -> bool:
        """True from the retire date on: the graph leaves it out and its quota is free again."""
        return self.retire is not None and date.fromisoformat(self.retire) <= today

    # Loops, not sum() over a generator: a system has a server or two, and the checks across the
    # city ask each system's size several times (a third of the time for such short tuples).
    @property
    def vcpu(self) -> int:
        total = 0
        for c in self.compute:
            total += c.count * c.vcpu
        return total

    @property
    def memory_gib(self) -> int:
        total = 0
        for c in self.compute:
            total += c.count * c.memory_gib
        return total

    @property
    def storage_gib(self) -> int:
        total = 0
        for c in self.compute:
            total += c.count * c.disk_gib
        db = self.database.storage_gib * self.database.replicas if self.database else 0
        return total + db + self.object_storage_gib


@dataclass(frozen=True)
class Quota:
    vcpu: int
    memory_gib: int
    storage_tib: float


@dataclass(frozen=True)
class OATenant:
    seats: int
    storage_gib: int = 0
    document_exchange: bool = False


@dataclass(frozen=True)
class SiteTenant:
    host: str
    columns: tuple[str, ...] = ()
    ipv6: bool = False
    storage_gib: int = 0


@dataclass(frozen=True)
class Delegation:
    """A base database its owner has another department host (委托代建代管)."""

    base_database: str
    host: str


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    category: str
    project: str | None
    headcount: int
    quota: Quota | None
    oa: OATenant | None
    site: SiteTenant | None
    systems: tuple[System, ...]
    doc: Document = field(compare=False, repr=False)
    level: str = "city"                     # city | district | town
    district: str | None = None
    delegated_hosting: tuple[Delegation, ...] = ()
    exchange_mailboxes: int = 0             # on the document exchange, with or without OA
    former_code: str | None = None          # before an institutional reform (机构改革) renamed it
    # `quota` is what counts: the city's grant once it keeps a grants register, else spec.quota;
    # `requested_quota` is what the file itself asks for (spec.quota).
    requested_quota: Quota | None = None

    @property
    def on_document_exchange(self) -> bool:
        return self.exchange_mailboxes > 0 or bool(self.oa and self.oa.document_exchange)

    @property
    def file(self) -> str:
        return self.doc.file

    def location_of(self, path: Path = (), *, key: bool = False) -> Location:
        return self.doc.location_of(path, key=key)

    @property
    def vcpu(self) -> int:
        total = 0
        for s in self.systems:
            total += s.vcpu
        return total

    @property
    def memory_gib(self) -> int:
        total = 0
        for s in self.systems:
            total += s.memory_gib
        return total

    @property
    def storage_gib(self) -> int:
        total = 0
        for s in self.systems:
            total += s.storage_gib
        return total


@dataclass(frozen=True)
class Capacity:
    vcpu: int
    memory_gib: int
    storage_tib: float


@dataclass(frozen=True)
class ClassifiedPool:
    """The intranet's own resource pool (涉密资源池): its endpoint, account and DR site.

    Everything on the intranet lives there, physically apart from the extranet's pool
    (内网与外网物理隔离); `region` and `dr_region` are logical names like the datacentre's."""

    region: str
    dr_region: str
    description: str = ""


@dataclass(frozen=True)
class Datacentre:
    region: str
    dr_region: str
    mlps: int
    capacity: Capacity
    classified_pool: ClassifiedPool | None = None


@dataclass(frozen=True)
class Platforms:
    oa_seats: int
    oa_storage_tib: float
    site_max_sites: int


# Defaults of the price book (yuan); the seed's yearly savings are the consolidation defaults.
DEFAULT_PRICES: dict[str, float] = {
    "vcpuMonth": 60,
    "memoryGiBMonth": 15,
    "storageGiBMonth": 0.4,
    "oaSeatYear": 200,
    "siteYear": 30000,
    # Seed 004 (Foshan, "五个统一"): what consolidation saved the city, and over how many units;
    # govcloud scales each figure to this city's own count (formulas in consolidation/savings.py).
    "networkLinesYear": 9_000_000,   # 统一政务专网: line rental saved a year …
    "networkLinesUnits": 1500,       # … over the 1,500+ units on the extranet
    "oaPlatformYear": 8_000_000,     # 统一OA: development and operation saved a year …
    "oaPlatformUnits": 80,           # … over the ~80 units on the shared OA
    "sitePlatformYear": 6_000_000,   # 统一政务网站平台: development and operation saved a year …
    "sitePlatformUnits": 180,        # … over the ~180 units on the site platform
    "datacentreOneOff": 20_000_000,  # 统一数据中心: infrastructure investment saved once …
    "datacentreSystems": 200,        # … for the ~200 business systems the city runs
}


@dataclass(frozen=True)
class ExemptNetwork:
    """A private network the city lets departments keep for now, with its basis."""

    id: str
    name: str
    basis: str
    sunset: str | None = None               # last day it applies (ISO date)
    departments: tuple[str, ...] = ()       # who may use it; empty: any department


@dataclass(frozen=True)
class District:
    code: str
    name: str


# Who pays each chargeback item (锡政发[2004]99号 四(五)): shared platforms "由市统一支付".
DEFAULT_FUNDING: dict[str, str] = {
    "compute": "department", "memory": "department", "storage": "department", "oa": "city", "site": "city",
}


@dataclass(frozen=True)
class City:
    name: str
    title: str
    domain: str
    networks: dict[str, str]  # extranet/intranet/internetZone -> CIDR
    exempt_categories: tuple[str, ...]
    project_pattern: str | None
    datacentre: Datacentre
    platforms: Platforms
    prices: dict[str, float]
    doc: Document = field(compare=False, repr=False)
    exempt_networks: tuple[ExemptNetwork, ...] = ()
    districts: tuple[District, ...] = ()
    funding_of: dict[str, str] = field(default_factory=dict)

    def location_of(self, path: Path = (), *, key: bool = False) -> Location:
        return self.doc.location_of(path, key=key)

    def price(self, name: str) -> float:
        return float(self.prices.get(name, DEFAULT_PRICES.get(name, 0.0)))

    def funding(self, item: str) -> str:
        """'city' (allocated, not billed) or 'department' (billed) for a chargeback item."""
        return self.funding_of.get(item, DEFAULT_FUNDING.get(item, "department"))


def _no_registers() -> Registers:
    from govcloud.model.registers import Registers  # registers.py builds on this module

    return Registers()


@dataclass(frozen=True)
class Project:
    """A loaded project: one city and its departments (sorted by code)."""

    root: str
    city: City
    departments: tuple[Department, ...]
    registers: Registers = field(default_factory=_no_registers, compare=False)

    def active(self, today: date) -> Project:
        """The project without the systems retired by `today` (下线)."""
        if not any(s.retired(today) for d in self.departments for s in d.systems):
            return self
        return replace(self, departments=tuple(
            replace(d, systems=tuple(s for s in d.systems if not s.retired(today))) for d in self.departments))

    def retired(self, today: date) -> tuple[tuple[Department, System], ...]:
        """(department, system) of every system retired by `today`."""
        return tuple((d, s) for d in self.departments for s in d.systems if s.retired(today))

    def department(self, code: str) -> Department | None:
        for d in self.departments:
            if d.code == code:
                return d
        return None

    def raw(self) -> list[dict[str, Any]]:
        return [d.doc.data for d in self.departments]
