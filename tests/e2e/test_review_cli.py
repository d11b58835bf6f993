"""`govcloud review --base REF` on a two-commit repository: the deltas a pull request shows.

Regenerate the golden file with `pytest tests/e2e/test_review_cli.py --update-golden`.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli import app

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "review" / "change.md"
TODAY = "2026-06-01"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=市数据局", "-c", "user.email=review@foshan.gov.cn", "-c",
                    "commit.gpgsign=false", *args], cwd=repo, check=True, capture_output=True)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example city committed, then a department's change committed on top of it."""
    shutil.copytree(ROOT / "blueprints", tmp_path / "blueprints")
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "blueprints", "policies")
    git(tmp_path, "commit", "-q", "-m", "the example city")
    blueprints = tmp_path / "blueprints"
    edit(blueprints / "requests" / "nhzsj.yaml", "district: nanhia", "district: nanhai")        # fixes GC-STD-003
    edit(blueprints / "requests" / "xfj.yaml", "quota: {vcpu: 16,", "quota: {vcpu: 64,")       # asks for more…
    edit(blueprints / "requests" / "xfj.yaml", "count: 1, vcpu: 8", "count: 4, vcpu: 8")      # …uses more: CAP-001
    edit(blueprints / "departments" / "slj.yaml", "      function: flood-forecasting\n      network: extranet\n"
         "      mlps: 2\n", "      function: flood-forecasting\n      network: extranet\n      mlps: 2\n"
         "      retire: 2026-05-31\n")                                                       # 下线: plan deletes it
    git(tmp_path, "commit", "-q", "-am", "xfj grows, nhzsj's district, slj retires flood forecasting")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def review(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["review", "--base", "HEAD~1", "--today", TODAY, *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def test_review_shows_the_deltas_of_the_change(repo: Path) -> None:
    code, out = review("--format", "json")
    assert code == 1  # the change introduces an error
    data = json.loads(out)
    added = {(f["rule"], f["department"], f["system"]) for f in data["findings"]["added"]}
    fixed = {(f["rule"], f["department"], f["system"]) for f in data["findings"]["fixed"]}
    assert added == {("GC-CAP-001", "xfj", None)}
    assert fixed == {("GC-STD-003", "nhzsj", None), ("GC-SEC-003", "xfj", "petition-handling")}
    assert data["findings"]["errorsAdded"] == 1
    plan = data["plan"]
    assert plan["summary"]["create"] == 0 and plan["summary"]["update"] == 0
    assert plan["summary"]["delete"] == 12
    assert all(n.startswith("slj/systems/flood-forecasting/") for n in plan["delete"])
    cost = {d["name"]: d["change"] for d in data["chargeback"]}
    assert cost["slj"] < 0 < cost["xfj"] and set(cost) == {"slj", "xfj", "total"}
    assert cost["total"] == pytest.approx(cost["slj"] + cost["xfj"])
    capacity = {d["name"]: d["change"] for d in data["capacity"]}
    assert capacity["vCPU"] == 24 - 8 and capacity["Granted vCPU"] == 0 and capacity["Reclaimed vCPU (下线)"] == 8
    assert data["files"] == ["blueprints/departments/slj.yaml", "blueprints/requests/nhzsj.yaml",
                             "blueprints/requests/xfj.yaml"]


def test_review_markdown_is_a_pull_request_comment(repo: Path, update_golden: bool) -> None:
    code, out = review("--format", "markdown")
    assert code == 1 and str(repo) not in out and "govcloud-review-" not in out
    if update_golden:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(out, "utf-8")
    assert GOLDEN.exists(), "missing golden file; run pytest --update-golden"
    assert out == GOLDEN.read_text("utf-8")


def test_a_change_that_only_fixes_passes(repo: Path) -> None:
    edit(repo / "blueprints" / "requests" / "xfj.yaml", "count: 4, vcpu: 8", "count: 2, vcpu: 8")
    code, out = review()
    assert code == 0, out
    assert "introduces no error" in out and "GC-STD-003" in out


def test_review_of_an_unknown_base_is_a_usage_error(repo: Path) -> None:
    result = CliRunner().invoke(app, ["review", "--base", "no-such-branch"], catch_exceptions=False)
    assert result.exit_code == 2 and "GC-USAGE" in result.stderr
