"""A failing program keeps its traceback: shown under --debug, one line without it."""
from __future__ import annotations

import json
import traceback
from pathlib import Path

import pytest
from typer.testing import CliRunner

import govcloud.api
from govcloud.cli import app
from govcloud.engine import EngineError
from govcloud.errors import GovcloudError
from govcloud.operations import ApplyResult
from tests.engine_support.harness import Rig
from tests.engine_support.providers import Thing


def _broken_helper(value: int) -> int:
    raise ValueError(f"no quota for {value} instances")


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def program_for(rig: Rig) -> object:
    def program() -> None:
        Thing("ok", {}, rig.cloud_path)
        _broken_helper(3)

    return program


def test_up_keeps_the_programs_traceback_out_of_its_one_line_error(rig: Rig) -> None:
    result = rig.engine(program_for(rig)).up()
    assert not result.ok
    assert result.error.endswith("program failed: ValueError: no quota for 3 instances")
    assert "\n" not in result.error
    assert "_broken_helper" in result.traceback and __file__ in result.traceback
    assert "traceback" not in json.loads(result.to_json())  # never in the JSON


def test_preview_chains_the_programs_exception(rig: Rig) -> None:
    with pytest.raises(EngineError) as raised:
        rig.engine(program_for(rig)).preview()
    cause = raised.value.__cause__
    assert isinstance(cause, ValueError)
    assert "_broken_helper" in "".join(traceback.format_exception(raised.value))


def test_a_successful_run_has_no_traceback(rig: Rig) -> None:
    assert rig.engine(lambda: Thing("ok", {}, rig.cloud_path)).up().traceback == ""


@pytest.mark.parametrize("debug", [True, False])
def test_the_cli_prints_the_traceback_only_under_debug(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, debug: bool,
) -> None:
    run = rig.engine(program_for(rig)).up()

    def failed_apply(stack: str, **options: object) -> ApplyResult:
        return ApplyResult(stack, "embedded", "apply", "failed", result=run, error=run.error)

    monkeypatch.setattr(govcloud.api, "apply", failed_apply)
    monkeypatch.delenv("GOVCLOUD_DEBUG", raising=False)
    args = (["--debug"] if debug else []) + ["apply", "--stack", "sandbox", "--yes"]
    outcome = CliRunner().invoke(app, args, catch_exceptions=False)
    assert outcome.exit_code == 1
    assert "program failed: ValueError: no quota for 3 instances" in outcome.stderr
    assert ("Traceback (most recent call last)" in outcome.stderr) is debug
    assert ("_broken_helper" in outcome.stderr) is debug


def test_debug_lets_a_known_error_raise_and_without_it_prints_one_line() -> None:
    missing = ["validate", "/nonexistent/blueprint.yaml"]
    quiet = CliRunner().invoke(app, missing, catch_exceptions=False)
    assert quiet.exit_code == 2 and quiet.stderr.count("\n") == 1
    with pytest.raises(GovcloudError, match="no such file"):
        CliRunner().invoke(app, ["--debug", *missing], catch_exceptions=False)


def test_a_failed_step_keeps_the_providers_traceback(rig: Rig) -> None:
    result = rig.engine(lambda: Thing("bad", {"fail": "create"}, rig.cloud_path)).up()
    assert not result.ok and "refusing to create bad" in result.error
    assert "engine_support/providers.py" in result.traceback and "in create" in result.traceback
