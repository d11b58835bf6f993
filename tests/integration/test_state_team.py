"""A data-centre team on shared state: an s3:// backend, two operators, a moved endpoint,
damaged or missing state, mass deletes, and the state repair commands — on the sandbox.

The state bucket lives on a second moto server, as a city's object storage would live
apart from the cloud it provisions; the crash-trial harness of test_robust_apply audits
the cloud against the state.
"""
from __future__ import annotations

import contextlib
import json
import shutil
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli import app
from govcloud.cloud import clients, sandbox
from tests.integration.cloud_harness import start_sandbox
from tests.integration.test_robust_apply import (
    DEPARTMENTS,
    PRODUCTS,
    CityProject,
    _child_env,
    audit,
    inventory,
    reset_cloud,
    robust_cloud,
)
from tests.support.faultproxy import FaultProxy

pytestmark = pytest.mark.integration
__all__ = ["robust_cloud"]  # the cloud fixture, shared with the crash trials' harness

STATE_BUCKET = "city-pulumi-state"


@pytest.fixture(scope="module")
def object_storage(tmp_path_factory: pytest.TempPathFactory, isolated_aws_env: None) -> Iterator[str]:
    """A second sandbox holding only the state bucket; yields its endpoint."""
    state_dir = tmp_path_factory.mktemp("object-storage")
    info = sandbox.up(state_dir, None, classified=False)  # object storage alone: no classified pool
    assert info.endpoint
    s3 = clients.client("s3", sandbox.PRIMARY_REGION, info.endpoint)
    s3.create_bucket(Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": sandbox.PRIMARY_REGION})
    yield info.endpoint
    sandbox.down(state_dir)


def s3_url(endpoint: str, prefix: str) -> str:
    return f"s3://{STATE_BUCKET}/{prefix}?endpoint={endpoint}&region={sandbox.PRIMARY_REGION}&s3ForcePathStyle=true"


def state_keys(endpoint: str, prefix: str) -> list[str]:
    s3 = clients.client("s3", sandbox.PRIMARY_REGION, endpoint)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=STATE_BUCKET, Prefix=prefix + "/")
    return sorted(o["Key"][len(prefix) + 1:] for page in pages for o in page.get("Contents", ()))


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def cli(project: CityProject, *args: str) -> Ran:
    """`govcloud ARGS` in the project's folder, run in this process as test_apply_support runs
    it: the CLI's own code and output, without a Python start-up, the imports and the
    passphrase's key derivation per call. An exception the CLI does not turn into its one-line
    error fails the test (no traceback can hide in the output); the apply tests that kill or
    interrupt a run use a process of its own."""
    env = {k: v for k, v in _child_env().items() if k.startswith(("AWS_", "GOVCLOUD_"))}
    with contextlib.chdir(project.root):
        result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def s3_city(tmp_path: Path, robust_cloud: str, object_storage: str) -> CityProject:
    reset_cloud(robust_cloud)
    prefix = tmp_path.name[-20:]
    return CityProject.create(tmp_path / "city", robust_cloud, backend=s3_url(object_storage, prefix))


