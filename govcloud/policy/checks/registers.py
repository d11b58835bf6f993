"""Rules that read the city's registers: projects (GC-STD-001), MLPS records (GC-MLPS-001/008)
and approvals (GC-FLOW-001). Each register, once the city keeps it, is the authority; a city
that keeps none is judged as before (GC-STD-001 by the number's pattern alone)."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import PurePath
from typing import Any

from govcloud.model import APPROVED_DIR, Department, Finding, Location, Path
from govcloud.policy.checks.registry import CheckContext, checks
from govcloud.policy.rule import Rule
from govcloud.schema import compile_pattern


def approved_file(dept: Department) -> bool:
    """Its file lies in a `departments/` folder: provisioned, so it needs an approval."""
    return APPROVED_DIR in PurePath(dept.file).parts[:-1]


@checks.register("project-register", local=True)
def project_register(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """Every system's project number (its own `project`, else the department's) matches the city's
    pattern and, once the city keeps a project register, is an approved project of the department
    that covers the system."""
    city, registers = ctx.project.city, ctx.project.registers
    pattern = compile_pattern(city.project_pattern) if city.project_pattern else None
    where = registers.files.get("Projects", "the project register")
    for dept in ctx.project.departments:
        if dept.project is None:
            yield rule.finding(f"department '{dept.code}' has no approved IT project number (metadata.project)",
                               dept.location_of(("metadata",), key=True), dept)
        numbers: list[tuple[str, Path]] = [(dept.project, ("metadata", "project"))] if dept.project else []
        numbers += [(s.project, s.path + ("project",)) for s in dept.systems if s.project]
        judged: set[str] = set()
        for number, path in numbers:
            if number in judged:
                continue
            judged.add(number)
            if pattern is not None and pattern.search(number) is None:
                yield rule.finding(f"project number '{number}' does not match the city's pattern "
                                   f"{city.project_pattern}", dept.location_of(path), dept)
            elif registers.projects is not None:
                record = registers.project(number)
                if record is None:
                    yield rule.finding(f"project '{number}' of '{dept.code}' is not in {where} (no 立项批复)",
                                       dept.location_of(path), dept,
                                       hint=f"the project's approval (立项批复) is recorded in {where} first")
                elif record.department != dept.code:
                    yield rule.finding(f"project '{number}' is approved for '{record.department}', "
                                       f"not for '{dept.code}' ({record.reference})", dept.location_of(path), dept)
        if registers.projects is None:
            continue
        for system in dept.systems:
            own = system.project or dept.project
            record = registers.project(own) if own else None
            if record is None or record.department != dept.code or system.name in record.systems:
                continue  # reported above, or covered
            yield rule.finding(
                f"system '{system.name}' is not covered by project {own} ({record.reference}, which covers "
                f"{', '.join(record.systems) or 'no system'})", dept.location_of(system.path + ("name",)), dept,
                system, hint="have the project approval cover it, or name the project that does (`project:`)")


MLPS_PARAMS = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "fromLevel": {"type": "integer", "minimum": 1, "maximum": 5,
                      "description": "Lowest level filed with the public-security bureau (备案)."},
        "intervalMonths": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1},
                           "description": "Months between assessments (测评), by level."},
    },
}


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (the month's last day when it has no such day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    return date(year, month, 28)  # pragma: no cover - February always has a 28th


def _provisioned_systems(ctx: CheckContext, from_level: int) -> Iterator[tuple[Department, Any]]:
    """Approved non-classified systems from `from_level`: classified ones are 分级保护's (GC-SECRECY-004)."""
    for dept in ctx.project.departments:
        if approved_file(dept):
            for system in dept.systems:
                if system.mlps >= from_level and not system.classified:
                    yield dept, system


