"""plan, apply, refresh and destroy of one stack: the policy gate, the backend, the audit trail.

Order matters for apply: usage errors first, then the policy check, and only when it
passes is the state opened or the cloud called, so a refused apply changes nothing.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from govcloud.engine import DEFAULT_PARALLEL, Backend, EngineEvent, Plan
from govcloud.engine.diff import Op
from govcloud.engine.providers import interruptible
from govcloud.errors import GovcloudError
from govcloud.model import Location
from govcloud.operations import audit
from govcloud.operations.backends import BackendOptions, open_backend, resolve_engine
from govcloud.operations.preflight import preflight
from govcloud.operations.results import (
    CANCELLED,
    FAILED,
    OK,
    REFUSED,
    ApplyResult,
    PlanResult,
    RefreshResult,
    blocking_findings,
)
from govcloud.operations.statefile import StateView, read_state
from govcloud.policy import CheckResult
from govcloud.program import StackConfig, load_stack_config

PathLike = str | os.PathLike[str]


def _config(stack: str, root: PathLike | None) -> StackConfig:
    return load_stack_config(stack, Path(root) if root is not None else None)


def _gate(config: StackConfig, policies: PathLike | None, waivers: PathLike | None,
          today: date | None) -> CheckResult:
    """`govcloud check` on exactly the blueprints the stack deploys."""
    from govcloud.policy import check

    paths = [os.path.relpath(p) for p in config.blueprints]
    return check(paths, policies=policies, waivers=waivers, today=today)


def _refusal(checked: CheckResult) -> str:
    if checked.exit_code == 2:
        return "the blueprints or policies are invalid (run `govcloud check`)"
    return f"{len(blocking_findings(checked))} unwaived policy error(s) (run `govcloud check`)"


def _needs_confirmation(operation: str) -> GovcloudError:
    return GovcloudError(
        f"{operation} changes the cloud and needs a confirmation, but none can be asked for",
        rule="GC-USAGE", hint=f"run it in a terminal to confirm, or pass --yes to {operation} without asking")


def _no_program() -> None:
    """refresh and destroy work from the recorded state; the blueprints need not load."""


def plan(
    stack: str,
    *,
    root: PathLike | None = None,
    engine: str | None = None,
    parallel: int = DEFAULT_PARALLEL,
    passphrase: str | None = None,
    policies: PathLike | None = None,
    waivers: PathLike | None = None,
    today: date | None = None,
    refresh: bool = False,
    gate: bool = True,
) -> PlanResult:
    """validate → check → preview; a city with unwaived policy errors gets no preview.

    With `refresh`, the preview reads every recorded resource from the cloud first. Without
    `gate`, the caller ran the policy check (a split stack checks its family once).
    """
    config = _config(stack, root)
    name = resolve_engine(config, engine)
    if gate:
        _refuse_unsplit_state(config)
    checked = _gate(config, policies, waivers, today) if gate else None
    if checked is not None and checked.exit_code:
        return PlanResult(stack, name, checked, None)
    preflight(config)
    _, backend = open_backend(config, BackendOptions(name, parallel, 0.0, passphrase))
    return PlanResult(stack, name, checked, _preview(backend, refresh))


def _preview(backend: Backend, refresh: bool) -> Plan:
    return backend.preview(refresh=refresh)


def apply(
    stack: str,
    *,
    yes: bool,
    root: PathLike | None = None,
    engine: str | None = None,
    parallel: int = DEFAULT_PARALLEL,
    lock_wait: float = 0.0,
    passphrase: str | None = None,
    on_event: Callable[[EngineEvent], None] | None = None,
    confirm: Callable[[Plan], bool] | None = None,
    policies: PathLike | None = None,
    waivers: PathLike | None = None,
    today: date | None = None,
    refresh: bool = False,
    allow_mass_delete: bool = False,
    gate: bool = True,
) -> ApplyResult:
    """Converge the cloud on the stack's blueprints, gated by the policy check.

    Without `yes`, the plan is previewed and `confirm(plan)` must return True (it is not
    asked when there is nothing to change); with `yes`, the run starts at once. Every run
    past the usage checks appends a line to the stack's audit log when it starts and one when
    it ends, refused ones included; a killed run leaves its "started" line. Without `gate`,
    the caller ran the policy check (a split stack checks its family once).
    """
    started = time.monotonic()
    config = _config(stack, root)
    name = resolve_engine(config, engine)
    if not yes and confirm is None:
        raise _needs_confirmation("apply")
    if gate:
        _refuse_unsplit_state(config)
    digest = audit.blueprint_digest(config.blueprints)
    opened = audit.started(config.root, "apply", stack, name, digest)
    try:
        checked = _gate(config, policies, waivers, today) if gate else None
    except GovcloudError as exc:
        _audited(config, opened, started, ApplyResult(stack, name, "apply", FAILED, error=exc.line()), {})
        raise

    def finish(status: str, *, error: str = "", plan_: Plan | None = None,
               result: ApplyResult | None = None) -> ApplyResult:
        outcome = result or ApplyResult(stack, name, "apply", status, checked, plan_,
                                        duration=time.monotonic() - started, error=error)
        counts = (plan_.summary if plan_ is not None else outcome.summary).to_dict()
        return _audited(config, opened, started, outcome, counts)

    if checked is not None and checked.exit_code:
        return finish(REFUSED, error=_refusal(checked))
    options = BackendOptions(name, parallel, lock_wait, passphrase, on_event, allow_mass_delete)
    previewed: Plan | None = None
    try:
        preflight(config)
        _, backend = open_backend(config, options)
        if not yes:
            previewed = _preview(backend, refresh)
            if not allow_mass_delete:
                _refuse_mass_delete(previewed, config)
            if previewed.summary.changes and confirm is not None and not confirm(previewed):
                return finish(CANCELLED, error="not confirmed; nothing was changed", plan_=previewed)
        with interruptible():
            run = backend.up(refresh=refresh)
    except (GovcloudError, KeyboardInterrupt) as exc:
        line = exc.line() if isinstance(exc, GovcloudError) else "interrupted (Ctrl-C)"
        finish(FAILED, error=line, plan_=previewed)
        raise
    outcome = ApplyResult(stack, name, "apply", OK if run.ok else FAILED, checked, previewed, run,
                          time.monotonic() - started, run.error, None, _departments(config, name))
    return finish(outcome.status, plan_=previewed, result=outcome)


def destroy(
    stack: str,
    *,
    yes: bool,
    root: PathLike | None = None,
    engine: str | None = None,
    parallel: int = DEFAULT_PARALLEL,
    lock_wait: float = 0.0,
    passphrase: str | None = None,
    on_event: Callable[[EngineEvent], None] | None = None,
    confirm: Callable[[StateView], bool] | None = None,
) -> ApplyResult:
    """Delete every resource of the stack (reverse dependency order); no policy gate."""
    started = time.monotonic()
    config = _config(stack, root)
    name = resolve_engine(config, engine)
    if not yes and confirm is None:
        raise _needs_confirmation("destroy")
    digest = audit.blueprint_digest(config.blueprints)
    opened = audit.started(config.root, "destroy", stack, name, digest)

    def finish(outcome: ApplyResult) -> ApplyResult:
        return _audited(config, opened, started, outcome, outcome.summary.to_dict())

    held = read_state(config) if name == "embedded" else None
    if not yes and confirm is not None and (held is None or held.resources) and not confirm(
            held or StateView(stack, "", False, 0, (), {}, 0)):
        return finish(ApplyResult(stack, name, "destroy", CANCELLED,
                                  duration=time.monotonic() - started,
                                  error="not confirmed; nothing was changed"))
    try:
        preflight(config)
        _, backend = open_backend(config, BackendOptions(name, parallel, lock_wait, passphrase, on_event),
                                  program=_no_program)
        with interruptible():
            run = backend.destroy()
    except (GovcloudError, KeyboardInterrupt) as exc:
        finish(ApplyResult(stack, name, "destroy", FAILED, duration=time.monotonic() - started,
                           error=exc.line() if isinstance(exc, GovcloudError) else "interrupted (Ctrl-C)"))
        raise
    return finish(ApplyResult(stack, name, "destroy", OK if run.ok else FAILED, None, None, run,
                              time.monotonic() - started, run.error, None,
                              _departments(config, name)))


def refresh(
    stack: str,
    *,
    root: PathLike | None = None,
    engine: str | None = None,
    parallel: int = DEFAULT_PARALLEL,
    lock_wait: float = 0.0,
    passphrase: str | None = None,
    on_event: Callable[[EngineEvent], None] | None = None,
    confirm_forget: Callable[[tuple[str, ...]], bool] | None = None,
) -> RefreshResult:
    """Read every recorded resource back from the cloud: what drifted, what is gone.

    Audited like apply: a line when it starts and one naming what changed when it ends.
    """
    started = time.monotonic()
    config = _config(stack, root)
    name = resolve_engine(config, engine)
    opened = audit.started(config.root, "refresh", stack, name)
    backend: Backend
    try:
        preflight(config)
        _, backend = open_backend(config, BackendOptions(name, parallel, lock_wait, passphrase, on_event),
                                  program=_no_program)
        with interruptible():
            drift = backend.refresh(confirm_forget=confirm_forget)
    except (GovcloudError, KeyboardInterrupt) as exc:
        line = exc.line() if isinstance(exc, GovcloudError) else "interrupted (Ctrl-C)"
        audit.append(config.root, replace(opened, when=audit.now_utc(), result=FAILED, error=line,
                                          duration=time.monotonic() - started))
        raise
    touched = tuple(e.urn for e in drift.changed) + tuple(drift.gone)
    audit.append(config.root, replace(
        opened, when=audit.now_utc(), result=OK, duration=time.monotonic() - started,
        plan={"changed": len(drift.changed), "gone": len(drift.gone)}, resources=touched))
    return RefreshResult(stack, name, drift)


def _refuse_unsplit_state(config: StackConfig) -> None:
    """A stack configured split whose resources are still in its unsplit state must be moved first."""
    if config.split is None or config.member is not None:
        return
    held = read_state(config)
    if held.resources:
        raise GovcloudError(
            f"stack '{config.stack}' is configured split by {config.split}, but its unsplit state holds "
            f"{len(held.resources)} resources; nothing was changed", rule="GC-STACK-SPLIT",
            location=Location(str(config.file), 1, 1),
            hint=f"move them into the member stacks first: govcloud state split --stack {config.stack}")


def _departments(config: StackConfig, engine: str) -> dict[str, int]:
    return read_state(config).by_department() if engine == "embedded" else {}


def _refuse_mass_delete(previewed: Plan, config: StackConfig) -> None:
    from govcloud.engine.deletes import DeleteLimit

    deletes = sum(1 for s in previewed.steps if s.op is Op.DELETE)
    total = sum(1 for s in previewed.steps if s.op in (Op.SAME, Op.UPDATE, Op.REPLACE, Op.DELETE)) or 1
    limit = DeleteLimit()
    if limit.exceeded(deletes, total):
        raise GovcloudError(
            f"the plan deletes {deletes} of stack '{config.stack}''s {total} resources; nothing was changed",
            rule="GC-ENGINE-MASS-DELETE", exit_code=1,
            hint="check that every blueprint folder was read; if the deletes are intended,"
                 " run again with --allow-mass-delete")


def _audited(config: StackConfig, opened: audit.AuditEntry, started: float, outcome: ApplyResult,
             counts: dict[str, int]) -> ApplyResult:
    """Append the line that ends the run to the stack's audit log; the result, pointing at it."""
    touched = tuple(s.urn for s in outcome.steps)
    path = audit.append(config.root, replace(
        opened, when=audit.now_utc(), plan=counts, result=outcome.status, error=outcome.error,
        duration=time.monotonic() - started, resources=touched))
    return replace(outcome, audit=path)


def import_resource(
    stack: str,
    kind: str,
    name: str,
    id_: str,
    *,
    root: PathLike | None = None,
    lock_wait: float = 0.0,
    passphrase: str | None = None,
) -> ApplyResult:
    """Adopt the existing cloud resource `id_` as the stack's `kind` `name` (no cloud writes)."""
    started = time.monotonic()
    config = _config(stack, root)
    name_ = resolve_engine(config, "embedded")
    opened = audit.started(config.root, "import", stack, name_, audit.blueprint_digest(config.blueprints))
    try:
        preflight(config)
        _, backend = open_backend(config, BackendOptions(name_, DEFAULT_PARALLEL, lock_wait, passphrase))
        run = backend.adopt(kind, name, id_)  # type: ignore[attr-defined]
    except (GovcloudError, KeyboardInterrupt) as exc:
        line = exc.line() if isinstance(exc, GovcloudError) else "interrupted (Ctrl-C)"
        _audited(config, opened, started, ApplyResult(stack, name_, "import", FAILED, error=line), {})
        raise
    outcome = ApplyResult(stack, name_, "import", OK if run.ok else FAILED, None, None, run,
                          time.monotonic() - started, run.error)
    return _audited(config, opened, started, outcome, outcome.summary.to_dict())
