"""The report's data: the consolidation figures, the check's findings, one row per department."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

from govcloud.consolidation import Consolidation, DuplicateGroup, consolidate, under_review
from govcloud.consolidation.capacity import reclaimed
from govcloud.model import Finding, Project
from govcloud.model.duplicates import duplicate_groups

DUPLICATE_RULE = "GC-DUP-003"


@dataclass(frozen=True)
class FindingCounts:
    """Findings by severity, waived ones counted apart (they no longer block)."""

    error: int = 0
    warning: int = 0
    info: int = 0
    waived: int = 0

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> FindingCounts:
        counts: Counter[str] = Counter()
        for f in findings:
            counts["waived" if f.waived else f.severity.value] += 1
        return cls(counts["error"], counts["warning"], counts["info"], counts["waived"])

    def to_json(self) -> dict[str, int]:
        return {"errors": self.error, "warnings": self.warning, "infos": self.info, "waived": self.waived}


@dataclass(frozen=True)
class DepartmentRow:
    code: str
    name: str
    category: str
    systems: int
    vcpu: int
    memory_gib: int
    storage_gib: int
    monthly_cost: float
    share: float
    quota_peak: float | None  # highest of vCPU/memory/storage use against quota; None: no quota
    findings: FindingCounts
    billed: float = 0.0       # monthly, billed to the department
    allocated: float = 0.0    # monthly, city-funded (shown, not billed)
    level: str = "city"
    district: str | None = None
    under_review: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code, "name": self.name, "category": self.category, "systems": self.systems,
            "vcpu": self.vcpu, "memoryGiB": self.memory_gib, "storageGiB": self.storage_gib,
            "monthlyCost": round(self.monthly_cost, 2), "share": round(self.share, 6),
            "quotaPeak": None if self.quota_peak is None else round(self.quota_peak, 4),
            "findings": self.findings.to_json(), "billed": round(self.billed, 2),
            "allocated": round(self.allocated, 2), "level": self.level, "district": self.district,
            "underReview": self.under_review,
        }


@dataclass(frozen=True)
class DistrictRow:
    """The city's own departments, or one district's units, together (市、区两级)."""

    district: str | None       # None: the city level
    name: str
    departments: int
    vcpu: int
    memory_gib: int
    storage_gib: int
    quota_vcpu: int
    billed: float

    def to_json(self) -> dict[str, object]:
        return {"district": self.district, "name": self.name, "departments": self.departments,
                "vcpu": self.vcpu, "memoryGiB": self.memory_gib, "storageGiB": self.storage_gib,
                "quotaVcpu": self.quota_vcpu, "billed": round(self.billed, 2)}


@dataclass(frozen=True)
class ReportedRule:
    """A rule that produced at least one finding, with the basis its findings link to."""

    id: str
    severity: str
    basis: str
    count: int
    title: str = ""
    title_zh: str = ""

    @property
    def anchor(self) -> str:
        return f"rule-{self.id}"

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "titleZh": self.title_zh, "severity": self.severity,
                "basis": self.basis, "findings": self.count}


@dataclass(frozen=True)
class ReportResult:
    city: str
    title: str
    domain: str
    generated: str            # ISO date the report speaks for
    consolidation: Consolidation
    departments: tuple[DepartmentRow, ...]
    findings: tuple[Finding, ...]
    rules: tuple[ReportedRule, ...]
    exit_code: int = 0        # a report is information: policy errors do not fail it
    districts: tuple[DistrictRow, ...] = ()

    @property
    def summary(self) -> FindingCounts:
        return FindingCounts.of(self.findings)

    @property
    def systems(self) -> int:
        return sum(d.systems for d in self.departments)

    def to_dict(self) -> dict[str, object]:
        """What `report --format json` prints, as JSON-ready data."""
        return {
            "city": {"name": self.city, "title": self.title, "domain": self.domain},
            "generated": self.generated,
            "departments": len(self.departments),
            "systems": self.systems,
            **self.consolidation.to_json(),
            "departmentTable": [d.to_json() for d in self.departments],
            "findings": [f.to_json() for f in self.findings],
            "findingsSummary": self.summary.to_json(),
            "rules": [r.to_json() for r in self.rules],
            "districts": [d.to_json() for d in self.districts],
        }

    def to_json(self) -> str:
        """`to_dict()` as the JSON text `report --format json` prints."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)


class CatalogueEntry(Protocol):
    """What the report needs of a policy rule: its title and the basis findings link to."""

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def basis(self) -> str: ...


