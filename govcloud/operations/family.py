"""plan, apply, refresh and destroy of a split stack: its member stacks in dependency order.

The platform runs first (for destroy: last), in this process; then the departments' stacks,
`parallel_stacks` at once (default: the number of CPUs). The Pulumi SDK's runtime settings
are global to a process, so members that run at the same time run in worker processes
(operations/worker.py): `parallel_stacks` of them, started while the platform runs, each
taking members one after another. The blueprints are loaded and partitioned once, here: a
worker receives the family as built, and the secrets keys derived for the platform (members
share the passphrase and, after `state split`, the salt). With one member at a time every
member runs in this process. Each member takes its own lock and keeps its own state and audit log.

The policy gate runs once, for the whole family: a department with unwaived errors is held
back (its stack untouched) while the platform and the other departments go ahead; errors
of the city itself (or invalid blueprints) hold back every member.

`only` names the members to run (department or district codes, `platform`). A plan or an
apply of departments whose platform stack was never applied runs the platform too: their
stack references need its outputs.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from govcloud.engine import DEFAULT_PARALLEL, StateStore
from govcloud.engine.deletes import DeleteLimit
from govcloud.engine.urns import urn_name
from govcloud.errors import GovcloudError
from govcloud.model import Project
from govcloud.operations import audit
from govcloud.operations.backends import resolve_engine
from govcloud.operations.preflight import preflight
from govcloud.operations.results import (
    CANCELLED,
    FAILED,
    HELD,
    OK,
    REFUSED,
    SKIPPED,
    FamilyResult,
    MemberResult,
)
from govcloud.operations.worker import Keys, Warm, decode, encode
from govcloud.policy import CheckResult
from govcloud.program import StackConfig, load_stack_config
from govcloud.program.entry import load_family, loaded_family
from govcloud.program.family import PLATFORM, Family, member_stack, output_name
from govcloud.program.reform import Renames
from govcloud.program.stackconfig import MEMBER_SEPARATOR, project_name

PathLike = str | os.PathLike[str]
DEFAULT_PARALLEL_STACKS = os.cpu_count() or 1  # more processes than CPUs only contend
OPERATIONS = ("plan", "apply", "refresh", "destroy")


@dataclass(frozen=True)
class FamilyOptions:
    """How to run a family's members (every field crosses to the worker processes)."""

    engine: str | None = None
    parallel: int = DEFAULT_PARALLEL
    lock_wait: float = 0.0
    passphrase: str | None = None
    refresh: bool = False
    allow_mass_delete: bool = False
    parallel_stacks: int = DEFAULT_PARALLEL_STACKS
    only: tuple[str, ...] = ()
    policies: str | None = None
    waivers: str | None = None
    today: date | None = None


@dataclass(frozen=True)
class MemberTask:
    """One member's run, as a worker process receives it."""

    operation: str
    root: str
    family: str
    member: str
    departments: tuple[str, ...]
    options: FamilyOptions
    imports: tuple[str, ...] = ()  # platform outputs the member reads
    # referenced stack → outputs about to change (None: not applied yet), for previews
    pending: tuple[tuple[str, tuple[str, ...] | None], ...] = field(default=())

    @property
    def stack(self) -> str:
        return member_stack(self.family, self.member)


