"""Waivers: approved, dated exceptions to a rule for one department (or one of its systems).

A waived finding stays in the output, marked, and no longer fails the run. Waivers rot, so
the waivers themselves are checked: an expired one no longer applies and is reported
(GC-WAIVER-001), and an active one that matches nothing is reported as stale (GC-WAIVER-002).
Only waivers of departments in the checked blueprints are judged, so checking a subset of
the city does not call every other department's waiver stale.
"""
from __future__ import annotations

import difflib
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from govcloud.errors import GovcloudError
from govcloud.model import Finding, Location, Project, Severity
from govcloud.policy.checks import INPUT, WAIVERS, checks
from govcloud.policy.inputs import package_schema, problem, read_documents, schema_problems
from govcloud.policy.packs import PolicySet
from govcloud.policy.rule import BUILTIN, Rule

# Used when a policy folder does not list the waiver rules itself.
EXPIRED = Rule("GC-WAIVER-001", Severity.WARNING, "Expired waiver",
               "City policy: an expired waiver no longer applies",
               hint="renew the approval with a new expiry date, or remove the waiver",
               kind=BUILTIN, check="waiver-expired")
STALE = Rule("GC-WAIVER-002", Severity.WARNING, "Stale waiver",
             "City policy: exceptions are reviewed and removed when no longer needed",
             hint="remove the waiver from the waivers file", kind=BUILTIN, check="waiver-stale")


@dataclass(frozen=True)
class Waiver:
    rule: str
    department: str
    system: str | None
    reason: str
    approver: str
    reference: str
    expires: date
    location: Location | None = None

    def covers(self, finding: Finding) -> bool:
        return (finding.rule == self.rule and finding.department == self.department
                and (self.system is None or finding.system == self.system))

    def expired(self, today: date) -> bool:
        return today > self.expires

    @property
    def target(self) -> str:
        return self.department + (f"/{self.system}" if self.system else "")

    @property
    def justification(self) -> str:
        return f"{self.reference}: {self.reason} (approved by {self.approver}, until {self.expires.isoformat()})"


@dataclass(frozen=True)
class WaiverSet:
    file: str | None
    waivers: tuple[Waiver, ...] = ()
    problems: tuple[Finding, ...] = ()


def load_waivers(path: str | os.PathLike[str] | None, policies: PolicySet) -> WaiverSet:
    """The waivers of a file; a malformed file or an unknown rule id is a GC-POLICY problem."""
    if path is None:
        return WaiverSet(None)
    file = os.fspath(path)
    if not os.path.isfile(file):
        raise GovcloudError(f"no waivers file at {file}", rule="GC-USAGE",
                            hint="give --waivers FILE, or leave it out to use policies/waivers.yaml")
    documents, problems = read_documents(file)
    waivers: list[Waiver] = []
    unwaivable = {r.id for r in policies.rules
                  if r.check and (c := checks.get(r.check)) is not None and c.stage in (INPUT, WAIVERS)}
    for doc in documents:
        found = schema_problems(doc, package_schema("waivers"))
        if found:
            problems.extend(found)
            continue
        entries = doc.data if isinstance(doc.data, list) else (doc.data.get("waivers") or [])
        prefix: tuple[str | int, ...] = () if isinstance(doc.data, list) else ("waivers",)
        for i, raw in enumerate(entries):
            here = prefix + (i,)
            if raw["rule"] not in policies.ids or raw["rule"] in unwaivable:
                close = difflib.get_close_matches(raw["rule"], sorted(policies.ids), n=1)
                what = "cannot be waived" if raw["rule"] in unwaivable else "is not a rule of the policy packs"
                problems.append(problem(f"waiver rule {raw['rule']} {what}", doc.location_of(here + ("rule",)),
                                        f"did you mean '{close[0]}'?" if close and raw["rule"] not in unwaivable
                                        else "see `govcloud policy list`"))
                continue
            try:
                expires = date.fromisoformat(raw["expires"])
            except ValueError:
                problems.append(problem(f"expires {raw['expires']!r} is not a date",
                                        doc.location_of(here + ("expires",)), "use YYYY-MM-DD"))
                continue
            reference = raw.get("reference") or raw.get("approvalRef") or raw.get("approvalReference") or ""
            waivers.append(Waiver(raw["rule"], raw["department"], raw.get("system"), raw["reason"],
                                  raw["approver"], reference, expires, doc.location_of(here)))
    problems.sort(key=Finding.sort_key)
    return WaiverSet(file, tuple(waivers), tuple(problems))


def apply_waivers(
    findings: Iterable[Finding],
    waivers: WaiverSet,
    today: date,
    project: Project | None,
    policies: PolicySet,
) -> tuple[list[Finding], list[Finding]]:
    """(the findings with waived ones marked, the findings about the waivers themselves)."""
    checked: Collection[str] = {d.code for d in project.departments} if project else set()
    active: dict[tuple[str, str], list[Waiver]] = {}
    reports: list[Finding] = []
    expired_rule = policies.by_check("waiver-expired") or EXPIRED
    stale_rule = policies.by_check("waiver-stale") or STALE
    for w in waivers.waivers:
        if w.department not in checked:
            continue
        if w.expired(today):
            reports.append(expired_rule.finding(
                f"waiver of {w.rule} for {w.target} ({w.reference}) expired on {w.expires.isoformat()}; "
                f"it no longer applies", w.location, w.department, w.system))
        else:
            active.setdefault((w.rule, w.department), []).append(w)
    used: set[int] = set()
    out = []
    for found in findings:
        f = found
        for w in active.get((f.rule, f.department or ""), ()):
            if w.covers(f):
                f = f.waive(w.justification)
                used.add(id(w))
                break
        out.append(f)
    systems = {d.code: {s.name for s in d.systems} for d in project.departments} if project else {}
    for group in active.values():
        for w in group:
            if id(w) in used:
                continue
            if w.system is not None and w.system not in systems.get(w.department, ()):
                text = (f"waiver of {w.rule} ({w.reference}) names system '{w.system}', "
                        f"which department '{w.department}' does not have")
            else:
                text = f"waiver of {w.rule} for {w.target} ({w.reference}) matches no finding"
            reports.append(stale_rule.finding(text, w.location, w.department, w.system))
    return out, reports
