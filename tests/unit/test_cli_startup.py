"""The command line starts without the layers a command does not use.

Every `govcloud` invocation imports every command's module (typer needs their signatures), so a
module-level import of boto3, the Pulumi SDK or jinja2 in any of them is paid by `govcloud check`
and `govcloud validate` too. Each test runs a fresh interpreter: this process has imported them all.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("boto3", "botocore", "pulumi", "jinja2", "grpc")


def _imported_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("code", [
    "import govcloud.cli",                                             # what every command starts with
    "from govcloud.api import check",                                  # the library's check
])
def test_the_command_line_and_the_check_start_without_the_cloud_or_the_templates(code: str) -> None:
    modules = _imported_after(code)
    loaded = sorted(name for name in HEAVY if name in modules)
    assert loaded == [], f"{code!r} imports {loaded}"


def test_the_probe_sees_what_a_command_loads() -> None:
    """The probe itself: asking for the sandbox's module does load boto3."""
    assert "boto3" in _imported_after("import govcloud.cloud.sandbox")
