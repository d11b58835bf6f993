"""The city at a glance: savings, duplicate functions, capacity and chargeback together."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from govcloud.consolidation.capacity import CapacityReport, capacity
from govcloud.consolidation.chargeback import Chargeback, chargeback
from govcloud.consolidation.savings import Savings, savings
from govcloud.model import Project
from govcloud.model.duplicates import DuplicateGroup


@dataclass(frozen=True)
class Consolidation:
    savings: Savings
    duplicates: tuple[DuplicateGroup, ...]  # largest saving first
    capacity: CapacityReport
    chargeback: Chargeback

    @property
    def duplicates_yearly(self) -> float:
        """What consolidating every duplicate group would save a year on top of `savings`."""
        return round(sum(g.yearly_saving for g in self.duplicates), 2)

    def to_json(self) -> dict[str, object]:
        return {
            "savings": self.savings.to_json(),
            "duplicates": {"yearly": self.duplicates_yearly, "groups": [g.to_json() for g in self.duplicates]},
            "capacity": self.capacity.to_json(),
            "chargeback": self.chargeback.to_json(),
        }


def consolidate(project: Project, duplicates: Iterable[DuplicateGroup] = ()) -> Consolidation:
    """Every figure of the city overview; `duplicates` come from the GC-DUP-003 check."""
    groups = tuple(sorted(duplicates, key=lambda g: (-g.yearly_saving, g.function)))
    return Consolidation(savings(project), groups, capacity(project), chargeback(project))
