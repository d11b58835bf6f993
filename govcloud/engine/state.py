"""Stack state in SQLite: one WAL-mode file per stack, one transaction per step.

Every completed step is committed as it happens, so a kill at any moment loses at most
the step in flight, and that one is covered by its pending-operation row (journal.py).
Secret values are sealed by a Crypter before they reach the file.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


@dataclass
class StateStore:
    """The state file of one stack. Thread-safe: one connection behind a lock."""

    path: Path
    _conn: sqlite3.Connection | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
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

    @contextmanager
    def _txn(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'"
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
            with self._txn() as conn:
                conn.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('salt', ?), ('check', ?)",
                    (salt.hex(), crypter.check_token()),
                )
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
    def _put(self, conn: sqlite3.Connection, res: ResourceState) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO resources(urn, type, parent, custom, id, inputs, outputs,"
            " dependencies, protect, retain_on_delete, delete_before_replace, dirty, seq,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (res.urn, res.type, res.parent, int(res.custom), res.id, self._dump(res.inputs),
             self._dump(res.outputs), json.dumps(list(res.dependencies)), int(res.protect),
             int(res.retain_on_delete), int(res.delete_before_replace), int(res.dirty),
             res.seq, time.time()),
        )

    def put(self, res: ResourceState) -> None:
        """Record a resource that needed no provider call (components, metadata changes)."""
        with self._txn() as conn:
            self._put(conn, res)

    def begin(
        self, urn: str, type_: str, op: str, *, resource_id: str = "", cid: int | None = None,
        inputs: Props | None = None, outputs: Props | None = None,
        meta: dict[str, Any] | None = None,
    ) -> int:
        """Journal a provider call BEFORE making it; returns the pending-operation id."""
        with self._txn() as conn:
            cur = conn.execute(
                "INSERT INTO pending_ops(urn, type, op, resource_id, cid, inputs, outputs, meta,"
                " started_at, pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (urn, type_, op, resource_id, cid, self._dump(inputs or {}),
                 self._dump(outputs or {}), json.dumps(meta or {}), time.time(), os.getpid()),
            )
            return int(cur.lastrowid or 0)

    def finish_create(self, op_id: int, res: ResourceState, *, condemn_old: bool) -> None:
        """The created resource replaces the pending row; an old one at the URN is condemned."""
        with self._txn() as conn:
            if condemn_old:
                conn.execute(
                    "INSERT INTO condemned(urn, type, parent, id, inputs, outputs, dependencies,"
                    " retain_on_delete, created_at) SELECT urn, type, parent, id, inputs, outputs,"
                    " dependencies, retain_on_delete, ? FROM resources WHERE urn = ? AND custom = 1",
                    (time.time(), res.urn),
                )
            self._put(conn, res)
            conn.execute("DELETE FROM pending_ops WHERE op_id = ?", (op_id,))

    def finish_update(self, op_id: int, res: ResourceState) -> None:
        with self._txn() as conn:
            self._put(conn, replace(res, dirty=False))
            conn.execute("DELETE FROM pending_ops WHERE op_id = ?", (op_id,))

    def finish_delete(self, op_id: int | None, urn: str, cid: int | None, id_: str) -> None:
        """The deleted resource (or condemned half) leaves state with its pending row."""
        with self._txn() as conn:
            if cid is not None:
                conn.execute("DELETE FROM condemned WHERE cid = ?", (cid,))
            else:
                # Matching the id too keeps a replacement that took the URN meanwhile.
                conn.execute("DELETE FROM resources WHERE urn = ? AND id = ?", (urn, id_))
            if op_id is not None:
                conn.execute("DELETE FROM pending_ops WHERE op_id = ?", (op_id,))

    def drop_op(self, op_id: int, *, mark_dirty: str | None = None) -> None:
        with self._txn() as conn:
            conn.execute("DELETE FROM pending_ops WHERE op_id = ?", (op_id,))
            if mark_dirty is not None:
                conn.execute("UPDATE resources SET dirty = 1 WHERE urn = ?", (mark_dirty,))

    def set_stack_outputs(self, outputs: Props) -> None:
        with self._txn() as conn:
            conn.execute("DELETE FROM stack_outputs")
            conn.executemany(
                "INSERT INTO stack_outputs(name, value) VALUES (?, ?)",
                [(k, json.dumps(self.crypter.seal(v))) for k, v in outputs.items()],
            )

    def record(
        self, kind: str, holder: str, started_at: float, ok: bool,
        summary: dict[str, int], error: str = "",
    ) -> None:
        with self._txn() as conn:
            conn.execute(
                "INSERT INTO history(kind, holder, started_at, finished_at, ok, summary, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kind, holder, started_at, time.time(), int(ok), json.dumps(summary), error),
            )
