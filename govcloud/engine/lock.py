"""The per-stack lock, as Pulumi's DIY backends keep it: one object per holder.

`.pulumi/locks/organization/<project>/<stack>/<uuid>.json` holds `{"pid", "username",
"hostname", "timestamp"}` (plus govcloud's `command`). To take the lock: if another lock
object exists, the stack is locked; else write ours and list again — if another appeared
meanwhile, both back off (ours is deleted) and the loser of the next round waits. A Pulumi
CLI on the same backend honours the same objects, and ours honour its.

A holder on this host whose process is gone is stale: its lock is broken with a warning.
A holder on another host may only be broken by `govcloud state unlock`, which is audited.
"""
from __future__ import annotations

import getpass
import json
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Self

from govcloud.engine.errors import LockedError

if TYPE_CHECKING:
    from govcloud.engine.blobstore import BlobStore

_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class LockHolder:
    user: str
    host: str
    pid: int
    command: str
    started_at: float
    key: str = ""

    @classmethod
    def me(cls, command: str) -> LockHolder:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = str(os.getuid())
        return cls(user, socket.gethostname(), os.getpid(), command, time.time())

    def describe(self) -> str:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started_at))
        what = f", '{self.command}'" if self.command else ""
        return f"{self.user}@{self.host} (pid {self.pid}{what}, since {since})"

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

    def to_json(self) -> bytes:
        stamp = datetime.fromtimestamp(self.started_at, UTC).isoformat()
        return json.dumps({"pid": self.pid, "username": self.user, "hostname": self.host,
                           "timestamp": stamp, "command": self.command}).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | None, key: str) -> LockHolder:
        try:
            raw = json.loads((data or b"").decode("utf-8"))
            stamp = str(raw.get("timestamp", ""))
            started = datetime.fromisoformat(stamp).timestamp() if stamp else 0.0
            return cls(str(raw.get("username", "?")), str(raw.get("hostname", "?")),
                       int(raw.get("pid", 0)), str(raw.get("command", "")), started, key)
        except (UnicodeDecodeError, ValueError, TypeError, AttributeError):
            return cls("?", "?", 0, "", 0.0, key)  # unreadable: held by someone unknown


def lock_prefix(project: str, stack: str) -> str:
    return f".pulumi/locks/organization/{project}/{stack}/"


def holders(blobs: BlobStore, project: str, stack: str) -> list[LockHolder]:
    prefix = lock_prefix(project, stack)
    return [LockHolder.from_json(blobs.read(key), key) for key in blobs.keys(prefix) if key.endswith(".json")]


class StackLock:
    """Context manager: `with store.lock("up", wait=0): ...`."""

    def __init__(
        self, blobs: BlobStore, project: str, stack: str, command: str, *, wait: float = 0.0,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.blobs = blobs
        self.project = project
        self.stack = stack
        self.command = command
        self.wait = wait
        self.warn = warn or (lambda message: None)
        self.key = f"{lock_prefix(project, stack)}{uuid.uuid4()}.json"
        self.holder = ""
        self._held = False

    def _others(self) -> list[LockHolder]:
        others = []
        for holder in holders(self.blobs, self.project, self.stack):
            if holder.key == self.key:
                continue
            if holder.pid and holder.host == socket.gethostname() and not holder.alive():
                self.blobs.delete(holder.key)
                self.warn(f"broke a stale lock on stack '{self.stack}' held by {holder.describe()}"
                          " (process gone)")
                continue
            others.append(holder)
        return others

    def acquire(self) -> LockHolder:
        deadline = time.monotonic() + max(self.wait, 0.0)
        me = LockHolder.me(self.command)
        while True:
            others = self._others()
            if not others:
                self.blobs.write(self.key, me.to_json())
                others = self._others()
                if not others:
                    break
                self.blobs.delete(self.key)  # a tie: both back off, one wins the next round
            if time.monotonic() >= deadline:
                who = others[0].describe() if others else "another process"
                waited = f" after waiting {self.wait:g}s" if self.wait > 0 else ""
                raise LockedError(f"stack '{self.stack}' is locked by {who}{waited}")
            time.sleep(_POLL_SECONDS * (0.5 + random.random()))
        self._held = True
        self.holder = f"{me.user}@{me.host} pid {me.pid}"
        return me

    def release(self) -> None:
        if self._held:
            self.blobs.delete(self.key)
            self._held = False

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
