"""`--format junit`: one test case per department × rule, for CI dashboards.

A case fails when the rule has an unwaived finding at or above `--fail-on`; lower findings
are listed in its output; a case whose findings are all waived is skipped.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from govcloud.model import Finding
from govcloud.policy.checks import EVALUATE, checks
from govcloud.policy.result import CheckResult
from govcloud.policy.rule import DECLARATIVE, Rule

CITY = "city"
INPUTS = "inputs"


def _scope(rule: Rule) -> str | None:
    """'department' or 'city' for rules evaluated on every check; None for input/waiver rules."""
    if rule.kind == DECLARATIVE:
        return CITY if rule.resource == "city" else "department"
    check = checks.get(rule.check or "")
    if check is None or check.stage != EVALUATE:
        return None
    return CITY if check.scope == "city" else "department"


def _case(suite: ET.Element, name: str, rule_id: str, title: str, findings: list[Finding],
          result: CheckResult) -> tuple[int, int]:
    case = ET.SubElement(suite, "testcase", classname=f"govcloud.{name}", name=f"{rule_id} {title}".strip())
    lines = [f"{f.line()}" + (" [waived]" if f.waived else "") for f in findings]
    failing = [f for f in findings if not f.waived and f.severity.rank <= result.fail_on.rank]
    if failing:
        failure = ET.SubElement(case, "failure", type=failing[0].severity.value, message=failing[0].message)
        failure.text = "\n".join(lines)
        return 1, 0
    if findings and all(f.waived for f in findings):
        ET.SubElement(case, "skipped", message="waived: " + "; ".join(f.waiver or "" for f in findings))
        return 0, 1
    if lines:
        ET.SubElement(case, "system-out").text = "\n".join(lines)
    return 0, 0


def render_junit(result: CheckResult) -> str:
    by_key: dict[tuple[str, str], list[Finding]] = {}
    for f in result.findings:
        by_key.setdefault((f.department or (CITY if f.rule not in ("GC-SCHEMA", "GC-POLICY") else INPUTS), f.rule),
                          []).append(f)
    titles = {r.id: r.title for r in result.rules}
    scoped = [(r, _scope(r)) for r in result.rules]
    suites: dict[str, list[str]] = {}
    for code in result.departments:
        suites[code] = [r.id for r, s in scoped if s == "department"]
    city_rules = [r.id for r, s in scoped if s == CITY]
    if city_rules:
        suites[CITY] = city_rules
    for (name, rule_id) in by_key:  # findings of rules outside the per-department set
        ids = suites.setdefault(name, [])
        if rule_id not in ids:
            ids.append(rule_id)
    root = ET.Element("testsuites", name="govcloud check")
    total = failed = skipped = 0
    for name in sorted(suites, key=lambda n: (n in (CITY, INPUTS), n)):
        suite = ET.SubElement(root, "testsuite", name=name)
        tests = fails = skips = 0
        for rule_id in sorted(suites[name]):
            failure, skip = _case(suite, name, rule_id, titles.get(rule_id, ""), by_key.get((name, rule_id), []),
                                  result)
            tests, fails, skips = tests + 1, fails + failure, skips + skip
        suite.set("tests", str(tests))
        suite.set("failures", str(fails))
        suite.set("errors", "0")
        suite.set("skipped", str(skips))
        total, failed, skipped = total + tests, failed + fails, skipped + skips
    root.set("tests", str(total))
    root.set("failures", str(failed))
    root.set("errors", "0")
    root.set("skipped", str(skipped))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
