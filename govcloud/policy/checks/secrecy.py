"""分级保护 of classified systems that reads the city's MLPS records (GC-SECRECY-004).

A classified system is assessed by the secrecy administration (分保测评), not filed with the
public-security bureau: its record names its 密级 (`secrecy`) and needs no filing number.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from govcloud.model import Finding
from govcloud.policy.checks.registers import approved_file, months_before
from govcloud.policy.checks.registry import CheckContext, checks
from govcloud.policy.rule import Rule

SECRECY_LEVELS = ("confidential", "secret")
SECRECY_PARAMS = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "intervalMonths": {
            "type": "object", "additionalProperties": False,
            "properties": {level: {"type": "integer", "minimum": 1} for level in SECRECY_LEVELS},
            "description": "Months between 分级保护 assessments (分保测评), by secrecy level (密级).",
        },
    },
}
_DEFAULT_MONTHS = 24


@checks.register("secrecy-assessment", SECRECY_PARAMS, local=True)
def secrecy_assessment(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """Once the city keeps MLPS records: every approved classified system has a record at the 密级
    its blueprint states, assessed under 分级保护 within its level's interval, and not failed."""
    registers = ctx.project.registers
    if registers.mlps is None:
        return
    where = registers.files.get("MlpsRecords", "the MLPS records")
    intervals: Mapping[str, Any] = params.get("intervalMonths") or {}
    for dept in ctx.project.departments:
        for system in dept.systems:
            if not system.classified or not approved_file(dept):
                continue
            record = registers.mlps_of(dept.code, system.name)
            at = dept.location_of(system.path + ("classified",))
            label = f"classified system '{system.name}'"
            if record is None or record.assessed is None:
                yield rule.finding(f"{label} has no 分级保护 assessment (分保测评) in {where}", at, dept, system)
                continue
            if system.secrecy is not None and record.secrecy != system.secrecy:
                yield rule.finding(
                    f"{label} is {system.secrecy} (密级) in the blueprint but "
                    f"{record.secrecy or 'has no secrecy level'} in {where}", at, dept, system,
                    hint="the blueprint states the determined 密级; record the same `secrecy` in the MLPS records")
                continue
            months = int(intervals.get(system.secrecy or "", _DEFAULT_MONTHS))
            assessed = date.fromisoformat(record.assessed)
            if assessed < months_before(ctx.today, months):
                yield rule.finding(
                    f"{label} was last assessed under 分级保护 on {record.assessed}, "
                    f"{(ctx.today - assessed).days} days ago: it is assessed every {months} months",
                    at, dept, system)
            elif record.result == "fail":
                yield rule.finding(f"{label} failed its last 分级保护 assessment on {record.assessed}", at, dept,
                                   system, hint="remedy the findings and have it assessed again")
