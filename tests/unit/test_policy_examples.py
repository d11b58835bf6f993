"""The examples `govcloud policy explain` shows are true: the failing one fires, the passing one does not."""
from __future__ import annotations

from pathlib import Path

import pytest

from govcloud.policy import Rule, check, load_policies
from govcloud.policy.examples import BASE_DEPARTMENT, EXAMPLES_DAY, build, example, merge_patch
from govcloud.policy.explain import explain_rule

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
RULES = load_policies(POLICIES).rules


def _run(tmp_path: Path, rule: Rule, which: str) -> list[str]:
    ex = example(rule, which)
    for name, text in ex.blueprints.items():
        target = tmp_path / "blueprints" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")
    waivers = None
    if ex.waivers is not None:
        waivers = tmp_path / "waivers.yaml"
        waivers.write_text(ex.waivers, "utf-8")
    result = check([str(tmp_path / "blueprints")], policies=POLICIES, waivers=waivers, today=EXAMPLES_DAY)
    return [f.rule for f in result.findings if not f.waived]


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_failing_example_fires_and_passing_example_does_not(tmp_path: Path, rule: Rule) -> None:
    assert rule.examples, f"{rule.id} has no examples for `policy explain`"
    assert rule.id in _run(tmp_path / "fail", rule, "fail")
    assert rule.id not in _run(tmp_path / "pass", rule, "pass")


def test_the_baseline_department_is_compliant(tmp_path: Path) -> None:
    ex = build({})
    assert set(ex.blueprints) == {"city.yaml", "departments/slj.yaml"}
    for name, text in ex.blueprints.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, "utf-8")
    assert check([str(tmp_path)], policies=POLICIES, today=EXAMPLES_DAY).findings == ()


def test_merge_patch_follows_rfc_7386() -> None:
    patched = merge_patch(BASE_DEPARTMENT, {"spec": {"oa": None, "quota": {"vcpu": 1}}, "metadata": {"code": "x"}})
    assert "oa" not in patched["spec"] and patched["spec"]["quota"] == {"vcpu": 1, "memoryGiB": 256, "storageTiB": 10}
    assert patched["metadata"]["code"] == "x" and BASE_DEPARTMENT["metadata"]["code"] == "slj"


def test_explain_shows_basis_check_and_both_examples() -> None:
    text = explain_rule(next(r for r in RULES if r.id == "GC-SEC-001"))
    assert text.startswith("GC-SEC-001 · error · pack security\n"
                           "Level 2 and above back up off site; level 3 and above in real time\n")
    for part in ("Basis (quotations are the exact words of the document)\n", "GB/T 22239-2019 · 第三级",
                 "“应提供异地实时备份功能，利用通信网络将重要数据实时备份至备份场地”",
                 "Why\n", "Fix\n", "How it is checked\n", "minimum: 2",
                 "Failing example", "offsite: false", "Passing example", "offsite: true"):
        assert part in text


def test_the_shipped_examples_still_hold_years_from_now(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Examples are judged as of their own day: a calendar years ahead (listings expired, every
    assessment in them overdue) must not turn the shipped packs into GC-POLICY errors."""
    import datetime

    from govcloud.policy import packs, selfcheck

    class Later(datetime.date):
        @classmethod
        def today(cls) -> Later:
            return cls(2031, 1, 1)

    monkeypatch.setattr(selfcheck, "date", Later)
    monkeypatch.setenv("GOVCLOUD_CACHE_DIR", str(tmp_path / "cache"))  # judged afresh, not from a verdict
    monkeypatch.setattr(packs, "_cache", {})  # nor from this process's earlier read
    policies = load_policies(POLICIES)
    assert [p.message for p in policies.problems] == []
    assert list((tmp_path / "cache").rglob("*")), "the verdict is kept"
