"""Run one engine command on a Tree program in this process: the subprocess side of tests.

python -m tests.engine_support.run_stack STATE CLOUD COMMAND [--count N] [--zone Z]
       [--size S] [--delay D] [--hold H] [--lock-wait W]
Prints "ready" (flushed) once the program starts, then the result as JSON.
"""
from __future__ import annotations

import argparse
import sys

from govcloud.engine import Engine, EngineError, StateStore
from tests.engine_support.programs import Tree

PASSPHRASE = "test-passphrase"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("state")
    parser.add_argument("cloud")
    parser.add_argument("command", choices=["up", "destroy"])
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--zone", default="a")
    parser.add_argument("--size", type=int, default=1)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--hold", type=float, default=0.0)
    parser.add_argument("--lock-wait", type=float, default=0.0)
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args(argv)

    def ready() -> None:
        print("ready", flush=True)

    program = Tree(args.cloud, count=args.count, zone=args.zone, size=args.size,
                   delay=args.delay, hold=args.hold, on_start=ready)
    engine = Engine("proj", "dev", program, StateStore(args.state), passphrase=PASSPHRASE,
                    parallel=args.parallel, lock_wait=args.lock_wait)
    if args.command == "destroy":
        ready()
    try:
        result = engine.up() if args.command == "up" else engine.destroy()
    except EngineError as exc:
        print(exc.line(), flush=True)
        return 3
    print(result.to_json(), flush=True)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
