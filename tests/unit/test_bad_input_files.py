"""Blueprint files and folders that cannot be read are errors, never skipped.

The tests run as root, for whom `chmod 000` denies nothing, so permission errors are
simulated by making os.scandir / os.open raise PermissionError for one path (the end-to-end
test in tests/e2e/test_bad_input_cli.py drops to the `nobody` user instead).
"""
from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from govcloud import validate
from govcloud.errors import GovcloudError
from govcloud.load import blueprint_files, load_file
from govcloud.load.discover import discover

MINI = Path(__file__).resolve().parents[1] / "data" / "mini"


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "blueprints" / "departments").mkdir(parents=True)
    (root / "blueprints" / "city.yaml").write_text((MINI / "city.yaml").read_text("utf-8"), "utf-8")
    for code in ("slj", "gaj"):
        source = (MINI / "departments" / f"{code}.yaml").read_text("utf-8")
        (root / "blueprints" / "departments" / f"{code}.yaml").write_text(source, "utf-8")
    return root


def _denied(real: Callable[..., Any], target: Path) -> Callable[..., Any]:
    def fake(path: Any, *args: Any, **kwargs: Any) -> Any:
        if os.path.abspath(os.fspath(path)) == str(target):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real(path, *args, **kwargs)
    return fake


def _lines(result: Any) -> list[tuple[str, str, int, int, str]]:
    return [(f.rule, f.location.file, f.location.line, f.location.column, f.message) for f in result.findings]


def test_the_project_loads(tmp_path: Path) -> None:
    result = validate([str(_project(tmp_path) / "blueprints")])
    assert result.exit_code == 0 and result.departments == 2


def test_an_unreadable_departments_folder_is_an_error_not_an_empty_city(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    folder = root / "blueprints" / "departments"
    monkeypatch.setattr(os, "scandir", _denied(os.scandir, folder))
    result = validate([str(root / "blueprints")])
    assert result.exit_code == 2
    assert _lines(result) == [("GC-SCHEMA", str(folder), 1, 1, "cannot read folder: Permission denied")]


def test_an_unreadable_blueprints_folder_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    folder = root / "blueprints"
    monkeypatch.setattr(os, "scandir", _denied(os.scandir, folder))
    result = validate([str(folder)])
    # no second line claiming the project has no City: we could not look
    assert _lines(result) == [("GC-SCHEMA", str(folder), 1, 1, "cannot read folder: Permission denied")]


def test_an_unreadable_blueprint_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    file = root / "blueprints" / "departments" / "gaj.yaml"
    monkeypatch.setattr(os, "open", _denied(os.open, file))
    result = validate([str(root / "blueprints")])
    assert result.exit_code == 2 and result.departments == 1
    assert _lines(result) == [("GC-SCHEMA", str(file), 1, 1, "cannot read file: Permission denied")]


def test_blueprint_files_raises_on_the_first_unreadable_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    folder = root / "blueprints" / "departments"
    monkeypatch.setattr(os, "scandir", _denied(os.scandir, folder))
    with pytest.raises(GovcloudError) as caught:
        blueprint_files([str(root / "blueprints")])
    assert caught.value.exit_code == 2 and caught.value.location is not None
    assert (caught.value.rule, caught.value.location.file) == ("GC-SCHEMA", str(folder))


@pytest.mark.timeout(120)
def test_a_fifo_named_yaml_is_refused_without_blocking(tmp_path: Path) -> None:
    root = _project(tmp_path)
    fifo = root / "blueprints" / "departments" / "x.yaml"
    os.mkfifo(fifo)
    result = validate([str(root / "blueprints")])  # opening it for reading would block: the timeout catches that
    assert _lines(result) == [("GC-SCHEMA", str(fifo), 1, 1, "not a regular file (a FIFO, socket or device)")]
    assert load_file(str(fifo)).findings[0].message.startswith("not a regular file")


def test_a_device_given_as_a_path_is_refused() -> None:
    [finding] = load_file("/dev/zero").findings
    assert (finding.rule, finding.location.line, finding.location.column) == ("GC-SCHEMA", 1, 1)
    assert finding.message == "not a regular file (a FIFO, socket or device)"


def test_a_symlink_out_of_the_project_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    outside = tmp_path / "secret.yaml"
    outside.write_text("root:x:0:0\n", "utf-8")
    link = root / "blueprints" / "departments" / "pw.yaml"
    link.symlink_to(outside)
    result = validate([str(root / "blueprints")])
    assert result.exit_code == 2
    [(rule, file, line, column, message)] = _lines(result)
    assert (rule, file, line, column) == ("GC-SCHEMA", str(link), 1, 1)
    assert message == f"symbolic link to {outside}, outside the project {root}"


def test_a_symlinked_folder_out_of_the_project_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    link = root / "blueprints" / "departments" / "more"
    link.symlink_to(tmp_path / "elsewhere")
    [(rule, file, line, column, message)] = _lines(validate([str(root / "blueprints")]))
    assert (rule, file, line, column) == ("GC-SCHEMA", str(link), 1, 1)
    assert "outside the project" in message


def test_an_explicit_symlink_out_of_the_project_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    link = root / "blueprints" / "passwd.yaml"
    link.symlink_to("/etc/passwd")
    found = discover([str(link)])
    assert found.files == ()
    assert [(p.rule, p.location.file if p.location else None) for p in found.problems] == [("GC-SCHEMA", str(link))]


def test_a_symlink_inside_the_project_is_followed_once(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "blueprints" / "departments" / "again").symlink_to(root / "blueprints" / "departments")
    result = validate([str(root / "blueprints")])
    assert result.exit_code == 0 and result.departments == 2


def test_a_broken_symlink_is_an_error(tmp_path: Path) -> None:
    root = _project(tmp_path)
    link = root / "blueprints" / "departments" / "gone.yaml"
    link.symlink_to(tmp_path / "nowhere.yaml")
    assert _lines(validate([str(root / "blueprints")])) == [("GC-SCHEMA", str(link), 1, 1, "broken symbolic link")]


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(GovcloudError) as caught:
        validate([str(tmp_path / "nope")])
    assert (caught.value.rule, caught.value.exit_code) == ("GC-USAGE", 2)