def rules_of(findings: Sequence[Finding], catalogue: Iterable[CatalogueEntry] = ()) -> tuple[ReportedRule, ...]:
    """The rules behind `findings`; title and basis from the catalogue, else from the findings."""
    known = {entry.id: entry for entry in catalogue}
    counts: Counter[str] = Counter(f.rule for f in findings)
    first: dict[str, Finding] = {}
    for f in findings:
        if f.rule not in first or (f.basis and not first[f.rule].basis):
            first[f.rule] = f
    rules = []
    for rule_id, f in first.items():
        entry = known.get(rule_id)
        rules.append(ReportedRule(rule_id, f.severity.value, (entry.basis if entry and entry.basis else f.basis),
                          counts[rule_id], entry.title if entry else "", getattr(entry, "title_zh", "")))
    return tuple(sorted(rules, key=lambda r: r.id))


def sorted_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Errors first, then warnings and infos; waived ones last; then by file and line."""
    return tuple(sorted(findings, key=lambda f: (f.waived, f.severity.rank, f.sort_key())))


def duplicates_of(project: Project, findings: Iterable[Finding]) -> tuple[DuplicateGroup, ...]:
    """The groups behind the check's GC-DUP-003 findings (waived or not), with their savings.

    Taking the functions from the findings keeps the report in step with the policy's own
    parameters (which functions are shared platforms, how many departments make a duplicate).
    """
    flagged = {(f.department, f.system) for f in findings if f.rule == DUPLICATE_RULE}
    if not flagged:
        return ()
    functions = {s.function for d in project.departments for s in d.systems if (d.code, s.name) in flagged}
    return tuple(g for g in duplicate_groups(project.city, project.departments) if g.function in functions)


def _as_of(generated: str) -> date:
    """The report's date (its `generated` day, else today): retired systems count up to it."""
    try:
        return date.fromisoformat(generated[:10])
    except ValueError:
        return date.today()


def build_report(
    project: Project,
    findings: Iterable[Finding] = (),
    duplicates: Iterable[DuplicateGroup] | None = None,
    generated: str = "",
    catalogue: Iterable[CatalogueEntry] = (),
) -> ReportResult:
    """Pure: the report of `project` given the check's findings.

    `duplicates` default to the groups of the findings' GC-DUP-003 (see `duplicates_of`);
    `catalogue` (the check's rules) gives each rule its title and basis.
    """
    ordered = sorted_findings(findings)
    today = _as_of(generated)
    full, project = project, project.active(today)  # retired systems (下线) count no longer
    groups = duplicates_of(project, ordered) if duplicates is None else duplicates
    overview = consolidate(project, groups)
    freed = reclaimed(full, today)
    if freed:
        overview = replace(overview, capacity=replace(overview.capacity, reclaimed=freed))
    by_department: dict[str | None, list[Finding]] = {}
    for f in ordered:
        by_department.setdefault(f.department, []).append(f)
    quota = {q.department: q.peak for q in overview.capacity.quotas}
    rows = tuple(
        DepartmentRow(
            d.code, d.name, d.category, len(d.systems), d.vcpu, d.memory_gib, d.storage_gib,
            cost.cost.total, cost.share, quota.get(d.code), FindingCounts.of(by_department.get(d.code, ())),
            cost.billed, cost.allocated, d.level, d.district, under_review(d),
        )
        for d, cost in zip(project.departments, overview.chargeback.departments, strict=False)
    )
    city = project.city
    return ReportResult(city.name, city.title, city.domain, generated, overview, rows, ordered,
                        rules_of(ordered, catalogue), districts=by_district(project, rows))


def by_district(project: Project, rows: Sequence[DepartmentRow]) -> tuple[DistrictRow, ...]:
    """Demand, quotas and billed cost of the city level and of each district with units."""
    names = {d.code: d.name for d in project.city.districts}
    quotas = {d.code: (d.quota.vcpu if d.quota else 0) for d in project.departments}
    groups: dict[str | None, list[DepartmentRow]] = {}
    for row in rows:
        key = row.district if row.level != "city" else None
        groups.setdefault(key, []).append(row)
    if list(groups) == [None]:
        return ()  # a city with no district units has nothing to group
    out = []
    for key in sorted(groups, key=lambda k: (k is not None, k or "")):
        members = groups[key]
        out.append(DistrictRow(key, "市直 city level" if key is None else names.get(key, f"{key} (unknown)"),
                               len(members), sum(r.vcpu for r in members), sum(r.memory_gib for r in members),
                               sum(r.storage_gib for r in members), sum(quotas[r.code] for r in members),
                               sum(r.billed for r in members)))
    return tuple(out)
