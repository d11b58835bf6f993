"""What the stack operations return: frozen, printable as text (cli/) or JSON: every result
has `to_dict()` (JSON-ready data) and `to_json()` (that data as JSON text).

Property values in here are rendered by the engine (secrets as `[secret]`), so any of
these results may be printed or logged as they are.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govcloud.engine import ChangeSummary, Drift, Plan, Result, Step
from govcloud.model import Finding, Severity
from govcloud.policy import CheckResult

OK, FAILED, REFUSED, CANCELLED = "ok", "failed", "refused", "cancelled"


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)


def blocking_findings(check: CheckResult | None) -> tuple[Finding, ...]:
    """The findings that stop a deployment: unwaived errors."""
    if check is None:
        return ()
    return tuple(f for f in check.findings if f.severity is Severity.ERROR and not f.waived)


def gate_summary(check: CheckResult | None) -> dict[str, Any] | None:
    """The policy gate's counts and the ids of its unwaived warnings (None: no gate ran)."""
    if check is None:
        return None
    warned = sorted({f.rule for f in check.findings if f.severity is Severity.WARNING and not f.waived})
    return {**check.summary.to_json(), "warningRules": warned}


def changed_steps(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """The steps worth listing: every change, and renames (an alias) even when nothing else changed."""
    return tuple(s for s in steps if s.shown)


@dataclass(frozen=True)
class PlanResult:
    """`govcloud plan`: the policy gate, then the steps an apply would take."""

    stack: str
    engine: str
    check: CheckResult | None
    plan: Plan | None

    @property
    def refused(self) -> bool:
        return self.plan is None

    @property
    def summary(self) -> ChangeSummary:
        return self.plan.summary if self.plan is not None else ChangeSummary()

    @property
    def steps(self) -> tuple[Step, ...]:
        return changed_steps(self.plan.steps) if self.plan is not None else ()

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.plan.warnings if self.plan is not None else ()

    @property
    def exit_code(self) -> int:
        if self.refused:
            return self.check.exit_code if self.check is not None and self.check.exit_code else 1
        return 0

    def to_dict(self) -> dict[str, Any]:
        return {"stack": self.stack, "engine": self.engine, "refused": self.refused,
                # Whether the cloud was read first; else the plan compares with the state only.
                "refreshed": self.plan.refreshed if self.plan is not None else False,
                "summary": self.summary.to_dict(), "steps": [s.to_dict() for s in self.steps],
                "warnings": list(self.warnings),
                "findings": [f.to_json() for f in blocking_findings(self.check)],
                "gate": gate_summary(self.check)}

    def to_json(self) -> str:
        return _dumps(self.to_dict())


@dataclass(frozen=True)
class ApplyResult:
    """`govcloud apply` or `destroy`: how it ended, the plan's and the run's counts, the audit line."""

    stack: str
    engine: str
    operation: str  # apply | destroy
    status: str  # ok | failed | refused | cancelled
    check: CheckResult | None = None
    plan: Plan | None = None
    result: Result | None = None
    duration: float = 0.0
    error: str = ""
    audit: Path | None = None
    # Resources the stack holds per department after the run ("city" for the shared platforms).
    departments: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def summary(self) -> ChangeSummary:
        if self.result is not None:
            return self.result.summary
        return self.plan.summary if self.plan is not None else ChangeSummary()

    @property
    def nothing_to_do(self) -> bool:
        return self.ok and self.summary.changes == 0

    @property
    def steps(self) -> tuple[Step, ...]:
        return changed_steps(self.result.steps) if self.result is not None else ()

    @property
    def outputs(self) -> dict[str, Any]:
        return dict(self.result.outputs) if self.result is not None else {}

    @property
    def warnings(self) -> tuple[str, ...]:
        found = self.result.warnings if self.result is not None else ()
        return found or (self.plan.warnings if self.plan is not None else ())

    @property
    def exit_code(self) -> int:
        if self.status == OK:
            return 0
        if self.status == REFUSED and self.check is not None and self.check.exit_code:
            return self.check.exit_code
        return 1

    def to_dict(self) -> dict[str, Any]:
        return {"stack": self.stack, "engine": self.engine, "operation": self.operation,
                "status": self.status, "ok": self.ok, "error": self.error,
                "summary": self.summary.to_dict(),
                "plan": self.plan.summary.to_dict() if self.plan is not None else None,
                "duration": round(self.duration, 3),
                "steps": [s.to_dict() for s in self.steps],
                "outputs": self.outputs, "departments": self.departments,
                "warnings": list(self.warnings),
                "findings": [f.to_json() for f in blocking_findings(self.check)],
                "gate": gate_summary(self.check),
                "audit": str(self.audit) if self.audit else None}

    def to_json(self) -> str:
        return _dumps(self.to_dict())


@dataclass(frozen=True)
class RefreshResult:
    """`govcloud refresh`: live properties that differ from the state, and resources gone."""

    stack: str
    engine: str
    drift: Drift

    @property
    def exit_code(self) -> int:
        return 0

    def to_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, **self.drift.to_dict()}

    def to_json(self) -> str:
        return _dumps(self.to_dict())


