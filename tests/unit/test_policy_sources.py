"""Every quotation in the policies is the guidance's own words, and every rule cites or says it is policy.

The documents quoted are copied into policies/data/sources/ (listed in sources.yaml), so the
test runs on a fresh clone; where the original guidance folder sits beside the repository
(../shared/seeds), the copies are checked against it too.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from govcloud.policy import load_policies

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
SEEDS = ROOT.parent / "shared" / "seeds"
QUOTED = re.compile(r"“([^”]+)”")
# The published 66号 interpretation page carries phonetic annotations after some characters.
ANNOTATION = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")

SOURCES = yaml.safe_load((POLICIES / "data" / "sources.yaml").read_text("utf-8"))["sources"]
TEXTS = {s["id"]: (POLICIES / "data" / s["file"]).read_text("utf-8") for s in SOURCES}
RULES = load_policies(POLICIES).rules


def _in_any(quote: str) -> bool:
    return any(quote in text for text in TEXTS.values())


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_citation_is_verbatim_in_its_source(rule: object) -> None:
    for c in rule.citations:  # type: ignore[attr-defined]
        assert c.source in TEXTS, f"{rule.id}: unknown source {c.source}"  # type: ignore[attr-defined]
        assert c.quote in TEXTS[c.source], f"{rule.id}: not verbatim in {c.source}: {c.quote}"  # type: ignore[attr-defined]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_quotes_the_guidance_or_says_it_is_policy(rule: object) -> None:
    assert rule.citations or rule.policy, rule.id  # type: ignore[attr-defined]
    for quote in QUOTED.findall(rule.basis):  # type: ignore[attr-defined]
        assert _in_any(quote), f"{rule.id}: quoted text not in any source: {quote}"  # type: ignore[attr-defined]


def test_no_basis_or_help_names_internal_documents() -> None:
    for rule in RULES:
        for text in (rule.basis, rule.rationale, rule.hint):
            assert not re.search(r"DESIGN|seed \d|govcloud/\w+/|\.py\b", text), (rule.id, text)


def test_quotations_in_policy_data_and_the_example_city_are_verbatim() -> None:
    files = sorted((POLICIES / "data").glob("*.yaml")) + [ROOT / "blueprints" / "city.yaml"]
    for path in files:
        for quote in QUOTED.findall(path.read_text("utf-8")):
            assert _in_any(quote), f"{path.name}: quoted text not in any source: {quote}"


def test_guidance_sources_are_copies_of_the_seeds() -> None:
    if not SEEDS.is_dir():
        pytest.skip("the original guidance documents are not beside this checkout")
    seeds = [ANNOTATION.sub("", p.read_text("utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    for source in SOURCES:
        if source["kind"] != "guidance":
            continue
        text = TEXTS[source["id"]].rstrip("\n")
        assert any(text in seed for seed in seeds), source["id"]


def test_explain_shows_every_quotation_with_its_clause() -> None:
    from govcloud.policy.explain import explain_rule

    for rule in RULES:
        text = explain_rule(rule)
        flat = re.sub(r"\s+", "", text)
        for c in rule.citations:
            assert f"{c.title} · {c.clause}" in text, rule.id
            assert re.sub(r"\s+", "", f"“{c.quote}”") in flat, rule.id
        if rule.policy:
            assert "City policy (not a quotation)" in text, rule.id
