"""Consolidation figures of a loaded city: savings, duplicates, capacity, chargeback (pure, no I/O)."""
from govcloud.consolidation.capacity import CapacityReport, Gauge, QuotaUse, capacity
from govcloud.consolidation.chargeback import Chargeback, Cost, DepartmentCost, chargeback, monthly_cost
from govcloud.consolidation.overview import Consolidation, DuplicateGroup, consolidate
from govcloud.consolidation.savings import Savings, SavingsLine, savings, yuan

__all__ = [
    "CapacityReport", "Chargeback", "Consolidation", "Cost", "DepartmentCost", "DuplicateGroup",
    "Gauge", "QuotaUse", "Savings", "SavingsLine", "capacity", "chargeback", "consolidate",
    "monthly_cost", "savings", "yuan",
]
