"""`govcloud destroy --stack S`: delete every resource of the stack, after a confirmation."""
from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from govcloud.cli.apply import (
    LockWait,
    ProgressFeed,
    Yes,
    render_outcome,
    require_confirmation_possible,
)
from govcloud.cli.context import handles_errors
from govcloud.cli.family import Only, ParallelStacks
from govcloud.cli.plan import PARALLEL_STACKS, EngineOption, Format, FormatOption, Parallel, Stack
from govcloud.cli.render import destroy_summary, plural, terminal_width

if TYPE_CHECKING:
    from govcloud.operations import StateView


@handles_errors
def destroy_command(
    stack: Stack,
    yes: Yes = False,
    parallel: Parallel = 16,
    lock_wait: LockWait = 0.0,
    engine: EngineOption = None,
    format: FormatOption = Format.text,
    parallel_stacks: ParallelStacks = PARALLEL_STACKS,
    only: Only = None,
) -> None:
    """Delete every resource of the stack from the cloud, in reverse dependency order.

    Asks for confirmation unless --yes (without a terminal, --yes is required: exit 2).
    Protected resources stop it (exit 1). Appended to .govcloud/audit/<stack>.jsonl.

    Example:

        govcloud destroy --stack sandbox --yes

        govcloud destroy --stack city --yes --only gaj   # one department's stack of a split stack

    A split stack's department stacks are destroyed first, its platform stack last (and only
    when every department stack is empty).
    """
    from govcloud.api import destroy
    from govcloud.cli.family import split_or_single

    require_confirmation_possible(yes, "destroy")
    split_or_single("destroy", stack, only, format, yes=yes, engine=engine.value if engine else None,
                    parallel=parallel, lock_wait=lock_wait, parallel_stacks=parallel_stacks)
    feed = ProgressFeed("destroying")

    def confirm(held: StateView) -> bool:
        count = sum(1 for r in held.resources if r.custom)
        for line in destroy_summary(held.resources, stack, terminal_width()):  # what goes, before asking
            typer.echo(line, err=True)
        what = plural(count, "resource") if held.exists else "every resource"
        answer = typer.confirm(f"Destroy {what} of stack '{stack}'? This cannot be undone.",
                               default=False, err=True)
        if answer:
            feed.begin(count)  # the bar counts resources of the cloud, not components
        return answer

    with feed.shown(now=yes):
        result = destroy(stack, yes=yes, engine=engine.value if engine else None, parallel=parallel,
                         lock_wait=lock_wait, on_event=feed, confirm=None if yes else confirm)
    if format is Format.json:
        typer.echo(result.to_json())
    else:
        render_outcome(result, listed=True)  # a destroy lists no steps: everything goes
    raise typer.Exit(result.exit_code)
