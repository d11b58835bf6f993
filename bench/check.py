#!/usr/bin/env python3
"""`govcloud check` at city scale: CPU time against a bare libyaml load, peak memory, output size,
and the incremental re-check, for synthetic cities of 1,500 and 15,000 departments.

The city is `bench/gen_city.py`'s: its systems name functions by the city's vocabulary
(policies/data/functions.yaml), ~5 % of terms are left unknown (GC-STD-002) and every
department's open-data system shares one function, so hundreds to thousands of departments
form one GC-DUP-003 group.

Each figure is measured in a fresh process, CPU seconds of the process and its loader workers
(user + system, from wait4), the best of several runs (the machine may be shared: wall time is
printed but not compared):

- bare:        yaml.load_all(CSafeLoader) of every file, one core: the floor of reading the city;
- cold:        check --format json with --no-cache (parse, validate, evaluate, render, write);
- cold+store:  the same with an empty cache, which it fills;
- warm:        the same again, nothing changed;
- incremental: one department's file changed, then checked again (÷ cold: the incremental ratio).

The check processes run the library's check and JSON rendering (`govcloud.api.check`); the CLI's
own start-up (importing every command) is measured once and printed apart.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gen_city import generate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POLICIES = os.path.join(ROOT, "policies")
TODAY = "2026-06-01"

BARE = """
import os, sys, yaml
for top, _, names in os.walk(sys.argv[1]):
    for name in names:
        if name.endswith((".yaml", ".yml")) and ".govcloud" not in top:
            with open(os.path.join(top, name), "rb") as fh:
                list(yaml.load_all(fh.read().decode("utf-8"), Loader=yaml.CSafeLoader))
"""

CHECK = """
import sys
from datetime import date
from govcloud.api import check
from govcloud.policy.formats import iter_json
result = check([sys.argv[1]], policies=sys.argv[2], today=date.fromisoformat(sys.argv[3]),
               cache=sys.argv[5] == "cache")
with open(sys.argv[4], "w", encoding="utf-8") as fh:
    fh.writelines(iter_json(result))  # streamed, as `govcloud check --format json -o FILE` writes it
print(len(result.findings), sum(f.rule == "GC-DUP-003" for f in result.findings))
"""


@dataclass(frozen=True)
class Run:
    cpu: float        # seconds, the process and its children
    wall: float
    rss_mib: float    # peak resident set of the process (or its largest child)
    out: str


def run(args: list[str]) -> Run:
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])}… failed ({proc.returncode}): {err[-2000:]}")
    return Run(usage.ru_utime + usage.ru_stime, time.perf_counter() - started, usage.ru_maxrss / 1024, out)


def best(args: list[str], repeat: int, before: object = None) -> Run:
    runs = []
    for _ in range(repeat):
        if callable(before):
            before()
        runs.append(run(args))
    return min(runs, key=lambda r: r.cpu)


def change_one(city: str, round_: int) -> None:
    """A reviewer's edit: one department's headcount changes (a new value every round)."""
    path = os.path.join(city, "departments", "d00007.yaml")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(re.sub(r"headcount: \d+", f"headcount: {100 + round_}", text, count=1))


def measure(n: int, tmp: str, repeat: int, policies: str) -> None:
    city = os.path.join(tmp, f"city{n}")
    generate(n, city)
    out = os.path.join(tmp, f"check{n}.json")
    cache = os.path.join(city, ".govcloud")
    py = sys.executable
    check = [py, "-c", CHECK, city, policies, TODAY, out]
    bare = best([py, "-c", BARE, city], repeat)
    cold = best(check + ["no-cache"], repeat)
    size = os.path.getsize(out)
    findings, dup = (int(x) for x in cold.out.split())
    stored = best(check + ["cache"], repeat, before=lambda: shutil.rmtree(cache, ignore_errors=True))
    warm = best(check + ["cache"], repeat)
    rounds = iter(range(1_000))
    incremental = best(check + ["cache"], repeat, before=lambda: change_one(city, next(rounds)))
    print(f"N={n:,} departments: {findings:,} findings ({dup:,} GC-DUP-003), JSON {size:,} bytes "
          f"({size / max(findings, 1):,.0f} bytes a finding)")
    print(f"  bare libyaml load  {bare.cpu:6.2f} s CPU  {bare.wall:6.2f} s wall  {bare.rss_mib:6.0f} MiB peak")
    for name, r in (("check, no cache", cold), ("check, filling", stored), ("check, warm", warm),
                    ("check, 1 changed", incremental)):
        print(f"  {name:<18} {r.cpu:6.2f} s CPU  {r.wall:6.2f} s wall  {r.rss_mib:6.0f} MiB peak  "
              f"{r.cpu / bare.cpu:5.2f}x bare")
    print(f"  CPU ratio to the bare load: {cold.cpu / bare.cpu:.2f} (no cache), {stored.cpu / bare.cpu:.2f} "
          f"(filling the cache); incremental ratio (1 file changed / cold): {incremental.cpu / cold.cpu:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1500,15000")
    parser.add_argument("--repeat", type=int, default=0, help="runs per figure (default: 3, 2 at 15,000)")
    parser.add_argument("--policies", default=POLICIES, help="policy folder (default: the repository's)")
    args = parser.parse_args()
    startup = best([os.path.join(os.path.dirname(sys.executable), "govcloud"), "check", "--help"], 3)
    print(f"CLI start-up (govcloud check --help): {startup.cpu:.2f} s CPU, not counted below")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            measure(n, tmp, args.repeat or (3 if n <= 1500 else 2), args.policies)


if __name__ == "__main__":
    main()
