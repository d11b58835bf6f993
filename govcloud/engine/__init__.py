"""Layer 4: run a Pulumi Python program of dynamic resources against a stack.

`Engine` is the embedded engine (no Pulumi CLI needed); `automation.PulumiBackend`
drives the Pulumi CLI through the Automation API when a `pulumi` binary is installed.
Both implement `Backend`.
"""
from govcloud.engine.backend import Backend
from govcloud.engine.diff import Op, PropertyDiff
from govcloud.engine.engine import DEFAULT_PARALLEL, Engine
from govcloud.engine.errors import EngineError, LockedError, PassphraseError, ProtectedError
from govcloud.engine.lock import LockHolder, StackLock
from govcloud.engine.results import ChangeSummary, Drift, DriftEntry, EngineEvent, Plan, Result, Step
from govcloud.engine.secrets import PASSPHRASE_ENV, resolve_passphrase
from govcloud.engine.state import ResourceState, StateStore

__all__ = [
    "DEFAULT_PARALLEL",
    "PASSPHRASE_ENV",
    "Backend",
    "ChangeSummary",
    "Drift",
    "DriftEntry",
    "Engine",
    "EngineError",
    "EngineEvent",
    "LockHolder",
    "LockedError",
    "Op",
    "PassphraseError",
    "Plan",
    "PropertyDiff",
    "ProtectedError",
    "ResourceState",
    "Result",
    "StackLock",
    "StateStore",
    "Step",
    "resolve_passphrase",
]
