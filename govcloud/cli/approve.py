"""`govcloud approve`: the data bureau approves a request; it moves into departments/."""
from __future__ import annotations

import json
import os
from datetime import date
from typing import Annotated

import typer

from govcloud.cli.context import err, handles_errors, parse_today
from govcloud.cli.render import finding_lines
from govcloud.errors import GovcloudError
from govcloud.load import find_root


def blueprints_folder() -> str:
    folder = find_root(".") / "blueprints"
    if not folder.is_dir():
        raise GovcloudError("no blueprints/ folder here or above", rule="GC-USAGE",
                            hint="run inside a govcloud project")
    return os.path.relpath(folder)


@handles_errors
def approve_command(
    code: Annotated[str, typer.Argument(help="Department code of the request, e.g. ybj.")],
    ref: Annotated[str, typer.Option("--ref", help="Approval reference (审批文号), e.g. 佛数审〔2026〕12号.")],
    by: Annotated[str, typer.Option("--by", help="Who approves, e.g. 市政务服务数据管理局.")],
    on: Annotated[str | None, typer.Option("--date", help="Date of the approval (default: today).")] = None,
    policies: Annotated[str | None, typer.Option("--policies", help="Policy folder.")] = None,
    waivers: Annotated[str | None, typer.Option("--waivers", help="Waivers file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Approve a request: record it in blueprints/city/approvals.yaml and move
    blueprints/requests/CODE.yaml into blueprints/departments/.

    Refused (exit 1, nothing changed) while the request has an unwaived error against the
    whole city. An approved department whose file changed is approved again in place.

    Example:

        govcloud approve ybj --ref 佛数审〔2026〕12号 --by 市政务服务数据管理局
    """
    from govcloud.workflow import approve

    day = parse_today(on) or date.today()
    result = approve(blueprints_folder(), code, ref, by, day, policies=policies, waivers=waivers)
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    elif result.refused:
        typer.echo(finding_lines(result.refused), nl=False)
        err.print(f"[red]✗[/] not approved: {len(result.refused)} unwaived error(s) in {result.source} "
                  "(fix them or waive them, then approve again)")
    else:
        where = f"moved {result.source} → {result.target}" if result.source != result.target else \
            f"{result.target} approved again"
        err.print(f"[green]✓[/] approved {code} ({ref}, {by}, {result.date}): {where}; recorded in {result.register}")
    raise typer.Exit(result.exit_code)
