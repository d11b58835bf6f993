"""The Pulumi program: the desired graph → components and cloud resources, then stack outputs.

`make_program(project, target)` returns the zero-argument function that both engines run:
the embedded engine (in-process) and the Pulumi CLI through the Automation API.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from govcloud.cloud.types import CATALOGUE
from govcloud.graph import Graph, Node, Ref, Target, build_graph
from govcloud.graph.addressing import NO_PINS, Pins
from govcloud.model import Project
from govcloud.program.components import GovComponent, create_components
from govcloud.program.outputs import component_outputs, stack_outputs
from govcloud.program.reform import Renames, under_former_codes

if TYPE_CHECKING:
    from govcloud.program.family import Family

# Builds the resource of one node: `(token, name, inputs, endpoint_url, opts) -> Resource`.
ResourceFactory = Callable[[str, str, Mapping[str, Any], "str | None", pulumi.ResourceOptions], pulumi.CustomResource]


def catalogue_factory(
    token: str, name: str, inputs: Mapping[str, Any], endpoint_url: str | None, opts: pulumi.ResourceOptions
) -> pulumi.CustomResource:
    """A resource of the cloud catalogue's Resource class for `token`."""
    cls: Any = CATALOGUE[token].resource_class
    resource: pulumi.CustomResource = cls(name, inputs, endpoint_url=endpoint_url, opts=opts)
    return resource


@dataclass(frozen=True)
class Deployment:
    """What one run of the program registered: for tests and for the engine's summaries."""

    graph: Graph
    components: Mapping[str, GovComponent]
    resources: Mapping[str, pulumi.CustomResource]


def resolve_inputs(value: Any, resources: Mapping[str, Any]) -> Any:
    """Inputs with every Ref replaced by the Output it names (Outputs carry the dependency)."""
    if isinstance(value, Ref):
        output: pulumi.Output[Any] = getattr(resources[value.node], value.output)
        return output
    if isinstance(value, Mapping):
        return {k: resolve_inputs(v, resources) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_inputs(v, resources) for v in value]
    return value


def _create(
    node: Node,
    components: Mapping[str, GovComponent],
    resources: Mapping[str, pulumi.CustomResource],
    endpoint_url: str | None,
    factory: ResourceFactory,
    renames: Renames | None = None,
) -> pulumi.CustomResource:
    # depends_on repeats what the Refs imply, so every edge of the graph is explicit in the state.
    opts = pulumi.ResourceOptions(
        parent=components[node.component], depends_on=[resources[d] for d in node.deps]
    )
    name = node.name
    if renames is not None:
        name, opts = renames.name(node.name), renames.options(node.name, opts) or opts
    return factory(node.type, name, resolve_inputs(node.inputs, resources), endpoint_url, opts)


def deploy(
    graph: Graph, *, endpoint_url: str | None = None, factory: ResourceFactory = catalogue_factory,
    renames: Renames | None = None,
) -> Deployment:
    """Register every component and resource of `graph` in dependency order; export the outputs.

    With `renames`, renamed departments register under their new codes (aliased).
    """
    components = create_components(graph.components, renames)
    resources: dict[str, pulumi.CustomResource] = {}
    for node in graph.order():
        resources[node.name] = _create(node, components, resources, endpoint_url, factory, renames)
    for name, component in components.items():
        component.register_outputs(component_outputs(graph, graph.component(name), resources))
    for key, value in stack_outputs(graph, resources).items():
        pulumi.export(key, value)
    return Deployment(graph, components, resources)


def make_program(
    project: Project,
    target: Target,
    *,
    endpoint_url: str | None = None,
    factory: ResourceFactory = catalogue_factory,
    pins: Pins = NO_PINS,
) -> Callable[[], None]:
    """The program for `project` on `target`; the graph is built now, so bad input fails early.

    A department renamed in an institutional reform is built under its former code (its
    cloud resources stay as they are) and registered under its new one. `pins` are the
    address slots the stack has deployed: they stay (graph/addressing.py).
    """
    graph = build_graph(under_former_codes(project), target, pins=pins)
    renames = Renames(project)

    def program() -> None:
        deploy(graph, endpoint_url=endpoint_url, factory=factory, renames=renames if renames.codes else None)

    return program


def split_family(project: Project, target: Target, split: str, pins: Pins = NO_PINS) -> Family:
    """The members of the split stack `target.stack` (program/family.py), with the address
    slots `pins` its members have deployed where they are."""
    from govcloud.program.family import partition

    former = under_former_codes(project)
    return partition(build_graph(former, target, pins=pins), former, split)


def make_member_program(
    project: Project,
    target: Target,
    split: str,
    member: str,
    *,
    endpoint_url: str | None = None,
    factory: ResourceFactory = catalogue_factory,
    family: Family | None = None,
) -> Callable[[], None]:
    """The program of member `member` of the split stack `target.stack` (`family` if built already).

    A member the blueprints no longer have (its department left) registers nothing, so an
    apply deletes what its stack holds.
    """
    from govcloud.program.family import deploy_member

    family = family or split_family(project, target, split)
    found = family.find(member)
    renames = Renames(project)

    def program() -> None:
        if found is not None:
            deploy_member(family, found, endpoint_url=endpoint_url, factory=factory,
                          renames=renames if renames.codes else None)

    return program
