"""Layer 2: policy packs, waivers, rule evaluation and output formats.

    result = check(["blueprints/"])          # CheckResult: findings, summary, exit_code
    result.to_json()                         # the check envelope
"""
from govcloud.policy.checks import Check, CheckContext, checks
from govcloud.policy.packs import PolicySet, load_policies
from govcloud.policy.result import CheckResult, CheckSummary
from govcloud.policy.rule import BUILTIN, DECLARATIVE, Rule
from govcloud.policy.runner import check, default_policy_dir, run
from govcloud.policy.waivers import Waiver, WaiverSet, apply_waivers, load_waivers

__all__ = [
    "BUILTIN",
    "DECLARATIVE",
    "Check",
    "CheckContext",
    "CheckResult",
    "CheckSummary",
    "PolicySet",
    "Rule",
    "Waiver",
    "WaiverSet",
    "apply_waivers",
    "check",
    "checks",
    "default_policy_dir",
    "load_policies",
    "load_waivers",
    "run",
]
