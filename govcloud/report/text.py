"""The city report as rich tables for the terminal (money in 万元; guidance-based savings as floors)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from govcloud.consolidation import floor, money
from govcloud.report.charts import number
from govcloud.report.result import ReportResult


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def render_text(result: ReportResult, console: Console) -> None:
    c = result.consolidation
    s = c.savings
    console.print(f"[bold]{result.title}政务云[/] ({result.domain}): {len(result.departments):,} departments, "
                  f"{result.systems:,} business systems")
    console.print(f"Saved by consolidation: [bold green]{floor(s.yearly)}/yr[/] and {floor(s.one_off)} one-off "
                  f"(approved departments; guidance figures are floors); {money(c.duplicates_yearly)}/yr more "
                  f"possible from {_plural(len(c.duplicates), 'duplicate function')} (govcloud's estimate)")
    if s.under_review:
        console.print(f"Not counted: {_plural(len(s.under_review), 'request')} under review "
                      f"({', '.join(s.under_review)}), {floor(s.pending_yearly)}/yr once approved")

    # Names and money never wrap; the long formulas take whatever width is left.
    table = Table(title="Savings against every department building its own", title_justify="left")
    table.add_column("Item", no_wrap=True)
    table.add_column("Saving", justify="right", no_wrap=True)
    table.add_column("Formula", overflow="fold")
    for line in s.lines:
        table.add_row(f"{line.title}\n{line.title_zh}", line.shown, line.formula)
    console.print(table)

    if c.duplicates:
        table = Table(title="Duplicate functions (GC-DUP-003), savings estimated by govcloud", title_justify="left")
        table.add_column("Function", no_wrap=True)
        table.add_column("Saving/yr", justify="right", no_wrap=True)
        table.add_column("Systems")
        table.add_column("Formula", overflow="fold")
        for group in c.duplicates:
            table.add_row(group.function, money(group.yearly_saving),
                          ", ".join(f"{d}/{n}" for d, n in group.systems), group.formula)
        console.print(table)

    table = Table(title="Capacity", title_justify="left")
    table.add_column("Resource", no_wrap=True)
    for name in ("Requested", "Capacity", "Use"):
        table.add_column(name, justify="right", no_wrap=True)
    for g in c.capacity.gauges:
        use = f"[red]{_percent(g.ratio)}[/]" if g.over else _percent(g.ratio)
        table.add_row(g.title, f"{number(g.requested)} {g.unit}", f"{number(g.capacity)} {g.unit}", use)
    console.print(table)
    if c.capacity.reclaimed:
        vcpu, memory, storage = c.capacity.reclaimed_total()
        systems = ", ".join(f"{r.department}/{r.system} ({r.retired})" for r in c.capacity.reclaimed)
        console.print(f"Reclaimed by retired systems (下线): {number(vcpu)} vCPU, {number(memory)} GiB memory, "
                      f"{number(storage)} GiB storage — {systems}")
    members = dict(c.capacity.members)
    if members:
        console.print(f"Platform members: OA {members['oa']:,} · document exchange {members['document-exchange']:,}"
                      f" · site platform {members['site']:,} departments")

    if result.districts:
        table = Table(title="By level and district (市、区两级)", title_justify="left")
        for name in ("District", "Departments", "vCPU", "Quota vCPU", "Billed/mo"):
            table.add_column(name, justify="left" if name == "District" else "right", no_wrap=True)
        for district in result.districts:
            table.add_row(district.name, str(district.departments), number(district.vcpu),
                          number(district.quota_vcpu), money(district.billed))
        console.print(table)

    cb = c.chargeback
    table = Table(title="Departments: monthly billed cost, city-funded allocation, quota use, findings "
                        "(errors/warnings/infos)", title_justify="left")
    table.add_column("Code", no_wrap=True)
    table.add_column("Name", no_wrap=True)
    for name in ("Systems", "Billed/mo", "City-funded/mo", "Quota", "Findings"):
        table.add_column(name, justify="right", no_wrap=True)
    for d in sorted(result.departments, key=lambda d: (-d.monthly_cost, d.code)):
        quota = _percent(d.quota_peak)
        f = d.findings
        name = d.name + (" (under review)" if d.under_review else "")
        table.add_row(d.code, name, str(d.systems), money(d.billed), money(d.allocated),
                      f"[red]{quota}[/]" if (d.quota_peak or 0) > 1 else quota, f"{f.error}/{f.warning}/{f.info}")
    counts = result.summary
    table.add_row("", "total", f"{result.systems:,}", money(cb.billed), money(cb.allocated), "",
                  f"{counts.error}/{counts.warning}/{counts.info}", style="bold")
    console.print(table)
    city_items = ", ".join(cb.allocated_items) or "none"
    console.print(f"City-funded items (由市统一支付, not billed): {city_items}; "
                  f"{money(cb.total.total)}/mo in all at the price book")

    console.print(f"Findings: {_plural(counts.error, 'error')}, {_plural(counts.warning, 'warning')}, "
                  f"{_plural(counts.info, 'info')}, {counts.waived} waived (details: govcloud check)")
