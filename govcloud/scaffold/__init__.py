"""Commented starting points for new blueprints (`govcloud init`)."""
from __future__ import annotations

import re
from importlib import resources

import jinja2

from govcloud.errors import GovcloudError
from govcloud.model import CATEGORIES

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,15}$")


def render_department(*, code: str, name: str, category: str, project: str | None,
                      headcount: int, domain: str) -> str:
    """The YAML text of a new department blueprint, commented in English and Chinese."""
    if not CODE_PATTERN.match(code):
        raise GovcloudError(f"department code {code!r} does not match {CODE_PATTERN.pattern}",
                            rule="GC-USAGE", hint="use lowercase pinyin initials, e.g. slj")
    if category not in CATEGORIES:
        raise GovcloudError(f"unknown category {category!r}", rule="GC-USAGE",
                            hint="one of " + ", ".join(CATEGORIES))
    if not name.strip():
        raise GovcloudError("--name must not be empty", rule="GC-USAGE", hint="e.g. --name 市水利局")
    source = resources.files("govcloud.scaffold").joinpath("department.yaml.j2").read_text("utf-8")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return env.from_string(source).render(
        code=code, name=quoted, category=category, project=project, headcount=headcount, domain=domain,
    )
