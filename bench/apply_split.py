#!/usr/bin/env python3
"""A synthetic city as one stack and as a split stack: plan and no-change apply, side by side.

What it does, in one run:

1. starts a sandbox cloud of its own (moto's server on 127.0.0.1, seeded with the approved
   images) and writes a synthetic city with `bench/gen_city.py`, keeping only the departments
   the policy gate approves (those with unwaived errors are dropped until `check` passes);
2. applies it as ONE stack (`govcloud apply --stack city --yes`): the first apply;
3. copies the project, configures the copy `govcloud:split: department` and moves its state
   with `govcloud state split` (timed): the same cloud resources, now in a platform stack
   and one stack per department;
4. then --repeat rounds, interleaved so both see the same machine load: `govcloud plan` and a
   no-change `govcloud apply --yes` of the single stack, and of the split stack with
   `--parallel-stacks N` (default: the command's own, the number of CPUs), and a no-change
   apply of one department's stack alone
   (`--only`, what an operator whose change touches one department runs). Each is the whole
   command as an operator runs it (process start, policy gate, graph, engine), wall time;
   every one must change nothing.

Reported: the resources, the members, the first apply, and for plan and no-change apply the
best wall time of each shape and the ratio split ÷ single (and --only ÷ single); for the split
runs, where the time goes (the command's start and gate, the platform, the departments' span,
their mean time each, the worker processes). `--baseline FILE` (an earlier run's --json)
prints its figures beside these; `--baseline-tree DIR` (a copy of an earlier govcloud, e.g.
`git worktree add DIR <commit>`) runs its split plan and apply too, in the same rounds on the
same projects with its own defaults, so before and after see the same machine load. The size is --departments
(~40 resources each); on a small machine a 20,000-resource first apply on moto takes
hours, so the default is smaller: the figures say what size they are for.

    python bench/apply_split.py [--departments 80] [--parallel-stacks N] [--repeat 2] [--json FILE]
                                [--baseline FILE] [--baseline-tree DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from gen_city import generate  # noqa: E402

PRODUCTS = ROOT / "policies" / "data" / "approved-products.yaml"
GOVCLOUD = Path(sys.executable).with_name("govcloud")
STACK = "city"
ISOLATION = {"AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox",
             "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
             "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
REMOVED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_DEFAULT_PROFILE",
           "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")


ZONES = 240  # department zones in one city's address plan (graph/addressing.py)


def approved_city(n: int, project: Path, systems: tuple[int, int] = (1, 4)) -> tuple[int, int]:
    """gen_city's N departments, minus those the gate refuses and those beyond the address
    plan's ZONES; (kept, dropped)."""
    from govcloud.policy import check

    blueprints = project / "blueprints"
    generate(n, str(blueprints), systems=systems)
    dropped = 0
    here = os.getcwd()
    os.chdir(project)
    try:
        while True:
            result = check(["blueprints"], policies="policies", waivers="policies/waivers.yaml")
            bad = {f.department for f in result.findings if f.blocking}
            if not bad:
                break
            if None in bad:
                raise SystemExit(f"the synthetic city itself has policy errors: {result.exit_code}")
            for code in bad:
                (blueprints / "departments" / f"{code}.yaml").unlink()
            dropped += len(bad)
    finally:
        os.chdir(here)
    kept = sorted((blueprints / "departments").glob("*.yaml"))
    for file in kept[ZONES:]:  # the last codes: a department's code never moves another's zone
        file.unlink()
    dropped += max(0, len(kept) - ZONES)
    return n - dropped, dropped


def write_project(project: Path, endpoint: str) -> None:
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    shutil.copytree(ROOT / "policies", project / "policies")
    (project / "stacks").mkdir()
    (project / "stacks" / f"Pulumi.{STACK}.yaml").write_text(
        "config:\n"
        "  govcloud:blueprints: [blueprints/city.yaml, blueprints/departments]\n"
        "  govcloud:regions: {city-dc-1: cn-north-1, city-dr-1: cn-northwest-1}\n"
        "  govcloud:partition: aws-cn\n"
        f"  govcloud:endpoint: {endpoint}\n"
        "  govcloud:sandbox: true\n"
        "  govcloud:engine: embedded\n"
        "  govcloud:sandboxPassphrase: govcloud-sandbox\n", encoding="utf-8")


