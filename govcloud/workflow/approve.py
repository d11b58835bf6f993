"""`govcloud approve CODE --ref REF --by NAME`: a request becomes an approved blueprint.

The request (blueprints/requests/CODE.yaml) is checked against the whole city; while an
unwaived error remains it is refused. Otherwise the approval (reference, approver, date and
the systems approved) is appended to the city's approvals register and the file moves into
blueprints/departments/, the folder stacks provision. An approved department whose file
changed is approved again in place: the new record covers its systems as they are now.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import date

from govcloud.errors import GovcloudError
from govcloud.model import APPROVED_DIR, REQUESTS_DIR, Finding
from govcloud.workflow.migrate import loaded_project
from govcloud.workflow.registerfiles import new_register, register_path, with_entries, write_atomically

FLOW_RULE = "GC-FLOW-001"  # what the approval itself settles


@dataclass(frozen=True)
class ApproveResult:
    department: str
    reference: str
    approver: str
    date: str
    scope: tuple[str, ...]
    source: str
    target: str
    register: str
    refused: tuple[Finding, ...] = ()

    @property
    def exit_code(self) -> int:
        return 1 if self.refused else 0

    def to_json(self) -> dict[str, object]:
        return {"department": self.department, "reference": self.reference, "approver": self.approver,
                "date": self.date, "scope": list(self.scope), "from": self.source, "to": self.target,
                "register": self.register, "approved": not self.refused,
                "refused": [f.to_json() for f in self.refused]}


def approve(blueprints: str, code: str, reference: str, approver: str, day: date,
            policies: str | None = None, waivers: str | None = None) -> ApproveResult:
    """Record the approval of `code`'s request and move it among the approved blueprints."""
    from govcloud.policy import check  # layer 2, imported where it is used

    request = os.path.join(blueprints, REQUESTS_DIR, f"{code}.yaml")
    approved = os.path.join(blueprints, APPROVED_DIR, f"{code}.yaml")
    if os.path.exists(request) and os.path.exists(approved):
        raise GovcloudError(f"{code} has both a request ({request}) and an approved blueprint ({approved})",
                            rule="GC-USAGE", hint="merge the request into the approved file, or remove one")
    source = request if os.path.exists(request) else approved
    if not os.path.exists(source):
        raise GovcloudError(f"no request of department '{code}' ({request})", rule="GC-USAGE",
                            hint=f"a department starts with `govcloud init {code}`")
    project = loaded_project(blueprints)
    dept = project.department(code)
    if dept is None or os.path.realpath(dept.file) != os.path.realpath(source):
        raise GovcloudError(f"{source} does not define department '{code}'", rule="GC-USAGE")
    path = project.registers.files.get("Approvals") or register_path(blueprints, "Approvals")
    if project.registers.approvals is None and any(
            os.path.basename(os.path.dirname(os.path.abspath(d.file))) == APPROVED_DIR for d in project.departments):
        raise GovcloudError("the city keeps no approvals register yet, and departments are already approved",
                            rule="GC-USAGE", hint="`govcloud migrate registers --ref REF --by NAME` records "
                                                  "them first")
    scope = tuple(s.name for s in dept.systems)
    result = ApproveResult(code, reference, approver, day.isoformat(), scope, source, approved, path)
    checked = check([source], policies=policies, waivers=waivers, today=day, context=True)
    if checked.exit_code == 2:
        bad = next(f for f in checked.findings if f.blocking)
        raise GovcloudError(bad.message, rule=bad.rule, location=bad.location, hint=bad.hint)
    blocking = tuple(f for f in checked.findings if f.blocking and f.rule != FLOW_RULE)
    if blocking:
        return replace(result, refused=blocking)
    entry = {"department": code, "reference": reference, "approver": approver, "date": day.isoformat(),
             "scope": list(scope)}
    before = _read(path) if os.path.exists(path) else None
    write_atomically(path, with_entries(before, "Approvals", [entry]) if before is not None
                     else new_register("Approvals", [entry]))
    moved = source != approved
    if moved:
        os.makedirs(os.path.dirname(approved), exist_ok=True)
        os.replace(source, approved)
    try:
        loaded_project(blueprints)
    except GovcloudError:  # leave the city as it was
        if moved:
            os.replace(approved, source)
        if before is None:
            os.remove(path)
        else:
            write_atomically(path, before)
        raise
    return result


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()
