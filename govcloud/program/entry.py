"""The program as a stack runs it: read the stack config, load its blueprints, build the program."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from govcloud.errors import GovcloudError
from govcloud.load import load
from govcloud.model import Project
from govcloud.program.program import make_program
from govcloud.program.stackconfig import StackConfig, load_stack_config


def load_blueprints(config: StackConfig) -> Project:
    """The validated project the stack deploys; the first blocking finding otherwise."""
    result = load([str(p) for p in config.blueprints])
    blocking = [f for f in result.findings if f.blocking]
    if blocking or result.project is None:
        first = blocking[0] if blocking else None
        more = f" (and {len(blocking) - 1} more; run `govcloud validate`)" if len(blocking) > 1 else ""
        raise GovcloudError(
            (first.message if first else f"no City among the blueprints of stack '{config.stack}'") + more,
            rule=first.rule if first else "GC-STACK",
            location=first.location if first else None,
            hint=first.hint if first else "list city.yaml under govcloud:blueprints",
        )
    return result.project


def stack_program(config: StackConfig, *, endpoint_url: str | None = None) -> Callable[[], None]:
    """The program of the stack `config` describes, against its endpoint (or `endpoint_url`)."""
    project = load_blueprints(config)
    return make_program(project, config.target(), endpoint_url=endpoint_url or config.resolve_endpoint())


def main(stack: str, root: Path | None = None) -> None:
    """Run the stack's program inside a Pulumi deployment (the Pulumi CLI's language host)."""
    stack_program(load_stack_config(stack, root))()
