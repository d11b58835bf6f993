"""During an engine run the cyclic collector's young generation is RUN_GC_THRESHOLD
allocations; before and after it, what the process had (a failed run included)."""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from govcloud.engine import Engine, StateStore
from govcloud.engine.engine import RUN_GC_THRESHOLD

PASSPHRASE = "test-passphrase"


@pytest.fixture(autouse=True)
def _threshold() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def _engine(tmp_path: Path, program: Any) -> Engine:
    store = StateStore(tmp_path / "state" / "dev.db", project="proj")
    return Engine("proj", "dev", program, store, passphrase=PASSPHRASE, parallel=2)


def test_a_run_has_the_young_generation_raised_and_puts_it_back(tmp_path: Path) -> None:
    seen: list[tuple[int, ...]] = []

    def program() -> None:
        seen.append(gc.get_threshold())
        pulumi.export("answer", 42)

    assert _engine(tmp_path, program).up().ok
    assert _engine(tmp_path, program).preview().steps is not None
    assert seen == [(RUN_GC_THRESHOLD, 10, 10)] * 2
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.isenabled()


def test_a_failed_run_puts_it_back_too(tmp_path: Path) -> None:
    def program() -> None:
        raise RuntimeError("the program failed")

    result = _engine(tmp_path, program).up()
    assert not result.ok and "the program failed" in result.error
    assert gc.get_threshold() == (700, 10, 10)


def test_a_larger_young_generation_is_kept(tmp_path: Path) -> None:
    gc.set_threshold(50_000, 20, 5)
    seen: list[tuple[int, ...]] = []
    assert _engine(tmp_path, lambda: seen.append(gc.get_threshold())).up().ok
    assert seen == [(50_000, 20, 5)] and gc.get_threshold() == (50_000, 20, 5)


def test_overlapping_runs_put_it_back_when_the_last_ends(tmp_path: Path) -> None:
    first_inside, second_done = threading.Event(), threading.Event()
    seen: list[tuple[int, ...]] = []
    results: list[Any] = []

    def first() -> None:
        first_inside.set()
        assert second_done.wait(30)
        seen.append(gc.get_threshold())  # the second run ended meanwhile: still raised

    worker = threading.Thread(target=lambda: results.append(_engine(tmp_path / "a", first).up()))
    worker.start()
    assert first_inside.wait(30)
    assert _engine(tmp_path / "b", lambda: None).up().ok
    second_done.set()
    worker.join(30)
    assert [r.ok for r in results] == [True] and seen == [(RUN_GC_THRESHOLD, 10, 10)]
    assert gc.get_threshold() == (700, 10, 10)
