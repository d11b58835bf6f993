#!/usr/bin/env python3
"""Validation throughput: blueprints/s for synthetic cities of 150, 1,500 and 15,000 departments.

Prints the time per blueprint at N=15,000 divided by the time at N=1,500, measured in
the same run: linear scaling gives ≈1.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gen_city import generate

from govcloud.load import load


def measure(directory: str, repeat: int) -> tuple[float, int]:
    best = float("inf")
    files = 0
    for _ in range(repeat):
        started = time.perf_counter()
        result = load([directory])
        best = min(best, time.perf_counter() - started)
        files = result.files
        assert result.project is not None, "the synthetic city must validate"
    return best, files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="150,1500,15000")
    args = parser.parse_args()
    per_blueprint: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            out = os.path.join(tmp, str(n))
            generate(n, out)
            seconds, files = measure(out, repeat=3 if n <= 1500 else 1)
            per_blueprint[n] = seconds / files
            print(f"N={n:>6}: {files} files in {seconds:.2f} s = {files / seconds:,.0f} blueprints/s")
    if 1500 in per_blueprint and 15000 in per_blueprint:
        print(f"time per blueprint, N=15,000 / N=1,500: {per_blueprint[15000] / per_blueprint[1500]:.2f}")


if __name__ == "__main__":
    main()
