"""The stack lock: a concurrent run fails at once naming the holder, or waits for it."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govcloud.engine import LockedError, StackLock
from tests.engine_support.harness import Rig
from tests.engine_support.programs import Tree


def wait_ready(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", line + (proc.stderr.read() if proc.stderr else "")


def test_second_run_fails_at_once_naming_the_holder_then_waits(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    holder = rig.spawn("up", "--count", "2", "--hold", "2.5")
    try:
        wait_ready(holder)  # the holder is inside its program, lock held
        started = time.monotonic()
        second = rig.spawn("up", "--count", "2")
        out, err = second.communicate(timeout=30)
        assert second.returncode == 3, out + err
        assert time.monotonic() - started < 2.0
        assert "GC-ENGINE-LOCK stack 'dev' is locked by" in out
        assert f"(pid {holder.pid}, 'up'" in out
        # In-process too, with the same one-line message.
        with pytest.raises(LockedError, match=f"pid {holder.pid}"):
            rig.engine(Tree(rig.cloud_path, count=2)).up()
        waiting = rig.spawn("up", "--count", "2", "--lock-wait", "30")
        out, err = waiting.communicate(timeout=60)
        assert waiting.returncode == 0, out + err
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()
    assert len(rig.cloud.objects()) == 2


def test_lock_wait_gives_up_with_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "dev.lock"
    with StackLock(path, "up"):
        started = time.monotonic()
        with pytest.raises(LockedError, match=r"'up'.*after waiting 0.3s"):
            StackLock(path, "destroy", wait=0.3).acquire()
        assert time.monotonic() - started >= 0.3


def test_stale_lock_of_a_dead_process_is_broken_with_a_warning(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path = tmp_path / "dev.lock"
    path.write_text(json.dumps({"user": "ops", "host": __import__("socket").gethostname(),
                                "pid": dead.pid, "command": "up", "started_at": 0.0}))
    warnings: list[str] = []
    with StackLock(path, "up", warn=warnings.append):
        pass
    assert len(warnings) == 1 and "stale" in warnings[0] and f"pid {dead.pid}" in warnings[0]
    assert path.read_text() == ""  # released cleanly: the next holder sees no stale record
