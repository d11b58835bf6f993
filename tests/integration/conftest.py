"""Shared fixtures: one sandbox cloud (a real moto server process) for the whole session.

Other suites reuse it through `sandbox_endpoint`; every test names its resources with
`unique(...)` so tests never see each other's resources.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from govcloud.cloud import clients, sandbox
from govcloud.cloud.provider import CloudProvider
from tests.integration.cloud_harness import Lifecycle, start_sandbox

PROJECT = Path(__file__).resolve().parents[2]
PRODUCTS = PROJECT / "policies" / "data" / "approved-products.yaml"
PRIMARY, DR = sandbox.PRIMARY_REGION, sandbox.DR_REGION
# Everything boto3 could use to reach a real cloud or a proxy is neutralised.
_ISOLATION = {
    **sandbox.CREDENTIALS,
    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
}
_REMOVED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE",
            "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")


@pytest.fixture(scope="session")
def isolated_aws_env() -> Iterator[None]:
    saved = dict(os.environ)
    for name in _REMOVED:
        os.environ.pop(name, None)
    os.environ.update(_ISOLATION)
    clients.reset()
    yield
    os.environ.clear()
    os.environ.update(saved)
    clients.reset()


@pytest.fixture(scope="session")
def sandbox_info(tmp_path_factory: pytest.TempPathFactory, isolated_aws_env: None) -> Iterator[sandbox.SandboxInfo]:
    state_dir = tmp_path_factory.mktemp("sandbox")
    info = start_sandbox(state_dir, PRODUCTS if PRODUCTS.exists() else None)  # with its classified pool
    yield info
    sandbox.down(state_dir)


@pytest.fixture(scope="session")
def sandbox_endpoint(sandbox_info: sandbox.SandboxInfo) -> str:
    """The URL of the session's sandbox cloud, e.g. http://127.0.0.1:43121."""
    assert sandbox_info.endpoint
    return sandbox_info.endpoint


@pytest.fixture(scope="session")
def classified_endpoint(sandbox_info: sandbox.SandboxInfo) -> str:
    """The URL of the session sandbox's classified pool: another server, another account."""
    return sandbox_info.pools[sandbox.CLASSIFIED].endpoint


@pytest.fixture(scope="session")
def approved_image(sandbox_info: sandbox.SandboxInfo) -> str:
    return sandbox_info.seeded[0]


@pytest.fixture
def unique() -> Callable[[str], str]:
    """unique("docs") -> "docs-1a2b3c4d": names no other test uses."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def aws(sandbox_endpoint: str) -> Callable[..., Any]:
    """aws("s3", region) -> a client on the sandbox, for out-of-band changes and checks."""
    return lambda service, region=PRIMARY: clients.client(service, region, sandbox_endpoint)


@pytest.fixture
def lifecycle(sandbox_endpoint: str) -> Callable[[type[CloudProvider]], Lifecycle]:
    return lambda provider_class: Lifecycle(provider_class(sandbox_endpoint))
