"""kill -9 during an apply whose state lives on object storage (an s3:// backend): every trial
converges with no orphan, no duplicate and no lost admin secret.

Apart from the other state-team tests so that a test run on several workers spreads them.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_robust_apply import (
    CityProject,
    aimed_trial,
    kill_points,
    reset_cloud,
    resources_made,
    robust_cloud,
)
from tests.integration.test_state_team import object_storage, s3_url

pytestmark = pytest.mark.integration
__all__ = ["object_storage", "robust_cloud"]  # the module's fixtures


@pytest.mark.slow
def test_kill_minus_nine_on_the_s3_backend_leaves_no_orphan_duplicate_or_lost_secret(
        tmp_path: Path, robust_cloud: str, object_storage: str) -> None:
    # One department (with a database, so an admin secret), one kill in the first half of the
    # apply (sent once the state records a seeded number of resources made: reading a live
    # state from object storage is slow, so a later point would land near the end). The file
    # backend's trials in test_robust_apply cover the engine's recovery at several points;
    # this one covers the s3 store's journal and lock under a kill.
    # `bench/crash.py --backend s3` runs fifty.
    reset_cloud(robust_cloud)
    s3_city = CityProject.create(tmp_path / "city1", robust_cloud, ("gzw",),
                                 backend=s3_url(object_storage, tmp_path.name[-20:] + "-k"))
    total = resources_made(s3_city)
    trials = [aimed_trial(s3_city, 0, kill_points(31, 2, total, stratified=True)[0])]
    failures = [f"trial {t.number} ({t.describe()}): {t.error} "
                f"{t.audit.describe() if t.audit else ''}" for t in trials if not t.ok]
    assert not failures, "\n".join(failures)
    assert all(t.mid_run for t in trials), [t.describe() for t in trials]
