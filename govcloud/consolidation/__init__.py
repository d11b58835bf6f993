"""Consolidation figures of a loaded city: savings, duplicates, capacity, chargeback (pure, no I/O)."""
from govcloud.consolidation.capacity import CapacityReport, Gauge, QuotaUse, Reclaimed, capacity, reclaimed
from govcloud.consolidation.chargeback import Chargeback, Cost, DepartmentCost, chargeback, monthly_cost
from govcloud.consolidation.overview import Consolidation, consolidate
from govcloud.consolidation.savings import Savings, SavingsLine, savings, under_review
from govcloud.model.duplicates import DuplicateGroup, duplicate_groups
from govcloud.model.money import floor, money, yuan

__all__ = [
    "CapacityReport", "Chargeback", "Consolidation", "Cost", "DepartmentCost", "DuplicateGroup",
    "Gauge", "QuotaUse", "Reclaimed", "Savings", "SavingsLine", "capacity", "chargeback", "consolidate",
    "duplicate_groups", "floor", "money", "monthly_cost", "reclaimed", "savings", "under_review", "yuan",
]
