"""`govcloud state split --stack S`: move an unsplit stack's state into its member stacks.

A stack applied whole and then configured split (`govcloud:split`) keeps every cloud
resource: each recorded resource moves into its member's state (`S__platform`, `S__<code>`)
with its URN, parent and dependencies rewritten for the member's stack name; a dependency
on another member's resource is dropped (the department reads it through its
StackReference instead). The platform's state gets the outputs its departments read, from
the recorded resources, so the next plan changes nothing. The member states keep the
stack's secrets provider, so sealed values move as they are: no passphrase is needed.
The old state is emptied, as a new version of its history; the version before stays there.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from govcloud.engine import StateStore
from govcloud.engine.urns import STACK_TYPE, make_urn, urn_name
from govcloud.errors import GovcloudError
from govcloud.operations.statecommands import StateChange, _audit
from govcloud.operations.statefile import _stack_config
from govcloud.program.entry import load_family
from govcloud.program.family import CITY_LEVEL, PLATFORM, Family, member_stack, output_name
from govcloud.program.reform import Renames
from govcloud.program.stackconfig import project_name

_CITY = "city"  # the logical names of the City's resources start with it (graph/names.py)


def _owners(family: Family, renames: Renames) -> dict[str, str]:
    """Registered name (node or component) → member."""
    owners: dict[str, str] = {}
    for member in family.members:
        for component in member.graph.components:
            owners[renames.name(component.name)] = member.name
        for node in member.graph.nodes:
            owners[renames.name(node.name)] = member.name
    return owners


def _member_of(name: str, owners: dict[str, str], family: Family) -> str:
    """The member a recorded resource goes to; one the blueprints no longer have by its code."""
    if name in owners:
        return owners[name]
    head = name.split("/", 1)[0]
    if head == _CITY:
        return PLATFORM
    by_department = {d: m.name for m in family.members for d in m.departments}
    return by_department.get(head, head if family.split == "department" else CITY_LEVEL)


def _rewrite(urn: str, old_stack: str, new_stack: str) -> str:
    return urn.replace(f"urn:pulumi:{old_stack}::", f"urn:pulumi:{new_stack}::", 1)


def _platform_outputs(family: Family, moved: list[dict[str, Any]], old: dict[str, Any]) -> dict[str, Any]:
    """The platform's outputs as its next apply writes them: shared values from the recorded resources."""
    by_name = {urn_name(r["urn"]): r for r in moved}
    outputs: dict[str, Any] = {key: old[key] for key in ("endpoints", "networks", "city") if key in old}
    for ref in family.exports:
        recorded = by_name.get(ref.node)
        if recorded is not None and ref.output in recorded.get("outputs", {}):
            outputs[output_name(ref)] = recorded["outputs"][ref.output]
    return outputs


def _department_outputs(codes: tuple[str, ...], old: dict[str, Any]) -> dict[str, Any]:
    found = old.get("departments")
    departments: dict[str, Any] = found if isinstance(found, dict) else {}
    outputs: dict[str, Any] = {"departments": {c: departments[c] for c in codes if c in departments}}
    secrets = old.get("databaseAdminSecrets")
    if isinstance(secrets, dict):
        mine = {k: v for k, v in secrets.items() if k.split("/", 1)[0] in codes}
        if mine:
            outputs["databaseAdminSecrets"] = mine
    return outputs