HELD, SKIPPED = "held", "skipped"
# Summary keys that count as changes: a plan's or run's steps, a refresh's drift.
_CHANGES = ("create", "update", "replace", "delete", "changed", "gone")


@dataclass(frozen=True)
class MemberResult:
    """One member stack's part of a split stack's operation (picklable: it crosses processes)."""

    member: str  # platform | a department or district code
    stack: str
    operation: str  # plan | apply | refresh | destroy
    status: str  # ok | failed | refused | cancelled | held | skipped
    summary: dict[str, int] = field(default_factory=dict)
    duration: float = 0.0
    error: str = ""
    exit_code: int = 0
    steps: tuple[dict[str, Any], ...] = ()  # the changed steps, as Step.to_dict()
    started_at: float = 0.0  # wall clock (time.time()) when its run started and ended
    ended_at: float = 0.0
    pid: int = 0  # the process that ran it
    departments: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    audit: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def changes(self) -> int:
        return sum(n for op, n in self.summary.items() if op in _CHANGES)

    def to_dict(self) -> dict[str, Any]:
        return {"member": self.member, "stack": self.stack, "operation": self.operation,
                "status": self.status, "ok": self.ok, "error": self.error, "exitCode": self.exit_code,
                "summary": self.summary, "changes": self.changes, "duration": round(self.duration, 3),
                "startedAt": round(self.started_at, 3), "endedAt": round(self.ended_at, 3), "pid": self.pid,
                "departments": list(self.departments), "steps": list(self.steps),
                "warnings": list(self.warnings), "audit": self.audit}


@dataclass(frozen=True)
class FamilyResult:
    """plan, apply, refresh or destroy of a split stack: every member's result, in run order."""

    stack: str
    operation: str
    split: str
    members: tuple[MemberResult, ...]
    check: CheckResult | None = None
    duration: float = 0.0
    parallel_stacks: int = 1

    @property
    def ok(self) -> bool:
        return all(m.ok for m in self.members)

    @property
    def exit_code(self) -> int:
        if self.ok:
            return 0
        return 2 if any(m.exit_code == 2 for m in self.members) else 1

    @property
    def summary(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for m in self.members:
            for op, n in m.summary.items():
                total[op] = total.get(op, 0) + n
        return total

    @property
    def changes(self) -> int:
        return sum(m.changes for m in self.members)

    def member(self, name: str) -> MemberResult:
        return next(m for m in self.members if m.member == name)

    def to_dict(self) -> dict[str, Any]:
        return {"stack": self.stack, "operation": self.operation, "split": self.split, "ok": self.ok,
                "exitCode": self.exit_code, "parallelStacks": self.parallel_stacks,
                "duration": round(self.duration, 3), "summary": self.summary, "changes": self.changes,
                "members": [m.to_dict() for m in self.members],
                "findings": [f.to_json() for f in blocking_findings(self.check)]}

    def to_json(self) -> str:
        return _dumps(self.to_dict())
