"""The benchmark suite runs and prints every figure (benchmarks/run.py --quick): a smoke test, never a timing test.

The full benchmark is not part of the test run (it takes minutes and its figures depend on the machine); this only
guards against the script rotting: every figure of the performance targets must still be printed, with a value or
an explicit "n/a" where something is missing on the machine (kubectl, /proc).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIGURES = [
    "throughput.a.trace",
    "throughput.a.notrace",
    "throughput.b.trace",
    "throughput.b.notrace",
    "throughput.v2.a.trace",
    "throughput.v2.b.trace",
    "v2.cost.a",
    "v2.cost.b",
    "v2.cost.per_event.a",
    "v2.cost.per_event.b",
    "floor.b",
    "floor.ratio.trace",
    "floor.ratio.notrace",
    "cold.render",
    "cold.render.as_is",
    "cold.import_yaml",
    "cold.ratio.import_yaml",
    "cold.kustomize",
    "cold.ratio.kustomize",
    "corpus.render.seconds",
    "corpus.render.rss",
    "corpus.render.flat",
    "corpus.test.seconds",
    "corpus.test.rss",
    "corpus.test.flat",
    "corpus.diff.seconds",
    "corpus.diff.rss",
    "corpus.diff.flat",
    "plugins.ray-gpu-workers",
    "plugins.spark-4378-pod-template-tolerations",
    "plugins.spark-6348-pod-template-resources",
]


def test_the_benchmark_runs_and_prints_every_figure(tmp_path):
    results = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--corpus", "40", "--json", str(results)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    printed = {line.split()[0] for line in done.stdout.splitlines() if line.startswith("  ") and line.split()}
    assert [fid for fid in FIGURES if fid not in printed] == []
    data = json.loads(results.read_text())
    assert set(FIGURES) <= set(data["figures"])
    for fid in FIGURES:
        figure = data["figures"][fid]
        assert figure["value"] is not None or figure["note"], fid  # a value, or why there is none
    assert data["machine"]["cores"]
