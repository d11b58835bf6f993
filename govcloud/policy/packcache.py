"""Policy folders kept read in the project's cache (`.govcloud/cache/policies/`).

Reading a policy folder parses every pack and data file, checks them against their schemas
and judges each rule's examples: a tenth of a re-check. An entry keeps the resulting
PolicySet as plain data (marshal), named by the SHA-256 of everything it depends on: the
folder's name as shown, the name and bytes of each file in it and in its data/, and the code
that reads them (with govcloud's version). A changed file or govcloud finds no entry; entries
are written whole (temp + rename) and carry their checksum, like the blueprint cache's.
"""
from __future__ import annotations

import hashlib
import marshal
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from govcloud.load.cache import CACHE_DIR, code_digest, finding_row, findings_of, read_checked, touch, write_atomic
from govcloud.model import Location, Severity
from govcloud.policy.packs import DATA_DIR, PolicySet, load_policies
from govcloud.policy.rule import Citation, Rule

_FIELDS = tuple(f.name for f in fields(Rule))


def _values(obj: Any) -> tuple[Any, ...]:
    """A frozen dataclass's fields, in order (read back by calling the class with them)."""
    return tuple(getattr(obj, f.name) for f in fields(obj))


# The fields of a Rule that are not plain data, and how each is written and read back.
_WRITE: dict[str, Any] = {
    "severity": lambda s: s.value,
    "location": lambda loc: None if loc is None else _values(loc),
    "citations": lambda cs: tuple(_values(c) for c in cs),
}
_READ: dict[str, Any] = {
    "severity": Severity,
    "location": lambda loc: None if loc is None else Location(*loc),
    "citations": lambda cs: tuple(Citation(*c) for c in cs),
}


def folder_digest(folder: str) -> str:
    """SHA-256 of the name and bytes of every file of a policy folder and of its data/ (what a
    check's caches of the folder and of its rules' results are keyed on, read once a check).

    A file that cannot be read counts by its error: reading the folder names it as a problem,
    and the key changes once the file can be read again."""
    h = hashlib.sha256()
    for top in (folder, os.path.join(folder, DATA_DIR)):
        if not os.path.isdir(top):
            continue
        for name in sorted(os.listdir(top)):
            path = os.path.join(top, name)
            if os.path.isfile(path):
                try:
                    with open(path, "rb") as fh:
                        content = fh.read()
                except OSError as e:
                    content = f"unreadable: {e.strerror}".encode()
                h.update(name.encode() + b"\0" + content + b"\0")
    return h.hexdigest()


def _row(rule: Rule) -> tuple[Any, ...]:
    return tuple(_WRITE[name](getattr(rule, name)) if name in _WRITE else getattr(rule, name) for name in _FIELDS)


def _rule(row: tuple[Any, ...]) -> Rule:
    return Rule(**{name: _READ[name](v) if name in _READ else v for name, v in zip(_FIELDS, row, strict=True)})


def _rows(policies: PolicySet) -> tuple[Any, ...]:
    return (policies.directory, [_row(r) for r in policies.rules], dict(policies.data),
            [finding_row(f) for f in policies.problems])


def _decoded(payload: bytes) -> PolicySet:
    directory, rules, data, problems = marshal.loads(payload)
    if not isinstance(directory, str) or not isinstance(data, dict):
        raise ValueError("not a policy folder")
    return PolicySet(directory, tuple(_rule(r) for r in rules), data, tuple(findings_of(problems)))


def _encoded(policies: PolicySet) -> bytes | None:
    """The entry's payload, or None when marshal cannot write the folder's data or reading it back
    would not give every field of every rule again (a value of a type marshal does not keep)."""
    try:
        payload = marshal.dumps(_rows(policies))
        same = _rows(_decoded(payload)) == _rows(policies)
    except (ValueError, TypeError):
        return None
    return payload if same else None


def stored_policies(root: str | os.PathLike[str], folder: str, digest: str) -> PolicySet:
    """`load_policies(folder)`, read from `<root>/.govcloud/cache/policies/` when kept there, else
    read and kept; `digest` is the folder's (`folder_digest`)."""
    if not os.path.isdir(folder):
        return load_policies(folder)  # its error, as without a cache
    key = f"{code_digest('load', 'schema', 'model', 'policy')}\0{folder}\0{digest}"
    path = Path(root) / CACHE_DIR / "policies" / hashlib.sha256(key.encode()).hexdigest()
    payload = read_checked(path)
    if payload is not None:
        try:
            policies = _decoded(payload)
        except (ValueError, TypeError, KeyError, IndexError, EOFError):  # another shape: read afresh
            pass
        else:
            touch(path)
            return policies
    policies = load_policies(folder)
    encoded = _encoded(policies)
    if encoded is not None:
        write_atomic(path, encoded)
    return policies
