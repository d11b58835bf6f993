"""What every command shares: the --debug switch and the one place errors become exit codes."""
from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from contextvars import ContextVar
from datetime import date
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from govcloud.errors import GovcloudError

P = ParamSpec("P")
R = TypeVar("R")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


# Set by the root command from --debug (typer runs commands outside click's own context stack).
_DEBUG: ContextVar[bool] = ContextVar("govcloud_debug", default=False)


def set_debug(enabled: bool) -> None:
    _DEBUG.set(enabled)


def debug_enabled() -> bool:
    if _DEBUG.get():
        return True
    return os.environ.get("GOVCLOUD_DEBUG", "") not in ("", "0")


def print_error(error: GovcloudError) -> None:
    hint = f" (hint: {error.hint})" if error.hint else ""
    sys.stderr.write(f"{error.line()}{hint}\n")


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Known errors become one line on stderr and their exit code; --debug re-raises."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except GovcloudError as error:
            if debug_enabled():
                raise
            print_error(error)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            sys.stderr.write("interrupted\n")
            raise typer.Exit(130) from None

    return wrapper


def project_paths(paths: list[str] | None, root: str | None = None) -> list[str]:
    """PATH arguments, defaulting to the project's blueprints/ folder."""
    if paths:
        return paths
    from govcloud.load import find_root

    base = find_root(root or ".")
    blueprints = base / "blueprints"
    if not blueprints.is_dir():
        raise GovcloudError(
            "no blueprints/ folder here or above; give the PATH of your blueprints",
            rule="GC-USAGE", hint="run inside a govcloud project, or `govcloud validate path/to/blueprints`",
        )
    return [os.path.relpath(blueprints)]


def parse_today(value: str | None) -> date | None:
    """The --today option: judge expiries as of that date (default: the real today)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise GovcloudError(f"--today {value!r} is not a date", rule="GC-USAGE", hint="use YYYY-MM-DD") from None


def write_output(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        err.print(f"wrote {output}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
