"""`govcloud sandbox up|down|status`: the local sandbox cloud (moto on 127.0.0.1)."""
from __future__ import annotations

import importlib.util
import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from govcloud.cli.context import err, handles_errors
from govcloud.errors import GovcloudError

if TYPE_CHECKING:
    from types import ModuleType

    from govcloud.cloud.sandbox import SandboxInfo

app = typer.Typer(
    name="sandbox",
    help="Run the sandbox cloud: a local emulator of the private cloud's APIs on 127.0.0.1.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _sandbox() -> ModuleType:
    """govcloud.cloud.sandbox, imported by the command that uses it (it loads boto3: a third of
    every other command's start-up)."""
    from govcloud.cloud import sandbox

    return sandbox


StateDir = Annotated[Path | None, typer.Option(
    "--state-dir", help="Where sandbox.json and sandbox.log live (default: <project>/.govcloud).")]
class Format(str, Enum):
    text = "text"
    json = "json"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="text or json.")]
# `--json` came first; kept working, no longer shown.
AsJson = Annotated[bool, typer.Option("--json", hidden=True, help="Deprecated: use --format json.")]


def _as_json(format: Format, as_json: bool) -> bool:
    return as_json or format is Format.json  # no warning for --json: its output stays parseable


def holdings_lines(holds: dict[str, int], releasing: dict[str, int], label: str = "holds") -> list[str]:
    """What the sandbox holds, by service with counts (kinds of a service in brackets), and
    apart what is being released (terminated instances, keys pending deletion)."""
    lines = []
    if holds:
        services: dict[str, dict[str, int]] = {}
        for kind, count in holds.items():
            service, _, what = kind.partition(":")
            services.setdefault(service, {})[what] = count
        total = sum(holds.values())
        lines.append(f"{label} (managed-by=govcloud): {total} resource{'' if total == 1 else 's'}")
        for service, kinds in sorted(services.items()):
            detail = ", ".join(f"{what} {n}" for what, n in sorted(kinds.items()) if what)
            lines.append(f"  {service} {sum(kinds.values())}" + (f" ({detail})" if detail else ""))
    if releasing:
        lines.append("being released (not held): " + ", ".join(
            f"{kind.replace(':', ' ')} {n}" for kind, n in releasing.items()))
    return lines


def _project() -> Path:
    from govcloud.load import find_root

    return find_root(".")


def _state_dir(state_dir: Path | None) -> Path:
    return state_dir if state_dir is not None else _project() / ".govcloud"


def _default_products() -> Path:
    """The project's policies/data/approved-products.yaml, else the one govcloud ships."""
    from govcloud.policy import default_policy_dir

    project = _project() / "policies" / "data" / "approved-products.yaml"
    return project if project.is_file() else default_policy_dir([]) / "data" / "approved-products.yaml"


def _print(info: SandboxInfo, as_json: bool) -> None:
    """The sandbox as text or JSON (`--format`)."""
    if as_json:
        typer.echo(json.dumps(info.to_json(), indent=2, ensure_ascii=False))
        return
    if not info.running:
        typer.echo(f"sandbox: down ({info.state_dir})")
        return
    typer.echo(f"sandbox: up at {info.endpoint} (pid {info.pid}){' — reused' if info.reused else ''}")
    if info.seeded:
        typer.echo(f"images: {', '.join(info.seeded)} in {', '.join(_sandbox().REGIONS)}")
    for line in holdings_lines(info.holds, info.releasing):
        typer.echo(line)
    for name, pool in info.pools.items():
        typer.echo(f"{name} pool: up at {pool.endpoint} (pid {pool.pid}, account {pool.account})")
        for line in holdings_lines(pool.holds, pool.releasing, f"{name} pool holds"):
            typer.echo(line)
    typer.echo("point boto3 or the AWS CLI at it with:")
    typer.echo(info.instructions())


@app.command("up")
@handles_errors
def up_command(
    state_dir: StateDir = None,
    products: Annotated[Path | None, typer.Option(
        "--products", help="Approved images and engines "
                           "(default: <project>/policies/data/approved-products.yaml).")] = None,
    format: FormatOption = Format.text,
    as_json: AsJson = False,
) -> None:
    """Start the sandbox cloud (or reuse the running one) and seed the approved images.

    Example:

        govcloud sandbox up && eval "$(govcloud sandbox status --env)"
    """
    if importlib.util.find_spec("moto") is None:
        raise GovcloudError("the sandbox cloud needs moto's server: pip install 'govcloud[sandbox]'",
                            rule="GC-USAGE", exit_code=2)
    directory = _state_dir(state_dir)
    products = products or _default_products()
    info = _sandbox().up(directory, products)
    for warning in info.warnings:
        err.print(f"warning: {warning}")
    _print(info, _as_json(format, as_json))


@app.command("down")
@handles_errors
def down_command(state_dir: StateDir = None, format: FormatOption = Format.text, as_json: AsJson = False) -> None:
    """Stop the sandbox cloud; everything it held is gone."""
    _print(_sandbox().down(_state_dir(state_dir)), _as_json(format, as_json))


@app.command("status")
@handles_errors
def status_command(
    state_dir: StateDir = None,
    format: FormatOption = Format.text,
    as_json: AsJson = False,
    env: Annotated[bool, typer.Option("--env", help="Print only the export lines.")] = False,
) -> None:
    """Say whether the sandbox runs, where, and what govcloud resources it holds.

    Holdings are counted by service (the kinds of each in brackets); terminated instances and
    keys pending deletion are shown apart, as being released. Exit code 0 when it runs, 1 when
    it is down.

    Example:

        govcloud sandbox status --format json | jq .holds
    """
    info = _sandbox().status(_state_dir(state_dir))
    if env:
        typer.echo(info.instructions())
    else:
        _print(info, _as_json(format, as_json))
    raise typer.Exit(0 if info.running else 1)
