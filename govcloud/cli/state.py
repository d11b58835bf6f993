"""`govcloud state list|show|export --stack S`: what the stack's state records."""
from __future__ import annotations

import json
from typing import Annotated

import typer

from govcloud.cli.context import handles_errors, write_output
from govcloud.cli.plan import Format, FormatOption, Stack, kind_of

app = typer.Typer(
    name="state",
    help="Inspect and repair a stack's state: list, show, export, history, rm, import, unlock, migrate, split.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)


@app.command("list")
@handles_errors
def list_command(stack: Stack, format: FormatOption = Format.text) -> None:
    """List the resources the stack's state records, one per line.

    Example:

        govcloud state list --stack sandbox --format json | jq length
    """
    from govcloud.api import state_list

    view = state_list(stack)
    if format is Format.json:
        typer.echo(_json(view.to_list()))
        return
    if not view.exists:
        typer.echo(f"stack '{stack}' has no state yet: nothing was applied")
        return
    for entry in view.resources:
        typer.echo(f"{kind_of(entry.type):<16}{entry.name:<64}{entry.id}")
    custom = sum(1 for e in view.resources if e.custom)
    typer.echo(f"{custom} resources and {len(view.resources) - custom} components (state version {view.version})")


@app.command("show")
@handles_errors
def show_command(
    urn: Annotated[str, typer.Argument(help="The resource's URN, or its name (the URN's last part).")],
    stack: Stack,
) -> None:
    """Show one resource's recorded inputs, outputs and dependencies; secrets as [secret].

    Example:

        govcloud state show gaj/systems/household-registry/bucket --stack sandbox
    """
    from govcloud.api import state_show

    typer.echo(_json(state_show(stack, urn).shown()))


@app.command("export")
@handles_errors
def export_command(
    stack: Stack,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write to this file instead of standard output.")] = None,
    version: Annotated[int | None, typer.Option(
        "--version", min=1, help="The state as that run left it (see `state history`).")] = None,
) -> None:
    """Export the state as a Pulumi version-3 deployment (what `pulumi stack export` writes
    and `pulumi stack import` or `govcloud state import` read). Secret values stay
    encrypted (ciphertext objects), never plain text.

    Example:

        govcloud state export --stack sandbox --output sandbox-state.json

        govcloud state export --stack sandbox --version 3 --output before-the-reform.json
    """
    from govcloud.api import state_export

    write_output(_json(state_export(stack, version=version)), output)


LockWait = Annotated[float, typer.Option(
    "--lock-wait", min=0.0, help="Seconds to wait for another run's lock on the stack.")]


@app.command("history")
@handles_errors
def history_command(stack: Stack, format: FormatOption = Format.text) -> None:
    """List the stack's recorded runs, oldest first: version, kind, result, changes.

    Example:

        govcloud state history --stack sandbox
    """
    import time as _time

    from govcloud.operations.statecommands import state_history

    entries = state_history(stack)
    if format is Format.json:
        typer.echo(_json([e.to_json() for e in entries]))
        return
    if not entries:
        typer.echo(f"stack '{stack}' has no history yet: nothing was applied")
        return
    for e in entries:
        when = _time.strftime("%Y-%m-%d %H:%M:%S", _time.localtime(e.end))
        changes = ", ".join(f"{k} {v}" for k, v in e.changes.items() if v) or "no changes"
        typer.echo(f"{e.version:>5}  {when}  {e.kind:<13}{e.result:<10}{changes}"
                   + (f"  ({e.message})" if e.message else ""))
    typer.echo(f"Restore one with `govcloud state export --stack {stack} --version N -o F`"
               f" and `govcloud state import F --stack {stack}`.")


def _print_change(change: object, format: Format) -> None:
    typer.echo(change.to_json() if format is Format.json else change.message)  # type: ignore[attr-defined]


@app.command("rm")
@handles_errors
def rm_command(
    urn: Annotated[str, typer.Argument(help="The resource's URN, or its name (the URN's last part).")],
    stack: Stack,
    force: Annotated[bool, typer.Option("--force", help="Forget it even if others depend on it.")] = False,
    lock_wait: LockWait = 0.0,
    format: FormatOption = Format.text,
) -> None:
    """Forget one resource: the state no longer records it, the cloud keeps it.

    Example:

        govcloud state rm slj/systems/flood-forecast/bucket --stack sandbox
    """
    from govcloud.operations.statecommands import state_rm

    _print_change(state_rm(stack, urn, force=force, lock_wait=lock_wait), format)


@app.command("import")
@handles_errors
def import_command(
    file: Annotated[str, typer.Argument(help="A Pulumi deployment: `state export` or `pulumi stack export` output.")],
    stack: Stack,
    lock_wait: LockWait = 0.0,
    format: FormatOption = Format.text,
) -> None:
    """Make a Pulumi deployment file the stack's whole state (restore, or move a stack).

    Example:

        govcloud state import before-the-reform.json --stack sandbox
    """
    from govcloud.operations.statecommands import state_import

    _print_change(state_import(stack, file, lock_wait=lock_wait), format)


@app.command("unlock")
@handles_errors
def unlock_command(stack: Stack, format: FormatOption = Format.text) -> None:
    """Break the stack's lock when its holder is gone (e.g. a CI runner that was killed).
    Recorded in the audit log with who held it. Never while that run is still going.

    Example:

        govcloud state unlock --stack sandbox
    """
    from govcloud.operations.statecommands import state_unlock

    _print_change(state_unlock(stack), format)


@app.command("migrate")
@handles_errors
def migrate_command(stack: Stack, lock_wait: LockWait = 0.0, format: FormatOption = Format.text) -> None:
    """Move a stack's state from govcloud 0.1's SQLite file (.govcloud/state/<stack>.db)
    into the stack's backend. The next plan, apply, refresh or destroy does it too.

    Example:

        govcloud state migrate --stack sandbox
    """
    from govcloud.operations.statecommands import state_migrate

    _print_change(state_migrate(stack, lock_wait=lock_wait), format)


@app.command("split")
@handles_errors
def split_command(stack: Stack, lock_wait: LockWait = 0.0, format: FormatOption = Format.text) -> None:
    """Move the state of a stack applied whole into the member stacks of its split
    (govcloud:split): the platform's into <stack>__platform, each department's into
    <stack>__<code>. Nothing in the cloud is created, renamed or deleted; the next apply of
    the split stack changes nothing. The old state is emptied and kept in its history.

    Example:

        govcloud state split --stack sandbox && govcloud plan --stack sandbox
    """
    from govcloud.operations.statesplit import state_split

    _print_change(state_split(stack, lock_wait=lock_wait), format)
