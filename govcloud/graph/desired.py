"""The desired resource graph: components, nodes, references between them, and the target.

A node's inputs are plain JSON-able values plus `Ref`s to another node's outputs; a Ref is
both a value the program resolves and an edge of the graph. Dicts are built with sorted
keys and tuples are sorted where order carries no meaning, so two builds from the same
blueprints compare equal and serialize identically.
"""
from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from govcloud.errors import GovcloudError


@dataclass(frozen=True, order=True)
class Ref:
    """An output of another node, known only once that node exists: `Ref("city/extranet", "vpc_id")`."""

    node: str
    output: str


@dataclass(frozen=True)
class Target:
    """The deployment facts of one stack that the blueprints cannot know.

    `regions` maps the City's logical region names (datacentre.region / drRegion) to real
    region ids of the cloud; `partition` builds ARNs (`aws-cn` for cn-north-1).
    `dedicated_cidr` is the address plan of every department's private-line network: those
    networks never peer with each other, so they may share one plan.
    """

    stack: str
    regions: tuple[tuple[str, str], ...]
    partition: str = "aws-cn"
    dedicated_cidr: str = "172.16.0.0/16"

    @classmethod
    def create(
        cls,
        stack: str,
        regions: Mapping[str, str],
        partition: str = "aws-cn",
        dedicated_cidr: str = "172.16.0.0/16",
    ) -> Target:
        return cls(stack, tuple(sorted(regions.items())), partition, dedicated_cidr)

    def region(self, logical: str) -> str:
        for name, real in self.regions:
            if name == logical:
                return real
        known = ", ".join(name for name, _ in self.regions) or "none"
        raise GovcloudError(
            f"stack '{self.stack}' maps no cloud region for the city's region '{logical}'",
            rule="GC-STACK", hint=f"add it to govcloud:regions (mapped now: {known})",
        )


COMPONENT_KINDS = ("City", "Department", "OATenant", "SiteTenant", "System")


@dataclass(frozen=True)
class Component:
    """A group of nodes the program turns into one ComponentResource."""

    name: str  # city | <code> | <code>/oa | <code>/site | <code>/<system>
    kind: str  # one of COMPONENT_KINDS
    parent: str | None = None
    department: str | None = None
    system: str | None = None


def refs_in(value: Any) -> Iterator[Ref]:
    """Every Ref inside a (nested) input value."""
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from refs_in(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from refs_in(v)


@dataclass(frozen=True)
class Node:
    """One cloud resource: its type token, stable logical name, inputs and governance tags.

    `tags` is the full tag set even for types the cloud cannot tag (DNS records, the CA);
    `inputs["tags"]` carries it to the provider where the type is taggable.
    `inputs` is read-only by convention (a frozen dataclass cannot freeze a dict).
    """

    name: str
    type: str
    component: str
    inputs: Mapping[str, Any]
    tags: Mapping[str, str]
    depends_on: tuple[str, ...] = ()  # ordering needs that no Ref in the inputs expresses

    @property
    def deps(self) -> tuple[str, ...]:
        return tuple(sorted({r.node for r in refs_in(self.inputs)} | set(self.depends_on)))


@dataclass(frozen=True)
class Graph:
    target: Target
    components: tuple[Component, ...]
    nodes: tuple[Node, ...]  # sorted by name
    _index: dict[str, Node] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {n.name: n for n in self.nodes})

    def node(self, name: str) -> Node:
        return self._index[name]

    def has(self, name: str) -> bool:
        return name in self._index

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)

    @property
    def edges(self) -> tuple[tuple[str, str], ...]:
        """(dependent, dependency) pairs, sorted."""
        return tuple(sorted((n.name, d) for n in self.nodes for d in n.deps))

    def of_type(self, token: str) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.type == token)

    def in_component(self, component: str) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.component == component)

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for n in self.nodes:
            found[n.type] = found.get(n.type, 0) + 1
        return dict(sorted(found.items()))

    def order(self) -> tuple[Node, ...]:
        """Dependencies before dependents; ties by name, so the order is reproducible."""
        waiting = {n.name: len(n.deps) for n in self.nodes}
        dependents: dict[str, list[str]] = {n.name: [] for n in self.nodes}
        for n in self.nodes:
            for d in n.deps:
                if d not in dependents:
                    raise GovcloudError(f"resource '{n.name}' depends on unknown '{d}'", rule="GC-GRAPH")
                dependents[d].append(n.name)
        ready = [name for name, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        ordered: list[Node] = []
        while ready:
            name = heapq.heappop(ready)
            ordered.append(self._index[name])
            for child in dependents[name]:
                waiting[child] -= 1
                if waiting[child] == 0:
                    heapq.heappush(ready, child)
        if len(ordered) != len(self.nodes):
            stuck = sorted(name for name, count in waiting.items() if count > 0)
            raise GovcloudError(f"dependency cycle among: {', '.join(stuck[:5])}", rule="GC-GRAPH")
        return tuple(ordered)
