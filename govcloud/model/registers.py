"""The city's own registers (DESIGN §7): grants, approvals, approved projects, MLPS records.

A department's file may ask; only these registers, kept by the city beside city.yaml,
grant, approve and record. Each register is None in `Registers` when the city keeps none,
so a city that has not adopted a register keeps its earlier behaviour.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from govcloud.model.blueprint import Quota
from govcloud.model.location import Location

REGISTER_KINDS = ("Grants", "Approvals", "Projects", "MlpsRecords")
REGISTERS_DIR = "city"   # blueprints/city/ beside city.yaml
APPROVED_DIR = "departments"
REQUESTS_DIR = "requests"


@dataclass(frozen=True)
class Grant:
    """What the city granted one department: data-centre quota, OA seats and a site slot."""

    department: str
    quota: Quota | None
    oa_seats: int | None
    site: bool
    reference: str | None
    location: Location = field(compare=False)


@dataclass(frozen=True)
class Approval:
    """The data bureau's approval of one department's request (审批)."""

    department: str
    reference: str          # e.g. 佛数审〔2026〕12号
    approver: str
    date: str               # ISO date
    scope: tuple[str, ...]  # the systems approved; empty: every system of the request
    location: Location = field(compare=False)


@dataclass(frozen=True)
class ProjectRecord:
    """One approved IT project (立项批复) of the project register."""

    number: str
    title: str
    department: str
    reference: str          # the approval's document number (批复文号)
    budget: float           # yuan
    systems: tuple[str, ...]
    location: Location = field(compare=False)


@dataclass(frozen=True)
class MlpsRecord:
    """A system's protection-level record: 定级, 备案 (filing) and the last 测评 (assessment)."""

    department: str
    system: str
    level: int
    filing: str | None       # the public-security bureau's filing number (备案号)
    assessed: str | None     # ISO date of the last assessment (测评)
    result: str | None       # pass | basic-pass | fail (符合 / 基本符合 / 不符合)
    location: Location = field(compare=False)
    secrecy: str | None = None  # a classified system's 密级; its assessment is then 分级保护's (分保测评)


@dataclass(frozen=True)
class Registers:
    """The registers the city keeps; None: the city keeps no such register."""

    grants: tuple[Grant, ...] | None = None
    approvals: tuple[Approval, ...] | None = None
    projects: tuple[ProjectRecord, ...] | None = None
    mlps: tuple[MlpsRecord, ...] | None = None
    files: dict[str, str] = field(default_factory=dict, compare=False)   # kind → file it was read from
    # codes of the blueprint files beside city.yaml (departments/, requests/), loaded or not:
    # a stack reads only its own departments, yet the registers speak of the whole city
    codes_on_file: frozenset[str] = field(default=frozenset(), compare=False)

    def grant_of(self, code: str) -> Grant | None:
        return next((g for g in self.grants or () if g.department == code), None)

    def approvals_of(self, code: str) -> tuple[Approval, ...]:
        """The department's approvals, oldest first (a later one amends the scope)."""
        return tuple(sorted((a for a in self.approvals or () if a.department == code), key=lambda a: a.date))

    def project(self, number: str) -> ProjectRecord | None:
        return next((p for p in self.projects or () if p.number == number), None)

    def mlps_of(self, code: str, system: str) -> MlpsRecord | None:
        return next((r for r in self.mlps or () if r.department == code and r.system == system), None)
