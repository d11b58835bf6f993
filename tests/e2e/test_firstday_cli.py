"""A new user's first hour: what `init`, `check`, `policy explain` print works as printed."""
from __future__ import annotations

import os
import shlex
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


def printed_commands(text: str) -> list[list[str]]:
    """The `govcloud …` commands in a block of next steps, as argument lists."""
    out = []
    for line in text.splitlines():
        words = line.strip().split(" ", 1)
        command = words[1] if words[0].rstrip(".").isdigit() and len(words) > 1 else line.strip()
        if command.startswith("govcloud "):
            out.append(shlex.split(command)[1:])
    return out


@pytest.mark.parametrize("extra", [(), ("--dir", "drafts")], ids=["requests", "own-folder"])
def test_the_next_steps_init_prints_work_as_printed(mini_city: Path, extra: tuple[str, ...]) -> None:
    project = mini_city.parent
    code, _, err = run("init", "jrj", "--name", "佛山市金融工作局", "--project", "FS-2026-IT-0042", *extra, cwd=project)
    assert code == 0, err
    commands = printed_commands(err)
    assert [c[0] for c in commands] == ["validate", "check"], err
    validated = run(*commands[0], cwd=project)
    assert validated[0] == 0, validated
    checked = run(*commands[1], cwd=project)
    # policy findings may fail it (exit 1: a new department has no grant yet), never bad input
    assert checked[0] in (0, 1) and "jrj 佛山市金融工作局" in checked[1], checked
    assert "GC-USAGE" not in checked[1] + checked[2] and "GC-SCHEMA" not in checked[1]


def test_init_outside_a_project_says_where_the_commands_work(tmp_path: Path) -> None:
    code, _, err = run("init", "jrj", "--name", "佛山市金融工作局", cwd=tmp_path)
    assert code == 0, err
    assert "no city project here" in err
    assert [c[0] for c in printed_commands(err)] == ["validate", "check"]


def test_the_template_calls_spec_quota_a_request(mini_city: Path) -> None:
    run("init", "jrj", "--name", "佛山市金融工作局", cwd=mini_city.parent)
    text = (mini_city / "requests" / "jrj.yaml").read_text("utf-8")
    quota = text[text.index("spec:"):text.index("  quota:")]
    assert "granted you" not in quota and "核定的资源配额" not in quota
    assert "request" in quota and "grants.yaml" in quota and "申请" in quota


@pytest.mark.parametrize("fmt", ["json", "sarif", "text"])
def test_check_to_a_file_prints_its_counts(mini_city: Path, tmp_path: Path, fmt: str) -> None:
    slj = mini_city / "departments" / "slj.yaml"
    slj.write_text(slj.read_text("utf-8").replace("ipv6: true", "ipv6: false"), "utf-8")  # GC-SITE-003
    target = tmp_path / f"check.{fmt}"
    code, out, err = run("check", str(mini_city), "-f", fmt, "-o", str(target))
    assert code == 0 and out == "" and target.stat().st_size > 0
    assert err.splitlines()[-1] == "0 errors, 1 warning, 0 infos, 0 waived in 3 files (2 departments); exit 0"


def test_check_to_the_terminal_prints_no_second_summary(mini_city: Path) -> None:
    code, out, err = run("check", str(mini_city))
    assert code == 0 and "exit 0" not in err and "✓ 0 errors" in out
