"""The data-centre team's day on the whole example city, against a real sandbox process.

The city is applied once for the module and every test reuses that stack; the test that
destroys it leaves the next test that needs the city to apply it again, so each test
stands alone, in any order.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_apply_support import (
    REGIONS,
    Project,
    attach_sandbox,
    aws,
    kind,
    make_project,
    managed_resources,
    own_sandbox,
    pages,
)
from tests.support.faultproxy import FaultProxy

pytestmark = pytest.mark.integration
__all__ = ["own_sandbox"]  # the module's sandbox fixture

READS = ("GET", "HEAD")


@dataclass(frozen=True)
class Applied:
    project: Project
    endpoint: str
    result: dict[str, Any]
    seconds: float
    entry: dict[str, Any]  # the apply's line in the audit log


@dataclass
class Stack:
    """The module's project and sandbox; `applied` is None until applied, and again once destroyed."""

    project: Project
    endpoint: str
    applied: Applied | None = None

    def ensure_applied(self) -> Applied:
        if self.applied is None:
            started = time.monotonic()
            result = self.project.cli_json("apply", "--stack", self.project.stack, "--yes")
            self.applied = Applied(self.project, self.endpoint, result, time.monotonic() - started,
                                   _audit(self.project)[-1])
        return self.applied


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, own_sandbox: Path) -> Stack:
    project = make_project(tmp_path_factory.mktemp("apply-city"))
    return Stack(project, attach_sandbox(project, own_sandbox))


@pytest.fixture
def city(stack: Stack) -> Applied:
    """The example city, applied (once for the module, unless a test destroyed it)."""
    return stack.ensure_applied()


@pytest.fixture
def proxy(city: Applied) -> Iterator[FaultProxy]:
    """A counting proxy (no faults) in front of the sandbox, as the stack's endpoint."""
    with FaultProxy(city.endpoint, error_rate=0.0, seed=1) as counting:
        city.project.write_stack(endpoint=counting.endpoint)
        try:
            yield counting
        finally:
            city.project.write_stack()


def _pool(city: Applied) -> str:
    """The classified pool's endpoint of the sandbox the project is attached to (its sandbox.json)."""
    recorded = json.loads((city.project.root / ".govcloud" / "sandbox.json").read_text("utf-8"))
    return str(recorded["pools"]["classified"]["endpoint"])


def _clouds(city: Applied) -> tuple[str, str]:
    """The extranet's endpoint and the classified pool's, of the module's sandbox."""
    return city.endpoint, _pool(city)


def _instances_in(endpoint: str) -> set[str]:
    """The running machines of one cloud (the sandbox maps both pools' sites onto its two regions)."""
    return {i["InstanceId"] for region in REGIONS
            for r in pages(aws(endpoint, "ec2", region), "describe_instances", "Reservations")
            for i in r["Instances"] if i["State"]["Name"] == "running"}


def _audit(project: Project) -> list[dict[str, Any]]:
    return [json.loads(line) for line in project.audit_file.read_text(encoding="utf-8").splitlines()]


def test_the_approved_departments_are_applied(city: Applied) -> None:
    result, project = city.result, city.project
    print(f"\napply of the example city: {result['summary']['create']} resources in {city.seconds:.1f} s")
    assert result["status"] == "ok" and result["error"] == ""
    assert result["summary"]["create"] > 1000
    assert {k: v for k, v in result["summary"].items() if k != "create"} == \
        {"update": 0, "replace": 0, "delete": 0, "same": 0}
    approved = {p.stem for p in project.departments.glob("*.yaml")}
    assert set(result["departments"]) == approved | {"city"}
    # What the state records is what the cloud holds.
    listed = project.cli_json("state", "list", "--stack", project.stack)
    instances = {r["id"] for r in listed if kind(r) == "Instance"}
    ours = [{"Name": "tag:gov:stack", "Values": [project.stack]}]
    # Both pools: the extranet's cloud and the classified pool's own.
    live = {i["InstanceId"] for endpoint in _clouds(city) for region in REGIONS
            for r in pages(aws(endpoint, "ec2", region), "describe_instances", "Reservations", Filters=ours)
            for i in r["Instances"] if i["State"]["Name"] == "running"}
    assert live & _instances_in(_pool(city)), "no classified machine in its own pool"
    assert instances and instances == live
    assert len(listed) == result["summary"]["create"]  # cloud resources and their components
    assert result["outputs"]["endpoints"]["portal"].startswith("https://www.")
    assert all(":secret:govcloud/" in arn for arn in result["outputs"]["databaseAdminSecrets"].values())
    entry = city.entry
    assert entry["operation"] == "apply" and entry["result"] == "ok" and entry["stack"] == project.stack
    assert entry["plan"]["create"] == result["summary"]["create"]
    assert entry["blueprints"].startswith("sha256:") and "@" in entry["who"] and entry["when"].endswith("Z")


