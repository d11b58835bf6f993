"""A stack's state as a Pulumi version-3 deployment, and back.

The layout is that of Pulumi's published schemas (`sdk/go/common/apitype/deployments.json`
and `resources.json`): `{"version": 3, "deployment": {"manifest", "secrets_providers",
"resources", "pending_operations"}}`. How govcloud's records map onto it:

- resources keep their registration order, which is a dependency order, as Pulumi requires;
- the old half of a create-before-delete replacement is a resource with `"delete": true`
  (Pulumi's own marking), placed after the live resource of the same URN;
- a resource whose last update or adoption was interrupted carries `initErrors`, which makes
  Pulumi's engine (and ours) update it again on the next run;
- an interrupted provider call is a `pending_operations` entry (`creating`, `updating`,
  `deleting`); the journal keeps when and by which process it started while a run is live;
- the stack's outputs are the outputs of its `pulumi:pulumi:Stack` resource;
- `retainOnDelete` and `deleteBeforeReplace` are written only when set, as Pulumi's engine
  writes them (its Go `ResourceV3` has both; the published JSON Schema lags behind).

Values here are sealed: secrets are `{sig, "ciphertext": "v1:…"}` objects.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from govcloud.engine.properties import Props
from govcloud.engine.records import PendingOp, ResourceState
from govcloud.errors import GovcloudError

DEPLOYMENT_VERSION = 3
STACK_TYPE = "pulumi:pulumi:Stack"
INTERRUPTED = "govcloud: an operation on this resource was interrupted; the next run applies it again"
_OPS = {"create": "creating", "update": "updating", "delete": "deleting"}
_OPS_BACK = {v: k for k, v in _OPS.items()}


class StateCorruptError(GovcloudError):
    """A state object exists but is not a deployment govcloud can read (exit 2)."""

    def __init__(self, where: str, problem: str, *, hint: str = "") -> None:
        super().__init__(
            f"{where}: the stack's state is damaged: {problem}", rule="GC-STATE",
            hint=hint or "nothing was changed; list earlier versions with `govcloud state history"
                         " --stack STACK` and restore one with `govcloud state import`")


@dataclass
class Snapshot:
    """Everything a deployment holds, sealed; resources keyed by URN in registration order."""

    resources: dict[str, ResourceState] = field(default_factory=dict)
    condemned: dict[int, ResourceState] = field(default_factory=dict)
    pending: dict[int, PendingOp] = field(default_factory=dict)
    outputs: Props = field(default_factory=dict)
    secrets_state: dict[str, Any] | None = None

    def next_cid(self) -> int:
        return max(self.condemned, default=0) + 1

    def next_op(self) -> int:
        return max(self.pending, default=0) + 1


def engine_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"govcloud-{version('govcloud')}"
    except PackageNotFoundError:
        return "govcloud"


def magic(version: str) -> str:
    """Pulumi's manifest magic: the SHA-256 of the engine version string."""
    return hashlib.sha256(version.encode("utf-8")).hexdigest()


# -- to JSON -----------------------------------------------------------------------------------
def resource_json(res: ResourceState, *, delete: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"urn": res.urn, "custom": res.custom}
    if delete:
        out["delete"] = True
    if res.custom:
        out["id"] = res.id
    out["type"] = res.type
    out["inputs"] = res.inputs
    out["outputs"] = res.outputs
    if res.parent:
        out["parent"] = res.parent
    if res.protect:
        out["protect"] = True
    if res.dependencies:
        out["dependencies"] = list(res.dependencies)
    if res.dirty:
        out["initErrors"] = [INTERRUPTED]
    if res.retain_on_delete:
        out["retainOnDelete"] = True
    if res.delete_before_replace:
        out["deleteBeforeReplace"] = True
    return out


def pending_json(op: PendingOp) -> dict[str, Any]:
    meta = op.meta
    res = ResourceState(
        urn=op.urn, type=op.type, parent=str(meta.get("parent", "")), custom=True,
        id=op.resource_id, inputs=op.inputs, outputs=op.outputs,
        dependencies=tuple(meta.get("dependencies", ())), protect=bool(meta.get("protect")),
        retain_on_delete=bool(meta.get("retain_on_delete")),
        delete_before_replace=bool(meta.get("delete_before_replace")),
    )
    out = resource_json(res, delete=op.cid is not None)
    secret_outputs = meta.get("additional_secret_outputs")
    if secret_outputs:
        out["additionalSecretOutputs"] = sorted(secret_outputs)
    return {"resource": out, "type": _OPS[op.op]}


def to_deployment(snap: Snapshot, *, now: float | None = None) -> dict[str, Any]:
    version = engine_version()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now if now is not None else time.time()))
    condemned_by_urn: dict[str, list[ResourceState]] = {}
    for cid in sorted(snap.condemned):
        old = snap.condemned[cid]
        condemned_by_urn.setdefault(old.urn, []).append(old)
    resources: list[dict[str, Any]] = []
    for urn, res in _dependency_order(snap.resources):
        shown = ResourceState(**{**res.__dict__, "outputs": snap.outputs}) if (
            res.type == STACK_TYPE and not res.parent) else res
        resources.append(resource_json(shown))
        resources.extend(resource_json(old, delete=True) for old in condemned_by_urn.pop(urn, ()))
    for olds in condemned_by_urn.values():  # the live half is gone: only the old one remains
        resources.extend(resource_json(old, delete=True) for old in olds)
    deployment: dict[str, Any] = {
        "manifest": {"time": stamp, "magic": magic(version), "version": version},
    }
    if snap.secrets_state is not None:
        deployment["secrets_providers"] = {"type": "passphrase", "state": snap.secrets_state}
    deployment["resources"] = resources
    if snap.pending:
        deployment["pending_operations"] = [pending_json(snap.pending[k]) for k in sorted(snap.pending)]
    return {"version": DEPLOYMENT_VERSION, "deployment": deployment}


