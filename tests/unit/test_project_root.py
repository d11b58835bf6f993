"""One rule finds a project's root for every command: the nearest folder at or above the
start that holds a Pulumi.yaml file or a blueprints/ folder (else the start itself)."""
from __future__ import annotations

from pathlib import Path

import pytest

from govcloud.cloud.sandbox import default_state_dir
from govcloud.load import find_root
from govcloud.program import stackconfig


def test_a_pulumi_yaml_or_a_blueprints_folder_makes_a_root_and_the_nearest_wins(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: govcloud\n", encoding="utf-8")
    inner = tmp_path / "cities" / "foshan"
    (inner / "blueprints" / "departments").mkdir(parents=True)
    assert find_root(tmp_path / "stacks") == tmp_path            # Pulumi.yaml alone
    assert find_root(inner / "blueprints" / "departments") == inner  # blueprints/ alone, nearer
    assert find_root(str(inner)) == inner


def test_a_file_named_blueprints_or_a_folder_named_pulumi_yaml_is_no_marker(tmp_path: Path) -> None:
    (tmp_path / "blueprints").write_text("", encoding="utf-8")
    (tmp_path / "Pulumi.yaml").mkdir()
    assert find_root(tmp_path / "x") == (tmp_path / "x").resolve()  # nothing above: the start itself


def test_the_default_start_is_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "blueprints").mkdir()
    (tmp_path / "deep").mkdir()
    monkeypatch.chdir(tmp_path / "deep")
    assert find_root() == tmp_path.resolve()
    assert default_state_dir() == tmp_path.resolve() / ".govcloud"


def test_the_stack_loader_uses_the_same_function() -> None:
    assert stackconfig.find_root is find_root
