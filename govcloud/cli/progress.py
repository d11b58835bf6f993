"""Progress of apply and destroy on stderr: a bar in a terminal, plain lines elsewhere (CI).

Only steps that change the cloud count (a create, update, replace, delete; never an
unchanged resource or a component), and the clock starts at the first of them, not while
the program is planned. Without a terminal a line is printed at the first change, every
`interval` seconds, at every tenth of the changes and at the end, so a log shows the run moving.
"""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from govcloud.cli.context import err

if TYPE_CHECKING:
    from govcloud.engine import EngineEvent, Step

# Components group resources; they change nothing in the cloud themselves.
_COMPONENT_TYPES = ("pulumi:pulumi:Stack", "govcloud:index:")
_UNCHANGED = ("same", "")
INTERVAL = 10.0


def _type_of(urn: str) -> str:
    """`urn:pulumi:s::p::parent$type::name` → `type`."""
    parts = urn.split("::")
    return parts[2].rsplit("$", 1)[-1] if len(parts) > 3 else ""


def is_component(type_: str) -> bool:
    return type_.startswith(_COMPONENT_TYPES)


def changes_in(steps: Iterable[Step]) -> int:
    """The resources a plan changes in the cloud (a replacement is one)."""
    return len({s.urn for s in steps if s.op.value not in _UNCHANGED and not is_component(s.type)})


class ProgressFeed:
    """Engine events → progress on stderr. Events come from worker threads; rich's Progress
    locks its own updates, and the counters here have their own lock."""

    def __init__(self, verb: str, total: int | None = None, *, terminal: bool | None = None,
                 stream: TextIO | None = None, interval: float = INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.verb = verb
        self.enabled = err.is_terminal if terminal is None else terminal
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self.total = total
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err, transient=True, disable=not self.enabled)
        self.task = self.progress.add_task(verb, total=total, start=False)
        self.failed = 0
        self.done = 0
        self.started_at: float | None = None
        self._counted: set[str] = set()
        self._lock = threading.Lock()
        self._last_line = 0.0
        self._last_tenth = 0
        self._stop = threading.Event()

    def set_total(self, total: int) -> None:
        self.total = total
        self.progress.update(self.task, total=total)

    def _start_clock(self) -> None:
        """Called with the lock held: the first change starts the clock (and, without a
        terminal, prints the first line: the log shows when planning ended)."""
        if self.started_at is None:
            self.started_at = self._last_line = self.clock()
            self.progress.start_task(self.task)
            if not self.enabled:
                self._write(self.line())

    def __call__(self, event: EngineEvent) -> None:
        op = event.op.value if event.op else ""
        if op in _UNCHANGED or is_component(_type_of(event.urn)):
            return  # nothing changes in the cloud: not a step of the progress
        if event.kind == "step-started":
            with self._lock:
                self._start_clock()
            self.progress.update(self.task, description=f"{self.verb}: {op} {event.urn.rsplit('::', 1)[-1]}")
        elif event.kind in ("step-finished", "step-failed"):
            with self._lock:
                self._start_clock()
                self.failed += event.kind == "step-failed"
                if event.urn in self._counted:
                    return  # a replacement reports its halves: one resource
                self._counted.add(event.urn)
                self.done = len(self._counted)
                line = self._plain_due(tick=False)
            self.progress.update(self.task, completed=self.done)
            if line:
                self._write(line)

    def line(self) -> str:
        elapsed = self.clock() - self.started_at if self.started_at is not None else 0.0
        failed = f", {self.failed} failed" if self.failed else ""
        if self.total:
            percent = min(100, self.done * 100 // self.total)
            return f"{self.verb}: {self.done}/{self.total} changes ({percent} %){failed}, {elapsed:.0f} s"
        return f"{self.verb}: {self.done} changes{failed}, {elapsed:.0f} s"

    def _plain_due(self, *, tick: bool) -> str | None:
        """With the lock held: the plain line to print now, if one is due (no terminal only)."""
        if self.enabled or self.started_at is None:
            return None
        now = self.clock()
        tenth = self.done * 10 // self.total if self.total else 0
        if (not tick and tenth > self._last_tenth) or now - self._last_line >= self.interval:
            self._last_tenth = max(tenth, self._last_tenth)
            self._last_line = now
            return self.line()
        return None

    def _write(self, line: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(line + "\n")
        stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(min(1.0, self.interval)):
            with self._lock:
                line = self._plain_due(tick=True)
            if line:
                self._write(line)

    def begin(self, total: int) -> None:
        """Start the bar once a confirmation was given (a bar would overwrite the prompt)."""
        self.set_total(total)
        self.progress.start()

    @contextmanager
    def shown(self, *, now: bool) -> Iterator[ProgressFeed]:
        """The progress of one run: the bar from the start when `now`, else from `begin`
        (always cleared); without a terminal, the plain lines."""
        ticker = None if self.enabled else threading.Thread(target=self._tick, daemon=True)
        try:
            if now:
                self.progress.start()
            if ticker is not None:
                ticker.start()
            yield self
        finally:
            self._stop.set()
            if ticker is not None:
                ticker.join()
                if self.started_at is not None:
                    self._write(self.line())  # where it ended
            self.progress.stop()
