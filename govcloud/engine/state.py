"""Stack state in a Pulumi DIY backend: a checkpoint, a journal of small entries, history.

Objects of one stack, under the backend's root (Pulumi's layout, project mode):

    .pulumi/meta.yaml                                         version: 1
    .pulumi/stacks/<project>/<stack>.json                     the checkpoint (version-3 deployment)
    .pulumi/history/<project>/<stack>/<stack>-<ns>.history.json     one per run (UpdateInfo)
    .pulumi/history/<project>/<stack>/<stack>-<ns>.checkpoint.json  the checkpoint after it
    .pulumi/locks/organization/<project>/<stack>/<uuid>.json  the lock (engine/lock.py)
    .pulumi/govcloud-journal/<project>/<stack>/manifest.json  the journal of the run under way
    .pulumi/govcloud-journal/<project>/<stack>/entries.jsonl  its entries, a line each (file://)
    .pulumi/govcloud-journal/<project>/<stack>/<n>.json       its entries, an object each (s3://)

Durability per step without rewriting the checkpoint per step (which is quadratic): every
write is one small journal entry, and the checkpoint is rewritten once, when the run ends
(`checkpoint()`), or when the next run finds a journal a killed one left. Entries count only
against the checkpoint they were written on: the manifest records its SHA-256, so entries
left behind after a fold that completed are recognised as stale (the same rule as Pulumi's
own DIY journal). Writes arriving together from the engine's worker threads share one entry
(group commit); each caller still returns only once its own write is stored.

Reads come from memory. A state that cannot be read or parsed is an error naming the object,
never an empty stack.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from govcloud.engine.blobstore import BlobStore, FileBlobStore, StateAccessError, configured_url, open_store
from govcloud.engine.checkpoint import (
    Snapshot,
    StateCorruptError,
    from_deployment,
    resource_from_json,
    resource_json,
    to_deployment,
)
from govcloud.engine.errors import EngineError
from govcloud.engine.lock import StackLock
from govcloud.engine.properties import PROVIDER_KEY, Props
from govcloud.engine.records import Condemned, PendingOp, ResourceState
from govcloud.engine.secrets import Crypter

__all__ = ["Condemned", "PendingOp", "ResourceState", "StateCorruptError", "StateStore"]

DEFAULT_PROJECT = "govcloud"
HISTORY_SUFFIX = ".history.json"
CHECKPOINT_SUFFIX = ".checkpoint.json"

Op = dict[str, Any]
# A journal write to a remote backend waits until this many steps share it (or its window ends).
BATCH_TARGET = 16


@dataclass
class _Write:
    """One caller's journal ops, stored atomically (possibly with other callers')."""

    ops: list[Op]
    done: bool = False
    taken: bool = False  # a flush has it in a batch (possibly still being stored)
    error: BaseException | None = None
    stored: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    kind: str
    result: str
    start: int
    end: int
    changes: dict[str, int]
    message: str
    key: str

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "kind": self.kind, "result": self.result,
                "startTime": self.start, "endTime": self.end, "resourceChanges": self.changes,
                "message": self.message}


def _hash(data: bytes | None) -> str:
    return hashlib.sha256(data).hexdigest() if data else ""


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


@dataclass
class StateStore:
    """The state of one stack in a backend. Thread-safe: memory and journal behind a lock.

    `StateStore(path)` with a path like `…/state/dev.db` keeps the stack `dev` in a
    `file://` backend at `…/state` (the shape tests and old callers use).
    """

    location: BlobStore | str | Path
    project: str = DEFAULT_PROJECT
    stack: str = ""
    # govcloud 0.1's SQLite file of this stack, migrated on first unlock if present.
    legacy_path: Path | None = None
    blobs: BlobStore = field(init=False)
    _snap: Snapshot = field(default_factory=Snapshot, init=False, repr=False)
    _opened: dict[str, ResourceState] = field(default_factory=dict, init=False, repr=False)
    _loaded: bool = field(default=False, init=False, repr=False)
    _base_hash: str = field(default="", init=False, repr=False)
    _journal_live: bool = field(default=False, init=False, repr=False)
    _stale: list[str] = field(default_factory=list, init=False, repr=False)
    _next_entry: int = field(default=1, init=False, repr=False)
    _version: int = field(default=0, init=False, repr=False)
    _writes: int = field(default=0, init=False, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)
    _queue: list[_Write] = field(default_factory=list, init=False, repr=False)
    _queue_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _queue_ready: threading.Condition = field(init=False, repr=False)
    _crypter: Crypter | None = field(default=None, init=False, repr=False)
    _unlocked_with: str = field(default="", init=False, repr=False)
    _ids: dict[str, int] = field(default_factory=lambda: {"op": 0, "cid": 0}, init=False, repr=False)
    _broken: BaseException | None = field(default=None, init=False, repr=False)
    _in_flight: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        self._queue_ready = threading.Condition(self._queue_lock)
        if isinstance(self.location, BlobStore):
            self.blobs = self.location
            if not self.stack:
                raise ValueError("a StateStore over a backend needs its stack name")
        else:
            path = Path(self.location)
            self.blobs = FileBlobStore(path.parent if path.suffix == ".db" else path)
            self.stack = self.stack or path.stem

    @classmethod
    def for_stack(cls, project_dir: str | Path, stack: str, *, project: str = DEFAULT_PROJECT,
                  url: str | None = None) -> StateStore:
        """The stack's state in the project's backend (Pulumi's rules for finding its URL)."""
        root = Path(project_dir)
        store = open_store(url or configured_url(root), root)
        return cls(store, project=project, stack=stack,
                   legacy_path=root / ".govcloud" / "state" / f"{stack}.db")

    # -- keys ------------------------------------------------------------------------------
    @property
    def checkpoint_key(self) -> str:
        return f".pulumi/stacks/{self.project}/{self.stack}.json"

    @property
    def history_prefix(self) -> str:
        return f".pulumi/history/{self.project}/{self.stack}/"

    @property
    def journal_prefix(self) -> str:
        return f".pulumi/govcloud-journal/{self.project}/{self.stack}/"

    @property
    def path(self) -> str:
        """Where the checkpoint is, for messages."""
        return self.blobs.where(self.checkpoint_key)

    def sibling(self, stack: str) -> StateStore:
        """Another stack's state in this backend, opened, and unlocked with this one's passphrase
        if it has a checkpoint (a StackReference reads its outputs)."""
        other = StateStore(self.blobs, project=self.project, stack=stack).open()
        if self._unlocked_with and other.exists():
            other.unlock(self._unlocked_with)
        return other

    def exists(self) -> bool:
        """Whether the stack has a checkpoint (or a journal a run left) in the backend."""
        self._need_loaded()
        return bool(self._base_hash) or self._journal_live

    def lock(self, command: str, *, wait: float = 0.0, warn: Callable[[str], None] | None = None) -> StackLock:
        return StackLock(self.blobs, self.project, self.stack, command, wait=wait, warn=warn)

    # -- loading ---------------------------------------------------------------------------
    def open(self) -> StateStore:
        """(Re)load the checkpoint and any journal a killed run left; idempotent per run."""
        with self._lock:
            if self._queue:
                raise EngineError("state reloaded while writes are pending")
            self._load()
        return self

    def close(self) -> None:
        """Nothing to release; kept for callers written for file handles."""

    def _load(self) -> None:
        self._ensure_meta()
        raw = self.blobs.read(self.checkpoint_key)
        where = self.blobs.where(self.checkpoint_key)
        history = [k for k in self.blobs.keys(self.history_prefix) if k.endswith(HISTORY_SUFFIX)]
        if raw is None:
            snap = Snapshot()
        else:
            try:
                doc = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise StateCorruptError(where, f"not JSON ({exc})") from None
            snap = from_deployment(doc, where)
        manifest_raw = self.blobs.read(self.journal_prefix + "manifest.json")
        entries = [k for k in self.blobs.keys(self.journal_prefix) if not k.endswith("manifest.json")]
        live = False
        if manifest_raw is not None:
            try:
                manifest = json.loads(manifest_raw.decode("utf-8"))
                live = isinstance(manifest, dict) and manifest.get("base") == _hash(raw)
            except (UnicodeDecodeError, ValueError):
                live = False  # a torn manifest was never followed by an entry
        if raw is None and history and not live:
            raise StateAccessError(
                f"{where}: the stack's state is missing, but its history has {len(history)} run(s)",
                hint="nothing was changed; restore the last version with `govcloud state history`"
                     " and `govcloud state import`, or look for the file the backend lost")
        self._snap = snap
        self._opened = {}
        self._stale = [] if live else entries + ([self.journal_prefix + "manifest.json"] if manifest_raw else [])
        self._journal_live = live
        self._base_hash = _hash(raw)
        self._next_entry = 1
        if live:
            for key in entries:
                self._replay(key)
            numbers = [int(k.rsplit("/", 1)[1].split(".")[0]) for k in entries if k.rsplit("/", 1)[1][:1].isdigit()]
            self._next_entry = max(numbers, default=0) + 1
        self._ids = {"op": snap.next_op() - 1, "cid": snap.next_cid() - 1}
        self._version = len(history)
        self._loaded = True

    def _ensure_meta(self) -> None:
        meta = self.blobs.read(".pulumi/meta.yaml")
        if meta is not None and b"version: 1" not in meta:
            raise StateAccessError(
                f"{self.blobs.where('.pulumi/meta.yaml')}: the backend uses a state layout govcloud"
                " does not read (it reads project mode, version 1)",
                hint="upgrade it with `pulumi state upgrade`")

    def _replay(self, key: str) -> None:
        raw = self.blobs.read(key) or b""
        where = self.blobs.where(key)
        lines = raw.split(b"\n") if key.endswith(".jsonl") else [raw]
        if key.endswith(".jsonl") and lines and lines[-1] == b"":
            lines.pop()
        for number, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line.decode("utf-8"))
                ops = entry["ops"]
                if not isinstance(ops, list):
                    raise ValueError("'ops' is not a list")
            except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
                if number == len(lines) and not raw.endswith(b"\n"):
                    break  # a last line torn by a power cut: its step was never acknowledged
                raise StateCorruptError(f"{where}:{number}", f"a journal entry cannot be read ({exc})") from None
            for op in ops:
                self._apply(op, where)

    @property
    def loaded(self) -> bool:
        return self._loaded

    def _need_loaded(self) -> None:
        if not self._loaded:
            self.open()

    # -- secrets ---------------------------------------------------------------------------
    def unlock(self, passphrase: str) -> Crypter:
        """The stack's crypter (Pulumi's passphrase provider); created with the stack."""
        self._need_loaded()
        if self._crypter is not None and self._unlocked_with == passphrase:
            return self._crypter
        if self._snap.secrets_state is None and not self._snap.resources and self._legacy_file():
            from govcloud.engine.legacy import migrate

            migrate(self, passphrase)
        if self._snap.secrets_state is None:
            crypter = Crypter.new(passphrase)
            self._snap.secrets_state = crypter.provider_state()
        else:
            crypter = Crypter.from_provider_state(passphrase, self._snap.secrets_state, self.path)
        self._crypter, self._unlocked_with = crypter, passphrase
        self._opened = {}
        return crypter

    def _legacy_file(self) -> Path | None:
        path = self.legacy_path
        return path if path is not None and path.is_file() else None

    @property
    def legacy_pending(self) -> Path | None:
        """An old-format state file of this stack that has not been migrated yet."""
        return self._legacy_file() if not self._snap.resources and self._snap.secrets_state is None else None

    @property
    def crypter(self) -> Crypter:
        if self._crypter is None:
            raise EngineError("state is locked: unlock() it with the stack passphrase first")
        return self._crypter

    def _open_props(self, props: Props, *, keep_provider_sealed: bool) -> Props:
        if keep_provider_sealed and PROVIDER_KEY in props:
            rest = {k: v for k, v in props.items() if k != PROVIDER_KEY}
            opened: Props = dict(self.crypter.open(rest))
            opened[PROVIDER_KEY] = props[PROVIDER_KEY]
            return opened
        result: Props = self.crypter.open(props)
        return result

    def _opened_resource(self, res: ResourceState) -> ResourceState:
        return replace(res, inputs=self._open_props(res.inputs, keep_provider_sealed=True),
                       outputs=self._open_props(res.outputs, keep_provider_sealed=False))

    def _seal(self, res: ResourceState) -> ResourceState:
        return replace(res, inputs=self.crypter.seal(res.inputs), outputs=self.crypter.seal(res.outputs))

    def open_value(self, value: Any) -> Any:
        return self.crypter.open(value)

    def scratch(self) -> StateStore:
        """An in-memory copy of this state (unlocked alike) that writes nowhere."""
        from govcloud.engine.blobstore import MemoryBlobStore

        self._need_loaded()
        with self._queue_lock:
            copy = StateStore(MemoryBlobStore(), project=self.project, stack=self.stack)
            copy._snap = Snapshot(dict(self._snap.resources), dict(self._snap.condemned),
                                  dict(self._snap.pending), dict(self._snap.outputs),
                                  self._snap.secrets_state)
            copy._loaded, copy._crypter, copy._unlocked_with = True, self._crypter, self._unlocked_with
            copy._ids = dict(self._ids)
            return copy

    # -- reads -----------------------------------------------------------------------------
    @property
    def version(self) -> int:
        """How many runs the history records (Pulumi's update version), plus a live journal's."""
        return self._version + (1 if self._journal_live else 0)

    def resources(self) -> dict[str, ResourceState]:
        self._need_loaded()
        with self._queue_lock:
            out: dict[str, ResourceState] = {}
            for urn, res in self._snap.resources.items():
                opened = self._opened.get(urn)
                if opened is None:
                    opened = self._opened[urn] = self._opened_resource(res)
                out[urn] = opened
            return out

    def sealed_resources(self) -> list[ResourceState]:
        """Resources as stored (secrets sealed): for listing without the passphrase."""
        self._need_loaded()
        with self._queue_lock:
            return list(self._snap.resources.values())

    def condemned(self) -> list[Condemned]:
        self._need_loaded()
        with self._queue_lock:
            return [Condemned(cid, self._opened_resource(res)) for cid, res in sorted(self._snap.condemned.items())]

    def pending_ops(self) -> list[PendingOp]:
        self._need_loaded()
        with self._queue_lock:
            return [replace(op, inputs=self.crypter.open(op.inputs), outputs=self.crypter.open(op.outputs))
                    for _, op in sorted(self._snap.pending.items())]

    def pending_count(self) -> int:
        self._need_loaded()
        return len(self._snap.pending)

    def stack_outputs(self) -> Props:
        self._need_loaded()
        with self._queue_lock:
            result: Props = self.crypter.open(self._snap.outputs)
            return result

    def sealed_outputs(self) -> Props:
        self._need_loaded()
        return dict(self._snap.outputs)

    def deployment(self) -> dict[str, Any]:
        """The state as a Pulumi deployment (checkpoint plus the live journal), sealed."""
        self._need_loaded()
        with self._queue_lock:
            return to_deployment(self._snap)

    # -- applying journal ops to memory ------------------------------------------------------
    def _apply(self, op: Op, where: str = "") -> None:
        snap = self._snap
        kind = op["op"]
        if kind == "put":
            res, _ = resource_from_json(op["resource"], where, "journal put")
            old = snap.resources.get(res.urn)
            snap.resources[res.urn] = replace(res, seq=op.get("seq", res.seq) or (old.seq if old else 0))
            self._opened.pop(res.urn, None)
        elif kind == "rekey":
            snap.resources.pop(op["from"], None)
            self._opened.pop(op["from"], None)
            res, _ = resource_from_json(op["resource"], where, "journal rekey")
            snap.resources[res.urn] = res
            self._opened.pop(res.urn, None)
        elif kind == "delete":
            found = snap.resources.get(op["urn"])
            if found is not None and found.id == op["id"]:
                del snap.resources[op["urn"]]
                self._opened.pop(op["urn"], None)
        elif kind == "remove":
            snap.resources.pop(op["urn"], None)
            self._opened.pop(op["urn"], None)
        elif kind == "condemn":
            found = snap.resources.get(op["urn"])
            if found is not None and found.custom:
                snap.condemned[int(op["cid"])] = found
        elif kind == "uncondemn":
            snap.condemned.pop(int(op["cid"]), None)
        elif kind == "begin":
            p = op["pending"]
            snap.pending[int(p["opId"])] = PendingOp(
                int(p["opId"]), p["urn"], p["type"], p["op"], p["resourceId"], p.get("cid"),
                p["inputs"], p["outputs"], p["meta"], float(p["startedAt"]), int(p["pid"]))
        elif kind == "end":
            snap.pending.pop(int(op["opId"]), None)
        elif kind == "dirty":
            found = snap.resources.get(op["urn"])
            if found is not None:
                snap.resources[op["urn"]] = replace(found, dirty=True)
                self._opened.pop(op["urn"], None)
        elif kind == "outputs":
            snap.outputs = op["outputs"]
        elif kind == "secrets":
            snap.secrets_state = op["state"]
        elif kind == "replace-all":
            fresh = from_deployment(op["deployment"], where)
            self._snap, self._opened = fresh, {}
        else:
            raise ValueError(f"unknown journal op {kind!r}")

    # -- writing -----------------------------------------------------------------------------
    def _write(self, *ops: Op, wait: bool = True) -> None:
        """Apply `ops` to memory and journal them; with `wait`, return once they are stored.

        Memory follows at once, in journal order. A write that must be durable before the
        run goes on (the start of a provider call) waits; the records of finished steps do
        not: they ride along with the next waiting write (group commit) or the final fold.
        A kill before they are stored loses nothing: the journaled start of each call lets
        recovery find what it did. Flat combining: whoever gets the flush lock stores
        everything queued by then as one entry.
        """
        self._need_loaded()
        if self._broken is not None:
            raise self._broken
        item = _Write(list(ops))
        with self._queue_ready:
            for op in item.ops:
                self._apply(op)
            self._queue.append(item)
            self._queue_ready.notify_all()
        if wait:
            self._flush(item)

    def flush(self) -> None:
        """Store every write queued so far."""
        self._flush()

    def _flush(self, item: _Write | None = None) -> None:
        """Store what is queued (up to `item`, or everything); returns once `item` is stored.

        A file journal is appended by one writer at a time. An object store takes one object
        per entry, numbered when its batch is taken, so several entries are written at once
        (as Pulumi's DIY journal does): replay sorts them, and an entry can only be missing if
        nobody was told it was stored.
        """
        if self.blobs.appendable:
            with self._lock:
                if item is None or not item.taken:
                    with self._queue_ready:
                        batch, self._queue = self._queue, []
                        for queued in batch:
                            queued.taken = True
                    if batch:
                        self._commit(batch, None)
        else:
            with self._queue_ready:
                if item is not None and not item.taken and self.blobs.batch_window:
                    # Let concurrent steps join this entry: one round trip for several.
                    self._queue_ready.wait_for(lambda: item.taken or len(self._queue) >= BATCH_TARGET,
                                               timeout=self.blobs.batch_window)
                if item is not None and item.taken:
                    batch = []  # another flush stores it: wait for that one below
                else:
                    batch, self._queue = self._queue, []
                    for queued in batch:
                        queued.taken = True
                    self._queue_ready.notify_all()
                    number = self._next_entry
                    self._next_entry += 1 if batch else 0
                    self._in_flight += 1 if batch else 0
            if batch:
                try:
                    self._commit(batch, number)
                finally:
                    with self._queue_ready:
                        self._in_flight -= 1
                        self._queue_ready.notify_all()
        if item is not None:
            item.stored.wait()
            if item.error is not None:
                raise item.error

    def _settled(self) -> None:
        """Every queued write stored, none in flight (before a fold)."""
        self._flush()
        with self._queue_ready:
            self._queue_ready.wait_for(lambda: self._in_flight == 0)
        if self._broken is not None:
            raise self._broken

    def _commit(self, batch: list[_Write], number: int | None) -> None:
        try:
            ops = [op for item in batch for op in item.ops]
            with self._lock:
                first = self._start_journal()
            if first and self._snap.secrets_state is not None:
                ops.insert(0, {"op": "secrets", "state": self._snap.secrets_state})
            self._store_entry(ops, number)
            self._writes += len(batch)
        except BaseException as exc:
            # Memory is ahead of the journal now: every later write fails with this error.
            self._broken = exc
            for item in batch:
                item.error = exc
            raise
        finally:
            for item in batch:
                item.done = True
                item.stored.set()

    def _start_journal(self) -> bool:
        """Write the manifest of a new journal (once); True for the writer that did."""
        if self._journal_live:
            return False
        self._clear_stale()
        manifest = {"base": self._base_hash, "created": time.time(), "pid": os.getpid(),
                    "stack": self.stack, "project": self.project}
        self.blobs.write(self.journal_prefix + "manifest.json", _dumps(manifest))
        self._journal_live = True
        return True

    def _store_entry(self, ops: list[Op], number: int | None) -> None:
        if self.blobs.appendable:
            # One line per entry in one file: no file creation or fsync per step.
            self.blobs.append(self.journal_prefix + "entries.jsonl", _dumps({"ops": ops}) + b"\n")
        else:
            self.blobs.write(f"{self.journal_prefix}{number:010d}.json", _dumps({"ops": ops}))

    def _clear_stale(self) -> None:
        self.blobs.delete_many(self._stale)
        self._stale = []

    def _res_op(self, kind: str, res: ResourceState, **extra: Any) -> Op:
        sealed = self._seal(res)
        return {"op": kind, "resource": resource_json(sealed), "seq": res.seq, **extra}

    def put(self, res: ResourceState) -> None:
        """Record a resource that needed no provider call (components, metadata changes)."""
        self._write(self._res_op("put", res), wait=False)

    def rekey(self, old_urn: str, res: ResourceState) -> None:
        """Move a resource from `old_urn` to `res.urn` (an alias) in one write."""
        self._write(self._res_op("rekey", res, **{"from": old_urn}))

    def remove(self, urn: str) -> None:
        """Forget a resource whatever its id (`state rm`)."""
        self._write({"op": "remove", "urn": urn})

    def begin(
        self, urn: str, type_: str, op: str, *, resource_id: str = "", cid: int | None = None,
        inputs: Props | None = None, outputs: Props | None = None,
        meta: dict[str, Any] | None = None,
    ) -> int:
        """Journal a provider call BEFORE making it; returns the pending-operation id."""
        with self._queue_lock:
            self._ids["op"] += 1
            op_id = self._ids["op"]
        self._write({"op": "begin", "pending": {
            "opId": op_id, "urn": urn, "type": type_, "op": op, "resourceId": resource_id, "cid": cid,
            "inputs": self.crypter.seal(inputs or {}), "outputs": self.crypter.seal(outputs or {}),
            "meta": meta or {}, "startedAt": time.time(), "pid": os.getpid()}})
        return op_id

    def finish_create(self, op_id: int, res: ResourceState, *, condemn_old: bool) -> None:
        """The created resource replaces the pending op; an old one at the URN is condemned."""
        ops: list[Op] = []
        if condemn_old:
            with self._queue_lock:
                self._ids["cid"] += 1
                cid = self._ids["cid"]
            ops.append({"op": "condemn", "urn": res.urn, "cid": cid})
        ops.append(self._res_op("put", res))
        ops.append({"op": "end", "opId": op_id})
        self._write(*ops, wait=False)

    def finish_update(self, op_id: int, res: ResourceState) -> None:
        self._write(self._res_op("put", replace(res, dirty=False)), {"op": "end", "opId": op_id}, wait=False)

    def finish_delete(self, op_id: int | None, urn: str, cid: int | None, id_: str) -> None:
        """The deleted resource (or condemned half) leaves state with its pending op."""
        ops: list[Op] = []
        if cid is not None:
            ops.append({"op": "uncondemn", "cid": cid})
        else:
            # Matching the id too keeps a replacement that took the URN meanwhile.
            ops.append({"op": "delete", "urn": urn, "id": id_})
        if op_id is not None:
            ops.append({"op": "end", "opId": op_id})
        self._write(*ops, wait=False)

    def drop_op(self, op_id: int, *, mark_dirty: str | None = None) -> None:
        ops: list[Op] = [{"op": "end", "opId": op_id}]
        if mark_dirty is not None:
            ops.append({"op": "dirty", "urn": mark_dirty})
        self._write(*ops, wait=False)

    def set_stack_outputs(self, outputs: Props) -> None:
        self._write({"op": "outputs", "outputs": self.crypter.seal(outputs)})

    def replace_all(self, deployment: dict[str, Any]) -> None:
        """Make `deployment` (a sealed Pulumi deployment) the whole state (`state import`)."""
        from_deployment(deployment, "the imported deployment")  # refuse before writing
        self._write({"op": "replace-all", "deployment": deployment})

    # -- folding and history -----------------------------------------------------------------
    def checkpoint(self) -> bool:
        """Fold the journal into the checkpoint; True if anything was written."""
        self._settled()
        with self._lock:
            if not self._journal_live:
                return False
            with self._queue_lock:
                deployment = to_deployment(self._snap)
            data = json.dumps(deployment, ensure_ascii=False, indent=4, allow_nan=False).encode("utf-8")
            if self.blobs.read(".pulumi/meta.yaml") is None:
                self.blobs.write(".pulumi/meta.yaml", b"version: 1\n")
            self.blobs.write(self.checkpoint_key, data)
            self._drop_journal()
            self._base_hash = _hash(data)
            return True

    def _drop_journal(self) -> None:
        # Entries first: leftovers without their manifest are stale by construction.
        self.blobs.delete_many([k for k in self.blobs.keys(self.journal_prefix) if not k.endswith("manifest.json")])
        self.blobs.delete(self.journal_prefix + "manifest.json")
        self._journal_live = False
        self._next_entry = 1

    def record(
        self, kind: str, holder: str, started_at: float, ok: bool,
        summary: dict[str, int], error: str = "",
    ) -> None:
        """Fold the run into the checkpoint and add it to the stack's history."""
        self._settled()  # outside the lock: in-flight entries take it to start the journal
        with self._lock:
            changed = self.checkpoint() or kind != "preview"
            if not changed:
                return
            checkpoint = self.blobs.read(self.checkpoint_key)
            ns = time.time_ns()
            base = f"{self.history_prefix}{self.stack}-{ns}"
            if checkpoint is not None:
                self.blobs.write(base + CHECKPOINT_SUFFIX, checkpoint)
            self._version += 1
            info = {
                "kind": {"up": "update"}.get(kind, kind), "startTime": int(started_at),
                "endTime": int(time.time()), "message": error, "environment": {"govcloud.holder": holder},
                "config": {}, "result": "succeeded" if ok else "failed", "version": self._version,
                "resourceChanges": summary,
            }
            self.blobs.write(base + HISTORY_SUFFIX, _dumps(info))

    def history(self) -> list[HistoryEntry]:
        entries: list[HistoryEntry] = []
        for key in self.blobs.keys(self.history_prefix):
            if not key.endswith(HISTORY_SUFFIX):
                continue
            raw = self.blobs.read(key) or b""
            try:
                info = json.loads(raw.decode("utf-8"))
                entries.append(HistoryEntry(
                    int(info.get("version", 0)), str(info.get("kind", "")), str(info.get("result", "")),
                    int(info.get("startTime", 0)), int(info.get("endTime", 0)),
                    dict(info.get("resourceChanges") or {}), str(info.get("message", "")),
                    key[: -len(HISTORY_SUFFIX)] + CHECKPOINT_SUFFIX))
            except (UnicodeDecodeError, ValueError, TypeError, AttributeError):
                raise StateCorruptError(self.blobs.where(key), "a history entry cannot be read") from None
        return sorted(entries, key=lambda e: (e.version, e.key))

    def history_deployment(self, version: int) -> dict[str, Any]:
        for entry in self.history():
            if entry.version == version:
                raw = self.blobs.read(entry.key)
                if raw is None:
                    raise StateAccessError(f"{self.blobs.where(entry.key)}: the checkpoint of version"
                                           f" {version} is missing")
                doc: dict[str, Any] = json.loads(raw.decode("utf-8"))
                from_deployment(doc, self.blobs.where(entry.key))
                return doc
        raise StateAccessError(f"stack '{self.stack}' has no version {version}",
                               hint="list them with `govcloud state history`")
