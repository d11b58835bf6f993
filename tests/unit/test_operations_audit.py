"""The audit line's blueprint digest covers exactly the files a run reads: the loader's own
discovery, so a skipped folder, a hidden one or a link out of the project changes nothing."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from govcloud.load import load
from govcloud.load.discover import discover
from govcloud.operations.audit import blueprint_digest, blueprint_files

ROOT = Path(__file__).resolve().parents[2]


def project(tmp_path: Path) -> Path:
    root = tmp_path / "city"
    shutil.copytree(ROOT / "tests" / "data" / "mini", root / "blueprints")
    for skipped in (".git", ".drafts", "__pycache__", ".govcloud"):
        (root / "blueprints" / skipped).mkdir()
        (root / "blueprints" / skipped / "old.yaml").write_text("kind: Department\n", encoding="utf-8")
    (root / "blueprints" / "README.txt").write_text("not a blueprint\n", encoding="utf-8")
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("kind: Department\n", encoding="utf-8")
    os.symlink(outside, root / "blueprints" / "departments" / "linked.yaml")
    return root


def test_the_digest_lists_the_files_the_loader_reads(tmp_path: Path) -> None:
    root = project(tmp_path)
    listed = blueprint_files([root / "blueprints"])
    assert [str(p) for p in listed] == list(discover([str(root / "blueprints")]).files)
    assert sorted(p.name for p in listed) == ["city.yaml", "gaj.yaml", "slj.yaml"]
    read = load([str(root / "blueprints")])  # the run's own load: the link out is refused
    assert read.files == len(listed) and read.project is not None
    files = {read.project.city.doc.file, *(d.doc.file for d in read.project.departments if d.doc)}
    assert files == {str(p) for p in listed}
    assert any("outside the project" in f.message for f in read.findings)


def test_only_a_read_file_changes_the_digest(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = blueprint_digest([root / "blueprints"])
    (root / "blueprints" / ".git" / "old.yaml").write_text("kind: City\n", encoding="utf-8")
    (tmp_path / "elsewhere.yaml").write_text("kind: City\n", encoding="utf-8")
    (root / "blueprints" / "README.txt").write_text("changed\n", encoding="utf-8")
    assert blueprint_digest([root / "blueprints"]) == before
    gaj = root / "blueprints" / "departments" / "gaj.yaml"
    gaj.write_text(gaj.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    assert blueprint_digest([root / "blueprints"]) != before


def test_a_missing_path_adds_nothing_and_raises_nothing(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert blueprint_files([root / "gone", root / "blueprints" / "city.yaml"]) == [root / "blueprints" / "city.yaml"]
