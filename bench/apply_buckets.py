"""Applying 200 buckets: the embedded engine vs. the best plain boto3 script, on the sandbox.

The engine applies a program of N `govcloud:storage:Bucket` resources (a full `up`: lock,
state, journal, provider calls). The baseline makes the same API calls the bucket
provider makes for a new bucket (head_bucket, create_bucket, put_bucket_tagging) from a
pool of 32 threads over one shared client, with nothing else. Both run in fresh
processes against one fresh sandbox (a moto server of this benchmark's own), with unique
bucket names per run; figures are the best of --repeat runs. The engine's peak RSS is
its process's maximum resident set.

    python bench/apply_buckets.py [--count 200] [--repeat 3] [--threads 32] [--parallel 16]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REGION = "cn-north-1"
TAGS = {"gov:department": "bench", "gov:system": "buckets", "gov:mlps": "2", "gov:classified": "false",
        "gov:project": "FS-2026-IT-0001", "gov:stack": "bench", "managed-by": "govcloud"}
TARGET = 1.25


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _count_calls(endpoint: str) -> Callable[[], int]:
    """Counts the API calls made through the shared S3 client (both sides use it)."""
    from govcloud.cloud import clients

    calls = [0]
    lock = threading.Lock()

    def count(**_: Any) -> None:
        with lock:
            calls[0] += 1

    clients.client("s3", REGION, endpoint).meta.events.register("before-call.s3", count)
    return lambda: calls[0]


def engine_run(endpoint: str, prefix: str, count: int, parallel: int) -> dict[str, float]:
    import pulumi

    from govcloud.engine import Engine, StateStore
    from govcloud.program.program import catalogue_factory

    calls = _count_calls(endpoint)

    def program() -> None:
        # The factory the city's program uses (it also keeps the SDK's pickler from nesting).
        for i in range(count):
            catalogue_factory("govcloud:storage:Bucket", f"bucket-{i:04d}",
                              {"name": f"{prefix}-{i:04d}", "region": REGION, "tags": TAGS},
                              endpoint, pulumi.ResourceOptions())

    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine("bench", "buckets", program, StateStore(Path(tmp) / "buckets.db"),
                        passphrase="bench", parallel=parallel)
        started, cpu = time.perf_counter(), time.process_time()
        result = engine.up()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert result.ok and result.summary.create == count + 1, (result.error, result.summary)  # + the stack
    return {"seconds": seconds, "cpu": cpu, "calls": calls(), "peak_mb": _peak_mb()}


def baseline_run(endpoint: str, prefix: str, count: int, threads: int) -> dict[str, float]:
    from botocore.exceptions import ClientError

    from govcloud.cloud import clients
    from govcloud.cloud import tags as tagging

    s3 = clients.client("s3", REGION, endpoint)
    calls = _count_calls(endpoint)
    tag_set = {"TagSet": tagging.to_aws(TAGS)}

    def one(i: int) -> None:
        name = f"{prefix}-{i:04d}"
        with contextlib.suppress(ClientError):  # not there yet: the provider's adoption check finds nothing
            s3.head_bucket(Bucket=name)
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket=name, Tagging=tag_set)

    s3.list_buckets()  # build the client's connection pool before the clock starts
    before = calls()
    started, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(count)))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "calls": calls() - before, "peak_mb": _peak_mb()}


def _child(mode: str, endpoint: str, prefix: str, args: argparse.Namespace) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, endpoint, prefix, "--count", str(args.count),
         "--threads", str(args.threads), "--parallel", str(args.parallel)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), "AWS_ACCESS_KEY_ID": "sandbox",
             "AWS_SECRET_ACCESS_KEY": "sandbox", "AWS_CONFIG_FILE": os.devnull,
             "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "NO_PROXY": "127.0.0.1"},
    )
    if done.returncode != 0:
        raise SystemExit(f"the {mode} run failed:\n{done.stderr[-3000:]}")
    out = done.stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--threads", type=int, default=32, help="the baseline's thread pool")
    parser.add_argument("--parallel", type=int, default=16, help="the engine's parallelism")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "ENDPOINT", "PREFIX"))
    args = parser.parse_args()
    if args.child:
        mode, endpoint, prefix = args.child
        figures = (engine_run(endpoint, prefix, args.count, args.parallel) if mode == "engine"
                   else baseline_run(endpoint, prefix, args.count, args.threads))
        print(json.dumps(figures))
        return 0

    sys.path.insert(0, str(ROOT))
    from govcloud.cloud import sandbox

    with tempfile.TemporaryDirectory() as tmp:
        info = sandbox.up(Path(tmp), seed=False)
        assert info.endpoint
        try:
            runs: dict[str, list[dict[str, float]]] = {"baseline": [], "engine": []}
            for round_ in range(args.repeat):
                for mode in ("baseline", "engine"):  # interleaved: both see the same sandbox load
                    figures = _child(mode, info.endpoint, f"bench-{mode[0]}{round_}-{os.getpid()}", args)
                    runs[mode].append(figures)
                    print(f"  run {round_ + 1} {mode:<8} {figures['seconds']:6.2f} s  "
                          f"(cpu {figures['cpu']:5.2f} s)  {int(figures['calls'])} calls", flush=True)
        finally:
            sandbox.down(Path(tmp))
    best = {mode: min(r["seconds"] for r in rs) for mode, rs in runs.items()}
    ratio = best["engine"] / best["baseline"]
    peak = max(r["peak_mb"] for r in runs["engine"])
    print(f"{args.count} buckets: engine {best['engine']:.2f} s (parallel {args.parallel}), "
          f"boto3 baseline {best['baseline']:.2f} s ({args.threads} threads), "
          f"ratio {ratio:.2f}x (target <= {TARGET}x); engine peak RSS {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
