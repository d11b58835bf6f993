"""`govcloud refresh --stack S`: what changed in the cloud behind the state's back."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from govcloud.cli.apply import LockWait
from govcloud.cli.context import handles_errors
from govcloud.cli.family import Only, ParallelStacks
from govcloud.cli.plan import PARALLEL_STACKS, EngineOption, Format, FormatOption, Parallel, Stack, kind_of
from govcloud.cli.render import plural

if TYPE_CHECKING:
    from govcloud.engine.diff import PropertyDiff


def _diff_line(d: PropertyDiff) -> str:
    import json

    def shown(value: object) -> str:
        return "(none)" if value is None else json.dumps(value, ensure_ascii=False)

    return f"        {d.path}: recorded {shown(d.old)}, live {shown(d.new)}"


@handles_errors
def refresh_command(
    stack: Stack,
    parallel: Parallel = 16,
    lock_wait: LockWait = 0.0,
    engine: EngineOption = None,
    format: FormatOption = Format.text,
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", help="Forget resources gone from the cloud without asking.")] = False,
    parallel_stacks: ParallelStacks = PARALLEL_STACKS,
    only: Only = None,
) -> None:
    """Read every resource of the stack back from the cloud and report drift.

    Drift is a property changed outside govcloud (e.g. a tag edited in a console) or a
    resource that is gone. The state takes in what it found; the next `govcloud apply`
    puts the cloud back as the blueprints say. Resources gone from the cloud are listed and,
    in a terminal, forgotten only when you confirm (with --yes, or without a terminal, at
    once, as `pulumi refresh --yes` does). Exit code 0, drift or not.

    Example:

        govcloud refresh --stack sandbox && govcloud apply --stack sandbox --yes

        govcloud refresh --stack city --parallel-stacks 4 --only gaj   # members of a split stack

    A split stack's members are refreshed platform first; what is gone is forgotten at once.
    """
    from govcloud.api import refresh
    from govcloud.cli.family import split_or_single

    split_or_single("refresh", stack, only, format, engine=engine.value if engine else None, parallel=parallel,
                    lock_wait=lock_wait, parallel_stacks=parallel_stacks)

    def confirm_forget(gone: tuple[str, ...]) -> bool:
        for urn in gone:
            typer.echo(f"  - gone     {kind_of(urn.rsplit('::', 1)[0]):<14} {urn.rsplit('::', 1)[-1]}", err=True)
        return typer.confirm(f"Forget these {len(gone)} resource(s) in the state of stack '{stack}'"
                             " (the next apply creates them again)?", default=True, err=True)

    interactive = not yes and sys.stdin.isatty() and format is Format.text
    result = refresh(stack, engine=engine.value if engine else None, parallel=parallel,
                     lock_wait=lock_wait, confirm_forget=confirm_forget if interactive else None)
    if format is Format.json:
        typer.echo(result.to_json())
        raise typer.Exit(result.exit_code)
    drift = result.drift
    for warning in drift.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for entry in drift.changed:
        typer.echo(f"  ~ drifted  {kind_of(entry.type):<14} {entry.urn.rsplit('::', 1)[-1]}")
        for d in entry.diffs:
            typer.echo(_diff_line(d))
    for urn in drift.gone:
        typer.echo(f"  - gone     {kind_of(urn.rsplit('::', 1)[0]):<14} {urn.rsplit('::', 1)[-1]}")
    typer.echo(f"Refresh of stack '{stack}': {plural(len(drift.changed), 'resource')} drifted, "
               f"{len(drift.gone)} gone, {drift.unchanged} unchanged ({drift.duration:.1f} s).")
    if drift.drifted:
        typer.echo(f"Run `govcloud apply --stack {stack}` to put them back as the blueprints say.")
    raise typer.Exit(result.exit_code)
