"""The program as a stack runs it: read the stack config, load its blueprints, build the program."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from govcloud.errors import GovcloudError
from govcloud.load import load
from govcloud.model import Project
from govcloud.program.family import Family
from govcloud.program.pins import deployed_pins
from govcloud.program.program import make_member_program, make_program, split_family
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
    """The program of the stack `config` describes, against its endpoint (or `endpoint_url`),
    with the address slots its state holds kept where they are."""
    endpoint = endpoint_url or config.resolve_endpoint()
    if config.member is not None and config.split is not None:
        project, family = load_family(config)
        return make_member_program(project, config.target(), config.split, config.member,
                                   endpoint_url=endpoint, family=family)
    project = load_blueprints(config)
    return make_program(project, config.target(), endpoint_url=endpoint, pins=deployed_pins(config, project))


# One process runs several members of a family one after another: they share one build.
_FAMILIES: dict[tuple[object, ...], tuple[Project, Family]] = {}


def _fingerprint(config: StackConfig) -> tuple[object, ...]:
    """What the family's build depends on: the stack file, every blueprint file, the date."""
    files: list[tuple[str, int, int]] = []
    for path in (config.file, *config.blueprints):
        found = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in found:
            if file.is_file():
                stat = file.stat()
                files.append((str(file), stat.st_mtime_ns, stat.st_size))
    return (config.family or config.stack, config.split, date.today(), tuple(files))


def load_family(config: StackConfig) -> tuple[Project, Family]:
    """The project and the members of the split stack `config` is (or is a member of).

    The address slots all members' states hold stay where they are: they are read when the
    family is built (a build kept for the same files was made for the state its own apply left)."""
    assert config.split is not None
    key = _fingerprint(config)
    cached = _FAMILIES.get(key)
    if cached is None:
        project = load_blueprints(config)
        cached = (project, split_family(project, config.target(), config.split, deployed_pins(config, project)))
        _FAMILIES.clear()
        _FAMILIES[key] = cached
    return cached


def loaded_family(config: StackConfig) -> tuple[tuple[object, ...], tuple[Project, Family]]:
    """`load_family`'s result with the key it is kept under, to hand to a worker process."""
    built = load_family(config)
    return _fingerprint(config), built


def adopt_family(key: tuple[object, ...], built: tuple[Project, Family]) -> None:
    """Keep a family another process loaded: `load_family` returns it while `key` (the stack
    file's and blueprints' sizes and times, the date) still matches, and builds anew after."""
    _FAMILIES.clear()
    _FAMILIES[key] = built


def main(stack: str, root: Path | None = None) -> None:
    """Run the stack's program inside a Pulumi deployment (the Pulumi CLI's language host).

    `stack` may be a member of a split stack (`sandbox__gaj`): its program is that member's.
    """
    stack_program(load_stack_config(stack, root))()
