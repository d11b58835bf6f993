"""Stack configs: the shipped stacks load, mistakes are named, and a stack runs its program."""
from __future__ import annotations

import json
import runpy
import shutil
from pathlib import Path

import pytest

from govcloud.errors import GovcloudError
from govcloud.program import available_stacks, load_blueprints, load_stack_config, stack_program
from tests.unit.test_program_components import run_program

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini"


def project_dir(tmp_path: Path, stack_yaml: str, name: str = "test") -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / f"Pulumi.{name}.yaml").write_text(stack_yaml, encoding="utf-8")
    shutil.copytree(MINI, tmp_path / "blueprints")
    return tmp_path


MINIMAL = """config:
  govcloud:blueprints: [blueprints]
  govcloud:regions: {city-dc-1: cn-north-1, city-dr-1: cn-northwest-1}
"""


def test_the_shipped_stacks_load() -> None:
    assert available_stacks(ROOT) == ("production", "sandbox")
    sandbox = load_stack_config("sandbox", ROOT)
    assert sandbox.blueprints == (ROOT / "blueprints" / "city.yaml", ROOT / "blueprints" / "departments")
    assert sandbox.region_map == {"city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1",
                                  "city-intranet-1": "cn-north-1", "city-intranet-dr-1": "cn-northwest-1"}
    assert sandbox.partition == "aws-cn" and sandbox.sandbox and sandbox.engine == "auto"
    assert sandbox.passphrase({}) == "govcloud-sandbox"
    assert sandbox.passphrase({"GOVCLOUD_PASSPHRASE": "s3cret"}) == "s3cret"
    assert sandbox.target().region("city-dr-1") == "cn-northwest-1"
    production = load_stack_config("production", ROOT)
    # A template: its endpoint is a placeholder the pre-flight refuses until filled in.
    assert production.endpoint and production.endpoint.startswith("FILL IN")
    assert production.sandbox_passphrase is None and not production.sandbox
    with pytest.raises(GovcloudError, match="GOVCLOUD_PASSPHRASE"):
        production.passphrase({})


def test_the_sandbox_stack_deploys_the_approved_departments_only() -> None:
    project = load_blueprints(load_stack_config("sandbox", ROOT))
    assert len(project.departments) == 32
    assert project.department("ybj") is None  # a request under review


def test_an_unknown_stack_lists_the_available_ones() -> None:
    with pytest.raises(GovcloudError) as e:
        load_stack_config("staging", ROOT)
    assert e.value.exit_code == 2
    assert "staging" in e.value.message and "production, sandbox" in e.value.hint


@pytest.mark.parametrize(("extra", "message"), [
    ("  govcloud:engine: terraform\n", "engine must be one of"),
    ("  govcloud:sandboxPassphrase: x\n", "only allowed with govcloud:sandbox"),
    ("  govcloud:endpont: http://x\n", "unknown key govcloud:endpont"),
])
def test_mistakes_are_named_with_their_line(tmp_path: Path, extra: str, message: str) -> None:
    root = project_dir(tmp_path, MINIMAL + extra)
    with pytest.raises(GovcloudError, match=message) as e:
        load_stack_config("test", root)
    assert e.value.location is not None and e.value.location.line == 4
    assert e.value.exit_code == 2


def test_required_keys(tmp_path: Path) -> None:
    root = project_dir(tmp_path, "config:\n  govcloud:regions: {city-dc-1: cn-north-1}\n")
    with pytest.raises(GovcloudError, match="govcloud:blueprints must be"):
        load_stack_config("test", root)


def test_invalid_yaml(tmp_path: Path) -> None:
    root = project_dir(tmp_path, "config:\n  govcloud:blueprints: [a\n")
    with pytest.raises(GovcloudError, match="invalid YAML"):
        load_stack_config("test", root)


def test_a_sandbox_stack_finds_the_running_sandbox(tmp_path: Path) -> None:
    root = project_dir(tmp_path, MINIMAL + "  govcloud:sandbox: true\n")
    config = load_stack_config("test", root)
    with pytest.raises(GovcloudError, match="no sandbox is running") as e:
        config.resolve_endpoint()
    assert "govcloud sandbox up" in e.value.hint
    (root / ".govcloud").mkdir()
    (root / ".govcloud" / "sandbox.json").write_text(json.dumps({"endpoint": "http://127.0.0.1:5123"}))
    assert config.resolve_endpoint() == "http://127.0.0.1:5123"


def test_an_explicit_endpoint_wins(tmp_path: Path) -> None:
    root = project_dir(tmp_path, MINIMAL + "  govcloud:sandbox: true\n  govcloud:endpoint: http://127.0.0.1:9\n")
    assert load_stack_config("test", root).resolve_endpoint() == "http://127.0.0.1:9"


def test_pulumi_yaml_runs_the_program_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `pulumi up` does: run Pulumi.yaml's `main` with the stack name, from the project root."""
    root = project_dir(tmp_path, MINIMAL + "  govcloud:endpoint: http://127.0.0.1:9\n", name="sandbox")
    monkeypatch.chdir(root)
    main = ROOT / "govcloud" / "program" / "__main__.py"
    monitor, _, outputs, _ = run_program(lambda: runpy.run_path(str(main)))
    names = set(monitor.registered)
    assert {"city", "gaj", "slj", "gaj/systems/household-registry", "slj/systems/river-monitoring"} <= names
    assert outputs["endpoints"]["sites"] == {"gaj": "https://gaj.foshan.gov.cn", "slj": "https://slj.foshan.gov.cn"}


def test_stack_program_uses_the_stack_endpoint(tmp_path: Path) -> None:
    root = project_dir(tmp_path, MINIMAL)
    program = stack_program(load_stack_config("test", root), endpoint_url="http://127.0.0.1:9")
    monitor, _, _, _ = run_program(program)
    assert "gaj/role" in monitor.registered
