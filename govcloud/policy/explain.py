"""The text of `govcloud policy explain RULE`: a rule as a reviewer needs to read it."""
from __future__ import annotations

import io
import textwrap

import yaml
from rich.console import Console
from rich.text import Text

from govcloud.policy.checks import checks
from govcloud.policy.rule import BUILTIN, Rule

WIDTH = 80


_console = Console(width=WIDTH, file=io.StringIO(), color_system=None)


def _para(label: str, text: str) -> str:
    if not text:
        return ""
    # rich measures terminal cells, so Chinese (two cells a character) wraps at 80 columns too
    lines = Text(" ".join(text.split())).wrap(_console, WIDTH - 2)
    body = "\n".join("  " + line.plain.rstrip() for line in lines)
    return f"{label}\n{body}\n\n"


def _yaml(data: object) -> str:
    return textwrap.indent(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=WIDTH - 4).rstrip(),
                           "  ") + "\n"


def how_checked(rule: Rule) -> str:
    if rule.kind == BUILTIN:
        check = checks.get(rule.check or "")
        text = f"  built-in check '{rule.check}'" + (f": {check.doc}" if check and check.doc else "") + "\n"
        if rule.params:
            text += "  params:\n" + textwrap.indent(_yaml(rule.params), "  ")
        return text
    text = f"  each {rule.resource}" + (", once per item of " + str(rule.each) if rule.each is not None else "") + "\n"
    for label, part in (("selected when", rule.select), ("exempt when", rule.exempt)):
        if part:
            text += f"  {label}:\n" + textwrap.indent(_yaml(part), "  ")
    text += "  must satisfy:\n" + textwrap.indent(_yaml(rule.require), "  ")
    return text


def _quotations(rule: Rule) -> str:
    """Basis: each quotation word for word with its document and clause, then the city's own policy."""
    text = "Basis (quotations are the exact words of the document)\n"
    for c in rule.citations:
        lines = Text(f"“{c.quote}”").wrap(_console, WIDTH - 6)
        text += f"  {c.title or c.source} · {c.clause}\n" + "\n".join("    " + x.plain.rstrip() for x in lines) + "\n"
    if rule.policy:
        policy = rule.policy.removeprefix("City policy: ")
        lines = Text("City policy (not a quotation): " + " ".join(policy.split())).wrap(_console, WIDTH - 2)
        text += "\n".join("  " + x.plain.rstrip() for x in lines) + "\n"
    return text + "\n"


def explain_rule(rule: Rule) -> str:
    head = f"{rule.id} · {rule.severity.value} · pack {rule.pack}\n{rule.title}\n\n"
    body = _quotations(rule) if rule.citations or rule.policy else _para("Basis", rule.basis)
    body += _para("Why", rule.rationale) + _para("Fix", rule.hint)
    body += "How it is checked\n" + how_checked(rule) + "\n"
    examples = ""
    if rule.examples:
        note = "(a merge patch over a compliant department blueprint; null removes a key)"
        examples += f"Failing example {note}\n" + textwrap.indent(rule.examples["fail"].rstrip(), "  ") + "\n\n"
        examples += "Passing example\n" + textwrap.indent(rule.examples["pass"].rstrip(), "  ") + "\n"
    return head + body + examples
