"""`govcloud policy list|explain`: the rule catalogue, with each rule's basis and examples."""
from __future__ import annotations

import difflib
import json
from enum import Enum
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from govcloud.cli.context import handles_errors, out, parse_today
from govcloud.errors import GovcloudError
from govcloud.policy import PolicySet, load_policies
from govcloud.policy.explain import explain_rule

policy_app = typer.Typer(
    name="policy",
    help="List the policy rules and explain one: basis, rationale and examples.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

PoliciesOption = Annotated[str | None, typer.Option(
    "--policies", help="Policy folder (default: the project's policies/).")]


class Format(str, Enum):
    text = "text"
    json = "json"


def _policies(folder: str | None) -> PolicySet:
    from govcloud.policy import default_policy_dir
    from govcloud.policy.inputs import shown

    policies = load_policies(folder if folder is not None else shown(default_policy_dir([])))
    if policies.problems:
        first = policies.problems[0]
        raise GovcloudError(first.message + (f" (and {len(policies.problems) - 1} more)"
                                             if len(policies.problems) > 1 else ""),
                            rule=first.rule, location=first.location, hint=first.hint)
    return policies


@policy_app.command("list")
@handles_errors
def list_command(
    policies: PoliciesOption = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.text,
) -> None:
    """List every rule: id, severity, pack and title (English, then Chinese).

    Example:

        govcloud policy list --format json | jq -r '.[].id'
    """
    rules = _policies(policies).rules
    if format is Format.json:
        typer.echo(json.dumps([r.to_json() for r in rules], ensure_ascii=False, indent=2, allow_nan=False))
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("rule", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("pack", no_wrap=True)
    table.add_column("title", overflow="fold")
    for r in rules:
        table.add_row(r.id, r.severity.value, r.pack, r.title + (f"\n{r.title_zh}" if r.title_zh else ""))
    out.print(table)
    out.print(f"{len(rules)} rules; `govcloud policy explain RULE` for one rule's basis and examples")


@policy_app.command("explain")
@handles_errors
def explain_command(
    rule: Annotated[str, typer.Argument(help="A rule id, e.g. GC-NET-001.")],
    policies: PoliciesOption = None,
    today: Annotated[str | None, typer.Option(
        "--today", help="Show the policy data (e.g. product listings) as of YYYY-MM-DD.")] = None,
) -> None:
    """Explain a rule: its basis, why it exists, how it is checked, and a failing and a passing example.

    Where the rule names policy data (`${approved.images}`, `${data.…}`), the data itself is
    shown: e.g. the approved products with their listing and expiry dates.

    Example:

        govcloud policy explain GC-SEC-001
    """
    policy_set = _policies(policies)
    found = policy_set.rule(rule.upper())
    if found is None:
        close = difflib.get_close_matches(rule.upper(), sorted(policy_set.ids), n=1)
        raise GovcloudError(f"unknown rule {rule}", rule="GC-USAGE",
                            hint=f"did you mean {close[0]}?" if close else "see `govcloud policy list`")
    typer.echo(explain_rule(found, policy_set.data, parse_today(today)), nl=False)
