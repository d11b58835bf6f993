"""What a deployment backend offers: the embedded engine and the Pulumi CLI adapter both."""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from govcloud.engine.results import Drift, Plan, Result


@runtime_checkable
class Backend(Protocol):
    project_name: str
    stack: str

    def preview(self, *, refresh: bool = False) -> Plan: ...

    def up(self, *, refresh: bool = False) -> Result: ...

    def refresh(self, *, confirm_forget: Callable[[tuple[str, ...]], bool] | None = None) -> Drift: ...

    def destroy(self) -> Result: ...