def govcloud(project: Path, *args: str, env: dict[str, str]) -> tuple[float, dict[str, Any], str]:
    """One command in `project`: (wall seconds, its JSON output if any, stderr)."""
    started = time.perf_counter()
    done = subprocess.run([str(GOVCLOUD), *args], cwd=project, env=env, capture_output=True, text=True,
                          check=False, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"govcloud {' '.join(args)} failed ({done.returncode}):\n"
                         f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    text = done.stdout.strip()
    data = json.loads(text) if text.startswith("{") else {}
    return wall, data, done.stderr


def changes(data: dict[str, Any]) -> int:
    summary = data.get("summary", {})
    return sum(summary.get(op, 0) for op in ("create", "update", "replace", "delete"))


def breakdown(wall: float, data: dict[str, Any]) -> dict[str, float]:
    """Where a split run's wall time went, from its members' recorded times."""
    members = data.get("members", [])
    platform = [m for m in members if m["member"] == "platform"]
    departments = [m for m in members if m["member"] != "platform" and m.get("startedAt")]
    first = min((m["startedAt"] for m in members if m.get("startedAt")), default=0.0)
    last = max((m["endedAt"] for m in members if m.get("endedAt")), default=0.0)
    span = (max(m["endedAt"] for m in departments) - min(m["startedAt"] for m in departments)) if departments else 0.0
    return {"wall": round(wall, 2), "outside_members": round(wall - (last - first), 2),
            "platform": round(sum(m["duration"] for m in platform), 2), "departments_span": round(span, 2),
            "department_mean": round(sum(m["duration"] for m in departments) / max(1, len(departments)), 3),
            "processes": len({m.get("pid") for m in members})}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--departments", type=int, default=80)
    parser.add_argument("--systems", default="1-4",
                        help="business systems per department, MIN-MAX (gen_city's default 1-4); a city "
                             "holds at most 240 departments, so a bigger city needs bigger departments")
    parser.add_argument("--parallel-stacks", type=int, default=None,
                        help="members at once (default: govcloud's own, the number of CPUs)")
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", help="write the figures here too")
    parser.add_argument("--keep", help="keep the projects in this folder (default: a temporary one)")
    parser.add_argument("--baseline", help="an earlier run's --json, printed beside this one")
    parser.add_argument("--baseline-tree", help="an earlier govcloud's source folder: its split runs too")
    args = parser.parse_args()

    for name in REMOVED:
        os.environ.pop(name, None)
    os.environ.update(ISOLATION)
    env = dict(os.environ)
    from govcloud.cloud import sandbox

    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="apply-split-"))
    state_dir = tmp / "sandbox" / ".govcloud"
    info = sandbox.up(state_dir, PRODUCTS if PRODUCTS.exists() else None)
    figures: dict[str, Any] = {"departments_asked": args.departments,
                               "parallel_stacks": args.parallel_stacks or os.cpu_count()}
    try:
        single, split = tmp / "single", tmp / "split"
        single.mkdir(parents=True)
        assert info.endpoint
        write_project(single, info.endpoint)
        low, high = (int(x) for x in args.systems.split("-"))
        kept, dropped = approved_city(args.departments, single, (low, high))
        figures |= {"departments": kept, "dropped_by_the_gate": dropped}
        print(f"{kept} approved departments ({dropped} dropped by the gate); first apply of the single stack …",
              flush=True)
        p = ["--parallel", str(args.parallel)]
        wall, first, _ = govcloud(single, "apply", "--stack", STACK, "--yes", "--format", "json", *p, env=env)
        resources = first["summary"]["create"]
        figures |= {"resources": resources, "first_apply_single": round(wall, 2)}
        print(f"first apply: {resources} resources in {wall:.1f} s", flush=True)

        shutil.copytree(single, split, ignore=shutil.ignore_patterns("audit"))
        stack_file = split / "stacks" / f"Pulumi.{STACK}.yaml"
        stack_file.write_text(stack_file.read_text(encoding="utf-8") + "  govcloud:split: department\n",
                              encoding="utf-8")
        wall, moved, _ = govcloud(split, "state", "split", "--stack", STACK, "--format", "json", env=env)
        figures["state_split"] = round(wall, 2)
        print(f"state split: {len(moved['resources'])} resources moved in {wall:.1f} s", flush=True)

        n = ["--parallel-stacks", str(args.parallel_stacks)] if args.parallel_stacks else []
        runs: dict[str, list[float]] = {"plan single": [], "plan split": [], "apply single": [], "apply split": [],
                                        "apply only one": []}
        old_env = dict(env, PYTHONPATH=str(Path(args.baseline_tree).resolve())) if args.baseline_tree else None
        if old_env is not None:
            runs |= {"plan split (baseline tree)": [], "apply split (baseline tree)": []}
        one = min(f.stem for f in (split / "blueprints" / "departments").glob("*.yaml"))
        members = 0
        where: dict[str, dict[str, float]] = {}
        for round_ in range(args.repeat):
            for label, project, extra in (("plan single", single, []), ("plan split", split, n)):
                wall, data, _ = govcloud(project, "plan", "--stack", STACK, "--format", "json", *p, *extra, env=env)
                assert changes(data) == 0, (label, data.get("summary"))
                runs[label].append(wall)
                if project is split and wall <= min(runs[label]):
                    where[label] = breakdown(wall, data)
                members = len(data.get("members", [])) or members
            for label, project, extra in (("apply single", single, []), ("apply split", split, n)):
                wall, data, _ = govcloud(project, "apply", "--stack", STACK, "--yes", "--format", "json", *p, *extra,
                                         env=env)
                assert changes(data) == 0, (label, data.get("summary"))
                runs[label].append(wall)
                if project is split and wall <= min(runs[label]):
                    where[label] = breakdown(wall, data)
            if old_env is not None:
                for label, command in (("plan split (baseline tree)", ["plan"]),
                                       ("apply split (baseline tree)", ["apply", "--yes"])):
                    wall, data, _ = govcloud(split, *command, "--stack", STACK, "--format", "json", *p, *n,
                                             env=old_env)
                    assert changes(data) == 0, (label, data.get("summary"))
                    runs[label].append(wall)
            wall, data, _ = govcloud(split, "apply", "--stack", STACK, "--yes", "--format", "json", "--only", one,
                                     *p, env=env)
            assert changes(data) == 0 and len(data["members"]) == 1, data.get("summary")
            runs["apply only one"].append(wall)
            print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in runs.items()), flush=True)
        best = {k: min(v) for k, v in runs.items()}
        figures |= {"members": members, "runs": runs, "best": best, "split_breakdown": where,
                    "ratio_plan": round(best["plan split"] / best["plan single"], 3),
                    "ratio_apply": round(best["apply split"] / best["apply single"], 3),
                    "ratio_only_one": round(best["apply only one"] / best["apply single"], 3),
                    **({"ratio_plan_baseline_tree": round(best["plan split (baseline tree)"] / best["plan single"], 3),
                        "ratio_apply_baseline_tree": round(best["apply split (baseline tree)"] / best["apply single"],
                                                           3)} if old_env is not None else {}),
                    "cpus": os.cpu_count()}
    finally:
        sandbox.down(state_dir)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n{figures['resources']} resources, {figures['departments']} departments, {figures['members']} member "
          f"stacks, --parallel-stacks {figures['parallel_stacks']}, {os.cpu_count()} CPUs")
    print(f"{'':<22}{'single stack':>14}{'split stack':>14}{'split/single':>14}")
    for op in ("plan", "apply"):
        label = "plan" if op == "plan" else "no-change apply"
        print(f"{label:<22}{best[op + ' single']:>12.1f} s{best[op + ' split']:>12.1f} s"
              f"{best[op + ' split'] / best[op + ' single']:>14.2f}")
    print(f"{'apply --only one dept':<22}{best['apply single']:>12.1f} s{best['apply only one']:>12.1f} s"
          f"{best['apply only one'] / best['apply single']:>14.2f}")
    print(f"first apply (single): {figures['first_apply_single']:.1f} s; state split: {figures['state_split']:.1f} s")
    if args.baseline_tree:
        for op in ("plan", "apply"):
            tree = best[f"{op} split (baseline tree)"]
            print(f"{op} split, baseline tree: {tree:.1f} s ({tree / best[op + ' single']:.2f} × single); "
                  f"this tree {best[op + ' split']:.1f} s ({best[op + ' split'] / tree:.2f} × the baseline tree's)")
    for label, parts in where.items():
        print(f"{label}: " + ", ".join(f"{k} {v}" for k, v in parts.items()))
    if args.baseline:
        compare(json.loads(Path(args.baseline).read_text(encoding="utf-8")), figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


def compare(before: dict[str, Any], after: dict[str, Any]) -> None:
    """The baseline's figures beside this run's (each ratio is within its own run)."""
    print(f"\nbaseline: {before['resources']} resources, --parallel-stacks {before['parallel_stacks']}; "
          f"this run: {after['resources']} resources, --parallel-stacks {after['parallel_stacks']}")
    print(f"{'':<22}{'baseline':>12}{'this run':>12}")
    for key in ("plan single", "plan split", "apply single", "apply split", "apply only one"):
        print(f"{key:<22}{before['best'][key]:>10.1f} s{after['best'][key]:>10.1f} s")
    for key in ("ratio_plan", "ratio_apply", "ratio_only_one"):
        print(f"{key:<22}{before[key]:>12.2f}{after[key]:>12.2f}")


if __name__ == "__main__":
    sys.exit(main())
