"""`check --format json` is exactly the standard encoder's envelope, however it is produced."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from govcloud.model import Finding, Location, Severity
from govcloud.policy import check
from govcloud.policy.formats import iter_json, render_json
from govcloud.policy.result import CheckResult, CheckSummary

ROOT = Path(__file__).resolve().parents[2]


def _standard(result: CheckResult) -> str:
    envelope = {"findings": [f.to_json() for f in result.findings], "summary": result.summary.to_json()}
    return json.dumps(envelope, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def test_the_streamed_envelope_is_the_standard_encoders_text() -> None:
    result = check([str(ROOT / "tests" / "data" / "mini")], policies=ROOT / "policies", today=date(2026, 6, 1),
                   cache=False)
    edge = [
        Finding("GC-CAP-002", Severity.ERROR, "城市 \"quoted\" \\ back\nslash\t" + "长" * 60, None),
        Finding("GC-DUP-003", Severity.WARNING, "x" * 47, Location("a/部门.yaml", 3, 9), "gaj", "oa",
                basis="《条例》" * 20, waived=True),
        Finding("GC-STD-002", Severity.INFO, "", Location("b.yaml", 1, 1), None, "s", basis="\u2028\x00"),
    ]
    findings = (*result.findings, *edge, *edge)  # a long string twice: memoized, the same text
    for one in (result, replace(result, findings=findings, summary=CheckSummary.of(findings, 2)),
                replace(result, findings=(), summary=CheckSummary.of((), 0))):
        assert render_json(one) == "".join(iter_json(one)) == _standard(one)
