"""Fixtures shared by every test layer."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
MINI = DATA / "mini"

# No test may reach a real cloud: dummy credentials, and boto3 never guesses a region.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "cn-north-1")
os.environ.pop("AWS_PROFILE", None)
# The check cache's key is this user's (~/.cache/govcloud/cache.key): the tests, and the
# commands they start, keep theirs in a folder of the run (shared by the xdist workers, removed at the end).
if "GOVCLOUD_TESTS_CACHE_HOME" not in os.environ:
    os.environ["GOVCLOUD_TESTS_CACHE_HOME"] = os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="govcloud-tests-")
    atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)


@pytest.fixture
def mini_city(tmp_path: Path) -> Path:
    """A copy of the small valid city (city.yaml, slj, gaj) that a test may change."""
    target = tmp_path / "blueprints"
    shutil.copytree(MINI, target)
    return target


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="Rewrite golden files under tests/golden/ from the current output.")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
