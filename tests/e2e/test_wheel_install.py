"""The wheel installs anywhere: built from the sources, installed in a fresh venv outside the
checkout, it runs a user's first session (init, validate, check, the sandbox cloud).

Dependencies come from the package index pip uses here (pip's cache makes a second run cheap).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CITY = ROOT / "tests" / "data" / "mini" / "city.yaml"
# What a source distribution holds: no checkout state, no build leftovers, no tests.
_NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", ".govcloud", "tests",
                                      "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache")

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(bin folder of a fresh venv holding only the built wheel and its dependencies, its env)."""
    work = tmp_path_factory.mktemp("wheel")
    sources = work / "src"
    shutil.copytree(ROOT, sources, ignore=_NOT_SOURCES)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    _ok(_run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(sources)],
             work, env))
    (wheel,) = (work / "dist").glob("govcloud-*.whl")
    # The venv has no pip of its own: this one installs into it (`pip --python`), with its cache.
    venv.create(work / "venv", with_pip=False, symlinks=True)
    bin_dir = work / "venv" / "bin"
    _ok(_run(_pip_install(bin_dir, str(wheel)), work, env))
    env["WHEEL"] = str(wheel)
    return bin_dir, env


def _pip_install(bin_dir: Path, requirement: str) -> list[str]:
    return [sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "-q", "--no-compile",
            requirement]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project but for its city: no policies/, no approved-products file."""
    (tmp_path / "blueprints").mkdir()
    shutil.copy(CITY, tmp_path / "blueprints" / "city.yaml")
    return tmp_path


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: tuple[Path, dict[str, str]],
                                                              project: Path) -> None:
    bin_dir, env = installed
    show = "import govcloud, govcloud.policy as p; print(govcloud.__file__); print(p.default_policy_dir([]))"
    where = _ok(_run([str(bin_dir / "python"), "-c", show], project, env)).splitlines()
    site = (bin_dir.parent / "lib").resolve()
    assert all(Path(line).resolve().is_relative_to(site) for line in where), where
    assert not any(Path(line).resolve().is_relative_to(ROOT) for line in where), where
    assert Path(where[1]).name == "policies" and (Path(where[1]) / "data" / "approved-products.yaml").is_file()


def test_a_first_session_from_the_wheel(installed: tuple[Path, dict[str, str]], project: Path) -> None:
    bin_dir, env = installed
    govcloud = str(bin_dir / "govcloud")

    _ok(_run([govcloud, "init", "jrj", "--name", "佛山市金融工作局", "--project", "FS-2026-IT-0042"], project, env))
    assert (project / "blueprints" / "requests" / "jrj.yaml").is_file()
    assert "valid" in _ok(_run([govcloud, "validate"], project, env))
    checked = _ok(_run([govcloud, "check", "--today", "2026-06-01"], project, env))
    assert "0 errors" in checked, checked
    assert "GC-" in _ok(_run([govcloud, "policy", "list"], project, env))  # the shipped packs' rules
    assert "Usage" in _ok(_run([str(bin_dir / "python"), "-m", "govcloud", "--help"], project, env))

    # Without the sandbox extra: one line that names it, exit 2, no traceback.
    missing = _run([govcloud, "sandbox", "up"], project, env)
    assert missing.returncode == 2, missing.stderr
    assert "govcloud[sandbox]" in missing.stderr and "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1, missing.stderr

    _ok(_run(_pip_install(bin_dir, f"govcloud[sandbox] @ file://{env['WHEEL']}"), project, env))
    try:
        up = _ok(_run([govcloud, "sandbox", "up"], project, env, timeout=120))
        assert "sandbox: up at http://127.0.0.1:" in up
        assert "not found" not in up  # the shipped approved-products file seeded the images
        assert "sandbox: up" in _ok(_run([govcloud, "sandbox", "status"], project, env))
    finally:
        down = _run([govcloud, "sandbox", "down"], project, env, timeout=120)
    assert "sandbox: down" in _ok(down)
