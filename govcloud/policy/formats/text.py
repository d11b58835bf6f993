"""`--format text`: findings grouped by department in rich tables that fit 80 columns."""
from __future__ import annotations

import io
from collections.abc import Iterable

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from govcloud.model import Finding, Severity
from govcloud.policy.result import CheckResult

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
LABEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _counts(findings: Iterable[Finding]) -> str:
    errors = warnings = infos = waived = 0
    for f in findings:
        if f.waived:
            waived += 1
        elif f.severity is Severity.ERROR:
            errors += 1
        elif f.severity is Severity.WARNING:
            warnings += 1
        else:
            infos += 1
    parts = [_plural(errors, "error"), _plural(warnings, "warning")]
    if infos:
        parts.append(_plural(infos, "info"))
    if waived:
        parts.append(f"{waived} waived")
    return ", ".join(parts)


def _groups(result: CheckResult) -> list[tuple[str | None, list[Finding]]]:
    groups: dict[str | None, list[Finding]] = {}
    for f in result.findings:
        groups.setdefault(f.department, []).append(f)
    # City-level and input findings first (they concern everyone), then departments by code.
    return sorted(groups.items(), key=lambda kv: (kv[0] is not None, kv[0] or ""))


def _home(result: CheckResult, code: str | None, findings: list[Finding]) -> str | None:
    """The file a group's line numbers refer to: the department's blueprint, or the only file."""
    dept = result.project.department(code) if (result.project and code) else None
    if dept is not None:
        return dept.file
    files = {f.location.file for f in findings if f.location}
    return files.pop() if len(files) == 1 else None


def _heading(result: CheckResult, code: str | None, findings: list[Finding], home: str | None) -> Text:
    dept = result.project.department(code) if (result.project and code) else None
    where = home or ""
    title = Text()
    if code is None:
        title.append("city and inputs", style="bold")
    else:
        title.append(code, style="bold")
        if dept:
            title.append(f" {dept.name}")
    title.append(f" · {where}" if where else "", style="dim")
    title.append(f" · {_counts(findings)}")
    return title


def _table(findings: list[Finding], home: str | None) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    table.add_column("severity", no_wrap=True)
    table.add_column("rule", no_wrap=True)
    table.add_column("line", justify="right", no_wrap=True)
    table.add_column("finding", overflow="fold", ratio=1)
    for f in findings:
        loc = f.location
        text = Text(f.message)
        if loc and loc.file != home:
            text.append(f"\nat {loc}", style="dim")  # e.g. a waiver: the line is in waivers.yaml
        if f.waived:
            text.append(f"\nwaived: {f.waiver}", style="dim")
        elif f.hint:
            text.append(f"\nhint: {f.hint}", style="dim")
        label = Text("waived", style="dim") if f.waived else Text(LABEL[f.severity], style=STYLE[f.severity])
        table.add_row(label, f.rule, f"{loc.line}:{loc.column}" if loc else "", text)
    return table


def _rules_legend(result: CheckResult) -> Table | None:
    """The rules behind the findings, with their English and Chinese titles."""
    fired = {f.rule for f in result.findings}
    rules = [r for r in result.rules if r.id in fired]
    if not rules:
        return None
    table = Table(box=None, show_header=False, pad_edge=False, expand=False, title="rules 规则",
                  title_justify="left", title_style="bold")
    table.add_column("rule", no_wrap=True)
    table.add_column("title", overflow="fold", ratio=1)
    for r in rules:
        table.add_row(r.id, r.title + (f"\n{r.title_zh}" if r.title_zh else ""))
    return table


def render_text(result: CheckResult, console: Console) -> None:
    """Print the report on `console` (its width decides the wrapping)."""
    for code, findings in _groups(result):
        home = _home(result, code, findings)
        console.print(Group(_heading(result, code, findings, home), _table(findings, home)))
        console.print()
    legend = _rules_legend(result)
    if legend is not None:
        console.print(legend)
        console.print()
    s = result.summary
    tally = (f"{_plural(s.errors, 'error')}, {_plural(s.warnings, 'warning')}, {_plural(s.infos, 'info')}, "
             f"{s.waived} waived in {_plural(s.departments, 'department')}")
    if result.exit_code == 0:
        console.print(Text("✓ ", style="green") + Text(tally))
    elif result.exit_code == 2:
        console.print(Text("✗ ", style="red") + Text(f"{tally}: fix the input errors first (exit 2)"))
    else:
        console.print(Text("✗ ", style="red") + Text(f"{tally} (exit 1)"))


def render_plain(result: CheckResult, width: int = 80) -> str:
    """The text report without colours, for files and golden tests."""
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False,
                      highlight=False, emoji=False, record=True)
    render_text(result, console)
    # rich pads table cells to the full width; files and diffs read better without it
    return "".join(line.rstrip() + "\n" for line in console.export_text().splitlines())
