"""The library API the CLI calls; every function returns a result object.

Every result (LoadResult, CheckResult, ReportResult, PlanResult, ApplyResult, RefreshResult,
StateView, StateEntry) has `to_dict()`, a dict of JSON types, and `to_json()`, that dict as a
JSON text (what the matching command prints with `--format json`):

    result = check(["blueprints/"])
    result.to_dict()["summary"]["errors"]    # a number
    print(result.to_json())                  # the check envelope, as `check --format json`
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from govcloud.errors import GovcloudError
from govcloud.load import LoadResult, load
from govcloud.model import Project, Severity
from govcloud.policy import CheckResult

if TYPE_CHECKING:  # the report layer is only imported when a report is asked for
    # `X as X`: re-exported, for type checkers (at run time __getattr__ below provides them).
    from govcloud.operations import ApplyResult as ApplyResult
    from govcloud.operations import PlanResult as PlanResult
    from govcloud.operations import RefreshResult as RefreshResult
    from govcloud.operations import StateEntry as StateEntry
    from govcloud.operations import StateView as StateView
    from govcloud.operations import apply as apply
    from govcloud.operations import destroy as destroy
    from govcloud.operations import plan as plan
    from govcloud.operations import refresh as refresh
    from govcloud.operations import state_export as state_export
    from govcloud.operations import state_list as state_list
    from govcloud.operations import state_show as state_show
    from govcloud.report import ReportResult

# Stack operations (DESIGN §5) import the engine and Pulumi: loaded on first use, so that
# `validate` and `check` start fast. Signatures: see govcloud.operations.
_OPERATIONS = frozenset({
    "plan", "apply", "refresh", "destroy", "state_list", "state_show", "state_export",
    "PlanResult", "ApplyResult", "RefreshResult", "StateView", "StateEntry",
})


def __getattr__(name: str) -> object:
    if name in _OPERATIONS:
        import govcloud.operations

        return getattr(govcloud.operations, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def validate(paths: Sequence[str]) -> LoadResult:
    """Load and schema-check every blueprint under `paths`."""
    return load([os.fspath(p) for p in paths])


class InvalidBlueprints(GovcloudError):
    """Raised by load_project when blueprints do not validate; carries every finding."""

    def __init__(self, result: LoadResult) -> None:
        first = next(f for f in result.findings if f.blocking)
        more = sum(1 for f in result.findings if f.blocking) - 1
        suffix = f" (and {more} more; run `govcloud validate`)" if more else ""
        super().__init__(first.message + suffix, rule=first.rule, location=first.location, hint=first.hint)
        self.result = result


def load_project(path: str | os.PathLike[str] = "blueprints") -> Project:
    """The validated project under `path`, or InvalidBlueprints."""
    result = validate([os.fspath(path)])
    if not result.ok or result.project is None:
        raise InvalidBlueprints(result)
    return result.project


def report(
    paths: Sequence[str],
    policies: str | None = None,
    waivers: str | None = None,
    today: date | None = None,
) -> ReportResult:
    """The city at a glance (DESIGN §6): consolidation figures plus the findings of `check`.

    Raises GovcloudError (exit 2) when the blueprints, policies or waivers are invalid: a
    report of a city that does not load would show wrong figures.
    """
    from govcloud.policy.result import INPUT_RULES
    from govcloud.report import build_report

    checked = check(paths, policies=policies, waivers=waivers, today=today)
    bad = [f for f in checked.findings if f.rule in INPUT_RULES and f.blocking]
    if bad:
        more = f" (and {len(bad) - 1} more; run `govcloud check`)" if len(bad) > 1 else ""
        raise GovcloudError(bad[0].message + more, rule=bad[0].rule, location=bad[0].location, hint=bad[0].hint)
    if checked.project is None:
        raise GovcloudError(f"no City document under {', '.join(map(str, paths))}", rule="GC-SCHEMA")
    return build_report(checked.project, checked.findings, checked.duplicates,
                        generated=(today or date.today()).isoformat(), catalogue=checked.rules)


def check(
    paths: Sequence[str | os.PathLike[str]],
    policies: str | os.PathLike[str] | None = None,
    waivers: str | os.PathLike[str] | None = None,
    today: date | None = None,
    fail_on: Severity | str = Severity.ERROR,
    cache: bool = True,
) -> CheckResult:
    """Validate the blueprints under `paths`, then evaluate every policy rule (DESIGN §4).

    `policies` defaults to the project's policies/ and `waivers` to its waivers.yaml;
    `today` (default: the real date) judges waiver expiry and product listings. Schema
    errors are findings (GC-SCHEMA) and make `exit_code` 2, like a broken policy input. With
    `cache`, parsed blueprints are kept in the project's `.govcloud/cache/` (`--no-cache`: not).
    """
    from govcloud.policy import check as run_check

    return run_check(paths, policies=policies, waivers=waivers, today=today, fail_on=fail_on, cache=cache)
