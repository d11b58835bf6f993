"""The example city on a fresh sandbox: first apply, no-change apply and plan, against the SDK floor.

What it does, in one run:

1. starts a sandbox cloud of its own (moto's server on 127.0.0.1, seeded with the approved
   images, and the classified pool's server where the sandbox has one: `sandbox.up`, the
   way the integration tests start theirs) and copies the example project
   (Pulumi.yaml, policies/, blueprints/) into a temporary folder with a sandbox stack;
2. applies the city once (first apply: every step a create);
3. then --repeat times, interleaved so that all see the same machine load: the SDK floor,
   a no-change apply and a plan (every step `same`).

Every operation runs in a fresh Python process that loads the stack config and the
blueprints, builds the program and opens the backend as `govcloud apply` does, and only
then starts the clock: the figures are the engine's run itself (`Engine.up` or
`Engine.preview`). "Before" (import, policy gate, blueprints, graph) is shown apart.
The engine's CPU is its process's (all threads); the sandbox's CPU is read from
/proc/<pid>/stat of its server processes over the same window.

The SDK floor is the same program (the example city's graph through
govcloud/program/program.py) run by the Pulumi SDK against a resource monitor that
answers every registration at once with the recorded state (id and outputs of that URN,
prepared before the clock starts): what the SDK itself costs to register the city's
resources, with no engine and no cloud. It is measured for apply and for preview, in a
fresh process each round, best of three runs in that process (the first warms up).

The no-change figures are given as ratios to that floor (wall and CPU), best of --repeat.

    python bench/apply_city.py [--repeat 3] [--parallel 16] [--json FILE]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PRODUCTS = ROOT / "policies" / "data" / "approved-products.yaml"
TARGET_RATIO = 1.5
# What the integration tests' fixtures set: nothing can reach a real cloud or a proxy.
ISOLATION = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox",
             "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
             "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
REMOVED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE",
           "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sandbox_cpu(pids: list[int]) -> float:
    return sum(process_cpu(pid) for pid in pids)


# -- child processes ------------------------------------------------------------------------
def _stack(root: Path, stack: str) -> tuple[Any, Any]:
    from govcloud.operations.stackrun import _gate
    from govcloud.program import load_stack_config

    os.chdir(root)
    config = load_stack_config(stack, root)
    # What apply and plan run before the engine; its verdict does not stop the benchmark.
    checked = _gate(config, None, None, None)
    return config, checked


def engine_child(operation: str, root: Path, stack: str, parallel: int, pids: list[int]) -> dict[str, Any]:
    """One `up` or `preview` of the stack, timed from the engine's start to its end."""
    from govcloud.operations.backends import BackendOptions, open_backend

    config, _ = _stack(root, stack)
    _, backend = open_backend(config, BackendOptions("embedded", parallel))
    before = {"wall": time.perf_counter() - START_WALL, "cpu": time.process_time()}
    server = sandbox_cpu(pids)
    started, cpu = time.perf_counter(), time.process_time()
    if operation == "plan":
        run: Any = backend.preview()
    else:
        run = backend.up()
        assert run.ok, run.error
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    server = sandbox_cpu(pids) - server
    return {"wall": wall, "cpu": cpu, "sandbox_cpu": server, "steps": len(run.steps),
            "summary": run.summary.to_dict(), "before": before}


class RecordedMonitor:
    """A resource monitor that answers at once with what the state recorded for each URN."""

    def __init__(self, project: str, stack: str, answers: dict[str, tuple[str, Any]]) -> None:
        self.project, self.stack, self.answers = project, stack, answers

    def RegisterResource(self, request: Any) -> Any:
        from pulumi.runtime.proto import resource_pb2

        from govcloud.engine.monitor import make_urn

        urn = make_urn(self.stack, self.project, request.parent, request.type, request.name)
        id_, outputs = self.answers[urn]
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=outputs)

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


def floor_child(root: Path, stack: str, parallel: int) -> dict[str, Any]:
    """The SDK floor of the stack's program, for apply (preview=False) and plan (preview=True)."""
    from govcloud.engine.host import run_program
    from govcloud.engine.monitor import EngineLog
    from govcloud.engine.properties import to_struct
    from govcloud.engine.secrets import resolve_passphrase
    from govcloud.engine.state import StateStore
    from govcloud.operations.backends import project_name
    from govcloud.program import stack_program

    config, _ = _stack(root, stack)
    program = stack_program(config)
    project = project_name(config.root)
    store = StateStore.for_stack(config.root, config.stack, project=project).open()
    store.unlock(resolve_passphrase(None, config.sandbox_passphrase))
    answers = {urn: (res.id, to_struct(res.outputs)) for urn, res in store.resources().items()}
    figures: dict[str, Any] = {"resources": len(answers)}
    for mode, preview in (("apply", False), ("plan", True)):
        walls, cpus = [], []
        for _ in range(3):
            started, cpu = time.perf_counter(), time.process_time()
            run_program(program, project=project, stack=config.stack,
                        monitor=RecordedMonitor(project, config.stack, answers),
                        engine=EngineLog(lambda event: None), preview=preview, parallel=parallel)
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
        figures[mode] = {"wall": min(walls[1:]), "cpu": min(cpus[1:])}
    return figures


