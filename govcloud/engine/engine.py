"""The embedded engine: preview, up, refresh and destroy of one stack, in-process."""
from __future__ import annotations

import contextlib
import functools
import gc
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from govcloud.cloud import clients
from govcloud.engine.deletes import DeleteLimit, Deleter, DeleteTarget, refuse_protected
from govcloud.engine.diff import Op
from govcloud.engine.errors import EngineError
from govcloud.engine.host import Program, run_program
from govcloud.engine.journal import Recovery
from govcloud.engine.lock import StackLock
from govcloud.engine.monitor import EngineLog, Monitor
from govcloud.engine.properties import render
from govcloud.engine.providers import ProviderRegistry
from govcloud.engine.refresh import Refresher
from govcloud.engine.results import ChangeSummary, Drift, EngineEvent, Plan, Result, Step
from govcloud.engine.secrets import resolve_passphrase
from govcloud.engine.state import ResourceState, StateStore
from govcloud.engine.steps import StepRunner
from govcloud.errors import GovcloudError

DEFAULT_PARALLEL = 16
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _message(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if isinstance(exc, EngineError) else f"program failed: {type(exc).__name__}: {text}"


def _program_error(exc: BaseException) -> EngineError:
    """The run's error for what the program raised, chained to it (--debug prints the chain)."""
    if isinstance(exc, EngineError):
        return exc
    error = EngineError(_message(exc))
    error.__cause__ = exc
    return error


def _traceback(error: BaseException | None) -> str:
    return "".join(traceback.format_exception(error)) if error is not None else ""


# A run keeps what it makes (the SDK's Outputs, the state, the clients' service models) to its
# end: at the collector's default of 700 allocations its young collections promote them and
# the full passes walk them again, eight times in the example city's first apply (2.0 s of
# its 19 s CPU; 0.9 s with this, one full pass). Reference cycles are still collected.
RUN_GC_THRESHOLD = 10_000
_collector_lock = threading.Lock()
_collector_runs = [0, 0]  # runs in progress; the threshold before the first of them


@contextlib.contextmanager
def _collector_for_runs() -> Iterator[None]:
    """Inside, the cyclic collector's young generation holds RUN_GC_THRESHOLD allocations
    (never fewer than it was); the first of overlapping runs sets it, the last puts it back."""
    with _collector_lock:
        if _collector_runs[0] == 0:
            young, *older = gc.get_threshold()
            _collector_runs[1] = young
            gc.set_threshold(max(young, RUN_GC_THRESHOLD), *older)
        _collector_runs[0] += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_runs[0] -= 1
            if _collector_runs[0] == 0:
                gc.set_threshold(_collector_runs[1], *gc.get_threshold()[1:])


def _pooled(command: Callable[Concatenate[Engine, _P], _R]) -> Callable[Concatenate[Engine, _P], _R]:
    """Run an engine command with HTTP connection pools sized for its parallelism (and the
    collector set for a run: `_collector_for_runs`)."""

    def run(engine: Engine, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with clients.connections_for(engine.parallel), _collector_for_runs():
            return command(engine, *args, **kwargs)

    functools.update_wrapper(run, command)
    return run


class Engine:
    """Runs `program` (a Pulumi Python program of dynamic resources) against `state`.

    `on_event` receives step-started/step-finished/step-failed/warning events, from
    worker threads: keep it quick and thread-safe.
    """

    def __init__(
        self,
        project_name: str,
        stack: str,
        program: Program,
        state: StateStore | None = None,
        *,
        passphrase: str | None = None,
        parallel: int = DEFAULT_PARALLEL,
        lock_wait: float = 0.0,
        on_event: Callable[[EngineEvent], None] | None = None,
        config: Mapping[str, str] | None = None,
        secret_config_keys: tuple[str, ...] = (),
        project_dir: str | Path = ".",
        stack_default_passphrase: str | None = None,
        delete_limit: DeleteLimit | None = None,
    ) -> None:
        self.project_name = project_name
        self.stack = stack
        self.program = program
        self.state = state or StateStore.for_stack(project_dir, stack, project=project_name)
        self.passphrase = passphrase
        self.stack_default_passphrase = stack_default_passphrase
        self.parallel = max(1, parallel)
        self.lock_wait = lock_wait
        self.on_event = on_event
        self.config = dict(config or {})
        self.secret_config_keys = secret_config_keys
        self._warnings: list[str] = []
        self._refresh_first = False
        self.delete_limit = delete_limit or DeleteLimit()
        # The last run's failure, with its cause: the Result's traceback (for --debug).
        self._failure: EngineError | None = None

    # -- plumbing ---------------------------------------------------------------------
    def _emit(self, event: EngineEvent) -> None:
        if event.kind == "warning":
            self._warnings.append(event.message)
        if self.on_event is not None:
            self.on_event(event)

    def _lock(self, command: str) -> StackLock:
        return self.state.lock(command, wait=self.lock_wait,
                               warn=lambda m: self._emit(EngineEvent("warning", message=m)))

    def _unlock_state(self, *, mutating: bool = False) -> ProviderRegistry:
        """Load the state (under the lock when `mutating`), open its secrets."""
        self.state.open()
        self.state.unlock(resolve_passphrase(self.passphrase, self.stack_default_passphrase))
        if mutating and self.state.checkpoint():
            self._emit(EngineEvent("warning", message=(
                "folded the journal of an interrupted run into the checkpoint")))
        return ProviderRegistry(self.project_name, self.config)

    def _run(self, runner: StepRunner, *, preview: bool) -> tuple[Monitor, EngineError | None]:
        monitor = Monitor(self.project_name, self.stack, runner)
        try:
            run_program(
                self.program, project=self.project_name, stack=self.stack, monitor=monitor,
                engine=EngineLog(self._emit), preview=preview, parallel=self.parallel,
                config=self.config, secret_keys=self.secret_config_keys,
            )
        except Exception as exc:  # noqa: BLE001 - a program or step failure is the run's result
            self._failure = runner.failure or _program_error(exc)
            return monitor, self._failure
        return monitor, runner.failure

    # -- commands ---------------------------------------------------------------------
    @_pooled
    def preview(self, *, refresh: bool = False) -> Plan:
        """The steps `up` would take; no provider writes, no state writes, no lock.

        With `refresh`, every recorded resource is read from the cloud first, into a scratch
        copy of the state: the plan then compares the blueprints with the cloud itself.
        """
        self._warnings = []
        registry = self._unlock_state()
        pending = self.state.pending_ops()
        if pending:
            self._emit(EngineEvent("warning", message=(
                f"{len(pending)} interrupted operation(s) will be recovered by the next apply")))
        store = self.state.scratch() if refresh else self.state
        if refresh:
            Refresher(store, registry, parallel=self.parallel, emit=self._emit).run()
        old = store.resources()
        runner = StepRunner(store, registry, old, preview=True, emit=self._emit)
        _, error = self._run(runner, preview=True)
        if error is not None:
            raise error
        targets = self._removed(old, runner.seen, store)
        refuse_protected(targets)
        deletes, _ = Deleter(store, registry, parallel=self.parallel, preview=True,
                             emit=self._emit).run(targets)
        steps = tuple(runner.steps) + tuple(deletes)
        return Plan(self.project_name, self.stack, steps, ChangeSummary.of(steps), tuple(self._warnings),
                    refreshed=refresh)

    def up(self, *, refresh: bool = False) -> Result:
        """Converge the cloud and the state on the program (reading the cloud first with `refresh`)."""
        self._refresh_first = refresh
        return self._mutate("up", self._up)

    def adopt(self, kind: str, name: str, id_: str) -> Result:
        """Record the existing cloud resource `id_` as the program's resource `kind` `name`."""
        from govcloud.engine.adopt import Finder, adopted_state

        def body(registry: ProviderRegistry) -> tuple[list[Step], str]:
            old = self.state.resources()
            finder = Finder(self.state, registry, old, preview=True, emit=self._emit, kind=kind, name=name)
            _, error = self._run(finder, preview=True)
            if error is not None:
                raise error
            if len(finder.found) != 1:
                raise EngineError(
                    f"the stack's program has {'no' if not finder.found else len(finder.found)} {kind} named {name!r}",
                    hint="name it as `govcloud plan` lists it (e.g. gaj/systems/household-registry/bucket)")
            reg = finder.found[0]
            if reg.urn in old:
                raise EngineError(f"{reg.urn} is already in the stack's state (id {old[reg.urn].id})",
                                  hint="forget it first with `govcloud state rm` to import another id")
            self.state.put(adopted_state(reg, registry, id_, seq=len(old) + 1))
            return [Step(reg.urn, reg.type, Op.ADOPT, id=id_)], ""

        return self._mutate("import", body)

    def destroy(self) -> Result:
        """Delete every resource of the stack in reverse dependency order."""
        return self._mutate("destroy", self._destroy)

    @_pooled
    def refresh(self, *, confirm_forget: Callable[[tuple[str, ...]], bool] | None = None) -> Drift:
        """Read every resource back; record drift and forget resources that are gone.

        With `confirm_forget`, resources gone from the cloud are forgotten only if it
        returns True for their URNs (else they stay recorded, and a warning says so).
        """
        self._warnings = []
        started = time.monotonic()
        with self._lock("refresh") as lock:
            registry = self._unlock_state(mutating=True)
            wall = time.time()
            try:
                Recovery(self.state, registry, self._emit).run()
                drift = Refresher(self.state, registry, parallel=self.parallel, emit=self._emit,
                                  forget_gone=confirm_forget is None).run()
                if drift.gone and confirm_forget is not None:
                    if confirm_forget(drift.gone):
                        recorded = self.state.resources()
                        for urn in drift.gone:
                            self.state.finish_delete(None, urn, None, recorded[urn].id)
                    else:
                        self._emit(EngineEvent("warning", message=(
                            f"kept {len(drift.gone)} resource(s) that are gone from the cloud in the state;"
                            " the next apply recreates them only after they are forgotten")))
            except BaseException as exc:
                self._record_failure("refresh", lock.holder, wall, exc)
                raise
            self.state.record("refresh", lock.holder, wall, True,
                              {"changed": len(drift.changed), "gone": len(drift.gone)})
        return Drift(self.project_name, self.stack, drift.changed, drift.gone, drift.unchanged,
                     time.monotonic() - started, self.state.version, tuple(self._warnings))

    @_pooled
    def _mutate(self, kind: str, body: Callable[[ProviderRegistry], tuple[list[Step], str]]) -> Result:
        self._warnings, self._failure = [], None
        started, wall = time.monotonic(), time.time()
        with self._lock(kind) as lock:
            registry = self._unlock_state(mutating=True)
            try:
                recovered = Recovery(self.state, registry, self._emit).run()
                steps, error = body(registry)
            except BaseException as exc:
                # Ctrl-C or a crash of the engine itself: keep what was done, then re-raise.
                self._record_failure(kind, lock.holder, wall, exc)
                raise
            all_steps = tuple(recovered) + tuple(steps)
            summary = ChangeSummary.of(all_steps)
            self.state.record(kind, lock.holder, wall, not error, summary.to_dict(), error)
            outputs = {k: render(v) for k, v in self.state.stack_outputs().items()}
        return Result(self.project_name, self.stack, kind, all_steps, summary,
                      time.monotonic() - started, outputs, self.state.version,
                      tuple(self._warnings), error, _traceback(self._failure) if error else "")

    def _record_failure(self, kind: str, holder: str, wall: float, exc: BaseException) -> None:
        try:
            self.state.record(kind, holder, wall, False, {}, f"{type(exc).__name__}: {exc}".strip(": "))
        except GovcloudError as failed:
            # The original failure is the one raised; this one is said, not swallowed: the
            # journal still holds every step, and the next run folds it.
            self._emit(EngineEvent("warning", message=(
                f"the failed {kind} was not added to the history: {failed.line()}")))

    def _up(self, registry: ProviderRegistry) -> tuple[list[Step], str]:
        if self._refresh_first:
            drift = Refresher(self.state, registry, parallel=self.parallel, emit=self._emit).run()
            if drift.gone:
                self._emit(EngineEvent("warning", message=(
                    f"{len(drift.gone)} recorded resource(s) are gone from the cloud: they will be created")))
        old = self.state.resources()
        runner = StepRunner(self.state, registry, old, preview=False, emit=self._emit)
        monitor, error = self._run(runner, preview=False)
        steps = list(runner.steps)
        if error is not None:
            # Like Pulumi: after a failure nothing is deleted; the next run converges.
            hint = f" (hint: {error.hint})" if error.hint else ""  # e.g. which option to remove
            return steps, error.line() + hint
        targets = self._removed(old, runner.seen)
        try:
            refuse_protected(targets)
            self.delete_limit.check(targets, old)
        except EngineError as exc:
            return steps, exc.line()
        deletes, failure = Deleter(self.state, registry, parallel=self.parallel, preview=False,
                                   emit=self._emit).run(targets)
        steps.extend(deletes)
        if failure is not None:
            return steps, failure.line()
        self.state.set_stack_outputs(monitor.stack_outputs)
        return steps, ""

    def _destroy(self, registry: ProviderRegistry) -> tuple[list[Step], str]:
        targets = self._removed(self.state.resources(), set())
        try:
            refuse_protected(targets)
        except EngineError as exc:
            return [], exc.line()
        steps, failure = Deleter(self.state, registry, parallel=self.parallel, preview=False,
                                 emit=self._emit).run(targets)
        if failure is not None:
            return steps, failure.line()
        self.state.set_stack_outputs({})
        return steps, ""

    def _removed(self, recorded: Mapping[str, ResourceState], seen: set[str],
                 store: StateStore | None = None) -> list[DeleteTarget]:
        """Recorded resources the program did not register, plus condemned old halves.

        A run only touches resources it saw, so the snapshot taken before it is current
        for the others; condemned rows are re-read because replacements add to them.
        """
        targets = [DeleteTarget(res) for urn, res in recorded.items() if urn not in seen]
        return targets + [DeleteTarget(c.resource, c.cid) for c in (store or self.state).condemned()]
