"""govcloud:pools in a stack file: read, checked where used, taken from the running sandbox,
and refused, in one line, when missing, malformed or still a template placeholder."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govcloud.cli import app
from govcloud.errors import GovcloudError
from govcloud.operations.backends import _pools
from govcloud.operations.preflight import placeholders
from govcloud.program import load_stack_config
from govcloud.program.stackconfig import PoolConfig

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini"  # its City declares a classified pool
STACK = """config:
  govcloud:blueprints: [blueprints]
  govcloud:regions: {city-dc-1: cn-north-1, city-dr-1: cn-northwest-1}
  govcloud:endpoint: https://cloud-api.foshan.gov.cn
"""
POOLS = """  govcloud:pools:
    classified: {endpoint: https://cloud-api.intranet.foshan.gov.cn, account: "210987654321", profile: intranet}
"""


def project(tmp_path: Path, stack_yaml: str, *, sandbox: dict[str, object] | None = None) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.test.yaml").write_text(stack_yaml, encoding="utf-8")
    shutil.copytree(MINI, tmp_path / "blueprints")
    if sandbox is not None:
        (tmp_path / ".govcloud").mkdir()
        (tmp_path / ".govcloud" / "sandbox.json").write_text(json.dumps(sandbox), encoding="utf-8")
    return tmp_path


def test_a_pool_is_read_with_its_endpoint_account_and_profile(tmp_path: Path) -> None:
    config = load_stack_config("test", project(tmp_path, STACK + POOLS))
    pool = PoolConfig("classified", "https://cloud-api.intranet.foshan.gov.cn", "210987654321", "intranet")
    assert config.pools == (pool,)
    assert config.resolve_pools(("classified",)) == {"classified": pool}
    assert _pools(config) == {"classified": pool}


@pytest.mark.parametrize(("pools", "message"), [
    ("  govcloud:pools: [classified]\n", "govcloud:pools must map pool names"),
    ("  govcloud:pools: {secret: {endpoint: https://x.gov.cn}}\n", "unknown pool 'secret' under govcloud:pools"),
    ("  govcloud:pools: {classified: https://x.gov.cn}\n", "govcloud:pools.classified must be a mapping"),
    ("  govcloud:pools: {classified: {endpoint: https://x.gov.cn, region: cn-north-1}}\n",
     "unknown key 'region' in govcloud:pools.classified"),
    ("  govcloud:pools: {classified: {endpoint: https://x.gov.cn, account: 210987654321}}\n",
     "govcloud:pools.classified.account must be a string"),
])
def test_a_malformed_pool_is_named_at_its_line(tmp_path: Path, pools: str, message: str) -> None:
    with pytest.raises(GovcloudError, match=message) as refused:
        load_stack_config("test", project(tmp_path, STACK + pools))
    assert refused.value.location is not None and refused.value.location.line == 5
    assert refused.value.exit_code == 2 and "\n" not in refused.value.line()


@pytest.mark.parametrize(("pool", "message"), [
    ("{endpoint: cloud-api.intranet.foshan.gov.cn}",
     "govcloud:pools.classified.endpoint 'cloud-api.intranet.foshan.gov.cn' is not an http(s) URL"),
    ('{endpoint: "https://x.gov.cn", account: "21098765432"}', "'21098765432' is not a 12-digit account id"),
])
def test_a_wrong_url_or_account_is_refused_when_used(tmp_path: Path, pool: str, message: str) -> None:
    config = load_stack_config("test", project(tmp_path, STACK + f"  govcloud:pools: {{classified: {pool}}}\n"))
    with pytest.raises(GovcloudError, match=re.escape(message)) as refused:
        config.resolve_pools()
    assert refused.value.location is not None and refused.value.location.line == 5
    assert refused.value.exit_code == 2


def test_a_template_placeholder_in_a_pool_is_refused_by_the_preflight(tmp_path: Path) -> None:
    config = load_stack_config("test", project(tmp_path, STACK + (
        "  govcloud:pools:\n    classified:\n      endpoint: https://x.gov.cn\n"
        '      account: "FILL IN: the 12-digit account id"\n')))
    with pytest.raises(GovcloudError, match="still has a template placeholder") as refused:
        placeholders(config)
    assert refused.value.location is not None and refused.value.location.line == 8


def test_the_shipped_production_template_names_its_pool_as_placeholders() -> None:
    production = load_stack_config("production", ROOT)
    (pool,) = production.pools
    assert pool.endpoint and pool.endpoint.startswith("FILL IN") and pool.account
    assert pool.account.startswith("FILL IN")


def test_a_city_with_a_pool_and_a_stack_without_one_is_refused(tmp_path: Path) -> None:
    config = load_stack_config("test", project(tmp_path, STACK))
    with pytest.raises(GovcloudError) as refused:
        _pools(config)
    error = refused.value
    assert error.message == "the City has a classified pool, but stack 'test' says nowhere where it is"
    assert error.rule == "GC-STACK" and error.exit_code == 2
    assert 'govcloud:pools: {classified: {endpoint: URL, account: "123456789012"}}' in error.hint


def test_plan_without_the_pool_is_one_line_exit_2_before_any_cloud_call(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    # An endpoint nothing listens on would fail the pre-flight first: use the standard resolution.
    root = project(tmp_path, STACK.replace("  govcloud:endpoint: https://cloud-api.foshan.gov.cn\n", ""))
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["plan", "--stack", "test", "--engine", "embedded"], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[0].startswith(f"{root / 'stacks' / 'Pulumi.test.yaml'}:1:1: GC-STACK the City has a classified "
                               "pool, but stack 'test' says nowhere where it is")
    assert "Traceback" not in result.output


def test_a_sandbox_stack_takes_the_pool_of_the_running_sandbox(tmp_path: Path) -> None:
    running = {"pid": 1, "port": 1, "endpoint": "http://127.0.0.1:1",
               "pools": {"classified": {"pid": 2, "port": 2, "endpoint": "http://127.0.0.1:2",
                                        "account": "210987654321"}}}
    sandbox_stack = STACK.replace("  govcloud:endpoint: https://cloud-api.foshan.gov.cn\n", "") + (
        "  govcloud:sandbox: true\n")
    config = load_stack_config("test", project(tmp_path, sandbox_stack, sandbox=running))
    assert config.resolve_pools(("classified",)) == {
        "classified": PoolConfig("classified", "http://127.0.0.1:2", "210987654321")}


def test_a_sandbox_without_a_classified_pool_says_to_restart_it(tmp_path: Path) -> None:
    old = {"pid": 1, "port": 1, "endpoint": "http://127.0.0.1:1"}
    sandbox_stack = STACK + "  govcloud:sandbox: true\n"
    config = load_stack_config("test", project(tmp_path, sandbox_stack, sandbox=old))
    with pytest.raises(GovcloudError, match="the running sandbox has none") as refused:
        config.resolve_pools(("classified",))
    assert refused.value.exit_code == 1 and "govcloud sandbox down && govcloud sandbox up" in refused.value.hint
