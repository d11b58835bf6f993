"""`policy explain` shows the policy data a rule names, resolved: the lists, not `${…}`."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from govcloud.cli import app
from govcloud.policy import load_policies
from govcloud.policy.explain import explain_rule

ROOT = Path(__file__).resolve().parents[2]
POLICIES = load_policies(ROOT / "policies")


def _explain(rule_id: str, today: date) -> str:
    rule = POLICIES.rule(rule_id)
    assert rule is not None
    return explain_rule(rule, POLICIES.data, today)


def _data_section(text: str) -> str:
    return text.split("\nPolicy data, as of ")[1].split("\n\n")[0]


def test_the_approved_products_are_listed_with_their_expiry() -> None:
    text = _explain("GC-XC-001", date(2026, 6, 1))
    assert "Policy data, as of 2026-06-01" in text
    assert "${approved.images} = images listed today in data/approved-products.yaml:" in text
    assert "    kylin-v10-server     expires 2027-12-30  银河麒麟高级服务器操作系统 V10\n" in text
    assert "    dm8                  expires 2027-12-30  达梦数据库管理系统 DM8\n" in text
    assert "openeuler-22.03-lts" in _data_section(text).split("${approved.advisoryImages}")[1]


def test_a_lapsed_listing_is_shown_apart() -> None:
    text = _explain("GC-XC-001", date(2028, 1, 1))
    images = _data_section(text).split("${approved.images}")[1].split("${approved.advisoryImages}")[0]
    assert "kylin-v11-server" in images
    assert "    not current: kylin-v10-server (expired 2027-12-30)\n" in images
    assert "    kylin-v10-server     expires" not in images


def test_data_lists_and_derived_lists_are_resolved() -> None:
    text = _explain("GC-SITE-002", date(2026, 6, 1))
    assert "${data.site-columns.required} = from data/site-columns.yaml:\n    information-release  信息发布\n" in text
    shared = _data_section(_explain("GC-DUP-001", date(2026, 6, 1))).split("${derived.sharedFunctions}")[1]
    assert "document-exchange" in shared and "video-conference" in shared


def test_a_rule_without_policy_data_has_no_section() -> None:
    assert "Policy data" not in _explain("GC-SEC-005", date(2026, 6, 1))


def test_the_cli_resolves_as_of_today_option() -> None:
    result = CliRunner().invoke(app, ["policy", "explain", "GC-XC-001", "--policies", str(ROOT / "policies"),
                                      "--today", "2028-01-01"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "not current: kylin-v10-server (expired 2027-12-30)" in result.stdout
    assert "${approved.images} = images listed today" in result.stdout
