"""Bad input at the command line: exit 2, one `file:line:col: ID message (hint: …)` line,
never a traceback, never a hang, and nothing planned or applied."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli import app

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini"
GOVCLOUD = Path(sys.executable).with_name("govcloud")
NOBODY = 65534
runner = CliRunner()
STACK = """config:
  govcloud:blueprints: [blueprints]
  govcloud:regions: {city-dc-1: cn-north-1, city-dr-1: cn-northwest-1}
"""


def run(*args: str, cwd: Path) -> tuple[int, str, str]:
    old = os.getcwd()
    try:
        os.chdir(cwd)
        result = runner.invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project() -> Iterator[Path]:
    """A project any user can read (tmp_path lives under a root-only folder)."""
    base = Path(tempfile.mkdtemp(prefix="govcloud-bad-input-", dir="/tmp"))
    base.chmod(0o755)
    shutil.copy(ROOT / "Pulumi.yaml", base / "Pulumi.yaml")
    shutil.copytree(MINI, base / "blueprints")
    shutil.copytree(ROOT / "policies", base / "policies")
    (base / "stacks").mkdir()
    (base / "stacks" / "Pulumi.test.yaml").write_text(STACK, "utf-8")
    for path in base.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield base
    for path in base.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(base)


# The interpreter lives under /root, which `nobody` cannot enter: so the child imports
# govcloud and runs the command once as root (loading every module it needs), then drops to
# `nobody` for good and runs it again; only that second run's output and exit code count.
_AS_NOBODY = f"""
import contextlib, io, os, sys
import govcloud.cli
def once():
    try:
        govcloud.cli.main()
    except SystemExit as exit:
        return exit.code
    return 0
sys.argv = ["govcloud", *sys.argv[1:]]
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    once()
os.setgid({NOBODY})
os.setuid({NOBODY})
sys.exit(once())
"""


def _cli(args: list[str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The command line, as the unprivileged `nobody` when the tests run as root."""
    env = {k: v for k, v in os.environ.items() if k != "GOVCLOUD_DEBUG"}
    command = [sys.executable, "-c", _AS_NOBODY, *args] if os.geteuid() == 0 else [str(GOVCLOUD), *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False)


def test_an_unreadable_departments_folder_stops_validate_and_check(project: Path) -> None:
    folder = project / "blueprints" / "departments"
    folder.chmod(0)
    validated = _cli(["validate", "blueprints"], project)
    assert validated.returncode == 2, validated.stdout + validated.stderr
    assert validated.stdout.splitlines() == [
        ("blueprints/departments:1:1: GC-SCHEMA cannot read folder: Permission denied "
        "(hint: give the folder read and execute permission)")]
    assert "Traceback" not in validated.stderr
    checked = _cli(["check", "blueprints", "--format", "json"], project)
    assert checked.returncode == 2, checked.stdout + checked.stderr
    found = [(f["rule"], f["file"], f["line"], f["column"]) for f in json.loads(checked.stdout)["findings"]]
    assert ("GC-SCHEMA", "blueprints/departments", 1, 1) in found
    assert json.loads(checked.stdout)["summary"]["departments"] == 0


def test_a_fifo_blueprint_does_not_hang(project: Path) -> None:
    os.mkfifo(project / "blueprints" / "departments" / "x.yaml")
    done = _cli(["validate", "blueprints"], project, timeout=30)
    assert done.returncode == 2
    assert done.stdout.splitlines() == [
        ("blueprints/departments/x.yaml:1:1: GC-SCHEMA not a regular file (a FIFO, socket or device) "
        "(hint: blueprints are plain files)")]


def test_a_symlink_to_a_system_file_is_not_read(project: Path) -> None:
    (project / "blueprints" / "departments" / "pw.yaml").symlink_to("/etc/passwd")
    code, out, err = run("validate", "blueprints", cwd=project)
    assert code == 2
    assert out.splitlines() == [
        (f"blueprints/departments/pw.yaml:1:1: GC-SCHEMA symbolic link to /etc/passwd, outside the project "
        f"{project} (hint: blueprints must live inside the project; copy the file in instead of linking to it)")]
    assert "root:" not in out + err


def test_a_float_count_is_one_line_with_its_location(project: Path) -> None:
    slj = project / "blueprints" / "departments" / "slj.yaml"
    slj.write_text(slj.read_text("utf-8").replace("count: 2,", "count: 2.0,"), "utf-8")
    code, out, err = run("validate", "blueprints", cwd=project)
    assert code == 2
    assert out.splitlines() == [
        ("blueprints/departments/slj.yaml:24:30: GC-SCHEMA spec.systems[0].compute[0].count must be an integer, "
        "not number 2.0 (hint: Number of machines (≥2 for redundancy at MLPS 3+))")]
    assert "Traceback" not in out + err


@pytest.mark.parametrize("stack,where,message", [
    (STACK.encode() + "# 沙盒\n".encode("gbk"), "4:4", "GC-STACK file is not UTF-8 (byte 0xba)"),
    (("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8))
      + STACK).encode(), "1:35", "GC-STACK document expands to more than 100000 nodes (alias bomb?)"),
    (STACK.replace("cn-north-1,", "cn-middle-1,").encode(), "3:3",
     "GC-STACK govcloud:regions maps 'city-dc-1' to 'cn-middle-1', not a region of the aws-cn partition"),
], ids=["gbk", "alias-bomb", "unknown-region"])
def test_plan_with_a_bad_stack_file_is_one_line(project: Path, stack: bytes, where: str, message: str) -> None:
    (project / "stacks" / "Pulumi.test.yaml").write_bytes(stack)
    code, out, err = run("plan", "--stack", "test", cwd=project)
    assert code == 2, out + err
    [line] = err.splitlines()
    assert line.startswith(f"{project / 'stacks' / 'Pulumi.test.yaml'}:{where}: {message}")
    assert "Traceback" not in out + err and "internal error" not in err
    assert not (project / ".govcloud" / "state").exists()


def test_report_json_refuses_a_nan_instead_of_writing_it(project: Path) -> None:
    slj = project / "blueprints" / "departments" / "slj.yaml"
    slj.write_text(slj.read_text("utf-8").replace("storageTiB: 10}", "storageTiB: .nan}"), "utf-8")
    code, out, err = run("report", "blueprints", "--format", "json", cwd=project)
    assert code == 2, out + err
    assert "NaN" not in out
    assert "blueprints/departments/slj.yaml:10:49: GC-SCHEMA '.nan' is not a finite number" in err


def test_files_stay_readable_for_the_fixture_cleanup(project: Path) -> None:
    mode = stat.S_IMODE((project / "blueprints").stat().st_mode)
    assert mode == 0o755
