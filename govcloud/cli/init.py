"""`govcloud init`: scaffold a department's commented blueprint."""
from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from govcloud.cli.context import err, handles_errors
from govcloud.errors import GovcloudError
from govcloud.load import find_root
from govcloud.scaffold import render_department


@handles_errors
def init_command(
    code: Annotated[str, typer.Argument(help="Department code: pinyin initials, e.g. slj for 水利局.")],
    name: Annotated[str, typer.Option("--name", "-n", help="Official Chinese name, e.g. 市水利局.")],
    category: Annotated[str, typer.Option(
        "--category", "-c", help="general | politics-law | social-security | vertical.")] = "general",
    project: Annotated[Optional[str], typer.Option(help="Approved IT project number (立项编号).")] = None,
    headcount: Annotated[int, typer.Option(help="Staff headcount.", min=1)] = 100,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing blueprint.")] = False,
    directory: Annotated[Optional[str], typer.Option(
        "--dir", help="Where to write (default: the project's blueprints/departments/).")] = None,
) -> None:
    """Write blueprints/departments/CODE.yaml: a commented blueprint that validates.

    Example:

        govcloud init slj --name 市水利局 --category general --project FS-2026-IT-0042
    """
    target_dir = directory or os.path.join(find_root("."), "blueprints", "departments")
    path = os.path.join(target_dir, f"{code}.yaml")
    text = render_department(code=code, name=name, category=category, project=project,
                             headcount=headcount, domain=_city_domain(target_dir))
    if os.path.exists(path) and not force:
        raise GovcloudError(f"{os.path.relpath(path)} already exists", rule="GC-USAGE",
                            hint="use --force to overwrite it")
    os.makedirs(target_dir, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    err.print(f"wrote {os.path.relpath(path)} — edit it, then run `govcloud validate {os.path.relpath(path)}`")


def _city_domain(target_dir: str) -> str:
    """The city's domain when a city.yaml is nearby, so the site host is right from the start."""
    from govcloud.api import validate

    city_file = os.path.join(find_root(target_dir), "blueprints", "city.yaml")
    if os.path.exists(city_file):
        result = validate([city_file])
        if result.project is not None:
            return result.project.city.domain
    return "example.gov.cn"
