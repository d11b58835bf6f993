"""Plain-text renderings of findings shared by several commands."""
from __future__ import annotations

from collections.abc import Iterable

from govcloud.model import Finding


def finding_line(f: Finding) -> str:
    hint = f" (hint: {f.hint})" if f.hint else ""
    waived = " [waived]" if f.waived else ""
    return f"{f.line()}{waived}{hint}"


def finding_lines(findings: Iterable[Finding]) -> str:
    return "".join(finding_line(f) + "\n" for f in findings)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
