"""`govcloud init`: scaffold a department's commented blueprint."""
from __future__ import annotations

import os
import shlex
from typing import Annotated

import typer

from govcloud.cli.context import err, handles_errors
from govcloud.errors import GovcloudError
from govcloud.load import find_root
from govcloud.model import APPROVED_DIR, REQUESTS_DIR


@handles_errors
def init_command(
    code: Annotated[str, typer.Argument(help="Department code: pinyin initials, e.g. slj for 水利局.")],
    name: Annotated[str, typer.Option("--name", "-n", help="Official Chinese name, e.g. 市水利局.")],
    category: Annotated[str, typer.Option(
        "--category", "-c", help="general | politics-law | social-security | vertical.")] = "general",
    project: Annotated[str | None, typer.Option(help="Approved IT project number (立项编号).")] = None,
    headcount: Annotated[int, typer.Option(help="Staff headcount.", min=1)] = 100,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing request.")] = False,
    directory: Annotated[str | None, typer.Option(
        "--dir", help="Where to write (default: the project's blueprints/requests/).")] = None,
) -> None:
    """Write blueprints/requests/CODE.yaml: a commented request that validates.

    A request is reviewed with `govcloud check`, then approved by the data bureau
    (`govcloud approve`), which moves it into blueprints/departments/.

    Example:

        govcloud init jrj --name 佛山市金融工作局 --category general --project FS-2026-IT-0042
    """
    from govcloud.scaffold import render_department  # jinja2: imported by the one command that renders

    root = find_root(".")
    target_dir = directory or os.path.join(root, "blueprints", REQUESTS_DIR)
    path = os.path.join(target_dir, f"{code}.yaml")
    text = render_department(code=code, name=name, category=category, project=project,
                             headcount=headcount, domain=_city_domain(target_dir))
    approved = os.path.join(find_root(target_dir), "blueprints", APPROVED_DIR, f"{code}.yaml")
    if os.path.exists(approved) and os.path.realpath(approved) != os.path.realpath(path):
        raise GovcloudError(f"department '{code}' is already approved: {os.path.relpath(approved)}",
                            rule="GC-USAGE", hint="change an approved department by editing its file (a pull "
                                                  "request); a new department needs a code of its own")
    if os.path.exists(path) and not force:
        raise GovcloudError(f"{os.path.relpath(path)} already exists", rule="GC-USAGE",
                            hint="edit it, or use --force to start it again")
    os.makedirs(target_dir, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    for line in next_steps(path):
        err.print(line, markup=False)


def next_steps(path: str) -> list[str]:
    """What to do after `init`, as commands that work when pasted from the working directory."""
    shown = os.path.relpath(path)
    root = find_root(os.path.dirname(os.path.abspath(path)))
    city = root / "blueprints" / "city.yaml"
    lines = [f"wrote {shown}"]
    if not city.is_file():
        return lines + [
            "no city project here (no blueprints/city.yaml at or above this folder): copy the file",
            f"into the city's project as blueprints/requests/{os.path.basename(path)}, then run there:",
            f"  govcloud validate blueprints/requests/{os.path.basename(path)}",
            f"  govcloud check blueprints/requests/{os.path.basename(path)}"]
    # A file outside the project's blueprints/ is read with the city file named beside it.
    inside = os.path.realpath(path).startswith(os.path.realpath(root / "blueprints") + os.sep)
    args = shlex.quote(shown) + ("" if inside else " " + shlex.quote(os.path.relpath(city)))
    return lines + [
        "next steps:",
        "  1. edit it: the systems you need, metadata.project (立项编号) and spec.quota (your request)",
        f"  2. govcloud validate {args}",
        f"  3. govcloud check {args}",
        "     (a new department sees GC-CAP-001 until the data bureau records its grant",
        "     in blueprints/city/grants.yaml)",
    ]


def _city_domain(target_dir: str) -> str:
    """The city's domain when a city.yaml is nearby, so the site host is right from the start."""
    from govcloud.api import validate

    city_file = os.path.join(find_root(target_dir), "blueprints", "city.yaml")
    if os.path.exists(city_file):
        result = validate([city_file])
        if result.project is not None:
            return result.project.city.domain
    return "example.gov.cn"
