"""The Pulumi CLI backend: same program, same result types. Needs a `pulumi` binary."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govcloud.engine import Backend, Engine, EngineError, Op
from govcloud.engine.automation import PulumiBackend, pulumi_available
from tests.engine_support.programs import Tree

needs_pulumi = pytest.mark.skipif(shutil.which("pulumi") is None, reason="no pulumi CLI on PATH")


def test_both_backends_implement_the_interface(tmp_path: Path) -> None:
    program = Tree(str(tmp_path / "cloud.db"), count=1)
    assert isinstance(Engine("proj", "dev", program, project_dir=tmp_path), Backend)
    assert isinstance(PulumiBackend("proj", "dev", program, project_dir=tmp_path), Backend)


def test_without_the_cli_the_adapter_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not pulumi_available()
    backend = PulumiBackend("proj", "dev", Tree(str(tmp_path / "c.db")), project_dir=tmp_path,
                            passphrase="x")
    with pytest.raises(EngineError, match="pulumi CLI is not on PATH"):
        backend.up()


@needs_pulumi
def test_pulumi_cli_applies_and_destroys_the_same_program(tmp_path: Path) -> None:
    cloud = str(tmp_path / "cloud.db")
    program = Tree(cloud, count=3)
    backend = PulumiBackend("proj", "dev", program, project_dir=tmp_path, passphrase="pw", parallel=4)
    plan = backend.preview()
    assert plan.summary.create >= 3
    result = backend.up()
    assert result.ok, result.error
    assert (tmp_path / ".govcloud" / "pulumi").is_dir()
    assert backend.up().summary.changes == 0
    program.size = 2
    assert any(s.op is Op.UPDATE for s in backend.preview().steps)
    assert backend.destroy().ok
