"""`govcloud import TYPE NAME ID --stack S`: adopt a resource that already exists in the cloud."""
from __future__ import annotations

from typing import Annotated

import typer

from govcloud.cli.apply import LockWait
from govcloud.cli.context import handles_errors
from govcloud.cli.plan import Format, FormatOption, Stack


@handles_errors
def import_command(
    kind: Annotated[str, typer.Argument(metavar="TYPE", help="The resource type, e.g. Bucket or Instance.")],
    name: Annotated[str, typer.Argument(
        metavar="NAME", help="The resource's name in the stack, as `govcloud plan` lists it.")],
    id_: Annotated[str, typer.Argument(metavar="ID", help="The cloud resource's id (a bucket's name, i-…, vpc-…).")],
    stack: Stack,
    lock_wait: LockWait = 0.0,
    format: FormatOption = Format.text,
) -> None:
    """Adopt an existing cloud resource as one of the stack's: the state records it, the
    cloud is not changed. A department's system built before consolidation moves into the
    city's stack this way; the next `plan` shows what apply would change to match the
    blueprint. Recorded in the stack's history and audit log.

    Example:

        govcloud import Bucket slj/systems/flood-forecast/bucket slj-flood-archive-2019 --stack sandbox
    """
    from govcloud.operations.stackrun import import_resource

    result = import_resource(stack, kind, name, id_, lock_wait=lock_wait)
    if format is Format.json:
        typer.echo(result.to_json())
    elif result.ok:
        typer.echo(f"Imported {kind} {id_} as {name} in stack '{stack}'; "
                   f"`govcloud plan --stack {stack}` shows what apply would change.")
    else:
        typer.echo(f"Import failed: {result.error}", err=True)
    raise typer.Exit(0 if result.ok else 1)
