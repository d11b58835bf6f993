"""The department officer's day: scaffold, validate, read the errors, fix them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        result = runner.invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def test_the_example_city_validates() -> None:
    code, out, err = run("validate", str(ROOT / "blueprints"))
    assert code == 0, out + err
    assert out == ""
    assert "are valid" in err


def test_validate_defaults_to_the_projects_blueprints(mini_city: Path) -> None:
    code, _, err = run("validate", cwd=mini_city.parent)
    assert code == 0 and "2 departments" in err


def test_errors_are_one_line_each_with_exit_code_2(mini_city: Path) -> None:
    slj = mini_city / "departments" / "slj.yaml"
    slj.write_text(slj.read_text("utf-8").replace("      mlps: 2\n", "      mlps: 2\n      clasified: true\n"), "utf-8")
    code, out, err = run("validate", str(mini_city))
    assert code == 2
    assert out.splitlines() == [
        f"{slj}:23:7: GC-SCHEMA unknown key 'clasified' in spec.systems[0] (hint: did you mean 'classified'?)"
    ]
    assert "Traceback" not in out + err


def test_validate_json(mini_city: Path) -> None:
    (mini_city / "departments" / "gaj.yaml").write_text("kind: Bureau\n", "utf-8")
    code, out, _ = run("validate", str(mini_city), "--format", "json")
    assert code == 2
    body = json.loads(out)
    assert body["valid"] is False
    [finding] = body["findings"]
    assert (finding["rule"], finding["line"], finding["column"]) == ("GC-SCHEMA", 1, 7)


def test_a_missing_path_is_a_usage_error() -> None:
    code, _out, err = run("validate", "no/such/dir")
    assert code == 2
    assert err.strip() == ("GC-USAGE no such file or directory: no/such/dir "
                           "(hint: give a blueprint file or a directory of blueprints)")


def test_init_writes_a_blueprint_that_validates(mini_city: Path) -> None:
    code, _, err = run("init", "nyncj", "--name", "市农业农村局", "--project", "FS-2026-IT-0200", cwd=mini_city.parent)
    assert code == 0, err
    written = mini_city / "requests" / "nyncj.yaml"   # a request, under review; `approve` moves it
    text = written.read_text("utf-8")
    assert "host: nyncj.foshan.gov.cn" in text and "市农业农村局" in text and "异地备份" in text
    assert run("validate", str(mini_city))[0] == 0


def test_init_refuses_to_overwrite_without_force(mini_city: Path) -> None:
    assert run("init", "nyncj", "--name", "市农业农村局", cwd=mini_city.parent)[0] == 0
    before = (mini_city / "requests" / "nyncj.yaml").read_text("utf-8")
    code, _, err = run("init", "nyncj", "--name", "市农业农村局", cwd=mini_city.parent)
    assert code == 2 and "already exists" in err and "--force" in err
    assert (mini_city / "requests" / "nyncj.yaml").read_text("utf-8") == before
    code, _, _ = run("init", "nyncj", "--name", "市农业农村局", "--force", cwd=mini_city.parent)
    assert code == 0
    assert run("validate", str(mini_city))[0] == 0


def test_init_refuses_the_code_of_an_approved_department(mini_city: Path) -> None:
    before = (mini_city / "departments" / "slj.yaml").read_text("utf-8")
    for extra in ((), ("--force",)):
        code, _, err = run("init", "slj", "--name", "市水利局", *extra, cwd=mini_city.parent)
        assert code == 2 and "already approved" in err and "departments/slj.yaml" in err
    assert (mini_city / "departments" / "slj.yaml").read_text("utf-8") == before
    assert not (mini_city / "requests" / "slj.yaml").exists()


@pytest.mark.parametrize("args,message", [
    (("init", "SLJ", "--name", "x"), "does not match"),
    (("init", "slj", "--name", "x", "--category", "bureau"), "unknown category"),
])
def test_init_rejects_bad_arguments(mini_city: Path, args: tuple[str, ...], message: str) -> None:
    code, _, err = run(*args, cwd=mini_city.parent)
    assert code == 2 and message in err


@pytest.mark.parametrize("kind", ["City", "Department", "Grants", "Approvals", "Projects", "MlpsRecords"])
def test_schema_prints_a_json_schema_with_descriptions(kind: str) -> None:
    code, out, _ = run("schema", "--kind", kind)
    assert code == 0
    schema = json.loads(out)
    assert schema["properties"]["kind"]["const"] == kind

    def described(node: dict) -> None:
        for name, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{name} has no description"
            described(sub)
        if isinstance(node.get("items"), dict):
            described(node["items"])

    described(schema)


@pytest.mark.parametrize("command", ["validate", "init", "schema"])
def test_every_command_explains_itself_with_an_example(command: str) -> None:
    code, out, _ = run(command, "--help")
    assert code == 0 and "Example" in out


def test_the_installed_command_never_shows_a_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "govcloud"
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe not utf-8")
    proc = subprocess.run([str(exe), "validate", str(bad)], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert f"{bad}:1:1: GC-SCHEMA file is not UTF-8" in proc.stdout
