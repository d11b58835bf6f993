"""Output formats of `govcloud check`: text (rich), json (the check envelope), sarif, junit."""
from __future__ import annotations

from collections.abc import Callable

from govcloud.policy.formats.envelope import iter_json, render_json
from govcloud.policy.formats.junit import render_junit
from govcloud.policy.formats.sarif import render_sarif
from govcloud.policy.formats.text import render_plain, render_text
from govcloud.policy.result import CheckResult

# Formats that render to a string; text also prints in colour on a terminal (render_text).
FORMATS: dict[str, Callable[[CheckResult], str]] = {
    "text": render_plain,
    "json": render_json,
    "sarif": render_sarif,
    "junit": render_junit,
}


def render(result: CheckResult, fmt: str) -> str:
    return FORMATS[fmt](result)


__all__ = ["FORMATS", "iter_json", "render", "render_json", "render_junit", "render_plain", "render_sarif", "render_text"]
