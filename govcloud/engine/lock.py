"""The per-stack lock: an flock on `<stack>.lock` whose file names the holder.

The kernel releases an flock when its holder dies, so a lock left by a killed run never
blocks; the holder record it left behind is reported as a broken stale lock.
"""
from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Callable

from govcloud.engine.errors import LockedError

_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class LockHolder:
    user: str
    host: str
    pid: int
    command: str
    started_at: float

    @classmethod
    def me(cls, command: str) -> "LockHolder":
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = str(os.getuid())
        return cls(user, socket.gethostname(), os.getpid(), command, time.time())

    def describe(self) -> str:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started_at))
        return f"{self.user}@{self.host} (pid {self.pid}, '{self.command}', since {since})"

    def alive(self) -> bool:
        """Whether the holder process still runs; only answerable on the same host."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _read_holder(path: Path) -> LockHolder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "null")
        return LockHolder(**data) if isinstance(data, dict) else None
    except (OSError, ValueError, TypeError):
        return None


class StackLock:
    """Context manager: `with StackLock(path, "up", wait=0): ...`."""

    def __init__(
        self, path: Path, command: str, *, stack: str = "", wait: float = 0.0,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path
        self.command = command
        self.stack = stack or path.stem
        self.wait = wait
        self.warn = warn or (lambda message: None)
        self._fd: int | None = None
        self.holder = ""

    def acquire(self) -> LockHolder:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + max(self.wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    holder = _read_holder(self.path)
                    who = holder.describe() if holder else "another process"
                    waited = f" after waiting {self.wait:g}s" if self.wait > 0 else ""
                    raise LockedError(f"stack '{self.stack}' is locked by {who}{waited}") from None
                time.sleep(_POLL_SECONDS)
        stale = _read_holder(self.path)
        if stale is not None:
            state = "dead" if not stale.alive() else "gone"
            self.warn(f"broke a stale lock on stack '{self.stack}' held by {stale.describe()} (process {state})")
        me = LockHolder.me(self.command)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(asdict(me)).encode("utf-8"), 0)
        self._fd = fd
        self.holder = f"{me.user}@{me.host} pid {me.pid}"
        return me

    def release(self) -> None:
        if self._fd is not None:
            # Empty the record first so the next holder does not report us as stale.
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "StackLock":
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
