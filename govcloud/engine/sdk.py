"""Every Pulumi SDK internal the embedded engine relies on, under names that say what it is for.

The engine runs programs in-process by handing the SDK objects where the Pulumi CLI would
hand it gRPC addresses. Nothing else in govcloud/engine reaches into `pulumi.runtime`'s
private modules; tests/unit/test_pulumi_contract.py calls each hook below and checks what
it does, so an SDK upgrade that changes one fails there first (pulumi 3.272).
"""
from __future__ import annotations

import asyncio
import base64
import contextvars
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import dill
import pulumi.log
import pulumi.runtime
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.dynamic.dynamic import PROVIDER_KEY as _PROVIDER_KEY
from pulumi.runtime import config as _runtime_config
from pulumi.runtime import resource as _resource
from pulumi.runtime import rpc as _rpc
from pulumi.runtime import settings as _settings
from pulumi.runtime._serialization import _deserialize
from pulumi.runtime.proto import callback_pb2, source_pb2

from govcloud.engine.errors import EngineError
from govcloud.sdkcompat import reset_pickler

# The input under which a dynamic resource carries its serialized provider.
PROVIDER_KEY: str = _PROVIDER_KEY
# How the SDK marks a secret value on the wire: {SIG_KEY: SECRET_SIG, "value": v}.
SIG_KEY: str = _rpc._special_sig_key
SECRET_SIG: str = _rpc._special_secret_sig
# The placeholder the SDK sends for a value not known until apply (previews only).
UNKNOWN: str = _rpc.UNKNOWN

__all__ = [
    "PROVIDER_KEY",
    "SECRET_SIG",
    "SIG_KEY",
    "UNKNOWN",
    "configure_request",
    "decode_provider",
    "install_refusing_callbacks",
    "keep_cause",
    "reset_pickler",
    "run_in_stack",
    "set_config",
    "settle_outputs",
    "start_run",
]


def start_run(
    *, project: str, stack: str, monitor: Any, engine: Any, preview: bool, parallel: int,
    root_directory: str | None = None,
) -> None:
    """Point the SDK at in-process monitor and engine objects (the hook `set_mocks` uses).

    A non-string address is taken as the stub itself, so no gRPC channel is opened. The
    settings live in context variables: call this inside the run's own context.
    """
    pulumi.runtime.reset_options(
        project=project, stack=stack, root_directory=root_directory, parallel=parallel,
        monitor_address=monitor, engine_address=engine, preview=preview,
    )
    _install_quiet_sdk()
    _EMBEDDED_RUN.set(True)


# Inside an embedded run (a context variable, so other runs in the process are untouched)
# the SDK skips two things per resource that only the Pulumi CLI reads: the stack trace
# of the resource's constructor (RegisterResourceRequest.stackTrace and sourcePosition,
# which the monitor ignores) and debug messages (the engine keeps warnings and errors
# only), each of which the SDK sends as a task of its own.
_EMBEDDED_RUN: contextvars.ContextVar[bool] = contextvars.ContextVar("govcloud_embedded_run", default=False)
_sdk_stack_trace = _resource._get_stack_trace
_sdk_debug = pulumi.log.debug


def _stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace() if _EMBEDDED_RUN.get() else _sdk_stack_trace()


def _debug(msg: str, resource: Any = None, stream_id: int | None = None, ephemeral: bool | None = None) -> None:
    if not _EMBEDDED_RUN.get():
        _sdk_debug(msg, resource, stream_id, ephemeral)


def _install_quiet_sdk() -> None:
    _resource._get_stack_trace = _stack_trace
    pulumi.log.debug = _debug


def set_config(config: Mapping[str, str], secret_keys: list[str]) -> None:
    """The stack configuration `pulumi.Config` reads, as the language host sets it."""
    _runtime_config.set_all_config(dict(config), secret_keys)


