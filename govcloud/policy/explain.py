"""The text of `govcloud policy explain RULE`: a rule as a reviewer needs to read it."""
from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping
from datetime import date
from typing import Any

import yaml
from rich.console import Console
from rich.text import Text

from govcloud.policy.checks import checks
from govcloud.policy.rule import BUILTIN, Rule
from govcloud.policy.scope import DERIVED
from govcloud.policy.template import Reference, lookup, references
from govcloud.policy.vocabulary import Vocabulary

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


# `approved.*` lists are product ids of policies/data/approved-products.yaml; `derived.*` that
# come from the policy data alone (the site host pattern needs the city, known at check time).
_PRODUCTS = {"images": "images", "engines": "engines", "advisoryImages": "images", "advisoryEngines": "engines"}
_FROM_DATA = {"sharedFunctions": lambda data: Vocabulary.of(data).shared_terms(),
              "functionTerms": lambda data: Vocabulary.of(data).terms()}


def _data_references(rule: Rule) -> list[Reference]:
    """The `${approved.…}`, `${data.…}` and `${derived.…}` references of a rule, in order, once each."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str) and "${" in node:
            texts.append(node)
        elif isinstance(node, list):
            for x in node:
                walk(x)
        elif isinstance(node, dict):
            for x in node.values():
                walk(x)

    for part in (rule.select, rule.exempt, rule.require, rule.each, rule.params, rule.message, rule.messages):
        walk(part)
    seen: dict[tuple[str, ...], Reference] = {}
    for text in texts:
        for ref in references(text):
            if ref.namespace in ("approved", "data", "derived") and ref.path not in seen:
                seen[ref.path] = ref
    return list(seen.values())


def _product_lines(ids: list[str], products: list[Mapping[str, Any]]) -> list[str]:
    by_id = {str(p.get("id")): p for p in products}
    lines = []
    for product_id in ids:
        p = by_id.get(product_id, {})
        lines.append(f"    {product_id:<20} expires {p.get('expires', '?')}  {p.get('name', '')}".rstrip())
    return lines


def _value_lines(value: Any) -> list[str]:
    if isinstance(value, list) and all(isinstance(v, dict) and "id" in v for v in value):
        return [f"    {v['id']:<20} {v.get('title') or v.get('name') or ''}".rstrip() for v in value]
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        wrapped = Text(", ".join(map(str, value))).wrap(_console, WIDTH - 4)
        return ["    " + line.plain.rstrip() for line in wrapped]
    return _yaml(value).rstrip("\n").replace("\n  ", "\n    ").replace("  ", "    ", 1).splitlines()


def policy_data(rule: Rule, data: Mapping[str, Any], today: date) -> str:
    """What the rule's `${…}` references to policy data stand for today: the lists themselves."""
    refs = _data_references(rule)
    if not refs:
        return ""
    text = f"Policy data, as of {today.isoformat()} (files under the policy folder)\n"
    for ref in refs:
        shown = "${" + ".".join(ref.path).replace(".[*]", "[*]") + "}"
        namespace, name = ref.path[0], ref.path[1] if len(ref.path) > 1 else ""
        if namespace == "approved" and name in DERIVED:
            ids = DERIVED[name](data, today)
            kind = _PRODUCTS.get(name, "")
            products = list((data.get("approved-products") or {}).get(kind) or ())
            text += f"  {shown} = {kind} listed today in data/approved-products.yaml:\n"
            text += "\n".join(_product_lines(ids, products) or ["    (none)"]) + "\n"
            lapsed = [p for p in products if p.get("id") not in ids
                      and bool(p.get("advisory", False)) is name.startswith("advisory")
                      and str(p.get("expires", "9999-12-31")) < today.isoformat()]
            for p in lapsed:
                text += f"    not current: {p.get('id')} (expired {p.get('expires')})\n"
        elif namespace == "derived" and name in _FROM_DATA:
            text += f"  {shown} = from data/functions.yaml:\n" + "\n".join(_value_lines(_FROM_DATA[name](data))) + "\n"
        elif namespace == "derived":
            text += f"  {shown} = computed from the city's blueprints when the check runs\n"
        else:
            value = lookup({"data": data}, ref.path)
            source = f"data/{name}.yaml" if name else "data/"
            if not isinstance(value, (list, dict, str, int, float, bool)):
                text += f"  {shown} = not in {source}\n"
                continue
            text += f"  {shown} = from {source}:\n" + "\n".join(_value_lines(value)) + "\n"
    return text + "\n"


def explain_rule(rule: Rule, data: Mapping[str, Any] | None = None, today: date | None = None) -> str:
    """The text of `policy explain`; with the policy folder's `data`, references to it are shown resolved."""
    head = f"{rule.id} · {rule.severity.value} · pack {rule.pack}\n{rule.title}\n"
    head += f"{rule.title_zh}\n\n" if rule.title_zh else "\n"
    body = _quotations(rule) if rule.citations or rule.policy else _para("Basis", rule.basis)
    body += _para("Why", rule.rationale) + _para("Fix", rule.hint)
    body += "How it is checked\n" + how_checked(rule) + "\n"
    if data is not None:
        body += policy_data(rule, data, today or date.today())
    examples = ""
    if rule.examples:
        note = "(a merge patch over a compliant department blueprint; null removes a key)"
        examples += f"Failing example {note}\n" + textwrap.indent(rule.examples["fail"].rstrip(), "  ") + "\n\n"
        examples += "Passing example\n" + textwrap.indent(rule.examples["pass"].rstrip(), "  ") + "\n"
    return head + body + examples
