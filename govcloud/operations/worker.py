"""A worker process of a split stack's run: member stacks, one after another (operations/family.py).

The Pulumi SDK keeps its runtime settings per process, so members that run at the same
time run in workers like this one: `python -m govcloud.operations.worker`. A worker lives
for the whole family run and takes members from the parent one at a time. Each line on
stdin is a base64 pickle of
- a `Warm`: the family's project and members as the parent loaded and partitioned them
  (without them, the worker loads the blueprints itself); answers nothing;
- a `Keys`: the secrets keys the parent derived (members share the passphrase and, after
  `state split`, the salt); answers nothing;
- a `MemberTask`: run it, answer its `MemberResult` as one line on stdout.
Whatever else the run prints goes to stderr, so the answers stay whole.
"""
from __future__ import annotations

import base64
import contextlib
import os
import pickle
import sys
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Warm:
    """The family the tasks to come belong to: as built by the parent (`key` says for which
    files and date), or None to load it here while the platform runs elsewhere."""

    root: str
    family: str
    key: tuple[object, ...] = ()
    built: tuple[Any, Any] | None = None  # (Project, Family)


@dataclass(frozen=True)
class Keys:
    """(passphrase, salt, key) of the secrets keys the parent derived."""

    keys: tuple[tuple[str, bytes, bytes], ...]


def encode(message: Any) -> bytes:
    return base64.b64encode(pickle.dumps(message)) + b"\n"


def decode(line: bytes) -> Any:
    return pickle.loads(base64.b64decode(line))  # our own parent process wrote it


def _warm(message: Warm) -> None:
    from pathlib import Path

    from govcloud.errors import GovcloudError
    from govcloud.program import load_stack_config
    from govcloud.program.entry import adopt_family, load_family

    if message.built is not None:
        adopt_family(message.key, message.built)
        return
    with contextlib.suppress(GovcloudError):  # the task that needs it reports the error
        load_family(load_stack_config(message.family, Path(message.root)))


def main() -> None:
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    from govcloud.engine.secrets import adopt_keys
    from govcloud.operations import stackrun  # noqa: F401 - imported once, while the platform runs
    from govcloud.operations.family import run_member

    for line in sys.stdin.buffer:
        message = decode(line)
        if isinstance(message, Warm):
            _warm(message)
            continue
        if isinstance(message, Keys):
            adopt_keys(message.keys)
            continue
        answers.write(encode(run_member(message)))
        answers.flush()


if __name__ == "__main__":
    # Run as the imported module, so that `Warm` here is the class the parent pickled.
    from govcloud.operations.worker import main as serve

    serve()
