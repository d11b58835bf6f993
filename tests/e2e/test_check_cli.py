"""The reviewer's day with `govcloud check` and `govcloud policy`: exit codes, formats, errors."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
# Expiries in policies/data (approved products, waivers) are judged as of this day, not the real one.
TODAY = "2026-06-01"


def run(*args: str) -> tuple[int, str, str]:
    argv = list(args)
    if argv[0] == "check" and "--today" not in argv:
        argv += ["--today", TODAY]
    result = runner.invoke(app, argv, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def _break(city: Path, old: str, new: str, name: str = "departments/slj.yaml") -> None:
    path = city / name
    path.write_text(path.read_text("utf-8").replace(old, new, 1), "utf-8")


def test_a_clean_city_exits_0(mini_city: Path) -> None:
    code, out, _ = run("check", str(mini_city))
    assert code == 0 and "0 errors, 0 warnings" in out


def test_a_policy_error_exits_1_and_a_warning_does_not(mini_city: Path) -> None:
    _break(mini_city, "ipv6: true", "ipv6: false")
    assert run("check", str(mini_city))[0] == 0
    assert run("check", str(mini_city), "--fail-on", "warning")[0] == 1
    _break(mini_city, "network: extranet", "network: dedicated")
    code, out, _ = run("check", str(mini_city))
    assert code == 1 and "GC-NET-001" in out and "GC-SITE-003" in out


def test_schema_errors_are_findings_and_exit_2(mini_city: Path) -> None:
    _break(mini_city, "      mlps: 2", "      mlsp: 2")
    code, out, _ = run("check", str(mini_city), "--format", "json")
    data = json.loads(out)
    assert code == 2 and [f["rule"] for f in data["findings"]] == ["GC-SCHEMA"]
    assert data["findings"][0]["line"] == 22 and data["findings"][0]["basis"]


def test_an_unknown_path_exits_2() -> None:
    code, _, err = run("check", "no/such/blueprints")
    assert code == 2 and "GC-USAGE no such file or directory: no/such/blueprints" in err


def test_a_broken_policy_pack_exits_2(mini_city: Path, tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "bad.yaml").write_text("apiVersion: govcloud/v1\nkind: PolicyPack\nmetadata: {name: bad}\nrulez: []\n")
    code, out, _ = run("check", str(mini_city), "--policies", str(folder))
    assert code == 2 and "GC-POLICY" in out and "unknown key 'rulez'" in out


def test_missing_policy_folder_or_waivers_file_exits_2(mini_city: Path, tmp_path: Path) -> None:
    code, _, err = run("check", str(mini_city), "--policies", str(tmp_path / "none"))
    assert code == 2 and "no policy folder" in err
    code, _, err = run("check", str(mini_city), "--waivers", str(tmp_path / "none.yaml"))
    assert code == 2 and "no waivers file" in err
    code, _, err = run("check", str(mini_city), "--today", "tomorrow")
    assert code == 2 and "--today 'tomorrow' is not a date" in err


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "text"])
def test_output_goes_to_a_file(mini_city: Path, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"report.{fmt}"
    code, out, err = run("check", str(mini_city), "--format", fmt, "--output", str(target))
    assert code == 0 and out == "" and f"wrote {target}" in err and target.stat().st_size > 0


def test_check_defaults_to_the_projects_blueprints_and_policies(mini_city: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(mini_city.parent)  # a project without policies/: the shipped ones apply
    code, out, _ = run("check")
    assert code == 0 and "2 departments" in out


def test_the_text_report_fits_80_columns(tmp_path: Path) -> None:
    target = tmp_path / "r.txt"
    run("check", "tests/data/check", "--waivers", "tests/data/check/waivers.yaml", "--output", str(target))
    from rich.cells import cell_len

    assert max(cell_len(line) for line in target.read_text("utf-8").splitlines()) <= 80


def test_policy_list() -> None:
    code, out, _ = run("policy", "list")
    assert code == 0 and "GC-NET-001" in out and "GC-WAIVER-002" in out
    code, out, _ = run("policy", "list", "--format", "json")
    rules = json.loads(out)
    assert code == 0 and {r["id"] for r in rules} >= {"GC-SCHEMA", "GC-DUP-003", "GC-CAP-002"}
    dup = next(r for r in rules if r["id"] == "GC-DUP-003")
    assert dup["kind"] == "builtin" and dup["check"] == "duplicate-function" and dup["basis"]


def test_policy_explain() -> None:
    code, out, _ = run("policy", "explain", "GC-NET-002")
    assert code == 0
    for part in ("GC-NET-002 · error", "Basis", "“一个是政务外网,一个是政务内网(涉密网)”", "一(一)三是统一网络平台",
                 "City policy (not a quotation)", "Why", "Failing example", "Passing example",
                 "network: extranet", "network: intranet"):
        assert part in out
    code, _, err = run("policy", "explain", "GC-NET-02")
    assert code == 2 and "unknown rule GC-NET-02" in err and "did you mean GC-NET-002?" in err


def test_a_projects_own_waivers_apply_with_the_shipped_packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    shutil.copytree(ROOT / "tests" / "data" / "mini", tmp_path / "blueprints")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "waivers.yaml").write_text(
        "waivers:\n  - {rule: GC-NET-001, department: slj, reason: r, approver: a, reference: 佛数审〔2026〕1号,"
        " expires: 2099-12-31}\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("check", "--format", "json")
    assert code == 0 and [f["rule"] for f in json.loads(out)["findings"]] == ["GC-WAIVER-002"]
