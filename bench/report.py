#!/usr/bin/env python3
"""Report time and size for a synthetic city: `bench/report.py [--sizes 1500]`.

Measures what `govcloud report --output report.html` does — check (which loads the
blueprints), consolidate, render — phase by phase, and the size of the HTML file.
The targets at 1,500 departments: under 5 s and under 5 MB.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gen_city import generate

from govcloud.api import check
from govcloud.load import load
from govcloud.report import build_report, render_report_html

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECONDS, MEGABYTES = 5.0, 5.0


def measure(directory: str, repeat: int) -> dict[str, float]:
    """Best of `repeat` runs of what `govcloud.api.report` does, phase by phase."""
    best: dict[str, float] = {"total": float("inf")}
    for _ in range(repeat):
        t0 = time.perf_counter()
        load([directory])                     # shown apart: check() loads the blueprints itself
        t1 = time.perf_counter()
        checked = check([directory], policies=os.path.join(ROOT, "policies"))
        t2 = time.perf_counter()
        assert checked.project is not None, "the synthetic city must validate"
        result = build_report(checked.project, checked.findings, checked.duplicates, catalogue=checked.rules)
        t3 = time.perf_counter()
        page = render_report_html(result).encode("utf-8")
        t4 = time.perf_counter()
        run = {"load": t1 - t0, "check": t2 - t1, "consolidate": t3 - t2, "render": t4 - t3,
               "total": t4 - t1, "bytes": len(page), "findings": len(result.findings)}
        if run["total"] < best["total"]:
            best = run
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1500")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            out = os.path.join(tmp, str(n))
            generate(n, out)
            m = measure(out, args.repeat)
            mb = m["bytes"] / 1e6
            ok = m["total"] < SECONDS and mb < MEGABYTES
            failed |= not ok
            print(f"N={n:>6}: report {m['total']:.2f} s = check {m['check']:.2f} s (loading alone: "
                  f"{m['load']:.2f} s) + consolidate {m['consolidate']:.2f} s + render {m['render']:.2f} s; "
                  f"{mb:.2f} MB HTML, {m['findings']:,.0f} findings: {'ok' if ok else 'OVER BUDGET'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
