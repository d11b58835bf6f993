"""What a stack's state records: resources, condemned old halves, interrupted operations."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govcloud.engine.properties import Props


@dataclass(frozen=True)
class ResourceState:
    """One resource as recorded; secrets are wrappers, `__provider` may stay sealed."""

    urn: str
    type: str
    parent: str
    custom: bool
    id: str
    inputs: Props
    outputs: Props
    dependencies: tuple[str, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    # An update was interrupted: the cloud may differ from the recorded inputs.
    dirty: bool = False
    seq: int = 0


@dataclass(frozen=True)
class Condemned:
    """The old half of a create-before-delete replacement, waiting to be deleted."""

    cid: int
    resource: ResourceState


@dataclass(frozen=True)
class PendingOp:
    """A provider call that started and whose result was never recorded."""

    op_id: int
    urn: str
    type: str
    op: str
    resource_id: str
    cid: int | None
    inputs: Props
    outputs: Props
    # For a create: what the resource row will hold besides id and outputs.
    meta: dict[str, Any]
    started_at: float
    pid: int


