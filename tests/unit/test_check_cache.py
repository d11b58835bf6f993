"""The check cache (.govcloud/cache/): a re-check reuses what did not change and nothing else —
a changed file, policy, waiver, schema or govcloud version is read afresh; a corrupt entry is
ignored and rewritten; --no-cache touches nothing; what no run uses any more is pruned."""
from __future__ import annotations

import os
import shutil
import time
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

import govcloud
from govcloud.cli.app import app
from govcloud.load import cache as file_cache
from govcloud.load.cache import CACHE_DIR, MAGIC, code_digest, read_checked
from govcloud.policy import check
from govcloud.policy import packs as policy_packs
from govcloud.policy import results as rule_results

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
MINI = ROOT / "tests" / "data" / "mini"
TODAY = date(2026, 6, 1)


def new_project(folder: Path) -> Path:
    """A project folder: blueprints/ (the small city) and its own copy of the policies."""
    shutil.copytree(MINI, folder / "blueprints")
    shutil.copytree(POLICIES, folder / "policies")
    return folder


def counted_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the cache had to parse (a miss), in order."""
    seen: list[str] = []
    real = file_cache.parse

    def counting(text: str, path: str) -> file_cache.LoadedFile:
        seen.append(Path(path).name)
        return real(text, path)

    monkeypatch.setattr(file_cache, "parse", counting)
    return seen


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return new_project(tmp_path)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return counted_parses(monkeypatch)


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The departments whose declarative rules were evaluated afresh."""
    seen: list[str] = []
    real = rule_results.RuleResults.put

    def counting(self: rule_results.RuleResults, key: str, findings: object) -> None:
        seen.append(key)
        real(self, key, findings)  # type: ignore[arg-type]

    monkeypatch.setattr(rule_results.RuleResults, "put", counting)
    return seen


def _lines(project: Path, **kwargs: object) -> list[str]:
    result = check([str(project / "blueprints")], policies=project / "policies", today=TODAY, **kwargs)  # type: ignore[arg-type]
    return [f.line() for f in result.findings]


def _entries(project: Path) -> list[Path]:
    return sorted(p for p in (project / CACHE_DIR / "files").rglob("*") if p.is_file())


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_a_recheck_parses_and_evaluates_nothing_again(project: Path, parses: list[str],
                                                      evaluations: list[str]) -> None:
    first = _lines(project)
    assert sorted(parses) == ["city.yaml", "gaj.yaml", "slj.yaml"] and len(evaluations) == 2
    parses.clear()
    evaluations.clear()
    assert _lines(project) == first
    assert parses == [] and evaluations == []
    assert len(_entries(project)) == 3


def test_a_changed_file_is_read_again_and_only_it(project: Path, parses: list[str], evaluations: list[str]) -> None:
    before = _lines(project)
    parses.clear()
    evaluations.clear()
    _edit(project / "blueprints" / "departments" / "gaj.yaml", "network: intranet", "network: extranet")
    after = _lines(project)
    assert parses == ["gaj.yaml"] and len(evaluations) == 1
    assert any("GC-NET-002" in line for line in after) and not any("GC-NET-002" in line for line in before)
    assert after == _lines(project, cache=False)


def test_a_policy_change_reevaluates_every_department(project: Path, parses: list[str],
                                                      evaluations: list[str]) -> None:
    assert not any("GC-SEC-005" in line for line in _lines(project))
    parses.clear()
    evaluations.clear()
    _edit(project / "policies" / "security.yaml", "params: {minDays: 180}", "params: {minDays: 3650}")
    # the rule's passing example must still pass (the pack is judged by its examples when read)
    _edit(project / "policies" / "security.yaml", "network: extranet, mlps: 1}\n\n  - id: GC-SEC-006",
          "network: extranet, mlps: 1, auditLogDays: 3650}\n\n  - id: GC-SEC-006")
    after = _lines(project)
    assert parses == []  # the blueprints themselves did not change
    assert len(evaluations) == 2
    assert any("GC-SEC-005" in line for line in after)
    assert after == _lines(project, cache=False)


def test_a_waiver_or_data_change_reevaluates(project: Path, evaluations: list[str]) -> None:
    _lines(project)
    evaluations.clear()
    with (project / "policies" / "data" / "functions.yaml").open("a", encoding="utf-8") as fh:
        fh.write("\n# a comment is a change too\n")
    _lines(project)
    assert len(evaluations) == 2
    evaluations.clear()
    (project / "policies" / "waivers.yaml").write_text("waivers: []\n", "utf-8")
    _lines(project)
    assert len(evaluations) == 2


