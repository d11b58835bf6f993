"""The city report as rich tables for the terminal (money in 万元; guidance-based savings as floors)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from govcloud.consolidation import floor, money
from govcloud.report.charts import number
from govcloud.report.result import ReportResult


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Column:
    """A column of a fitted table: numbers never wrap; `keep` orders what is dropped first (low)."""

    name: str
    keep: int = 9
    wraps: bool = False
    right: bool = False
    least: int = 16     # the narrowest a wrapping column may get


def _width(cell: str) -> int:
    return max((cell_len(line) for line in Text.from_markup(cell).plain.splitlines()), default=0)


def fitted(console: Console, title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]],
           styles: Sequence[str | None] = ()) -> Table:
    """A table that fits the console's width: wrapping columns narrow first, then the columns
    kept least are left out (named in the caption); a number is never cut."""
    shown = list(range(len(columns)))

    def needed(indexes: list[int]) -> int:
        total = 1 + 3 * len(indexes)  # borders and padding of the default box
        for i in indexes:
            natural = max([_width(columns[i].name), *(_width(row[i]) for row in rows)])
            total += min(natural, columns[i].least) if columns[i].wraps else natural
        return total

    while needed(shown) > console.width and len(shown) > 1:
        droppable = [i for i in shown if columns[i].keep < 9]
        if not droppable:
            break
        shown.remove(min(droppable, key=lambda i: (columns[i].keep, -i)))
    left_out = [columns[i].name for i in range(len(columns)) if i not in shown]
    caption = (f"not shown at {console.width} columns: {', '.join(left_out)} (a wider terminal, or "
               "--format json, shows every column)") if left_out else None
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for i in shown:
        c = columns[i]
        table.add_column(c.name, justify="right" if c.right else "left", no_wrap=not c.wraps,
                         overflow="fold" if c.wraps else "ellipsis", min_width=min(c.least, 8) if c.wraps else None)
    for n, row in enumerate(rows):
        table.add_row(*(row[i] for i in shown), style=styles[n] if n < len(styles) else None)
    return table


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
    console.print(fitted(console, "Savings against every department building its own",
                         [Column("Item"), Column("Saving", right=True), Column("Formula", keep=1, wraps=True)],
                         [(f"{line.title}\n{line.title_zh}", line.shown, line.formula) for line in s.lines]))

    if c.duplicates:
        console.print(fitted(
            console, "Duplicate functions (GC-DUP-003), savings estimated by govcloud",
            [Column("Function"), Column("Saving/yr", right=True), Column("Systems", keep=2, wraps=True),
             Column("Formula", keep=1, wraps=True)],
            [(group.function, money(group.yearly_saving), ", ".join(f"{d}/{n}" for d, n in group.systems),
              group.formula) for group in c.duplicates]))

    console.print(fitted(
        console, "Capacity",
        [Column("Resource"), Column("Requested", right=True), Column("Capacity", right=True),
         Column("Use", right=True)],
        [(g.title, f"{number(g.requested)} {g.unit}", f"{number(g.capacity)} {g.unit}",
          f"[red]{_percent(g.ratio)}[/]" if g.over else _percent(g.ratio)) for g in c.capacity.gauges]))
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
        console.print(fitted(
            console, "By level and district (市、区两级)",
            [Column("District", wraps=True), Column("Departments", keep=3, right=True),
             Column("vCPU", keep=5, right=True), Column("Quota vCPU", keep=4, right=True),
             Column("Billed/mo", keep=6, right=True)],
            [(district.name, str(district.departments), number(district.vcpu), number(district.quota_vcpu),
              money(district.billed)) for district in result.districts]))

    cb = c.chargeback
    rows: list[tuple[str, ...]] = []
    for d in sorted(result.departments, key=lambda d: (-d.monthly_cost, d.code)):
        quota = _percent(d.quota_peak)
        f = d.findings
        name = d.name + (" (under review)" if d.under_review else "")
        rows.append((d.code, name, str(d.systems), money(d.billed), money(d.allocated),
                     f"[red]{quota}[/]" if (d.quota_peak or 0) > 1 else quota, f"{f.error}/{f.warning}/{f.info}"))
    counts = result.summary
    rows.append(("", "total", f"{result.systems:,}", money(cb.billed), money(cb.allocated), "",
                 f"{counts.error}/{counts.warning}/{counts.info}"))
    console.print(fitted(
        console, "Departments: monthly billed cost, city-funded allocation, quota use, findings "
                 "(errors/warnings/infos)",
        [Column("Code"), Column("Name", wraps=True), Column("Systems", keep=2, right=True),
         Column("Billed/mo", keep=6, right=True), Column("City-funded/mo", keep=3, right=True),
         Column("Quota", keep=4, right=True), Column("Findings", keep=5, right=True)],
        rows, styles=[None] * (len(rows) - 1) + ["bold"]))
    city_items = ", ".join(cb.allocated_items) or "none"
    console.print(f"City-funded items (由市统一支付, not billed): {city_items}; "
                  f"{money(cb.total.total)}/mo in all at the price book")

    console.print(f"Findings: {_plural(counts.error, 'error')}, {_plural(counts.warning, 'warning')}, "
                  f"{_plural(counts.info, 'info')}, {counts.waived} waived (details: govcloud check)")
