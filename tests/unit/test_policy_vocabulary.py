"""The function vocabulary: ids, synonyms, shared platforms, suggestions, and the older data form."""
from __future__ import annotations

import shutil
from pathlib import Path

from govcloud.policy import load_policies
from govcloud.policy.vocabulary import Vocabulary

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"


def vocabulary() -> Vocabulary:
    return Vocabulary.of(load_policies(POLICIES).data)


def test_synonyms_stand_for_their_id() -> None:
    v = vocabulary()
    assert v.resolve("office-automation-system") == "oa" and v.resolve("portal") == "website"
    assert v.resolve("hukou-registry") == "household-registry" and v.resolve("unknown-term") == "unknown-term"
    oa = v.get("office-automation-system")
    assert oa is not None and oa.platform == "oa" and oa.name.startswith("办公自动化")


def test_shared_terms_are_the_platforms_functions_and_their_synonyms() -> None:
    shared = set(vocabulary().shared_terms())
    assert {"oa", "office-automation-system", "website", "portal", "document-exchange", "data-exchange",
            "video-conference", "e-mail", "administrative-approval", "administrative-penalty",
            "administrative-complaint", "emergency-command"} <= shared
    assert "river-monitoring" not in shared and "household-registry" not in shared


def test_every_platform_of_a_function_is_a_shared_platform() -> None:
    data = load_policies(POLICIES).data
    platforms = {p["id"] for p in data["shared-platforms"]["platforms"]}
    assert {f.platform for f in vocabulary().functions if f.platform} <= platforms


def test_suggestions_for_unknown_terms() -> None:
    v = vocabulary()
    assert v.suggest("river-monitorng") == "river-monitoring"
    assert v.suggest("self-service-tax-terminal") == "self-service-tax-terminals"
    assert v.suggest("our-own-portal") == "website"       # a word of it is a term
    assert v.suggest("zzz") is None


def test_the_older_shared_platforms_form_still_counts(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES, folder)
    (folder / "data" / "functions.yaml").unlink()
    (folder / "data" / "shared-platforms.yaml").write_text(
        "functions:\n  - {id: oa, title: 办公自动化系统, platform: oa}\n  - {id: e-mail, title: 政务电子邮件系统}\n",
        "utf-8")
    policies = load_policies(folder)
    # only examples that name synonyms or ids the older form lacks are untrue with it
    assert [p.message for p in policies.problems] == [
        "GC-DUP-001: its failing example does not make the rule fire",
        "GC-DUP-003: its failing example does not make the rule fire",
        "GC-STD-002: its passing example makes the rule fire"]
    v = Vocabulary.of(policies.data)
    assert v.shared_terms() == ["e-mail", "oa"]


def test_a_citation_of_an_unknown_source_is_a_policy_problem(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    shutil.copytree(POLICIES, folder)
    pack = folder / "network.yaml"
    pack.write_text(pack.read_text("utf-8").replace("source: foshan\n", "source: fosan\n", 1), "utf-8")
    problems = load_policies(folder).problems
    assert any("unknown source 'fosan'" in p.message for p in problems)
