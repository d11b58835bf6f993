"""`govcloud validate`: schema and structure of blueprints."""
from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from govcloud.cli.context import err, handles_errors, project_paths
from govcloud.cli.render import finding_lines, plural
from govcloud.load.context import load_in_context


class Format(str, Enum):
    text = "text"
    json = "json"


@handles_errors
def validate_command(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Blueprint files or directories (default: the project's blueprints/).")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
) -> None:
    """Check blueprints against the schema: every error at once, one line each.

    Each problem is printed as `file:line:col: GC-SCHEMA message (hint: …)`.
    Exit code 0 when every blueprint is valid, 2 otherwise. Files inside the project's
    blueprints/ are read with the whole project (its City, the codes used elsewhere).

    Example:

        govcloud validate blueprints/departments/gaj.yaml blueprints/city.yaml
    """
    result = load_in_context(project_paths(paths))
    if format is Format.json:
        typer.echo(result.to_json())
    else:
        typer.echo(finding_lines(result.findings), nl=False)
        errors = sum(1 for f in result.findings if f.blocking)
        if result.ok:
            err.print(f"[green]✓[/] {plural(result.departments, 'department')} and the city are valid "
                      f"({plural(result.files, 'file')}, {plural(result.documents, 'document')})")
        else:
            err.print(f"[red]✗[/] {plural(errors, 'error')} in {plural(result.files, 'file')}")
    raise typer.Exit(result.exit_code)
