"""A real apply and destroy without a terminal, as CI runs them: plain progress lines that
count only the changes, and the policy gate's warnings in the summary."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.test_apply_support import attach_sandbox, make_project, own_sandbox

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["own_sandbox"]  # the module's sandbox fixture

LINE = re.compile(r"^(applying|destroying): (\d+) changes(?:, \d+ failed)?, \d+ s$")


def _progress(stderr: str, verb: str) -> list[int]:
    return [int(m.group(2)) for line in stderr.splitlines() if (m := LINE.match(line)) and m.group(1) == verb]


def test_apply_and_destroy_print_plain_progress_and_the_gate(tmp_path: Path, own_sandbox: Path) -> None:
    project = make_project(tmp_path, ("swj",))
    attach_sandbox(project, own_sandbox)
    applied = project.cli("apply", "--stack", project.stack, "--yes")
    counts = _progress(applied.stderr, "applying")
    assert counts[0] == 0 and counts[-1] > 20, applied.stderr[-2000:]  # from the first change to the end
    held = project.cli_json("state", "list", "--stack", project.stack)
    resources = [r for r in held if r["custom"]]
    assert counts[-1] == len(resources)  # every change counted once; components and unchanged ones not
    gate = re.compile(r"^Policy gate passed: 0 errors, \d+ warnings? \(GC-", re.MULTILINE)
    assert gate.search(applied.stdout), applied.stdout

    again = project.cli("apply", "--stack", project.stack, "--yes")
    assert _progress(again.stderr, "applying") == []  # nothing changes: no progress to show
    assert "Nothing to do" in again.stdout

    destroyed = project.cli("destroy", "--stack", project.stack, "--yes")
    gone = _progress(destroyed.stderr, "destroying")
    assert gone[0] == 0 and gone[-1] == len(resources), destroyed.stderr[-2000:]