def state_split(stack: str, *, root: str | Path | None = None, lock_wait: float = 0.0) -> StateChange:
    """Move the unsplit state of split stack `stack` into its member stacks (no cloud call)."""
    started = time.monotonic()
    config = _stack_config(stack, root)
    if config.split is None or config.member is not None:
        raise GovcloudError(f"stack '{stack}' is not configured split", rule="GC-USAGE",
                            hint=f"add `govcloud:split: department` to {config.file.name} first")
    project, family = load_family(config)
    renames = Renames(project)
    owners = _owners(family, renames)
    project_id = project_name(config.root)
    store = StateStore.for_stack(config.root, stack, project=project_id).open()
    with store.lock("state split", wait=lock_wait) as lock:
        store.open()
        doc = store.deployment()
        body = doc["deployment"]
        if body.get("pending_operations") or any(r.get("delete") for r in body["resources"]):
            raise GovcloudError(f"stack '{stack}' has interrupted or unfinished operations in its state",
                                rule="GC-STATE-SPLIT", hint=f"converge it first: govcloud apply --stack {stack}"
                                " (with govcloud:split removed), then split")
        resources = [r for r in body["resources"] if not (r["type"] == STACK_TYPE and not r.get("parent"))]
        if not any(r.get("custom") for r in resources):
            raise GovcloudError(f"stack '{stack}' has no resources in its unsplit state: nothing to split",
                                rule="GC-STATE-SPLIT")
        old_outputs = store.sealed_outputs()
        old_stack_urn = make_urn(stack, project_id, "", STACK_TYPE, f"{project_id}-{stack}")
        member_of = {r["urn"]: _member_of(urn_name(r["urn"]), owners, family) for r in resources}
        grouped: dict[str, list[dict[str, Any]]] = {}
        for res in resources:
            member = member_of[res["urn"]]
            new_stack = member_stack(stack, member)
            row = dict(res, urn=_rewrite(res["urn"], stack, new_stack))
            parent = res.get("parent")
            if parent:
                row["parent"] = (make_urn(new_stack, project_id, "", STACK_TYPE, f"{project_id}-{new_stack}")
                                 if parent == old_stack_urn else _rewrite(parent, stack, new_stack))
            deps = [_rewrite(d, stack, new_stack) for d in res.get("dependencies", ())
                    if member_of.get(d) == member]
            if deps:
                row["dependencies"] = deps
            else:
                row.pop("dependencies", None)
            grouped.setdefault(member, []).append(row)
        for member in grouped:
            target = StateStore.for_stack(config.root, member_stack(stack, member), project=project_id).open()
            if any(r.custom for r in target.sealed_resources()):
                raise GovcloudError(f"member stack '{target.stack}' already holds resources; nothing was moved",
                                    rule="GC-STATE-SPLIT", hint="a stack is split once")
        written = []
        for member, moved in sorted(grouped.items(), key=lambda item: (item[0] != PLATFORM, item[0])):
            new_stack = member_stack(stack, member)
            found = family.find(member)
            outputs = (_platform_outputs(family, moved, old_outputs) if member == PLATFORM else
                       _department_outputs(found.departments if found else (member,), old_outputs))
            stack_res = {"urn": make_urn(new_stack, project_id, "", STACK_TYPE, f"{project_id}-{new_stack}"),
                         "custom": False, "type": STACK_TYPE, "inputs": {}, "outputs": outputs}
            deployment = {"version": doc["version"], "deployment": {
                **{k: v for k, v in body.items() if k not in ("resources", "pending_operations")},
                "resources": [stack_res, *moved]}}
            target = StateStore.for_stack(config.root, new_stack, project=project_id).open()
            with target.lock("state split", wait=lock_wait) as member_lock:
                target.open()
                target.replace_all(deployment)
                count = sum(1 for r in moved if r.get("custom"))
                target.record("state-split", member_lock.holder, time.time(), True, {"resources": count},
                              f"moved from stack '{stack}'")
            written.append((new_stack, count))
        emptied = {"version": doc["version"], "deployment": {
            **{k: v for k, v in body.items() if k not in ("resources", "pending_operations")}, "resources": []}}
        store.replace_all(emptied)
        total = sum(n for _, n in written)
        store.record("state-split", lock.holder, time.time(), True, {"resources": total},
                     "moved into " + ", ".join(name for name, _ in written))
    moved_urns = tuple(r["urn"] for r in resources)
    _audit(config, "state split", moved_urns, started)
    message = (f"moved {total} resources of stack '{stack}' into {len(written)} member stacks "
               f"({', '.join(f'{name}: {n}' for name, n in written)}); nothing in the cloud changed")
    return StateChange(stack, "split", moved_urns, message, store.version)
