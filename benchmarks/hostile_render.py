#!/usr/bin/env python3
"""Hostile and bad inputs end to end: `podeval render FILE` in a fresh process, wall time and peak RSS.

Where benchmarks/hostile_inputs.py times ``engine.documents.yamlio`` alone, this runs the command a user runs, so the figures
include interpreter start-up and imports, scenario validation, and (for the large valid inputs) the evaluation.
Each case is one child process; its peak RSS comes from ``os.wait4``'s rusage. The inputs are the generated ones of
tests/test_bad_inputs.py plus a few large valid scenarios, written to a temporary folder first.

    .venv/bin/python benchmarks/hostile_render.py             # prints a Markdown table
    .venv/bin/python benchmarks/hostile_render.py --repeat 5
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_bad_inputs import GENERATORS


def large_valid_labels() -> bytes:
    labels = "".join(f"    k{i}: v{i}\n" for i in range(90_000))
    return f"task: {{container: {{image: img:1}}}}\nexecution:\n  namespace: ns\n  labels:\n{labels}".encode()


def large_valid_containers() -> bytes:
    containers = "".join(f"      - {{name: c{i}, image: img:1, env: [{{name: A, value: b}}]}}\n" for i in range(2_000))
    return (
        "task:\n  config: {primary_container_name: c0}\n  k8sPod:\n    podSpec:\n      containers:\n" + containers
    ).encode()


def large_valid_tolerations() -> bytes:
    items = "".join(f"      - {{key: k{i}, operator: Exists}}\n" for i in range(20_000))
    return f"task: {{container: {{image: img:1}}}}\npropeller:\n  config:\n    default-tolerations:\n{items}".encode()


def docs_example() -> bytes:
    return (ROOT / "tests" / "bad_inputs" / "docs-example-command-echo.yaml").read_bytes()


def valid_example() -> bytes:
    return (ROOT / "examples" / "flyte-docs" / "example-3.yaml").read_bytes()


CASES = {
    **GENERATORS,
    "docs_example_command_echo": docs_example,
    "ok_example_3": valid_example,
    "ok_90k_labels": large_valid_labels,
    "ok_2k_containers": large_valid_containers,
    "ok_20k_tolerations": large_valid_tolerations,
}


# The children are started by a small launcher process, not by this one: on Linux a child's peak RSS starts from its
# parent's at fork (it is carried over exec), so a parent holding the generated inputs would inflate every figure.
_LAUNCHER = """
import json, os, subprocess, sys, time
repeat, root, paths = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
def run(argv):
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    line = stderr.decode(errors="replace").splitlines()[0] if stderr else ""
    return os.waitstatus_to_exitcode(status), wall, usage.ru_maxrss / 1024, line
base = [run([sys.executable, "-m", "engine", "--help"]) for _ in range(repeat)]
print(json.dumps({"baseline": min(r[1] for r in base), "baseline_rss": min(r[2] for r in base)}))
for path in paths:
    results = [run([sys.executable, "-m", "engine", "render", path]) for _ in range(repeat)]
    code, _, _, line = results[0]
    print(json.dumps({"path": path, "exit": code, "wall": min(r[1] for r in results),
                      "rss": max(r[2] for r in results), "line": line}))
"""


def main() -> None:
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best wall time is kept")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sizes = {}
        for name, make in CASES.items():
            path = Path(folder) / f"{name}.yaml"
            data = make()
            path.write_bytes(data)
            sizes[str(path)] = (name, len(data))
        completed = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(args.repeat), str(ROOT), *sizes],
            capture_output=True,
            text=True,
            check=True,
        )
    rows = [json.loads(line) for line in completed.stdout.splitlines()]
    print(
        f"- Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(
        f"- `python -m engine --help` (start-up and imports), best of {args.repeat}: "
        f"{rows[0]['baseline'] * 1000:.0f} ms, {rows[0]['baseline_rss']:.0f} MiB\n"
    )
    print(f"| case | input | exit | code | wall time (best of {args.repeat}) | peak RSS |")
    print("|---|---:|---:|---|---:|---:|")
    for row in rows[1:]:
        name, size = sizes[row["path"]]
        line = row["line"]
        code = line.split("]")[0].split("[")[-1] if line.startswith("podeval: error[") else (line[:40] or "-")
        print(
            f"| {name} | {size / 1024 / 1024:.2f} MiB | {row['exit']} | {code} | {row['wall'] * 1000:.0f} ms "
            f"| {row['rss']:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
