"""What consolidation saves the city against every department building its own.

Seed 004 (Foshan, "五个统一") quotes what each unified item saved and over how many units;
govcloud scales each figure to this city's own count, so a city of 30 departments is not
credited with Foshan's total. Every figure comes from the City's price book (defaults in
`DEFAULT_PRICES`), so a city can put in its own measurements.

    network lines  = networkLinesYear  ÷ networkLinesUnits × departments with no dedicated line
    OA             = oaPlatformYear    ÷ oaPlatformUnits   × departments on the shared OA
    website        = sitePlatformYear  ÷ sitePlatformUnits × departments on the site platform
    data centre    = datacentreOneOff  ÷ datacentreSystems × business systems hosted (one-off)
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from govcloud.model import Department, Project

YEARLY = "year"
ONE_OFF = "one-off"
SEED = "佛山《实施智慧政务 提升行政水平》一(一)"


@dataclass(frozen=True)
class SavingsLine:
    """One unified item: the seed's figure, this city's count and the saving it yields."""

    item: str          # network-lines | oa | site | datacentre
    title: str
    title_zh: str
    period: str        # "year" or "one-off"
    reference: float   # the seed's (or the price book's) saving …
    reference_units: int  # … measured over this many units
    count: int         # this city's units of the same kind
    unit: str          # what `count` counts
    basis: str

    @property
    def per_unit(self) -> float:
        return self.reference / self.reference_units

    @property
    def amount(self) -> float:
        return round(self.reference * self.count / self.reference_units, 2)

    @property
    def formula(self) -> str:
        suffix = "/yr" if self.period == YEARLY else " one-off"
        return (f"{yuan(self.reference)}{suffix} ÷ {self.reference_units:,} units × {self.count:,} {self.unit}"
                f" = {yuan(self.amount)}{suffix}")

    def to_json(self) -> dict[str, object]:
        return {
            "item": self.item, "title": self.title, "titleZh": self.title_zh, "period": self.period,
            "reference": self.reference, "referenceUnits": self.reference_units,
            "perUnit": round(self.per_unit, 2), "count": self.count, "unit": self.unit,
            "amount": self.amount, "formula": self.formula, "basis": self.basis,
        }


@dataclass(frozen=True)
class Savings:
    lines: tuple[SavingsLine, ...]

    @property
    def yearly(self) -> float:
        return round(sum(line.amount for line in self.lines if line.period == YEARLY), 2)

    @property
    def one_off(self) -> float:
        return round(sum(line.amount for line in self.lines if line.period == ONE_OFF), 2)

    def line(self, item: str) -> SavingsLine:
        return next(line for line in self.lines if line.item == item)

    def to_json(self) -> dict[str, object]:
        return {"yearly": self.yearly, "oneOff": self.one_off, "lines": [line.to_json() for line in self.lines]}


def yuan(amount: float) -> str:
    """¥1,234 or ¥1,234.56: whole yuan without decimals, so formulas stay readable."""
    return f"¥{amount:,.0f}" if float(amount).is_integer() else f"¥{amount:,.2f}"


def on_shared_network(department: Department) -> bool:
    # Every department reaches the extranet; only one keeping a dedicated line still rents it.
    return all(s.network != "dedicated" for s in department.systems)


def _count(project: Project, keep: Callable[[Department], bool]) -> int:
    return sum(1 for d in project.departments if keep(d))


def savings(project: Project) -> Savings:
    """The four savings lines of seed 004, scaled to `project`."""
    price = project.city.price
    systems = sum(len(d.systems) for d in project.departments)

    def units(name: str) -> int:
        # A zero would divide by zero; the schema already requires at least 1.
        return max(1, int(price(name)))

    return Savings((
        SavingsLine(
            "network-lines", "Network lines", "统一网络平台", YEARLY,
            price("networkLinesYear"), units("networkLinesUnits"),
            _count(project, on_shared_network), "departments on the shared networks",
            f"{SEED}：统一建设政务专网，每年节约线路租用费900万元以上（1500多家单位接入政务外网）"),
        SavingsLine(
            "oa", "Shared OA", "统一办公自动化系统", YEARLY,
            price("oaPlatformYear"), units("oaPlatformUnits"),
            _count(project, lambda d: d.oa is not None), "departments on the shared OA",
            f"{SEED}：统一应用办公自动化系统，每年节约开发运维费800万元以上（近80个市直单位）"),
        SavingsLine(
            "site", "Website platform", "统一政务网站平台", YEARLY,
            price("sitePlatformYear"), units("sitePlatformUnits"),
            _count(project, lambda d: d.site is not None), "departments on the site platform",
            f"{SEED}：统一政务网站平台，每年节约开发运维费600万元以上（近180家市直单位）"),
        SavingsLine(
            "datacentre", "Data centre", "统一数据中心", ONE_OFF,
            price("datacentreOneOff"), units("datacentreSystems"),
            systems, "business systems hosted",
            f"{SEED}：统一数据中心，节约基础设施投入约2000万元以上；一(三)：全市建成各类业务应用系统近200个"),
    ))
