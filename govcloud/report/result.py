"""The report's data: the consolidation figures, the check's findings, one row per department."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from govcloud.consolidation import Consolidation, DuplicateGroup, consolidate
from govcloud.model import Finding, Project, Severity

SEVERITIES = tuple(s.value for s in Severity)


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

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code, "name": self.name, "category": self.category, "systems": self.systems,
            "vcpu": self.vcpu, "memoryGiB": self.memory_gib, "storageGiB": self.storage_gib,
            "monthlyCost": round(self.monthly_cost, 2), "share": round(self.share, 6),
            "quotaPeak": None if self.quota_peak is None else round(self.quota_peak, 4),
            "findings": self.findings.to_json(),
        }


@dataclass(frozen=True)
class Rule:
    """A rule that produced at least one finding, with the basis its findings link to."""

    id: str
    severity: str
    basis: str
    count: int

    @property
    def anchor(self) -> str:
        return f"rule-{self.id}"

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "severity": self.severity, "basis": self.basis, "findings": self.count}


@dataclass(frozen=True)
class ReportResult:
    city: str
    title: str
    domain: str
    generated: str            # ISO date the report speaks for
    consolidation: Consolidation
    departments: tuple[DepartmentRow, ...]
    findings: tuple[Finding, ...]
    rules: tuple[Rule, ...]
    exit_code: int = 0        # a report is information: policy errors do not fail it

    @property
    def summary(self) -> FindingCounts:
        return FindingCounts.of(self.findings)

    @property
    def systems(self) -> int:
        return sum(d.systems for d in self.departments)

    def to_json(self) -> dict[str, object]:
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
        }


def rules_of(findings: Sequence[Finding]) -> tuple[Rule, ...]:
    seen: dict[str, Rule] = {}
    for f in findings:
        known = seen.get(f.rule)
        count = known.count + 1 if known else 1
        seen[f.rule] = Rule(f.rule, f.severity.value, (known.basis if known and known.basis else f.basis), count)
    return tuple(sorted(seen.values(), key=lambda r: r.id))


def sorted_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Errors first, then warnings and infos; waived ones last; then by file and line."""
    return tuple(sorted(findings, key=lambda f: (f.waived, f.severity.rank, f.sort_key())))


def build_report(
    project: Project,
    findings: Iterable[Finding] = (),
    duplicates: Iterable[DuplicateGroup] = (),
    generated: str = "",
) -> ReportResult:
    """Pure: the report of `project` given the check's findings and its duplicate groups."""
    ordered = sorted_findings(findings)
    overview = consolidate(project, duplicates)
    by_department: dict[str | None, list[Finding]] = {}
    for f in ordered:
        by_department.setdefault(f.department, []).append(f)
    quota = {q.department: q.peak for q in overview.capacity.quotas}
    rows = tuple(
        DepartmentRow(
            d.code, d.name, d.category, len(d.systems), d.vcpu, d.memory_gib, d.storage_gib,
            cost.cost.total, cost.share, quota.get(d.code), FindingCounts.of(by_department.get(d.code, ())),
        )
        for d, cost in zip(project.departments, overview.chargeback.departments)
    )
    city = project.city
    return ReportResult(city.name, city.title, city.domain, generated, overview, rows, ordered, rules_of(ordered))
