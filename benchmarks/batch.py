"""`podeval render` over a folder, in one command: the batch mode the benchmark measures.

``podeval render`` takes one scenario; starting it once per file costs a whole interpreter start per file. This is
what a folder mode (proposed: ``podeval render DIR --out OUT [--jobs N]``) would do, written with the public API
only:

* the rule pack is compiled once per worker process (``engine.load_rules``), not once per file;
* files are streamed: the folder is read with ``os.scandir`` as the workers go, at most ``2 x jobs x chunk`` files
  are in flight, each Pod is written to ``OUT/NAME.pod.yaml`` by the worker that built it and dropped, and the
  parent only counts results, so memory does not grow with the number of files;
* a scenario Flyte would refuse (exit 3) or podeval cannot read (exit 2) is reported on stderr with its file, as
  ``podeval render`` would, and the run goes on; the exit code is the worst one seen.

    .venv/bin/python benchmarks/batch.py SRC_DIR OUT_DIR [--jobs 2] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from multiprocessing import get_context
from pathlib import Path

SUFFIXES = (".yaml", ".yml", ".json")
GOLDEN_SUFFIXES = (".pod.yaml", ".error.yaml")  # `podeval test` goldens that may sit beside the scenarios

_pack = None
_out: Path | None = None


def _init(rules: str, out: str) -> None:
    global _pack, _out
    import engine

    _pack = engine.load_rules(rules)
    _out = Path(out)


def _render(paths: list) -> list:
    """Render a chunk of files; returns (file, exit code, message) for each."""
    from engine import PodevalError, evaluate
    from engine.yamlio import dump_yaml

    results = []
    for path in paths:
        try:
            result = evaluate(path, rules=_pack)
            text = dump_yaml(result.pod)
            assert _out is not None
            (_out / (Path(path).name.rsplit(".", 1)[0] + ".pod.yaml")).write_text(text)
            results.append((path, 0, ""))
        except PodevalError as error:
            results.append((path, error.exit_code, f"{error.code}: {error}"))
    return results


def scenario_files(folder: str, limit: int | None = None):
    """Scenario files of a folder (not the goldens beside them), as the directory yields them."""
    count = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            if limit is not None and count >= limit:
                return
            name = entry.name
            if entry.is_file() and name.endswith(SUFFIXES) and not name.endswith(GOLDEN_SUFFIXES):
                count += 1
                yield entry.path


def _chunks(files, size: int, gate: threading.Semaphore):
    chunk: list = []
    for path in files:
        chunk.append(path)
        if len(chunk) == size:
            gate.acquire()  # bounded in flight: released when a chunk's results come back
            yield chunk
            chunk = []
    if chunk:
        gate.acquire()
        yield chunk


def render_folder(source: str, out: str, *, jobs: int = 2, rules: str = "flyte-v1", limit: int | None = None,
                  chunk: int = 16, stderr=sys.stderr) -> dict:
    """Render every scenario of ``source`` into ``out``; returns counts by exit code and the wall time."""
    os.makedirs(out, exist_ok=True)
    counts: dict[int, int] = {}
    started = time.perf_counter()
    gate = threading.Semaphore(2 * jobs)
    # spawn, not fork: a fresh interpreter per worker (fork with a pool's threads around can deadlock)
    with get_context("spawn").Pool(jobs, _init, (rules, out)) as pool:
        for results in pool.imap_unordered(_render, _chunks(scenario_files(source, limit), chunk, gate)):
            gate.release()
            for path, code, message in results:
                counts[code] = counts.get(code, 0) + 1
                if code:
                    stderr.write(f"podeval: {path}: error[{message}]\n")
    return {"files": sum(counts.values()), "exit_codes": counts, "seconds": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("out")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rules", default="flyte-v1")
    parser.add_argument("--limit", type=int, default=None, help="stop after N files")
    parser.add_argument("--quiet", action="store_true", help="do not list the files that failed")
    args = parser.parse_args(argv)
    with open(os.devnull, "w") as devnull:
        summary = render_folder(args.source, args.out, jobs=args.jobs, rules=args.rules, limit=args.limit,
                                stderr=devnull if args.quiet else sys.stderr)
    codes = summary["exit_codes"]
    print(f"{summary['files']} files in {summary['seconds']:.2f} s: " + ", ".join(
        f"{count} exit {code}" for code, count in sorted(codes.items())), file=sys.stderr)
    return max(codes, default=0)


if __name__ == "__main__":
    sys.exit(main())