def _dependency_order(resources: dict[str, ResourceState]) -> list[tuple[str, ResourceState]]:
    """Registration order, moved only where a resource would precede what it depends on."""
    placed: set[str] = set()
    out: list[tuple[str, ResourceState]] = []

    def place(urn: str, trail: frozenset[str]) -> None:
        res = resources[urn]
        for dep in (res.parent, *res.dependencies):
            if dep in resources and dep not in placed and dep not in trail:
                place(dep, trail | {urn})
        if urn not in placed:
            placed.add(urn)
            out.append((urn, res))

    for urn in resources:
        if urn not in placed:
            place(urn, frozenset())
    return out


# -- from JSON ---------------------------------------------------------------------------------
def _need(obj: Any, key: str, kind: type, where: str, what: str) -> Any:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise StateCorruptError(where, f"{what}: '{key}' is missing or not a {kind.__name__}")
    return value


def resource_from_json(obj: Any, where: str, what: str, seq: int = 0) -> tuple[ResourceState, bool]:
    """(the resource, whether it is marked for deletion)."""
    if not isinstance(obj, dict):
        raise StateCorruptError(where, f"{what} is not an object")
    urn = _need(obj, "urn", str, where, what)
    label = f"{what} ({urn})"
    custom = bool(obj.get("custom", False))
    inputs = obj.get("inputs", {})
    outputs = obj.get("outputs", {})
    deps = obj.get("dependencies", [])
    if not isinstance(inputs, dict) or not isinstance(outputs, dict):
        raise StateCorruptError(where, f"{label}: inputs and outputs must be objects")
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise StateCorruptError(where, f"{label}: dependencies must be a list of URNs")
    res = ResourceState(
        urn=urn, type=_need(obj, "type", str, where, label), parent=str(obj.get("parent") or ""),
        custom=custom, id=str(obj.get("id") or ""), inputs=inputs, outputs=outputs,
        dependencies=tuple(deps), protect=bool(obj.get("protect", False)),
        retain_on_delete=bool(obj.get("retainOnDelete", False)),
        delete_before_replace=bool(obj.get("deleteBeforeReplace", False)),
        dirty=bool(obj.get("initErrors")), seq=seq,
    )
    return res, bool(obj.get("delete", False))


def from_deployment(doc: Any, where: str) -> Snapshot:
    if not isinstance(doc, dict):
        raise StateCorruptError(where, "not a JSON object")
    version = doc.get("version")
    if version != DEPLOYMENT_VERSION:
        raise StateCorruptError(where, f"deployment version {version!r}; govcloud reads version 3",
                                hint="export it with a Pulumi CLI that writes version 3 and import that")
    body = doc.get("deployment")
    if not isinstance(body, dict):
        raise StateCorruptError(where, "'deployment' is missing or not an object")
    _need(body, "manifest", dict, where, "deployment")
    snap = Snapshot()
    providers = body.get("secrets_providers")
    if providers is not None:
        if not isinstance(providers, dict) or providers.get("type") != "passphrase":
            kind = providers.get("type") if isinstance(providers, dict) else providers
            raise StateCorruptError(where, f"secrets provider {kind!r}; govcloud uses 'passphrase'",
                                    hint="change it with `pulumi stack change-secrets-provider passphrase`")
        state = providers.get("state")
        snap.secrets_state = state if isinstance(state, dict) else None
    resources = body.get("resources") or []
    if not isinstance(resources, list):
        raise StateCorruptError(where, "'resources' is not a list")
    for index, obj in enumerate(resources):
        res, condemned = resource_from_json(obj, where, f"resources[{index}]", seq=index + 1)
        if condemned:
            snap.condemned[snap.next_cid()] = res
        elif res.urn in snap.resources:
            raise StateCorruptError(where, f"resources[{index}]: URN {res.urn} appears twice")
        else:
            if res.type == STACK_TYPE and not res.parent:
                snap.outputs = dict(res.outputs)
            snap.resources[res.urn] = res
    pending = body.get("pending_operations") or []
    if not isinstance(pending, list):
        raise StateCorruptError(where, "'pending_operations' is not a list")
    for index, obj in enumerate(pending):
        what = f"pending_operations[{index}]"
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind not in _OPS_BACK:
            raise StateCorruptError(where, f"{what}: unknown operation {kind!r}")
        res, condemned = resource_from_json(obj.get("resource"), where, what)
        cid = None
        if condemned:
            cid = next((c for c, old in snap.condemned.items() if old.urn == res.urn and old.id == res.id), None)
        meta = {"parent": res.parent, "dependencies": list(res.dependencies), "protect": res.protect,
                "retain_on_delete": res.retain_on_delete,
                "delete_before_replace": res.delete_before_replace,
                "additional_secret_outputs": list(obj["resource"].get("additionalSecretOutputs", ()))}
        op_id = snap.next_op()
        snap.pending[op_id] = PendingOp(op_id, res.urn, res.type, _OPS_BACK[kind], res.id, cid,
                                        res.inputs, res.outputs, meta, 0.0, 0)
    return snap
