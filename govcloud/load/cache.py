"""A content-addressed cache of parsed and schema-checked blueprint files (`.govcloud/cache/`).

An entry's name is the SHA-256 of everything its content depends on: the file's bytes and
the name it is shown under, govcloud's version and the source of the code and schemas that
read it. A changed file, schema or govcloud therefore never finds a stale entry; it finds
none. Entries are written to a temporary file and renamed into place, so concurrent runs see
a whole entry or none; each carries the SHA-256 of its payload, and one that does not match
(a torn disk, a hand edit) is ignored and rewritten, never trusted.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
import weakref
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import govcloud
from govcloud.load.located import LoadedFile, LoadError, decode, parse, read_bytes
from govcloud.model import Document, Finding, Location, Severity
from govcloud.schema import validate_document

CACHE_DIR = Path(".govcloud") / "cache"
MAGIC = b"GCCACHE1"
_DIGEST = 32
Verdicts = list[tuple[str | None, list[Finding]]]
Parsed = tuple[LoadedFile, Verdicts]

# The digest of the file each cached or freshly read document came from (for result caches).
_digests: weakref.WeakKeyDictionary[Document, str] = weakref.WeakKeyDictionary()


def content_digest(doc: Document) -> str | None:
    """The cache key of the file `doc` was read from, when it was read through a cache."""
    return _digests.get(doc)


@cache
def code_digest(*packages: str) -> str:
    """SHA-256 of govcloud's version and of the source and data files of `packages`."""
    h = hashlib.sha256(govcloud.__version__.encode())
    base = Path(govcloud.__file__).resolve().parent
    for package in packages:
        folder = base / package
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".py", ".json", ".yaml") and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def write_atomic(path: Path, payload: bytes) -> None:
    """`path` holds `payload` whole, or keeps what it held (temp file + rename); never raises
    for a folder that cannot be written (the cache is an optimisation)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(MAGIC + hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def read_checked(path: Path) -> bytes | None:
    """The payload of an entry, or None when absent, unreadable or not matching its checksum."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    head = len(MAGIC) + _DIGEST
    if len(blob) < head or not blob.startswith(MAGIC):
        return None
    payload = blob[head:]
    if hashlib.sha256(payload).digest() != blob[len(MAGIC):head]:
        return None
    return payload


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


class FileCache:
    """Parsed and validated files under `<root>/.govcloud/cache/files/`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.folder = Path(root) / CACHE_DIR / "files"
        self.salt = code_digest("load", "schema", "model").encode()

    def key(self, shown: str, raw: bytes) -> str:
        return hashlib.sha256(self.salt + b"\0" + shown.encode() + b"\0" + raw).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def get(self, key: str) -> tuple[tuple[str, tuple[Document, ...], tuple[Finding, ...]], Verdicts] | None:
        """(path, documents, findings) of a file and its documents' verdicts, or None."""
        payload = read_checked(self._path(key))
        if payload is None:
            return None
        try:
            path, docs, findings, verdicts = marshal.loads(payload)
            documents = tuple(Document(file, index, data, values, keys) for file, index, data, values, keys in docs)
            judged = [(kind, findings_of(rows)) for kind, rows in verdicts]
            if len(judged) != len(documents):
                return None
            for doc in documents:
                _digests[doc] = key
            return (path, documents, tuple(findings_of(findings))), judged
        except (ValueError, TypeError, EOFError, KeyError, IndexError):  # a checksum collision or old shape
            return None

    def put(self, key: str, path: str, documents: tuple[Document, ...], findings: tuple[Finding, ...],
            verdicts: Verdicts) -> None:
        for doc in documents:
            _digests[doc] = key
        payload = marshal.dumps((
            path,
            [(d.file, d.index, d.data, dict(d.values), dict(d.keys)) for d in documents],
            [finding_row(f) for f in findings],
            [(kind, [finding_row(f) for f in errors]) for kind, errors in verdicts],
        ))
        write_atomic(self._path(key), payload)

    def _read(self, path: str) -> tuple[str, bytes] | None:
        try:
            raw = read_bytes(path)
        except (LoadError, OSError):
            return None
        return self.key(path, raw), raw

    def cached(self, path: str) -> Parsed | None:
        """The file's parsed documents and verdicts when the cache holds them, else None."""
        read = self._read(path)
        hit = self.get(read[0]) if read is not None else None
        if hit is None:
            return None
        (shown, documents, findings), verdicts = hit
        return LoadedFile(shown, documents, findings), verdicts

    def parse(self, path: str) -> Parsed | None:
        """A file parsed and schema-checked, from the cache when its entry is there (else read and
        stored); None when the file cannot be read (the caller reports that, uncached)."""
        read = self._read(path)
        if read is None:
            return None
        key, raw = read
        hit = self.get(key)
        if hit is not None:
            (shown, documents, findings), verdicts = hit
            return LoadedFile(shown, documents, findings), verdicts
        try:
            text = decode(raw)
        except LoadError:
            return None
        loaded = parse(text, path)
        verdicts = [validate_document(doc) for doc in loaded.documents]
        self.put(key, loaded.path, loaded.documents, loaded.findings, verdicts)
        return loaded, verdicts
