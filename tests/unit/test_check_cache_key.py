"""The check cache trusts only what this user's runs wrote: every entry's checksum is an HMAC
under a key kept outside the project ($XDG_CACHE_HOME/govcloud/cache.key). An entry copied from
elsewhere, or forged with a plain digest (a `.govcloud/cache/` force-added to a pull request,
which the merge's policy gate would otherwise believe), is read as absent: the file is parsed and
judged again. A key others could write turns the cache off."""
from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from govcloud.load.cache import CACHE_DIR, MAGIC, cache_key, key_file, read_checked
from tests.unit.test_check_cache import _entries, _lines, counted_parses, new_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return new_project(tmp_path)


@pytest.fixture
def own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A user of their own: a fresh cache home, so a fresh key."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    cache_key.cache_clear()
    yield tmp_path / "home-cache"
    cache_key.cache_clear()


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return counted_parses(monkeypatch)


def test_the_key_is_made_once_and_kept_private(own_key: Path) -> None:
    key = cache_key()
    assert key is not None and len(key) == 32
    path = key_file()
    assert path.parent.parent == own_key and path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    cache_key.cache_clear()
    assert cache_key() == key  # the next run reads the same key
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_entries_written_under_another_users_key_are_not_trusted(project: Path, own_key: Path,
                                                                  parses: list[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    first = _lines(project)
    parses.clear()
    assert _lines(project) == first and parses == []
    monkeypatch.setenv("XDG_CACHE_HOME", str(own_key.parent / "another-user"))  # the same cache, another key
    cache_key.cache_clear()
    assert _lines(project) == first
    assert sorted(parses) == ["city.yaml", "gaj.yaml", "slj.yaml"]


def test_an_entry_forged_with_a_plain_digest_is_read_as_absent(project: Path, own_key: Path,
                                                                parses: list[str]) -> None:
    first = _lines(project)
    for entry in _entries(project):
        blob = entry.read_bytes()
        payload = blob[len(MAGIC) + 32:]
        assert read_checked(entry) == payload
        entry.write_bytes(MAGIC + hashlib.sha256(payload).digest() + payload)  # what a forger can compute
        assert read_checked(entry) is None
    parses.clear()
    assert _lines(project) == first
    assert sorted(parses) == ["city.yaml", "gaj.yaml", "slj.yaml"]
    assert all(read_checked(entry) is not None for entry in _entries(project))  # rewritten under the key


@pytest.mark.parametrize("mode", [0o644, 0o666, 0o620])
def test_a_key_others_can_read_or_write_turns_the_cache_off(project: Path, own_key: Path, parses: list[str],
                                                            mode: int) -> None:
    assert cache_key() is not None
    os.chmod(key_file(), mode)
    cache_key.cache_clear()
    assert cache_key() is None
    first = _lines(project)
    parses.clear()
    assert _lines(project) == first == _lines(project, cache=False)
    assert sorted(parses) == ["city.yaml", "gaj.yaml", "slj.yaml"]  # nothing trusted
    assert not (project / CACHE_DIR / "files").exists()  # and nothing written


def test_an_unwritable_cache_home_turns_the_cache_off(project: Path, tmp_path: Path, parses: list[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache home would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    cache_key.cache_clear()
    try:
        assert cache_key() is None
        assert _lines(project) == _lines(project, cache=False)
        assert not (project / CACHE_DIR / "files").exists()
    finally:
        cache_key.cache_clear()
