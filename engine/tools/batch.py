"""`podeval render DIR --out OUT [--jobs N]`: every scenario of a folder, streamed over worker processes.

Starting `podeval render` once per file costs an interpreter start per file. The folder mode

* compiles the rule pack once per worker process (``engine.load_rules``), not once per file;
* streams: the folder is read with ``os.scandir`` as the workers go, at most ``2 x jobs x chunk`` files are in
  flight, each Pod is written to ``OUT/NAME.pod.yaml`` by the worker that built it and dropped, and the parent
  only counts results, so memory does not grow with the number of files;
* reports a scenario Flyte would refuse (exit 3) or podeval cannot read (exit 2) on stderr with its file, as
  ``podeval render`` would, and goes on; the exit code is the worst one seen. Warnings go to stderr too, each
  naming its file (``-q`` silences them). A Pod the API server will refuse (exit 3) is written all the same, as
  ``podeval render`` prints it, and its violations are reported.

Goldens of `podeval test` that sit beside the scenarios (``*.pod.yaml``, ``*.error.yaml``) are skipped.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ..documents.yamlio import dump_yaml
from ..errors import PodevalError
from ..eval.evaluate import evaluate
from ..pack.rules import load_rules
from ..render.warning import format_warning
from .corpus import GOLDEN_SUFFIXES, SCENARIO_SUFFIXES
from .workers import stream

_pack = None
_out: Path | None = None


def _init(rules: str, out: str) -> None:
    global _pack, _out

    _pack = load_rules(rules)
    _out = Path(out)


def _render(paths: list) -> list:
    """Render a chunk of files; returns (file, exit code, errors, warnings) for each, as text for stderr."""
    results = []
    for path in paths:
        try:
            result = evaluate(path, rules=_pack, trace=False)
            text = dump_yaml(result.pod)
            assert _out is not None
            (_out / (Path(path).name.rsplit(".", 1)[0] + ".pod.yaml")).write_text(text)
            refused = result.problems  # the API server will refuse the Pod: written all the same, and reported
            results.append(
                (
                    path,
                    3 if refused else 0,
                    "\n".join(f"podeval: error[{error.code}]: {error}" for error in refused),
                    "\n".join(format_warning(w, result.scenario) for w in result.warnings),
                )
            )
        except PodevalError as error:
            results.append((path, error.exit_code, f"podeval: error[{error.code}]: {error}", ""))
    return results


def scenario_files(folder: str, limit: int | None = None):
    """Scenario files of a folder (not the goldens beside them), as the directory yields them."""
    count = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            if limit is not None and count >= limit:
                return
            name = entry.name
            if entry.is_file() and name.endswith(SCENARIO_SUFFIXES) and not name.endswith(GOLDEN_SUFFIXES):
                count += 1
                yield entry.path


def render_folder(
    source: str,
    out: str,
    *,
    jobs: int = 2,
    rules: str = "flyte-v1",
    limit: int | None = None,
    chunk: int = 16,
    stderr=None,
    quiet: bool = False,
) -> dict:
    """Render every scenario of ``source`` into ``out``; returns counts by exit code and the wall time. Errors and
    (unless ``quiet``) warnings go to ``stderr``, each naming its file."""
    stderr = stderr or sys.stderr  # looked up at the call: sys.stderr may have been replaced since the import
    os.makedirs(out, exist_ok=True)
    counts: dict[int, int] = {}
    started = time.perf_counter()
    for path, code, errors, warnings in stream(
        _render, scenario_files(source, limit), jobs=jobs, init=_init, initargs=(rules, out), chunk=chunk, ordered=False
    ):
        counts[code] = counts.get(code, 0) + 1
        for message in (warnings if not quiet else "", errors):
            if message:
                stderr.write(message + "\n")
    return {"files": sum(counts.values()), "exit_codes": counts, "seconds": time.perf_counter() - started}
