"""The stack lock: a concurrent run fails at once naming the holder, or waits for it."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govcloud.engine import LockedError, StackLock
from govcloud.engine.blobstore import FileBlobStore
from tests.engine_support.harness import Rig
from tests.engine_support.programs import Tree


def wait_ready(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", line + (proc.stderr.read() if proc.stderr else "")


@pytest.mark.slow  # three engine processes and a holder that keeps the lock for 6 s
def test_second_run_fails_at_once_naming_the_holder_then_waits(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    holder = rig.spawn("up", "--count", "2", "--hold", "6")
    try:
        wait_ready(holder)  # the holder is inside its program, lock held
        second = rig.spawn("up", "--count", "2")
        out, err = second.communicate(timeout=30)
        assert second.returncode == 3, out + err
        assert holder.poll() is None, "the second run ended only after the holder: it waited"
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
        holder.communicate()  # its pipes closed, whatever happened
    assert len(rig.cloud.objects()) == 2


def test_lock_wait_gives_up_with_the_holder(tmp_path: Path) -> None:
    blobs = FileBlobStore(tmp_path)
    with StackLock(blobs, "proj", "dev", "up"):
        started = time.monotonic()
        with pytest.raises(LockedError, match=r"'up'.*after waiting 0.3s"):
            StackLock(blobs, "proj", "dev", "destroy", wait=0.3).acquire()
        assert time.monotonic() - started >= 0.3
    # Released: the lock folder is empty and the next holder takes it at once.
    assert blobs.keys(".pulumi/locks/") == []
    with StackLock(blobs, "proj", "dev", "up"):
        assert len(blobs.keys(".pulumi/locks/organization/proj/dev/")) == 1


def test_lock_object_is_pulumis_layout_and_content(tmp_path: Path) -> None:
    blobs = FileBlobStore(tmp_path)
    with StackLock(blobs, "proj", "dev", "up"):
        (key,) = blobs.keys(".pulumi/locks/")
        assert key.startswith(".pulumi/locks/organization/proj/dev/") and key.endswith(".json")
        content = json.loads(blobs.read(key) or b"")
        assert {"pid", "username", "hostname", "timestamp"} <= set(content)
        assert content["pid"] == os.getpid()


def test_stale_lock_of_a_dead_process_is_broken_with_a_warning(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    blobs = FileBlobStore(tmp_path)
    key = ".pulumi/locks/organization/proj/dev/0000-dead.json"
    blobs.write(key, json.dumps({"username": "ops", "hostname": socket.gethostname(), "pid": dead.pid,
                                 "timestamp": "2026-01-01T00:00:00Z", "command": "up"}).encode())
    warnings: list[str] = []
    with StackLock(blobs, "proj", "dev", "up", warn=warnings.append):
        pass
    assert len(warnings) == 1 and "stale" in warnings[0] and f"pid {dead.pid}" in warnings[0]
    assert blobs.keys(".pulumi/locks/") == []  # released cleanly, the stale one removed


def test_a_holder_on_another_host_is_never_broken_by_itself(tmp_path: Path) -> None:
    blobs = FileBlobStore(tmp_path)
    key = ".pulumi/locks/organization/proj/dev/0000-remote.json"
    blobs.write(key, json.dumps({"username": "ops", "hostname": "ci-runner-7", "pid": 1,
                                 "timestamp": "2026-01-01T00:00:00Z"}).encode())
    with pytest.raises(LockedError, match=r"ops@ci-runner-7 \(pid 1"):
        StackLock(blobs, "proj", "dev", "up").acquire()
    assert blobs.keys(".pulumi/locks/") == [key]
