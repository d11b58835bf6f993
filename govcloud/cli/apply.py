"""`govcloud apply --stack S`: policy gate, plan, confirmation, progress, summary."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from govcloud.cli.context import debug_enabled, handles_errors
from govcloud.cli.family import Only, ParallelStacks
from govcloud.cli.plan import (
    PARALLEL_STACKS,
    EngineOption,
    Format,
    FormatOption,
    Parallel,
    Refresh,
    Stack,
    print_refusal,
    render_plan_text,
    step_lines,
)
from govcloud.cli.progress import ProgressFeed, changes_in
from govcloud.cli.render import gate_line, grid, plural, terminal_width, wrapped
from govcloud.errors import GovcloudError

__all__ = ["LockWait", "ProgressFeed", "Yes", "render_outcome", "require_confirmation_possible"]

if TYPE_CHECKING:  # the engine (and Pulumi) load only when a stack command runs
    from govcloud.engine import Plan
    from govcloud.operations import ApplyResult

# Past this many changes (without a plan shown first) the summary gives counts only.
_LIST_LIMIT = 40

Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
LockWait = Annotated[float, typer.Option(
    "--lock-wait", min=0.0, help="Seconds to wait for another run's lock on the stack before giving up.")]


def require_confirmation_possible(yes: bool, operation: str) -> None:
    """No --yes and nobody to ask: a usage error before anything runs (exit 2)."""
    if not yes and not sys.stdin.isatty():
        raise GovcloudError(
            f"{operation} needs a confirmation, but standard input is not a terminal",
            rule="GC-USAGE", hint=f"pass --yes to {operation} without asking (e.g. in CI)")


def _past(op: str) -> str:
    return {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted",
            "same": "unchanged"}[op]


def render_outcome(result: ApplyResult, *, listed: bool, width: int | None = None) -> None:
    """The end of an apply or destroy: how it went, what changed, where things are (in `width`
    columns, default the terminal's)."""
    columns = width or terminal_width()
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    gate = gate_line(result.check)
    if gate:
        typer.echo("\n".join(wrapped(gate, columns, "  ")))
    what = f"{result.operation.capitalize()} of stack '{result.stack}'"
    counts = ", ".join(f"{n} {_past(op)}" for op, n in result.summary.to_dict().items())
    if result.status == "cancelled":
        typer.echo(f"{what} cancelled: nothing was changed.")
        return
    if not result.ok:
        failed = [s for s in result.steps if s.error]
        for line in step_lines(failed, diffs=False):
            typer.echo(line, err=True)
        # the counts wrap; the error stays one line (`file:line:col: ID message`, as everywhere)
        typer.echo("\n".join(wrapped(f"{what} FAILED after {result.duration:.1f} s ({counts}):", columns, "  ")),
                   err=True)
        typer.echo(f"  {result.error}", err=True)
        if debug_enabled() and result.result is not None and result.result.traceback:
            typer.echo(result.result.traceback.rstrip(), err=True)  # --debug: how it failed
        typer.echo("The state records every step that completed; run it again to converge.", err=True)
    elif result.nothing_to_do:
        typer.echo("\n".join(wrapped(f"Nothing to do: stack '{result.stack}' already matches the blueprints "
                                     f"({plural(result.summary.same, 'resource')} unchanged, "
                                     f"{result.duration:.1f} s).", columns, "  ")))
    else:
        if not listed and len(result.steps) <= _LIST_LIMIT:
            for line in step_lines(result.steps, diffs=False):
                typer.echo(line)
        elif not listed:
            typer.echo(f"{plural(len(result.steps), 'resource')} changed "
                       f"(`govcloud state list --stack {result.stack}` lists what the stack holds).")
        typer.echo("\n".join(wrapped(f"{what} done in {result.duration:.1f} s: {counts}.", columns, "  ")))
    if result.departments:
        typer.echo("Resources per department (city = the shared platforms):")
        for line in grid(list(result.departments.items()), columns):
            typer.echo(line)
    _endpoints(result.outputs.get("endpoints"))
    if result.audit:
        typer.echo(f"Audit log: {result.audit}")


def _endpoints(endpoints: Any) -> None:
    if not isinstance(endpoints, dict) or not endpoints:
        return
    typer.echo("Endpoints:")
    labels = {"portal": "portal", "siteLoadBalancer": "site load balancer",
              "documentExchange": "document exchange", "nameServers": "name servers"}
    for key, label in labels.items():
        value = endpoints.get(key)
        if value:
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            typer.echo(f"  {label:<20}{shown}")
    sites = endpoints.get("sites")
    if isinstance(sites, dict) and sites:
        first = min(sites.items())
        typer.echo(f"  {'department sites':<20}{len(sites)} (e.g. {first[0]}: {first[1]})")


@handles_errors
def apply_command(
    stack: Stack,
    yes: Yes = False,
    parallel: Parallel = 16,
    lock_wait: LockWait = 0.0,
    engine: EngineOption = None,
    format: FormatOption = Format.text,
    refresh: Refresh = False,
    allow_mass_delete: Annotated[bool, typer.Option(
        "--allow-mass-delete", help="Allow deleting more than 50 resources, or more than 20% of "
                                    "the stack, in one apply (refused by default).")] = False,
    parallel_stacks: ParallelStacks = PARALLEL_STACKS,
    only: Only = None,
) -> None:
    """Provision the stack's approved blueprints: converge the cloud on them.

    Runs the policy check first and refuses (exit 1) while unwaived errors remain, before
    the state or the cloud is touched. Shows the plan and asks for confirmation unless
    --yes (without a terminal, --yes is required: exit 2). Every run is appended to
    .govcloud/audit/<stack>.jsonl. Exit code 0 when the stack converged, 1 when a step
    failed (completed steps are kept; run it again), 2 for bad input.

    Example:

        govcloud apply --stack sandbox --yes --parallel 16

        govcloud apply --stack sandbox --refresh   # read the cloud first (after a restore, a move)

        govcloud apply --stack city --yes --parallel-stacks 4 --only gaj,wjw   # a split stack

    A split stack (govcloud:split) is applied member by member: its platform stack first,
    then its departments' stacks, --parallel-stacks at once, each under its own lock. A
    department with unwaived policy errors is held back (its stack untouched) while the
    others are applied; the exit code is then 1. Errors of the city itself hold back all.
    """
    from govcloud.api import apply
    from govcloud.cli.family import split_or_single
    from govcloud.operations.results import blocking_findings, changed_steps

    require_confirmation_possible(yes, "apply")
    split_or_single("apply", stack, only, format, yes=yes, engine=engine.value if engine else None,
                    parallel=parallel, lock_wait=lock_wait, refresh=refresh, allow_mass_delete=allow_mass_delete,
                    parallel_stacks=parallel_stacks)
    feed = ProgressFeed("applying")

    def confirm(plan: Plan) -> bool:
        render_plan_text(stack, None, changed_steps(plan.steps), plan.summary, refreshed=plan.refreshed)
        answer = typer.confirm(f"Apply these changes to stack '{stack}'?", default=False, err=True)
        if answer:
            feed.begin(changes_in(plan.steps))  # the bar counts changes, not unchanged resources
        return answer

    with feed.shown(now=yes):
        result = apply(stack, yes=yes, engine=engine.value if engine else None, parallel=parallel,
                       lock_wait=lock_wait, on_event=feed, confirm=None if yes else confirm,
                       refresh=refresh, allow_mass_delete=allow_mass_delete)
    if format is Format.json:
        typer.echo(result.to_json())
    elif result.status == "refused":
        print_refusal("apply", blocking_findings(result.check), result.error)
    else:
        render_outcome(result, listed=not yes)
    raise typer.Exit(result.exit_code)
