"""`govcloud state list|show|export --stack S`: what the stack's state records."""
from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from govcloud.cli.context import handles_errors, write_output
from govcloud.cli.plan import Format, FormatOption, Stack, kind_of

app = typer.Typer(
    name="state",
    help="Inspect a stack's state: the resources govcloud manages and their recorded properties.",
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
    output: Annotated[Optional[str], typer.Option(
        "--output", "-o", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Export the whole state as JSON: every resource's URN, type, id, inputs, outputs and
    dependencies. Secret values stay encrypted (ciphertext objects), never plain text.

    Example:

        govcloud state export --stack sandbox --output sandbox-state.json
    """
    from govcloud.api import state_export

    write_output(_json(state_export(stack)), output)
