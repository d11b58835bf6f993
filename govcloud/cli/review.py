"""`govcloud review --base REF`: what a change does, for its pull request."""
from __future__ import annotations

import json
from datetime import date
from enum import Enum
from typing import Annotated

import typer

from govcloud.cli.context import handles_errors, parse_today, write_output
from govcloud.errors import GovcloudError
from govcloud.load import find_root


class Format(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


@handles_errors
def review_command(
    base: Annotated[str, typer.Option("--base", help="The git commit, branch or tag the change starts from.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="text, json or markdown.")] = Format.text,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write the review to this file instead of standard output.")] = None,
    today: Annotated[str | None, typer.Option(
        "--today", help="Judge expiries, assessments and retirements as of YYYY-MM-DD.")] = None,
) -> None:
    """Review the change from --base to the working tree: findings added and fixed, the plan
    (resources the approved departments' graph would create, update, delete), and the
    chargeback, capacity and savings before and after. No cloud is read.

    Exit code 1 only when the change introduces an unwaived error; 2 for a bad --base.

    Examples:

        govcloud review --base origin/main

        govcloud review --base origin/main -f markdown -o review.md   # a pull-request comment
    """
    from govcloud.report.review import render_markdown, render_text
    from govcloud.workflow.review import review

    root = find_root(".")
    if not (root / "blueprints").is_dir():
        raise GovcloudError("no blueprints/ folder here or above", rule="GC-USAGE",
                            hint="run inside a govcloud project")
    result = review(root, base, parse_today(today) or date.today())
    if format is Format.json:
        text = json.dumps(result.to_json(), ensure_ascii=False, indent=2, allow_nan=False)
    elif format is Format.markdown:
        text = render_markdown(result)
    else:
        text = render_text(result)
    write_output(text, output)
    raise typer.Exit(result.exit_code)
