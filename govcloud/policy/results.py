"""Per-department results of the declarative rules and the local built-in checks, kept between
runs (`.govcloud/cache/results/`).

A department's declarative findings, and those of the built-in checks registered `local`
(quota, vocabulary, registers…), depend only on its own document, the City, the registers, the
policy folder (packs and data), the waivers, today's date and govcloud's code: with all of those
unchanged, the findings are those of the last run. One file per such context holds every
department's findings by the content key of its blueprint file; it is rewritten whole (temp +
rename) when a department was evaluated afresh. The other built-in checks look across
departments (duplicates, data sharing, capacity) and always run. The file also keeps how each
rule's schema explained the failures seen so far, so that an edited department failing as
before is explained without jsonschema.
"""
from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govcloud.load.cache import (
    CACHE_DIR,
    code_digest,
    content_digest,
    finding_row,
    findings_of,
    read_checked,
    touch,
    write_atomic,
)
from govcloud.model import Department, Finding, Project

if TYPE_CHECKING:
    from govcloud.policy.declarative import BoundRule


# Not a department's key (those are `digest:index`): how the rules' schemas explained the failures
# seen so far (declarative._errors), so that a re-check of a failing department asks jsonschema
# (0.1 s to import) only for a failure no earlier run saw.
_EXPLAINED = "explained"
Explained = dict[tuple[int, str, str], list[tuple[tuple[str | int, ...], str]]]


def _explained(rows: dict[str, Any]) -> Explained:
    found = rows.pop(_EXPLAINED, None)
    if not isinstance(found, dict):
        return {}
    for key, errors in found.items():  # checked by the entry's digest; its shape here
        if not (isinstance(key, tuple) and len(key) == 3 and isinstance(key[0], int) and isinstance(errors, list)
                and all(isinstance(e, tuple) and len(e) == 2 and isinstance(e[0], tuple) for e in errors)):
            return {}
    return found


class RuleResults:
    """Findings of the declarative rules and local built-ins by department, for one evaluation context."""

    def __init__(self, path: Path, rows: dict[str, Any]) -> None:
        self.path = path
        self._explained = _explained(rows)
        self._old = rows
        self._new: dict[str, Any] = {}
        self.changed = False

    @classmethod
    def open(cls, root: str | os.PathLike[str], project: Project, policy_digest: str,
             waivers: str | None, today: date) -> RuleResults | None:
        """The results kept for this context, or None when the City was not read through the cache.
        `policy_digest`: the policy folder's (`packcache.folder_digest`)."""
        city = content_digest(project.city.doc)
        if city is None:
            return None
        h = hashlib.sha256(code_digest("load", "schema", "model", "policy").encode())
        h.update(f"{city}:{project.city.doc.index}:{today.isoformat()}".encode())
        h.update(policy_digest.encode())
        for extra in sorted({*project.registers.files.values(), *([waivers] if waivers else [])}):
            if os.path.isfile(extra):  # the waivers, and the city's registers beside city.yaml
                with open(extra, "rb") as fh:
                    h.update(extra.encode() + b"\0" + fh.read())
        path = Path(root) / CACHE_DIR / "results" / h.hexdigest()
        rows: dict[str, Any] = {}
        payload = read_checked(path)
        if payload is not None:
            touch(path)  # used by this run: kept by the cache's pruning
            try:
                loaded = marshal.loads(payload)
                rows = loaded if isinstance(loaded, dict) else {}
            except (ValueError, TypeError, EOFError):
                rows = {}  # not trusted: evaluated afresh and rewritten
        return cls(path, rows)

    @staticmethod
    def key(dept: Department) -> str | None:
        digest = content_digest(dept.doc)
        return f"{digest}:{dept.doc.index}" if digest is not None else None

    def get(self, key: str) -> list[Finding] | None:
        rows = self._old.get(key)
        if rows is None:
            return None
        try:
            found = findings_of(rows)
        except (ValueError, TypeError, KeyError, IndexError):
            return None
        self._new[key] = rows
        return found

    def put(self, key: str, findings: Iterable[Finding]) -> None:
        self._new[key] = [finding_row(f) for f in findings]
        self.changed = True

    def seed(self, rules: Sequence[BoundRule]) -> None:
        """Give the run's bound rules (in binding order) the explanations earlier runs found."""
        for (i, schema, subject), errors in self._explained.items():
            if i < len(rules):
                rules[i].memo.setdefault((schema, subject), errors)

    def keep(self, rules: Sequence[BoundRule]) -> None:
        """Take the explanations the run's bound rules hold now (those seeded and those found)."""
        explained = {(i, *key): errors for i, rule in enumerate(rules) for key, errors in rule.memo.items()}
        if explained != self._explained:
            self._explained = explained
            self.changed = True

    def save(self) -> None:
        if self.changed or self._new.keys() != self._old.keys():
            write_atomic(self.path, marshal.dumps({**self._new, _EXPLAINED: self._explained}))
