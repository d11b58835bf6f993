"""Where a project lives and which files hold its blueprints."""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from govcloud.errors import GovcloudError

BLUEPRINT_SUFFIXES = (".yaml", ".yml")
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".govcloud"}


def find_root(start: str | os.PathLike[str] = ".") -> Path:
    """The project root: the nearest directory at or above `start` with a blueprints/ folder."""
    here = Path(start).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "blueprints").is_dir():
            return candidate
    return here


def _walk(directory: str) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        found.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(BLUEPRINT_SUFFIXES))
    return found


def blueprint_files(paths: Iterable[str]) -> list[str]:
    """Every *.yaml/*.yml file under `paths`, in a stable order, each once.

    A project root given as a path means its blueprints/ folder (policies/ and stacks/
    hold other kinds of YAML).
    """
    files: list[str] = []
    seen: set[str] = set()
    for path in paths:
        if os.path.isdir(path):
            if os.path.isdir(os.path.join(path, "blueprints")) and not os.path.basename(
                os.path.normpath(path)
            ) == "blueprints":
                path = os.path.join(path, "blueprints")
            candidates = _walk(path)
        elif os.path.exists(path):
            candidates = [path]
        else:
            raise GovcloudError(f"no such file or directory: {path}", rule="GC-USAGE",
                                hint="give a blueprint file or a directory of blueprints")
        for f in candidates:
            key = os.path.realpath(f)
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files
