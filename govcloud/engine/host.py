"""Runs a Pulumi Python program in-process against our monitor (the language host's job)."""
from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import warnings
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from govcloud.engine import sdk

Program = Callable[[], Any]

# When a program fails, the SDK's Outputs still waiting (say, on a stack reference that could
# not be read) are cancelled before they start, and the SDK's coroutines handed to them are
# then never awaited. Python reports each as a RuntimeWarning when it is collected, after the
# one clear error line: those reports name the SDK's internals, not the user's problem.
warnings.filterwarnings("ignore", message=r"coroutine 'Output\.\w+' was never awaited", category=RuntimeWarning)


def run_program(
    program: Program,
    *,
    project: str,
    stack: str,
    monitor: Any,
    engine: Any,
    preview: bool,
    parallel: int,
    config: Mapping[str, str] | None = None,
    secret_keys: tuple[str, ...] = (),
    root_directory: str | None = None,
) -> None:
    """Run `program` inside a fresh stack; raises what the program (or a step) raised.

    The SDK keeps its settings in context variables, so the run happens in a copy of the
    caller's context: nothing leaks into the caller or into the next run.
    """

    def body() -> None:
        sdk.reset_pickler()  # wrappers left by earlier runs in this process would pile up
        sdk.start_run(project=project, stack=stack, monitor=monitor, engine=engine,
                      preview=preview, parallel=parallel, root_directory=root_directory)
        # Transforms and hooks then reach the monitor, which refuses them by name.
        sdk.install_refusing_callbacks()
        sdk.set_config(dict(config or {}), list(secret_keys))
        loop = asyncio.new_event_loop()
        # The SDK sends every registration through the default executor: this is the parallelism.
        executor = ThreadPoolExecutor(max(1, parallel), thread_name_prefix="govcloud-step")
        loop.set_default_executor(executor)
        asyncio.set_event_loop(loop)
        # One failed resource otherwise floods "Future exception was never retrieved", during
        # the run and whenever the failed futures are collected later.
        loop.set_exception_handler(_quiet_unretrieved)
        asyncio_logger = logging.getLogger("asyncio")
        was_disabled = asyncio_logger.disabled
        asyncio_logger.disabled = True
        failures: list[tuple[BaseException, BaseException | None]] = []
        try:
            loop.run_until_complete(sdk.run_in_stack(_settled(program, failures)))
        except BaseException as exc:
            sdk.keep_cause(exc, failures)
            raise
        finally:
            try:
                _cancel_leftovers(loop)
            finally:
                # In-flight steps still persist their results: wait for them before returning.
                executor.shutdown(wait=True)
                loop.close()
                asyncio.set_event_loop(None)
                asyncio_logger.disabled = was_disabled

    contextvars.copy_context().run(body)


def _settled(program: Program, failures: list[tuple[BaseException, BaseException | None]]
             ) -> Callable[[], Awaitable[None]]:
    """`program`, then a wait for all its Outputs (see sdk.settle_outputs); their failures
    are added to `failures`."""

    async def run() -> None:
        result = program()
        if inspect.isawaitable(result):
            await result
        failures.extend(await sdk.settle_outputs())

    return run


def _quiet_unretrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The run reports a failure once; its unawaited outputs need not report it again."""
    if str(context.get("message", "")).endswith("exception was never retrieved"):
        return
    loop.default_exception_handler(context)


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """After a failure the SDK may leave outputs waiting on failed resources."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