# -- one member (in a worker process, or here) -------------------------------------------------
def run_member(task: MemberTask) -> MemberResult:
    """Run one member's operation; a known failure becomes its result, never an exception."""
    from govcloud.engine.stackrefs import pending_stacks
    from govcloud.operations import stackrun

    wall, started = time.time(), time.monotonic()
    opts = task.options

    def result(status: str, **fields: Any) -> MemberResult:
        return MemberResult(task.member, task.stack, task.operation, status, duration=time.monotonic() - started,
                            started_at=wall, ended_at=time.time(), pid=os.getpid(),
                            departments=task.departments, **fields)

    pending = {stack: (frozenset(names) if names is not None else None) for stack, names in task.pending}
    try:
        if task.imports and task.operation in ("plan", "apply"):
            _require_platform(task, pending)
        with pending_stacks(pending):
            if task.operation == "plan":
                planned = stackrun.plan(task.stack, root=task.root, engine=opts.engine, parallel=opts.parallel,
                                        passphrase=opts.passphrase, refresh=opts.refresh, gate=False)
                return result(OK, summary=planned.summary.to_dict(), warnings=planned.warnings,
                              steps=tuple(s.to_dict() for s in planned.steps))
            if task.operation == "refresh":
                drift = stackrun.refresh(task.stack, root=task.root, engine=opts.engine, parallel=opts.parallel,
                                         lock_wait=opts.lock_wait, passphrase=opts.passphrase).drift
                return result(OK, summary={"changed": len(drift.changed), "gone": len(drift.gone),
                                           "unchanged": drift.unchanged}, warnings=drift.warnings)
            if task.operation == "apply":
                ran = stackrun.apply(task.stack, yes=True, root=task.root, engine=opts.engine,
                                     parallel=opts.parallel, lock_wait=opts.lock_wait, passphrase=opts.passphrase,
                                     refresh=opts.refresh, allow_mass_delete=opts.allow_mass_delete, gate=False)
            else:
                ran = stackrun.destroy(task.stack, yes=True, root=task.root, engine=opts.engine,
                                       parallel=opts.parallel, lock_wait=opts.lock_wait, passphrase=opts.passphrase)
            return result(ran.status, summary=ran.summary.to_dict(), error=ran.error, exit_code=ran.exit_code,
                          steps=tuple(s.to_dict() for s in ran.steps), warnings=ran.warnings,
                          audit=str(ran.audit) if ran.audit else None)
    except GovcloudError as exc:
        hint = f" (hint: {exc.hint})" if exc.hint else ""
        return result(FAILED, error=exc.line() + hint, exit_code=exc.exit_code)


def _require_platform(task: MemberTask, pending: dict[str, frozenset[str] | None]) -> None:
    """The platform stack is there and exports every output the member reads (else exit 2)."""
    from govcloud.engine.stackrefs import StackOutputs, StackReferenceError, require

    platform = member_stack(task.family, PLATFORM)
    store = StateStore.for_stack(task.root, platform, project=project_name(Path(task.root))).open()
    if not store.exists():
        if task.operation == "plan" and platform in pending and pending[platform] is None:
            return  # planned in the same run: its outputs are unknown until it is applied
        raise StackReferenceError(
            f"stack '{task.stack}' reads the outputs of stack '{platform}', which the backend does not have",
            hint=f"apply the platform first: govcloud apply --stack {task.family} --only {PLATFORM}")
    changing = pending.get(platform) or frozenset() if task.operation == "plan" else frozenset()
    require(StackOutputs(platform, store.sealed_outputs(), ()), tuple(n for n in task.imports if n not in changing))


# -- the family --------------------------------------------------------------------------------
def _family_config(stack: str, root: PathLike | None) -> StackConfig:
    config = load_stack_config(stack, Path(root) if root is not None else None)
    if config.split is None or config.member is not None:
        raise GovcloudError(f"stack '{stack}' is not a split stack", rule="GC-USAGE",
                            hint="--only and --parallel-stacks apply to a stack with govcloud:split")
    return config


def _store(config: StackConfig, stack: str) -> StateStore:
    return StateStore.for_stack(config.root, stack, project=project_name(config.root)).open()


def recorded_members(config: StackConfig) -> tuple[str, ...]:
    """The members of the family that have a state in the backend (current or retired)."""
    store = StateStore.for_stack(config.root, config.stack, project=project_name(config.root))
    folder = f".pulumi/stacks/{store.project}/"
    prefix = f"{folder}{config.stack}{MEMBER_SEPARATOR}"
    found = {key[len(prefix):].removesuffix(".json") for key in store.blobs.keys(folder)
             if key.startswith(prefix) and key.endswith(".json")}
    return tuple(sorted(found))


