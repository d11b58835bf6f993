"""The cache's index (.govcloud/cache/index/): a re-check finds an unchanged department file by
its signature (device, inode, size, mtime and ctime) without reading the file or its entry;
any change of the file, even one that keeps its size and mtime, is read again; a file changed
a moment ago is hashed until it is old enough to be trusted; a lost entry or a damaged index
costs a re-read, never a wrong answer."""
from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pytest

from govcloud.load import cache as file_cache
from govcloud.load.cache import CACHE_DIR, INDEX_DIR, MAGIC, read_checked
from govcloud.policy import check
from tests.unit.test_check_cache import TODAY, _age, _entries, _lines, new_project

DEPARTMENTS = ("gaj.yaml", "slj.yaml")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return new_project(tmp_path)


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files count as long unchanged (the blueprints were copied a moment ago)."""
    monkeypatch.setattr(file_cache.StatIndex, "FRESH_NS", 0)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The blueprint files and cache entries read, by name, in order."""
    seen: list[str] = []
    read_signed, read_entry = file_cache.read_signed, file_cache.read_checked

    def counting_file(path: str | os.PathLike[str]) -> tuple[bytes, file_cache.Signature | None]:
        seen.append(Path(path).name)
        return read_signed(path)

    def counting_entry(path: str | Path) -> bytes | None:
        if Path(path).parent.parent.name == "files":
            seen.append("entry")
        return read_entry(path)

    monkeypatch.setattr(file_cache, "read_signed", counting_file)
    monkeypatch.setattr(file_cache, "read_checked", counting_entry)
    return seen


def _on(project: Path, today: date, cache: bool = True) -> list[str]:
    result = check([str(project / "blueprints")], policies=project / "policies", today=today, cache=cache)
    return [f.line() for f in result.findings]


def _index(project: Path) -> list[Path]:
    return sorted((project / CACHE_DIR / INDEX_DIR).glob("[0-9a-f]*"))


def test_an_unchanged_department_file_is_found_without_reading_it(project: Path, settled: None,
                                                                  reads: list[str]) -> None:
    first = _lines(project)
    assert len(_index(project)) == 1
    reads.clear()
    assert _lines(project) == first
    assert not any(name in reads for name in DEPARTMENTS)
    assert reads == ["city.yaml", "entry"]  # the City is not a department: read and found as before


def test_a_change_that_keeps_size_and_mtime_is_still_seen(project: Path, settled: None, reads: list[str]) -> None:
    before = _lines(project)
    gaj = project / "blueprints" / "departments" / "gaj.yaml"
    info = gaj.stat()
    _edit_in_place(gaj, "network: intranet", "network: extranet")  # same length
    os.utime(gaj, ns=(info.st_atime_ns, info.st_mtime_ns))  # as `touch -r` or `cp -p` would leave it
    assert gaj.stat().st_size == info.st_size and gaj.stat().st_mtime_ns == info.st_mtime_ns
    reads.clear()
    after = _lines(project)
    assert "gaj.yaml" in reads and "slj.yaml" not in reads
    assert any("GC-NET-002" in line for line in after) and not any("GC-NET-002" in line for line in before)
    assert after == _lines(project, cache=False)


def test_a_file_replaced_by_another_of_the_same_size_and_times_is_read(project: Path, settled: None,
                                                                       reads: list[str]) -> None:
    _lines(project)
    gaj = project / "blueprints" / "departments" / "gaj.yaml"
    info = gaj.stat()
    other = gaj.with_name("gaj.new")
    other.write_bytes(b"#" * info.st_size)  # not a blueprint any more
    os.utime(other, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.replace(other, gaj)
    reads.clear()
    after = _lines(project)
    assert "gaj.yaml" in reads
    assert after == _lines(project, cache=False)
    assert not any("'gaj'" in line for line in after if "GC-NET" in line)


def _edit_in_place(path: Path, old: str, new: str) -> None:
    """Rewrite the file's bytes through the same inode (an editor saving in place)."""
    text = path.read_text("utf-8")
    assert old in text and len(old.encode()) == len(new.encode())
    with open(path, "r+b") as fh:
        fh.write(text.replace(old, new, 1).encode("utf-8"))


def test_a_file_changed_a_moment_ago_is_not_trusted_by_its_signature(project: Path, reads: list[str]) -> None:
    """Within FRESH_NS of its last change, a second write in the same clock tick could leave the
    signature unchanged: such a file is hashed on every run until it is older."""
    first = _lines(project)
    reads.clear()
    assert _lines(project) == first
    assert sorted(set(reads) - {"entry"}) == ["city.yaml", *DEPARTMENTS]
    assert _index(project) == []  # nothing noted: every file was written just now


def test_an_entry_lost_since_the_index_named_it_is_made_again(project: Path, settled: None) -> None:
    _lines(project)
    for entry in _entries(project):
        entry.unlink()  # pruned by hand, or by a run of another checkout
    later = TODAY.replace(year=TODAY.year + 1)  # every department judged again: its document is read
    assert _on(project, later) == _on(project, later, cache=False)
    assert len(_entries(project)) == 3


@pytest.mark.parametrize("damage", ["flipped", "truncated", "garbage"])
def test_a_damaged_index_is_ignored_and_written_again(project: Path, settled: None, reads: list[str],
                                                      damage: str) -> None:
    first = _lines(project)
    (index,) = _index(project)
    blob = index.read_bytes()
    index.write_bytes({"flipped": blob[:-1] + bytes([blob[-1] ^ 1]), "truncated": blob[: len(blob) // 2],
                       "garbage": MAGIC + b"\0" * 64}[damage])
    reads.clear()
    assert _lines(project) == first
    assert set(DEPARTMENTS) <= set(reads)  # not trusted: the files were read
    assert read_checked(index) is not None
    reads.clear()
    assert _lines(project) == first and not set(DEPARTMENTS) & set(reads)


def test_prune_keeps_the_entries_a_live_index_names(project: Path, settled: None, reads: list[str]) -> None:
    first = _lines(project)
    used = _entries(project)
    for entry in used:
        _age(entry, 60)  # not touched by the runs that found them through the index
    _age(project / CACHE_DIR / "pruned", 1)
    assert _lines(project) == first
    assert _entries(project) == used
    later = TODAY.replace(year=TODAY.year + 1)
    reads.clear()
    assert _on(project, later) == _on(project, later, cache=False)


def test_an_index_unused_for_weeks_protects_nothing(project: Path, settled: None) -> None:
    _lines(project)
    (index,) = _index(project)
    for entry in [*_entries(project), index]:
        _age(entry, 60)
    assert file_cache._indexed(project / CACHE_DIR / INDEX_DIR, time.time() - 14 * 86400) == set()
    assert file_cache.prune(project, time.time(), force=True) == 4  # three entries and the index
