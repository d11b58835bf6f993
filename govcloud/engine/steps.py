"""One resource registration → one step: same, create, update or replace.

Called by the monitor on the SDK's executor threads, concurrently. A dependent registers
only after its dependencies returned, so each call may block on its provider. Every
provider write is journaled first (StateStore.begin) and its result committed at once.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pulumi.dynamic import ResourceProvider

from govcloud.engine.diff import Decision, Op, apply_ignore_changes, decide, property_diffs
from govcloud.engine.errors import EngineError, ProtectedError
from govcloud.engine.properties import (
    PROVIDER_KEY,
    Props,
    contains_unknown,
    jsonable,
    mark_secret_outputs,
    reveal,
    without_provider,
)
from govcloud.engine.providers import ProviderRegistry, call, overrides
from govcloud.engine.results import EngineEvent, Step
from govcloud.engine.state import ResourceState, StateStore

Emit = Callable[[EngineEvent], None]


@dataclass(frozen=True)
class Registration:
    """What the program asked for, decoded from a RegisterResourceRequest."""

    urn: str
    type: str
    parent: str
    custom: bool
    inputs: Props
    dependencies: tuple[str, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    ignore_changes: tuple[str, ...] = ()
    replace_on_changes: tuple[str, ...] = ()
    additional_secret_outputs: frozenset[str] = frozenset()
    # The URNs the resource may have had before (its aliases, resolved), in lookup order.
    aliases: tuple[str, ...] = ()


def provider_view(props: Props, provider_value: Any) -> Props:
    """Plain values for a provider call, `__provider` included as the SDK's servicer does."""
    plain: Props = reveal(without_provider(props))
    plain[PROVIDER_KEY] = reveal(provider_value)
    return plain


