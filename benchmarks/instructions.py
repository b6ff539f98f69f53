"""Instruction counts of podeval's hot paths, with ``valgrind --tool=callgrind``: figures that do not depend on the
machine's load (wall time on a shared 2-core machine moves by 2x between runs; instructions move by < 1%).

    .venv/bin/python benchmarks/instructions.py                     # this tree
    .venv/bin/python benchmarks/instructions.py --baseline 8144eab  # and a git worktree of REV, side by side

An evaluation's figure is (instructions of a process that evaluates 1 + N times - those of one that evaluates once)
/ N, the pack compiled once and its cache warm, ``PYTHONHASHSEED=0``; cold ``render`` is one whole ``python -m engine
render examples/flyte-docs/example-3.yaml`` with bytecode and the compiled-pack cache warm (a first run fills them).
Needs valgrind (``apt-get install valgrind``); results in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_3 = ROOT / "examples" / "flyte-docs" / "example-3.yaml"
LARGE = ROOT / "benchmarks" / "scenarios" / "large.yaml"

#: argv: scenario file, pack, trace (0/1), evaluations. Only the library API, which every tree has.
_CHILD = """
import sys
import engine
try:
    from engine.documents.yamlio import load_document
except ImportError:  # a tree before the subpackage layout (issue 12)
    from engine.yamlio import load_document
path, pack_name, trace, count = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4])
data = load_document(open(path, "rb").read(), path).value
pack = engine.load_rules(pack_name)
for _ in range(count):
    engine.evaluate(data, rules=pack, trace=trace)
"""

_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def instructions(command: list, env: dict, cwd: Path) -> int:
    """The instructions ``command`` executes, whole process, under callgrind."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"callgrind failed ({done.returncode}): {done.stderr[-1500:]}")
    return int(found.group(1))


def tree_env(tree: Path, work: Path) -> dict:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(tree), PYTHONHASHSEED="0", PYTHONPYCACHEPREFIX=str(work / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def per_evaluation(tree: Path, work: Path, scenario: Path, pack: str, trace: bool, count: int) -> float:
    env = tree_env(tree, work)
    base = [sys.executable, "-c", _CHILD, str(scenario), pack, "1" if trace else "0"]
    subprocess.run(base + ["1"], env=env, cwd=tree, check=True, capture_output=True)  # bytecode, pack cache
    one = instructions(base + ["1"], env, tree)
    many = instructions(base + [str(1 + count)], env, tree)
    return (many - one) / count


def cold_render(tree: Path, work: Path) -> int:
    env = tree_env(tree, work)
    command = [sys.executable, "-m", "engine", "render", str(EXAMPLE_3)]
    subprocess.run(command, env=env, cwd=tree, check=True, capture_output=True)  # bytecode, pack cache
    return instructions(command, env, tree)


FIGURES = (
    ("(a) Example 3, with trace", EXAMPLE_3, "flyte-v1", True, 20),
    ("(a) Example 3, without trace", EXAMPLE_3, "flyte-v1", False, 20),
    ("(a) Example 3 under flyte-v2, with trace", EXAMPLE_3, "flyte-v2", True, 20),
    ("(b) large, with trace", LARGE, "flyte-v1", True, 20),
    ("(b) large, without trace", LARGE, "flyte-v1", False, 20),
    ("(b) large under flyte-v2, with trace", LARGE, "flyte-v2", True, 20),
)


def measure(tree: Path, work: Path, only: set | None) -> dict:
    results: dict[str, float] = {}
    for label, scenario, pack, trace, count in FIGURES:
        if only and not any(word in label for word in only):
            continue
        if pack != "flyte-v1" and not (tree / "rules" / pack).exists():
            continue
        results[label] = per_evaluation(tree, work, scenario, pack, trace, count)
        print(f"  {tree.name:<12} {label:<44} {results[label] / 1e6:8.2f} M", flush=True)
    if not only or any("cold" in word for word in only):
        results["cold render of (a), one process"] = cold_render(tree, work)
        print(f"  {tree.name:<12} {'cold render':<44} {results['cold render of (a), one process'] / 1e6:8.1f} M")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", metavar="REV", help="also measure a git worktree of REV")
    parser.add_argument(
        "--only",
        metavar="WORDS",
        help="parts of labels separated by '|': only the figures whose label holds one ('cold': cold render)",
    )
    args = parser.parse_args(argv)
    only = set(args.only.split("|")) if args.only else None
    with tempfile.TemporaryDirectory(prefix="podeval-instr-") as name:
        work = Path(name)
        trees = {"this tree": ROOT}
        if args.baseline:
            folder = work / args.baseline
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), args.baseline],
                check=True,
                capture_output=True,
            )
            trees = {args.baseline: folder, "this tree": ROOT}
        try:
            table = {name: measure(tree, work, only) for name, tree in trees.items()}
        finally:
            if args.baseline:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / args.baseline)], check=False
                )
    names = list(table)
    print("\n| figure (instructions) | " + " | ".join(names) + (" | ratio |" if len(names) == 2 else " |"))
    print("| --- |" + " ---: |" * (len(names) + (1 if len(names) == 2 else 0)))
    for label in table[names[-1]]:
        values = [table[name].get(label) for name in names]
        cells = [f"{v / 1e6:,.2f} M" if v is not None else "" for v in values]
        ratio = f" {values[0] / values[1]:.2f}x |" if len(names) == 2 and values[0] and values[1] else ""
        print(f"| {label} | " + " | ".join(cells) + " |" + ratio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
