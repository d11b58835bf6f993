"""The Pulumi CLI as a backend, through the Automation API (only when `pulumi` is on PATH).

Same program, same result types as the embedded engine. State lives in a local file
backend under `<project>/.govcloud/pulumi/`, secrets under the passphrase provider.
"""
from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from govcloud.engine.blobstore import default_url
from govcloud.engine.diff import Op, PropertyDiff
from govcloud.engine.engine import DEFAULT_PARALLEL
from govcloud.engine.errors import EngineError
from govcloud.engine.host import Program
from govcloud.engine.properties import render
from govcloud.engine.results import ChangeSummary, Drift, DriftEntry, EngineEvent, Plan, Result, Step
from govcloud.engine.secrets import resolve_passphrase

_OPS = {
    "create": Op.CREATE, "same": Op.SAME, "update": Op.UPDATE, "replace": Op.REPLACE,
    "delete": Op.DELETE, "delete-replaced": Op.DELETE_REPLACED, "discard": Op.DISCARD,
    "discard-replaced": Op.DISCARD,
}
_SKIPPED = {"create-replacement", "read", "read-replacement", "refresh", "remove-pending-replace"}


def pulumi_available() -> bool:
    return shutil.which("pulumi") is not None


class _Collector:
    """Turns Automation API engine events into our steps and progress events."""

    def __init__(self, emit: Callable[[EngineEvent], None] | None) -> None:
        self.emit = emit
        self.steps: list[Step] = []
        self.refreshed: list[DriftEntry] = []
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, event: Any) -> None:
        pre, done, failed = event.resource_pre_event, event.res_outputs_event, event.res_op_failed_event
        if pre is not None and not pre.planning:
            self._started[pre.metadata.urn] = time.monotonic()
            self._send("step-started", pre.metadata)
        # Every step, previewed or applied, ends with a ResOutputsEvent.
        if done is not None:
            meta = done.metadata
            if meta.op.value == "refresh":
                if meta.diffs:
                    with self._lock:
                        self.refreshed.append(DriftEntry(meta.urn, meta.type, _id(meta), _diffs(meta)))
            elif meta.op.value not in _SKIPPED:
                step = self._step(meta)
                with self._lock:
                    self.steps.append(step)
                self._send("step-finished", meta, step.duration)
        if failed is not None:
            self._send("step-failed", failed.metadata)
        diagnostic = event.diagnostic_event
        if diagnostic is not None and diagnostic.severity in ("warning", "error") and self.emit:
            self.emit(EngineEvent("warning", diagnostic.urn or "", message=diagnostic.message.strip()))

    def _step(self, meta: Any) -> Step:
        duration = time.monotonic() - self._started.get(meta.urn, time.monotonic())
        return Step(meta.urn, meta.type, _OPS.get(meta.op.value, Op.SAME), _diffs(meta), _id(meta), duration)

    def _send(self, kind: str, meta: Any, duration: float = 0.0) -> None:
        if self.emit is not None:
            self.emit(EngineEvent(kind, meta.urn, _OPS.get(meta.op.value), duration))


def _id(meta: Any) -> str:
    state = meta.new or meta.old
    return str(getattr(state, "id", "") or "")


def _diffs(meta: Any) -> tuple[PropertyDiff, ...]:
    old_inputs = (meta.old.inputs if meta.old is not None else None) or {}
    new_inputs = (meta.new.inputs if meta.new is not None else None) or {}
    detailed: Mapping[str, Any] = meta.detailed_diff or {}
    paths = list(detailed) or list(meta.diffs or [])
    result = []
    for path in paths:
        kind = detailed[path].diff_kind.value if path in detailed else "update"
        top = path.split(".", 1)[0].split("[", 1)[0]
        result.append(PropertyDiff(
            path, kind.replace("-replace", ""), render(old_inputs.get(top)),
            render(new_inputs.get(top)), kind.endswith("-replace"),
        ))
    return tuple(result)


# The variable the providers read their endpoint from (govcloud.cloud.clients).
ENDPOINT_ENV = "GOVCLOUD_ENDPOINT_URL"


