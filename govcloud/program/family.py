"""A split stack: the desired graph partitioned into a platform stack and one stack per department.

With `govcloud:split: department` the stack `S` is a family of member stacks:

| member | stack | holds |
|---|---|---|
| the platform | `S__platform` | the City: networks, keys, OA, site platform, data exchange, DR role, guardrails |
| a department | `S__<code>` | the department's component and everything under it (tenants, systems) |

With `govcloud:split: district` departments are grouped by their `metadata.district` into
`S__<district>`, the city-level ones into `S__city`. Every member keeps the family's cloud
names and `gov:stack` tag (the graph is built once, for `S`), so splitting renames nothing.

A department's references to platform resources are read through a Pulumi
`StackReference` to `S__platform`, whose outputs carry one value per reference, named
`<node>.<output>` (`city/key.arn`). References between departments, or from the platform to
a department, cannot cross stacks: such a graph is refused.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from govcloud.errors import GovcloudError
from govcloud.graph import Component, Graph, Node, Ref, refs_in
from govcloud.model import Project
from govcloud.program.components import create_components
from govcloud.program.outputs import city_outputs, department_outputs
from govcloud.program.reform import Renames
from govcloud.program.stackconfig import MEMBER_SEPARATOR

PLATFORM = "platform"
CITY_LEVEL = "city"  # district split: the departments of no district


def member_stack(family: str, member: str) -> str:
    """`sandbox` + `gaj` → `sandbox__gaj`: a valid Pulumi stack name, never a stack file's."""
    return f"{family}{MEMBER_SEPARATOR}{member}"


def output_name(ref: Ref) -> str:
    """The platform output a department reads for `ref`: `city/site/https.arn`."""
    return f"{ref.node}.{ref.output}"


@dataclass(frozen=True)
class Member:
    """One stack of a family: its components and nodes, and the platform outputs it reads."""

    name: str  # platform | a department code | a district code (or `city`)
    stack: str
    departments: tuple[str, ...]  # () for the platform
    graph: Graph  # the member's components and nodes only (references may point outside)
    imports: tuple[Ref, ...]  # platform outputs read through the StackReference, sorted
    order: tuple[str, ...] = ()  # its nodes, dependencies first (the whole graph's order)

    @property
    def is_platform(self) -> bool:
        return self.name == PLATFORM


@dataclass(frozen=True)
class Family:
    """The members of a split stack, the platform first."""

    stack: str
    split: str
    graph: Graph
    members: tuple[Member, ...]

    @property
    def platform(self) -> Member:
        return self.members[0]

    @property
    def exports(self) -> tuple[Ref, ...]:
        """Every platform output some member reads."""
        return tuple(sorted({r for m in self.members for r in m.imports}))

    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.members)

    def find(self, name: str) -> Member | None:
        return next((m for m in self.members if m.name == name), None)

    def owner(self, node: str) -> Member:
        for member in self.members:
            if member.graph.has(node):
                return member
        raise KeyError(node)


def _group_of(component: Component, split: str, districts: Mapping[str, str | None]) -> str:
    if component.department is None:
        return PLATFORM
    if split == "district":
        return districts.get(component.department) or CITY_LEVEL
    return component.department


def _refuse(family: str, split: str, message: str, hint: str = "") -> GovcloudError:
    return GovcloudError(f"stack '{family}' cannot be split by {split}: {message}", rule="GC-STACK-SPLIT",
                         hint=hint or f"remove govcloud:split from the stack file of '{family}'")


