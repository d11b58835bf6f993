"""The city report as rich tables for the terminal."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from govcloud.consolidation import yuan
from govcloud.report.charts import number
from govcloud.report.result import ReportResult


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _money(value: float) -> str:
    return yuan(round(value, 2))


def render_text(result: ReportResult, console: Console) -> None:
    c = result.consolidation
    s = c.savings
    console.print(f"[bold]{result.title}政务云[/] ({result.domain}): {len(result.departments):,} departments, "
                  f"{result.systems:,} business systems")
    console.print(f"Saved by consolidation: [bold green]{_money(s.yearly)}/yr[/] and {_money(s.one_off)} one-off; "
                  f"{_money(c.duplicates_yearly)}/yr more possible from "
                  f"{_plural(len(c.duplicates), 'duplicate function')}")

    # Names and money never wrap; the long formulas take whatever width is left.
    table = Table(title="Savings against every department building its own", title_justify="left")
    table.add_column("Item", no_wrap=True)
    table.add_column("Saving", justify="right", no_wrap=True)
    table.add_column("Formula", overflow="fold")
    for line in s.lines:
        period = "/yr" if line.period == "year" else " one-off"
        table.add_row(f"{line.title}\n{line.title_zh}", _money(line.amount) + period, line.formula)
    console.print(table)

    if c.duplicates:
        table = Table(title="Duplicate functions (GC-DUP-003)", title_justify="left")
        table.add_column("Function", no_wrap=True)
        table.add_column("Saving/yr", justify="right", no_wrap=True)
        table.add_column("Systems")
        table.add_column("Formula", overflow="fold")
        for g in c.duplicates:
            table.add_row(g.function, _money(g.yearly_saving), ", ".join(f"{d}/{n}" for d, n in g.systems),
                          g.formula)
        console.print(table)

    table = Table(title="Capacity", title_justify="left")
    table.add_column("Resource", no_wrap=True)
    for name in ("Requested", "Capacity", "Use"):
        table.add_column(name, justify="right", no_wrap=True)
    for g in c.capacity.gauges:
        use = f"[red]{_percent(g.ratio)}[/]" if g.over else _percent(g.ratio)
        table.add_row(g.title, f"{number(g.requested)} {g.unit}", f"{number(g.capacity)} {g.unit}", use)
    console.print(table)

    table = Table(title="Departments: monthly cost, quota use, findings (errors/warnings/infos)",
                  title_justify="left")
    table.add_column("Code", no_wrap=True)
    table.add_column("Name", no_wrap=True)
    for name in ("Systems", "Monthly", "Share", "Quota", "Findings"):
        table.add_column(name, justify="right", no_wrap=True)
    for d in sorted(result.departments, key=lambda d: (-d.monthly_cost, d.code)):
        quota = _percent(d.quota_peak)
        f = d.findings
        table.add_row(d.code, d.name, str(d.systems), _money(d.monthly_cost), _percent(d.share),
                      f"[red]{quota}[/]" if (d.quota_peak or 0) > 1 else quota, f"{f.error}/{f.warning}/{f.info}")
    total, counts = c.chargeback.total.total, result.summary
    table.add_row("", "total", f"{result.systems:,}", _money(total), "100.0 %" if total else "–", "",
                  f"{counts.error}/{counts.warning}/{counts.info}", style="bold")
    console.print(table)

    console.print(f"Findings: {_plural(counts.error, 'error')}, {_plural(counts.warning, 'warning')}, "
                  f"{_plural(counts.info, 'info')}, {counts.waived} waived (details: govcloud check)")
