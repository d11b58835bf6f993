"""Per-step cost of stack state: the s3:// backend against file://, at 1,000 and 5,000 steps.

Each measurement is the first `up` of a synthetic city (bench/engine_providers.py: providers
that answer at once, so the state's cost is not hidden behind a cloud's) in a fresh
process: on a file:// backend in a temp folder, on an s3:// backend (a bucket on a moto
server of this run's own, on 127.0.0.1, standing in for the city's object storage), and on
an in-memory store that persists nothing — the baseline measured in the same run. Every
step is journaled before the run goes on; the checkpoint is written once at the end.

Figures, per size: milliseconds per step of the whole apply for each store; the s3 ÷ file
ratio of that (target ≤ 1.5); the state's own cost per step (the store's time minus the
in-memory baseline's); and that cost at the largest size ÷ at the smallest (target ≤ 1.2: no
rewrite of the whole checkpoint per step, which would be quadratic — the SDK's own
per-resource cost grows with the program, so whole-apply time is not the measure of that).

    python bench/state_backends.py [--sizes 1000 5000] [--parallel 16] [--repeat 2]
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
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def measure(url: str, count: int, parallel: int) -> dict[str, Any]:
    sys.path[:0] = [str(ROOT), str(HERE)]
    from engine_providers import city

    from govcloud.engine import Engine, StateStore
    from govcloud.engine.blobstore import open_store

    with tempfile.TemporaryDirectory() as tmp:
        from govcloud.engine.blobstore import MemoryBlobStore

        blobs_ = MemoryBlobStore() if url == "memory" else open_store(url.replace("TMP", tmp), tmp)
        store = StateStore(blobs_, stack=f"bench{count}")
        written: list[int] = []
        blobs = store.blobs
        original = blobs.write

        def counting(key: str, data: bytes) -> None:
            written.append(len(data))
            original(key, data)

        blobs.write = counting  # type: ignore[method-assign]
        engine = Engine("govcloud", f"bench{count}", city(count), store, passphrase="bench", parallel=parallel)
        started, cpu = time.perf_counter(), time.process_time()
        result = engine.up()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        assert result.ok, result.error
        steps = len(result.steps)
        checkpoint = len(blobs.read(store.checkpoint_key) or b"")
        return {"steps": steps, "seconds": seconds, "cpu": cpu_seconds, "objects": len(written),
                "bytes": sum(written), "checkpoint_bytes": checkpoint}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=2, help="best of this many runs")
    parser.add_argument("--child", nargs=2, metavar=("URL", "COUNT"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], int(args.child[1]), args.parallel)))
        return 0

    sys.path.insert(0, str(ROOT))
    from govcloud.cloud import clients, sandbox

    env = {**os.environ, **sandbox.CREDENTIALS, "PYTHONPATH": str(ROOT),
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    os.environ.update(sandbox.CREDENTIALS)
    with tempfile.TemporaryDirectory() as tmp:
        info = sandbox.up(Path(tmp) / "storage", None)
        assert info.endpoint
        try:
            s3 = clients.client("s3", sandbox.PRIMARY_REGION, info.endpoint)
            s3.create_bucket(Bucket="bench-state",
                             CreateBucketConfiguration={"LocationConstraint": sandbox.PRIMARY_REGION})
            urls = {"memory": "memory", "file": "file://TMP/state",
                    "s3": f"s3://bench-state/run?endpoint={info.endpoint}&region={sandbox.PRIMARY_REGION}"
                          "&s3ForcePathStyle=true"}
            print(f"{'steps':>6}  {'backend':>7}  {'ms/step':>8}  {'cpu ms/step':>11}  {'objects':>7}  "
                  f"{'bytes/step':>10}  {'checkpoint KB':>13}", flush=True)
            per_step: dict[tuple[str, int], float] = {}
            for count in args.sizes:
                for name, url in urls.items():
                    best: dict[str, Any] | None = None
                    for attempt in range(args.repeat):
                        out = subprocess.run(
                            [sys.executable, __file__, "--child", url.replace("/run?", f"/run{count}-{attempt}?"),
                             str(count), "--parallel", str(args.parallel)],
                            check=True, capture_output=True, text=True, env=env).stdout
                        figures = json.loads(out.strip().splitlines()[-1])
                        if best is None or figures["seconds"] < best["seconds"]:
                            best = figures
                    assert best is not None
                    ms = 1000 * best["seconds"] / best["steps"]
                    per_step[(name, count)] = ms
                    print(f"{best['steps']:>6}  {name:>7}  {ms:>8.3f}  {1000 * best['cpu'] / best['steps']:>11.3f}  "
                          f"{best['objects']:>7}  {best['bytes'] / best['steps']:>10.0f}  "
                          f"{best['checkpoint_bytes'] / 1024:>13.0f}", flush=True)
            for count in args.sizes:
                print(f"whole apply, s3 ÷ file at {count}: "
                      f"{per_step[('s3', count)] / per_step[('file', count)]:.2f}x (target ≤ 1.5)")
            small, large = min(args.sizes), max(args.sizes)
            for name in ("file", "s3"):
                cost = {n: max(per_step[(name, n)] - per_step[("memory", n)], 1e-3) for n in (small, large)}
                print(f"{name}: state cost {cost[small]:.3f} ms/step at {small}, {cost[large]:.3f} at {large}:"
                      f" {cost[large] / cost[small]:.2f} (target ≤ 1.2); whole apply "
                      f"{per_step[(name, large)] / per_step[(name, small)]:.2f}, in-memory baseline "
                      f"{per_step[('memory', large)] / per_step[('memory', small)]:.2f}")
        finally:
            sandbox.down(Path(tmp) / "storage")
    return 0


if __name__ == "__main__":
    sys.exit(main())
