"""kill -9 while the machines are being created loses no database admin password.

The apply runs as a real `govcloud apply` process, killed the moment the first instance
appears in the cloud (every admin secret is created before any machine). The re-run adopts
the secrets by their names: each keeps the value it had, every database machine names a
secret the state holds, and the cloud holds no orphan.
"""
from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from govcloud.cloud import clients
from tests.integration.test_robust_apply import CityProject, _wait_for_holder, audit, reset_cloud, robust_cloud

pytestmark = pytest.mark.integration
__all__ = ["robust_cloud"]  # the module's own sandbox
PRIMARY = "cn-north-1"
ROOT = Path(__file__).resolve().parents[2]


def _secret_values(endpoint: str) -> dict[str, str]:
    sm = clients.client("secretsmanager", PRIMARY, endpoint)
    return {s["ARN"]: sm.get_secret_value(SecretId=s["ARN"])["SecretString"]
            for s in sm.list_secrets()["SecretList"]}


def _instances(endpoint: str) -> list[dict[str, Any]]:
    ec2 = clients.client("ec2", PRIMARY, endpoint)
    ours = [{"Name": "tag:managed-by", "Values": ["govcloud"]}]
    return [i for r in ec2.describe_instances(Filters=ours)["Reservations"] for i in r["Instances"]]


def test_kill_during_instance_creation_keeps_every_admin_password(tmp_path: Path, robust_cloud: str) -> None:
    reset_cloud(robust_cloud)
    city = CityProject.create(tmp_path / "city", robust_cloud)
    # The city's registers (grants, approvals…) live beside city.yaml: the policy gate reads them.
    registers = ROOT / "blueprints" / "city"
    if registers.is_dir():
        shutil.copytree(registers, city.root / "blueprints" / "city", dirs_exist_ok=True)
    proc = city.spawn_apply()
    assert _wait_for_holder(city, proc)
    deadline = time.monotonic() + 120
    while not _instances(robust_cloud) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the apply ended before any machine was created"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    before = _secret_values(robust_cloud)
    assert before, "every admin secret exists before the first machine"

    rerun = city.apply_here()
    assert rerun.returncode == 0, rerun.output[-2000:]
    after = _secret_values(robust_cloud)
    assert {arn: after.get(arn) for arn in before} == before  # adopted, never generated again
    recorded = city.recorded()
    assert recorded.lost_secrets == ()
    assert set(recorded.ids["govcloud:secrets:Secret"]) == set(after)
    result = audit(city)
    assert result.clean, result.describe()
