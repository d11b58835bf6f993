"""Ctrl-C stops a run even when a frame on the way swallows the KeyboardInterrupt.

A library frame with `except BaseException` (the Pulumi SDK has some) that the signal happens
to land in would otherwise let the apply run on to "ok". Inside `interruptible()` the signal
also refuses every provider call not yet started, and the block ends in KeyboardInterrupt.
"""
from __future__ import annotations

import os
import signal

import pytest

from govcloud.engine.errors import EngineError
from govcloud.engine.providers import call, interruptible


def _swallowed_interrupt() -> None:
    """What a frame that catches BaseException does with Ctrl-C."""
    try:
        os.kill(os.getpid(), signal.SIGINT)
        signal.sigtimedwait([], 0)  # let the handler run here, inside the try
    except BaseException:  # noqa: BLE001 - the point of the test
        pass


def test_a_swallowed_ctrl_c_still_stops_the_next_calls_and_the_run() -> None:
    started = []
    with pytest.raises(KeyboardInterrupt), interruptible():
        assert call(lambda: started.append(1) or "made") == "made"
        _swallowed_interrupt()
        with pytest.raises(EngineError, match=r"interrupted \(Ctrl-C\)"):
            call(lambda: started.append(2))
    assert started == [1]  # the second call never started


def test_after_the_block_calls_run_and_the_handler_is_the_one_before() -> None:
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), interruptible():
        _swallowed_interrupt()
    assert signal.getsignal(signal.SIGINT) is before
    assert call(lambda: "again") == "again"


def test_an_unswallowed_ctrl_c_is_an_ordinary_keyboard_interrupt() -> None:
    with pytest.raises(KeyboardInterrupt), interruptible():
        os.kill(os.getpid(), signal.SIGINT)
        signal.sigtimedwait([], 0)
        raise AssertionError("the interrupt did not reach the block")


def test_where_sigint_is_ignored_the_block_leaves_it_ignored() -> None:
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interruptible():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGINT)
        assert call(lambda: "still") == "still"
    finally:
        signal.signal(signal.SIGINT, before)
