"""Programs the engine tests run, in-process or in a subprocess (run_stack.py)."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi

from tests.engine_support.providers import Thing, ZonedProvider


@dataclass
class Tree:
    """`count` things; thing i depends on thing (i-1)//2 through its `peer` input.

    Changing `zone` replaces every thing (create-before-delete); changing `size` updates.
    """

    cloud: str
    count: int = 8
    size: int = 1
    zone: str = "a"
    delay: float = 0.0
    hold: float = 0.0
    on_start: Callable[[], None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __call__(self) -> None:
        if self.on_start is not None:
            self.on_start()
        if self.hold:
            time.sleep(self.hold)
        things: list[Thing] = []
        for i in range(self.count):
            props: dict[str, Any] = {"size": self.size, "zone": self.zone, "delay": self.delay,
                                     **self.extra}
            if i:
                props["peer"] = things[(i - 1) // 2].arn
            provider = ZonedProvider(self.cloud)
            things.append(Thing(f"t{i}", props, self.cloud, provider=provider))
        pulumi.export("count", self.count)
