"""Dynamic providers, decoded from the `__provider` input and called directly.

The SDK's own servicer (`pulumi.dynamic.__main__`) starts a gRPC server on import and
re-configures global settings on every lookup, so the engine decodes and calls providers
itself. Each call runs in a fresh copy of the context so provider code cannot disturb the
program's ambient Pulumi settings (or another call's).
"""
from __future__ import annotations

import contextlib
import contextvars
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from pulumi.dynamic import ResourceProvider

from govcloud.engine import sdk
from govcloud.engine.errors import EngineError
from govcloud.engine.properties import PROVIDER_KEY, Props, is_secret, reveal

_T = TypeVar("_T")
# Optional provider hook used to adopt a resource whose create was interrupted.
FIND_EXISTING = "find_existing"
# Optional, preferred by recovery: also finds what an interrupted create left half-made.
FIND_INTERRUPTED = "find_interrupted"


def overrides(provider: ResourceProvider, method: str) -> bool:
    """Whether the provider implements `method` itself rather than inheriting the default."""
    impl = getattr(type(provider), method, None)
    return impl is not None and impl is not getattr(ResourceProvider, method, None)


def provider_string(value: Any) -> str:
    """The serialized provider from an (opened) `__provider` value."""
    if is_secret(value):
        value = reveal(value)
    if not isinstance(value, str) or not value:
        raise EngineError("resource has no dynamic provider (`__provider` input missing)")
    return value


class ProviderRegistry:
    """Decodes each distinct serialized provider once and configures it with the stack config."""

    def __init__(self, project: str, config: Mapping[str, Any]) -> None:
        self._project = project
        self._config = dict(config)
        self._cache: dict[str, ResourceProvider] = {}
        self._lock = threading.Lock()

    def get(self, serialized: str) -> ResourceProvider:
        provider = self._cache.get(serialized)
        if provider is not None:
            return provider
        with self._lock:  # dill.loads is not safe to run concurrently on the same payload
            provider = self._cache.get(serialized)
            if provider is None:
                provider = self._decode(serialized)
                self._cache[serialized] = provider
        return provider

    def for_props(self, props: Props) -> ResourceProvider:
        return self.get(provider_string(props.get(PROVIDER_KEY)))

    def _decode(self, serialized: str) -> ResourceProvider:
        try:
            provider = sdk.decode_provider(serialized)
        except Exception as exc:
            raise EngineError(
                f"cannot load a dynamic provider ({type(exc).__name__}: {exc}); "
                "providers must live in an importable module"
            ) from exc
        if not isinstance(provider, ResourceProvider):
            raise EngineError(f"`__provider` decodes to {type(provider).__name__}, not a ResourceProvider")
        call(provider.configure, sdk.configure_request(self._config, self._project))
        return provider


# Set by the Ctrl-C handler of `interruptible()`: from then on no provider call starts, so an
# interrupt stops the run after the calls in flight, wherever the signal found the main thread
# (a library frame that swallows the KeyboardInterrupt cannot undo it).
_INTERRUPTED = threading.Event()


def call(fn: Callable[..., _T], *args: Any) -> _T:
    """Run one provider call in its own copy of the current context (refused after Ctrl-C)."""
    if _INTERRUPTED.is_set():
        raise EngineError("interrupted (Ctrl-C) before this step started",
                          hint="run it again: the state records every step that completed")
    return contextvars.copy_context().run(fn, *args)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C inside the block stops every provider call not yet started, and the block ends
    in KeyboardInterrupt even when a frame on the way swallowed the signal's own.

    Only the main thread receives signals; elsewhere, and where SIGINT is ignored, the block
    changes nothing.
    """
    previous = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    if previous is None or previous is signal.SIG_IGN:
        yield
        return

    def on_interrupt(signum: int, frame: Any) -> None:
        _INTERRUPTED.set()
        if callable(previous):
            previous(signum, frame)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
        if _INTERRUPTED.is_set():
            raise KeyboardInterrupt
    finally:
        signal.signal(signal.SIGINT, previous)
        _INTERRUPTED.clear()
