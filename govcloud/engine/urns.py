"""Resource URNs and the old URNs an alias stands for, computed as Pulumi's engine does.

A URN is `urn:pulumi:<stack>::<project>::<qualified type>::<name>`, where a child of a
non-root parent qualifies its type with the parent's (`Parent$Child`). An alias names a
resource's former URN, in full or as a spec (name, type, parent, stack, project, each
defaulting to the resource's current one). Children of a resource that was found through
an alias inherit it: their former URN is under the parent's former URN, and a child name
that started with the parent's name starts with the parent's former name.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"


def qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def base_type(urn: str) -> str:
    return qualified_type(urn).rsplit("$", 1)[-1]


def kind_of(type_: str) -> str:
    """`pulumi-python:dynamic/govcloud/storage:Bucket` → `Bucket`: a type as people name it."""
    return type_.rsplit(":", 1)[-1]


def urn_name(urn: str) -> str:
    # A name may itself contain "::": everything after the type is the name.
    return urn.split("::", 3)[3]


def _qualify(parent_type: str, type_: str) -> str:
    return type_ if not parent_type or parent_type == STACK_TYPE else f"{parent_type}${type_}"


def make_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """The URN of a resource registered with this parent, type and name."""
    qualified = _qualify(qualified_type(parent) if parent else "", type_)
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


@dataclass(frozen=True)
class Alias:
    """One alias as the SDK sends it: a full former `urn`, or a spec of what changed."""

    urn: str = ""
    name: str = ""
    type: str = ""
    stack: str = ""
    project: str = ""
    parent_urn: str = ""
    no_parent: bool = False


@dataclass(frozen=True)
class Goal:
    """What a registration asks for, as far as aliases are concerned."""

    name: str
    type: str
    parent: str
    aliases: tuple[Alias, ...] = ()


class AliasResolver:
    """Turns a registration's aliases into the former URNs to look up in the state."""

    def __init__(self, project: str, stack: str) -> None:
        self.project = project
        self.stack = stack

    def collapse(self, goal: Goal, alias: Alias, renamed: Mapping[str, str]) -> str:
        if alias.urn:
            return alias.urn
        parent = goal.parent
        if alias.parent_urn:
            # A parent that was itself found through an alias had its former URN then.
            parent = renamed.get(alias.parent_urn, alias.parent_urn)
        if alias.no_parent or (parent and qualified_type(parent) == STACK_TYPE):
            parent = ""
        return make_urn(alias.stack or self.stack, alias.project or self.project, parent,
                        alias.type or goal.type, alias.name or goal.name)

    def inherited(self, child_type: str, child_name: str, parent_name: str, parent_alias: str) -> str:
        """The former URN of a child whose parent's former URN was `parent_alias`."""
        name = child_name
        if child_name.startswith(parent_name):
            name = urn_name(parent_alias) + child_name[len(parent_name):]
        qualified = _qualify(qualified_type(parent_alias), child_type)
        return f"urn:pulumi:{self.stack}::{self.project}::{qualified}::{name}"

    def former_urns(self, goal: Goal, renamed: Mapping[str, str]) -> tuple[str, ...]:
        """Every URN the resource may have had, its own aliases first, then inherited ones.

        `renamed` maps the URN of each resource found through an alias in this run to
        the former URN it was found under.
        """
        found: list[str] = []

        def add(urn: str) -> None:
            if urn not in found:
                found.append(urn)

        own = [self.collapse(goal, alias, renamed) for alias in goal.aliases]
        for urn in own:
            add(urn)
        parent_alias = renamed.get(goal.parent) if goal.parent else None
        if parent_alias is not None:
            parent_name = urn_name(goal.parent)
            add(self.inherited(goal.type, goal.name, parent_name, parent_alias))
            for urn in own:
                add(self.inherited(base_type(urn), urn_name(urn), parent_name, parent_alias))
        return tuple(found)


def decode_aliases(specs: Sequence[Any], urns: Sequence[str]) -> tuple[Alias, ...]:
    """Aliases from a RegisterResourceRequest's `aliases` (alias_pb2.Alias) and `aliasURNs`."""
    decoded: list[Alias] = []
    for item in specs:
        urn = str(getattr(item, "urn", ""))
        if urn:
            decoded.append(Alias(urn=urn))
            continue
        spec = item.spec
        decoded.append(Alias(
            name=spec.name, type=spec.type, stack=spec.stack, project=spec.project,
            parent_urn=spec.parentUrn, no_parent=bool(spec.noParent),
        ))
    decoded.extend(Alias(urn=urn) for urn in urns)
    return tuple(decoded)
