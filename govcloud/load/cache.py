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

The `StatIndex` beside the entries maps each department file, by its signature, to its entry
and keeps the entry's departments as records: a re-check finds an unchanged file without
reading it, or its entry until a rule asks for its document. Prune keeps what a live index names.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import marshal
import os
import sys
import time
import weakref
from collections.abc import Callable, Iterable
from functools import cache, partial
from pathlib import Path
from typing import Any

import govcloud
from govcloud.errors import GovcloudError
from govcloud.load.build import build_department
from govcloud.load.consistency import own_problems
from govcloud.load.lazy import lazy_departments, recorded
from govcloud.load.located import LoadedFile, LoadError, Signature, decode, parse, read_signed, signature
from govcloud.load.marks import packed_table, views
from govcloud.model import REGISTER_KINDS, Department, Document, Finding, Location, Severity
from govcloud.schema import validate_document

CACHE_DIR = Path(".govcloud") / "cache"
PRUNE_AGE_DAYS = 14                  # an entry no run used for this long is removed
PRUNE_CAP_BYTES = 1024 * 1024 * 1024  # beyond this, the least recently used entries go first
PRUNE_EVERY = 3600                   # seconds between two prunes of one cache
INDEX_DIR = "index"                  # the StatIndex of each version of the loader
_STAMP = "pruned"                    # its mtime: the last prune
_TMP_AGE = 3600                      # a temporary file this old is a crashed writer's
MAGIC = b"GCCACHE2"  # 2: the checksum is an HMAC under the user's cache key
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


KEY_BYTES = 32


def key_file() -> Path:
    """Where this user's cache key lives: $XDG_CACHE_HOME/govcloud/cache.key (~/.cache by default),
    outside every project, so that nothing committed or copied into one can carry it."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "govcloud" / "cache.key"


@cache
def cache_key() -> bytes | None:
    """This user's secret for the entries' checksums (made on first use), or None when it cannot be
    kept safely: then no entry is trusted or written.

    An entry's checksum is an HMAC under this key, not a plain digest: an entry is what the check
    believes of a file without reading it, and a plain digest can be forged by anyone who can write
    into the project (a `.govcloud/cache/` force-added to a pull request would otherwise answer for
    the policy gate of the apply that merges it)."""
    path = key_file()
    try:
        return _kept_key(path)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = _temporary(path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(os.urandom(KEY_BYTES))
            with contextlib.suppress(FileExistsError):  # another run made it first: its key is the one
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
        return _kept_key(path)
    except OSError:
        return None


def _kept_key(path: Path) -> bytes | None:
    """The key in `path`, when it is this user's alone (a key others can write is no secret)."""
    with open(path, "rb") as fh:
        info = os.fstat(fh.fileno())
        key = fh.read(KEY_BYTES + 1)
    if info.st_uid != os.getuid() or info.st_mode & 0o077 or len(key) != KEY_BYTES:
        return None
    return key


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.digest(key, payload, "sha256")