def _refuse_unsplit_state(config: StackConfig) -> None:
    held = [r for r in _store(config, config.stack).sealed_resources() if r.custom]
    if held:
        raise GovcloudError(
            f"stack '{config.stack}' is configured split by {config.split}, but its unsplit state holds "
            f"{len(held)} resources; nothing was changed", rule="GC-STACK-SPLIT",
            hint=f"move them into the member stacks first: govcloud state split --stack {config.stack}")


def _selected(family: Family, retired: Sequence[str], only: Sequence[str], operation: str,
              config: StackConfig) -> list[str]:
    """The members to run: all (and retired ones), or those `only` names, in dependency order."""
    names = [*family.names(), *retired]
    if only:
        by_department = {d: m.name for m in family.members for d in m.departments}
        chosen: set[str] = set()
        for code in only:
            name = code if code in names else by_department.get(code)
            if name is None:
                raise GovcloudError(f"--only names '{code}', which is no member of stack '{family.stack}'",
                                    rule="GC-USAGE", hint=f"members: {', '.join(names)}")
            chosen.add(name)
        reads_platform = any(m.imports for m in family.members if m.name in chosen)
        if (operation in ("plan", "apply") and PLATFORM not in chosen and reads_platform
                and not _store(config, family.platform.stack).exists()):
            chosen.add(PLATFORM)  # its departments cannot be applied before it
        names = [n for n in names if n in chosen]
    return names


def _held(checked: CheckResult, family: Family) -> dict[str, str]:
    """Member → why the gate holds it back."""
    from govcloud.operations.results import blocking_findings

    if checked.exit_code == 2:
        reason = "the blueprints or policies are invalid (run `govcloud check`)"
        return {name: reason for name in family.names()}
    errors: dict[str | None, int] = {}
    for finding in blocking_findings(checked):
        errors[finding.department] = errors.get(finding.department, 0) + 1
    if None in errors or (errors and not any(m.departments for m in family.members)):
        reason = f"{errors.get(None, 0)} unwaived policy error(s) of the city itself (run `govcloud check`)"
        return {name: reason for name in family.names()}
    held: dict[str, str] = {}
    for member in family.members:
        count = sum(errors.get(code, 0) for code in member.departments)
        if count:
            codes = ", ".join(member.departments)
            held[member.name] = f"{count} unwaived policy error(s) of {codes} (run `govcloud check`)"
    return held


def _mass_delete(config: StackConfig, family: Family, names: Iterable[str], project: Project) -> None:
    """The family's deletes (estimated from the states: recorded resources the members' graphs
    no longer have) within the limit, before anything runs."""
    renames = Renames(project)
    deletes = total = 0
    for name in names:
        member = family.find(name)
        wanted = {renames.name(n.name) for n in member.graph.nodes} if member is not None else set()
        for res in _store(config, member_stack(family.stack, name)).sealed_resources():
            if res.custom:
                total += 1
                deletes += urn_name(res.urn) not in wanted
    if DeleteLimit().exceeded(deletes, total or 1):
        raise GovcloudError(
            f"the plans of stack '{family.stack}' delete about {deletes} of its {total} resources; nothing was changed",
            rule="GC-ENGINE-MASS-DELETE", exit_code=1,
            hint="check that every blueprint folder was read; if the deletes are intended,"
                 " run again with --allow-mass-delete")


class _Worker:
    """One `python -m govcloud.operations.worker` process, its stderr kept in a file."""

    def __init__(self, root: Path, warm: bytes) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close(), after the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "govcloud.operations.worker"], cwd=root, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.log)
        self.write(warm)

    def send(self, message: Any) -> None:
        self.write(encode(message))

    def write(self, line: bytes) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(line)
            self.proc.stdin.flush()
        except OSError:
            pass  # a dead worker: the next task reports it

    def run(self, task: MemberTask) -> MemberResult:
        assert self.proc.stdout is not None
        wall = time.time()
        try:
            self.send(task)
            line = self.proc.stdout.readline()
        except OSError:
            line = b""
        if line:
            result: MemberResult = decode(line)
            return result
        self.log.seek(0)
        tail = self.log.read().decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        return MemberResult(task.member, task.stack, task.operation, FAILED, started_at=wall, ended_at=time.time(),
                            error=f"GC-ENGINE the worker process for stack '{task.stack}' died: {tail[0]}",
                            exit_code=1, departments=task.departments)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()


