"""Stack state in SQLite: one WAL-mode file per stack, one transaction per step.

Every completed step is committed as it happens, so a kill at any moment loses at most
the step in flight, and that one is covered by its pending-operation row (journal.py).
Writes that arrive together from the engine's worker threads share one transaction (group
commit): each caller still returns only once its own write is committed.
Secret values are sealed by a Crypter before they reach the file.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from govcloud.engine.errors import EngineError
from govcloud.engine.properties import PROVIDER_KEY, SECRET_SIG, Props, is_secret
from govcloud.engine.secrets import Crypter, new_salt

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (
    urn TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    parent TEXT NOT NULL,
    custom INTEGER NOT NULL,
    id TEXT NOT NULL,
    inputs TEXT NOT NULL,
    outputs TEXT NOT NULL,
    dependencies TEXT NOT NULL,
    protect INTEGER NOT NULL,
    retain_on_delete INTEGER NOT NULL,
    delete_before_replace INTEGER NOT NULL,
    dirty INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL,
    updated_at REAL NOT NULL
);
-- Old halves of create-before-delete replacements, deleted at the end of a run.
CREATE TABLE IF NOT EXISTS condemned (
    cid INTEGER PRIMARY KEY AUTOINCREMENT,
    urn TEXT NOT NULL,
    type TEXT NOT NULL,
    parent TEXT NOT NULL,
    id TEXT NOT NULL,
    inputs TEXT NOT NULL,
    outputs TEXT NOT NULL,
    dependencies TEXT NOT NULL,
    retain_on_delete INTEGER NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_ops (
    op_id INTEGER PRIMARY KEY AUTOINCREMENT,
    urn TEXT NOT NULL,
    type TEXT NOT NULL,
    op TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    cid INTEGER,
    inputs TEXT NOT NULL,
    outputs TEXT NOT NULL,
    meta TEXT NOT NULL,
    started_at REAL NOT NULL,
    pid INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stack_outputs (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history (
    hid INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    holder TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL NOT NULL,
    ok INTEGER NOT NULL,
    summary TEXT NOT NULL,
    error TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class ResourceState:
    """One resource as recorded; secrets are wrappers, `__provider` may stay sealed."""

    urn: str
    type: str
    parent: str
    custom: bool
    id: str
    inputs: Props
    outputs: Props
    dependencies: tuple[str, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    # An update was interrupted: the cloud may differ from the recorded inputs.
    dirty: bool = False
    seq: int = 0


@dataclass(frozen=True)
class Condemned:
    """The old half of a create-before-delete replacement, waiting to be deleted."""

    cid: int
    resource: ResourceState


@dataclass(frozen=True)
class PendingOp:
    """A provider call that started and whose result was never recorded."""

    op_id: int
    urn: str
    type: str
    op: str
    resource_id: str
    cid: int | None
    inputs: Props
    outputs: Props
    # For a create: what the resource row will hold besides id and outputs.
    meta: dict[str, Any]
    started_at: float
    pid: int


Statement = tuple[str, tuple[Any, ...]]


@dataclass
class _Write:
    """One caller's statements, committed atomically (possibly with other callers')."""

    statements: list[Statement]
    done: bool = False
    rowid: int = 0  # lastrowid of the first statement
    error: BaseException | None = None


@dataclass
class StateStore:
    """The state file of one stack. Thread-safe: one connection behind a lock."""

    path: Path
    _conn: sqlite3.Connection | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    # Writes waiting for the next group commit, guarded by _queue_lock (never held long).
    _queue: list[_Write] = field(default_factory=list, init=False, repr=False)
    _queue_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _crypter: Crypter | None = field(default=None, init=False, repr=False)
    _unlocked_with: str = field(default="", init=False, repr=False)

    @classmethod
    def for_stack(cls, project_dir: str | Path, stack: str) -> "StateStore":
        return cls(Path(project_dir) / ".govcloud" / "state" / f"{stack}.db")

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    # -- connection -------------------------------------------------------------------
    def open(self) -> "StateStore":
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30.0
            )
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process; only power loss can drop a commit.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            conn.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('version', '0'), ('schema', ?)",
                (str(SCHEMA_VERSION),),
            )
            self._conn = conn
        return self

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self.open()
        assert self._conn is not None
        return self._conn

    def _write(self, *statements: Statement) -> int:
        """Commit `statements` in one transaction; returns the first one's lastrowid.

        Flat combining: the caller queues its write, then whoever gets the connection lock
        commits everything queued by then in one transaction. Under the lock every
        statement gives the GIL away and waits for it again, so 16 threads each committing
        on their own spent most of a create's time queueing for the lock.
        """
        item = _Write(list(statements))
        with self._queue_lock:
            self._queue.append(item)
        with self._lock:
            if not item.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch)
        if item.error is not None:
            raise item.error
        return item.rowid

    def _commit(self, batch: list[_Write]) -> None:
        try:
            self._run(batch)
        except sqlite3.Error as exc:
            if len(batch) == 1:
                batch[0].error = exc
            else:
                for item in batch:  # one bad write must not fail the others
                    self._commit([item])
        except BaseException as exc:
            for item in batch:
                item.error = exc
            raise
        finally:
            for item in batch:
                item.done = True

    def _run(self, batch: list[_Write]) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for item in batch:
                for number, (sql, params) in enumerate(item.statements):
                    cursor = conn.execute(sql, params)
                    if number == 0:
                        item.rowid = int(cursor.lastrowid or 0)
            # The version counts writes, as if each had been a transaction of its own.
            conn.execute(
                "UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'version'",
                (len(batch),),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _meta(self, key: str) -> str | None:
        with self._lock:
            row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # -- secrets ----------------------------------------------------------------------
    def unlock(self, passphrase: str) -> Crypter:
        """Derive the stack key (creating the per-stack salt on first use) and check it."""
        if self._crypter is not None and self._unlocked_with == passphrase:
            return self._crypter  # scrypt is deliberately slow: derive once per store
        self._unlocked_with = passphrase
        salt_hex = self._meta("salt")
        if salt_hex is None:
            crypter = Crypter.derive(passphrase, salt := new_salt())
            self._write((
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('salt', ?), ('check', ?)",
                (salt.hex(), crypter.check_token()),
            ))
            # Another process may have won the race to create the salt.
            return self.unlock(passphrase) if self._meta("salt") != salt.hex() else self._set(crypter)
        crypter = Crypter.derive(passphrase, bytes.fromhex(salt_hex))
        check = self._meta("check")
        if check is not None:
            crypter.verify(check)
        return self._set(crypter)

    def _set(self, crypter: Crypter) -> Crypter:
        self._crypter = crypter
        return crypter

    @property
    def crypter(self) -> Crypter:
        if self._crypter is None:
            raise EngineError("state is locked: unlock() it with the stack passphrase first")
        return self._crypter

    def _dump(self, props: Props) -> str:
        return json.dumps(self.crypter.seal(props), separators=(",", ":"), sort_keys=True)

    def _load(self, text: str, *, keep_provider_sealed: bool = False) -> Props:
        props: Props = json.loads(text)
        secrets = text.count(SECRET_SIG)
        if keep_provider_sealed and PROVIDER_KEY in props:
            # The provider is opened only when needed (deletes, refresh): most runs never do.
            sealed = props.pop(PROVIDER_KEY)
            if secrets > (1 if is_secret(sealed) else 0):
                props = dict(self.crypter.open(props))
            props[PROVIDER_KEY] = sealed
            return props
        opened: Props = self.crypter.open(props) if secrets else props
        return opened

    def open_value(self, value: Any) -> Any:
        return self.crypter.open(value)

    # -- reads ------------------------------------------------------------------------
    @property
    def version(self) -> int:
        return int(self._meta("version") or 0)

    def resources(self) -> dict[str, ResourceState]:
        with self._lock:
            rows = self.conn.execute(
                "SELECT urn, type, parent, custom, id, inputs, outputs, dependencies, protect,"
                " retain_on_delete, delete_before_replace, dirty, seq FROM resources ORDER BY seq"
            ).fetchall()
        return {row[0]: self._resource(row) for row in rows}

    def _resource(self, row: tuple[Any, ...]) -> ResourceState:
        return ResourceState(
            urn=row[0], type=row[1], parent=row[2], custom=bool(row[3]), id=row[4],
            inputs=self._load(row[5], keep_provider_sealed=True),
            outputs=self._load(row[6]),
            dependencies=tuple(json.loads(row[7])), protect=bool(row[8]),
            retain_on_delete=bool(row[9]), delete_before_replace=bool(row[10]),
            dirty=bool(row[11]), seq=row[12],
        )

    def condemned(self) -> list[Condemned]:
        with self._lock:
            rows = self.conn.execute(
                "SELECT cid, urn, type, parent, id, inputs, outputs, dependencies, retain_on_delete"
                " FROM condemned ORDER BY cid"
            ).fetchall()
        return [
            Condemned(row[0], ResourceState(
                urn=row[1], type=row[2], parent=row[3], custom=True, id=row[4],
                inputs=self._load(row[5], keep_provider_sealed=True), outputs=self._load(row[6]),
                dependencies=tuple(json.loads(row[7])), retain_on_delete=bool(row[8]),
            ))
            for row in rows
        ]

    def pending_ops(self) -> list[PendingOp]:
        with self._lock:
            rows = self.conn.execute(
                "SELECT op_id, urn, type, op, resource_id, cid, inputs, outputs, meta, started_at,"
                " pid FROM pending_ops ORDER BY op_id"
            ).fetchall()
        return [
            PendingOp(row[0], row[1], row[2], row[3], row[4], row[5], self._load(row[6]),
                      self._load(row[7]), json.loads(row[8]), row[9], row[10])
            for row in rows
        ]

    def stack_outputs(self) -> Props:
        with self._lock:
            rows = self.conn.execute("SELECT name, value FROM stack_outputs").fetchall()
        return {name: self.crypter.open(json.loads(value)) for name, value in rows}

    def history(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self.conn.execute(
                "SELECT hid, kind, holder, started_at, finished_at, ok, summary, error"
                " FROM history ORDER BY hid"
            ).fetchall()
        keys = ("id", "kind", "holder", "started_at", "finished_at", "ok", "summary", "error")
        return [
            {**dict(zip(keys, row)), "ok": bool(row[5]), "summary": json.loads(row[6])}
            for row in rows
        ]

    # -- writes: each is one transaction ----------------------------------------------
    def _put(self, res: ResourceState) -> Statement:
        # Serialized here, outside the connection lock.
        return (
            ("INSERT OR REPLACE INTO resources(urn, type, parent, custom, id, inputs, outputs,"
             " dependencies, protect, retain_on_delete, delete_before_replace, dirty, seq,"
             " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            (res.urn, res.type, res.parent, int(res.custom), res.id, self._dump(res.inputs),
             self._dump(res.outputs), json.dumps(list(res.dependencies)), int(res.protect),
             int(res.retain_on_delete), int(res.delete_before_replace), int(res.dirty),
             res.seq, time.time()),
        )

    def put(self, res: ResourceState) -> None:
        """Record a resource that needed no provider call (components, metadata changes)."""
        self._write(self._put(res))

    def rekey(self, old_urn: str, res: ResourceState) -> None:
        """Move a resource from `old_urn` to `res.urn` (an alias) in one write."""
        self._write(("DELETE FROM resources WHERE urn = ?", (old_urn,)), self._put(res))

    def begin(
        self, urn: str, type_: str, op: str, *, resource_id: str = "", cid: int | None = None,
        inputs: Props | None = None, outputs: Props | None = None,
        meta: dict[str, Any] | None = None,
    ) -> int:
        """Journal a provider call BEFORE making it; returns the pending-operation id."""
        return self._write((
            ("INSERT INTO pending_ops(urn, type, op, resource_id, cid, inputs, outputs, meta,"
             " started_at, pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            (urn, type_, op, resource_id, cid, self._dump(inputs or {}),
             self._dump(outputs or {}), json.dumps(meta or {}), time.time(), os.getpid()),
        ))

    def finish_create(self, op_id: int, res: ResourceState, *, condemn_old: bool) -> None:
        """The created resource replaces the pending row; an old one at the URN is condemned."""
        statements: list[Statement] = []
        if condemn_old:
            statements.append((
                ("INSERT INTO condemned(urn, type, parent, id, inputs, outputs, dependencies,"
                 " retain_on_delete, created_at) SELECT urn, type, parent, id, inputs, outputs,"
                 " dependencies, retain_on_delete, ? FROM resources WHERE urn = ? AND custom = 1"),
                (time.time(), res.urn),
            ))
        statements.append(self._put(res))
        statements.append(("DELETE FROM pending_ops WHERE op_id = ?", (op_id,)))
        self._write(*statements)

    def finish_update(self, op_id: int, res: ResourceState) -> None:
        self._write(self._put(replace(res, dirty=False)),
                    ("DELETE FROM pending_ops WHERE op_id = ?", (op_id,)))

    def finish_delete(self, op_id: int | None, urn: str, cid: int | None, id_: str) -> None:
        """The deleted resource (or condemned half) leaves state with its pending row."""
        statements: list[Statement] = []
        if cid is not None:
            statements.append(("DELETE FROM condemned WHERE cid = ?", (cid,)))
        else:
            # Matching the id too keeps a replacement that took the URN meanwhile.
            statements.append(("DELETE FROM resources WHERE urn = ? AND id = ?", (urn, id_)))
        if op_id is not None:
            statements.append(("DELETE FROM pending_ops WHERE op_id = ?", (op_id,)))
        self._write(*statements)

    def drop_op(self, op_id: int, *, mark_dirty: str | None = None) -> None:
        statements: list[Statement] = [("DELETE FROM pending_ops WHERE op_id = ?", (op_id,))]
        if mark_dirty is not None:
            statements.append(("UPDATE resources SET dirty = 1 WHERE urn = ?", (mark_dirty,)))
        self._write(*statements)

    def set_stack_outputs(self, outputs: Props) -> None:
        self._write(("DELETE FROM stack_outputs", ()), *[
            ("INSERT INTO stack_outputs(name, value) VALUES (?, ?)", (k, json.dumps(self.crypter.seal(v))))
            for k, v in outputs.items()
        ])

    def record(
        self, kind: str, holder: str, started_at: float, ok: bool,
        summary: dict[str, int], error: str = "",
    ) -> None:
        self._write((
            ("INSERT INTO history(kind, holder, started_at, finished_at, ok, summary, error)"
             " VALUES (?, ?, ?, ?, ?, ?, ?)"),
            (kind, holder, started_at, time.time(), int(ok), json.dumps(summary), error),
        ))
