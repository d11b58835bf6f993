"""Stack files get the blueprints' loader limits, and name only regions the cloud has."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govcloud.errors import GovcloudError
from govcloud.program import load_stack_config
from tests.support.bounds import bounded_memory

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini"
GOOD = """config:
  govcloud:blueprints: [blueprints]
  govcloud:regions: {city-dc-1: cn-north-1, city-dr-1: cn-northwest-1}
"""


def _root(tmp_path: Path, stack: str | bytes) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks").mkdir()
    target = tmp_path / "stacks" / "Pulumi.test.yaml"
    if isinstance(stack, bytes):
        target.write_bytes(stack)
    else:
        target.write_text(stack, "utf-8")
    shutil.copytree(MINI, tmp_path / "blueprints")
    return tmp_path


def _error(tmp_path: Path, stack: str | bytes) -> tuple[str, int, int, str]:
    root = _root(tmp_path, stack)
    with pytest.raises(GovcloudError) as caught:
        load_stack_config("test", root)
    error = caught.value
    assert error.exit_code == 2 and error.location is not None
    assert error.location.file == str(root / "stacks" / "Pulumi.test.yaml")
    return error.rule, error.location.line, error.location.column, error.message


def test_the_good_stack_loads(tmp_path: Path) -> None:
    config = load_stack_config("test", _root(tmp_path, GOOD))
    assert config.partition == "aws-cn" and config.region_map["city-dc-1"] == "cn-north-1"


def test_a_gbk_stack_file_points_at_the_bad_byte(tmp_path: Path) -> None:
    text = GOOD + "# 佛山市的沙盒\n"
    found = _error(tmp_path, text.encode("gbk"))
    assert found[:3] == ("GC-STACK", 4, 3)
    assert "not UTF-8 (byte 0xb7)" in found[3]


@pytest.mark.timeout(120)  # expanding the bomb (10^9 items) would hang: that fails, slowness does not
def test_an_alias_bomb_in_a_stack_file_fails_fast(tmp_path: Path) -> None:
    bomb = "x: &a [q, q, q, q, q, q, q, q, q, q]\n" + "".join(
        f"x{i}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8))
    with bounded_memory(64):  # refused before it is expanded
        rule, line, column, message = _error(tmp_path, bomb + GOOD)
    assert (rule, line) == ("GC-STACK", 1) and column > 1
    assert "alias bomb" in message


def test_a_duplicate_key_in_a_stack_file(tmp_path: Path) -> None:
    assert _error(tmp_path, GOOD + "  govcloud:engine: auto\n  govcloud:engine: pulumi\n") == (
        "GC-STACK", 5, 3, "duplicate key 'govcloud:engine' (first defined at line 4)")


def test_a_nan_in_a_stack_file(tmp_path: Path) -> None:
    assert _error(tmp_path, GOOD + "  aws:maxRetries: .nan\n") == ("GC-STACK", 4, 19, "'.nan' is not a finite number")


def test_an_unknown_region_is_refused_before_any_call(tmp_path: Path) -> None:
    rule, line, column, message = _error(tmp_path, GOOD.replace("cn-north-1,", "cn-north-9,"))
    assert (rule, line, column) == ("GC-STACK", 3, 3)
    assert message == "govcloud:regions maps 'city-dc-1' to 'cn-north-9', not a region of the aws-cn partition"


def test_a_region_of_another_partition_is_refused(tmp_path: Path) -> None:
    rule, line, column, message = _error(tmp_path, GOOD.replace("cn-northwest-1", "eu-west-1"))
    assert (rule, line, column) == ("GC-STACK", 3, 3)
    assert message == "govcloud:regions maps 'city-dr-1' to 'eu-west-1', not a region of the aws-cn partition"


def test_an_unknown_partition_is_refused(tmp_path: Path) -> None:
    assert _error(tmp_path, GOOD + "  govcloud:partition: aws-moon\n") == (
        "GC-STACK", 4, 3, "govcloud:partition 'aws-moon' is not a partition of the cloud")


def test_a_real_partition_that_does_not_hold_the_regions_is_refused(tmp_path: Path) -> None:
    assert _error(tmp_path, GOOD + "  govcloud:partition: aws\n") == (
        "GC-STACK", 3, 3, "govcloud:regions maps 'city-dc-1' to 'cn-north-1', not a region of the aws partition")


def test_blueprints_outside_the_project_are_refused(tmp_path: Path) -> None:
    rule, line, column, message = _error(tmp_path, GOOD.replace("[blueprints]", "[blueprints, /etc]"))
    assert (rule, line, column) == ("GC-STACK", 2, 3)
    assert message.startswith("govcloud:blueprints names '/etc', outside the project")


def test_an_invalid_stack_name_is_refused(tmp_path: Path) -> None:
    root = _root(tmp_path, GOOD)
    with pytest.raises(GovcloudError, match="invalid stack name") as caught:
        load_stack_config("prod east", root)
    assert (caught.value.rule, caught.value.exit_code) == ("GC-STACK", 2)


def test_an_endpoint_that_is_no_url_is_refused_when_used(tmp_path: Path) -> None:
    root = _root(tmp_path, GOOD + "  govcloud:endpoint: 'FILL IN: https://cloud-api.example.gov.cn'\n")
    config = load_stack_config("test", root)  # a template still loads and lists
    with pytest.raises(GovcloudError) as caught:
        config.resolve_endpoint()
    error = caught.value
    assert (error.rule, error.exit_code) == ("GC-STACK", 2) and error.location is not None
    assert (error.location.line, error.location.column) == (4, 3)
    assert error.message == "govcloud:endpoint 'FILL IN: https://cloud-api.example.gov.cn' is not an http(s) URL"
    (tmp_path / "good").mkdir()
    good = load_stack_config("test", _root(tmp_path / "good", GOOD + "  govcloud:endpoint: https://x.gov.cn:8443\n"))
    assert good.resolve_endpoint() == "https://x.gov.cn:8443"


def test_a_broken_project_file_is_named(tmp_path: Path) -> None:
    root = _root(tmp_path, GOOD)
    (root / "Pulumi.yaml").write_bytes("name: govcloud\ndescription: 政务云\n".encode("gbk"))
    with pytest.raises(GovcloudError) as caught:
        load_stack_config("test", root)
    error = caught.value
    assert (error.rule, error.exit_code, str(error.location)) == ("GC-STACK", 2, f"{root / 'Pulumi.yaml'}:2:14")
    assert error.message == "file is not UTF-8 (byte 0xd5)"
