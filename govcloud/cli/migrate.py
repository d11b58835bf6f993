"""`govcloud migrate registers`: a city adopts the registers in one step."""
from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from govcloud.cli.approve import blueprints_folder
from govcloud.cli.context import err, handles_errors, parse_today

app = typer.Typer(help="Move a project to a newer layout.", no_args_is_help=True)


@app.command("registers")
@handles_errors
def registers_command(
    ref: Annotated[str, typer.Option("--ref", help="The decision adopting the registers, e.g. 佛数审〔2026〕1号.")],
    by: Annotated[str, typer.Option("--by", help="Who approved the departments already provisioned.")],
    on: Annotated[str | None, typer.Option("--date", help="Date recorded (default: today).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Move every approved department's spec.quota into blueprints/city/grants.yaml and record
    every approved department in blueprints/city/approvals.yaml (under --ref, --by).

    Requests keep their spec.quota: it is what they ask for. Run it again at any time: what
    is already granted or recorded is left alone.

    Example:

        govcloud migrate registers --ref 佛数审〔2026〕1号 --by 市政务服务数据管理局
    """
    from govcloud.workflow import migrate_registers

    day = (parse_today(on) or date.today()).isoformat()
    result = migrate_registers(blueprints_folder(), ref, by, day)
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        err.print(f"[green]✓[/] granted {len(result.grants)} department(s) their spec.quota, recorded "
                  f"{len(result.approvals)} approval(s); wrote {len(set(result.files))} file(s)")
