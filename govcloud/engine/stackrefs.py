"""`pulumi:pulumi:StackReference`: another stack's outputs, read from the same backend.

As in Pulumi's engine, a StackReference is a read of a resource whose id is the referenced
stack's name (`stack`, `project/stack` or `organization/project/stack`), and whose outputs
are `name`, `outputs` (the referenced stack's outputs: those of its `pulumi:pulumi:Stack`
resource in the checkpoint) and `secretOutputNames`. A stack that is not there is an error
naming it, never empty outputs.

A preview may run before the stack it reads was ever applied (a split stack's first plan
plans its platform first): `pending_stacks` names such stacks, whose outputs then read as
unknown, and outputs about to change, which read as unknown too.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from govcloud.engine.errors import EngineError
from govcloud.engine.properties import UNKNOWN, Props, contains_secret
from govcloud.engine.state import StateStore

STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"

# referenced stack → output names about to change (None: the stack is not applied yet)
_PENDING: ContextVar[Mapping[str, frozenset[str] | None] | None] = ContextVar("govcloud_pending_stacks", default=None)


class StackReferenceError(EngineError):
    """A referenced stack or output that is not there: bad input (exit 2), named."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message, rule="GC-STACKREF", hint=hint)
        self.exit_code = 2


@contextmanager
def pending_stacks(pending: Mapping[str, frozenset[str] | None]) -> Iterator[None]:
    """Within: previews read these stacks' outputs (or the named ones) as unknown."""
    token = _PENDING.set(dict(pending))
    try:
        yield
    finally:
        _PENDING.reset(token)


@dataclass(frozen=True)
class StackOutputs:
    stack: str
    outputs: Props  # secrets wrapped the SDK's way
    secret_names: tuple[str, ...]

    def properties(self) -> Props:
        """The StackReference resource's outputs."""
        return {"name": self.stack, "outputs": self.outputs, "secretOutputNames": list(self.secret_names)}


def stack_name(reference: str, project: str) -> str:
    """`org/project/stack` → `stack`; another project's stack is refused."""
    parts = reference.split("/")
    if len(parts) > 3 or not parts[-1] or (len(parts) >= 2 and parts[-2] != project):
        raise StackReferenceError(
            f"stack reference {reference!r} does not name a stack of project '{project}'",
            hint="name the stack as `stack`, `project/stack` or `organization/project/stack`")
    return parts[-1]


def read_outputs(store: StateStore, reference: str, *, preview: bool = False) -> StackOutputs | None:
    """The outputs of the stack `reference` names, in `store`'s backend (opened with its passphrase).

    None in a preview of a stack that is pending and not applied yet: its outputs are unknown.
    """
    stack = stack_name(reference, store.project)
    pending = _PENDING.get() or {}
    other = store.sibling(stack)
    if not other.exists():
        if preview and stack in pending and pending[stack] is None:
            return None
        raise StackReferenceError(
            f"stack '{stack}' is referenced, but the backend has no such stack ({other.path})",
            hint=f"apply '{stack}' first")
    outputs = dict(other.stack_outputs())
    changing = pending.get(stack) if preview else None
    for name in changing or ():
        outputs[name] = UNKNOWN  # about to change, or to be exported for the first time
    secret_names = tuple(sorted(k for k, v in outputs.items() if contains_secret(v)))
    return StackOutputs(stack, outputs, secret_names)


def unknown_outputs(stack: str) -> Props:
    """What a preview reads from a stack not applied yet: every output unknown."""
    return {"name": stack, "outputs": UNKNOWN, "secretOutputNames": UNKNOWN}


def require(found: StackOutputs, names: tuple[str, ...]) -> None:
    """Every one of `names` among the outputs, else one error naming the stack and the first missing."""
    missing = [n for n in names if n not in found.outputs]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise StackReferenceError(
            f"stack '{found.stack}' has no output '{missing[0]}'{more}",
            hint=f"apply '{found.stack}' so that it exports it")
