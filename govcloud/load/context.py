"""Checking one file in context: the whole project is read, the named files are reported.

`govcloud check blueprints/requests/ybj.yaml` must give the findings a check of the whole
city gives for that file: a cross-department rule (a duplicate function, data nobody
shares, a grant in the city's register) cannot be judged from one file alone. When every
path given is a file inside the project's blueprints/ folder, the folder is read and only
findings located in the named files are kept.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from govcloud.load.discover import find_root
from govcloud.load.project import LoadResult, load
from govcloud.model import Finding, Project


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)


@dataclass(frozen=True)
class Scope:
    """What to read, and which files to report (None: every file read)."""

    paths: tuple[str, ...]
    named: frozenset[str] | None = None

    def reports(self, finding: Finding) -> bool:
        if self.named is None:
            return True
        return finding.location is not None and os.path.realpath(finding.location.file) in self.named

    def kept(self, findings: Iterable[Finding], project: Project | None) -> tuple[Finding, ...]:
        """The findings of the named files; while the city does not load, also what stops it."""
        return tuple(f for f in findings if self.reports(f) or (project is None and f.blocking))

    def departments(self, project: Project | None) -> tuple[str, ...]:
        if project is None:
            return ()
        return tuple(d.code for d in project.departments
                     if self.named is None or os.path.realpath(d.file) in self.named)


def in_context(paths: Sequence[str]) -> Scope:
    """The project's blueprints/ for files inside it (see the module's doc), else `paths` as given."""
    if not paths or not all(os.path.isfile(p) for p in paths):
        return Scope(tuple(paths))
    root = find_root(os.path.dirname(os.path.abspath(paths[0])))
    blueprints = os.path.realpath(root / "blueprints")
    named = frozenset(os.path.realpath(p) for p in paths)
    if not os.path.isdir(blueprints) or not all(_inside(p, blueprints) for p in named):
        return Scope(tuple(paths))
    shown = os.path.relpath(root / "blueprints")
    return Scope((str(root / "blueprints") if shown.startswith("..") else shown,), named)


def load_in_context(paths: Sequence[str]) -> LoadResult:
    """`load(paths)`, read in context (see `in_context`) and reported for the named files only."""
    scope = in_context(paths)
    result = load(list(scope.paths))
    if scope.named is None:
        return result
    project = result.project
    codes = scope.departments(project)
    others = ({project.city.doc.file} | set(project.registers.files.values())) if project else set()
    documents = len(codes) + sum(1 for f in others if os.path.realpath(f) in scope.named)
    return replace(result, paths=tuple(paths), files=len(scope.named), documents=documents,
                   departments=len(codes), findings=scope.kept(result.findings, project))
