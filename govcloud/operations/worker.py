"""A worker process of a split stack's run: member stacks, one after another (operations/family.py).

The Pulumi SDK keeps its runtime settings per process, so members that run at the same
time run in workers like this one: `python -m govcloud.operations.worker`. Each line on
stdin is a base64 pickle of a `Warm` (build the family's graph now, answer nothing) or a
`MemberTask` (answer its `MemberResult` as one line on stdout). Whatever else the run prints
goes to stderr, so the answers stay whole.
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
    """Build the family's blueprints and graph while the platform runs elsewhere."""

    root: str
    family: str


def encode(message: Any) -> bytes:
    return base64.b64encode(pickle.dumps(message)) + b"\n"


def decode(line: bytes) -> Any:
    return pickle.loads(base64.b64decode(line))  # our own parent process wrote it


def _warm(message: Warm) -> None:
    from pathlib import Path

    from govcloud.errors import GovcloudError
    from govcloud.program import load_stack_config
    from govcloud.program.entry import load_family

    with contextlib.suppress(GovcloudError):  # the task that needs it reports the error
        load_family(load_stack_config(message.family, Path(message.root)))


def main() -> None:
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    from govcloud.operations.family import run_member

    for line in sys.stdin.buffer:
        message = decode(line)
        if isinstance(message, Warm):
            _warm(message)
            continue
        answers.write(encode(run_member(message)))
        answers.flush()


if __name__ == "__main__":
    # Run as the imported module, so that `Warm` here is the class the parent pickled.
    from govcloud.operations.worker import main as serve

    serve()
