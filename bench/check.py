#!/usr/bin/env python3
"""Policy-check throughput: blueprints/s end to end (load, validate, evaluate every rule, waivers)
for synthetic cities of 150, 1,500 and 15,000 departments (`bench/gen_city.py`).

Prints the time per blueprint at N=15,000 divided by the time at N=1,500, measured in the
same run: linear scaling (no quadratic cross-department check) gives ≈1; the target is ≤1.3.
Wall-clock time depends on what else the machine runs, so CPU seconds (this process and the
loader's worker processes) are printed too; on a shared machine their ratio is the steadier one.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gen_city import generate  # noqa: E402

from govcloud.api import check  # noqa: E402
from govcloud.load import load  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLICIES = os.path.join(ROOT, "policies")


def cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(directory: str, repeat: int) -> tuple[float, float, float, float, int, Counter[str]]:
    """Best wall and CPU seconds of check, best wall and CPU seconds of load alone, files, findings by rule."""
    best = best_cpu = best_load = best_load_cpu = float("inf")
    files, rules = 0, Counter[str]()
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), cpu()
        loaded = load([directory])
        best_load = min(best_load, time.perf_counter() - started)
        best_load_cpu = min(best_load_cpu, cpu() - started_cpu)
        files = loaded.files
        del loaded
        started, started_cpu = time.perf_counter(), cpu()
        result = check([directory], policies=POLICIES, today=date(2026, 6, 1))
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, cpu() - started_cpu)
        assert result.exit_code in (0, 1), "the synthetic city must validate"
        rules = Counter(f.rule for f in result.findings)
        del result
    return best, best_cpu, best_load, best_load_cpu, files, rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="150,1500,15000")
    args = parser.parse_args()
    per_blueprint: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            out = os.path.join(tmp, str(n))
            generate(n, out)
            seconds, cpu_seconds, load_seconds, load_cpu, files, rules = measure(out, repeat=3 if n <= 1500 else 2)
            per_blueprint[n] = (seconds / files, cpu_seconds / files)
            print(f"N={n:>6}: {files} files checked in {seconds:.2f} s = {files / seconds:,.0f} blueprints/s, "
                  f"{cpu_seconds / files * 1e3:.2f} CPU ms each (load+validate alone: {files / load_seconds:,.0f}/s, "
                  f"{load_cpu / files * 1e3:.2f} CPU ms); {sum(rules.values())} findings")
    if 1500 in per_blueprint and 15000 in per_blueprint:
        wall = per_blueprint[15000][0] / per_blueprint[1500][0]
        cpu_ratio = per_blueprint[15000][1] / per_blueprint[1500][1]
        print(f"time per blueprint, N=15,000 / N=1,500: {wall:.2f} wall, {cpu_ratio:.2f} CPU")


if __name__ == "__main__":
    main()
