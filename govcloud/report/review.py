"""A review of a change as Markdown (a pull-request comment) or plain text (a terminal)."""
from __future__ import annotations

from collections.abc import Sequence

from govcloud.model import Finding
from govcloud.workflow.review import Delta, PlanSummary, ReviewResult

PLAN_LIST = 12  # resources named per kind of step; the counts are always complete


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + _n(value) if value else "0"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _headline(r: ReviewResult) -> str:
    errors = [f for f in r.added if f.blocking]
    others = len(r.added) - len(errors)
    fixed_errors = sum(1 for f in r.fixed if f.severity.value == "error")
    verdict = (f"this change introduces {len(errors)} error{'s' if len(errors) != 1 else ''}" if errors
               else "this change introduces no error")
    return (f"{verdict}; {others} other finding{'s' if others != 1 else ''} added, {len(r.fixed)} fixed "
            f"({fixed_errors} error{'s' if fixed_errors != 1 else ''})")


def _finding_rows(findings: Sequence[Finding]) -> list[str]:
    rows = ["| severity | rule | department | system | where | message |", "|---|---|---|---|---|---|"]
    for f in findings:
        where = f"`{f.location}`" if f.location else "—"
        rows.append(f"| {f.severity.value}{' (waived)' if f.waived else ''} | {f.rule} | {f.department or '—'} | "
                    f"{f.system or '—'} | {where} | {_cell(f.message)} |")
    return rows


def _delta_rows(deltas: Sequence[Delta], first: str) -> list[str]:
    rows = [f"| {first} | base | head | change |", "|---|---:|---:|---:|"]
    rows += [f"| {d.name} | {_n(d.base)} {d.unit} | {_n(d.head)} {d.unit} | {_signed(d.change)} |" for d in deltas]
    return rows


def _plan_lines(plan: PlanSummary, bullet: str) -> list[str]:
    if plan.error:
        return [f"No plan: {plan.error}."]
    out = [(f"create {len(plan.create)} · update {len(plan.update)} · delete {len(plan.delete)} · "
           f"unchanged {plan.same}")]
    for t, c, u, d in plan.by_type:
        out.append(f"{bullet}`{t}`: " + ", ".join(f"{word} {n}" for word, n in
                                                (("create", c), ("update", u), ("delete", d)) if n))
    for word, names in (("create", plan.create), ("update", plan.update), ("delete", plan.delete)):
        if names:
            more = f" … and {len(names) - PLAN_LIST} more" if len(names) > PLAN_LIST else ""
            out.append(f"{bullet}{word}: " + ", ".join(f"`{n}`" for n in names[:PLAN_LIST]) + more)
    return out


def render_markdown(r: ReviewResult) -> str:
    """The review as a pull-request comment."""
    lines = [f"## govcloud review: `{r.base}` → this change", "",
             f"**{_headline(r)}.** Checked as of {r.today}; exit code {r.exit_code}.", ""]
    if r.files:
        lines += ["Files: " + ", ".join(f"`{f}`" for f in r.files), ""]
    for title, findings in (("Findings added", r.added), ("Findings fixed", r.fixed)):
        lines += [f"### {title} ({len(findings)})", ""]
        lines += (_finding_rows(findings) if findings else ["None."]) + [""]
    lines += ["### Plan (approved departments' resources)", ""]
    plan = _plan_lines(r.plan, "- ")
    lines += [f"**{plan[0]}**", "", *plan[1:], ""]
    lines += ["### Chargeback (monthly)", ""] + _delta_rows(r.chargeback, "department") + [""]
    lines += ["### Capacity", ""] + _delta_rows(r.capacity, "resource") + [""]
    lines += ["### Savings", ""] + _delta_rows(r.savings, "figure") + [""]
    lines += ["<sub>Savings are govcloud's estimates at the City's price book; guidance figures are floors (≥).</sub>",
              ""]
    return "\n".join(lines)


def render_text(r: ReviewResult) -> str:
    """The review for a terminal."""
    lines = [f"review: {r.base} → working tree (as of {r.today})", _headline(r), ""]
    for title, findings in (("added", r.added), ("fixed", r.fixed)):
        lines.append(f"Findings {title} ({len(findings)}):")
        lines += [f"  {f.severity.value:<8} {f.line()}" for f in findings] or ["  none"]
        lines.append("")
    lines.append("Plan (approved departments' resources):")
    lines += ["  " + line.lstrip("- ") for line in _plan_lines(r.plan, "- ")]
    lines.append("")
    for title, deltas in (("Chargeback (monthly)", r.chargeback), ("Capacity", r.capacity), ("Savings", r.savings)):
        lines.append(f"{title}:")
        lines += [f"  {d.name:<38} {_n(d.base):>14} → {_n(d.head):>14} {d.unit:<8} ({_signed(d.change)})"
                  for d in deltas]
        lines.append("")
    return "\n".join(lines)
