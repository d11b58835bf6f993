"""The Pulumi program under the SDK's mocks: components, parents, dependencies, outputs."""
from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dill
import pulumi
import pytest
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs

from govcloud.cloud.types import CATALOGUE
from govcloud.errors import GovcloudError
from govcloud.graph import Graph, Target, build_graph
from govcloud.load import load
from govcloud.model import Project
from govcloud.program import Deployment, deploy, make_program

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = Target.create("sandbox", {"city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1",
                                    "city-intranet-1": "cn-north-1", "city-intranet-dr-1": "cn-northwest-1"})
ENDPOINT = "http://127.0.0.1:4566"
BY_PULUMI_TYPE = {t.pulumi_type: t for t in CATALOGUE.values()}
STACK_TYPE = "pulumi:pulumi:Stack"


class CloudMocks(pulumi.runtime.Mocks):
    """Every output of a resource is `<resource name>.<output>`."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        rtype = BY_PULUMI_TYPE.get(args.typ)
        for output in rtype.outputs if rtype else ():
            state[output] = f"{args.name}.{output}"
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@dataclass(frozen=True)
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    dependencies: tuple[str, ...]
    inputs: Any
    secret_outputs: tuple[str, ...]


@dataclass
class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, keeping each RegisterResource request's parent and dependencies."""

    mocks: pulumi.runtime.Mocks
    registered: dict[str, Registration] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.mocks)

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        urn = self.make_urn(request.parent, request.type, request.name)
        self.registered[request.name] = Registration(
            request.type, request.name, urn, request.parent, tuple(request.dependencies), request.object,
            tuple(request.additionalSecretOutputs))
        return response


@dataclass
class Run:
    graph: Graph
    monitor: RecordingMonitor
    deployment: Deployment
    outputs: dict[str, Any]
    secret: dict[str, bool]


def run_program(
    program: Callable[[], object],
) -> tuple[RecordingMonitor, Deployment | None, dict[str, Any], dict[str, bool]]:
    # Other tests may leave the thread without an event loop; the SDK's mocks need one.
    asyncio.set_event_loop(asyncio.new_event_loop())
    # set_mocks makes a new root stack only when none is set: a program another test ran in this
    # thread's context may have left its own, and this run would then register no stack.
    pulumi.runtime.settings.ROOT.set(None)
    mocks = CloudMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="govcloud", stack="sandbox", preview=False, monitor=monitor)
    result: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    secret: dict[str, bool] = {}

    async def collect() -> None:
        stack = pulumi.runtime.get_root_resource()
        assert stack is not None
        for key, value in stack.outputs.items():  # type: ignore[attr-defined]
            out = pulumi.Output.from_input(value)
            outputs[key] = await out.future()
            secret[key] = await out.is_secret()

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def go() -> Any:
        result["deployment"] = program()
        return pulumi.Output.from_input(collect())

    go()
    deployment = result["deployment"]
    return monitor, deployment if isinstance(deployment, Deployment) else None, outputs, secret


def example() -> Project:
    found = load([str(ROOT / "blueprints" / "city.yaml"), str(ROOT / "blueprints" / "departments")])
    assert found.project is not None
    return found.project


@pytest.fixture(scope="module")
def run() -> Run:
    graph = build_graph(example(), SANDBOX)
    monitor, deployment, outputs, secret = run_program(lambda: deploy(graph, endpoint_url=ENDPOINT))
    assert deployment is not None
    return Run(graph, monitor, deployment, outputs, secret)


def test_every_component_is_registered_under_its_parent(run: Run) -> None:
    reg = run.monitor.registered
    stack = next(r.urn for r in reg.values() if r.type == STACK_TYPE)
    for component in run.graph.components:
        found = reg[component.name]
        assert found.type == f"govcloud:index:{component.kind}"
        expected = reg[component.parent].urn if component.parent else stack
        assert found.parent == expected, component.name
    kinds = [r.type for r in reg.values() if r.type.startswith("govcloud:index:")]
    assert kinds.count("govcloud:index:City") == 1
    assert kinds.count("govcloud:index:Department") == 32
    assert kinds.count("govcloud:index:OATenant") == 32
    assert kinds.count("govcloud:index:SiteTenant") == 32
    assert kinds.count("govcloud:index:System") == 62


def test_every_resource_is_registered_once_in_its_component(run: Run) -> None:
    reg = run.monitor.registered
    custom = [r for r in reg.values() if r.type.startswith("pulumi-python:dynamic/")]
    assert len(custom) == len(run.graph.nodes)
    for node in run.graph.nodes:
        found = reg[node.name]
        assert found.type == CATALOGUE[node.type].pulumi_type
        assert found.parent == reg[node.component].urn, node.name


