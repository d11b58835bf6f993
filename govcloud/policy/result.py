"""What `check` returns: every finding, the counts, and the exit code they imply."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from govcloud.model import Finding, Project, Severity
from govcloud.model.duplicates import DuplicateGroup
from govcloud.policy.rule import Rule

# Findings that mean the input itself is bad (exit 2), not that the city breaks a policy.
INPUT_RULES = frozenset({"GC-SCHEMA", "GC-POLICY"})


@dataclass(frozen=True)
class CheckSummary:
    """The counts of a policy check: `summary` of `check --format json`."""

    errors: int
    warnings: int
    infos: int
    waived: int
    departments: int

    @classmethod
    def of(cls, findings: Iterable[Finding], departments: int) -> CheckSummary:
        counts = {s: 0 for s in Severity}
        waived = 0
        for f in findings:
            if f.waived:
                waived += 1
            else:
                counts[f.severity] += 1
        return cls(counts[Severity.ERROR], counts[Severity.WARNING], counts[Severity.INFO], waived, departments)

    def to_json(self) -> dict[str, int]:
        return {"errors": self.errors, "warnings": self.warnings, "infos": self.infos,
                "waived": self.waived, "departments": self.departments}


def exit_code(findings: Iterable[Finding], fail_on: Severity) -> int:
    """2 for bad input, 1 for an unwaived finding at or above `fail_on`, else 0."""
    code = 0
    failing = {s for s in Severity if s.rank <= fail_on.rank}
    for f in findings:
        if f.severity is Severity.ERROR and f.rule in INPUT_RULES:
            return 2
        if not f.waived and f.severity in failing:
            code = 1
    return code


@dataclass(frozen=True)
class CheckResult:
    """The outcome of `govcloud check`; `to_dict()` is the check envelope and `to_json()` its
    text, exactly what `check --format json` prints."""

    findings: tuple[Finding, ...]
    summary: CheckSummary
    exit_code: int
    fail_on: Severity = Severity.ERROR
    rules: tuple[Rule, ...] = ()                 # the catalogue the blueprints were checked against
    departments: tuple[str, ...] = ()            # codes of the checked departments
    duplicates: tuple[DuplicateGroup, ...] = ()  # GC-DUP-003's groups, for the report
    project: Project | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def to_dict(self) -> dict[str, object]:
        return {"findings": [f.to_json() for f in self.findings], "summary": self.summary.to_json()}

    def to_json(self) -> str:
        from govcloud.policy.formats.envelope import iter_json  # the CLI's own writer: the same text

        return "".join(iter_json(self))
