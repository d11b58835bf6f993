"""kill -9 `govcloud apply` at random moments, many times: the suite's crash test, longer.

Each trial starts from an empty sandbox and state and kills the apply at a random moment:
once its state records a seeded number of the resources a whole apply makes (between 1 and
all but one, counted by one uninterrupted apply first). It reads the state as the kill left
it (some resources made, not all: a trial that did not land mid-run counts as a failure),
applies again, applies a third time (which must change nothing), then compares the sandbox with
the state: orphans (govcloud resources the state does not hold), duplicates (two cloud
resources for one resource) and dangling state. The harness is the suite's
(tests/integration/test_robust_apply.py); the sandbox is a moto server of this run's own.

With `--backend s3`, the stack's state lives in a bucket on a second moto server (the
city's object storage), as a team would keep it; every trial also checks that no generated
secret was lost.

    python bench/crash.py [--trials 50] [--seed 1] [--departments gzw swj tjj] [--backend file|s3]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govcloud.cloud import clients, sandbox  # noqa: E402  (after the sys.path line above)
from tests.integration.cloud_harness import start_sandbox  # noqa: E402
from tests.integration.test_robust_apply import (  # noqa: E402
    PRODUCTS,
    CityProject,
    aimed_trial,
    kill_points,
    resources_made,
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--departments", nargs="+", default=["gzw", "swj", "tjj"])
    parser.add_argument("--backend", choices=["file", "s3"], default="file")
    args = parser.parse_args()
    os.environ.update(sandbox.CREDENTIALS)
    os.environ.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)

    with tempfile.TemporaryDirectory() as tmp:
        # As the suite starts one: the stack's classified pool is that sandbox's own.
        info = start_sandbox(Path(tmp) / "sandbox", PRODUCTS if PRODUCTS.exists() else None)
        assert info.endpoint
        backend = None
        if args.backend == "s3":
            storage = sandbox.up(Path(tmp) / "storage", None)
            assert storage.endpoint
            clients.client("s3", sandbox.PRIMARY_REGION, storage.endpoint).create_bucket(
                Bucket="crash-state", CreateBucketConfiguration={"LocationConstraint": sandbox.PRIMARY_REGION})
            backend = (f"s3://crash-state?endpoint={storage.endpoint}&region={sandbox.PRIMARY_REGION}"
                       "&s3ForcePathStyle=true")
        try:
            project = CityProject.create(Path(tmp) / "city", info.endpoint, args.departments, backend=backend)
            total = resources_made(project)
            print(f"city + {', '.join(args.departments)}: an apply makes {total} cloud resources; "
                  f"{args.trials} trials, each killing one at a seeded point of it (seed {args.seed})", flush=True)
            started = time.monotonic()
            totals = {"killed": 0, "mid_run": 0, "converged": 0, "rerun_same": 0, "orphans": 0, "duplicates": 0,
                      "dangling": 0, "lost_secrets": 0, "ok": 0}
            for number, kill_at in enumerate(kill_points(args.seed, args.trials, total)):
                trial = aimed_trial(project, number, kill_at)
                found = trial.audit
                totals["killed"] += trial.killed
                totals["mid_run"] += trial.mid_run
                totals["converged"] += trial.converged
                totals["rerun_same"] += trial.rerun_same
                totals["ok"] += trial.ok
                if found is not None:
                    totals["orphans"] += len(found.orphans)
                    totals["duplicates"] += sum(n - 1 for n in found.duplicates.values())
                    totals["dangling"] += len(found.dangling)
                    totals["lost_secrets"] += len(found.lost_secrets)
                recovered = ", ".join(f"{n} {op}" for op, n in trial.recovered.items() if n)
                print(f"  trial {number:3d}: kill at {trial.kill_at:4d} made "
                      f"{'killed' if trial.killed else 'missed'} with {trial.made_at_kill}/{trial.total} "
                      f"made, {trial.pending_at_kill} in flight; re-run: {recovered or '-'}; "
                      f"{'ok' if trial.ok else 'FAILED ' + trial.error[-300:]}"
                      + ("" if found is None or found.clean else f" {found.describe()}"), flush=True)
        finally:
            sandbox.down(Path(tmp) / "sandbox")
            if backend:
                sandbox.down(Path(tmp) / "storage")
    print(f"{args.trials} trials in {time.monotonic() - started:.0f} s: {totals['killed']} killed, "
          f"{totals['mid_run']} of them mid-apply (some resources made, not all), "
          f"{totals['converged']} converged, {totals['rerun_same']} re-runs all same, "
          f"{totals['orphans']} orphans, {totals['duplicates']} duplicates, {totals['dangling']} dangling, "
          f"{totals['lost_secrets']} lost secrets ({args.backend}:// state); "
          f"{totals['ok']}/{args.trials} clean")
    # A trial whose kill missed, or struck before anything was made, proved nothing about recovery.
    return 0 if totals["ok"] == totals["mid_run"] == args.trials else 1


if __name__ == "__main__":
    sys.exit(main())