class PulumiBackend:
    """Implements `Backend` with `pulumi.automation` and an inline program."""

    def __init__(
        self,
        project_name: str,
        stack: str,
        program: Program,
        *,
        project_dir: str | Path = ".",
        passphrase: str | None = None,
        parallel: int = DEFAULT_PARALLEL,
        on_event: Callable[[EngineEvent], None] | None = None,
        config: Mapping[str, str] | None = None,
        stack_default_passphrase: str | None = None,
        backend_url: str | None = None,
        endpoint: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.backend_url = backend_url
        self.env = dict(env or {})  # more variables of the CLI's processes (credentials, pools)
        self.endpoint = endpoint
        self.project_name = project_name
        self.stack = stack
        self.program = program
        self.project_dir = Path(project_dir)
        self.passphrase = passphrase
        self.stack_default_passphrase = stack_default_passphrase
        self.parallel = parallel
        self.on_event = on_event
        self.config = dict(config or {})

    def _stack(self) -> Any:
        if not pulumi_available():
            raise EngineError("the pulumi CLI is not on PATH", hint="use the embedded engine")
        from pulumi import automation as auto

        # The same backend as the embedded engine's: both share one state.
        url = self.backend_url or default_url(self.project_dir)
        if url.startswith("file://"):
            Path(url[len("file://"):]).expanduser().mkdir(parents=True, exist_ok=True)
        passphrase = resolve_passphrase(self.passphrase, self.stack_default_passphrase)
        settings = auto.ProjectSettings(
            name=self.project_name, runtime="python", backend=auto.ProjectBackend(url=url),
        )
        env = {**self.env, "PULUMI_CONFIG_PASSPHRASE": passphrase, "PULUMI_SKIP_UPDATE_CHECK": "true"}
        if self.endpoint:
            env[ENDPOINT_ENV] = self.endpoint  # the providers' endpoint, never from state
        options = auto.LocalWorkspaceOptions(
            project_settings=settings, secrets_provider="passphrase", env_vars=env,
        )
        stack = auto.create_or_select_stack(
            stack_name=self.stack, project_name=self.project_name, program=self.program, opts=options,
        )
        for key, value in self.config.items():
            stack.set_config(key, auto.ConfigValue(value=value))
        return stack

    def preview(self, *, refresh: bool = False) -> Plan:
        collector = _Collector(self.on_event)
        self._stack().preview(parallel=self.parallel, on_event=collector, refresh=refresh)
        steps = tuple(collector.steps)
        return Plan(self.project_name, self.stack, steps, ChangeSummary.of(steps), refreshed=refresh)

    def up(self, *, refresh: bool = False) -> Result:
        self._refresh = refresh
        return self._mutate("up")

    def destroy(self) -> Result:
        return self._mutate("destroy")

    def _mutate(self, kind: str) -> Result:
        from pulumi.automation import errors as auto_errors

        collector = _Collector(self.on_event)
        started = time.monotonic()
        stack = self._stack()
        error, outputs = "", {}
        try:
            if kind == "up":
                result = stack.up(parallel=self.parallel, on_event=collector,
                                  refresh=getattr(self, "_refresh", False))
                outputs = {k: "[secret]" if v.secret else v.value for k, v in result.outputs.items()}
            else:
                stack.destroy(parallel=self.parallel, on_event=collector)
        except auto_errors.ConcurrentUpdateError as exc:
            raise EngineError(f"stack '{self.stack}' is locked: {exc}", rule="GC-ENGINE-LOCK") from exc
        except auto_errors.CommandError as exc:
            error = str(exc).strip().splitlines()[-1] if str(exc).strip() else "pulumi failed"
        steps = tuple(collector.steps)
        return Result(self.project_name, self.stack, kind, steps, ChangeSummary.of(steps),
                      time.monotonic() - started, outputs, error=error)

    def refresh(self, *, confirm_forget: Callable[[tuple[str, ...]], bool] | None = None) -> Drift:
        # The Pulumi CLI forgets what is gone as `pulumi refresh --yes` does.
        collector = _Collector(self.on_event)
        started = time.monotonic()
        result = self._stack().refresh(parallel=self.parallel, on_event=collector)
        changes = result.summary.resource_changes or {}
        gone = tuple(s.urn for s in collector.steps if s.op is Op.DELETE)
        unchanged = int(changes.get("same", 0))
        return Drift(self.project_name, self.stack, tuple(collector.refreshed), gone, unchanged,
                     time.monotonic() - started)
