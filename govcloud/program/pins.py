"""The address slots a stack has deployed, read back from its state (graph/addressing.py).

The state is read where the engine keeps it, the stack's backend in Pulumi's DIY layout,
the same for the embedded engine and the Pulumi CLI, without the passphrase (no slot is a
secret) and without taking the lock. A split stack's slots are those of all its member
stacks, the platform's, the departments' and those of members gone from the blueprints
(their resources are there until an apply deletes them).
"""
from __future__ import annotations

from govcloud.engine import StateStore
from govcloud.graph.addressing import NO_PINS, Pins, pins_from_resources
from govcloud.model import Project
from govcloud.program.stackconfig import MEMBER_SEPARATOR, StackConfig, project_name


def _store_pins(store: StateStore, project: Project) -> Pins:
    if not store.exists():
        return NO_PINS
    resources = ((r.type, r.urn.rsplit("::", 1)[-1], r.inputs) for r in store.sealed_resources() if r.custom)
    return pins_from_resources(resources, project.city.networks)


def family_stacks(store: StateStore, family: str) -> tuple[str, ...]:
    """The member stacks of `family` the backend has a state for."""
    folder = f".pulumi/stacks/{store.project}/"
    prefix = f"{folder}{family}{MEMBER_SEPARATOR}"
    return tuple(sorted(key[len(folder):].removesuffix(".json") for key in store.blobs.keys(folder)
                        if key.startswith(prefix) and key.endswith(".json")))


def deployed_pins(config: StackConfig, project: Project) -> Pins:
    """The slots the stack `config` holds; for a split stack or one of its members, the
    slots of every member of the family."""
    stack = config.family or config.stack
    store = StateStore.for_stack(config.root, stack, project=project_name(config.root)).open()
    pins = _store_pins(store, project)
    if config.split is not None:
        for member in family_stacks(store, stack):
            pins = pins.merged(_store_pins(store.sibling(member), project))
    return pins
