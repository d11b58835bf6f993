"""Layer 5: typer commands — parse, call the library, render."""
from __future__ import annotations

import sys

from govcloud.cli.app import app


def main() -> None:
    """Console entry point: anything unexpected is one line unless --debug."""
    from govcloud.cli.context import debug_enabled

    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # the last resort; known errors are handled per command
        if debug_enabled() or "--debug" in sys.argv:
            raise
        sys.stderr.write(f"govcloud: internal error: {type(exc).__name__}: {exc} (run with --debug for details)\n")
        sys.exit(1)


__all__ = ["app", "main"]
