"""Plain-text renderings shared by several commands: findings, counts, summaries that fit the terminal."""
from __future__ import annotations

import shutil
import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len

from govcloud.model import Finding, Severity

if TYPE_CHECKING:  # results of layers the renderings only read
    from govcloud.operations import StateEntry
    from govcloud.policy import CheckResult


def finding_line(f: Finding) -> str:
    hint = f" (hint: {f.hint})" if f.hint else ""
    waived = " [waived]" if f.waived else ""
    return f"{f.line()}{waived}{hint}"


def finding_lines(findings: Iterable[Finding]) -> str:
    return "".join(finding_line(f) + "\n" for f in findings)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def terminal_width() -> int:
    """Columns of the terminal (or $COLUMNS); 80 when there is none."""
    return shutil.get_terminal_size((80, 24)).columns


def wrapped(text: str, width: int, indent: str = "") -> list[str]:
    """`text` in lines of at most `width` columns, broken at spaces only (a number stays whole)."""
    return textwrap.wrap(text, width=max(20, width), subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [""]


def grid(cells: Sequence[tuple[str, int]], width: int, indent: str = "  ", gap: str = "   ") -> list[str]:
    """`name count` cells in as many columns as fit `width`, names left and counts right."""
    if not cells:
        return []
    names = max(cell_len(name) for name, _ in cells)
    digits = max(len(f"{count:,}") for _, count in cells)
    cell = names + 1 + digits
    per_row = max(1, (width - len(indent) + len(gap)) // (cell + len(gap)))
    shown = [name + " " * (names - cell_len(name) + 1) + f"{count:>{digits},}" for name, count in cells]
    return [indent + gap.join(shown[i:i + per_row]) for i in range(0, len(shown), per_row)]


def gate_line(check: CheckResult | None) -> str | None:
    """The policy gate in one line: passed or refused, with the warnings' count and rule ids."""
    if check is None:
        return None
    s = check.summary
    warned = Counter(f.rule for f in check.findings if not f.waived and f.severity is Severity.WARNING)
    ids = ", ".join(f"{rule} ×{n}" if n > 1 else rule for rule, n in sorted(warned.items()))
    verdict = "passed" if check.exit_code == 0 else "refused"
    line = f"Policy gate {verdict}: {plural(s.errors, 'error')}, {plural(s.warnings, 'warning')}"
    line += f" ({ids})" if ids else ""
    line += f", {s.waived} waived" if s.waived else ""
    return line + ("; warnings do not block (`govcloud check` shows them)" if warned and not s.errors else "")


def destroy_summary(resources: Sequence[StateEntry], stack: str, width: int, first: int = 10) -> list[str]:
    """What a destroy deletes, before it is asked: counts by type and by department, the first names."""
    custom = [r for r in resources if r.custom]
    if not custom:
        return []
    kinds = Counter(r.type.rsplit(":", 1)[-1] for r in custom)
    departments = Counter(r.department for r in custom)
    lines = [f"Stack '{stack}' holds {plural(len(custom), 'resource')}, all to be deleted:", "By type:"]
    lines += grid(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])), width)
    lines.append("By department (city = the shared platforms):")
    lines += grid(sorted(departments.items()), width)
    names = sorted(r.name for r in custom)
    lines.append("First of them:")
    lines += ["  " + name for name in names[:first]]
    if len(names) > first:
        lines.append(f"  … and {len(names) - first:,} more (`govcloud state list --stack {stack}` lists them all)")
    return lines
