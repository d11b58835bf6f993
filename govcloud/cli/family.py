"""plan, apply, refresh and destroy of a split stack (`govcloud:split`): a line per member, a table.

The commands call `run_split` when the stack's config is split; `--only` and
`--parallel-stacks` choose which members run and how many at once.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from govcloud.cli.context import out
from govcloud.cli.plan import Format
from govcloud.errors import GovcloudError

if TYPE_CHECKING:
    from govcloud.operations.family import FamilyOptions
    from govcloud.operations.results import FamilyResult, MemberResult

ParallelStacks = Annotated[int, typer.Option(
    "--parallel-stacks", min=1, max=64,
    help="Member stacks of a split stack run at once, in worker processes (default: the number of CPUs).")]
Only = Annotated[str | None, typer.Option(
    "--only", help="Run only these members of a split stack: department (or district) codes and "
                   "`platform`, comma-separated, e.g. --only gaj,wjw.")]

_MARK = {"create": "+", "update": "~", "replace": "±", "delete": "-", "same": " "}
_NAMES = {"same": "unchanged"}


def split_stack(stack: str) -> bool:
    """Whether `stack` is a split stack (a family, not one of its members)."""
    from govcloud.program import load_stack_config

    config = load_stack_config(stack)
    return config.split is not None and config.member is None


def only_codes(only: str | None) -> tuple[str, ...]:
    return tuple(code.strip() for code in (only or "").split(",") if code.strip())


def refuse_only(stack: str, only: str | None) -> None:
    if only_codes(only):
        raise GovcloudError(f"--only needs a split stack, and stack '{stack}' is not split", rule="GC-USAGE",
                            hint="set govcloud:split: department in its stack file, or leave --only out")


def _counts(member: MemberResult) -> str:
    shown = [f"{n} {op}" for op, n in member.summary.items() if n and op not in ("same", "unchanged")]
    same = member.summary.get("same", member.summary.get("unchanged", 0))
    return ", ".join(shown + ([f"{same} unchanged"] if same else [])) or "-"


class Progress:
    """One line on stderr as each member ends (members end in any order)."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0

    def __call__(self, member: MemberResult) -> None:
        self.done += 1
        error = f": {member.error}" if member.error and not member.ok else ""
        sys.stderr.write(f"[{self.done}/{self.total}] {member.stack:<28} {member.status:<8} "
                         f"{_counts(member)} ({member.duration:.1f} s){error}\n")
        sys.stderr.flush()


def render_family(result: FamilyResult, *, steps: bool) -> None:
    """The family's summary table; with `steps`, each member's changed resources first."""
    if steps:
        for member in result.members:
            changed = [s for s in member.steps if s.get("op") != "same"]
            if not changed:
                continue
            typer.echo(f"{member.stack}:")
            for step in changed:
                kind = str(step["type"]).rsplit(":", 1)[-1]
                name = str(step["urn"]).rsplit("::", 1)[-1]
                typer.echo(f"  {_MARK.get(str(step['op']), '?')} {step['op']:<8} {kind:<14} {name}")
    table = Table(title=f"{result.operation.capitalize()} of split stack '{result.stack}' "
                        f"({len(result.members)} member stacks, {result.parallel_stacks} at once)",
                  title_justify="left")
    for column in ("member", "stack", "status", "changes", "time"):
        table.add_column(column, justify="right" if column in ("changes", "time") else "left")
    for member in result.members:
        table.add_row(member.member, member.stack, member.status, str(member.changes), f"{member.duration:.1f} s")
    out.print(table)
    for member in result.members:
        if not member.ok:
            typer.echo(f"{member.stack}: {member.status}: {member.error}", err=True)
    total = result.summary
    counts = ", ".join(f"{n} {_NAMES.get(op, op)}" for op, n in total.items() if n) or "nothing"
    verdict = "done" if result.ok else "NOT done for every member stack"
    typer.echo(f"{result.operation.capitalize()} of split stack '{result.stack}' {verdict} "
               f"in {result.duration:.1f} s: {counts}.")


def run_split(operation: str, stack: str, options: FamilyOptions, fmt: Format, *, yes: bool = True) -> None:
    """Run `operation` on the split stack and exit with its code (asking first unless `yes`)."""
    from govcloud.operations.family import cancelled, run_family, selection

    members = selection(operation, stack, options=options)
    if operation == "apply" and not yes:
        planned = run_family("plan", stack, options=options, on_result=Progress(len(members)))
        render_family(planned, steps=True)
        if not planned.ok:
            raise typer.Exit(planned.exit_code)
        if planned.changes and not typer.confirm(
                f"Apply these changes to the {len(planned.members)} member stacks of '{stack}'?",
                default=False, err=True):
            _finish(cancelled(stack, operation, planned.split, planned), fmt)
    if operation == "destroy" and not yes:
        for name, count in members.items():
            typer.echo(f"  {name:<12} {count:>6} resources", err=True)
        if not typer.confirm(f"Destroy the {sum(members.values())} resources of these member stacks of "
                             f"'{stack}'? This cannot be undone.", default=False, err=True):
            raise typer.Exit(1)
    result = run_family(operation, stack, options=options, on_result=Progress(len(members)))
    _finish(result, fmt)


def _finish(result: FamilyResult, fmt: Format) -> None:
    if fmt is Format.json:
        typer.echo(result.to_json())
    else:
        render_family(result, steps=result.operation == "plan")
    raise typer.Exit(result.exit_code)


def split_or_single(operation: str, stack: str, only: str | None, fmt: Format, *, yes: bool = True,
                    **options: object) -> None:
    """For a split stack: run `operation` on its members and exit. Else refuse --only and return."""
    if not split_stack(stack):
        refuse_only(stack, only)
        return
    from govcloud.operations.family import FamilyOptions

    run_split(operation, stack, FamilyOptions(only=only_codes(only), **options), fmt, yes=yes)  # type: ignore[arg-type]