def run_in_stack(program: Callable[[], Any]) -> Awaitable[None]:
    """The coroutine that registers the stack resource and runs `program` under it."""
    result: Awaitable[None] = pulumi.runtime.run_in_stack(program)
    return result


def _unsettled_outputs() -> list[asyncio.Future[Any]]:
    """The program's Outputs whose value is not known yet (the SDK tracks every one)."""
    with _settings.SETTINGS.lock:
        return [task for task in _settings.SETTINGS.outputs if not task.done()]


async def settle_outputs() -> list[tuple[BaseException, BaseException | None]]:
    """Wait until every Output the program made has its value (or its failure).

    The SDK's own end-of-program loop waits for the first of all pending Outputs to finish,
    again and again: a wait over every Output per finished one. Waiting for them all at
    once, wave after wave (an Output may make new ones), leaves that loop nothing to wait
    for. Failures stay where the SDK finds them (it re-raises them); nothing is cancelled.

    Returns each failure with its cause: the SDK re-raises a failed registration `from`
    itself, which would hide what caused it (see `keep_cause`).
    """
    failures: dict[int, tuple[BaseException, BaseException | None]] = {}
    while pending := _unsettled_outputs():
        done, _ = await asyncio.wait(pending)
        for task in done:
            error = None if task.cancelled() else task.exception()
            if error is not None:
                failures.setdefault(id(error), (error, error.__cause__))
    return list(failures.values())


def keep_cause(error: BaseException, failures: list[tuple[BaseException, BaseException | None]]) -> None:
    """Give `error` back the cause it had when its Output failed, if the SDK replaced it."""
    for failed, cause in failures:
        if failed is error and error.__cause__ is error:
            error.__cause__ = cause


def decode_provider(serialized: str) -> Any:
    """A dynamic provider from its `__provider` string: base64 of a dill pickle.

    The SDK unpickles with its serialization flag set (providers capturing Outputs need
    it); the flag lives in a context variable, so this does not leak.
    """

    def load() -> Any:
        return dill.loads(base64.b64decode(serialized))

    return _deserialize(load)


def configure_request(config: Mapping[str, Any], project: str) -> ConfigureRequest:
    """What `ResourceProvider.configure` receives: the stack config, keys `project:name`."""
    return ConfigureRequest(config=Config(raw_config=dict(config), project_name=project))


class _RefusingCallbacks:
    """Stands in for the SDK's callback server (a gRPC server the engine does not run).

    Resource transforms, state migrations and hooks get a token, so the SDK sends them in
    the RegisterResourceRequest and the monitor refuses them naming the resource; stack
    and invoke transforms have no resource to name and are refused here.
    """

    _TARGET = "govcloud-embedded-engine"

    def __init__(self) -> None:
        self._tokens = 0

    def _callback(self) -> callback_pb2.Callback:
        self._tokens += 1
        return callback_pb2.Callback(target=self._TARGET, token=str(self._tokens))

    def register_transform(self, transform: Any) -> callback_pb2.Callback:
        return self._callback()

    def register_state_migration(self, migration: Any) -> callback_pb2.Callback:
        return self._callback()

    def register_resource_hook(self, hook: Any) -> None:
        return None  # a hook bound to a resource is refused with that resource's URN

    def register_error_hook(self, hook: Any) -> None:
        return None

    def register_stack_transform(self, transform: Any) -> None:
        raise EngineError(
            "the engine does not support the Pulumi option 'stack transforms'",
            hint="remove pulumi.runtime.register_resource_transform, or run with --engine pulumi",
        )

    def register_invoke_transform(self, transform: Any) -> None:
        raise EngineError(
            "the engine does not support the Pulumi option 'invoke transforms'",
            hint="remove pulumi.runtime.register_invoke_transform, or run with --engine pulumi",
        )


def install_refusing_callbacks() -> None:
    """Use `_RefusingCallbacks` for this run (call after `start_run`, in the same context)."""
    _settings.SETTINGS.callbacks = _RefusingCallbacks()
