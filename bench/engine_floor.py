"""Steady-state re-apply of the embedded engine vs. the SDK's own floor.

The floor is the same program under a monitor that answers every registration at once
(echoing the inputs): what the Pulumi SDK costs by itself. The engine figure is a second
`up` of an applied stack (every step `same`). Each measurement runs in a fresh process;
figures are the best of --repeat runs, wall clock and process CPU (the CPU ratio is the
steadier one on a shared machine). Peak memory is the process's maximum RSS.

    python bench/engine_floor.py [--sizes 1000 5000] [--parallel 16] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


class FloorMonitor:
    """Answers at once: urn, a fixed id, the inputs echoed back."""

    def __init__(self, project: str, stack: str) -> None:
        self.project, self.stack = project, stack

    def RegisterResource(self, request: Any) -> Any:
        from pulumi.runtime.proto import resource_pb2

        from govcloud.engine.monitor import make_urn

        urn = make_urn(self.stack, self.project, request.parent, request.type, request.name)
        return resource_pb2.RegisterResourceResponse(
            urn=urn, id="id" if request.custom else "", object=request.object)

    def RegisterResourceOutputs(self, request: Any) -> Any:
        from google.protobuf import empty_pb2

        return empty_pb2.Empty()

    def SupportsFeature(self, request: Any) -> Any:
        from govcloud.engine.monitor import Monitor

        return Monitor.SupportsFeature(self, request)  # type: ignore[arg-type]

    def GetDeploymentInfo(self, request: Any) -> Any:
        from govcloud.engine.monitor import Monitor

        return Monitor.GetDeploymentInfo(self, request)  # type: ignore[arg-type]

    def SignalAndWaitForShutdown(self, request: Any) -> Any:
        from google.protobuf import empty_pb2

        return empty_pb2.Empty()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(mode: str, count: int, parallel: int, repeat: int) -> dict[str, float]:
    sys.path[:0] = [str(ROOT), str(HERE)]
    from engine_providers import city

    from govcloud.engine import Engine, StateStore
    from govcloud.engine.host import run_program
    from govcloud.engine.monitor import EngineLog

    program = city(count)
    timings: list[float] = []
    cpu: list[float] = []
    if mode == "floor":
        for _ in range(repeat + 1):  # the first run warms imports and caches up
            started, cpu_started = time.perf_counter(), time.process_time()
            run_program(program, project="bench", stack="floor",
                        monitor=FloorMonitor("bench", "floor"), engine=EngineLog(lambda e: None),
                        preview=False, parallel=parallel)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        return {"seconds": min(timings[1:]), "cpu": min(cpu[1:]), "peak_mb": _peak_mb()}
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine("bench", "dev", program, StateStore(Path(tmp) / "dev.db"),
                        passphrase="bench", parallel=parallel)
        first = engine.up()
        assert first.ok, first.error
        create_seconds = first.duration
        del first  # its steps and diffs would otherwise stay on the heap the GC walks
        for _ in range(repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            again = engine.up()
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            assert again.ok and again.summary.changes == 0, again.summary
        return {"seconds": min(timings), "cpu": min(cpu), "peak_mb": _peak_mb(),
                "create_seconds": create_seconds}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "COUNT"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], int(args.child[1]), args.parallel, args.repeat)))
        return 0
    print(f"{'resources':>9}  {'floor s':>8}  {'engine s':>8}  {'ratio':>6}  "
          f"{'floor cpu':>9}  {'engine cpu':>10}  {'cpu ratio':>9}  {'engine peak MB':>14}")
    for count in args.sizes:
        figures = {}
        for mode in ("floor", "engine"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(count), "--parallel", str(args.parallel),
                 "--repeat", str(args.repeat)],
                check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
            ).stdout
            figures[mode] = json.loads(out.strip().splitlines()[-1])
        floor, engine = figures["floor"]["seconds"], figures["engine"]["seconds"]
        floor_cpu, engine_cpu = figures["floor"]["cpu"], figures["engine"]["cpu"]
        print(f"{count:>9}  {floor:>8.2f}  {engine:>8.2f}  {engine / floor:>5.2f}x  "
              f"{floor_cpu:>9.2f}  {engine_cpu:>10.2f}  {engine_cpu / floor_cpu:>8.2f}x  "
              f"{figures['engine']['peak_mb']:>14.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