def write_atomic(path: Path, payload: bytes) -> None:
    """`path` holds `payload` whole, or keeps what it held (temp file + rename); never raises
    for a folder that cannot be written (the cache is an optimisation)."""
    key = cache_key()
    if key is None:
        return
    try:
        try:
            fd, tmp = _temporary(path.parent)
        except FileNotFoundError:  # the folder is made once, not asked for before every entry
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = _temporary(path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(MAGIC + _mac(key, payload) + payload)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def read_checked(path: str | Path) -> bytes | None:
    """The payload of an entry, or None when absent, unreadable or not matching its checksum
    (an HMAC under `cache_key`: an entry this user's runs did not write is not trusted)."""
    key = cache_key()
    if key is None:
        return None
    try:
        with open(path, "rb") as fh:
            blob = fh.read()
    except OSError:
        return None
    head = len(MAGIC) + _DIGEST
    if len(blob) < head or not blob.startswith(MAGIC):
        return None
    payload = blob[head:]
    if not hmac.compare_digest(_mac(key, payload), blob[len(MAGIC):head]):
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
    named = _indexed(folder / INDEX_DIR, oldest)
    for mtime, size, path in entries:
        if os.path.basename(path) in named:
            continue  # unchanged files a live index finds their entries for, without reading them
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


def _indexed(folder: Path, oldest: float) -> set[str]:
    """The entries the indexes used since `oldest` name (an older index is pruned like an entry)."""
    named: set[str] = set()
    with contextlib.suppress(OSError):
        for index in folder.iterdir():
            with contextlib.suppress(OSError):
                if index.stat().st_mtime >= oldest and not index.name.startswith(".tmp-"):
                    named |= _index_keys(index)
    return named


def _index_keys(path: Path) -> set[str]:
    try:
        return {entry[1] for entry in _index_entries(path).values()}
    except (TypeError, IndexError, KeyError):  # an entry of another shape names nothing
        return set()


def _index_entries(path: Path) -> dict[str, Any]:
    """A `StatIndex` file's entries: path → (signature, key, the entry's parts but the documents)."""
    payload = read_checked(path)
    try:
        found = marshal.loads(payload) if payload is not None else {}
    except (ValueError, EOFError, TypeError):
        return {}
    return found if isinstance(found, dict) else {}


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
    return marshal.dumps(_parts(key, loaded, verdicts, own, records))


def _parts(key: str | None, loaded: LoadedFile, verdicts: Verdicts, own: list[Own | None] | None,
           records: list[Any] | None) -> tuple[Any, ...]:
    """What `pack` writes, before it is written (what `unpack` reads back)."""
    none: list[Any] = [None] * len(loaded.documents)
    return (
        key,
        loaded.path,
        [(d.file, d.index) for d in loaded.documents],
        marshal.dumps([(d.file, d.index, d.data, packed_table(d.values, d.keys)) for d in loaded.documents]),
        [finding_row(f) for f in loaded.findings],
        [(kind, [finding_row(f) for f in errors]) for kind, errors in verdicts],
        [None if o is None else ([finding_row(f) for f in o[0]], [finding_row(f) for f in o[1]])
         for o in own or none],
        records or none,
    )


def unpack(payload: bytes, expected: str | None = None) -> Parsed:
    """`pack`'s file again; ValueError (or TypeError…) when the payload is not one (of `expected`).
    A file of departments only, each with its record, is not unpacked: its departments are built
    from their records, their documents unpacked when first read (lazy.LazyDocument)."""
    return _from_parts(marshal.loads(payload), expected)


def _lazy(parts: Any) -> bool:
    """Whether `pack`'s parts are of a file of departments only, each with its record."""
    heads, records = parts[2], parts[7]
    return bool(heads) and all(r is not None for r in records)


def _from_parts(parts: Any, expected: str | None, blob: Callable[[], bytes] | None = None) -> Parsed:
    """`unpack` of a payload's parts; `blob`, when given, reads the packed documents of a file
    of departments only when they are first asked for (the parts then hold None for them)."""
    key, path, heads, packed, findings, verdicts, own, records = parts
    if expected is not None and key != expected:
        raise ValueError("an entry of another key")
    documents: tuple[Document, ...]
    built: list[tuple[Document, Department]] = []
    if _lazy(parts):
        built = list(lazy_departments(packed if blob is None else blob, heads, records))
        documents = tuple(doc for doc, _ in built)
    else:
        documents = tuple(Document(file, index, data, *views(table))
                          for file, index, data, table in marshal.loads(packed))
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


class StatIndex:
    """Which cache entry each file's content has, by the file's `signature` (git's index does the
    same for `git status`): a re-check finds an unchanged file's entry without reading the file,
    and builds its departments from the records kept here without reading the entry either (the
    entry is read when a document's data is first asked for).

    A file is noted only when it held still while read and its last change is FRESH_NS older
    than the run: a write in the same tick of the file system's clock as the one noted could leave
    the signature as it was, and such a file is read and hashed again until it is old enough.
    The index is one entry file (checksummed, written whole and renamed like every entry) per
    version of the loader: runs that write it at once each leave a true index, the last one's."""

    FRESH_NS = 2_000_000_000

    def __init__(self, folder: Path, salt: bytes) -> None:
        self.path = folder / hashlib.sha256(b"index\0" + salt).hexdigest()[:40]
        self._entries: dict[str, Any] | None = None
        self._noted: dict[str, Any] = {}
        self._started = time.time_ns()

    @property
    def entries(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = _index_entries(self.path)
            if self._entries:
                touch(self.path)  # what prune keeps, with every entry it names
        return self._entries

    def lookup(self, path: str) -> tuple[str, Any] | None:
        """(key, parts of its entry but the documents) when `path` is unchanged since noted."""
        entry = self.entries.get(path)
        if entry is None:
            return None
        try:
            now = signature(os.stat(path))
        except OSError:
            return None
        try:
            sig, key, head = entry
            return (key, marshal.loads(head)) if sig == now else None
        except (ValueError, TypeError, EOFError):  # not an entry of this index's shape
            return None

    def note(self, path: str, sig: Signature | None, key: str, parts: Any) -> None:
        """Remember `path`'s entry (`pack` parts of a file of departments only), if safe to."""
        if sig is None or self._started - max(sig[3], sig[4]) < self.FRESH_NS or not _lazy(parts):
            return
        old = self.entries.get(path)
        if old is None or old[0] != sig or old[1] != key:  # kept packed: a tenth of the memory
            self._noted[path] = (sig, key, marshal.dumps((*parts[:3], None, *parts[4:])))

    def save(self) -> None:
        """Write the index when this run noted anything new; never raises."""
        if self._noted:
            write_atomic(self.path, marshal.dumps({**self.entries, **self._noted}))
            self._entries = None
            self._noted = {}


class FileCache:
    """Parsed and validated files under `<root>/.govcloud/cache/files/`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.folder = Path(root) / CACHE_DIR / "files"
        self._base = os.path.join(self.folder, "")
        self.salt = code_digest("load", "schema", "model").encode()
        self.index = StatIndex(Path(root) / CACHE_DIR / INDEX_DIR, self.salt)

    def key(self, shown: str, raw: bytes) -> str:
        return hashlib.sha256(self.salt + b"\0" + shown.encode() + b"\0" + raw).hexdigest()

    def _path(self, key: str) -> str:
        return f"{self._base}{key[:2]}{os.sep}{key}"  # a string join: pathlib costs more than the read

    def _read(self, path: str) -> tuple[str, bytes, Signature | None] | None:
        try:
            raw, sig = read_signed(path)
        except (LoadError, OSError):
            return None
        return self.key(path, raw), raw, sig

    def cached(self, path: str) -> Parsed | None:
        """The file's parsed documents and verdicts when the cache holds them, else None."""
        found = self.index.lookup(path)
        if found is not None:
            key, parts = found
            try:
                return _from_parts(parts, key, partial(self._documents, path, key))
            except (ValueError, TypeError, KeyError, IndexError, EOFError):  # another shape: not trusted
                pass
        read = self._read(path)
        return self._known(path, read) if read is not None else None

    def _entry(self, key: str) -> Any:
        """The parts of entry `key` (marked used), or None when absent, damaged or of another key."""
        payload = read_checked(self._path(key))
        if payload is None:
            return None
        touch(self._path(key))
        try:
            parts = marshal.loads(payload)
            return parts if parts[0] == key else None
        except (ValueError, TypeError, KeyError, IndexError, EOFError):  # another shape: not trusted
            return None

    def _known(self, path: str, read: tuple[str, bytes, Signature | None]) -> Parsed | None:
        """The file as its entry holds it (noted in the index), or None without a usable entry."""
        key, _, sig = read
        parts = self._entry(key)
        if parts is None:
            return None
        try:
            parsed = _from_parts(parts, key)
        except (ValueError, TypeError, KeyError, IndexError, EOFError):  # another shape: not trusted
            return None
        self.index.note(path, sig, key, parts)
        return parsed

    def _documents(self, path: str, key: str) -> bytes:
        """The packed documents of `path`'s entry `key` (a department's document first read). An
        entry pruned or damaged since the index named it is made again from the file, which must
        still be what the run judged."""
        parts = self._entry(key)
        if parts is None:
            read = self._read(path)
            stored = self._store(path, key, read[1]) if read is not None and read[0] == key else None
            if stored is None:
                raise GovcloudError(f"{path} changed while it was being checked", rule="GC-USAGE",
                                    hint="run the command again")
            parts = stored[1]
        packed: bytes = parts[3]
        return packed

    def save(self) -> None:
        """What this run learnt for the next: the index (entries are written as they are made)."""
        self.index.save()

    def packed(self, path: str) -> bytes | None:
        """`pack` of the file, from the cache or parsed, schema-checked and stored; None when the
        file cannot be read or decoded (the caller reports that, uncached)."""
        read = self._read(path)
        if read is None:
            return None
        key, raw, _ = read
        payload = read_checked(self._path(key))
        if payload is not None:
            touch(self._path(key))
            return payload  # checked by its digest; its shape when unpacked
        stored = self._store(path, key, raw)
        return stored[0] if stored is not None else None

    def _store(self, path: str, key: str, raw: bytes) -> tuple[bytes, tuple[Any, ...], Parsed] | None:
        """The file parsed and schema-checked, stored under `key`: (the entry's payload, its parts,
        the parsed file)."""
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
        parts = _parts(key, loaded, verdicts, own, records)
        payload = marshal.dumps(parts)
        write_atomic(Path(self._path(key)), payload)
        for doc in loaded.documents:
            _digests[doc] = key
        return payload, parts, (loaded, verdicts)

    def parse(self, path: str) -> Parsed | None:
        """The file's parsed documents and verdicts, from the cache or parsed and stored (None when
        it cannot be read or decoded); a miss is returned as parsed, not unpacked again."""
        read = self._read(path)
        if read is None:
            return None
        known = self._known(path, read)
        if known is not None:
            return known
        key, raw, sig = read
        stored = self._store(path, key, raw)
        if stored is None:
            return None
        self.index.note(path, sig, key, stored[1])
        return stored[2]
