"""Output formats of `govcloud check`: text (rich), json (the check envelope), sarif, junit."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from govcloud.policy.formats.envelope import iter_json, render_json
from govcloud.policy.result import CheckResult

if TYPE_CHECKING:
    from rich.console import Console


def render_text(result: CheckResult, console: Console) -> None:
    """The text report printed on `console` (rich is imported only when text is asked for)."""
    from govcloud.policy.formats import text

    text.render_text(result, console)


def render_plain(result: CheckResult, width: int = 80) -> str:
    """The text report as plain text, `width` columns wide."""
    from govcloud.policy.formats import text

    return text.render_plain(result, width)


def render_sarif(result: CheckResult) -> str:
    """SARIF 2.1.0 (its module, and urllib, are imported when SARIF is asked for)."""
    from govcloud.policy.formats import sarif

    return sarif.render_sarif(result)


def render_junit(result: CheckResult) -> str:
    """JUnit XML (its module, and the XML library, are imported when JUnit is asked for)."""
    from govcloud.policy.formats import junit

    return junit.render_junit(result)


# Formats that render to a string; text also prints in colour on a terminal (render_text).
FORMATS: dict[str, Callable[[CheckResult], str]] = {
    "text": render_plain,
    "json": render_json,
    "sarif": render_sarif,
    "junit": render_junit,
}


def render(result: CheckResult, fmt: str) -> str:
    return FORMATS[fmt](result)


__all__ = ["FORMATS", "iter_json", "render", "render_json", "render_junit", "render_plain", "render_sarif",
           "render_text"]
