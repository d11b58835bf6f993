"""A content-addressed cache of parsed and schema-checked blueprint files (`.govcloud/cache/`).

An entry's name is the SHA-256 of everything its content depends on: the file's bytes and
the name it is shown under, govcloud's version and the source of the code and schemas that
read it. A changed file, schema or govcloud therefore never finds a stale entry; it finds
none. Entries are written to a temporary file and renamed into place, so concurrent runs see
a whole entry or none; each carries the SHA-256 of its payload, and one that does not match
(a torn disk, a hand edit) is ignored and rewritten, never trusted.

An entry's modification time is when a run last used it (reading one touches it), so
`prune` can drop what the last runs did not use: entries unused for PRUNE_AGE_DAYS, and the
least recently used ones beyond PRUNE_CAP_BYTES; never one the current run used. A run
prunes at most once every PRUNE_EVERY seconds, so a re-check does not list the folder.
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import marshal
import os
import sys
import time
import weakref
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import govcloud
from govcloud.load.build import build_department
from govcloud.load.consistency import own_problems
from govcloud.load.lazy import lazy_departments, recorded
from govcloud.load.located import LoadedFile, LoadError, decode, parse, read_bytes
from govcloud.load.marks import packed_table, views
from govcloud.model import REGISTER_KINDS, Department, Document, Finding, Location, Severity
from govcloud.schema import validate_document

CACHE_DIR = Path(".govcloud") / "cache"
PRUNE_AGE_DAYS = 14                  # an entry no run used for this long is removed
PRUNE_CAP_BYTES = 1024 * 1024 * 1024  # beyond this, the least recently used entries go first
PRUNE_EVERY = 3600                   # seconds between two prunes of one cache
_STAMP = "pruned"                    # its mtime: the last prune
_TMP_AGE = 3600                      # a temporary file this old is a crashed writer's
MAGIC = b"GCCACHE1"
_DIGEST = 32
Verdicts = list[tuple[str | None, list[Finding]]]
Parsed = tuple[LoadedFile, Verdicts]
Own = tuple[list[Finding], list[Finding]]  # consistency.own_problems of a department document

# The digest of the file each cached or freshly read document came from (for result caches).
_digests: weakref.WeakKeyDictionary[Document, str] = weakref.WeakKeyDictionary()
# A department document's own consistency problems, kept in its file's entry (a re-check does
# not judge an unchanged file again), and the department built while storing a file (taken once).
_own: weakref.WeakKeyDictionary[Document, Own] = weakref.WeakKeyDictionary()
_built: weakref.WeakKeyDictionary[Document, Department] = weakref.WeakKeyDictionary()


def own_problems_of(doc: Document) -> Own | None:
    """`own_problems` of the department `doc` describes, when its file's cache entry holds them."""
    return _own.get(doc)


def built_department(doc: Document) -> Department | None:
    """The department built from `doc` while its file was stored, handed over once."""
    return _built.pop(doc, None)


def _is_department(kind: str | None, errors: list[Finding]) -> bool:
    """What the loader builds a Department from: a valid document neither the City nor a register."""
    return not errors and kind != "City" and kind not in REGISTER_KINDS


def content_digest(doc: Document) -> str | None:
    """The cache key of the file `doc` was read from, when it was read through a cache."""
    return _digests.get(doc)


@cache
def code_digest(*packages: str) -> str:
    """SHA-256 of govcloud's version, Python's (marshal's format is Python's) and the source
    and data files of `packages`."""
    h = hashlib.sha256(f"{govcloud.__version__}\0{sys.version}".encode())
    base = Path(govcloud.__file__).resolve().parent
    for package in packages:
        folder = base / package
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".py", ".json", ".yaml") and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


_written = itertools.count()


def _temporary(folder: Path) -> tuple[int, str]:
    """A new file of its own in `folder` (what tempfile.mkstemp makes, without importing tempfile
    and its random generator: a twentieth of a re-check's start-up)."""
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-{next(_written)}-{time.monotonic_ns()}")
    return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), tmp


