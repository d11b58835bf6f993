"""`govcloud state list|show|export`: the embedded engine's state, read without unlocking it.

Rows are read straight from the stack's SQLite file in read-only mode: no passphrase is
needed, nothing is written, and secrets stay the ciphertext objects the engine sealed.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govcloud.engine import StateStore
from govcloud.engine.properties import PROVIDER_KEY, render
from govcloud.errors import GovcloudError
from govcloud.program import StackConfig

CITY = "city"


@dataclass(frozen=True)
class StateEntry:
    urn: str
    type: str
    id: str
    parent: str
    custom: bool
    protect: bool
    inputs: dict[str, Any]  # as stored: secrets sealed
    outputs: dict[str, Any]
    dependencies: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def tags(self) -> dict[str, str]:
        tags = self.inputs.get("tags")
        return tags if isinstance(tags, dict) else {}

    @property
    def department(self) -> str:
        return self.tags.get("gov:department") or (self.name.split("/", 1)[0] if "/" in self.name else CITY)

    def summary(self) -> dict[str, Any]:
        return {"urn": self.urn, "name": self.name, "type": self.type, "id": self.id,
                "custom": self.custom, "department": self.department if self.custom else None,
                "system": self.tags.get("gov:system"), "protect": self.protect}

    def shown(self) -> dict[str, Any]:
        """For `state show`: every property readable, secrets as `[secret]`."""
        return {**self.summary(), "parent": self.parent,
                "inputs": render({k: v for k, v in self.inputs.items() if k != PROVIDER_KEY}),
                "outputs": render(self.outputs), "dependencies": list(self.dependencies)}

    def exported(self) -> dict[str, Any]:
        return {"urn": self.urn, "type": self.type, "id": self.id, "parent": self.parent,
                "custom": self.custom, "protect": self.protect, "inputs": self.inputs,
                "outputs": self.outputs, "dependencies": list(self.dependencies)}


@dataclass(frozen=True)
class StateView:
    """A snapshot of one stack's state file."""

    stack: str
    path: Path
    exists: bool
    version: int
    resources: tuple[StateEntry, ...]
    outputs: dict[str, Any]  # sealed
    pending: int

    def find(self, urn: str) -> StateEntry:
        """The resource with this URN, or with this name (the URN's last part)."""
        for entry in self.resources:
            if entry.urn == urn:
                return entry
        named = [e for e in self.resources if e.name == urn]
        if len(named) == 1:
            return named[0]
        raise GovcloudError(
            f"no resource {urn!r} in stack '{self.stack}'", rule="GC-STATE",
            hint="list them with `govcloud state list --stack " + self.stack + "`")

    def by_department(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.resources:
            if entry.custom:
                counts[entry.department] = counts.get(entry.department, 0) + 1
        return dict(sorted(counts.items()))

    def to_list(self) -> list[dict[str, Any]]:
        return [e.summary() for e in self.resources]

    def export(self) -> dict[str, Any]:
        return {"stack": self.stack, "version": self.version,
                "resources": [e.exported() for e in self.resources], "outputs": self.outputs}


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)


def read_state(config: StackConfig) -> StateView:
    """The stack's state; an empty view when it was never applied."""
    path = StateStore.for_stack(config.root, config.stack).path
    if not path.is_file():
        return StateView(config.stack, path, False, 0, (), {}, 0)
    conn = _connect(path)
    try:
        # One read transaction: a concurrent apply's commits never tear the snapshot.
        conn.execute("BEGIN")
        version = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        rows = conn.execute(
            "SELECT urn, type, id, parent, custom, protect, inputs, outputs, dependencies"
            " FROM resources ORDER BY seq").fetchall()
        outputs = conn.execute("SELECT name, value FROM stack_outputs ORDER BY name").fetchall()
        pending = conn.execute("SELECT COUNT(*) FROM pending_ops").fetchone()
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise GovcloudError(f"cannot read the state of stack '{config.stack}' ({path}): {exc}",
                            rule="GC-STATE", exit_code=1) from exc
    finally:
        conn.close()
    entries = tuple(
        StateEntry(urn, type_, id_, parent, bool(custom), bool(protect), json.loads(inputs),
                   json.loads(outs), tuple(json.loads(deps)))
        for urn, type_, id_, parent, custom, protect, inputs, outs, deps in rows
    )
    return StateView(config.stack, path, True, int(version[0]) if version else 0, entries,
                     {name: json.loads(value) for name, value in outputs}, int(pending[0]))


def _stack_config(stack: str, root: str | Path | None) -> StackConfig:
    from govcloud.program import load_stack_config

    return load_stack_config(stack, Path(root) if root is not None else None)


def state_list(stack: str, *, root: str | Path | None = None) -> StateView:
    """Every resource the stack's state records (empty when it was never applied)."""
    return read_state(_stack_config(stack, root))


def state_show(stack: str, urn: str, *, root: str | Path | None = None) -> StateEntry:
    """One recorded resource, by URN or by its name (the URN's last part)."""
    return read_state(_stack_config(stack, root)).find(urn)


def state_export(stack: str, *, root: str | Path | None = None) -> dict[str, Any]:
    """The whole state as JSON data; secret values stay ciphertext objects."""
    return read_state(_stack_config(stack, root)).export()
