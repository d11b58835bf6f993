"""The commands that change a stack's state without a deployment: rm, import, unlock, migrate.

Each runs under the stack's lock (but unlock, which breaks it), is recorded in the stack's
history as its own version, and appends a line to the stack's audit log.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from govcloud.engine import StateStore, resolve_passphrase
from govcloud.engine.checkpoint import from_deployment
from govcloud.engine.lock import LockHolder, holders, lock_prefix
from govcloud.engine.secrets import Crypter
from govcloud.engine.state import HistoryEntry
from govcloud.errors import GovcloudError
from govcloud.operations import audit
from govcloud.operations.statefile import _stack_config, open_state, read_state
from govcloud.program import StackConfig


@dataclass(frozen=True)
class StateChange:
    """What a state command did, printable as text or JSON."""

    stack: str
    operation: str
    resources: tuple[str, ...]
    message: str
    version: int

    def to_dict(self) -> dict[str, Any]:
        return {"stack": self.stack, "operation": self.operation, "resources": list(self.resources),
                "message": self.message, "version": self.version}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def _passphrase(config: StackConfig, passphrase: str | None) -> str:
    import os

    return resolve_passphrase(passphrase or os.environ.get(config.passphrase_env) or None,
                              config.sandbox_passphrase)


def _audit(config: StackConfig, operation: str, resources: tuple[str, ...], started: float,
           error: str = "") -> None:
    opened = audit.started(config.root, operation, config.stack, "embedded")
    audit.append(config.root, replace(opened, when=audit.now_utc(), result="failed" if error else "ok",
                                      error=error, duration=time.monotonic() - started,
                                      resources=resources))


def state_history(stack: str, *, root: str | Path | None = None) -> list[HistoryEntry]:
    """Every recorded run of the stack, oldest first; `state export --version N` gives one."""
    return open_state(_stack_config(stack, root)).history()


def state_rm(stack: str, urn: str, *, root: str | Path | None = None, force: bool = False,
             lock_wait: float = 0.0) -> StateChange:
    """Forget one resource (the cloud keeps it): by URN or by name, never one others need."""
    started = time.monotonic()
    config = _stack_config(stack, root)
    store = open_state(config)
    with store.lock("state rm", wait=lock_wait) as lock:
        store.open()
        entry = read_state(config, store).find(urn)
        dependents = sorted(r.urn for r in store.sealed_resources()
                            if r.urn != entry.urn and (entry.urn in r.dependencies or r.parent == entry.urn))
        if dependents and not force:
            raise GovcloudError(
                f"{entry.urn} is needed by {len(dependents)} other resource(s), e.g. {dependents[0]}",
                rule="GC-STATE", hint="remove those first, or pass --force to forget it anyway")
        store.remove(entry.urn)
        store.record("state-rm", lock.holder, time.time(), True, {"delete": 1}, f"forgot {entry.urn}")
    _audit(config, "state rm", (entry.urn,), started)
    return StateChange(stack, "rm", (entry.urn,), f"forgot {entry.urn} (the cloud resource {entry.id or '-'} is kept)",
                       store.version)


def state_import(stack: str, file: str | Path, *, root: str | Path | None = None,
                 passphrase: str | None = None, lock_wait: float = 0.0) -> StateChange:
    """Make a Pulumi deployment file (`state export`, `pulumi stack export`) the stack's state."""
    started = time.monotonic()
    config = _stack_config(stack, root)
    path = Path(file)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise GovcloudError(f"{path}: cannot read a deployment: {exc}", rule="GC-STATE",
                            hint="give a file written by `govcloud state export` or `pulumi stack export`") from None
    snap = from_deployment(doc, str(path))
    if snap.secrets_state is not None:
        Crypter.from_provider_state(_passphrase(config, passphrase), snap.secrets_state, str(path))
    store = open_state(config)
    with store.lock("state import", wait=lock_wait) as lock:
        store.open()
        store.replace_all(doc)
        store.record("state-import", lock.holder, time.time(), True,
                     {"resources": len(snap.resources)}, f"imported {path}")
    _audit(config, "state import", (), started)
    return StateChange(stack, "import", tuple(snap.resources), f"imported {len(snap.resources)} resources from {path}",
                       store.version)


def state_unlock(stack: str, *, root: str | Path | None = None) -> StateChange:
    """Break the stack's lock (its holder died on another machine); audited with who held it."""
    started = time.monotonic()
    config = _stack_config(stack, root)
    store = open_state(config)
    held: list[LockHolder] = holders(store.blobs, store.project, stack)
    for holder in held:
        store.blobs.delete(holder.key)
    names = tuple(h.describe() for h in held)
    _audit(config, "state unlock", tuple(store.blobs.where(h.key) for h in held), started)
    message = ("broke the lock held by " + "; ".join(names)) if held else (
        f"stack '{stack}' was not locked ({store.blobs.where(lock_prefix(store.project, stack))})")
    return StateChange(stack, "unlock", (), message, store.version)


def state_migrate(stack: str, *, root: str | Path | None = None, passphrase: str | None = None,
                  lock_wait: float = 0.0) -> StateChange:
    """Move a stack's govcloud 0.1 SQLite state into its backend (plan and apply also do)."""
    started = time.monotonic()
    config = _stack_config(stack, root)
    store: StateStore = open_state(config)
    legacy = store.legacy_pending
    if legacy is None:
        return StateChange(stack, "migrate", (), f"stack '{stack}' has nothing to migrate", store.version)
    with store.lock("state migrate", wait=lock_wait):
        store.open()
        store.unlock(_passphrase(config, passphrase))
    _audit(config, "state migrate", (), started)
    count = len(store.sealed_resources())
    return StateChange(stack, "migrate", (), f"migrated {count} resources from {legacy} to {store.path}",
                       store.version)
