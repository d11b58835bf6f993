"""`govcloud sandbox up|down|status`: the local sandbox cloud (moto on 127.0.0.1)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Annotated

import typer

from govcloud.cli.context import err, handles_errors
from govcloud.cloud import sandbox
from govcloud.cloud.sandbox import SandboxInfo
from govcloud.errors import GovcloudError

app = typer.Typer(
    name="sandbox",
    help="Run the sandbox cloud: a local emulator of the private cloud's APIs on 127.0.0.1.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

StateDir = Annotated[Path | None, typer.Option(
    "--state-dir", help="Where sandbox.json and sandbox.log live (default: <project>/.govcloud).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


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
    if as_json:
        typer.echo(json.dumps(info.to_json(), indent=2, ensure_ascii=False))
        return
    if not info.running:
        typer.echo(f"sandbox: down ({info.state_dir})")
        return
    typer.echo(f"sandbox: up at {info.endpoint} (pid {info.pid}){' — reused' if info.reused else ''}")
    if info.seeded:
        typer.echo(f"images: {', '.join(info.seeded)} in {', '.join(sandbox.REGIONS)}")
    if info.holds:
        typer.echo("holds (managed-by=govcloud): "
                   + ", ".join(f"{kind} {count}" for kind, count in info.holds.items()))
    for name, pool in info.pools.items():
        typer.echo(f"{name} pool: up at {pool.endpoint} (pid {pool.pid}, account {pool.account})")
        if pool.holds:
            typer.echo(f"{name} pool holds (managed-by=govcloud): "
                       + ", ".join(f"{kind} {count}" for kind, count in pool.holds.items()))
    typer.echo("point boto3 or the AWS CLI at it with:")
    typer.echo(info.instructions())


@app.command("up")
@handles_errors
def up_command(
    state_dir: StateDir = None,
    products: Annotated[Path | None, typer.Option(
        "--products", help="Approved images and engines "
                           "(default: <project>/policies/data/approved-products.yaml).")] = None,
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
    info = sandbox.up(directory, products)
    for warning in info.warnings:
        err.print(f"warning: {warning}")
    _print(info, as_json)


@app.command("down")
@handles_errors
def down_command(state_dir: StateDir = None, as_json: AsJson = False) -> None:
    """Stop the sandbox cloud; everything it held is gone."""
    _print(sandbox.down(_state_dir(state_dir)), as_json)


@app.command("status")
@handles_errors
def status_command(
    state_dir: StateDir = None,
    as_json: AsJson = False,
    env: Annotated[bool, typer.Option("--env", help="Print only the export lines.")] = False,
) -> None:
    """Say whether the sandbox runs, where, and what govcloud resources it holds.

    Exit code 0 when it runs, 1 when it is down.
    """
    info = sandbox.status(_state_dir(state_dir))
    if env:
        typer.echo(info.instructions())
    else:
        _print(info, as_json)
    raise typer.Exit(0 if info.running else 1)
