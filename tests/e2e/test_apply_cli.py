"""The stack commands' usage errors and help, as a user meets them (no cloud needed)."""
from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
STACK_COMMANDS = (["plan"], ["apply"], ["refresh"], ["destroy"], ["state", "list"], ["state", "export"])


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A copy of the example project, entered as the working directory."""
    for name in ("Pulumi.yaml",):
        shutil.copy(ROOT / name, tmp_path / name)
    for name in ("blueprints", "policies", "stacks"):
        shutil.copytree(ROOT / name, tmp_path / name)
    with contextlib.chdir(tmp_path):
        yield tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", STACK_COMMANDS, ids=" ".join)
def test_an_unknown_stack_is_a_usage_error_that_lists_the_stacks(project: Path, command: list[str]) -> None:
    code, _, err = run(*command, "--stack", "nosuch", *(["--yes"] if command[0] in ("apply", "destroy") else []))
    assert code == 2
    assert err.strip() == "GC-STACK unknown stack 'nosuch' (hint: available stacks: production, sandbox)"


@pytest.mark.parametrize("command", ["apply", "destroy"])
def test_no_yes_and_no_terminal_is_a_usage_error_before_anything_runs(project: Path, command: str) -> None:
    code, out, err = run(command, "--stack", "sandbox")
    assert code == 2 and out == ""
    assert "standard input is not a terminal" in err and "--yes" in err
    assert not (project / ".govcloud").exists()  # no state, no audit line, no sandbox


def test_asking_for_the_pulumi_engine_without_the_cli_says_how_to_proceed(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(project))  # certainly no `pulumi` binary here
    code, _, err = run("plan", "--stack", "sandbox", "--engine", "pulumi")
    assert code == 2 and "no `pulumi` binary is on PATH" in err and "--engine embedded" in err


def test_a_sandbox_stack_without_a_running_sandbox_says_how_to_start_it(project: Path) -> None:
    code, _, err = run("plan", "--stack", "sandbox", "--engine", "embedded")
    assert code == 1 and "govcloud sandbox up" in err
    assert not (project / ".govcloud" / "state").exists()


def test_state_of_a_stack_never_applied_is_empty(project: Path) -> None:
    code, out, _ = run("state", "list", "--stack", "sandbox", "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run("state", "list", "--stack", "sandbox")
    assert code == 0 and "no state yet" in out
    code, out, _ = run("state", "export", "--stack", "sandbox")
    exported = json.loads(out)
    assert code == 0 and exported["version"] == 3 and exported["deployment"]["resources"] == []
    code, _, err = run("state", "show", "nothing/here", "--stack", "sandbox")
    assert code == 2 and "no resource 'nothing/here'" in err


@pytest.mark.parametrize("command", [["plan"], ["apply"], ["refresh"], ["destroy"], ["state", "list"],
                                     ["state", "show"], ["state", "export"]], ids=" ".join)
def test_every_stack_command_explains_itself_with_an_example(command: list[str]) -> None:
    code, out, _ = run(*command, "--help")
    assert code == 0 and "Example" in out and "--stack" in out
