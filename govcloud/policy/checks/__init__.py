"""Built-in checks: one registry, and the modules that register into it (imported here, once)."""
from govcloud.policy.checks import (  # noqa: F401  (they register checks)
    capacity,
    duplication,
    networks,
    registers,
    secrecy,
    sharing,
    vocabulary,
)
from govcloud.policy.checks.registry import EVALUATE, INPUT, WAIVERS, Check, CheckContext, Registry, checks

__all__ = ["EVALUATE", "INPUT", "WAIVERS", "Check", "CheckContext", "Registry", "checks"]
