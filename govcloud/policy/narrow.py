"""A check of some files in context: the whole city's result, kept to the named files."""
from __future__ import annotations

from dataclasses import replace

from govcloud.load.context import Scope
from govcloud.policy.result import CheckResult, CheckSummary, exit_code


def narrowed(result: CheckResult, scope: Scope) -> CheckResult:
    """`result` with only the findings (and departments) of `scope`'s named files."""
    if scope.named is None:
        return result
    findings = scope.kept(result.findings, result.project)
    codes = scope.departments(result.project)
    return replace(result, findings=findings, summary=CheckSummary.of(findings, len(codes)),
                   exit_code=exit_code(findings, result.fail_on), departments=codes,
                   duplicates=tuple(g for g in result.duplicates if set(g.departments) & set(codes)))
