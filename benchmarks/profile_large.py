"""Where the time of one evaluation of scenario (b) goes: cProfile over repeated evaluations, summed by module.

    .venv/bin/python benchmarks/profile_large.py [--scenario FILE] [--count N] [--no-trace] [--top N]

Prints the share of each engine module (own time of its functions: where the interpreter actually is), then the
functions with the most own time and the calls with the most cumulative time. cProfile slows everything down by
about 3x, evenly enough for shares; the absolute times are the benchmark's (run.py).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent

import engine
from engine.documents.yamlio import load_document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=HERE / "scenarios" / "large.yaml")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--no-trace", action="store_true")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    pack = engine.load_rules("flyte-v1")
    data = load_document(args.scenario.read_bytes(), str(args.scenario)).value
    trace = not args.no_trace
    engine.evaluate(data, rules=pack, trace=trace)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.count):
        engine.evaluate(data, rules=pack, trace=trace)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(entry[2] for entry in stats.stats.values())  # own time of every function
    by_module: dict[str, float] = defaultdict(float)
    for (filename, _, _), entry in stats.stats.items():
        path = Path(filename)
        if path.parent.name == "engine":
            name = f"engine/{path.name}"
        elif "site-packages" in path.parts:
            name = path.parts[path.parts.index("site-packages") + 1]
        elif filename.startswith(("~", "<")):
            name = "builtins (dict, list, isinstance, ...)"
        else:
            name = f"stdlib {path.name}"
        by_module[name] += entry[2]
    print(
        f"{args.scenario.name}, {'with' if trace else 'without'} trace, {args.count} evaluations "
        f"({total / args.count * 1e3:.1f} ms each under cProfile)\n"
    )
    print("own time by module")
    for name, seconds in sorted(by_module.items(), key=lambda item: -item[1]):
        if seconds / total >= 0.005:
            print(f"  {seconds / total:6.1%}  {name}")
    print()
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
