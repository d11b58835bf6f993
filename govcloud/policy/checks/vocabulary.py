"""GC-STD-002: a system's function is a term of the city's function vocabulary."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from govcloud.model import Finding
from govcloud.policy.checks.registry import CheckContext, checks
from govcloud.policy.rule import Rule
from govcloud.policy.vocabulary import Vocabulary


@checks.register("function-vocabulary", local=True)
def function_vocabulary(rule: Rule, params: Mapping[str, Any], ctx: CheckContext) -> Iterator[Finding]:
    """`function` is an id or synonym of the vocabulary (policies/data/functions.yaml); an unknown
    term gets the closest id as a suggestion. A city without a vocabulary is not checked."""
    vocabulary = Vocabulary.of(ctx.scope.get("data", {}))
    if vocabulary.empty:
        return
    for dept in ctx.project.departments:
        for system in dept.systems:
            term = system.function
            if term in vocabulary.canonical:
                continue
            close = vocabulary.suggest(term)
            named = vocabulary.get(close) if close else None
            hint = (f"did you mean '{close}' ({named.name})?" if named is not None else
                    "pick an id of the city's function vocabulary (policies/data/functions.yaml), "
                    "or ask the data bureau to add the function")
            yield rule.finding(f"function '{term}' of system '{system.name}' is not in the city's function vocabulary",
                               dept.location_of(system.path + ("function",)), dept, system, hint=hint)
