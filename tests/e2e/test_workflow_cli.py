"""The request workflow as a department and the data bureau run it: init, check, approve, migrate."""
from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "blueprints", tmp_path / "blueprints")
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_init_writes_a_request_whose_next_command_works(city: Path) -> None:
    code, _, err = run("init", "jrj", "--name", "佛山市金融工作局", "--project", "FS-2026-IT-0042")
    assert code == 0 and (city / "blueprints" / "requests" / "jrj.yaml").exists()
    suggested = re.search(r"^ +\d\. govcloud (check .+)$", err, re.MULTILINE)  # one of the next steps
    assert suggested, err
    code, out, err = run(*shlex.split(suggested[1]), "--today", "2026-06-01")
    assert code in (0, 1) and "jrj" in out and "no City" not in err  # judged against the whole city
    assert all(f"{name}.yaml" not in out for name in ("ybj", "xfj", "slj"))


def test_validate_of_one_department_file_finds_its_project(city: Path) -> None:
    code, _, err = run("validate", "blueprints/departments/slj.yaml")
    assert code == 0, err
    assert "1 department" in err


def test_approve_from_the_command_line(city: Path) -> None:
    shutil.copy(city / "blueprints" / "requests" / "nhzsj.yaml", city / "nhzsj.bak")
    text = (city / "blueprints" / "requests" / "nhzsj.yaml").read_text("utf-8")
    code, out, err = run("approve", "nhzsj", "--ref", "佛数审〔2026〕50号", "--by", "市政务服务数据管理局",
                         "--date", "2026-06-01")
    assert code == 1 and "GC-STD-003" in out and "not approved" in err
    assert (city / "blueprints" / "requests" / "nhzsj.yaml").read_text("utf-8") == text
    (city / "blueprints" / "requests" / "nhzsj.yaml").write_text(text.replace("nanhia", "nanhai"), "utf-8")
    code, _, err = run("approve", "nhzsj", "--ref", "佛数审〔2026〕50号", "--by", "市政务服务数据管理局",
                       "--date", "2026-06-01")
    assert code == 0, err
    assert "blueprints/departments/nhzsj.yaml" in err and "approvals.yaml" in err
    register = (city / "blueprints" / "city" / "approvals.yaml").read_text("utf-8")
    assert register.endswith("  - department: nhzsj\n    reference: 佛数审〔2026〕50号\n"
                             "    approver: 市政务服务数据管理局\n"
                             "    date: 2026-06-01\n    scope: [town-service-centres]\n")
    code, _, _ = run("check", "blueprints/departments/nhzsj.yaml", "--today", "2026-06-01")
    assert code == 0


def test_approve_of_an_unknown_request_is_a_usage_error(city: Path) -> None:
    code, _, err = run("approve", "qxj", "--ref", "x", "--by", "y")
    assert code == 2 and "GC-USAGE" in err and "init qxj" in err


def test_migrate_registers_on_a_city_without_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "tests" / "data" / "mini", tmp_path / "blueprints")
    monkeypatch.chdir(tmp_path)
    code, _, err = run("approve", "slj", "--ref", "x", "--by", "y")
    assert code == 2 and "migrate registers" in err            # no register yet: adopt them first
    code, _, err = run("migrate", "registers", "--ref", "佛数审〔2026〕1号", "--by", "市政务服务数据管理局",
                       "--date", "2026-06-01")
    assert code == 0, err
    assert (tmp_path / "blueprints" / "city" / "grants.yaml").exists()
    code, out, _ = run("check", "blueprints", "--policies", str(ROOT / "policies"), "--today", "2026-06-01")
    assert code == 0, out


def test_check_of_a_request_with_the_city_file_has_no_false_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, _ = run("check", "blueprints/requests/ybj.yaml", "blueprints/city.yaml", "--today", "2026-06-01",
                       "--format", "json")
    rules = sorted(f["rule"] for f in json.loads(out)["findings"])
    assert code == 1 and rules == ["GC-CAP-001", "GC-DUP-001", "GC-OA-001"]   # no GC-DATA-001
