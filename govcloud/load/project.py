"""Read a set of blueprint paths into a Project, with every problem as a finding."""
from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial

from govcloud.load.build import build_city, build_department
from govcloud.load.cache import FileCache, Parsed, built_department, own_problems_of, pack, unpack
from govcloud.load.consistency import check_city, check_department
from govcloud.load.discover import discover
from govcloud.load.located import load_file
from govcloud.load.registers import build_registers, codes_on_file, granted, register_files
from govcloud.model import REGISTER_KINDS, REGISTERS_DIR, Department, Document, Finding, Location, Project, Severity
from govcloud.schema import validate_document

RULE = "GC-SCHEMA"


@dataclass(frozen=True)
class LoadResult:
    """Everything `validate` learns: the project (if a City was found) and the findings."""

    paths: tuple[str, ...]
    files: int
    documents: int
    departments: int
    findings: tuple[Finding, ...]
    project: Project | None

    @property
    def ok(self) -> bool:
        return not any(f.blocking for f in self.findings)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 2

    def to_dict(self) -> dict[str, object]:
        """What `validate --format json` prints, as JSON-ready data."""
        return {
            "valid": self.ok,
            "files": self.files,
            "documents": self.documents,
            "departments": self.departments,
            "findings": [f.to_json() | {"hint": f.hint} for f in self.findings],
        }

    def to_json(self) -> str:
        """`to_dict()` as the JSON text `validate --format json` prints."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)


def _error(message: str, location: Location, hint: str = "") -> Finding:
    return Finding(RULE, Severity.ERROR, message, location, hint=hint)


MAX_FINDINGS_PER_FILE = 25  # one mistake (a list pasted at the wrong level) must not flood the terminal


def _capped(findings: list[Finding]) -> list[Finding]:
    if len(findings) <= MAX_FINDINGS_PER_FILE:
        return findings
    shown = sorted(findings, key=Finding.sort_key)[:MAX_FINDINGS_PER_FILE]
    last = shown[-1].location or Location(".", 1, 1)
    more = len(findings) - len(shown)
    return shown + [_error(f"... and {more} more problems in this file", last, "fix these first")]


PARALLEL_THRESHOLD = 400  # below this, starting workers costs more than it saves


def _parse_and_validate(path: str, store: FileCache | None = None) -> Parsed:
    found = store.parse(path) if store is not None else None
    if found is not None:
        return found
    loaded = load_file(path)
    return loaded, [validate_document(doc) for doc in loaded.documents]


def _packed(path: str, store: FileCache | None) -> bytes:
    payload = store.packed(path) if store is not None else None
    if payload is None:
        loaded = load_file(path)
        payload = pack(None, loaded, [validate_document(doc) for doc in loaded.documents])
    return payload


def _unpacked(path: str, payload: bytes) -> Parsed:
    try:
        return unpack(payload)
    except (ValueError, TypeError, KeyError, IndexError, EOFError):  # a cache entry not to be trusted
        return _parse_and_validate(path)


def _parse_chunk(paths: list[str], store: FileCache | None = None) -> list[bytes]:
    return [_packed(p, store) for p in paths]  # plain data travels back far cheaper than dataclasses


def _parsed(files: list[str], jobs: int | None, store: FileCache | None = None) -> Iterator[Parsed]:
    """Parse and schema-check files, on several cores for a big city (order is kept); with a
    cache, only the files it does not hold are parsed, and those are stored."""
    done: dict[str, Parsed] = {}
    if store is not None and store.folder.is_dir():  # an empty cache has nothing to look up
        for path in files:
            hit = store.cached(path)
            if hit is not None:
                done[path] = hit
    missing = [f for f in files if f not in done]
    if jobs is None:
        jobs = min(os.cpu_count() or 1, 8) if len(missing) >= PARALLEL_THRESHOLD else 1
    if jobs > 1 and _can_fork():
        yield from _pooled(files, missing, done, jobs, store)
        return
    for path in files:
        yield done[path] if path in done else _parse_and_validate(path, store)


def _can_fork() -> bool:
    import multiprocessing  # only where a pool may be used: its import is a tenth of a check's start-up

    return "fork" in multiprocessing.get_all_start_methods()


def _pooled(files: list[str], missing: list[str], done: dict[str, Parsed], jobs: int,
            store: FileCache | None) -> Iterator[Parsed]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = max(1, -(-len(missing) // (jobs * 4)))
    chunks = [missing[i:i + size] for i in range(0, len(missing), size)]
    # fork: workers inherit the imported package, so they start in milliseconds
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        for chunk, results in zip(chunks, pool.map(partial(_parse_chunk, store=store), chunks), strict=True):
            for path, payload in zip(chunk, results, strict=True):
                done[path] = _unpacked(path, payload)
    for path in files:
        yield done[path]


def load(paths: Sequence[str], jobs: int | None = None,
         cache: str | os.PathLike[str] | None = None) -> LoadResult:
    """Load and validate every blueprint under `paths` (files or directories); with `cache` (a
    project root), parsed files are kept in and read from its `.govcloud/cache/`."""
    found = discover(paths)
    store = FileCache(cache) if cache is not None else None
    files = list(found.files)
    findings: list[Finding] = list(found.problems)
    cities: list[Document] = []
    departments: list[Department] = []
    by_code: dict[str, Department] = {}
    registers: list[Document] = []
    documents = city_seen = unread = broken = 0  # broken: registers that did not load
    for loaded, verdicts in _parsed(files, jobs, store):
        unread += bool(loaded.findings)  # a document that did not load may have been the City
        broken += bool(loaded.findings) and os.path.basename(os.path.dirname(loaded.path)) == REGISTERS_DIR
        in_file: list[Finding] = list(loaded.findings)
        for doc, (kind, errors) in zip(loaded.documents, verdicts, strict=False):
            documents += 1
            city_seen += kind == "City"
            broken += kind in REGISTER_KINDS and bool(errors)
            in_file.extend(errors)
            if errors:
                continue
            if kind == "City":
                cities.append(doc)
                continue
            if kind in REGISTER_KINDS:
                registers.append(doc)
                continue
            dept = built_department(doc) or build_department(doc)
            first = by_code.get(dept.code)
            if first is not None:
                in_file.append(_error(
                    f"department code '{dept.code}' is already used by {first.location_of(('metadata', 'code'))}",
                    doc.location_of(("metadata", "code")), "department codes are unique in the city",
                ))
                continue
            problems = check_department(dept, len(loaded.documents), own_problems_of(doc))
            in_file.extend(problems)
            if problems:
                continue
            by_code[dept.code] = dept
            departments.append(dept)
        findings.extend(_capped(in_file))
    if store is not None:
        store.save()
    project = None
    if not cities and not city_seen and not found.problems and not unread:
        findings.append(_error(
            "no City blueprint found" + (f" in {', '.join(paths)}" if paths else ""),
            Location(paths[0] if paths else ".", 1, 1),
            "a project needs one document with 'kind: City' (see `govcloud schema --kind City`)",
        ))
    elif cities:
        for extra in cities[1:]:
            findings.append(_error(
                f"a second City document (the first is at {cities[0].location_of(('kind',))})",
                extra.location_of(("kind",)), "a project has exactly one City",
            ))
        city = build_city(cities[0])
        problems = check_city(city)
        findings.extend(problems)
        beside = register_files(city.doc.file)
        read = {os.path.realpath(f) for f in files} if beside else set()  # realpath: 5 % of a cached load
        for loaded, verdicts in map(_parse_and_validate, [  # the registers beside city.yaml, when not given
                f for f in beside if os.path.realpath(f) not in read]):
            findings.extend(loaded.findings)
            broken += bool(loaded.findings)
            for doc, (kind, errors) in zip(loaded.documents, verdicts, strict=False):
                documents += 1
                broken += bool(errors)
                findings.extend(errors)
                if not errors and kind in REGISTER_KINDS:
                    registers.append(doc)
                elif not errors:
                    findings.append(_error(f"a {kind} document in the city's registers folder",
                                           doc.location_of(("kind",)), "only registers live in blueprints/city/"))
        kept, register_problems = build_registers(registers, codes_on_file(city.doc.file))
        findings.extend(register_problems)
        problems += register_problems
        if broken:  # a register that did not load would silently grant or approve less
            findings.sort(key=Finding.sort_key)
            return LoadResult(tuple(paths), len(files), documents, len(departments), tuple(findings), None)
        if not problems:  # a city that breaks the rules is never evaluated (its pattern could hang)
            project = Project(
                root=str(paths[0]) if paths else ".",
                city=city,
                departments=tuple(sorted(granted(departments, kept), key=lambda d: d.code)),
                registers=kept,
            )
    findings.sort(key=Finding.sort_key)
    return LoadResult(tuple(paths), len(files), documents, len(departments), tuple(findings), project)
