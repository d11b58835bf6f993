"""Departments renamed in an institutional reform (机构改革): same resources, new names.

A department whose blueprint says `metadata.formerCode` is built under its former code, so
its cloud names, network slots and inputs stay exactly what they were; only the Pulumi
names of its components and resources move to the new code, each with an alias to its
former name, so the engine records a rename instead of a delete and a create.
"""
from __future__ import annotations

from dataclasses import replace

import pulumi

from govcloud.errors import GovcloudError
from govcloud.model import Project


def under_former_codes(project: Project) -> Project:
    """The project with every renamed department under its former code (for the graph)."""
    codes = {d.code for d in project.departments}
    claimed: dict[str, str] = {}
    for d in project.departments:
        if not d.former_code or d.former_code == d.code:
            continue
        other = d.former_code if d.former_code in codes else claimed.get(d.former_code)
        if other is not None:
            # Two departments cannot both be the former one: a merger needs its own plan.
            raise GovcloudError(
                f"formerCode '{d.former_code}' of department '{d.code}' is also "
                f"{'the code' if other == d.former_code else 'the formerCode'} of department '{other}'",
                rule="GC-REFORM", location=d.doc.location_of(("metadata", "formerCode")),
                hint="a former code names one department that no longer exists")
        claimed[d.former_code] = d.code
    departments = tuple(
        replace(d, code=d.former_code) if d.former_code and d.former_code != d.code else d
        for d in project.departments
    )
    return replace(project, departments=tuple(sorted(departments, key=lambda d: d.code)))


class Renames:
    """Former department code → new code, applied to the graph's logical names."""

    def __init__(self, project: Project) -> None:
        self.codes = {d.former_code: d.code for d in project.departments
                      if d.former_code and d.former_code != d.code}

    def name(self, logical: str) -> str:
        """The Pulumi name of a graph node or component: `old/...` becomes `new/...`."""
        head, sep, rest = logical.partition("/")
        new = self.codes.get(head)
        return f"{new}{sep}{rest}" if new is not None else logical

    def options(self, logical: str, opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions | None:
        """`opts` plus an alias to the former name when the name changed."""
        if self.name(logical) == logical:
            return opts
        # The parent's type, not its name, is in a URN: the alias under the current parent
        # is the former URN.
        return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(name=logical)]))