def test_reapply_is_all_same_with_zero_cloud_writes(city: Applied, proxy: FaultProxy) -> None:
    project = city.project
    started = time.monotonic()
    again = project.cli_json("apply", "--stack", project.stack, "--yes")
    print(f"\nre-apply of the example city: {time.monotonic() - started:.1f} s")
    total = city.result["summary"]["create"]
    assert again["status"] == "ok" and again["steps"] == []
    assert again["summary"] == {"create": 0, "update": 0, "replace": 0, "delete": 0, "same": total}
    writes = [c for c in proxy.calls if c.method not in READS]
    assert writes == [], writes[:10]


def test_apply_with_policy_errors_changes_nothing(city: Applied, proxy: FaultProxy) -> None:
    project = city.project
    # The requests under review carry planted violations (blueprints/README.md).
    project.write_stack(endpoint=proxy.endpoint, extra=["blueprints/requests"])
    before, lines = project.state_digest(), len(_audit(project))
    refused = project.cli("apply", "--stack", project.stack, "--yes", expect=1)
    assert "apply refused" in refused.stderr and "GC-" in refused.stderr
    assert project.state_digest() == before
    assert proxy.calls == []
    planned = project.cli("plan", "--stack", project.stack, expect=1)
    assert "plan refused" in planned.stderr
    assert project.state_digest() == before and proxy.calls == []
    audit = _audit(project)
    # The refused run's two lines: when it started and how it ended.
    assert len(audit) == lines + 2 and [a["result"] for a in audit[-2:]] == ["started", "refused"]
    assert audit[-2]["run"] == audit[-1]["run"] and audit[-1]["resources"] == []


def _real_password(city: Applied, exported: dict[str, Any]) -> tuple[str, str]:
    """(secret name, the generated admin password), read back from the cloud's secret store."""
    resources = exported.get("deployment", exported)["resources"]  # a version-3 deployment
    secret = next(r for r in resources if r["type"].endswith(":Secret"))
    endpoint = _pool(city) if secret["inputs"].get("pool") == "classified" else city.endpoint
    region = secret["inputs"].get("region")
    password = aws(endpoint, "secretsmanager", region).get_secret_value(SecretId=secret["id"])["SecretString"]
    assert len(password) >= 16
    # The state keeps where the password is, not the password.
    assert set(secret["outputs"]) - set(secret["inputs"]) <= {"arn"}
    return secret["urn"].rsplit("::", 1)[-1], password


def test_secrets_never_appear_in_plain_text(city: Applied) -> None:
    project = city.project
    exported_text = project.cli("state", "export", "--stack", project.stack).stdout
    exported = json.loads(exported_text)
    name, password = _real_password(city, exported)
    shown = project.cli("state", "show", name, "--stack", project.stack).stdout
    assert ":secret:govcloud/" in shown and password not in shown
    needle = password.encode()
    for file in (project.root / ".govcloud").rglob("*"):
        if file.is_file() and file.name != "sandbox.json":
            assert needle not in file.read_bytes(), file
    assert password not in exported_text
    for output in project.outputs:
        assert password not in output


def test_the_exported_city_is_a_deployment_by_pulumis_published_schema(city: Applied) -> None:
    from tests.unit.test_state_format import assert_valid_deployment

    exported = json.loads(city.project.cli("state", "export", "--stack", city.project.stack).stdout)
    assert_valid_deployment(exported)
    assert len(exported["deployment"]["resources"]) > 1000


def test_destroy_leaves_nothing_managed_in_the_sandbox(stack: Stack, city: Applied) -> None:
    project = city.project
    stack.applied = None  # whatever happens next, a later test applies the city again
    destroyed = project.cli_json("destroy", "--stack", project.stack, "--yes")
    assert destroyed["status"] == "ok"
    assert destroyed["summary"]["delete"] >= city.result["summary"]["create"]
    assert managed_resources(city.endpoint) == {}
    assert managed_resources(_pool(city)) == {}
    assert project.cli_json("state", "list", "--stack", project.stack) == []
    entry = _audit(project)[-1]
    assert entry["operation"] == "destroy" and entry["result"] == "ok"

