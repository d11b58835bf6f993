"""`govcloud plan --stack S`: the policy gate, then the per-resource diff an apply would make."""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from govcloud.cli.context import handles_errors
from govcloud.cli.render import finding_lines, gate_line, plural, terminal_width, wrapped
from govcloud.model import Finding

if TYPE_CHECKING:  # the engine (and Pulumi) load only when a stack command runs
    from govcloud.engine import ChangeSummary, Step

_MARK = {"create": "+", "update": "~", "replace": "±", "delete": "-", "delete-replaced": "-",
         "discard": "-", "adopt": "=", "same": " "}
_DIFFED = ("update", "replace")


class Format(str, Enum):
    text = "text"
    json = "json"


class EngineChoice(str, Enum):
    auto = "auto"
    embedded = "embedded"
    pulumi = "pulumi"


Stack = Annotated[str, typer.Option("--stack", "-s", help="The stack: stacks/Pulumi.<stack>.yaml.")]
EngineOption = Annotated[EngineChoice | None, typer.Option(
    "--engine", help="auto (the Pulumi CLI if installed, else embedded), embedded or pulumi "
                     "(default: the stack's govcloud:engine).")]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="text or json.")]
Refresh = Annotated[bool, typer.Option(
    "--refresh", help="Read every recorded resource from the cloud first, so the plan compares "
                      "the blueprints with the cloud itself, not only with the state.")]
Parallel = Annotated[int, typer.Option("--parallel", "-p", min=1, max=256,
                                       help="Resources worked on at once.")]
PARALLEL_STACKS = os.cpu_count() or 1  # a split stack's members at once: one per CPU


def _value(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value, ensure_ascii=False)


def kind_of(type_: str) -> str:
    """`pulumi-python:dynamic/govcloud/compute:Instance` → `Instance` (the engine has the same
    as engine.urns.kind_of; the CLI keeps its own so that check and validate never load Pulumi)."""
    return type_.rsplit(":", 1)[-1]


def step_lines(steps: Iterable[Step], *, diffs: bool = True) -> list[str]:
    lines = []
    for step in steps:
        error = f"  FAILED: {step.error}" if step.error else ""
        renamed = f" (was {step.renamed_from.rsplit('::', 1)[-1]})" if getattr(step, "renamed_from", "") else ""
        lines.append(f"  {_MARK.get(step.op.value, '?')} {step.op.value:<8} {kind_of(step.type):<14} {step.name}"
                     f"{renamed}{error}")
        if diffs and step.op.value in _DIFFED:
            for d in step.diffs:
                forces = " (forces replacement)" if d.replaces else ""
                lines.append(f"        {d.path}: {_value(d.old)} → {_value(d.new)}{forces}")
    return lines


def summary_line(summary: ChangeSummary) -> str:
    return (f"{summary.create} to create, {summary.update} to update, {summary.replace} to replace, "
            f"{summary.delete} to delete, {summary.same} unchanged")


def print_refusal(what: str, findings: Iterable[Finding], reason: str) -> None:
    shown = list(findings)
    if shown:
        typer.echo(finding_lines(shown), nl=False, err=True)
    typer.echo(f"{what} refused: {reason}", err=True)


@handles_errors
def plan_command(
    stack: Stack,
    engine: EngineOption = None,
    format: FormatOption = Format.text,
    parallel: Parallel = 16,
    refresh: Refresh = False,
    parallel_stacks: Annotated[int, typer.Option(
        "--parallel-stacks", min=1, max=64,
        help="Member stacks of a split stack planned at once, in worker processes "
             "(default: the number of CPUs).")] = PARALLEL_STACKS,
    only: Annotated[str | None, typer.Option(
        "--only", help="Plan only these members of a split stack: department (or district) codes "
                       "and `platform`, comma-separated.")] = None,
) -> None:
    """Show what `apply` would do to the stack: validate → check → preview, nothing changed.

    Lists every resource to create (+), update (~), replace (±) or delete (-) with the
    properties that change; secret values show as [secret]. A city with unwaived policy
    errors gets no plan (exit 1). Exit code 0 otherwise, changes or not.

    Example:

        govcloud plan --stack sandbox

        govcloud plan --stack sandbox --format json | jq .summary

        govcloud plan --stack sandbox --refresh    # compare with the cloud, not only the state

        govcloud plan --stack city --parallel-stacks 4 --only gaj,wjw   # members of a split stack

    A split stack (govcloud:split) is planned member by member: the platform first, then its
    departments' stacks; a department with policy errors is held back, the others are planned.
    """
    from govcloud.api import plan
    from govcloud.cli.family import split_or_single

    split_or_single("plan", stack, only, format, engine=engine.value if engine else None, parallel=parallel,
                    refresh=refresh, parallel_stacks=parallel_stacks)

    result = plan(stack, engine=engine.value if engine else None, parallel=parallel, refresh=refresh)
    if format is Format.json:
        typer.echo(result.to_json())
        raise typer.Exit(result.exit_code)
    if result.refused:
        from govcloud.operations.results import blocking_findings

        print_refusal("plan", blocking_findings(result.check),
                      f"{plural(len(blocking_findings(result.check)), 'unwaived policy error')}")
        raise typer.Exit(result.exit_code)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    gate = gate_line(result.check)  # the gate passed; its warnings are shown, not blocking
    if gate:
        typer.echo("\n".join(wrapped(gate, terminal_width(), "  ")))
    render_plan_text(stack, result.engine, result.steps, result.summary,
                     refreshed=result.plan.refreshed if result.plan is not None else False)
    raise typer.Exit(result.exit_code)


def render_plan_text(stack: str, engine: str | None, steps: tuple[Step, ...], summary: ChangeSummary,
                     *, refreshed: bool = False, width: int | None = None) -> None:
    columns = width or terminal_width()
    typer.echo(f"Plan for stack '{stack}'" + (f" ({engine} engine):" if engine else ":"))
    if not summary.changes:
        if refreshed:
            text = f"  no changes: the cloud matches the blueprints ({plural(summary.same, 'resource')})"
        else:
            text = (f"  no changes: the state matches the blueprints ({plural(summary.same, 'resource')});"
                    " the cloud was not read (--refresh reads it)")
        typer.echo("\n".join(wrapped(text, columns, "    ")))
        return
    for line in step_lines(steps):
        typer.echo(line)
    typer.echo("\n".join(wrapped(f"Plan: {summary_line(summary)}.", columns, "  ")))