class StepRunner:
    """Turns registrations into steps against the recorded state."""

    def __init__(
        self, store: StateStore, registry: ProviderRegistry, old: dict[str, ResourceState], *,
        preview: bool, emit: Emit,
    ) -> None:
        self.store = store
        self.registry = registry
        self.old = old
        self.preview = preview
        self.emit = emit
        # URNs registered in this run, and former URNs claimed through an alias (kept).
        self.seen: set[str] = set()
        # URN → the former URN its resource was found under; and the reverse.
        self.renamed: dict[str, str] = {}
        self._claimed: dict[str, str] = {}
        # Recorded rows that name a URN as parent or dependency (built at the first rename),
        # and the rows rewritten to follow a rename.
        self._referrers: dict[str, list[str]] | None = None
        self._followed: dict[str, ResourceState] = {}
        self.steps: list[Step] = []
        self.failure: EngineError | None = None
        self._lock = threading.Lock()
        self._seq = itertools.count(max((r.seq for r in old.values()), default=0) + 1)

    # -- bookkeeping ------------------------------------------------------------------
    def _record(self, step: Step) -> None:
        renamed_from = self.renamed.get(step.urn, "")
        with self._lock:
            self.steps.append(replace(step, renamed_from=renamed_from) if renamed_from else step)

    def _fail(self, reg: Registration, op: Op, started: float, exc: BaseException) -> EngineError:
        message = f"{reg.urn}: {op.value} failed: {exc}"
        error = exc if isinstance(exc, EngineError) and reg.urn in str(exc) else EngineError(message)
        duration = time.monotonic() - started
        self._record(Step(reg.urn, reg.type, op, error=str(error), duration=duration))
        self.emit(EngineEvent("step-failed", reg.urn, op, duration, str(error)))
        with self._lock:
            if self.failure is None:
                self.failure = error
        return error

    def _guard(self) -> None:
        # After a failure no new provider writes start, as with Pulumi's own engine.
        if self.failure is not None:
            raise EngineError(f"skipped: an earlier step failed ({self.failure})")

    def _state_of(self, reg: Registration, id_: str, outputs: Props, old: ResourceState | None) -> ResourceState:
        return ResourceState(
            urn=reg.urn, type=reg.type, parent=reg.parent, custom=reg.custom, id=id_,
            inputs=reg.inputs, outputs=outputs, dependencies=reg.dependencies,
            protect=reg.protect, retain_on_delete=reg.retain_on_delete,
            delete_before_replace=reg.delete_before_replace,
            seq=old.seq if old is not None else next(self._seq),
        )

    # -- entry point ------------------------------------------------------------------
    def register(self, reg: Registration) -> tuple[str, Props]:
        """Returns the id and outputs the SDK resolves the resource with."""
        with self._lock:
            if reg.urn in self._claimed:
                raise EngineError(
                    f"{reg.urn}: this URN is an alias of {self._claimed[reg.urn]}, which was registered "
                    "first", hint="remove the alias, or the resource that still uses the old name")
            if reg.urn in self.seen:
                raise EngineError(f"duplicate resource URN {reg.urn}: names must be unique")
            self.seen.add(reg.urn)
            old = self._match(reg)
        if not reg.custom:
            return self._component(reg, old)
        provider = self.registry.for_props(reg.inputs)
        started = time.monotonic()
        try:
            reg = self._check(reg, provider, old)
            reg, decision = self._decide(reg, provider, old)
        except Exception as exc:
            raise self._fail(reg, Op.UPDATE if old else Op.CREATE, started, exc) from exc
        if decision.op is Op.SAME:
            return self._same(reg, old, decision)
        if old is not None and decision.op is Op.REPLACE and (old.protect or reg.protect):
            error = ProtectedError(f"{reg.urn}: cannot replace a protected resource ({_paths(decision)})")
            raise self._fail(reg, Op.REPLACE, started, error)
        if self.preview:
            return self._preview(reg, old, decision)
        self._guard()
        self.emit(EngineEvent("step-started", reg.urn, decision.op))
        try:
            if old is not None:
                old = self._rekey(reg, old)
            if decision.op is Op.CREATE:
                id_, outputs = self._create(reg, provider, old)
            elif decision.op is Op.UPDATE:
                assert old is not None
                id_, outputs = self._update(reg, provider, old)
            else:
                assert old is not None
                id_, outputs = self._replace(reg, provider, old, decision)
        except Exception as exc:
            raise self._fail(reg, decision.op, started, exc) from exc
        duration = time.monotonic() - started
        self._record(Step(reg.urn, reg.type, decision.op, decision.diffs, id_, duration))
        self.emit(EngineEvent("step-finished", reg.urn, decision.op, duration))
        return id_, outputs

    def _match(self, reg: Registration) -> ResourceState | None:
        """The recorded resource: at the URN, else at the first alias found (claimed). Locked."""
        old = self.old.get(reg.urn)
        if old is not None or not reg.aliases:
            return old
        for former in reg.aliases:
            old = self.old.get(former)
            if old is None:
                continue
            if former in self.seen or former in self._claimed:
                other = self._claimed.get(former, former)
                raise EngineError(f"{reg.urn}: its alias {former} is already taken by {other}",
                                  hint="two resources cannot both be the former resource")
            self._claimed[former] = reg.urn
            self.renamed[reg.urn] = former
            self.seen.add(former)  # the former row moves to the new URN; never delete it
            return old
        return None

    def _rekey(self, reg: Registration, old: ResourceState) -> ResourceState:
        """Move a resource found through an alias to its new URN, before any other write."""
        former = self.renamed.get(reg.urn)
        if former is None or self.preview:
            return old
        moved = replace(old, urn=reg.urn, parent=reg.parent, dependencies=reg.dependencies)
        self._move(former, moved)
        return moved

    def _move(self, former: str, moved: ResourceState) -> None:
        """Re-key the row; rows not yet registered that name the former URN follow it.

        Registered rows write their own references; the others would otherwise keep naming
        a URN that is gone, and a destroy after a failed run would lose their order.
        """
        self.store.rekey(former, moved)
        with self._lock:  # register() marks a row seen under this lock before it writes it
            if self._referrers is None:
                self._referrers = {}
                for urn, res in self.old.items():
                    for target in {res.parent, *res.dependencies} - {""}:
                        self._referrers.setdefault(target, []).append(urn)
            for urn in self._referrers.get(former, ()):
                if urn in self.seen:
                    continue
                row = self._followed.get(urn, self.old[urn])
                row = replace(row, parent=moved.urn if row.parent == former else row.parent,
                              dependencies=tuple(moved.urn if d == former else d for d in row.dependencies))
                self._followed[urn] = row
                self.store.put(row)

    # -- decisions --------------------------------------------------------------------
    def _check(self, reg: Registration, provider: ResourceProvider, old: ResourceState | None) -> Registration:
        if not overrides(provider, "check") or contains_unknown(reg.inputs):
            return reg
        olds = reveal(without_provider(old.inputs)) if old else {}
        news = reveal(without_provider(reg.inputs))
        result = call(provider.check, olds, news)
        if result.failures:
            reasons = "; ".join(f"{f.property}: {f.reason}" for f in result.failures)
            raise EngineError(f"{reg.urn}: invalid inputs: {reasons}")
        checked = mark_secret_outputs(jsonable(dict(result.inputs)), reg.inputs, frozenset())
        checked[PROVIDER_KEY] = reg.inputs[PROVIDER_KEY]
        return replace(reg, inputs=checked)

    def _decide(
        self, reg: Registration, provider: ResourceProvider, old: ResourceState | None
    ) -> tuple[Registration, Decision]:
        if old is None or not old.custom:
            return reg, Decision(Op.CREATE, property_diffs({}, reg.inputs))
        if reg.ignore_changes:
            # The ignored paths keep their recorded values, in the diff and in state.
            reg = replace(reg, inputs=apply_ignore_changes(old.inputs, reg.inputs, reg.ignore_changes))
        news = reg.inputs
        diffs = property_diffs(old.inputs, news, reg.replace_on_changes)
        dbr = reg.delete_before_replace
        if old.dirty and not diffs:
            return reg, Decision(Op.UPDATE)
        if not overrides(provider, "diff"):
            return reg, decide(diffs, delete_before_replace=dbr)
        # With unknowns too: the provider sees the sentinel and knows which of its
        # properties force a replacement (a plan must not say update where apply replaces).
        result = call(provider.diff, old.id, provider_view(old.outputs, news[PROVIDER_KEY]),
                      provider_view(news, news[PROVIDER_KEY]))
        if result.changes is None and not result.replaces:
            return reg, decide(diffs, delete_before_replace=dbr)
        decision = decide(
            diffs, provider_changes=result.changes, provider_replaces=result.replaces or (),
            provider_dbr=result.delete_before_replace, delete_before_replace=dbr,
        )
        if decision.op is Op.UPDATE and any(d.replaces for d in diffs):
            return reg, Decision(Op.REPLACE, diffs, decision.delete_before_replace)
        return reg, decision

    # -- steps ------------------------------------------------------------------------
    def _component(self, reg: Registration, old: ResourceState | None) -> tuple[str, Props]:
        if old is not None and old.custom:
            raise EngineError(f"{reg.urn}: a custom resource cannot become a component")
        op = Op.CREATE if old is None else Op.SAME
        new = self._state_of(reg, "", old.outputs if old else {}, old)
        former = self.renamed.get(reg.urn)
        if not self.preview and former:
            self._move(former, new)
        elif not self.preview and (old is None or _metadata_changed(old, new) or old.inputs != new.inputs):
            self.store.put(new)
        self._record(Step(reg.urn, reg.type, op))
        self.emit(EngineEvent("step-finished", reg.urn, op))
        return "", {}

    def _same(self, reg: Registration, old: ResourceState | None, decision: Decision) -> tuple[str, Props]:
        assert old is not None
        new = self._state_of(reg, old.id, old.outputs, old)
        former = self.renamed.get(reg.urn)
        if not self.preview and (former or _metadata_changed(old, new) or decision.diffs):
            # Keep the sealed provider: it only changes when a real update happens.
            kept = replace(new, inputs={**reg.inputs, PROVIDER_KEY: old.inputs[PROVIDER_KEY]})
            if former:
                self._move(former, kept)
            else:
                self.store.put(kept)
        self._record(Step(reg.urn, reg.type, Op.SAME, id=old.id))
        self.emit(EngineEvent("step-finished", reg.urn, Op.SAME))
        return old.id, old.outputs

    def _preview(self, reg: Registration, old: ResourceState | None, decision: Decision) -> tuple[str, Props]:
        self._record(Step(reg.urn, reg.type, decision.op, decision.diffs, old.id if old else ""))
        self.emit(EngineEvent("step-finished", reg.urn, decision.op))
        if decision.op is Op.UPDATE and old is not None:
            return old.id, {**old.outputs, **without_provider(reg.inputs)}
        # Creates and replacements: no id yet, outputs are the checked inputs.
        return "", without_provider(reg.inputs)

    def _meta(self, reg: Registration, seq: int) -> dict[str, Any]:
        return {"parent": reg.parent, "dependencies": list(reg.dependencies),
                "protect": reg.protect, "retain_on_delete": reg.retain_on_delete,
                "delete_before_replace": reg.delete_before_replace, "seq": seq,
                "additional_secret_outputs": sorted(reg.additional_secret_outputs)}

    def _create(self, reg: Registration, provider: ResourceProvider, old: ResourceState | None) -> tuple[str, Props]:
        seq = old.seq if old is not None else next(self._seq)
        op_id = self.store.begin(reg.urn, reg.type, "create", inputs=reg.inputs, meta=self._meta(reg, seq))
        try:
            result = call(provider.create, provider_view(reg.inputs, reg.inputs[PROVIDER_KEY]))
        except BaseException:
            # Dynamic creates are transactional: a failed create left nothing behind.
            self.store.drop_op(op_id)
            raise
        if not result.id:
            self.store.drop_op(op_id)
            raise EngineError(f"{reg.urn}: provider returned an empty id")
        outputs = mark_secret_outputs(
            without_provider(jsonable(result.outs or {})), reg.inputs, reg.additional_secret_outputs
        )
        new = replace(self._state_of(reg, str(result.id), outputs, old), seq=seq)
        self.store.finish_create(op_id, new, condemn_old=old is not None and old.custom)
        return new.id, outputs

    def _update(self, reg: Registration, provider: ResourceProvider, old: ResourceState) -> tuple[str, Props]:
        op_id = self.store.begin(reg.urn, reg.type, "update", resource_id=old.id, inputs=reg.inputs,
                                 outputs=old.outputs)
        try:
            result = call(provider.update, old.id, provider_view(old.outputs, reg.inputs[PROVIDER_KEY]),
                          provider_view(reg.inputs, reg.inputs[PROVIDER_KEY]))
        except BaseException:
            # The resource may be half-updated: force an update next time.
            self.store.drop_op(op_id, mark_dirty=reg.urn)
            raise
        outs = old.outputs if result.outs is None else without_provider(jsonable(result.outs))
        outputs = mark_secret_outputs(outs, reg.inputs, reg.additional_secret_outputs)
        self.store.finish_update(op_id, self._state_of(reg, old.id, outputs, old))
        return old.id, outputs

    def _replace(
        self, reg: Registration, provider: ResourceProvider, old: ResourceState, decision: Decision
    ) -> tuple[str, Props]:
        if decision.delete_before_replace:
            old_provider = self.registry.for_props(self._opened(old.inputs))
            if not old.retain_on_delete:
                op_id = self.store.begin(reg.urn, reg.type, "delete", resource_id=old.id,
                                         inputs=old.inputs, outputs=old.outputs)
                view = provider_view(old.outputs, self._opened(old.inputs)[PROVIDER_KEY])
                call(old_provider.delete, old.id, view)
                self.store.finish_delete(op_id, reg.urn, None, old.id)
            else:
                self.store.finish_delete(None, reg.urn, None, old.id)
            return self._create(reg, provider, None)
        return self._create(reg, provider, old)

    def _opened(self, props: Props) -> Props:
        return {**props, PROVIDER_KEY: self.store.open_value(props.get(PROVIDER_KEY))}


def _metadata_changed(old: ResourceState, new: ResourceState) -> bool:
    return (old.parent, old.dependencies, old.protect, old.retain_on_delete,
            old.delete_before_replace) != (new.parent, new.dependencies, new.protect,
                                           new.retain_on_delete, new.delete_before_replace)


def _paths(decision: Decision) -> str:
    changed = [d.path for d in decision.diffs if d.replaces] or [d.path for d in decision.diffs]
    return "changes to " + ", ".join(changed) if changed else "provider requires replacement"
