"""A fake cloud in a SQLite file: objects, plus a log of every write a provider made."""
from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (id TEXT PRIMARY KEY, kind TEXT, name TEXT, props TEXT);
CREATE TABLE IF NOT EXISTS writes (seq INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT, kind TEXT,
                                   name TEXT, id TEXT, at REAL);
"""


class Cloud:
    _ready: ClassVar[set[str]] = set()
    _ready_lock = threading.Lock()

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)

    def _prepare(self) -> None:
        # Once per file and process, under a lock: switching a new file to WAL does not wait
        # on the busy handler, so concurrent first connections failed with "database is locked".
        with Cloud._ready_lock:
            if self.path in Cloud._ready:
                return
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA)
            finally:
                conn.close()
            Cloud._ready.add(self.path)

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        self._prepare()
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()

    def _log(self, conn: sqlite3.Connection, op: str, kind: str, name: str, id_: str) -> None:
        conn.execute("INSERT INTO writes(op, kind, name, id, at) VALUES (?, ?, ?, ?, ?)",
                     (op, kind, name, id_, time.time()))

    def create(self, kind: str, name: str, props: dict[str, Any]) -> str:
        id_ = f"{kind}-{uuid.uuid4().hex[:10]}"
        with self._conn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO objects VALUES (?, ?, ?, ?)", (id_, kind, name, json.dumps(props)))
            self._log(conn, "create", kind, name, id_)
            conn.execute("COMMIT")
        return id_

    def update(self, id_: str, props: dict[str, Any]) -> None:
        with self._conn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("SELECT kind, name FROM objects WHERE id = ?", (id_,)).fetchone()
            if row is None:
                conn.execute("ROLLBACK")
                raise KeyError(f"no such object {id_}")
            conn.execute("UPDATE objects SET props = ?, name = ? WHERE id = ?",
                         (json.dumps(props), props.get("name", row[1]), id_))
            self._log(conn, "update", row[0], row[1], id_)
            conn.execute("COMMIT")

    def delete(self, id_: str) -> None:
        with self._conn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("SELECT kind, name FROM objects WHERE id = ?", (id_,)).fetchone()
            conn.execute("DELETE FROM objects WHERE id = ?", (id_,))
            if row is not None:
                self._log(conn, "delete", row[0], row[1], id_)
            conn.execute("COMMIT")

    def get(self, id_: str) -> dict[str, Any] | None:
        with self._conn() as conn:
            row = conn.execute("SELECT props FROM objects WHERE id = ?", (id_,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def find(self, kind: str, name: str) -> list[tuple[str, dict[str, Any]]]:
        with self._conn() as conn:
            rows = conn.execute("SELECT id, props FROM objects WHERE kind = ? AND name = ?",
                                (kind, name)).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def objects(self) -> list[tuple[str, str, str]]:
        """(id, kind, name) of everything that exists."""
        with self._conn() as conn:
            return [tuple(r) for r in conn.execute("SELECT id, kind, name FROM objects ORDER BY name")]

    def writes(self, op: str | None = None) -> list[tuple[str, str, str, str]]:
        with self._conn() as conn:
            rows = conn.execute("SELECT op, kind, name, id FROM writes ORDER BY seq").fetchall()
        return [tuple(r) for r in rows if op is None or r[0] == op]

    def tamper(self, id_: str, **changes: Any) -> None:
        """Change an object behind the engine's back (drift)."""
        with self._conn() as conn:
            props = json.loads(conn.execute("SELECT props FROM objects WHERE id = ?", (id_,)).fetchone()[0])
            props.update(changes)
            conn.execute("UPDATE objects SET props = ? WHERE id = ?", (json.dumps(props), id_))

    def vanish(self, id_: str) -> None:
        with self._conn() as conn:
            conn.execute("DELETE FROM objects WHERE id = ?", (id_,))
