"""`govcloud migrate registers`: a city without registers adopts them in one step.

Every approved department's `spec.quota` moves into the grants register (with its OA seats
and site slot), and every approved department gets an approval record under the reference
given, so nothing that was provisioned before becomes an error. Requests keep their
`spec.quota`: it is what they ask for, and the data bureau grants it when it reviews them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from govcloud.errors import GovcloudError
from govcloud.load import load
from govcloud.model import APPROVED_DIR, Department, Project
from govcloud.workflow.registerfiles import (
    new_register,
    register_path,
    with_entries,
    without_key,
    write_atomically,
)


@dataclass(frozen=True)
class MigrateResult:
    grants: tuple[str, ...] = ()          # departments whose spec.quota moved into the grants register
    approvals: tuple[str, ...] = ()       # departments recorded as approved
    files: tuple[str, ...] = field(default=())   # files written

    def to_json(self) -> dict[str, object]:
        return {"grants": list(self.grants), "approvals": list(self.approvals), "files": list(self.files)}


def _approved(dept: Department) -> bool:
    return os.path.basename(os.path.dirname(os.path.abspath(dept.file))) == APPROVED_DIR


def loaded_project(blueprints: str) -> Project:
    result = load([blueprints])
    bad = [f for f in result.findings if f.blocking]
    if bad or result.project is None:
        first = bad[0] if bad else None
        raise GovcloudError(first.message if first else f"no City blueprint in {blueprints}",
                            rule=first.rule if first else "GC-SCHEMA", location=first.location if first else None,
                            hint="run `govcloud validate` and fix the blueprints first")
    return result.project


def _grant(dept: Department, reference: str, day: str) -> dict[str, Any]:
    q = dept.requested_quota
    assert q is not None
    entry: dict[str, Any] = {"department": dept.code,
                             "quota": {"vcpu": q.vcpu, "memoryGiB": q.memory_gib, "storageTiB": q.storage_tib}}
    if dept.oa is not None:
        entry["oaSeats"] = dept.oa.seats
    entry["site"] = dept.site is not None
    entry |= {"reference": reference, "date": day}
    return entry


def migrate_registers(blueprints: str, reference: str, approver: str, day: str) -> MigrateResult:
    """Move approved departments' spec.quota into grants and record their approvals (idempotent)."""
    project = loaded_project(blueprints)
    registers = project.registers
    approved = [d for d in project.departments if _approved(d)]
    to_grant = [d for d in approved if d.requested_quota is not None and registers.grant_of(d.code) is None]
    to_approve = [] if registers.approvals is not None else approved
    written: list[str] = []
    if to_grant:
        path = registers.files.get("Grants") or register_path(blueprints, "Grants")
        entries = [_grant(d, reference, day) for d in to_grant]
        text = with_entries(_read(path), "Grants", entries) if os.path.exists(path) else \
            new_register("Grants", entries)
        write_atomically(path, text)
        written.append(path)
    if to_approve:
        path = register_path(blueprints, "Approvals")
        entries = [{"department": d.code, "reference": reference, "approver": approver, "date": day}
                   for d in to_approve]
        write_atomically(path, new_register("Approvals", entries))
        written.append(path)
    for dept in approved:
        if dept.requested_quota is not None:  # only the grant counts now: the file no longer asks
            write_atomically(dept.file, without_key(_read(dept.file), dept.doc, ("spec", "quota")))
            written.append(dept.file)
    loaded_project(blueprints)  # what was written loads
    return MigrateResult(tuple(d.code for d in to_grant), tuple(d.code for d in to_approve), tuple(written))


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()
