"""Build hook: the repository's policies/ folder ships inside the package as govcloud/policies/.

policies/ stays the one source of truth (the README and every project refer to it); a wheel
carries a copy so that `govcloud check` has the default packs wherever it is installed.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

POLICIES = Path(__file__).resolve().parent / "policies"


class BuildWithPolicies(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads policies/ from the checkout
            return
        target = Path(self.build_lib) / "govcloud" / "policies"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(POLICIES, target, ignore=shutil.ignore_patterns("__pycache__", ".*"))


setup(cmdclass={"build_py": BuildWithPolicies})
