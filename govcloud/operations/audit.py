"""The audit trail: one JSON line per apply and destroy in `.govcloud/audit/<stack>.jsonl`.

A line says who ran what on which blueprints, what the plan counted and how it ended. It
never holds a property value, so no secret can reach it.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govcloud.load.discover import discover

AUDIT_DIR = Path(".govcloud") / "audit"


def blueprint_files(paths: Iterable[Path]) -> list[Path]:
    """Every blueprint file a stack deploys, found as the loader finds them (load.discover:
    the same folders skipped, links followed inside the project only, each file once).

    A path that is gone or unreadable adds nothing: the run's own load reports it, and the
    audit line is written either way."""
    found = discover([str(p) for p in paths if os.path.lexists(p)])
    return [Path(f) for f in found.files]


def blueprint_digest(paths: Iterable[Path]) -> str:
    """sha256 over the bytes of the stack's blueprint files, in the order the loader reads them."""
    digest = hashlib.sha256()
    for file in blueprint_files(paths):
        digest.update(file.read_bytes())
    return f"sha256:{digest.hexdigest()}"


def who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers): the uid still says who
        user = f"uid{os.getuid()}"
    return f"{user}@{socket.gethostname()}"


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class AuditEntry:
    who: str
    when: str
    operation: str  # apply | destroy
    stack: str
    engine: str
    blueprints: str  # the digest
    plan: dict[str, int]
    result: str  # started | ok | failed | refused | cancelled
    error: str
    duration: float
    # Pairs the "started" line with the line that ends the same run; a run killed with -9
    # leaves only its "started" line.
    run: str = ""
    resources: tuple[str, ...] = ()  # URNs the run created, changed or deleted

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "duration": round(self.duration, 3), "resources": list(self.resources)}


def audit_path(root: Path, stack: str) -> Path:
    return root / AUDIT_DIR / f"{stack}.jsonl"


def append(root: Path, entry: AuditEntry) -> Path:
    """Append one line; O_APPEND keeps concurrent writers' lines whole."""
    path = audit_path(root, entry.stack)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)
    return path


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{os.getpid()}-{os.urandom(3).hex()}"


def started(root: Path, operation: str, stack: str, engine: str, digest: str = "") -> AuditEntry:
    """Write the line that opens a run; pass the entry to `ended` when it ends."""
    entry = AuditEntry(who(), now_utc(), operation, stack, engine, digest, {}, "started", "", 0.0,
                       new_run_id())
    append(root, entry)
    return entry
