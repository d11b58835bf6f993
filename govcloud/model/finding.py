"""A finding: one rule's verdict on one object, with where it points."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

from govcloud.model.location import Location


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}  # by member: no `.value` lookup a call


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    location: Location | None = None
    department: str | None = None
    system: str | None = None
    basis: str = ""
    hint: str = ""
    waived: bool = False
    waiver: str | None = field(default=None, compare=False)

    def waive(self, reference: str) -> Finding:
        return replace(self, waived=True, waiver=reference)

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR and not self.waived

    def line(self) -> str:
        """The one-line form: `file:line:col: ID message`."""
        where = str(self.location) if self.location else "-"
        return f"{where}: {self.rule} {self.message}"

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.file if loc else "", loc.line if loc else 0, loc.column if loc else 0, self.rule)

    def to_json(self) -> dict[str, object]:
        loc = self.location
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "department": self.department,
            "system": self.system,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "message": self.message,
            "basis": self.basis,
            "waived": self.waived,
        }
