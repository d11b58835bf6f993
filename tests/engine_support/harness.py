"""A temp directory with a fake cloud and a stack state, and engines over them."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from govcloud.engine import Engine, EngineEvent, StateStore
from tests.engine_support.cloud import Cloud

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "test-passphrase"


class Rig:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.cloud_path = str(tmp / "cloud.db")
        self.state_path = tmp / "state" / "dev.db"
        self.cloud = Cloud(self.cloud_path)
        self.events: list[EngineEvent] = []

    def engine(self, program: Callable[[], Any], **options: Any) -> Engine:
        options.setdefault("passphrase", PASSPHRASE)
        options.setdefault("on_event", self.events.append)
        return Engine("proj", "dev", program, StateStore(self.state_path), **options)

    def state(self) -> StateStore:
        store = StateStore(self.state_path).open()
        store.unlock(PASSPHRASE)
        return store

    def live_ids(self) -> set[str]:
        return {id_ for id_, _, _ in self.cloud.objects()}

    def state_ids(self) -> set[str]:
        store = self.state()
        try:
            ids = {r.id for r in store.resources().values() if r.custom}
            ids |= {c.resource.id for c in store.condemned()}
            return ids
        finally:
            store.close()

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        """Run tests.engine_support.run_stack against this rig in a subprocess."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.Popen(
            [sys.executable, "-m", "tests.engine_support.run_stack", str(self.state_path),
             self.cloud_path, *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
