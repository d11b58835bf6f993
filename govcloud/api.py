"""The library API the CLI calls; every function returns a result object."""
from __future__ import annotations

import os
from collections.abc import Sequence

from govcloud.errors import GovcloudError
from govcloud.load import LoadResult, load
from govcloud.model import Project


def validate(paths: Sequence[str]) -> LoadResult:
    """Load and schema-check every blueprint under `paths`."""
    return load([os.fspath(p) for p in paths])


class InvalidBlueprints(GovcloudError):
    """Raised by load_project when blueprints do not validate; carries every finding."""

    def __init__(self, result: LoadResult) -> None:
        first = next(f for f in result.findings if f.blocking)
        more = sum(1 for f in result.findings if f.blocking) - 1
        suffix = f" (and {more} more; run `govcloud validate`)" if more else ""
        super().__init__(first.message + suffix, rule=first.rule, location=first.location, hint=first.hint)
        self.result = result


def load_project(path: str | os.PathLike[str] = "blueprints") -> Project:
    """The validated project under `path`, or InvalidBlueprints."""
    result = validate([os.fspath(path)])
    if not result.ok or result.project is None:
        raise InvalidBlueprints(result)
    return result.project
