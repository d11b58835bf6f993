"""The request workflow: requests, approvals, the city's registers, and reviews of a change."""
from govcloud.workflow.approve import ApproveResult, approve
from govcloud.workflow.migrate import MigrateResult, migrate_registers

__all__ = ["ApproveResult", "MigrateResult", "approve", "migrate_registers"]
