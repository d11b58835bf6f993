"""What consolidation saves the city against every department building its own.

Foshan's guidance (《实施智慧政务 提升行政水平》) quotes what each unified item saved and over
how many organisations (单位); govcloud scales each figure to this city's own count, so a
city of 30 departments is not credited with Foshan's total. Every guidance figure is a floor
("900万元以上", "据不完全统计"), so every saving derived from one is a floor too and is shown
as "≥". Every figure comes from the City's price book (defaults in `DEFAULT_PRICES`).

    network lines  = networkLinesYear  ÷ networkLinesUnits × departments on the shared networks
    OA             = oaPlatformYear    ÷ oaPlatformUnits   × departments on the shared OA
    website        = sitePlatformYear  ÷ sitePlatformUnits × departments on the site platform
    data centre    = datacentreOneOff  ÷ datacentreSystems × business systems hosted (one-off)

Only approved departments count; requests still under review (`requests/`) are counted apart
(`pending`), so a saving is never claimed for what has not been approved.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

from govcloud.model import Department, Project
from govcloud.model.money import floor, money, yuan

__all__ = ["ONE_OFF", "YEARLY", "Savings", "SavingsLine", "money", "on_shared_network", "savings",
           "under_review", "yuan"]

YEARLY = "year"
ONE_OFF = "one-off"
SEED = "佛山《实施智慧政务 提升行政水平》一(一)"
REQUESTS_DIR = "requests"


@dataclass(frozen=True)
class SavingsLine:
    """One unified item: the guidance's figure, this city's count and the saving it yields."""

    item: str          # network-lines | oa | site | datacentre
    title: str
    title_zh: str
    period: str        # "year" or "one-off"
    reference: float   # the guidance's (or the price book's) saving, a floor …
    reference_units: int  # … measured over this many organisations (or systems)
    count: int         # this city's approved units of the same kind
    unit: str          # what `count` counts
    basis: str
    pending: int = 0   # units of the same kind in requests under review (not in `amount`)
    reference_unit: str = "organisations"

    @property
    def per_unit(self) -> float:
        return self.reference / self.reference_units

    @property
    def amount(self) -> float:
        return round(self.reference * self.count / self.reference_units, 2)

    @property
    def pending_amount(self) -> float:
        return round(self.reference * self.pending / self.reference_units, 2)

    @property
    def shown(self) -> str:
        """The saving as a floor, e.g. '≥ ¥18万/yr'."""
        return floor(self.amount) + ("/yr" if self.period == YEARLY else " one-off")

    @property
    def formula(self) -> str:
        suffix = "/yr" if self.period == YEARLY else " one-off"
        return (f"{floor(self.reference)}{suffix} ÷ {self.reference_units:,} {self.reference_unit} × "
                f"{self.count:,} {self.unit} = {self.shown}")

    def to_json(self) -> dict[str, object]:
        return {
            "item": self.item, "title": self.title, "titleZh": self.title_zh, "period": self.period,
            "reference": self.reference, "referenceUnits": self.reference_units,
            "referenceUnit": self.reference_unit, "perUnit": round(self.per_unit, 2), "count": self.count,
            "unit": self.unit, "amount": self.amount, "floor": True, "shown": self.shown,
            "pending": self.pending, "pendingAmount": self.pending_amount,
            "formula": self.formula, "basis": self.basis,
        }


@dataclass(frozen=True)
class Savings:
    lines: tuple[SavingsLine, ...]
    under_review: tuple[str, ...] = ()    # codes of the requests left out of the totals

    @property
    def yearly(self) -> float:
        return round(sum(line.amount for line in self.lines if line.period == YEARLY), 2)

    @property
    def one_off(self) -> float:
        return round(sum(line.amount for line in self.lines if line.period == ONE_OFF), 2)

    @property
    def pending_yearly(self) -> float:
        return round(sum(line.pending_amount for line in self.lines if line.period == YEARLY), 2)

    def line(self, item: str) -> SavingsLine:
        return next(line for line in self.lines if line.item == item)

    def to_json(self) -> dict[str, object]:
        return {"yearly": self.yearly, "oneOff": self.one_off, "floor": True,
                "shown": {"yearly": floor(self.yearly) + "/yr", "oneOff": floor(self.one_off)},
                "underReview": {"departments": list(self.under_review), "yearly": self.pending_yearly},
                "lines": [line.to_json() for line in self.lines]}


def under_review(department: Department) -> bool:
    """A request not yet approved: its file lies in a `requests/` folder of the project."""
    return REQUESTS_DIR in PurePath(department.file).parts[:-1]


def on_shared_network(department: Department) -> bool:
    # Every department reaches the extranet; only one whose every system is on a private line
    # has none of its traffic on the shared networks (an exempt line for one system is not a
    # reason to drop the department's other systems, its OA and its site from the count).
    return not department.systems or any(s.network != "dedicated" for s in department.systems)


def savings(project: Project) -> Savings:
    """The four savings lines of Foshan's guidance, scaled to the approved part of `project`."""
    price = project.city.price
    approved = [d for d in project.departments if not under_review(d)]
    pending = [d for d in project.departments if under_review(d)]

    def units(name: str) -> int:
        # A zero would divide by zero; the schema already requires at least 1.
        return max(1, int(price(name)))

    def line(item: str, title: str, zh: str, period: str, ref: str, per: str, keep: Callable[[Department], bool],
             unit: str, basis: str, ref_unit: str = "organisations",
             size: Callable[[Department], int] | None = None) -> SavingsLine:
        measure = size or (lambda d: 1 if keep(d) else 0)
        return SavingsLine(item, title, zh, period, price(ref), units(per), sum(measure(d) for d in approved),
                           unit, basis, sum(measure(d) for d in pending), ref_unit)

    return Savings((
        line("network-lines", "Network lines", "统一网络平台", YEARLY, "networkLinesYear", "networkLinesUnits",
             on_shared_network, "departments on the shared networks",
             f"{SEED}：“每年节约线路租用费900万元以上”；“1500多家单位全部接入我市电子政务外网”"),
        line("oa", "Shared OA", "统一办公自动化系统", YEARLY, "oaPlatformYear", "oaPlatformUnits",
             lambda d: d.oa is not None, "departments on the shared OA",
             f"{SEED}：“统一应用办公自动化系统,每年节约开发运维费800万元以上”；“统一使用OA办公自动化系统的市直单位有近80个”"),
        line("site", "Website platform", "统一政务网站平台", YEARLY, "sitePlatformYear", "sitePlatformUnits",
             lambda d: d.site is not None, "departments on the site platform",
             f"{SEED}：“统一政务网站平台,每年节约开发运维费600万元以上”；“在线应用我市网站信息发布平台的市直单位有近180家”"),
        line("datacentre", "Data centre", "统一数据中心", ONE_OFF, "datacentreOneOff", "datacentreSystems",
             lambda d: True, "business systems hosted",
             f"{SEED}：“统一数据中心,节约基础设施投入约2000万元以上”；一(三)：“目前全市建成各类业务应用系统近200个”",
             "systems", size=lambda d: len(d.systems)),
    ), tuple(d.code for d in pending))
