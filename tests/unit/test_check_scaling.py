"""`check` output stays linear in the city: a function shared by many departments costs one bounded
finding per system (GC-DUP-003), never a message naming the whole city."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from govcloud.policy import check
from govcloud.policy.checks.duplication import NAMED
from govcloud.policy.formats import render

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
MINI = ROOT / "tests" / "data" / "mini"
TODAY = date(2026, 6, 1)


def _department(code: str) -> str:
    """A valid general department building one hotline (the function every one of them shares)."""
    return f"""apiVersion: govcloud/v1
kind: Department
metadata:
  code: {code}
  name: 市测试局{code}
  category: general
  project: FS-2026-IT-0101
  headcount: 180
spec:
  quota: {{vcpu: 64, memoryGiB: 256, storageTiB: 10}}
  oa: {{seats: 180, storageGiB: 200, documentExchange: true}}
  site:
    host: {code}.foshan.gov.cn
    columns: [information-release, interpretation, online-services, interaction]
    ipv6: true
    storageGiB: 20
  systems:
    - name: hotline
      title: 服务热线
      function: service-hotline
      network: extranet
      mlps: 2
      compute:
        - {{role: app, count: 2, vcpu: 4, memoryGiB: 16, image: kylin-v10-server, diskGiB: 100}}
      database: {{engine: dm8, storageGiB: 200, replicas: 2}}
      backup: {{offsite: true, rpoMinutes: 60}}
"""


def _city(tmp: Path, n: int) -> Path:
    city = tmp / f"city{n}" / "blueprints"
    (city / "departments").mkdir(parents=True)
    shutil.copy(MINI / "city.yaml", city / "city.yaml")
    for i in range(n):
        code = f"d{i:04d}"
        (city / "departments" / f"{code}.yaml").write_text(_department(code), "utf-8")
    return city


def _json_per_dup_finding(city: Path) -> tuple[int, float, list[str]]:
    result = check([str(city)], policies=POLICIES, today=TODAY, cache=False)
    dup = [f for f in result.findings if f.rule == "GC-DUP-003"]
    text = render(result, "json")
    others = len(result.findings) - len(dup)
    assert others == 0, [f.line() for f in result.findings if f.rule != "GC-DUP-003"][:3]
    return len(dup), len(text.encode()) / len(dup), [f.message for f in dup]


def test_json_output_grows_linearly_with_departments_sharing_a_function(tmp_path: Path) -> None:
    small, per_small, _messages_small = _json_per_dup_finding(_city(tmp_path, 50))
    large, per_large, messages_large = _json_per_dup_finding(_city(tmp_path, 200))
    assert (small, large) == (50, 200)  # one finding for every system involved (DESIGN §4)
    # bytes per finding stay the same (a message naming every department would grow 4×)
    assert per_large < per_small * 1.05, (per_small, per_large)
    assert len(set(messages_large)) == 1  # one message for the whole group
    assert "function 'service-hotline' is built by 200 departments (d0000, d0001, d0002 and 197 more)" \
        in messages_large[0]
    assert messages_large[0].count(", ") + messages_large[0].count(" and ") <= NAMED + 1
    assert "d0199" not in messages_large[0] and "¥" in messages_large[0]


def test_sarif_junit_and_text_stay_linear_too(tmp_path: Path) -> None:
    sizes = {}
    for n in (20, 80):
        result = check([str(_city(tmp_path, n))], policies=POLICIES, today=TODAY, cache=False)
        sizes[n] = {fmt: len(render(result, fmt).encode()) / n for fmt in ("sarif", "junit", "text")}
    for fmt in ("sarif", "junit", "text"):
        assert sizes[80][fmt] < sizes[20][fmt] * 1.1, (fmt, sizes)
