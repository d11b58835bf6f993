"""Recovering provider calls that a killed run left unrecorded.

StateStore.begin journals every create, update and delete before the provider is called;
the result replaces the journal row in one transaction. A row still present at the next
mutating run means the process died in between. This module settles each one:

- create: ask the provider whether the resource exists (`find_interrupted(props)` where the
  provider has it, which also finds a half-made one, else `find_existing(props)`; both look
  it up by name or tag) and adopt it, or drop the row if it never got created. A provider
  may answer with ReadResults or with a bare id: a bare id is read back, and the adopted
  resource is marked dirty so the run applies the inputs again (the create may have
  stopped half-way, e.g. before tagging);
  A request the dead run had in flight may still land after it died: a create found
  nothing is looked up again once IN_FLIGHT_GRACE seconds passed since it was journaled;
- update: the resource may be half-updated: mark it dirty so the run updates it again;
- delete: read it; if it is gone, forget it, else delete it again.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from pulumi.dynamic import ReadResult, ResourceProvider

from govcloud.engine.diff import Op
from govcloud.engine.errors import EngineError
from govcloud.engine.properties import (
    PROVIDER_KEY,
    jsonable,
    mark_secret_outputs,
    without_provider,
)
from govcloud.engine.providers import (
    FIND_EXISTING,
    FIND_INTERRUPTED,
    ProviderRegistry,
    call,
    overrides,
)
from govcloud.engine.results import EngineEvent, Step
from govcloud.engine.state import PendingOp, ResourceState, StateStore
from govcloud.engine.steps import provider_view

# How long a create request of a killed run may take to land at the cloud. Without the
# wait, a resource whose request was still being served when the run died is missed by
# the lookup and created a second time (seen with KMS keys, which have no natural key).
IN_FLIGHT_GRACE = 2.0


def _candidates(provider: ResourceProvider, found: Any, view: dict[str, Any]) -> tuple[list[ReadResult], bool]:
    """(what the lookup found, whether it came as bare ids that only say "it exists")."""
    if found is None:
        return [], False
    if isinstance(found, ReadResult):
        return [found], False
    if isinstance(found, str):
        if not found:
            return [], False
        read = call(provider.read, found, view) if overrides(provider, "read") else ReadResult(found, {})
        return ([ReadResult(found, read.outs or {})] if read is not None and read.id else []), True
    return [f for f in found if isinstance(f, ReadResult)], False


class Recovery:
    """Settles the journal before a run converges; returns the steps it took."""

    def __init__(
        self, store: StateStore, registry: ProviderRegistry, emit: Callable[[EngineEvent], None]
    ) -> None:
        self.store = store
        self.registry = registry
        self.emit = emit
        self.warnings: list[str] = []

    def run(self) -> list[Step]:
        steps: list[Step] = []
        for op in self.store.pending_ops():
            try:
                step = self._settle(op)
            except Exception as exc:
                raise EngineError(
                    f"{op.urn}: cannot recover the interrupted {op.op}: {exc}",
                    hint="fix the cause and run again; the journal keeps the operation",
                ) from exc
            if step is not None:
                steps.append(step)
        return steps

    def _provider(self, op: PendingOp) -> tuple[ResourceProvider, Any]:
        value = op.inputs.get(PROVIDER_KEY)
        return self.registry.for_props({PROVIDER_KEY: value}), value

    def _settle(self, op: PendingOp) -> Step | None:
        if op.op == "create":
            return self._create(op)
        if op.op == "update":
            self.store.drop_op(op.op_id, mark_dirty=op.urn)
            self._warn(f"{op.urn}: an update was interrupted; it will be applied again")
            return None
        if op.op == "delete":
            return self._delete(op)
        raise EngineError(f"unknown journal operation {op.op!r}")

    def _create(self, op: PendingOp) -> Step | None:
        provider, provider_value = self._provider(op)
        if not overrides(provider, FIND_EXISTING):
            self.store.drop_op(op.op_id)
            self._warn(
                f"{op.urn}: a create was interrupted and the provider cannot look resources up "
                f"(no {FIND_EXISTING}); check the cloud for an orphan"
            )
            return None
        hook = FIND_INTERRUPTED if callable(getattr(provider, FIND_INTERRUPTED, None)) else FIND_EXISTING
        view = provider_view(op.inputs, provider_value)

        def lookup() -> tuple[list[ReadResult], bool]:
            found, bare = _candidates(provider, call(getattr(provider, hook), view), view)
            known = self._known_ids(op.type)
            return [c for c in found if c.id and str(c.id) not in known], bare

        fresh, bare = lookup()
        landing = op.started_at + IN_FLIGHT_GRACE - time.time()
        if not fresh and landing > 0 and op.pid != os.getpid():
            time.sleep(landing)  # the dead run's request may still be in flight
            fresh, bare = lookup()
        if not fresh:
            self.store.drop_op(op.op_id)
            return None
        hit = fresh[0]
        meta = op.meta
        secret_outputs = frozenset(meta.get("additional_secret_outputs", ()))
        outputs = mark_secret_outputs(
            without_provider(jsonable(hit.outs or {})), op.inputs, secret_outputs
        )
        current = self.store.resources().get(op.urn)
        res = ResourceState(
            urn=op.urn, type=op.type, parent=str(meta.get("parent", "")), custom=True,
            id=str(hit.id), inputs=op.inputs, outputs=outputs,
            dependencies=tuple(meta.get("dependencies", ())),
            protect=bool(meta.get("protect")), retain_on_delete=bool(meta.get("retain_on_delete")),
            delete_before_replace=bool(meta.get("delete_before_replace")),
            seq=int(meta.get("seq", 0)), dirty=bare,
        )
        # A create at a URN that still has a resource was the first half of a replacement.
        self.store.finish_create(op.op_id, res, condemn_old=current is not None and current.custom)
        self.emit(EngineEvent("step-finished", op.urn, Op.ADOPT))
        return Step(op.urn, op.type, Op.ADOPT, id=res.id)

    def _known_ids(self, type_: str) -> set[str]:
        ids = {r.id for r in self.store.resources().values() if r.type == type_ and r.id}
        ids.update(c.resource.id for c in self.store.condemned() if c.resource.type == type_)
        return ids

    def _delete(self, op: PendingOp) -> Step:
        provider, provider_value = self._provider(op)
        view = provider_view(op.outputs, provider_value)
        exists = True
        if overrides(provider, "read"):
            result = call(provider.read, op.resource_id, view)
            exists = result is not None and bool(result.id)
        if exists:
            call(provider.delete, op.resource_id, view)
        self.store.finish_delete(op.op_id, op.urn, op.cid, op.resource_id)
        self.emit(EngineEvent("step-finished", op.urn, Op.DELETE))
        return Step(op.urn, op.type, Op.DELETE_REPLACED if op.cid is not None else Op.DELETE,
                    id=op.resource_id)

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        self.emit(EngineEvent("warning", message=message))