def test_a_schema_or_code_change_makes_new_keys(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                parses: list[str]) -> None:
    base = Path(govcloud.__file__).resolve().parent
    fake = tmp_path / "pkg"
    for package in ("load", "schema", "model"):
        shutil.copytree(base / package, fake / package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(govcloud, "__file__", str(fake / "__init__.py"))
    code_digest.cache_clear()
    try:
        before = code_digest("load", "schema", "model")
        _edit(fake / "schema" / "department.schema.json", '"description"', '"description" ')
        code_digest.cache_clear()
        assert code_digest("load", "schema", "model") != before
        code_digest.cache_clear()
        _lines(project)
        parses.clear()
        _edit(fake / "schema" / "city.schema.json", '"description"', '"description" ')
        code_digest.cache_clear()
        _lines(project)
        assert sorted(parses) == ["city.yaml", "gaj.yaml", "slj.yaml"]  # nothing of the old schema reused
    finally:
        code_digest.cache_clear()


def test_a_new_govcloud_version_reads_everything_again(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                       parses: list[str], evaluations: list[str]) -> None:
    _lines(project)
    parses.clear()
    evaluations.clear()
    monkeypatch.setattr(govcloud, "__version__", govcloud.__version__ + ".post1")
    code_digest.cache_clear()
    try:
        _lines(project)
    finally:
        code_digest.cache_clear()
    assert sorted(parses) == ["city.yaml", "gaj.yaml", "slj.yaml"] and len(evaluations) == 2


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage", "empty"])
def test_a_corrupt_entry_is_ignored_and_rewritten(project: Path, parses: list[str], damage: str) -> None:
    first = _lines(project)
    for entry in _entries(project) + sorted((project / CACHE_DIR / "results").glob("*")):
        blob = entry.read_bytes()
        broken = {"truncated": blob[: len(blob) // 2],
                  "flipped": blob[:-1] + bytes([blob[-1] ^ 0xFF]),
                  "garbage": MAGIC + b"\0" * 32 + b"not marshal data",
                  "empty": b""}[damage]
        entry.write_bytes(broken)
    parses.clear()
    assert _lines(project) == first
    assert sorted(parses) == ["city.yaml", "gaj.yaml", "slj.yaml"]
    assert all(read_checked(entry) is not None for entry in _entries(project))  # rewritten whole


@pytest.fixture
def pack_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The policy folders read from their files (not from the cache), in order; the process's own
    memo of read folders is left out, as in a new run."""
    seen: list[str] = []
    real = policy_packs._load

    def counting(folder: str) -> policy_packs.PolicySet:
        seen.append(Path(folder).name)
        return real(folder)

    monkeypatch.setattr(policy_packs, "_load", counting)
    monkeypatch.setattr(policy_packs, "_cache", {})
    return seen


def _policy_entries(project: Path) -> list[Path]:
    return sorted(p for p in (project / CACHE_DIR / "policies").glob("*") if p.is_file())


def test_a_recheck_reads_the_policy_folder_from_the_cache(project: Path, pack_reads: list[str]) -> None:
    first = _lines(project)
    assert pack_reads == ["policies"] and len(_policy_entries(project)) == 1
    policy_packs._cache.clear()
    pack_reads.clear()
    assert _lines(project) == first
    assert pack_reads == []
    assert _lines(project, cache=False) == first and pack_reads == ["policies"]  # --no-cache reads the files


@pytest.mark.parametrize("edit", ["pack", "data", "new file", "version"])
def test_a_changed_policy_folder_or_govcloud_reads_the_folder_again(project: Path, pack_reads: list[str],
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     edit: str) -> None:
    _lines(project)
    policy_packs._cache.clear()
    pack_reads.clear()
    if edit == "pack":
        _edit(project / "policies" / "security.yaml", "params: {minDays: 180}", "params: {minDays: 3650}")
        _edit(project / "policies" / "security.yaml", "network: extranet, mlps: 1}\n\n  - id: GC-SEC-006",
              "network: extranet, mlps: 1, auditLogDays: 3650}\n\n  - id: GC-SEC-006")
    elif edit == "data":
        with (project / "policies" / "data" / "functions.yaml").open("a", encoding="utf-8") as fh:
            fh.write("\n# a comment is a change too\n")
    elif edit == "new file":
        (project / "policies" / "data" / "notes.txt").write_text("read by nobody, but in the folder\n", "utf-8")
    else:
        monkeypatch.setattr(govcloud, "__version__", govcloud.__version__ + ".post1")
        code_digest.cache_clear()
    try:
        after = _lines(project)
    finally:
        code_digest.cache_clear()
    assert pack_reads == ["policies"] and len(_policy_entries(project)) == 2
    policy_packs._cache.clear()
    assert after == _lines(project, cache=False)
    if edit == "pack":
        assert any("GC-SEC-005" in line for line in after)


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage"])
def test_a_corrupt_policy_entry_is_read_afresh_and_rewritten(project: Path, pack_reads: list[str],
                                                             damage: str) -> None:
    first = _lines(project)
    (entry,) = _policy_entries(project)
    blob = entry.read_bytes()
    entry.write_bytes({"truncated": blob[: len(blob) // 2], "flipped": blob[:-1] + bytes([blob[-1] ^ 0xFF]),
                       "garbage": MAGIC + b"\0" * 32 + b"not marshal data"}[damage])
    policy_packs._cache.clear()
    pack_reads.clear()
    assert _lines(project) == first
    assert pack_reads == ["policies"] and read_checked(entry) is not None


def test_a_policy_folder_with_problems_is_kept_with_them(project: Path, pack_reads: list[str]) -> None:
    _edit(project / "policies" / "security.yaml", "severity: error", "severity: fatal")
    first = _lines(project)
    assert any("GC-POLICY" in line for line in first)
    policy_packs._cache.clear()
    pack_reads.clear()
    assert _lines(project) == first and pack_reads == []


def test_an_unreadable_policy_file_is_named_as_without_the_cache(project: Path, pack_reads: list[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # (as root no mode bit refuses a read: the refusal is the OS's answer to opening that one file)
    pack = str(project / "policies" / "security.yaml")
    real_open, real_os_open = open, os.open

    def refused(path: object, *args: object, **kwargs: object) -> object:
        if os.fspath(path) == pack:  # type: ignore[call-overload]
            raise PermissionError(13, "Permission denied", pack)
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    def os_refused(path: object, *args: object, **kwargs: object) -> int:
        if os.fspath(path) == pack:  # type: ignore[call-overload]
            raise PermissionError(13, "Permission denied", pack)
        return real_os_open(path, *args, **kwargs)  # type: ignore[call-overload, no-any-return]

    _lines(project)  # a readable folder, kept in the cache
    policy_packs._cache.clear()
    monkeypatch.setattr("builtins.open", refused)
    monkeypatch.setattr(os, "open", os_refused)
    unreadable = _lines(project)
    assert [line for line in unreadable if "cannot read file: Permission denied" in line], unreadable
    policy_packs._cache.clear()
    assert _lines(project, cache=False) == unreadable  # what a check without the cache says
    monkeypatch.undo()
    policy_packs._cache.clear()
    assert not any("cannot read file" in line for line in _lines(project))  # readable again: read again


def test_an_unwritable_cache_is_no_error(project: Path, parses: list[str]) -> None:
    (project / ".govcloud").write_text("not a folder", "utf-8")
    first = _lines(project)
    assert _lines(project) == first == _lines(project, cache=False)


def test_no_cache_flag_reads_and_writes_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, ["check", "blueprints", "--policies", "policies", "--today", "2026-06-01",
                                      "--format", "json", "--no-cache"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not (project / ".govcloud").exists()
    cached = CliRunner().invoke(app, ["check", "blueprints", "--policies", "policies", "--today", "2026-06-01",
                                      "--format", "json"], catch_exceptions=False)
    assert cached.output == result.output and (project / CACHE_DIR / "files").is_dir()


def _age(path: Path, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then))


def _stale_entry(project: Path, name: str, days: float, size: int = 100) -> Path:
    """An entry no run of this project uses any more (a file since edited away), `days` old."""
    entry = project / CACHE_DIR / "files" / name[:2] / name
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(MAGIC + b"\0" * size)
    _age(entry, days)
    return entry


def test_entries_unused_for_weeks_are_pruned_and_what_the_run_used_is_kept(project: Path,
                                                                         parses: list[str]) -> None:
    first = _lines(project)
    used = _entries(project)
    for entry in used + sorted((project / CACHE_DIR / "results").glob("*")):
        _age(entry, 60)  # written long ago, but this project still reads them
    old = _stale_entry(project, "ab" + "0" * 62, days=file_cache.PRUNE_AGE_DAYS + 1)
    recent = _stale_entry(project, "cd" + "0" * 62, days=1)
    _age(project / CACHE_DIR / "pruned", 1)  # the last prune was a day ago
    parses.clear()
    assert _lines(project) == first
    assert parses == []  # nothing the run needed was lost
    assert not old.exists() and recent.exists()
    assert _entries(project) == sorted([*used, recent])
    assert len(list((project / CACHE_DIR / "results").glob("*"))) == 1


def test_a_cache_over_its_cap_drops_the_least_recently_used_first(project: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    started = time.time()
    _lines(project)
    used = _entries(project)
    stale = [_stale_entry(project, f"{i:02x}" + "1" * 62, days=5 - i, size=10_000) for i in range(5)]
    kept = sum(p.stat().st_size for p in (project / CACHE_DIR).rglob("*") if p.is_file()) - 25_000
    monkeypatch.setattr(file_cache, "PRUNE_CAP_BYTES", kept)
    assert file_cache.prune(project, started, force=True) == 3  # the three oldest, down to the cap
    assert [p.exists() for p in stale] == [False, False, False, True, True]
    assert all(p.exists() for p in used)  # used by the run: never dropped, even over the cap


def test_prune_runs_at_most_once_an_hour_and_spares_a_writer_in_flight(project: Path) -> None:
    _lines(project)
    old = _stale_entry(project, "ef" + "0" * 62, days=file_cache.PRUNE_AGE_DAYS + 1)
    _lines(project)
    assert old.exists()  # pruned a moment ago: the re-check does not list the folder
    folder = project / CACHE_DIR / "files" / "ef"
    crashed, writing = folder / ".tmp-crashed", folder / ".tmp-writing"
    crashed.write_bytes(b"half")
    writing.write_bytes(b"half")
    _age(crashed, 1)
    _age(project / CACHE_DIR / "pruned", 2 * file_cache.PRUNE_EVERY / 86400)
    _lines(project)
    assert not old.exists() and not crashed.exists()
    assert writing.exists()  # a concurrent run's entry being written
