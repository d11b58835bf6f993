"""Refresh: read every custom resource back from the cloud and record what drifted."""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from govcloud.engine.diff import property_diffs
from govcloud.engine.properties import (
    PROVIDER_KEY,
    Props,
    is_secret,
    jsonable,
    mark_secret_outputs,
    without_provider,
)
from govcloud.engine.providers import ProviderRegistry, call, overrides
from govcloud.engine.results import DriftEntry, EngineEvent
from govcloud.engine.state import ResourceState, StateStore
from govcloud.engine.steps import provider_view


@dataclass(frozen=True)
class RefreshOutcome:
    changed: tuple[DriftEntry, ...]
    gone: tuple[str, ...]
    unchanged: int


class Refresher:
    def __init__(
        self, store: StateStore, registry: ProviderRegistry, *, parallel: int,
        emit: Callable[[EngineEvent], None], forget_gone: bool = True,
    ) -> None:
        # False: report resources gone from the cloud but keep them in state (the caller asks).
        self.forget_gone = forget_gone
        self.store = store
        self.registry = registry
        self.parallel = max(1, parallel)
        self.emit = emit

    def run(self) -> RefreshOutcome:
        resources = [r for r in self.store.resources().values() if r.custom]
        with ThreadPoolExecutor(self.parallel, thread_name_prefix="govcloud-refresh") as pool:
            outcomes = list(pool.map(self._refresh, resources))
        changed = tuple(o for o in outcomes if isinstance(o, DriftEntry))
        gone = tuple(sorted(o for o in outcomes if isinstance(o, str)))
        return RefreshOutcome(changed, gone, sum(1 for o in outcomes if o is None))

    def _refresh(self, res: ResourceState) -> DriftEntry | str | None:
        """A DriftEntry if properties changed, the URN if the resource is gone, else None."""
        provider_value = self.store.open_value(res.inputs.get(PROVIDER_KEY))
        provider = self.registry.for_props({PROVIDER_KEY: provider_value})
        if not overrides(provider, "read"):
            return None
        result = call(provider.read, res.id, provider_view(res.outputs, provider_value))
        if result is None or not result.id:
            if self.forget_gone:
                self.store.finish_delete(None, res.urn, None, res.id)
            self.emit(EngineEvent("warning", res.urn, message=f"{res.urn}: gone from the cloud"))
            return res.urn
        outputs = _keep_secrecy(_present(jsonable(result.outs or {})), res.outputs)
        diffs = property_diffs(res.outputs, outputs)
        inputs = res.inputs
        if result.inputs is not None:
            inputs = {**_keep_secrecy(_present(jsonable(result.inputs)), res.inputs),
                      PROVIDER_KEY: res.inputs[PROVIDER_KEY]}
        if not diffs and inputs == res.inputs and str(result.id) == res.id:
            return None
        self.store.put(replace(res, id=str(result.id), outputs=outputs, inputs=inputs))
        if not diffs and str(result.id) == res.id:
            return None  # the provider only restated its inputs: nothing drifted
        return DriftEntry(res.urn, res.type, str(result.id), diffs)


def _present(props: Props) -> Props:
    """Without `__provider` and without nulls: Pulumi's marshalling drops null properties, so a
    provider reading back `None` for a property it never set is not drift."""
    return {k: v for k, v in without_provider(props).items() if v is not None}


def _keep_secrecy(fresh: Props, recorded: Props) -> Props:
    """What was secret in state stays secret after a read."""
    secret_keys = frozenset(k for k, v in recorded.items() if is_secret(v))
    return mark_secret_outputs(fresh, recorded, secret_keys)
