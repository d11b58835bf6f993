"""The city's registers: found beside city.yaml (its `city/` folder), built into `Registers`.

They are read with the City wherever the blueprints given come from, so a stack that lists
`blueprints/city.yaml` and `blueprints/departments` and a check of one file both see the
same grants, approvals, projects and MLPS records as a check of the whole project.
"""
from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from govcloud.model import (
    APPROVED_DIR,
    REGISTERS_DIR,
    REQUESTS_DIR,
    Approval,
    Department,
    Document,
    Finding,
    Grant,
    Location,
    MlpsRecord,
    ProjectRecord,
    Quota,
    Registers,
    Severity,
)

RULE = "GC-SCHEMA"
_SUFFIXES = (".yaml", ".yml")


def register_files(city_file: str) -> list[str]:
    """The YAML files of the registers folder beside the City's file (sorted; none when absent)."""
    folder = os.path.join(os.path.dirname(city_file), REGISTERS_DIR)
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        return []
    return [os.path.join(folder, n) for n in names if n.endswith(_SUFFIXES) and not n.startswith(".")]


def codes_on_file(city_file: str) -> frozenset[str]:
    """The department codes named by the blueprint files of departments/ and requests/ beside the City."""
    codes: set[str] = set()
    for folder in (APPROVED_DIR, REQUESTS_DIR):
        try:
            names = os.listdir(os.path.join(os.path.dirname(city_file), folder))
        except OSError:
            continue
        codes.update(os.path.splitext(n)[0] for n in names if n.endswith(_SUFFIXES))
    return frozenset(codes)


def _quota(raw: dict[str, Any] | None) -> Quota | None:
    return Quota(raw["vcpu"], raw["memoryGiB"], raw["storageTiB"]) if raw else None


def _located(doc: Document, key: str) -> list[tuple[dict[str, Any], Location]]:
    return [(item, doc.location_of((key, i))) for i, item in enumerate(doc.data.get(key) or [])]


def _duplicates(entries: list[tuple[str, Location]], what: str) -> list[Finding]:
    seen: dict[str, Location] = {}
    out = []
    for name, where in entries:
        if name in seen:
            out.append(Finding(RULE, Severity.ERROR, f"{what} '{name}' is already recorded at {seen[name]}", where,
                               hint="one entry each: edit the first one"))
        else:
            seen[name] = where
    return out


def build_registers(docs: list[Document], codes: frozenset[str] = frozenset()) -> tuple[Registers, list[Finding]]:
    """The registers of `docs` (validated register documents) and their problems (one kind once)."""
    by_kind: dict[str, Document] = {}
    problems: list[Finding] = []
    for doc in docs:
        kind = doc.data["kind"]
        if kind in by_kind:
            problems.append(Finding(RULE, Severity.ERROR,
                                    f"a second {kind} register (the first is {by_kind[kind].file})",
                                    doc.location_of(("kind",)), hint="a city keeps one register of each kind"))
            continue
        by_kind[kind] = doc
    grants = approvals = projects = mlps = None
    if (g := by_kind.get("Grants")) is not None:
        grants = tuple(Grant(x["department"], _quota(x.get("quota")), x.get("oaSeats"), bool(x.get("site", False)),
                             x.get("reference"), at) for x, at in _located(g, "grants"))
        problems += _duplicates([(x.department, x.location) for x in grants], "a grant of department")
    if (a := by_kind.get("Approvals")) is not None:
        approvals = tuple(Approval(x["department"], x["reference"], x["approver"], x["date"],
                                   tuple(x.get("scope", ())), at) for x, at in _located(a, "approvals"))
    if (p := by_kind.get("Projects")) is not None:
        projects = tuple(ProjectRecord(x["number"], x.get("title", x["number"]), x["department"], x["reference"],
                                       float(x["budget"]), tuple(x["systems"]), at)
                         for x, at in _located(p, "projects"))
        problems += _duplicates([(x.number, x.location) for x in projects], "project")
    if (m := by_kind.get("MlpsRecords")) is not None:
        mlps = tuple(MlpsRecord(x["department"], x["system"], x["level"], x.get("filing"), x.get("assessed"),
                                x.get("result"), at, x.get("secrecy")) for x, at in _located(m, "records"))
        problems += _duplicates([(f"{x.department}/{x.system}", x.location) for x in mlps], "the MLPS record of")
    files = {kind: doc.file for kind, doc in by_kind.items()}
    return Registers(grants, approvals, projects, mlps, files, codes), problems


def granted(departments: list[Department], registers: Registers) -> list[Department]:
    """Departments whose `quota` is the city's grant (None without one) once the city keeps grants."""
    if registers.grants is None:
        return departments
    out = []
    for dept in departments:
        grant = registers.grant_of(dept.code)
        out.append(replace(dept, quota=grant.quota if grant else None))
    return out
