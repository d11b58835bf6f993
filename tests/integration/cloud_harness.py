"""Drives a provider through Pulumi's calls the way the engine does, checking each step."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govcloud.cloud import sandbox
from govcloud.cloud.provider import CloudProvider
from govcloud.cloud.sandbox import DR_REGION as DR
from govcloud.cloud.sandbox import PRIMARY_REGION as PRIMARY

__all__ = ["CLASSIFIED_POOLS", "DR", "PRIMARY", "Lifecycle", "governance_tags", "start_sandbox"]

# The classified pool's endpoint of every sandbox the tests started, by the sandbox's own
# endpoint: a project pointed at a sandbox (or a proxy in front of it) gets its pool too.
CLASSIFIED_POOLS: dict[str, str] = {}


def start_sandbox(state_dir: Path, products: Path | None, **options: Any) -> sandbox.SandboxInfo:
    """`sandbox.up`, remembering where the sandbox's classified pool is."""
    info = sandbox.up(state_dir, products, **options)
    if info.endpoint and sandbox.CLASSIFIED in info.pools:
        CLASSIFIED_POOLS[info.endpoint] = info.pools[sandbox.CLASSIFIED].endpoint
    return info


def governance_tags(stack: str = "sandbox-test", department: str = "gaj") -> dict[str, str]:
    return {"gov:department": department, "gov:system": "household-registry", "gov:mlps": "3",
            "gov:classified": "false", "gov:project": "FS-2026-IT-0012", "gov:stack": stack,
            "managed-by": "govcloud"}


@dataclass
class Lifecycle:
    """Drives one provider through Pulumi's calls the way the engine does, with checks."""

    provider: CloudProvider

    def checked(self, props: dict[str, Any]) -> dict[str, Any]:
        result = self.provider.check({}, props)
        assert not result.failures, [(f.property, f.reason) for f in result.failures]
        return dict(result.inputs)

    def create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        result = self.provider.create(self.checked(props))
        assert result.id and result.outs is not None
        return result.id, dict(result.outs)

    def read(self, id_: str, outs: dict[str, Any]) -> dict[str, Any] | None:
        result = self.provider.read(id_, outs)
        return None if not result.id else dict(result.outs or {})

    def assert_in_sync(self, id_: str, outs: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        """Reading the resource back shows exactly what was asked for: no drift."""
        current = self.read(id_, outs)
        assert current is not None, f"{id_} is gone"
        diff = self.provider.diff(id_, current, self.checked(inputs))
        assert not diff.changes, {k: (current.get(k), inputs.get(k)) for k in inputs}
        return current

    def update_in_place(self, id_: str, outs: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        checked = self.checked(news)
        diff = self.provider.diff(id_, outs, checked)
        assert diff.changes and not diff.replaces, diff.__dict__
        result = self.provider.update(id_, outs, checked)
        assert result.outs is not None
        self.assert_in_sync(id_, dict(result.outs), news)
        return dict(result.outs)

    def replace(self, id_: str, outs: dict[str, Any], news: dict[str, Any],
                expect: set[str]) -> tuple[str, dict[str, Any], bool]:
        """Replace as the engine would; returns (new id, outputs, delete_before_replace)."""
        checked = self.checked(news)
        diff = self.provider.diff(id_, outs, checked)
        assert diff.changes and set(diff.replaces or []) == expect, diff.__dict__
        if diff.delete_before_replace:
            self.provider.delete(id_, outs)
            new_id, new_outs = self.create(news)
        else:
            new_id, new_outs = self.create(news)
            assert new_id != id_, "a replacement must not adopt the resource it replaces"
            self.provider.delete(id_, outs)
        assert self.read(id_, outs) is None or new_id == id_
        self.assert_in_sync(new_id, new_outs, news)
        return new_id, new_outs, bool(diff.delete_before_replace)

    def delete_twice(self, id_: str, outs: dict[str, Any]) -> None:
        self.provider.delete(id_, outs)
        assert self.read(id_, outs) is None
        self.provider.delete(id_, outs)  # already gone is success
