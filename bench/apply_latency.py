"""Parallel vs. serial apply when every cloud call takes 50 ms more (a far-away cloud).

A FaultProxy on 127.0.0.1 in front of a sandbox of this benchmark's own adds --latency
seconds to every call (no errors). The program is --levels levels of --width buckets, each
bucket depending on one in the level before (a dependency depth of --levels). It is
applied once with parallel=1 and once with the engine's default parallelism, each in a
fresh process with its own bucket names; the figure is serial time / parallel time.

    python bench/apply_latency.py [--levels 6] [--width 20] [--latency 0.05]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGION = "cn-north-1"
TAGS = {"gov:department": "bench", "gov:system": "latency", "gov:mlps": "2", "gov:classified": "false",
        "gov:project": "FS-2026-IT-0001", "gov:stack": "bench", "managed-by": "govcloud"}
TARGET = 6.0


def engine_run(endpoint: str, prefix: str, levels: int, width: int, parallel: int) -> dict[str, float]:
    import pulumi

    from govcloud.engine import Engine, StateStore
    from govcloud.program.program import catalogue_factory

    def program() -> None:
        previous: list[pulumi.CustomResource] = []
        for level in range(levels):
            current = []
            for i in range(width):
                opts = pulumi.ResourceOptions(depends_on=[previous[i]] if previous else [])
                current.append(catalogue_factory(
                    "govcloud:storage:Bucket", f"l{level}-b{i:03d}",
                    {"name": f"{prefix}-l{level}-b{i:03d}", "region": REGION, "tags": TAGS},
                    endpoint, opts))
            previous = current

    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine("bench", "latency", program, StateStore(Path(tmp) / "latency.db"),
                        passphrase="bench", parallel=parallel)
        started = time.perf_counter()
        result = engine.up()
        seconds = time.perf_counter() - started
    assert result.ok and result.summary.create == levels * width + 1, (result.error, result.summary)
    return {"seconds": seconds}


def _child(endpoint: str, prefix: str, parallel: int, args: argparse.Namespace) -> float:
    done = subprocess.run(
        [sys.executable, __file__, "--child", endpoint, prefix, str(parallel),
         "--levels", str(args.levels), "--width", str(args.width)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), "AWS_ACCESS_KEY_ID": "sandbox",
             "AWS_SECRET_ACCESS_KEY": "sandbox", "AWS_CONFIG_FILE": os.devnull,
             "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "NO_PROXY": "127.0.0.1"},
    )
    if done.returncode != 0:
        raise SystemExit(f"the parallel={parallel} run failed:\n{done.stderr[-3000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", type=int, default=6)
    parser.add_argument("--width", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every call")
    parser.add_argument("--child", nargs=3, metavar=("ENDPOINT", "PREFIX", "PARALLEL"))
    args = parser.parse_args()
    if args.child:
        endpoint, prefix, parallel = args.child
        print(json.dumps(engine_run(endpoint, prefix, args.levels, args.width, int(parallel))))
        return 0

    sys.path.insert(0, str(ROOT))
    from govcloud.cloud import sandbox
    from govcloud.engine import DEFAULT_PARALLEL
    from tests.support.faultproxy import FaultProxy

    count = args.levels * args.width
    with tempfile.TemporaryDirectory() as tmp:
        info = sandbox.up(Path(tmp), seed=False)
        assert info.endpoint
        try:
            with FaultProxy(info.endpoint, error_rate=0.0, latency=args.latency) as proxy:
                tag = f"{os.getpid()}"
                serial = _child(proxy.endpoint, f"lat-s{tag}", 1, args)
                calls = proxy.forwarded
                parallel = _child(proxy.endpoint, f"lat-p{tag}", DEFAULT_PARALLEL, args)
        finally:
            sandbox.down(Path(tmp))
    ratio = serial / parallel
    print(f"{count} buckets in {args.levels} dependent levels, {calls} calls, +{args.latency * 1000:.0f} ms "
          f"per call: serial (parallel=1) {serial:.2f} s, parallel={DEFAULT_PARALLEL} {parallel:.2f} s, "
          f"speed-up {ratio:.1f}x (target >= {TARGET:.0f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
