"""Layer 4: stack operations for the data-centre team — plan, apply, refresh, destroy, state.

Each runs the policy gate where it applies, picks the backend (embedded engine or the
Pulumi CLI), records apply and destroy in the audit log, and returns a result object.
"""
from govcloud.operations.audit import AuditEntry, audit_path, blueprint_digest
from govcloud.operations.backends import resolve_engine
from govcloud.operations.results import ApplyResult, PlanResult, RefreshResult
from govcloud.operations.stackrun import apply, destroy, plan, refresh
from govcloud.operations.statefile import (
    StateEntry,
    StateView,
    read_state,
    state_export,
    state_list,
    state_show,
)

__all__ = [
    "ApplyResult", "AuditEntry", "PlanResult", "RefreshResult", "StateEntry", "StateView",
    "apply", "audit_path", "blueprint_digest", "destroy", "plan", "read_state", "refresh",
    "resolve_engine", "state_export", "state_list", "state_show",
]
