"""Adopting a resource that already exists in the cloud (`govcloud import TYPE NAME ID`).

A department's pre-consolidation system moves into the city's stack this way: the program
is previewed to find the resource it would create under that type and name, the provider
reads the cloud resource by its id, and the state records it at the program's URN with
the properties the cloud reported. The next plan then shows what an apply would change to
bring it in line with the blueprint (an update, or nothing) instead of a second create.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govcloud.engine.errors import EngineError
from govcloud.engine.properties import PROVIDER_KEY, Props, jsonable, mark_secret_outputs, without_provider
from govcloud.engine.providers import call, overrides
from govcloud.engine.records import ResourceState
from govcloud.engine.steps import Registration, StepRunner, provider_view
from govcloud.engine.urns import kind_of

if TYPE_CHECKING:
    from govcloud.engine.providers import ProviderRegistry


class Finder(StepRunner):
    """A preview runner that also remembers the registration of one (type, name)."""

    def __init__(self, *args: Any, kind: str, name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind, self.name = kind, name
        self.found: list[Registration] = []

    def register(self, reg: Registration) -> tuple[str, Props]:
        if reg.custom and reg.urn.rsplit("::", 1)[-1] == self.name and self.kind in (reg.type, kind_of(reg.type)):
            self.found.append(reg)
        return super().register(reg)


def adopted_state(reg: Registration, registry: ProviderRegistry, id_: str, seq: int) -> ResourceState:
    """The state row of the cloud resource `id_` as the resource `reg` of the program."""
    provider_value = reg.inputs.get(PROVIDER_KEY)
    provider = registry.for_props(reg.inputs)
    if not overrides(provider, "read"):
        raise EngineError(f"{reg.urn}: resources of type {kind_of(reg.type)} cannot be read, so not imported")
    result = call(provider.read, id_, provider_view(reg.inputs, provider_value))
    if result is None or not result.id:
        raise EngineError(f"{kind_of(reg.type)} {id_!r} does not exist in the cloud",
                          hint="check the id (for a bucket its name, for an instance i-…)")
    outputs = mark_secret_outputs(without_provider(jsonable(result.outs or {})), reg.inputs,
                                  reg.additional_secret_outputs)
    # What the cloud has, in the program's terms: the next plan diffs the blueprint with it.
    if result.inputs is not None:
        inputs: Props = without_provider(jsonable(result.inputs))
    else:
        inputs = {k: outputs[k] for k in without_provider(reg.inputs) if k in outputs}
    inputs[PROVIDER_KEY] = provider_value
    return ResourceState(
        urn=reg.urn, type=reg.type, parent=reg.parent, custom=True, id=str(result.id), inputs=inputs,
        outputs=outputs, dependencies=reg.dependencies, protect=reg.protect,
        retain_on_delete=reg.retain_on_delete, delete_before_replace=reg.delete_before_replace, seq=seq)
