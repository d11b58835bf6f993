"""Where a project lives and which files hold its blueprints.

A folder or file that cannot be read is a problem, never silently skipped: a city whose
departments/ folder is unreadable would otherwise look like a city of no departments, and
applying it would delete every department's resources. Symbolic links may point anywhere
inside the project, never outside it, and only regular files are read.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from govcloud.errors import GovcloudError
from govcloud.model import Finding, Location, Severity

BLUEPRINT_SUFFIXES = (".yaml", ".yml")
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".govcloud"}
RULE = "GC-SCHEMA"


def find_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The project root: the nearest directory at or above `start` (default: the working
    directory) that holds a Pulumi.yaml file or a blueprints/ folder; `start` when none does.

    The one rule for every command: blueprints, policies, stacks and `.govcloud/` are found
    from there.
    """
    here = Path.cwd().resolve() if start is None else Path(start).resolve()
    for candidate in (here, *here.parents):
        try:
            if (candidate / "Pulumi.yaml").is_file() or (candidate / "blueprints").is_dir():
                return candidate
        except OSError:  # an unreadable parent: the search stops short of it
            continue
    return here


@dataclass(frozen=True)
class Discovery:
    """The blueprint files under some paths, and every path that could not be read."""

    files: tuple[str, ...]
    problems: tuple[Finding, ...]


def _problem(path: str, message: str, hint: str = "") -> Finding:
    return Finding(RULE, Severity.ERROR, message, Location(path, 1, 1), hint=hint)


def _inside(path: str, boundary: str) -> bool:
    return path == boundary or path.startswith(boundary.rstrip(os.sep) + os.sep)


class _Walk:
    def __init__(self, boundary: str) -> None:
        self.boundary = boundary
        self.files: list[str] = []
        self.real: dict[str, str] = {}  # a plain file's real path, known from its folder's
        self.problems: list[Finding] = []
        self.visited: set[str] = set()

    def outside(self, path: str) -> bool:
        target = os.path.realpath(path)
        if _inside(target, self.boundary):
            return False
        self.problems.append(_problem(
            path, f"symbolic link to {target}, outside the project {self.boundary}",
            "blueprints must live inside the project; copy the file in instead of linking to it"))
        return True

    def folder(self, top: str) -> None:
        real = os.path.realpath(top)
        if real in self.visited:  # a link back to a folder already read
            return
        self.visited.add(real)
        try:
            with os.scandir(top) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self.problems.append(_problem(top, f"cannot read folder: {exc.strerror or exc}",
                                          "give the folder read and execute permission"))
            return
        for entry in entries:
            path = os.path.join(top, entry.name)
            wanted = entry.name.endswith(BLUEPRINT_SUFFIXES)
            try:
                link, is_dir = entry.is_symlink(), entry.is_dir()
            except OSError as exc:
                self.problems.append(_problem(path, f"cannot read: {exc.strerror or exc}"))
                continue
            if is_dir:
                if entry.name in _SKIP_DIRS or entry.name.startswith("."):
                    continue
                if not (link and self.outside(path)):
                    self.folder(path)
            elif wanted:
                if link and not os.path.exists(path):
                    self.problems.append(_problem(path, "broken symbolic link"))
                elif not (link and self.outside(path)):
                    self.files.append(path)  # load_file refuses FIFOs, sockets and devices
                    if not link:
                        self.real[path] = os.path.join(real, entry.name)


def discover(paths: Iterable[str]) -> Discovery:
    """Every *.yaml/*.yml file under `paths`, in a stable order, each once, and the problems met.

    A project root given as a path means its blueprints/ folder (policies/ and stacks/
    hold other kinds of YAML). A path that does not exist is a usage error (GovcloudError).
    """
    files: list[str] = []
    problems: list[Finding] = []
    seen: set[str] = set()
    for path in paths:
        try:
            os.stat(path)
        except FileNotFoundError:
            raise GovcloudError(f"no such file or directory: {path}", rule="GC-USAGE",
                                hint="give a blueprint file or a directory of blueprints") from None
        except OSError as exc:
            problems.append(_problem(path, f"cannot read: {exc.strerror or exc}"))
            continue
        boundary = str(find_root(path if os.path.isdir(path) else os.path.dirname(path) or "."))
        walk = _Walk(boundary)
        if os.path.isdir(path):
            inner = os.path.join(path, "blueprints")
            project = os.path.isdir(inner) and os.path.basename(os.path.normpath(path)) != "blueprints"
            walk.folder(inner if project else path)
        elif not (os.path.islink(path) and walk.outside(path)):
            walk.files.append(path)
        problems.extend(walk.problems)
        for f in walk.files:
            key = walk.real.get(f) or os.path.realpath(f)
            if key not in seen:
                seen.add(key)
                files.append(f)
    return Discovery(tuple(files), tuple(problems))


def blueprint_files(paths: Iterable[str]) -> list[str]:
    """The files of `discover`; GovcloudError (exit 2) naming the first path that cannot be read."""
    found = discover(paths)
    if found.problems:
        first = found.problems[0]
        raise GovcloudError(first.message, rule=first.rule, location=first.location, hint=first.hint)
    return list(found.files)
