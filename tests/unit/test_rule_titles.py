"""Every rule has a Chinese title beside its English one, shown wherever rules are listed."""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli import app
from govcloud.policy import CheckResult, Rule, check, load_policies
from govcloud.policy.formats.text import render_plain
from govcloud.report import render_findings_html

ROOT = Path(__file__).resolve().parents[2]
RULES = load_policies(ROOT / "policies").rules
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_every_rule_has_a_chinese_title(rule: Rule) -> None:
    assert CJK.search(rule.title_zh), f"{rule.id} has no titleZh in policies/{rule.pack}.yaml"
    assert rule.title_zh != rule.title and "\n" not in rule.title_zh


def test_policy_list_shows_both_titles() -> None:
    runner = CliRunner()
    text = runner.invoke(app, ["policy", "list", "--policies", str(ROOT / "policies")], catch_exceptions=False)
    assert "A department stays within its quota" in text.stdout and "部门资源不超出核定配额" in text.stdout
    listed = runner.invoke(app, ["policy", "list", "--policies", str(ROOT / "policies"), "-f", "json"],
                           catch_exceptions=False)
    cap = next(r for r in json.loads(listed.stdout) if r["id"] == "GC-CAP-001")
    assert cap["titleZh"] == "部门资源不超出核定配额"


def _checked(mini_city: Path) -> CheckResult:
    slj = mini_city / "departments" / "slj.yaml"
    slj.write_text(slj.read_text("utf-8").replace("ipv6: true", "ipv6: false"), "utf-8")  # GC-SITE-003
    return check([str(mini_city)], policies=ROOT / "policies", today=date(2026, 6, 1), cache=False)


def test_check_text_lists_the_rules_behind_the_findings(mini_city: Path) -> None:
    result = _checked(mini_city)
    text = render_plain(result)
    legend = text.split("rules 规则\n")[1]
    assert legend.startswith("GC-SITE-003  Sites are reachable over IPv6\n             网站支持IPv6访问\n")
    assert "GC-CAP-001" not in legend  # only rules that fired


def test_the_html_report_shows_both_titles(mini_city: Path) -> None:
    result = _checked(mini_city)
    html = render_findings_html(result)
    assert "Sites are reachable over IPv6<br>网站支持IPv6访问" in html
