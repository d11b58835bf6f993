"""Moving a stack from govcloud 0.1's SQLite state file into the Pulumi-format backend.

The old file (`.govcloud/state/<stack>.db`, WAL mode) is read once, its secrets opened with
the old scrypt key and sealed again with the stack's Pulumi passphrase crypter; the result
is written as the stack's first checkpoint and history entry, and the old file is renamed
`<stack>.db.migrated` (kept, never deleted). It runs by itself on the first plan, apply,
refresh or destroy that unlocks the stack, or with `govcloud state migrate`.
"""
from __future__ import annotations

import json
import sqlite3
import time
from typing import TYPE_CHECKING

from govcloud.engine.checkpoint import Snapshot, StateCorruptError, to_deployment
from govcloud.engine.records import PendingOp, ResourceState
from govcloud.engine.secrets import Crypter, LegacyCrypter

if TYPE_CHECKING:
    from govcloud.engine.state import StateStore


def migrate(store: StateStore, passphrase: str) -> int:
    """Migrate the store's legacy file; returns how many resources moved."""
    path = store.legacy_path
    assert path is not None
    where = str(path)
    try:
        conn = sqlite3.connect(path, timeout=30.0)
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            rows = conn.execute(
                "SELECT urn, type, parent, custom, id, inputs, outputs, dependencies, protect,"
                " retain_on_delete, delete_before_replace, dirty, seq FROM resources ORDER BY seq"
            ).fetchall()
            condemned = conn.execute(
                "SELECT urn, type, parent, id, inputs, outputs, dependencies, retain_on_delete"
                " FROM condemned ORDER BY cid").fetchall()
            pending = conn.execute(
                "SELECT urn, type, op, resource_id, inputs, outputs, meta, started_at, pid"
                " FROM pending_ops ORDER BY op_id").fetchall()
            outputs = conn.execute("SELECT name, value FROM stack_outputs").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StateCorruptError(where, f"the old-format state file cannot be read ({exc})",
                                hint="nothing was changed; restore the file (and its -wal) from a backup") from None
    salt = meta.get("salt")
    old = LegacyCrypter.derive(passphrase, bytes.fromhex(salt)) if salt else None
    if old is not None and meta.get("check"):
        old.verify(meta["check"])
    new = Crypter.new(passphrase)

    def convert(text: str) -> dict[str, object]:
        value = json.loads(text)
        return new.seal(old.open(value)) if old is not None else value  # type: ignore[no-any-return]

    snap = Snapshot()
    snap.secrets_state = new.provider_state()
    for urn, type_, parent, custom, id_, inputs, outs, deps, protect, retain, dbr, dirty, seq in rows:
        snap.resources[urn] = ResourceState(
            urn=urn, type=type_, parent=parent, custom=bool(custom), id=id_, inputs=convert(inputs),
            outputs=convert(outs), dependencies=tuple(json.loads(deps)), protect=bool(protect),
            retain_on_delete=bool(retain), delete_before_replace=bool(dbr), dirty=bool(dirty), seq=seq)
    for urn, type_, parent, id_, inputs, outs, deps, retain in condemned:
        snap.condemned[snap.next_cid()] = ResourceState(
            urn=urn, type=type_, parent=parent, custom=True, id=id_, inputs=convert(inputs),
            outputs=convert(outs), dependencies=tuple(json.loads(deps)), retain_on_delete=bool(retain))
    for urn, type_, op, resource_id, inputs, outs, op_meta, started, pid in pending:
        op_id = snap.next_op()
        snap.pending[op_id] = PendingOp(op_id, urn, type_, op, resource_id, None, convert(inputs),
                                        convert(outs), json.loads(op_meta), float(started), int(pid))
    snap.outputs = {name: convert(value) for name, value in outputs} if outputs else {}
    # One journal entry holds the whole migrated state: a kill before the fold loses nothing.
    store._write({"op": "replace-all", "deployment": to_deployment(snap)})
    store.record("migrate", "govcloud state migrate", time.time(), True,
                 {"migrated": len(rows)}, f"migrated from {where}")
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            source.rename(path.with_name(path.name + suffix + ".migrated"))
    return len(rows)
