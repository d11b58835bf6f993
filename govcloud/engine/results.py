"""What an engine run returns: frozen, JSON-printable, secrets never included."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from govcloud.engine.diff import Op, PropertyDiff

SUMMARY_OPS = (Op.CREATE, Op.UPDATE, Op.REPLACE, Op.DELETE, Op.SAME)


@dataclass(frozen=True)
class Step:
    urn: str
    type: str
    op: Op
    diffs: tuple[PropertyDiff, ...] = ()
    id: str = ""
    duration: float = 0.0
    error: str = ""
    # The URN the resource had before, when it was found through an alias.
    renamed_from: str = ""

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    def to_dict(self) -> dict[str, Any]:
        return {"urn": self.urn, "type": self.type, "op": self.op.value, "id": self.id,
                "duration": round(self.duration, 6), "error": self.error,
                "diffs": [d.to_dict() for d in self.diffs], "renamed_from": self.renamed_from}

    @property
    def shown(self) -> bool:
        """Whether a plan or result lists the step: it changes something, or renames it."""
        return self.op is not Op.SAME or bool(self.renamed_from)


@dataclass(frozen=True)
class ChangeSummary:
    """How many resources a plan or run creates, updates, replaces, deletes or leaves alone."""

    create: int = 0
    update: int = 0
    replace: int = 0
    delete: int = 0
    same: int = 0

    @classmethod
    def of(cls, steps: tuple[Step, ...]) -> ChangeSummary:
        counts = {op.value: 0 for op in SUMMARY_OPS}
        for step in steps:
            key = Op.DELETE.value if step.op in (Op.DISCARD, Op.DELETE_REPLACED) else step.op.value
            if key in counts and not step.error:
                counts[key] += 1
        # A replacement's old half is part of the replace, not a separate delete.
        counts["delete"] -= sum(1 for s in steps if s.op is Op.DELETE_REPLACED and not s.error)
        return cls(**counts)

    def to_dict(self) -> dict[str, int]:
        return {"create": self.create, "update": self.update, "replace": self.replace,
                "delete": self.delete, "same": self.same}

    @property
    def changes(self) -> int:
        return self.create + self.update + self.replace + self.delete


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)


@dataclass(frozen=True)
class Plan:
    """A preview: the steps an apply would take, with per-property diffs."""

    project: str
    stack: str
    steps: tuple[Step, ...]
    summary: ChangeSummary
    warnings: tuple[str, ...] = ()
    # Whether the cloud was read first (`--refresh`); else the plan compares with the state.
    refreshed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"project": self.project, "stack": self.stack, "summary": self.summary.to_dict(),
                "steps": [s.to_dict() for s in self.steps if s.shown],
                "warnings": list(self.warnings), "refreshed": self.refreshed}

    def to_json(self) -> str:
        return _dumps(self.to_dict())


@dataclass(frozen=True)
class Result:
    """An apply or destroy: the steps taken, outputs (secrets masked), state version."""

    project: str
    stack: str
    kind: str
    steps: tuple[Step, ...]
    summary: ChangeSummary
    duration: float
    outputs: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    warnings: tuple[str, ...] = ()
    error: str = ""
    # How the failure came about (Python traceback): for --debug, never in the JSON.
    traceback: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        return not self.error

    def to_dict(self) -> dict[str, Any]:
        return {"project": self.project, "stack": self.stack, "kind": self.kind, "ok": self.ok,
                "error": self.error, "summary": self.summary.to_dict(),
                "duration": round(self.duration, 3), "outputs": self.outputs,
                "version": self.version,
                "steps": [s.to_dict() for s in self.steps if s.shown],
                "warnings": list(self.warnings)}

    def to_json(self) -> str:
        return _dumps(self.to_dict())


@dataclass(frozen=True)
class DriftEntry:
    urn: str
    type: str
    id: str
    diffs: tuple[PropertyDiff, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"urn": self.urn, "type": self.type, "id": self.id,
                "diffs": [d.to_dict() for d in self.diffs]}


@dataclass(frozen=True)
class Drift:
    """A refresh: resources whose live properties changed, and those gone from the cloud."""

    project: str
    stack: str
    changed: tuple[DriftEntry, ...]
    gone: tuple[str, ...]
    unchanged: int
    duration: float
    version: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def drifted(self) -> bool:
        return bool(self.changed or self.gone)

    def to_dict(self) -> dict[str, Any]:
        return {"project": self.project, "stack": self.stack, "drifted": self.drifted,
                "changed": [c.to_dict() for c in self.changed], "gone": list(self.gone),
                "unchanged": self.unchanged, "duration": round(self.duration, 3),
                "version": self.version, "warnings": list(self.warnings)}

    def to_json(self) -> str:
        return _dumps(self.to_dict())


@dataclass(frozen=True)
class EngineEvent:
    """Progress for the CLI: kind is step-started, step-finished, step-failed or warning."""

    kind: str
    urn: str = ""
    op: Op | None = None
    duration: float = 0.0
    message: str = ""
