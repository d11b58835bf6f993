"""The self-contained HTML report and the HTML findings page of `check` (jinja2 templates)."""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import jinja2

from govcloud.consolidation import floor, money, yuan
from govcloud.model import Finding
from govcloud.report.charts import BarChart, GaugeArc, bar_chart, gauge_arc, number
from govcloud.report.result import FindingCounts, ReportResult, rules_of, sorted_findings

# The cost chart names this many departments and sums the rest into one bar: with 1,500
# departments one bar each would be unreadable, and the sortable table lists them all.
COST_CHART_TOP = 15


class HasFindings(Protocol):
    """What the findings page needs of a check result."""

    @property
    def findings(self) -> Sequence[Finding]: ...


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("govcloud", "report/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["yuan"] = lambda v: yuan(round(float(v), 2))
    # Headline cards show whole yuan (the exact figure is in data-value and the tables).
    env.filters["yuan0"] = lambda v: yuan(round(float(v)))
    env.filters["money"] = lambda v: money(float(v))
    env.filters["floor"] = lambda v: floor(float(v))
    env.filters["number"] = number
    env.filters["plural"] = lambda n, word: f"{number(n)} {word}{'' if n == 1 else 's'}"
    env.filters["percent"] = lambda v: "–" if v is None else f"{float(v) * 100:.1f} %"
    return env


def savings_chart(result: ReportResult) -> BarChart:
    overview = result.consolidation
    items = [(f"{line.title} {line.title_zh}", line.amount, line.shown,
              "yearly" if line.period == "year" else "oneoff")
             for line in overview.savings.lines]
    if overview.duplicates:
        items.append((f"Duplicate functions 重复建设 ({len(overview.duplicates)})", overview.duplicates_yearly,
                      money(overview.duplicates_yearly) + "/yr possible (estimate)", "potential"))
    return bar_chart(items)


def cost_chart(result: ReportResult) -> BarChart:
    ranked = sorted(result.departments, key=lambda d: (-d.monthly_cost, d.code))
    items = [(f"{d.name} {d.code}", d.monthly_cost, money(d.monthly_cost) + "/mo", "cost")
             for d in ranked[:COST_CHART_TOP]]
    named = max((value for _, value, _, _ in items), default=0.0)
    rest = ranked[COST_CHART_TOP:]
    if rest:
        total = sum(d.monthly_cost for d in rest)
        items.append((f"{len(rest):,} other departments", total, money(total) + "/mo", "rest"))
    return bar_chart(items, scale=named or None)


def gauges(result: ReportResult) -> list[GaugeArc]:
    return [gauge_arc(g.resource, g.title, g.requested, g.capacity, g.unit)
            for g in result.consolidation.capacity.gauges]


def render_report_html(result: ReportResult) -> str:
    """The whole city report as one HTML file: inline CSS, SVG and script, no external asset."""
    return environment().get_template("report.html.j2").render(
        r=result,
        c=result.consolidation,
        savings_chart=savings_chart(result),
        cost_chart=cost_chart(result),
        gauges=gauges(result),
        summary=result.summary,
    )


def render_findings_html(check_result: HasFindings, title: str | None = None) -> str:
    """`govcloud check --format html`: the report's findings section as a page of its own."""
    if title is None:
        project = getattr(check_result, "project", None)
        title = f"{project.city.title}政务云 · Policy check" if project is not None else "Policy check"
    findings = sorted_findings(check_result.findings)
    # A CheckResult also carries the rule catalogue: titles and the basis the findings link to.
    catalogue = getattr(check_result, "rules", ())
    return environment().get_template("findings_page.html.j2").render(
        title=title, findings=findings, rules=rules_of(findings, catalogue), summary=FindingCounts.of(findings),
    )