def test_apply_on_an_s3_backend_keeps_pulumis_layout_in_the_bucket(s3_city: CityProject, object_storage: str) -> None:
    first = s3_city.apply()
    assert first.returncode == 0, first.output[-3000:]
    assert first.steps.get("create", 0) > 50
    prefix = s3_city.backend.split("/")[3].split("?")[0] if s3_city.backend else ""
    keys = state_keys(object_storage, prefix)
    assert ".pulumi/meta.yaml" in keys and ".pulumi/stacks/govcloud/robust.json" in keys
    assert any(k.startswith(".pulumi/history/govcloud/robust/") for k in keys)
    assert not any(k.startswith((".pulumi/locks/", ".pulumi/govcloud-journal/")) for k in keys)
    assert not (s3_city.root / ".govcloud" / "state").exists()  # nothing on the operator's disk
    listed = cli(s3_city, "state", "list", "--stack", s3_city.stack, "--format", "json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == len(s3_city.store().sealed_resources())
    assert s3_city.apply_here().changes == 0
    found = audit(s3_city)
    assert found.clean, found.describe()


def test_two_checkouts_racing_on_one_s3_backend_end_in_one_state(s3_city: CityProject, tmp_path: Path) -> None:
    other = CityProject.create(tmp_path / "other-checkout", s3_city.endpoint, backend=s3_city.backend)
    first = s3_city.spawn_apply("--lock-wait", "300")
    second = other.spawn_apply("--lock-wait", "300")
    out1, err1 = first.communicate(timeout=300)
    out2, err2 = second.communicate(timeout=300)
    assert first.returncode == 0, out1 + err1
    assert second.returncode == 0, out2 + err2
    found = audit(s3_city)
    assert found.clean and not found.duplicates, found.describe()
    history = s3_city.store().history()
    # One of them created everything; the other waited for the lock, then found nothing to do.
    assert sorted(h.changes.get("create", 0) > 0 for h in history) == [False, True], history


def test_a_dead_remote_holder_is_broken_only_by_state_unlock(s3_city: CityProject) -> None:
    store = s3_city.store()
    key = f".pulumi/locks/organization/govcloud/{s3_city.stack}/0000-ci.json"
    store.blobs.write(key, json.dumps({"pid": 4242, "username": "ci", "hostname": "ci-runner-3",
                                       "timestamp": "2026-11-30T22:10:00Z"}).encode())
    refused = s3_city.apply()
    assert refused.returncode == 1 and "ci@ci-runner-3 (pid 4242" in " ".join(refused.output.split())
    assert "state unlock" in refused.output
    unlocked = cli(s3_city, "state", "unlock", "--stack", s3_city.stack)
    assert unlocked.returncode == 0 and "ci@ci-runner-3" in unlocked.stdout, unlocked.stderr
    audit_file = s3_city.root / ".govcloud" / "audit" / f"{s3_city.stack}.jsonl"
    lines = [json.loads(x) for x in audit_file.read_text().splitlines()]
    unlocks = [(x["operation"], x["result"]) for x in lines if x["operation"] == "state unlock"]
    assert unlocks[-1] == ("state unlock", "ok")
    assert s3_city.apply().returncode == 0


# -- a moved endpoint, damaged state, vanished blueprints, mass deletes -------------------
@pytest.fixture
def movable_cloud(tmp_path: Path, isolated_aws_env: None) -> Iterator[Path]:
    state_dir = tmp_path / "movable"
    start_sandbox(state_dir, PRODUCTS)
    yield state_dir
    sandbox.down(state_dir)


def _endpoint(state_dir: Path) -> str:
    return str(json.loads((state_dir / sandbox.STATE_FILE).read_text())["endpoint"])


def test_a_restarted_sandbox_on_a_new_port_needs_no_state_surgery(tmp_path: Path, movable_cloud: Path) -> None:
    city = CityProject.create(tmp_path / "city", _endpoint(movable_cloud), ("gzw",))
    assert city.apply_here().returncode == 0
    old = city.endpoint
    sandbox.down(movable_cloud)
    with socket.socket() as blocker:  # keep the old port taken: the new sandbox gets another
        with contextlib.suppress(OSError):
            blocker.bind(("127.0.0.1", int(old.rsplit(":", 1)[1])))
        start_sandbox(movable_cloud, PRODUCTS)
    moved = city.point_at(_endpoint(movable_cloud))
    assert moved.endpoint != old
    plain = cli(moved, "plan", "--stack", moved.stack)
    said = " ".join(plain.stdout.split())  # the summary wraps at the terminal's width
    assert plain.returncode == 0 and "the cloud was not read" in said, plain.stdout + plain.stderr
    refreshed = json.loads(cli(moved, "plan", "--stack", moved.stack, "--refresh", "--format", "json").stdout)
    assert refreshed["refreshed"] and refreshed["summary"]["create"] > 20, refreshed["summary"]
    applied = moved.apply("--refresh")
    assert applied.returncode == 0, applied.output[-3000:]
    found = audit(moved)
    assert found.clean, found.describe()
    destroyed = cli(moved, "destroy", "--stack", moved.stack, "--yes")
    assert destroyed.returncode == 0, destroyed.stdout[-2000:] + destroyed.stderr[-2000:]
    assert "EndpointConnectionError" not in destroyed.stdout + destroyed.stderr


@pytest.fixture
def file_city(tmp_path: Path, robust_cloud: str) -> CityProject:
    reset_cloud(robust_cloud)
    city = CityProject.create(tmp_path / "city", robust_cloud)
    applied = city.apply_here()  # in this process: the tests' own commands are what they check
    assert applied.returncode == 0, applied.output
    return city


def _checkpoint(city: CityProject) -> Path:
    return city.root / ".govcloud" / "state" / ".pulumi" / "stacks" / "govcloud" / f"{city.stack}.json"


def test_damaged_state_is_exit_2_naming_the_file_and_nothing_is_touched(file_city: CityProject) -> None:
    path = _checkpoint(file_city)
    data = path.read_bytes()
    # Two kinds of damage to one applied city, the state put back between them.
    for damage, damaged in (("truncate", data[: len(data) // 3]), ("garbage", b"\x89PNG garbage")):
        path.write_bytes(damaged)
        before = (path.read_bytes(), len(inventory(file_city.endpoint)))
        for command in (["plan"], ["apply", "--yes"], ["refresh"], ["destroy", "--yes"], ["state", "list"]):
            result = cli(file_city, *command, "--stack", file_city.stack)
            assert result.returncode == 2, (damage, command, result.stdout, result.stderr)
            assert str(path) in " ".join(result.stderr.split()) and "Traceback" not in result.stderr
        assert (path.read_bytes(), len(inventory(file_city.endpoint))) == before, damage
        path.write_bytes(data)
    assert file_city.apply_here().changes == 0  # the state put back is whole again


def test_a_vanished_blueprint_folder_is_exit_2_and_deletes_nothing(file_city: CityProject) -> None:
    shutil.move(file_city.root / "blueprints" / "departments", file_city.root / "departments-aside")
    result = cli(file_city, "apply", "--stack", file_city.stack, "--yes")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "blueprints/departments" in result.stderr
    shutil.move(file_city.root / "departments-aside", file_city.root / "blueprints" / "departments")
    assert file_city.apply_here().changes == 0 and audit(file_city).clean


def test_a_mass_delete_is_refused_unless_allowed(file_city: CityProject) -> None:
    (file_city.root / "blueprints" / "departments" / f"{DEPARTMENTS[1]}.yaml").unlink()
    refused = file_city.apply()
    assert refused.returncode == 1 and "GC-ENGINE-MASS-DELETE" in refused.output, refused.output[-2000:]
    assert refused.steps.get("delete", 0) == 0
    assert "--allow-mass-delete" in refused.output
    allowed = file_city.apply("--allow-mass-delete")
    assert allowed.returncode == 0 and allowed.steps.get("delete", 0) > 10, allowed.steps


def _leaf_bucket(city: CityProject) -> dict[str, str]:
    """A bucket no other resource depends on (as `state list` shows it)."""
    resources = city.store().deployment()["deployment"]["resources"]
    needed = {d for r in resources for d in (*r.get("dependencies", ()), r.get("parent", ""))}
    urn = next(r["urn"] for r in resources if r["type"].endswith(":Bucket") and r["urn"] not in needed)
    listed = json.loads(cli(city, "state", "list", "--stack", city.stack, "--format", "json").stdout)
    return next(r for r in listed if r["urn"] == urn)


def test_state_history_export_rm_and_import_restore_a_stack(file_city: CityProject, tmp_path: Path) -> None:
    stack = file_city.stack
    history = cli(file_city, "state", "history", "--stack", stack, "--format", "json")
    versions = [h["version"] for h in json.loads(history.stdout)]
    assert versions == [1], history.stdout
    saved = tmp_path / "v1.json"
    exported = cli(file_city, "state", "export", "--stack", stack, "--version", "1", "-o", str(saved))
    assert exported.returncode == 0 and json.loads(saved.read_text())["version"] == 3
    bucket = _leaf_bucket(file_city)["name"]
    removed = cli(file_city, "state", "rm", bucket, "--stack", stack)
    assert removed.returncode == 0 and "is kept" in removed.stdout, removed.stderr
    assert bucket not in cli(file_city, "state", "list", "--stack", stack).stdout
    imported = cli(file_city, "state", "import", str(saved), "--stack", stack)
    assert imported.returncode == 0, imported.stderr
    assert bucket in cli(file_city, "state", "list", "--stack", stack).stdout
    assert file_city.apply_here().changes == 0 and audit(file_city).clean
    operations = [json.loads(x)["operation"] for x in
                  (file_city.root / ".govcloud" / "audit" / f"{stack}.jsonl").read_text().splitlines()]
    assert {"state rm", "state import"} <= set(operations)
    history = cli(file_city, "state", "history", "--stack", stack, "--format", "json")
    kinds = [h["kind"] for h in json.loads(history.stdout)]
    assert kinds == ["update", "state-rm", "state-import", "update"], kinds


def test_the_production_template_as_it_is_stops_before_anything(tmp_path: Path) -> None:
    from tests.integration.test_robust_apply import PROJECT

    root = tmp_path / "city"
    shutil.copytree(PROJECT / "blueprints", root / "blueprints")
    shutil.copytree(PROJECT / "policies", root / "policies")
    shutil.copytree(PROJECT / "stacks", root / "stacks")
    shutil.copy(PROJECT / "Pulumi.yaml", root / "Pulumi.yaml")
    project = CityProject(root, "", "production")
    for command in (["plan"], ["apply", "--yes"]):
        result = cli(project, *command, "--stack", "production")
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "GC-STACK" in result.stderr and "FILL IN" in result.stderr
        assert "Pulumi.production.yaml:" in result.stderr
    assert not (root / ".govcloud" / "state").exists()


def test_import_adopts_an_existing_cloud_resource_without_a_second_create(file_city: CityProject) -> None:
    stack = file_city.stack
    bucket = _leaf_bucket(file_city)
    assert cli(file_city, "state", "rm", bucket["name"], "--stack", stack).returncode == 0
    # Forgotten, the bucket is a department's pre-existing one: import it under its name.
    wrong = cli(file_city, "import", "Bucket", bucket["name"], "no-such-bucket-anywhere", "--stack", stack)
    assert wrong.returncode == 1 and "does not exist in the cloud" in wrong.stderr, wrong.stderr
    unknown = cli(file_city, "import", "Bucket", "nobody/bucket", bucket["id"], "--stack", stack)
    assert unknown.returncode == 1 and "no Bucket named 'nobody/bucket'" in unknown.stderr
    imported = cli(file_city, "import", "Bucket", bucket["name"], bucket["id"], "--stack", stack)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    again = cli(file_city, "import", "Bucket", bucket["name"], bucket["id"], "--stack", stack)
    assert again.returncode == 1 and "already in the stack's state" in again.stderr
    applied = file_city.apply_here()
    assert applied.returncode == 0 and applied.steps.get("create", 0) == 0, applied.steps
    found = audit(file_city)
    assert found.clean and not found.duplicates, found.describe()
    audit_file = file_city.root / ".govcloud" / "audit" / f"{stack}.jsonl"
    audited = [json.loads(x) for x in audit_file.read_text().splitlines()]
    assert any(x["operation"] == "import" and x["result"] == "ok" and x["resources"] for x in audited)


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGINT"])
def test_a_killed_or_interrupted_apply_leaves_its_audit_line(tmp_path: Path, robust_cloud: str, sig: str) -> None:
    import signal

    from tests.integration.test_robust_apply import _wait_for_holder

    reset_cloud(robust_cloud)
    city = CityProject.create(tmp_path / "city", robust_cloud)
    # Through a proxy that delays every call, so the apply is still at work when the signal
    # comes, however fast or loaded the machine (unslowed, a quick apply could end first).
    with FaultProxy(robust_cloud, error_rate=0.0, latency=0.2) as slow:
        proc = city.point_at(slow.endpoint).spawn_apply()
        assert _wait_for_holder(city, proc)
        time.sleep(0.5)
        assert proc.poll() is None, "the apply ended before the signal"
        proc.send_signal(getattr(signal, sig))
        proc.communicate(timeout=120)
    city = city.point_at(robust_cloud)
    audit_file = city.root / ".govcloud" / "audit" / f"{city.stack}.jsonl"
    lines = [json.loads(x) for x in audit_file.read_text().splitlines()]
    runs = {x["run"] for x in lines}
    assert len(runs) == 1 and lines[0]["result"] == "started" and lines[0]["operation"] == "apply"
    if sig == "SIGKILL":
        assert [x["result"] for x in lines] == ["started"]  # nothing ran to write the end
    else:
        assert [x["result"] for x in lines] == ["started", "failed"] and "interrupted" in lines[1]["error"]
    # Either way the next apply converges on what the killed one left.
    assert city.apply_here().returncode == 0 and audit(city).clean
