"""The ComponentResources that group a city's resources: City, Department, OATenant, SiteTenant, System."""
from __future__ import annotations

from typing import ClassVar

import pulumi

from govcloud.graph import Component
from govcloud.program.reform import Renames


class GovComponent(pulumi.ComponentResource):
    """A group of govcloud resources; its type token is `govcloud:index:<kind>`."""

    kind: ClassVar[str]

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"govcloud:index:{self.kind}", name, None, opts)


class City(GovComponent):
    """The shared platforms: networks, keys, OA, site platform, data exchange, DR copies."""

    kind = "City"


class Department(GovComponent):
    """A department's IAM role and policy, key and private-line network; parent of its tenants and systems."""

    kind = "Department"


class OATenant(GovComponent):
    """A department's tenant on the shared OA: document bucket and exchange mailbox."""

    kind = "OATenant"


class SiteTenant(GovComponent):
    """A department's sub-site on the site platform: content, DNS record, host rule (the platform's
    public certificate names every sub-site)."""

    kind = "SiteTenant"


class System(GovComponent):
    """A business system: subnet, security group, instances, volumes, database, bucket, audit log."""

    kind = "System"


KINDS: dict[str, type[GovComponent]] = {
    cls.kind: cls for cls in (City, Department, OATenant, SiteTenant, System)
}


def create_components(
    components: tuple[Component, ...], renames: Renames | None = None,
) -> dict[str, GovComponent]:
    """One ComponentResource per graph component, each created after its parent."""
    created: dict[str, GovComponent] = {}
    pending = list(components)
    while pending:
        ready = [c for c in pending if c.parent is None or c.parent in created]
        if not ready:
            raise ValueError(f"components with unknown parents: {[c.name for c in pending]}")
        for c in ready:
            opts = pulumi.ResourceOptions(parent=created[c.parent]) if c.parent else None
            if renames is not None:
                created[c.name] = KINDS[c.kind](renames.name(c.name), renames.options(c.name, opts))
            else:
                created[c.name] = KINDS[c.kind](c.name, opts)
        pending = [c for c in pending if c.name not in created]
    return created
