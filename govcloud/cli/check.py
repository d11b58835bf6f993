"""`govcloud check`: the reviewer's view — every policy rule on the blueprints, waivers applied."""
from __future__ import annotations

import sys
from collections.abc import Iterable
from enum import Enum
from typing import Annotated

import typer

from govcloud.cli.context import err, handles_errors, out, parse_today, project_paths, write_output
from govcloud.cli.render import plural
from govcloud.policy import CheckResult, check
from govcloud.policy.formats import iter_json, render, render_text


class Format(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    html = "html"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"


@handles_errors
def check_command(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Blueprint files or directories (default: the project's blueprints/).")] = None,
    policies: Annotated[str | None, typer.Option(
        "--policies", help="Policy folder (default: the project's policies/).")] = None,
    waivers: Annotated[str | None, typer.Option(
        "--waivers", help="Waivers file (default: policies/waivers.yaml).")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="text, json, sarif, junit or html.")] = Format.text,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write the report to this file instead of standard output.")] = None,
    fail_on: Annotated[FailOn, typer.Option(
        "--fail-on", help="Lowest unwaived severity that fails the run (exit 1).")] = FailOn.error,
    today: Annotated[str | None, typer.Option(
        "--today", help="Judge waiver expiry and product listings as of YYYY-MM-DD.")] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Parse every blueprint again; neither read nor write .govcloud/cache/.")] = False,
) -> None:
    """Check blueprints against the policy packs: schema first, then every rule.

    Findings are grouped by department; waived ones stay in the output, marked. Parsed
    blueprints, the policy folder as read, and each department's findings of the rules that
    read only its own file, are cached in the project's .govcloud/cache/ (by content, and by
    the City, registers, policies, waivers and day they were judged with), so a re-check reads
    and judges again only the files that changed; a department file unchanged since (same
    inode, size, modification and change times) is not even read. The rules that look across
    departments run every time. Exit code
    0 when no unwaived error remains (see --fail-on), 1 when one does, 2 for bad input
    (schema errors, a broken policy pack or waivers file, an unknown path).

    Examples:

        govcloud check                         # the project's blueprints/

        govcloud check blueprints/requests/ybj.yaml blueprints/city.yaml

        govcloud check -f sarif -o check.sarif  # for code scanning

        govcloud check -f junit -o check.xml --fail-on warning

        govcloud check -f html -o findings.html  # the report's findings page
    """
    result = check(project_paths(paths), policies=policies, waivers=waivers, today=parse_today(today),
                   fail_on=fail_on.value, cache=not no_cache, context=True)  # FILE: judged with its city
    if format is Format.text and output is None:
        render_text(result, out)
    elif format is Format.html:
        from govcloud.report import render_findings_html  # jinja2 templates load only when asked

        write_output(render_findings_html(result), output)
    elif format is Format.json:
        _stream(iter_json(result), output)  # a big city's envelope is never held whole
    else:
        write_output(render(result, format.value), output)
    if output:  # the report went to a file: the counts still reach the terminal
        err.print(summary_line(result), markup=False, highlight=False)
    raise typer.Exit(result.exit_code)


def summary_line(result: CheckResult) -> str:
    """`check`'s counts in one line: errors, warnings, waived, files, and the exit code."""
    s = result.summary
    project = result.project
    files = {f.location.file for f in result.findings if f.location is not None}
    if project is not None:
        named = set(result.departments)
        files |= {d.file for d in project.departments if d.code in named}
        if len(named) == len(project.departments):  # the whole city, not one file read in context
            files.add(project.city.doc.file)
    return (f"{plural(s.errors, 'error')}, {plural(s.warnings, 'warning')}, {plural(s.infos, 'info')}, "
            f"{s.waived} waived in {plural(len(files), 'file')} ({plural(s.departments, 'department')}); "
            f"exit {result.exit_code}")


def _stream(pieces: Iterable[str], output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.writelines(pieces)
        err.print(f"wrote {output}")
    else:
        sys.stdout.writelines(pieces)
