"""The registry of built-in checks: rules that need arithmetic or a city-wide index.

A check is registered explicitly under the name policy packs use (`check: duplicate-function`)
and declares the JSON Schema of its `params`, so a pack naming an unknown check or passing a
wrong parameter is rejected with a location, like any other bad input.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from govcloud.model import Finding, Project
from govcloud.policy.rule import Rule

EVALUATE = "evaluate"   # runs with the other rules on the loaded project
INPUT = "input"         # reports problems found while reading inputs (schema, policy files)
WAIVERS = "waivers"     # reports problems of the waivers themselves


@dataclass(frozen=True)
class CheckContext:
    """What a built-in check may look at: the project, and the bound policy scope."""

    project: Project
    scope: Mapping[str, Any]       # city, data, approved, today (see policy/scope.py)
    today: date
    # what one check computes and another (or the runner) reuses within a run, e.g. duplicate groups
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


CheckFn = Callable[[Rule, Mapping[str, Any], CheckContext], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    name: str
    fn: CheckFn | None
    params: dict[str, Any] = field(default_factory=dict)   # JSON Schema of `params`
    stage: str = EVALUATE
    doc: str = ""
    scope: str = "department"   # what its findings are about: each department, or the city
    # True when a department's findings depend on that department and the run's context alone (the
    # City, registers, policies, today), never on another department: each finding names its
    # department, and a re-check keeps them with the department's declarative findings
    local: bool = False


class Registry:
    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def register(self, name: str, params: dict[str, Any] | None = None,
                 stage: str = EVALUATE, scope: str = "department",
                 local: bool = False) -> Callable[[CheckFn], CheckFn]:
        def decorate(fn: CheckFn) -> CheckFn:
            self.add(Check(name, fn, params or {"type": "object", "additionalProperties": False},
                           stage, (fn.__doc__ or "").strip(), scope, local))
            return fn
        return decorate

    def add(self, check: Check) -> None:
        if check.name in self._checks:
            raise ValueError(f"check {check.name!r} is registered twice")
        self._checks[check.name] = check

    def get(self, name: str) -> Check | None:
        return self._checks.get(name)

    def names(self) -> list[str]:
        return sorted(self._checks)


checks = Registry()

# Stages outside rule evaluation: the runner and the waiver stage produce these findings;
# they are registered so packs can give them severity, basis and hint like any rule.
for _name, _stage, _doc in (
    ("blueprint-schema", INPUT, "A blueprint does not match the blueprint schema (reported by the loader)."),
    ("policy-schema", INPUT, "A policy pack, policy data file or waivers file is malformed."),
    ("waiver-expired", WAIVERS, "A waiver's expiry date has passed; it no longer applies."),
    ("waiver-stale", WAIVERS, "An active waiver matches no finding."),
):
    checks.add(Check(_name, None, {"type": "object", "additionalProperties": False}, _stage, _doc))
