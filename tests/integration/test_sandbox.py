"""`govcloud sandbox up|status|down` and the library behind it, with real processes."""
from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli.sandbox import app
from govcloud.cloud import clients, sandbox
from govcloud.errors import GovcloudError

pytestmark = pytest.mark.integration

PRODUCTS = """\
images:
  - {id: kylin-v10-server, name: 银河麒麟高级服务器操作系统 V10}
engines:
  - {id: dm8, name: 达梦数据库 DM8}
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_up_seeds_reuses_reports_and_down_stops_the_process(tmp_path: Path, isolated_aws_env: None) -> None:
    products = tmp_path / "approved-products.yaml"
    products.write_text(PRODUCTS, encoding="utf-8")
    state_dir = tmp_path / ".govcloud"
    runner = CliRunner()

    result = runner.invoke(app, ["up", "--state-dir", str(state_dir), "--products", str(products), "--json"],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["running"] and not info["reused"] and info["seeded"] == ["kylin-v10-server", "dm8"]
    assert info["environment"]["AWS_ENDPOINT_URL"] == info["endpoint"]
    recorded = json.loads((state_dir / "sandbox.json").read_text())
    assert recorded["pid"] == info["pid"] and recorded["endpoint"] == f"http://127.0.0.1:{recorded['port']}"
    # The classified pool: a second server of its own, on its own port, under another account.
    pool = recorded["pools"]["classified"]
    assert info["pools"]["classified"]["endpoint"] == pool["endpoint"] != info["endpoint"]
    assert pool["pid"] != info["pid"] and _alive(pool["pid"])
    accounts = {clients.client("sts", sandbox.PRIMARY_REGION, e).get_caller_identity()["Account"]
                for e in (info["endpoint"], pool["endpoint"])}
    assert accounts == {sandbox.DEFAULT_ACCOUNT, sandbox.CLASSIFIED_ACCOUNT}
    assert clients.client("ec2", sandbox.DR_REGION, pool["endpoint"]).describe_images(
        Filters=[{"Name": "name", "Values": ["dm8"]}])["Images"]  # seeded there too

    endpoint = info["endpoint"]
    for region in sandbox.REGIONS:
        ec2 = clients.client("ec2", region, endpoint)
        images = ec2.describe_images(Filters=[{"Name": "name", "Values": ["dm8"]}])["Images"]
        assert [i["Tags"] for i in images] == [[{"Key": "gov:product", "Value": "dm8"}]]

    again = sandbox.up(state_dir, products)
    assert again.reused and again.pid == info["pid"] and again.pools["classified"].pid == pool["pid"]
    ec2 = clients.client("ec2", sandbox.PRIMARY_REGION, endpoint)
    assert len(ec2.describe_images(Filters=[{"Name": "name", "Values": ["dm8"]}])["Images"]) == 1

    s3 = clients.client("s3", sandbox.PRIMARY_REGION, endpoint)
    s3.create_bucket(Bucket="gaj-status-docs",
                     CreateBucketConfiguration={"LocationConstraint": sandbox.PRIMARY_REGION})
    s3.put_bucket_tagging(Bucket="gaj-status-docs",
                          Tagging={"TagSet": [{"Key": "managed-by", "Value": "govcloud"}]})
    result = runner.invoke(app, ["status", "--state-dir", str(state_dir)], catch_exceptions=False)
    assert result.exit_code == 0
    assert f"sandbox: up at {endpoint}" in result.output and "s3 1" in result.output
    assert f"export AWS_ENDPOINT_URL={endpoint}" in result.output
    assert f"classified pool: up at {pool['endpoint']} (pid {pool['pid']}, account {sandbox.CLASSIFIED_ACCOUNT})" \
        in result.output

    result = runner.invoke(app, ["down", "--state-dir", str(state_dir)], catch_exceptions=False)
    assert result.exit_code == 0 and "sandbox: down" in result.output
    assert not _alive(info["pid"]) and not _alive(pool["pid"]) and not (state_dir / "sandbox.json").exists()
    result = runner.invoke(app, ["status", "--state-dir", str(state_dir)], catch_exceptions=False)
    assert result.exit_code == 1 and "sandbox: down" in result.output
    assert not sandbox.down(state_dir).running  # down twice is fine


def test_stale_pid_file_is_replaced(tmp_path: Path, isolated_aws_env: None) -> None:
    state_dir = tmp_path / ".govcloud"
    state_dir.mkdir()
    # A pid file of a sandbox that crashed long ago; the pid is no process of ours.
    (state_dir / "sandbox.json").write_text(json.dumps(
        {"pid": 2**22 - 1, "port": 1, "endpoint": "http://127.0.0.1:1"}))
    info = sandbox.up(state_dir, seed=False)
    try:
        assert info.running and not info.reused and info.port != 1
        assert sandbox.status(state_dir).running
    finally:
        sandbox.down(state_dir)
    assert not _alive(info.pid or 0)


def test_a_sandbox_that_cannot_start_says_why(tmp_path: Path, isolated_aws_env: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setattr(sandbox, "_free_port", lambda: taken.getsockname()[1])
        with pytest.raises(GovcloudError, match="exited with code") as failure:
            sandbox.up(tmp_path, seed=False, timeout=20)
    assert "sandbox.log" in failure.value.message and "in use" in failure.value.message
