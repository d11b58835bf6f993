"""A re-check from the cache prints exactly what a check without it prints, byte for byte, after
any change a reviewer makes: a department's file, the City, one of its registers, a policy, the
waivers or the day it is judged as of. A torn cache entry is never trusted."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from govcloud.load import load
from govcloud.load.cache import CACHE_DIR
from govcloud.load.lazy import LazyDocument
from govcloud.policy import check, checks, load_policies
from govcloud.policy.checks import CheckContext
from govcloud.policy.scope import static_scope
from govcloud.policy.template import STATIC, substitute

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 6, 1)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The example city (departments, requests, the City's registers) and its own policies."""
    shutil.copytree(ROOT / "blueprints", tmp_path / "blueprints")
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    return tmp_path


def _json(project: Path, today: date = TODAY, cache: bool = True) -> str:
    return check([str(project / "blueprints")], policies=project / "policies", today=today, cache=cache).to_json()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), "utf-8")


WAIVER = """apiVersion: govcloud/v1
kind: Waivers
waivers:
  - rule: GC-CAP-001
    department: ybj
    reason: the grant is being raised
    approver: 市政务服务数据管理局
    reference: 佛数审〔2026〕99号
    expires: 2026-12-31
"""

CHANGES: dict[str, Callable[[Path], None]] = {
    # a department's own file: its MLPS level, read by a declarative rule and the MLPS records check
    "department": lambda p: _edit(p / "blueprints" / "departments" / "czj.yaml",
                                  "function: treasury-payment\n      network: extranet\n      mlps: 3",
                                  "function: treasury-payment\n      network: extranet\n      mlps: 2"),
    # the City: the data centre's own level bounds every department's systems (GC-SEC-004)
    "city": lambda p: _edit(p / "blueprints" / "city.yaml", "    mlps: 4 ", "    mlps: 2 "),
    # a register beside city.yaml: a grant raised, so a department's request fits (GC-CAP-001)
    "grants register": lambda p: _edit(p / "blueprints" / "city" / "grants.yaml",
                                       "department: ybj\n    quota: {vcpu: 16,",
                                       "department: ybj\n    quota: {vcpu: 32,"),
    # a record naming a system its department does not have (GC-FLOW-002, read from the department's document)
    "register entry": lambda p: _edit(p / "blueprints" / "city" / "mlps.yaml",
                                      "system: decision-support", "system: decision-supports"),
    "mlps register": lambda p: _edit(p / "blueprints" / "city" / "mlps.yaml",
                                     "filing: 44060090019-21019\n    assessed: 2025-04-18",
                                     "filing: 44060090019-21019\n    assessed: 2026-04-18"),
    # a policy pack's parameter: level-3 systems assessed every two years instead of yearly
    "policy": lambda p: _edit(p / "policies" / "mlps.yaml", 'intervalMonths: {"2": 24, "3": 12, "4": 6}',
                              'intervalMonths: {"2": 24, "3": 24, "4": 6}'),
    "waivers": lambda p: (p / "policies" / "waivers.yaml").write_text(WAIVER, "utf-8"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_recheck_after_a_change_prints_what_a_cold_check_prints(project: Path, change: str) -> None:
    before = _json(project)
    assert _json(project) == before == _json(project, cache=False)  # warm, nothing changed
    CHANGES[change](project)
    after = _json(project)
    assert after != before  # the change shows in the output...
    assert after == _json(project, cache=False)  # ...exactly as a check without the cache shows it
    assert _json(project) == after


def test_a_recheck_as_of_another_day_prints_what_a_cold_check_prints(project: Path) -> None:
    before = _json(project)
    later = date(2026, 9, 1)  # more systems are overdue for assessment (GC-MLPS-002)
    after = _json(project, today=later)
    assert after != before
    assert after == _json(project, today=later, cache=False)
    assert _json(project) == before  # and back again, from the cache


@pytest.mark.parametrize("damage", ["torn", "empty"])
def test_a_torn_entry_is_ignored(project: Path, damage: str) -> None:
    before = _json(project)
    entries = [p for p in (project / CACHE_DIR).rglob("*") if p.is_file() and p.name != "pruned"]
    assert any(p.parent.name == "results" for p in entries)
    for entry in entries:  # as a crash mid-write would leave it, if writes were not atomic
        blob = entry.read_bytes()
        entry.write_bytes(blob[: len(blob) // 2] if damage == "torn" else b"")
    assert _json(project) == before
    assert _json(project) == before  # rewritten whole: the next re-check reads them


def test_every_finding_of_a_local_check_names_a_department_of_the_city() -> None:
    """The cache keeps a local check's findings with the department each names (runner._evaluate)."""
    result = check([str(ROOT / "blueprints")], policies=ROOT / "policies", today=TODAY, cache=False)
    project = result.project
    assert project is not None
    policies = load_policies(ROOT / "policies")
    scope = static_scope(project.city, policies.data, TODAY)
    codes = {d.code for d in project.departments}
    local = [r for r in policies.rules if r.check and (c := checks.get(r.check)) is not None and c.local]
    assert len(local) >= 5
    seen = 0
    for rule in local:
        check_ = checks.get(rule.check or "")
        assert check_ is not None and check_.fn is not None
        for f in check_.fn(rule, substitute(rule.params, scope, STATIC), CheckContext(project, scope, TODAY)):
            assert f.department in codes, (rule.id, f.message)
            seen += 1
    assert seen > 0


def test_a_recheck_of_an_edited_failing_department_reuses_the_explanations_of_its_failures(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from govcloud.policy import declarative

    _json(project)
    asked: list[object] = []
    real = declarative.validator_for
    monkeypatch.setattr(declarative, "validator_for", lambda *a: asked.append(a) or real(*a))
    # sws's systems fail several rules; its headcount is read by none of them
    _edit(project / "blueprints" / "requests" / "sws.yaml", "headcount: 1500", "headcount: 1600")
    warm = _json(project)
    assert asked == []  # jsonschema was not asked again how the same failures fail
    assert warm == _json(project, cache=False) and asked


def test_a_recheck_reports_a_department_files_own_problems_as_a_cold_check(project: Path) -> None:
    """A department's consistency problems are kept in its file's cache entry; its file-name
    check is made afresh (it reads the folder the file is in now)."""
    departments = project / "blueprints" / "departments"
    _edit(departments / "czj.yaml", "    - name: treasury-payment", "    - name: budget-management")
    (departments / "czj.yaml").rename(departments / "caizheng.yaml")  # named after no department
    cold = _json(project, cache=False)
    assert "duplicate system name 'budget-management'" in cold and "its file must be named czj.yaml" in cold
    assert _json(project) == cold  # filling the cache
    assert _json(project) == cold  # from it
    (departments / "caizheng.yaml").rename(departments / "czj.yaml")
    fixed = _json(project, cache=False)
    assert "its file must be named" not in fixed and "duplicate system name" in fixed
    assert _json(project) == fixed


def test_a_department_reread_from_the_cache_is_the_one_built_from_its_file(project: Path) -> None:
    """An unchanged department comes back from its record without unpacking its document; the
    document, once read, holds what was parsed, and the locations kept are the ones it gives."""
    blueprints = [str(project / "blueprints")]
    parsed = load(blueprints, jobs=1, cache=project).project
    reread = load(blueprints, jobs=1, cache=project).project
    assert parsed is not None and reread is not None
    assert reread.departments == parsed.departments
    for old, new in zip(parsed.departments, reread.departments, strict=True):
        assert isinstance(new.doc, LazyDocument) and not isinstance(old.doc, LazyDocument)
        assert [s.path for s in new.systems] == [s.path for s in old.systems]
        assert (new.doc.file, new.doc.index) == (old.doc.file, old.doc.index)
        kept = [("metadata", "code")] + [s.path + ("function",) for s in old.systems]
        assert [new.location_of(p) for p in kept] == [old.location_of(p) for p in kept]
        assert "data" not in vars(new.doc)  # not unpacked for any of that
        assert new.location_of(("spec",), key=True) == old.location_of(("spec",), key=True)
        assert new.doc.data == old.doc.data and dict(new.doc.values) == dict(old.doc.values)
