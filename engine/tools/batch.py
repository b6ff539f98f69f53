"""`podeval render SCENARIO... --out OUT [--jobs N]`: every scenario of files and folders, streamed over worker
processes.

Starting `podeval render` once per file costs an interpreter start per file. The folder mode

* compiles the rule pack once per worker process (``engine.load_rules``), not once per file;
* streams: at most ``2 x jobs x chunk`` files are in flight, each Pod is written to ``OUT/NAME.pod.yaml`` (a file
  of a subfolder to the same subfolder of OUT) by the worker that built it and dropped, and the parent only counts
  results, so memory does not grow with the number of files;
* reports a scenario Flyte would refuse (exit 3) or podeval cannot read (exit 2) on stderr with its file, as
  ``podeval render`` would, and goes on; the exit code is the worst one seen. Warnings go to stderr too, each
  naming its file (``-q`` silences them). A Pod the API server will refuse (exit 3) is written all the same, as
  ``podeval render`` prints it, and its violations are reported.

Which files of a folder are scenarios is ``engine.inputs.scenario_files.corpus_files``' (the one file selection of every
command); ``outputs`` pairs each with the file its Pod goes to.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..documents.yamlio import dump_yaml
from ..errors import PodevalError
from ..eval.evaluate import evaluate
from ..inputs.scenario_files import corpus_files
from ..pack.rules import load_rules
from ..render.warning import format_warning
from .workers import stream

_pack = None
_out: Path | None = None


def _init(rules: str, out: str) -> None:
    global _pack, _out

    _pack = load_rules(rules)
    _out = Path(out)


def _render(items: list) -> list:
    """Render a chunk of (scenario file, output file relative to OUT); returns (file, exit code, errors, warnings)
    for each, as text for stderr."""
    results = []
    for path, name in items:
        try:
            result = evaluate(Path(path), rules=_pack, trace=False)
            text = dump_yaml(result.pod)
            assert _out is not None
            target = _out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
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


def outputs(inputs: list, skipped=None):
    """Each scenario of ``inputs`` (files and folders, ``corpus_files``) with the file its Pod goes to, relative to
    OUT: ``NAME.pod.yaml``, under the subfolder it has in the folder given."""
    for entry in inputs:
        root = Path(entry)
        for path in corpus_files([root], skipped):
            relative = path.relative_to(root) if root.is_dir() else Path(path.name)
            yield str(path), str(relative.with_name(relative.name.rsplit(".", 1)[0] + ".pod.yaml"))


def render_folder(
    source: list,
    out: str,
    *,
    jobs: int = 2,
    rules: str = "flyte-v1",
    skipped=None,
    chunk: int = 16,
    stderr=None,
    quiet: bool = False,
) -> dict:
    """Render every scenario of ``source`` (files and folders) into ``out``; returns counts by exit code and the
    wall time. Errors and (unless ``quiet``) warnings go to ``stderr``, each naming its file; ``skipped(path, why)``
    hears of the files of a folder that are not scenarios."""
    stderr = stderr or sys.stderr  # looked up at the call: sys.stderr may have been replaced since the import
    Path(out).mkdir(parents=True, exist_ok=True)
    counts: dict[int, int] = {}
    started = time.perf_counter()
    for path, code, errors, warnings in stream(
        _render, outputs(source, skipped), jobs=jobs, init=_init, initargs=(rules, out), chunk=chunk, ordered=False
    ):
        counts[code] = counts.get(code, 0) + 1
        for message in (warnings if not quiet else "", errors):
            if message:
                stderr.write(message + "\n")
    return {"files": sum(counts.values()), "exit_codes": counts, "seconds": time.perf_counter() - started}
