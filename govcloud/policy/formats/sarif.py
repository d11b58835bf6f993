"""`--format sarif`: SARIF 2.1.0 for code-scanning tools (GitHub, GitLab, VS Code viewers)."""
from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import govcloud
from govcloud.model import Finding, Severity
from govcloud.policy.result import CheckResult
from govcloud.policy.rule import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _name(title: str) -> str:
    """SARIF wants a rule name in PascalCase: 'Private lines only…' → 'PrivateLinesOnly…'."""
    return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", title)) or "Rule"


def _descriptor(rule: Rule) -> dict[str, Any]:
    help_text = f"Basis: {rule.basis}"
    help_md = f"**Basis:** {rule.basis}"
    if rule.rationale:
        help_text += f"\n\n{rule.rationale}"
        help_md += f"\n\n{rule.rationale}"
    if rule.hint:
        help_text += f"\n\nFix: {rule.hint}"
        help_md += f"\n\n**Fix:** {rule.hint}"
    out: dict[str, Any] = {
        "id": rule.id,
        "name": _name(rule.title),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale or rule.title},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"basis": rule.basis, "tags": [rule.pack] if rule.pack else []},
    }
    if rule.help_uri:
        out["helpUri"] = rule.help_uri
    return out


def _result(f: Finding, index: int) -> dict[str, Any]:
    out: dict[str, Any] = {"ruleId": f.rule, "ruleIndex": index, "level": LEVEL[f.severity],
                           "message": {"text": f.message + (f" (hint: {f.hint})" if f.hint else "")}}
    if f.location:
        out["locations"] = [{"physicalLocation": {
            "artifactLocation": {"uri": quote(f.location.file.replace("\\", "/")), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": f.location.line, "startColumn": f.location.column},
        }}]
    out["properties"] = {"department": f.department, "system": f.system, "basis": f.basis}
    if f.waived:
        out["suppressions"] = [{"kind": "external", "status": "accepted", "justification": f.waiver or ""}]
    return out


def render_sarif(result: CheckResult) -> str:
    rules = {r.id: r for r in result.rules}
    for f in result.findings:  # a finding of a rule outside the packs still needs a descriptor
        rules.setdefault(f.rule, Rule(f.rule, f.severity, f.rule, f.basis or "govcloud"))
    ordered = sorted(rules.values(), key=lambda r: r.id)
    index = {r.id: i for i, r in enumerate(ordered)}
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "govcloud", "version": govcloud.__version__,
                                "rules": [_descriptor(r) for r in ordered]}},
            "columnKind": "unicodeCodePoints",
            "results": [_result(f, index[f.rule]) for f in result.findings],
        }],
    }
    return json.dumps(log, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
