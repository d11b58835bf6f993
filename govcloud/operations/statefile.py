"""`govcloud state list|show|export`: a stack's state, read without unlocking it.

The checkpoint (and the journal of a run under way) is read from the stack's backend: no
passphrase is needed, nothing is written, and secrets stay the ciphertext objects the engine
sealed. The commands that change state (rm, import, unlock, migrate) are in statecommands.py.
"""
from __future__ import annotations

import json
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

    def to_dict(self) -> dict[str, Any]:
        """What `state show --format json` prints: every property, secrets as `[secret]`."""
        return self.shown()

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)


@dataclass(frozen=True)
class StateView:
    """A snapshot of one stack's state file."""

    stack: str
    path: str
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

    def to_dict(self) -> dict[str, Any]:
        """The state at a glance: where it is, its version, and every resource's summary
        (`state list --format json` prints the `resources` list)."""
        return {"stack": self.stack, "path": self.path, "exists": self.exists, "version": self.version,
                "pending": self.pending, "departments": self.by_department(), "resources": self.to_list()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)


def open_state(config: StackConfig) -> StateStore:
    """The stack's state in its backend, loaded (no passphrase needed to read it)."""
    from govcloud.program.stackconfig import project_name

    return StateStore.for_stack(config.root, config.stack, project=project_name(config.root)).open()


def read_state(config: StackConfig, store: StateStore | None = None) -> StateView:
    """The stack's state; an empty view when it was never applied."""
    store = store or open_state(config)
    legacy = store.legacy_pending
    if legacy is not None:
        raise GovcloudError(
            f"{legacy}: the state of stack '{config.stack}' is in govcloud 0.1's format",
            rule="GC-STATE",
            hint=f"move it into the backend with `govcloud state migrate --stack {config.stack}`"
                 " (the next plan, apply, refresh or destroy does it too)")
    resources = store.sealed_resources()
    entries = tuple(
        StateEntry(r.urn, r.type, r.id, r.parent, r.custom, r.protect, r.inputs, r.outputs, r.dependencies)
        for r in resources
    )
    exists = bool(resources) or store.version > 0
    return StateView(config.stack, store.path, exists, store.version, entries, store.sealed_outputs(),
                     store.pending_count())


def _stack_config(stack: str, root: str | Path | None) -> StackConfig:
    from govcloud.program import load_stack_config

    return load_stack_config(stack, Path(root) if root is not None else None)


def state_list(stack: str, *, root: str | Path | None = None) -> StateView:
    """Every resource the stack's state records (empty when it was never applied)."""
    return read_state(_stack_config(stack, root))


def state_show(stack: str, urn: str, *, root: str | Path | None = None) -> StateEntry:
    """One recorded resource, by URN or by its name (the URN's last part)."""
    return read_state(_stack_config(stack, root)).find(urn)


def state_export(stack: str, *, root: str | Path | None = None, version: int | None = None) -> dict[str, Any]:
    """The stack's state as a Pulumi version-3 deployment (`pulumi stack import` reads it);
    with `version`, the checkpoint that run left. Secret values stay ciphertext objects."""
    config = _stack_config(stack, root)
    store = open_state(config)
    read_state(config, store)  # refuses an unmigrated old-format state
    return store.history_deployment(version) if version is not None else store.deployment()