def partition(graph: Graph, project: Project, split: str) -> Family:
    """The members of `graph` (built for the family's stack) when split by `split`.

    `project` is the one the graph was built from (renamed departments under their former
    codes), for the departments' districts.
    """
    family = graph.target.stack
    districts = {d.code: d.district for d in project.departments}
    taken = set(districts) | {d for d in districts.values() if d}
    if PLATFORM in taken:
        raise _refuse(family, split, f"a department or district is coded '{PLATFORM}', the platform stack's name",
                      hint="rename it (metadata.code), or keep the stack whole")
    if split == "district" and CITY_LEVEL in {d for d in districts.values() if d}:
        raise _refuse(family, split, f"a district is coded '{CITY_LEVEL}', the city-level departments' stack")
    group_of_component = {c.name: _group_of(c, split, districts) for c in graph.components}
    group_of_node = {n.name: group_of_component[n.component] for n in graph.nodes}
    imports: dict[str, set[Ref]] = {}
    for node in graph.nodes:
        mine = group_of_node[node.name]
        for target, ref in _references(node):
            theirs = group_of_node[target]
            if theirs == mine:
                continue
            if mine == PLATFORM or theirs != PLATFORM:
                raise _refuse(family, split, f"resource '{node.name}' ({_what(mine)}) refers to '{target}' "
                              f"({_what(theirs)}); only a department may refer to the platform",
                              hint="a reference between two members' resources cannot cross stacks")
            if ref is not None:
                imports.setdefault(mine, set()).add(ref)
    groups = sorted(set(group_of_component.values()) - {PLATFORM})
    ordered: dict[str, list[str]] = {}
    for node in graph.order():
        ordered.setdefault(group_of_node[node.name], []).append(node.name)
    members = [_member(graph, family, g, group_of_component, imports, tuple(ordered.get(g, ())))
               for g in (PLATFORM, *groups)]
    return Family(family, split, graph, tuple(members))


def _what(group: str) -> str:
    return "the platform" if group == PLATFORM else f"member '{group}'"


def _references(node: Node) -> Iterator[tuple[str, Ref | None]]:
    """(node referred to, the Ref — None for an ordering-only dependency)."""
    for ref in refs_in(node.inputs):
        yield ref.node, ref
    for dep in node.depends_on:
        yield dep, None


def _member(graph: Graph, family: str, name: str, group_of_component: Mapping[str, str],
            imports: Mapping[str, set[Ref]], order: tuple[str, ...]) -> Member:
    components = tuple(c for c in graph.components if group_of_component[c.name] == name)
    nodes = tuple(graph.node(n) for n in sorted(order))
    departments = tuple(sorted({c.department for c in components if c.department is not None}))
    return Member(name, member_stack(family, name), departments, Graph(graph.target, components, nodes),
                  tuple(sorted(imports.get(name, set()))), order)


class _Shared:
    """A platform resource as a department sees it: each output read from the platform stack."""

    def __init__(self, reference: pulumi.StackReference, node: str) -> None:
        self._reference = reference
        self._node = node

    def __getattr__(self, output: str) -> pulumi.Output[Any]:
        return self._reference.require_output(output_name(Ref(self._node, output)))


def deploy_member(
    family: Family, member: Member, *, endpoint_url: str | None, factory: Callable[..., Any],
    renames: Renames | None = None,
) -> None:
    """Register the member's components and resources; export what it owes the others."""
    from govcloud.program.program import resolve_inputs

    components = create_components(member.graph.components, renames)
    resources: dict[str, Any] = {}
    if member.imports:
        reference = pulumi.StackReference(family.platform.stack)
        for ref in member.imports:
            resources.setdefault(ref.node, _Shared(reference, ref.node))
    for node in map(member.graph.node, member.order):
        # Only resources of this stack can be dependencies; the platform's arrive as values.
        opts = pulumi.ResourceOptions(parent=components[node.component],
                                      depends_on=[resources[d] for d in node.deps if member.graph.has(d)])
        name = node.name
        if renames is not None:
            name, opts = renames.name(node.name), renames.options(node.name, opts) or opts
        resources[node.name] = factory(node.type, name, resolve_inputs(node.inputs, resources), endpoint_url, opts)
    from govcloud.program.outputs import component_outputs

    for name, component in components.items():
        component.register_outputs(component_outputs(member.graph, member.graph.component(name), resources))
    if member.is_platform:
        outputs = city_outputs(family.graph, resources)
        for ref in family.exports:
            outputs[output_name(ref)] = getattr(resources[ref.node], ref.output)
    else:
        outputs = department_outputs(member.graph, resources)
    for key, value in outputs.items():
        pulumi.export(key, value)
