"""Opening a stack's backend leaves the process environment alone: a sandbox stack's
credentials go to the clients module, and its pools to the Pulumi CLI's processes, explicitly."""
from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from govcloud.cloud import clients
from govcloud.operations.backends import BackendOptions, cli_environment, open_backend, sandbox_credentials
from govcloud.program import load_stack_config

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini"  # its City declares a classified pool
STACK = """config:
  govcloud:blueprints: [blueprints]
  govcloud:regions: {city-dc-1: cn-north-1, city-dr-1: cn-northwest-1}
  govcloud:sandbox: true
"""
RUNNING = {"pid": 1, "port": 1, "endpoint": "http://127.0.0.1:1",  # as `sandbox up` writes it
           "pools": {"classified": {"pid": 2, "port": 2, "endpoint": "http://127.0.0.1:2"}}}
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    clients.reset()
    yield
    clients.reset()


def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.test.yaml").write_text(STACK, encoding="utf-8")
    shutil.copytree(MINI, tmp_path / "blueprints")
    (tmp_path / ".govcloud").mkdir()
    (tmp_path / ".govcloud" / "sandbox.json").write_text(json.dumps(RUNNING), encoding="utf-8")
    return tmp_path


def test_a_sandbox_stack_without_credentials_gets_the_sandboxs_without_touching_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*CREDENTIAL_VARIABLES, clients.POOLS_ENV):
        monkeypatch.delenv(name, raising=False)
    config = load_stack_config("test", project(tmp_path))
    before = dict(os.environ)
    engine, _ = open_backend(config, BackendOptions(engine="embedded"))
    assert engine == "embedded"
    assert dict(os.environ) == before
    assert clients.session_arguments() == {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}
    assert clients.pool("classified") == clients.Pool("http://127.0.0.1:2")


def test_the_users_own_credentials_win_over_the_sandboxs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "mine")
    config = load_stack_config("test", project(tmp_path))
    assert sandbox_credentials(config) == {}
    assert sandbox_credentials(config, {"AWS_PROFILE": "intranet"}) == {}
    assert sandbox_credentials(config, {}) == {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox"}
    clients.use_credentials({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"})
    open_backend(config, BackendOptions(engine="embedded"))
    assert clients.session_arguments() == {}  # the environment's credentials again


def test_the_pulumi_clis_processes_are_told_the_credentials_and_exactly_this_stacks_pools() -> None:
    pools = {"classified": clients.Pool("http://127.0.0.1:2", "intranet")}
    env = cli_environment({"AWS_ACCESS_KEY_ID": "sandbox"}, pools)
    assert env["AWS_ACCESS_KEY_ID"] == "sandbox"
    assert json.loads(env[clients.POOLS_ENV]) == {"classified": {"endpoint": "http://127.0.0.1:2",
                                                                 "profile": "intranet"}}
    assert json.loads(cli_environment({}, {})[clients.POOLS_ENV]) == {}  # never another stack's pools
