"""Crash safety: kill -9 an apply at random moments, re-run, and find no orphans or duplicates."""
from __future__ import annotations

import random
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.engine_support.harness import Rig
from tests.engine_support.programs import Tree

TRIALS = 6  # two per phase; each phase kills at a random moment of its window
COUNT = 10
DELAY = 0.03  # each provider write sleeps before and after touching the cloud
PHASES = ("create", "replace", "destroy")
# How long each phase runs at this DELAY (a 10-node tree is four levels deep): kills land inside.
WINDOW = {"create": 0.3, "replace": 0.45, "destroy": 0.2}


def killed_run(rig: Rig, phase: str, kill_after: float) -> None:
    args = ["destroy"] if phase == "destroy" else ["up", "--zone", "b" if phase == "replace" else "a"]
    proc = rig.spawn(*args, "--count", str(COUNT), "--delay", str(DELAY))
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.communicate()


def converge_and_check(rig: Rig, phase: str) -> None:
    program = Tree(rig.cloud_path, count=COUNT, zone="b" if phase == "replace" else "a")
    engine = rig.engine(program, parallel=4)
    result = engine.destroy() if phase == "destroy" else engine.up()
    assert result.ok, result.error
    store = rig.state()
    assert store.pending_ops() == [] and store.condemned() == []
    names = Counter(name for _, _, name in rig.cloud.objects())
    assert all(n == 1 for n in names.values()), f"duplicates: {names}"
    assert rig.live_ids() == rig.state_ids(), "orphans or dangling state"
    if phase == "destroy":
        assert not names
        return
    assert len(names) == COUNT
    live = {name: rig.cloud.get(id_) for id_, _, name in rig.cloud.objects()}
    assert {p["zone"] for p in live.values()} == {program.zone}  # type: ignore[index]
    writes = len(rig.cloud.writes())
    again = rig.engine(program).up()
    assert again.ok and again.summary.changes == 0 and len(rig.cloud.writes()) == writes


@pytest.mark.slow
def test_kill_minus_nine_at_random_moments_then_converge(tmp_path: Path) -> None:
    rng = random.Random(1234)
    trials = []
    for trial in range(TRIALS):
        rig = Rig(tmp_path / f"trial{trial}")
        rig.tmp.mkdir()
        phase = PHASES[trial % len(PHASES)]
        if phase != "create":
            assert rig.engine(Tree(rig.cloud_path, count=COUNT), parallel=4).up().ok
        trials.append((rig, phase, rng.uniform(0.0, WINDOW[phase])))
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda t: killed_run(*t), trials))
    for rig, phase, _ in trials:
        converge_and_check(rig, phase)