def write_atomic(path: Path, payload: bytes) -> None:
    """`path` holds `payload` whole, or keeps what it held (temp file + rename); never raises
    for a folder that cannot be written (the cache is an optimisation)."""
    try:
        try:
            fd, tmp = _temporary(path.parent)
        except FileNotFoundError:  # the folder is made once, not asked for before every entry
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = _temporary(path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(MAGIC + hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def read_checked(path: str | Path) -> bytes | None:
    """The payload of an entry, or None when absent, unreadable or not matching its checksum."""
    try:
        with open(path, "rb") as fh:
            blob = fh.read()
    except OSError:
        return None
    head = len(MAGIC) + _DIGEST
    if len(blob) < head or not blob.startswith(MAGIC):
        return None
    payload = blob[head:]
    if hashlib.sha256(payload).digest() != blob[len(MAGIC):head]:
        return None
    return payload


def touch(path: str | Path) -> None:
    """Mark an entry used now (what `prune` keeps); never raises."""
    with contextlib.suppress(OSError):
        os.utime(path)


def prune(root: str | os.PathLike[str], started: float, now: float | None = None, force: bool = False) -> int:
    """Remove the entries under `<root>/.govcloud/cache/` that no run used since `started`
    and that are older than PRUNE_AGE_DAYS or, oldest first, beyond PRUNE_CAP_BYTES in all;
    the number removed. Runs only when the last prune is PRUNE_EVERY seconds old (or `force`).
    A concurrent run that loses an entry this way parses that file again: entries are only
    ever an optimisation."""
    folder = Path(root) / CACHE_DIR
    now = time.time() if now is None else now
    stamp = folder / _STAMP
    try:
        if not force and now - stamp.stat().st_mtime < PRUNE_EVERY:
            return 0
    except OSError:
        if not folder.is_dir():
            return 0
    entries: list[tuple[float, int, str]] = []
    stale: list[str] = []
    total = 0
    for top, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(top, name)
            if top == str(folder) and name == _STAMP:
                continue
            try:
                info = os.stat(path)
            except OSError:
                continue
            if name.startswith(".tmp-"):
                if now - info.st_mtime > _TMP_AGE:
                    stale.append(path)
                continue
            total += info.st_size
            if info.st_mtime < started:  # not used by this run (what it used stays, whatever its age)
                entries.append((info.st_mtime, info.st_size, path))
    entries.sort()
    oldest = now - PRUNE_AGE_DAYS * 86400
    for mtime, size, path in entries:
        if mtime < oldest or total > PRUNE_CAP_BYTES:
            stale.append(path)
            total -= size
    removed = 0
    for path in stale:
        try:
            os.unlink(path)
            removed += 1
        except OSError:
            pass
    with contextlib.suppress(OSError):
        stamp.touch()
    return removed


def finding_row(f: Finding) -> tuple[Any, ...]:
    loc = f.location
    return (f.rule, f.severity.value, f.message, (loc.file, loc.line, loc.column) if loc else None,
            f.department, f.system, f.basis, f.hint, f.waived, f.waiver)


def finding_of(row: Any) -> Finding:
    rule, severity, message, loc, department, system, basis, hint, waived, waiver = row
    return Finding(rule, Severity(severity), message, Location(*loc) if loc is not None else None,
                   department, system, basis, hint, waived, waiver)


def findings_of(rows: Iterable[Any]) -> list[Finding]:
    return [finding_of(r) for r in rows]


def pack(key: str | None, loaded: LoadedFile, verdicts: Verdicts, own: list[Own | None] | None = None,
         records: list[Any] | None = None) -> bytes:
    """A parsed file as plain data (marshal): a cache entry's payload, and what loader workers
    send back (an order of magnitude cheaper than pickling the dataclasses); by document, `own`
    holds the department documents' own consistency problems and `records` the departments as
    plain data (lazy.record). The documents are packed apart, to be unpacked only when used."""
    none: list[Any] = [None] * len(loaded.documents)
    return marshal.dumps((
        key,
        loaded.path,
        [(d.file, d.index) for d in loaded.documents],
        marshal.dumps([(d.file, d.index, d.data, packed_table(d.values, d.keys)) for d in loaded.documents]),
        [finding_row(f) for f in loaded.findings],
        [(kind, [finding_row(f) for f in errors]) for kind, errors in verdicts],
        [None if o is None else ([finding_row(f) for f in o[0]], [finding_row(f) for f in o[1]])
         for o in own or none],
        records or none,
    ))


def unpack(payload: bytes, expected: str | None = None) -> Parsed:
    """`pack`'s file again; ValueError (or TypeError…) when the payload is not one (of `expected`).
    A file of departments only, each with its record, is not unpacked: its departments are built
    from their records, their documents unpacked when first read (lazy.LazyDocument)."""
    key, path, heads, blob, findings, verdicts, own, records = marshal.loads(payload)
    if expected is not None and key != expected:
        raise ValueError("an entry of another key")
    documents: tuple[Document, ...]
    built: list[tuple[Document, Department]] = []
    if heads and all(r is not None for r in records):
        built = list(lazy_departments(blob, heads, records))
        documents = tuple(doc for doc, _ in built)
    else:
        documents = tuple(Document(file, index, data, *views(table))
                          for file, index, data, table in marshal.loads(blob))
    judged = [(kind, findings_of(rows)) for kind, rows in verdicts]
    if not (len(judged) == len(documents) == len(own) == len(heads)) or not isinstance(path, str):
        raise ValueError("not a parsed file")
    kept = [None if o is None else (findings_of(o[0]), findings_of(o[1])) for o in own]
    for doc, problems in zip(documents, kept, strict=True):
        if key is not None:
            _digests[doc] = key
        if problems is not None:
            _own[doc] = problems
    for doc, dept in built:
        _built[doc] = dept
    return LoadedFile(path, documents, tuple(findings_of(findings))), judged


class FileCache:
    """Parsed and validated files under `<root>/.govcloud/cache/files/`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.folder = Path(root) / CACHE_DIR / "files"
        self._base = os.path.join(self.folder, "")
        self.salt = code_digest("load", "schema", "model").encode()

    def key(self, shown: str, raw: bytes) -> str:
        return hashlib.sha256(self.salt + b"\0" + shown.encode() + b"\0" + raw).hexdigest()

    def _path(self, key: str) -> str:
        return f"{self._base}{key[:2]}{os.sep}{key}"  # a string join: pathlib costs more than the read

    def _read(self, path: str) -> tuple[str, bytes] | None:
        try:
            raw = read_bytes(path)
        except (LoadError, OSError):
            return None
        return self.key(path, raw), raw

    def cached(self, path: str) -> Parsed | None:
        """The file's parsed documents and verdicts when the cache holds them, else None."""
        read = self._read(path)
        payload = read_checked(self._path(read[0])) if read is not None else None
        if payload is None or read is None:
            return None
        touch(self._path(read[0]))
        try:
            return unpack(payload, read[0])
        except (ValueError, TypeError, KeyError, IndexError, EOFError):  # another shape: not trusted
            return None

    def packed(self, path: str) -> bytes | None:
        """`pack` of the file, from the cache or parsed, schema-checked and stored; None when the
        file cannot be read or decoded (the caller reports that, uncached)."""
        read = self._read(path)
        if read is None:
            return None
        key, raw = read
        payload = read_checked(self._path(key))
        if payload is not None:
            touch(self._path(key))
            return payload  # checked by its digest; its shape when unpacked
        stored = self._store(path, key, raw)
        return stored[0] if stored is not None else None

    def _store(self, path: str, key: str, raw: bytes) -> tuple[bytes, Parsed] | None:
        """The file parsed and schema-checked, stored under `key`: (the entry's payload, the parsed file)."""
        try:
            text = decode(raw)
        except LoadError:
            return None
        loaded = parse(text, path)
        verdicts = [validate_document(doc) for doc in loaded.documents]
        own: list[Own | None] = []
        records: list[Any] = []
        for doc, (kind, errors) in zip(loaded.documents, verdicts, strict=True):
            if _is_department(kind, errors):
                dept = _built[doc] = build_department(doc)
                own.append(_own.setdefault(doc, own_problems(dept)))
                records.append(recorded(dept))
            else:
                own.append(None)
                records.append(None)
        payload = pack(key, loaded, verdicts, own, records)
        write_atomic(Path(self._path(key)), payload)
        for doc in loaded.documents:
            _digests[doc] = key
        return payload, (loaded, verdicts)

    def parse(self, path: str) -> Parsed | None:
        """The file's parsed documents and verdicts, from the cache or parsed and stored (None when
        it cannot be read or decoded); a miss is returned as parsed, not unpacked again."""
        read = self._read(path)
        if read is None:
            return None
        key, raw = read
        payload = read_checked(self._path(key))
        if payload is not None:
            touch(self._path(key))
            try:
                return unpack(payload, key)
            except (ValueError, TypeError, KeyError, IndexError, EOFError):  # another shape: parsed again
                pass
        stored = self._store(path, key, raw)
        return stored[1] if stored is not None else None
