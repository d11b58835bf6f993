"""The Pulumi CLI backend: same program, same result types. Needs a `pulumi` binary."""
from __future__ import annotations

import inspect
import shutil
import typing
from pathlib import Path

import pytest

from govcloud.engine import Backend, Engine, EngineError, Op
from govcloud.engine.automation import PulumiBackend, pulumi_available
from tests.engine_support.programs import Tree

needs_pulumi = pytest.mark.skipif(shutil.which("pulumi") is None, reason="no pulumi CLI on PATH")


_METHODS = ("preview", "up", "refresh", "destroy")


def _interface(cls: type) -> dict[str, tuple[list[tuple[str, object, object]], dict[str, object]]]:
    """Each method's parameters (name, kind, default) and resolved annotations."""
    found = {}
    for name in _METHODS:
        method = getattr(cls, name)
        parameters = [(p.name, p.kind, p.default) for p in inspect.signature(method).parameters.values()]
        found[name] = (parameters, typing.get_type_hints(method))
    return found


def test_both_backends_implement_the_interface(tmp_path: Path) -> None:
    """Same parameters, defaults and types as the protocol: isinstance alone only sees names."""
    program = Tree(str(tmp_path / "cloud.db"), count=1)
    wanted = _interface(Backend)
    for cls in (Engine, PulumiBackend):
        assert _interface(cls) == wanted, cls.__name__
        backend = cls("proj", "dev", program, project_dir=tmp_path)
        assert (backend.project_name, backend.stack) == ("proj", "dev")

    class Lookalike:  # the names without the contract: isinstance is fooled, the comparison is not
        project_name, stack = "proj", "dev"

        def preview(self, refresh: int = 0) -> None: ...
        up = refresh = destroy = preview

    assert isinstance(Lookalike(), Backend) and _interface(Lookalike) != wanted


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
