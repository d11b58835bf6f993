"""Guards before and during a run: pre-flight for real clouds, the mass-delete limit."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

from govcloud.engine.deletes import DeleteLimit
from govcloud.errors import GovcloudError
from govcloud.operations.preflight import credentials, placeholders, reachable
from govcloud.program import load_stack_config
from tests.engine_support.harness import Rig
from tests.engine_support.programs import Tree

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_production_template_is_refused_at_its_placeholder() -> None:
    config = load_stack_config("production", ROOT)
    with pytest.raises(GovcloudError) as err:
        placeholders(config)
    line = err.value.line()
    assert line.startswith(f"{ROOT / 'stacks' / 'Pulumi.production.yaml'}:20:")
    assert "GC-STACK" in line and "FILL IN" in line and err.value.exit_code == 2


def test_a_filled_in_stack_passes_the_placeholder_check(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "blueprints").mkdir()
    (tmp_path / "stacks" / "Pulumi.prod.yaml").write_text(
        "# FILL IN every value below (a comment may say so)\nconfig:\n"
        "  govcloud:blueprints: [blueprints]\n  govcloud:regions: {city-dc-1: cn-north-1}\n"
        "  govcloud:partition: aws-cn\n  govcloud:endpoint: https://cloud.foshan.gov.cn  # filled in\n")
    placeholders(load_stack_config("prod", tmp_path))


def test_no_credentials_is_one_line_before_anything(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(GovcloudError, match="no cloud credentials") as err:
        credentials()
    assert err.value.rule == "GC-CREDENTIALS" and err.value.exit_code == 2


def test_an_endpoint_that_does_not_answer_is_one_line() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(GovcloudError, match=f"127.0.0.1:{port} does not answer") as err:
        reachable(f"http://127.0.0.1:{port}")
    assert err.value.rule == "GC-ENDPOINT"
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(1)
        reachable(f"http://127.0.0.1:{listening.getsockname()[1]}")


@pytest.mark.parametrize("deletes, total, refused", [
    (0, 1000, False), (50, 1000, False), (51, 1000, True),  # the count
    (5, 20, False),  # a small stack (under 25) is exempt from the fraction
    (5, 25, False), (6, 25, True),  # 20 % of 25
    (40, 200, False), (41, 200, True),
])
def test_the_mass_delete_limit(deletes: int, total: int, refused: bool) -> None:
    assert DeleteLimit().exceeded(deletes, total) is refused
    assert DeleteLimit(allowed=True).exceeded(deletes, total) is False


def test_an_apply_that_would_delete_most_of_the_stack_deletes_nothing(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    assert rig.engine(Tree(rig.cloud_path, count=30)).up().ok
    shrunk = rig.engine(Tree(rig.cloud_path, count=3)).up()
    assert not shrunk.ok and "GC-ENGINE-MASS-DELETE" in shrunk.error and "--allow-mass-delete" in shrunk.error
    assert len(rig.cloud.objects()) == 30 and shrunk.summary.delete == 0
    allowed = rig.engine(Tree(rig.cloud_path, count=3), delete_limit=DeleteLimit(allowed=True)).up()
    assert allowed.ok and allowed.summary.delete == 27 and len(rig.cloud.objects()) == 3
