"""`govcloud report`: the city at a glance — savings, duplicates, capacity, chargeback, findings."""
from __future__ import annotations

import io
import os
from enum import Enum
from typing import Annotated

import typer

from govcloud.cli.context import handles_errors, out, parse_today, project_paths, write_output


class Format(str, Enum):
    html = "html"
    text = "text"
    json = "json"


def _format_for(output: str | None) -> Format:
    """Without --format: HTML or JSON when --output names such a file, else text for the terminal."""
    suffix = os.path.splitext(output or "")[1].lower()
    return {".html": Format.html, ".htm": Format.html, ".json": Format.json}.get(suffix, Format.text)


@handles_errors
def report_command(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Blueprint files or directories (default: the project's blueprints/).")] = None,
    format: Annotated[Format | None, typer.Option(
        "--format", "-f", help="html, text or json (default: from --output's extension, else text).")] = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write to this file instead of standard output.")] = None,
    policies: Annotated[str | None, typer.Option(
        "--policies", help="Policy folder (default: the project's policies/).")] = None,
    waivers: Annotated[str | None, typer.Option(
        "--waivers", help="Waivers file (default: policies/waivers.yaml).")] = None,
    today: Annotated[str | None, typer.Option(
        "--today", help="Judge waiver expiry and date the report as of YYYY-MM-DD.")] = None,
) -> None:
    """The city at a glance: consolidation savings, duplicate functions, capacity and chargeback.

    Savings are figured against every approved department building its own network lines,
    OA, website and server room (Foshan's figures, which are floors, scaled to this city;
    override them in the City's price book); money is shown in 万元. Findings are those of
    `govcloud check`. The HTML report is one self-contained file that works offline. Exit
    code 0 (policy errors do not fail a report), 2 for invalid blueprints.

    Examples:

        govcloud report                                 # tables in the terminal

        govcloud report --output .govcloud/report.html  # the HTML file

        govcloud report --format json | jq .savings
    """
    from rich.console import Console

    from govcloud.api import report  # the report layer (jinja2, the savings model): for this command only
    from govcloud.report import render_report_html, render_text

    fmt = format or _format_for(output)
    result = report(project_paths(paths), policies=policies, waivers=waivers, today=parse_today(today))
    if fmt is Format.text and output is None:
        render_text(result, out)
    else:
        if fmt is Format.html:
            text = render_report_html(result)
        elif fmt is Format.json:
            text = result.to_json()
        else:
            # A file gets plain text: no colour codes, and a width that fits the formulas.
            console = Console(record=True, width=160, file=io.StringIO())
            render_text(result, console)
            text = console.export_text()
        if output and os.path.dirname(output):
            os.makedirs(os.path.dirname(output), exist_ok=True)
        write_output(text, output)
    raise typer.Exit(result.exit_code)