# -- the run ------------------------------------------------------------------------------------
def _child(args: list[str], env: dict[str, str], log: Path, profile: Path | None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", *args]
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
        out = profile / f"{args[0]}-{len(list(profile.glob(args[0] + '-*')))}.txt"
        py_spy = Path(sys.executable).with_name("py-spy")
        # Only threads holding the GIL: where the engine's CPU goes, not where it waits.
        command = [str(py_spy), "record", "--format", "raw", "--rate", "50", "--gil", "--nonblocking",
                   "-o", str(out), "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        server = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
        raise SystemExit(f"the {args[0]} run failed:\n{done.stderr[-4000:]}\nsandbox log:\n{server}")
    last = [line for line in done.stdout.splitlines() if line.startswith("{")][-1]  # py-spy prints too
    figures: dict[str, Any] = json.loads(last)
    return figures


def _sandboxes(tmp: Path) -> tuple[Any, list[int], contextlib.ExitStack]:
    """The sandbox process(es) of the run, started as the integration fixtures start them."""
    from govcloud.cloud import sandbox

    state_dir = tmp / "sandbox" / ".govcloud"
    sandbox.up(state_dir, PRODUCTS if PRODUCTS.exists() else None)
    stack = contextlib.ExitStack()
    stack.callback(sandbox.down, state_dir)
    record = json.loads((state_dir / sandbox.STATE_FILE).read_text())
    # The extranet's server, and the classified pool's where the sandbox has one.
    pids = [int(record["pid"])] + [int(pool["pid"]) for pool in (record.get("pools") or {}).values()]
    return state_dir, pids, stack


def _row(label: str, run: dict[str, Any]) -> str:
    steps = max(1, run["steps"])
    return (f"{label:<18} {run['steps']:>6} {run['wall']:>8.2f} {run['cpu']:>10.2f} "
            f"{run['sandbox_cpu']:>11.2f} {run['cpu'] / steps * 1000:>12.2f} "
            f"{run['sandbox_cpu'] / steps * 1000:>13.2f} {run['before']['wall']:>8.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds of floor, no-change apply and plan; the best of each is reported")
    parser.add_argument("--parallel", type=int, default=16, help="the engine's parallelism (--parallel)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="sample every run with py-spy into DIR (raw stacks); slows the runs down")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, root, stack = args.child[0], Path(args.child[1]), args.child[2]
        if kind == "floor":
            print(json.dumps(floor_child(root, stack, args.parallel)))
        else:
            pids = [int(p) for p in args.child[3:]]
            print(json.dumps(engine_child(kind, root, stack, args.parallel, pids)))
        return 0

    for name in REMOVED:
        os.environ.pop(name, None)
    os.environ.update(ISOLATION)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sys.path.insert(0, str(ROOT))
    from tests.integration.test_apply_support import attach_sandbox, make_project

    figures: dict[str, Any] = {"parallel": args.parallel, "rounds": []}
    with tempfile.TemporaryDirectory() as tmp:
        state_dir, pids, sandboxes = _sandboxes(Path(tmp))
        with sandboxes:
            project = make_project(Path(tmp))
            attach_sandbox(project, state_dir)
            where = [str(project.root), project.stack]
            log = state_dir / "sandbox.log"
            par = ["--parallel", str(args.parallel)]
            servers = [str(pid) for pid in pids]
            print(f"example city on a fresh sandbox (pid {' '.join(map(str, pids))}), parallel {args.parallel}",
                  flush=True)
            figures["first"] = _child(["apply", *where, *servers, *par], env, log, args.profile)
            print(_row("first apply", figures["first"]), flush=True)
            for _ in range(args.repeat):
                one = {"floor": _child(["floor", *where, *par], env, log, args.profile),
                       "apply": _child(["apply", *where, *servers, *par], env, log, args.profile),
                       "plan": _child(["plan", *where, *servers, *par], env, log, args.profile)}
                assert one["apply"]["summary"]["same"] == one["apply"]["steps"], one["apply"]["summary"]
                figures["rounds"].append(one)
                print(f"  round {len(figures['rounds'])}: floor {one['floor']['apply']['wall']:.2f} s, "
                      f"no-change apply {one['apply']['wall']:.2f} s, plan {one['plan']['wall']:.2f} s", flush=True)
    rounds = figures["rounds"]
    best = {op: min((r[op] for r in rounds), key=lambda f: f["wall"]) for op in ("apply", "plan")}
    floor = {op: {k: min(r["floor"][op][k] for r in rounds) for k in ("wall", "cpu")} for op in ("apply", "plan")}
    figures["best"], figures["floor"] = best, floor
    print()
    print(f"{'':<18} {'steps':>6} {'wall s':>8} {'engine cpu':>10} {'sandbox cpu':>11} "
          f"{'engine ms/st':>12} {'sandbox ms/st':>13} {'before s':>8}")
    print(_row("first apply", figures["first"]))
    print(_row("no-change apply", best["apply"]))
    print(_row("plan", best["plan"]))
    first = figures["first"]
    print(f"\nfirst apply: engine CPU per step / sandbox CPU per step = "
          f"{first['cpu'] / max(first['sandbox_cpu'], 1e-9):.2f} (target <= 1.00)")
    resources = rounds[0]["floor"]["resources"]
    for op, label in (("apply", "no-change apply"), ("plan", "plan")):
        wall, cpu = best[op]["wall"] / floor[op]["wall"], best[op]["cpu"] / floor[op]["cpu"]
        print(f"{label}: {best[op]['wall']:.2f} s wall, {best[op]['cpu']:.2f} s CPU; SDK floor "
              f"({resources} recorded resources, same run) {floor[op]['wall']:.2f} s wall, "
              f"{floor[op]['cpu']:.2f} s CPU; ratio {wall:.2f}x wall, {cpu:.2f}x CPU "
              f"(target <= {TARGET_RATIO}x)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


START_WALL = time.perf_counter()

if __name__ == "__main__":
    sys.exit(main())
