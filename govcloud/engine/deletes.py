"""Deleting resources in reverse dependency order, in parallel where the graph allows.

A resource is deleted only after everything that depends on it (or is parented to it)
among the resources being deleted is gone.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from govcloud.engine.diff import Op
from govcloud.engine.errors import EngineError, ProtectedError
from govcloud.engine.properties import PROVIDER_KEY
from govcloud.engine.providers import ProviderRegistry, call
from govcloud.engine.results import EngineEvent, Step
from govcloud.engine.state import ResourceState, StateStore
from govcloud.engine.steps import provider_view


@dataclass(frozen=True)
class DeleteTarget:
    """A recorded resource to remove; `cid` is set for the old half of a replacement."""

    resource: ResourceState
    cid: int | None = None

    @property
    def key(self) -> tuple[str, int | None]:
        return (self.resource.urn, self.cid)

    @property
    def op(self) -> Op:
        if self.resource.retain_on_delete and self.resource.custom:
            return Op.DISCARD
        return Op.DELETE_REPLACED if self.cid is not None else Op.DELETE


@dataclass(frozen=True)
class DeleteLimit:
    """How much of a stack one `up` may delete before it stops and asks (--allow-mass-delete).

    Deleting more than `count` resources, or more than `fraction` of a stack of at least
    `small_stack` resources, is refused: a blueprint folder that vanished or a typo in a
    stack file must not take the city down. `destroy` is exempt: it is asked for by name.
    """

    fraction: float = 0.20
    count: int = 50
    small_stack: int = 25
    allowed: bool = False

    def exceeded(self, deletes: int, total: int) -> bool:
        if self.allowed or deletes == 0:
            return False
        return deletes > self.count or (total >= self.small_stack and deletes > self.fraction * total)

    def check(self, targets: Sequence[DeleteTarget], recorded: Mapping[str, ResourceState]) -> None:
        deletes = sum(1 for t in targets if t.cid is None and t.resource.custom)
        total = sum(1 for r in recorded.values() if r.custom)
        if self.exceeded(deletes, total):
            raise EngineError(
                f"refusing to delete {deletes} of the stack's {total} resources in one apply"
                f" (the limit is {self.count}, or {self.fraction:.0%} of the stack); nothing was deleted;"
                " if intended, run again with --allow-mass-delete",
                rule="GC-ENGINE-MASS-DELETE",
                hint="check that every blueprint folder was read; if the deletes are intended,"
                     " run again with --allow-mass-delete")


def refuse_protected(targets: Sequence[DeleteTarget]) -> None:
    protected = sorted(t.resource.urn for t in targets if t.cid is None and t.resource.protect)
    if protected:
        raise ProtectedError(
            f"refusing to delete {len(protected)} protected resource(s): {', '.join(protected)}"
        )


def _order(targets: Sequence[DeleteTarget]) -> dict[tuple[str, int | None], set[tuple[str, int | None]]]:
    """For each target, the targets that must be deleted before it (its dependents)."""
    by_urn: dict[str, list[DeleteTarget]] = {}
    for target in targets:
        by_urn.setdefault(target.resource.urn, []).append(target)
    before: dict[tuple[str, int | None], set[tuple[str, int | None]]] = {t.key: set() for t in targets}
    for target in targets:
        res = target.resource
        for dep in (*res.dependencies, res.parent):
            for dependency in by_urn.get(dep, ()):
                if dependency.key != target.key:
                    before[dependency.key].add(target.key)
    return before


class Deleter:
    """Runs delete steps; with `preview` it only reports them."""

    def __init__(
        self, store: StateStore, registry: ProviderRegistry, *, parallel: int, preview: bool,
        emit: Callable[[EngineEvent], None],
    ) -> None:
        self.store = store
        self.registry = registry
        self.parallel = max(1, parallel)
        self.preview = preview
        self.emit = emit

    def run(self, targets: Sequence[DeleteTarget]) -> tuple[list[Step], EngineError | None]:
        if self.preview:
            return [Step(t.resource.urn, t.resource.type, t.op, id=t.resource.id) for t in targets], None
        by_key = {t.key: t for t in targets}
        waiting_on = _order(targets)
        blocked_by = {key: len(deps) for key, deps in waiting_on.items()}
        unlocks: dict[tuple[str, int | None], list[tuple[str, int | None]]] = {k: [] for k in by_key}
        for key, deps in waiting_on.items():
            for dep in deps:
                unlocks[dep].append(key)
        ready = [k for k, n in blocked_by.items() if n == 0]
        steps: list[Step] = []
        failure: EngineError | None = None
        deleted: set[tuple[str, int | None]] = set()
        with ThreadPoolExecutor(self.parallel, thread_name_prefix="govcloud-delete") as pool:
            running: dict[Future[Step], tuple[str, int | None]] = {}
            while ready or running:
                while ready and failure is None:
                    key = ready.pop()
                    running[pool.submit(self._delete, by_key[key])] = key
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    key = running.pop(future)
                    step = future.result()
                    steps.append(step)
                    if step.error:
                        failure = failure or EngineError(step.error)
                        continue
                    deleted.add(key)
                    for nxt in unlocks[key]:
                        blocked_by[nxt] -= 1
                        if blocked_by[nxt] == 0:
                            ready.append(nxt)
        left = [by_key[key].resource.urn for key in by_key if key not in deleted]
        return steps, _not_deleted(left, failure)

    def _delete(self, target: DeleteTarget) -> Step:
        """One delete; a failure is the returned step's error, never an exception."""
        res, op = target.resource, target.op
        started = time.monotonic()
        self.emit(EngineEvent("step-started", res.urn, op))
        op_id: int | None = None
        try:
            if op is Op.DISCARD or not res.custom:
                self.store.finish_delete(None, res.urn, target.cid, res.id)
            else:
                provider_value = self.store.open_value(res.inputs.get(PROVIDER_KEY))
                provider = self.registry.for_props({PROVIDER_KEY: provider_value})
                op_id = self.store.begin(res.urn, res.type, "delete", resource_id=res.id,
                                         cid=target.cid, inputs=res.inputs, outputs=res.outputs)
                call(provider.delete, res.id, provider_view(res.outputs, provider_value))
                self.store.finish_delete(op_id, res.urn, target.cid, res.id)
        except Exception as exc:  # noqa: BLE001 - reported as the step's failure
            if op_id is not None:
                # A failed delete leaves the resource in place: nothing to recover.
                self.store.drop_op(op_id)
            duration = time.monotonic() - started
            message = f"{res.urn}: {op.value} failed: {exc}"
            self.emit(EngineEvent("step-failed", res.urn, op, duration, message))
            return Step(res.urn, res.type, op, id=res.id, duration=duration, error=message)
        duration = time.monotonic() - started
        self.emit(EngineEvent("step-finished", res.urn, op, duration))
        return Step(res.urn, res.type, op, id=res.id, duration=duration)


# The error line names this many of the resources left (the state keeps every one).
_NAMED = 10


def _not_deleted(left: list[str], failure: EngineError | None) -> EngineError | None:
    """Every target not deleted fails the run, by name: after a failure, or in a cycle."""
    if not left:
        return failure
    urns = sorted(set(left))
    names = ", ".join(urns[:_NAMED]) + (f" and {len(urns) - _NAMED} more" if len(urns) > _NAMED else "")
    if failure is not None:
        return EngineError(f"{failure.message}; not deleted: {names}", rule=failure.rule, hint=failure.hint)
    # Nothing failed, so what is left waits on itself: a dependency cycle.
    return EngineError(f"dependency cycle among the resources to delete; not deleted: {names}",
                       hint="check the recorded dependencies and parents (`govcloud state show`)")
