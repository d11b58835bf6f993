"""The `govcloud` command: one typer app; each command lives in its own module."""
from __future__ import annotations

from typing import Annotated

import typer

import govcloud
from govcloud.cli.adopt import import_command
from govcloud.cli.apply import apply_command
from govcloud.cli.approve import approve_command
from govcloud.cli.check import check_command
from govcloud.cli.context import set_debug
from govcloud.cli.destroy import destroy_command
from govcloud.cli.init import init_command
from govcloud.cli.migrate import app as migrate_app
from govcloud.cli.plan import plan_command
from govcloud.cli.policy import policy_app
from govcloud.cli.refresh import refresh_command
from govcloud.cli.report import report_command
from govcloud.cli.review import review_command
from govcloud.cli.sandbox import app as sandbox_app
from govcloud.cli.schema import schema_command
from govcloud.cli.state import app as state_app
from govcloud.cli.validate import validate_command

HELP = """\
govcloud runs a city's consolidated e-government cloud (政务云).

Departments describe what they need in YAML blueprints; reviewers check them against the
city's consolidation and security policies; the data-centre team provisions them.

Examples:

    govcloud init jrj --name 佛山市金融工作局   # scaffold a request in blueprints/requests/

    govcloud validate                          # schema-check blueprints/

Exit codes: 0 success, 1 policy errors or a failed operation, 2 bad input or usage.
"""

app = typer.Typer(
    name="govcloud",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"govcloud {govcloud.__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    ctx.obj = {"debug": debug}
    set_debug(debug)


app.command("init")(init_command)
app.command("validate")(validate_command)
app.command("check")(check_command)
app.command("approve")(approve_command)
app.add_typer(migrate_app, name="migrate")
app.command("review")(review_command)
app.add_typer(policy_app, name="policy")
app.command("schema")(schema_command)
app.command("report")(report_command)
app.add_typer(sandbox_app, name="sandbox")
app.command("plan")(plan_command)
app.command("apply")(apply_command)
app.command("refresh")(refresh_command)
app.command("destroy")(destroy_command)
app.add_typer(state_app, name="state")
app.command("import")(import_command)