class _Pool:
    """Runs member tasks: in `size` worker processes when more than one at a time, else here."""

    def __init__(self, size: int, root: Path, warm: Warm) -> None:
        self.size = max(1, size)
        self.root, self.warm = root, warm
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the workers (with more than one at a time): they import and take in the family
        while this process runs the platform."""
        if self.size > 1 and not self._workers:
            warm = encode(self.warm)  # pickled once for all of them
            self._workers = [_Worker(self.root, warm) for _ in range(self.size)]

    def share_keys(self) -> None:
        """Hand the workers the secrets keys derived here, so that none derives them again."""
        from govcloud.engine.secrets import derived_keys

        keys = derived_keys()
        if keys:
            for worker in self._workers:
                worker.send(Keys(keys))

    def run(self, tasks: Sequence[MemberTask], on_result: Callable[[MemberResult], None], *,
            here: bool = False) -> list[MemberResult]:
        """Each task's result, in order; `here`: in this process, one after another."""
        if not tasks:
            return []
        if self.size == 1 or here:
            results = []
            for task in tasks:
                results.append(run_member(task))
                on_result(results[-1])
            return results
        self.start()
        queue = list(enumerate(tasks))
        done: dict[int, MemberResult] = {}

        def serve(worker: _Worker) -> None:
            while True:
                with self._lock:
                    if not queue:
                        return
                    index, task = queue.pop(0)
                result = worker.run(task)
                with self._lock:
                    done[index] = result
                    on_result(result)

        threads = [threading.Thread(target=serve, args=(w,), daemon=True) for w in self._workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [done[i] for i in range(len(tasks))]

    def close(self) -> None:
        for worker in self._workers:
            worker.close()


Pending = tuple[tuple[str, tuple[str, ...] | None], ...]


def _pending_after(plan: MemberResult, family: Family, store: StateStore) -> Pending:
    """What the departments' previews read as unknown after the platform's plan: every output
    of a platform not applied yet; else those of resources it changes, and those it will export."""
    if not store.exists():
        return ((family.platform.stack, None),)
    changing = {urn_name(str(s["urn"])) for s in plan.steps if s["op"] in ("create", "update", "replace")}
    exported = store.sealed_outputs()
    names = tuple(sorted(output_name(r) for r in family.exports
                         if r.node in changing or output_name(r) not in exported))
    return ((family.platform.stack, names),) if names else ()


def run_family(
    operation: str,
    stack: str,
    *,
    root: PathLike | None = None,
    options: FamilyOptions | None = None,
    on_result: Callable[[MemberResult], None] | None = None,
) -> FamilyResult:
    """`operation` (plan, apply, refresh, destroy) on every member of the split stack `stack`."""
    if operation not in OPERATIONS:
        raise ValueError(operation)
    started = time.monotonic()
    opts = options or FamilyOptions()
    config = _family_config(stack, root)
    engine = resolve_engine(config, opts.engine)
    assert config.split is not None
    _refuse_unsplit_state(config)
    preflight(config)  # once: a placeholder or a missing credential is one line, not one per member
    key, (project, family) = loaded_family(config)
    retired = tuple(m for m in recorded_members(config) if family.find(m) is None)
    names = _selected(family, retired, opts.only, operation, config)
    report = on_result or (lambda _: None)
    checked: CheckResult | None = None
    held: dict[str, str] = {}
    if operation in ("plan", "apply"):
        from govcloud.operations.stackrun import _gate

        checked = _gate(config, opts.policies, opts.waivers, opts.today)
        held = _held(checked, family)
    if operation == "apply" and not opts.allow_mass_delete:
        _mass_delete(config, family, [n for n in names if n not in held], project)

    results: list[MemberResult] = []
    digest = audit.blueprint_digest(config.blueprints)
    # The family's own audit line pairs with each member's (a plan changes nothing: no line).
    opened = audit.started(config.root, operation, stack, engine, digest) if operation != "plan" else None

    def task(name: str, pending: Pending = ()) -> MemberTask:
        member = family.find(name)
        return MemberTask(operation, str(config.root), stack, name, member.departments if member else (), opts,
                          tuple(output_name(r) for r in member.imports) if member else (), pending)

    def not_run(name: str, status: str, why: str) -> None:
        member = family.find(name)
        outcome = MemberResult(name, member_stack(stack, name), operation, status, error=why,
                               exit_code=1, departments=member.departments if member else ())
        if status == HELD and operation == "apply":
            line = audit.started(config.root, operation, outcome.stack, engine, digest)
            path = audit.append(config.root, replace(line, when=audit.now_utc(), result=REFUSED, error=why))
            outcome = replace(outcome, audit=str(path))
        results.append(outcome)
        report(outcome)

    platform_first = operation != "destroy"
    platform_names = [n for n in names if n == PLATFORM]
    others = [n for n in names if n != PLATFORM]
    pool = _Pool(min(opts.parallel_stacks, max(1, len(others))), config.root,
                 Warm(str(config.root), stack, key, (project, family)))
    try:
        if platform_first and platform_names and others:
            pool.start()
        pending: Pending = ()
        platform_ok = True
        phases = [platform_names, others] if platform_first else [others, platform_names]
        for phase in phases:
            runnable = []
            for name in phase:
                if name in held:
                    not_run(name, HELD, f"held back: {held[name]}")
                elif name != PLATFORM and platform_first and not platform_ok and operation == "apply":
                    not_run(name, SKIPPED, "not run: the platform stack failed")
                elif name == PLATFORM and not platform_first and any(r.status != OK for r in results):
                    not_run(name, SKIPPED, "not run: a department's stack still holds resources")
                else:
                    runnable.append(name)
            if phase is platform_names and operation == "plan" and runnable:
                before = _store(config, family.platform.stack)
                done = pool.run([task(n) for n in runnable], report, here=True)
                pending = _pending_after(done[0], family, before)
            else:
                done = pool.run([task(n, pending) for n in runnable], report, here=phase is platform_names)
            results.extend(done)
            if phase is platform_names:
                platform_ok = all(r.ok for r in done) and PLATFORM not in held
                pool.share_keys()
    finally:
        pool.close()
    outcome = FamilyResult(stack, operation, config.split, tuple(results), checked,
                           time.monotonic() - started, pool.size)
    if opened is not None:
        audit.append(config.root, replace(
            opened, when=audit.now_utc(), result=OK if outcome.ok else FAILED, duration=outcome.duration,
            plan=outcome.summary, error="; ".join(f"{m.member}: {m.status}" for m in results if not m.ok)))
    return outcome


def selection(operation: str, stack: str, *, root: PathLike | None = None,
              options: FamilyOptions | None = None) -> dict[str, int]:
    """The members `run_family` would run, in order, each with the resources its state holds."""
    opts = options or FamilyOptions()
    config = _family_config(stack, root)
    _, family = load_family(config)
    retired = tuple(m for m in recorded_members(config) if family.find(m) is None)
    names = _selected(family, retired, opts.only, operation, config)
    if operation == "destroy":
        names = [n for n in names if n != PLATFORM] + [n for n in names if n == PLATFORM]
    return {n: sum(1 for r in _store(config, member_stack(stack, n)).sealed_resources() if r.custom)
            for n in names}


def cancelled(stack: str, operation: str, split: str, planned: FamilyResult) -> FamilyResult:
    """A family run the operator did not confirm: nothing ran."""
    members = tuple(replace(m, status=CANCELLED, error="not confirmed; nothing was changed", exit_code=1)
                    for m in planned.members)
    return FamilyResult(stack, operation, split, members, planned.check, planned.duration, planned.parallel_stacks)