def test_every_graph_edge_is_a_dependency(run: Run) -> None:
    reg = run.monitor.registered
    assert run.graph.edges
    for dependent, dependency in run.graph.edges:
        assert reg[dependency].urn in reg[dependent].dependencies, (dependent, dependency)


def test_the_usual_dependencies(run: Run) -> None:
    reg = run.monitor.registered

    def deps(name: str) -> set[str]:
        return {u.rsplit("::", 1)[1] for u in reg[name].dependencies}

    system = "gaj/systems/criminal-cases"  # classified: its keys and DR role are the classified pool's
    assert deps(f"{system}/subnet") == {"gaj/intranet"}
    assert {f"{system}/subnet", f"{system}/security-group"} <= deps(f"{system}/vm/app-0")
    assert {f"{system}/vm/app-0", "gaj/classified/key"} <= deps(f"{system}/vm/app-0/data")
    assert {f"{system}/bucket/dr", "city/classified/replication-role", "gaj/classified/key"} <= deps(
        f"{system}/bucket")
    extranet = "gaj/systems/population-database"
    assert {f"{extranet}/bucket/dr", "city/replication-role", "gaj/key"} <= deps(f"{extranet}/bucket")
    assert {"city/site/https", "city/site/target-group"} <= deps("gaj/site/rule")


def test_inputs_reach_the_provider_resolved(run: Run) -> None:
    assert "gaj/systems/criminal-cases/vm/app-0" in run.deployment.resources
    registered = run.monitor.registered["gaj/systems/criminal-cases/vm/app-0"]
    fields = registered.inputs.fields
    assert fields["subnet_id"].string_value == "gaj/systems/criminal-cases/subnet.subnet_id"
    assert fields["image"].string_value == "kylinsec-v3-server"
    tags = {k: v.string_value for k, v in fields["tags"].struct_value.fields.items()}
    assert tags["gov:classified"] == "true" and tags["gov:department"] == "gaj"
    provider = dill.loads(base64.b64decode(fields["__provider"].string_value))
    # Endpoints are never serialized into the program's resources (and so never into state).
    assert provider.endpoint_url is None
    assert ENDPOINT.encode() not in base64.b64decode(fields["__provider"].string_value)


def test_no_secret_value_is_an_output(run: Run) -> None:
    # The admin passwords live in the secret store: outputs name the secrets, never a value.
    for node in run.graph.of_type("govcloud:compute:Instance"):
        assert run.monitor.registered[node.name].secret_outputs == ()
    assert "private_key_pem" in run.monitor.registered["city/ca"].secret_outputs
    secrets = run.outputs["databaseAdminSecrets"]
    assert set(secrets) == {n.component for n in run.graph.of_type("govcloud:secrets:Secret")}
    assert all(value.endswith("/db-admin.arn") for value in secrets.values())
    assert all(run.secret[k] is False for k in ("endpoints", "departments", "city", "networks",
                                                "databaseAdminSecrets"))


def test_stack_outputs(run: Run) -> None:
    endpoints = run.outputs["endpoints"]
    assert endpoints["portal"] == "https://www.foshan.gov.cn"
    assert endpoints["siteLoadBalancer"] == "city/site/load-balancer.dns_name"
    assert endpoints["sites"]["gaj"] == "https://gaj.foshan.gov.cn"
    assert len(endpoints["sites"]) == 32
    departments = run.outputs["departments"]
    assert len(departments) == 32
    gaj = departments["gaj"]
    assert set(gaj["systems"]) == {"population-database", "household-registry", "criminal-cases"}
    criminal = gaj["systems"]["criminal-cases"]
    assert criminal["mlps"] == 4 and criminal["cidr"].startswith("10.")
    assert criminal["resources"]["vm/app-0"] == "gaj/systems/criminal-cases/vm/app-0.private_ip"
    assert gaj["oa"]["mailbox"] == "gaj/oa/mailbox.url"
    assert gaj["resources"]["role"] == "gaj/role.arn"
    assert run.outputs["networks"]["intranet"]["sharedZone"] == "10.64.0.0/16"
    assert gaj["resources"]["intranet"] == "gaj/intranet.vpc_id"


def test_make_program_builds_the_graph_before_it_runs() -> None:
    with pytest.raises(GovcloudError, match="city-dr-1"):
        make_program(example(), Target.create("sandbox", {"city-dc-1": "cn-north-1"}))