@checks.register("mlps-filing", MLPS_PARAMS, local=True)
def mlps_filing(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """Once the city keeps MLPS records: every approved system from level 2 has a record with its
    filing number (备案), at the level the blueprint states; a request's record, if any, agrees too."""
    registers = ctx.project.registers
    if registers.mlps is None:
        return
    where = registers.files.get("MlpsRecords", "the MLPS records")
    from_level = int(params.get("fromLevel", 2))
    for dept in ctx.project.departments:
        for system in dept.systems:
            record = registers.mlps_of(dept.code, system.name)
            at = dept.location_of(system.path + ("mlps",))
            if record is not None and record.level != system.mlps:
                yield rule.finding(f"system '{system.name}' is level {system.mlps} in the blueprint but rated "
                                   f"level {record.level} (定级) in {where}", at, dept, system,
                                   hint="the blueprint states the rated level; re-rate it or correct the blueprint")
            elif (approved_file(dept) and system.mlps >= from_level and not system.classified
                  and (record is None or not record.filing)):
                what = "no MLPS record" if record is None else "no filing number (备案号)"
                yield rule.finding(f"level-{system.mlps} system '{system.name}' has {what} in {where}: "
                                   f"level {from_level} and above are filed with the public-security bureau",
                                   at, dept, system)


@checks.register("mlps-assessment", MLPS_PARAMS, local=True)
def mlps_assessment(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """Once the city keeps MLPS records: every approved system's last assessment (测评) is recent
    enough for its level (level 3 yearly, level 2 every two years by default) and did not fail."""
    registers = ctx.project.registers
    if registers.mlps is None:
        return
    where = registers.files.get("MlpsRecords", "the MLPS records")
    intervals = {int(k): int(v) for k, v in (params.get("intervalMonths") or {"2": 24, "3": 12, "4": 6}).items()}
    lowest = min(intervals) if intervals else 6
    for dept, system in _provisioned_systems(ctx, lowest):
        months = intervals.get(system.mlps) or min(intervals.values())
        record = registers.mlps_of(dept.code, system.name)
        at = dept.location_of(system.path + ("mlps",))
        if record is None or record.assessed is None:
            yield rule.finding(f"level-{system.mlps} system '{system.name}' has no assessment (测评) in {where}",
                               at, dept, system)
            continue
        due = months_before(ctx.today, months)
        if date.fromisoformat(record.assessed) < due:
            late = (ctx.today - date.fromisoformat(record.assessed)).days
            yield rule.finding(f"level-{system.mlps} system '{system.name}' was last assessed (测评) on "
                               f"{record.assessed}, {late} days ago: level {system.mlps} is assessed every "
                               f"{months} months", at, dept, system)
        elif record.result == "fail":
            yield rule.finding(f"level-{system.mlps} system '{system.name}' failed its last assessment (测评) "
                               f"on {record.assessed}", at, dept, system,
                               hint="remedy the findings and have it assessed again")


@checks.register("approval-record", local=True)
def approval_record(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """Once the city keeps an approvals register: every blueprint in departments/ has an approval,
    and every system in it is within an approval's scope."""
    registers = ctx.project.registers
    if registers.approvals is None:
        return
    where = registers.files.get("Approvals", "the approvals register")
    for dept in ctx.project.departments:
        if not approved_file(dept):
            continue
        approvals = registers.approvals_of(dept.code)
        if not approvals:
            yield rule.finding(f"department '{dept.code}' is in {APPROVED_DIR}/ but {where} records no approval "
                               "of it", dept.location_of(("metadata", "code")), dept,
                               hint=f"requests go to requests/; `govcloud approve {dept.code} --ref REF --by NAME` "
                                    "records the approval and moves the file")
            continue
        if any(not a.scope for a in approvals):
            continue  # an approval of the whole request
        scope = {name for a in approvals for name in a.scope}
        for system in dept.systems:
            if system.name not in scope:
                yield rule.finding(f"system '{system.name}' of '{dept.code}' is in no approval's scope "
                                   f"(last: {approvals[-1].reference})", dept.location_of(system.path + ("name",)),
                                   dept, system,
                                   hint=f"`govcloud approve {dept.code} --ref REF --by NAME` records a new approval")


@checks.register("register-entries", scope="city")
def register_entries(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """Every grant, approval and MLPS record names a department (and system) of the city: a
    stale entry would grant, approve or vouch for nothing, or for a code reused later."""
    project, registers = ctx.project, ctx.project.registers
    departments = {d.code: d for d in project.departments}
    systems: dict[str, set[Any]] = {}

    def names(code: str) -> set[Any]:
        """From the document: a retired system (left out of the evaluated project) keeps its records;
        read only for a department an entry names a system of (a re-check leaves the rest packed)."""
        if code not in systems:
            data = departments[code].doc.data
            systems[code] = {s.get("name") for s in (data.get("spec") or {}).get("systems") or ()}
        return systems[code]

    entries: list[tuple[str, str, str | None, Location]] = [
        ("grant", g.department, None, g.location) for g in registers.grants or ()]
    entries += [("approval", a.department, None, a.location) for a in registers.approvals or ()]
    entries += [("MLPS record", r.department, r.system, r.location) for r in registers.mlps or ()]
    for what, code, system, at in entries:
        if code not in departments and code in registers.codes_on_file:
            continue  # a department this run does not read (a stack reads only its own)
        if code not in departments:
            yield rule.finding(f"the {what} of '{code}' names no department of the city", at, None,
                               hint="remove the entry, or correct the department code")
        elif system is not None and system not in names(code):
            yield rule.finding(f"the {what} of '{code}/{system}' names no system of '{code}'", at, None,
                               hint="remove the entry, or correct the system name")
