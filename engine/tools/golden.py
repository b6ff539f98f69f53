"""Golden tests (``podeval test``): scenarios with the Pod they must give, checked field by field, with provenance.

Layout: a case is a scenario file ``NAME.yaml`` (or ``.yml``/``.json``) with its golden beside it:

``NAME.pod.yaml``
    the expected Pod, exactly as ``podeval render`` prints it;
``NAME.error.yaml``
    or, for a scenario Flyte refuses to build (or whose Pod the API server will refuse: the first violation),
    the expected error: ``{code: ..., path: ...}`` (``message`` is written for the reader and not compared).

A folder given to ``podeval test`` is walked recursively; every scenario file in it is a case (goldens and hidden
files are skipped), so keep other inputs (PodTemplate dumps, configs) out of test folders.

Strict: a case without a golden fails, and only ``--update`` writes goldens (it rewrites those that differ and
removes a stale golden of the other kind). A mismatch reports every differing field in the contract's path syntax,
with the trace of how the actual value came about (``Trace.explain``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..documents.yamlio import dump_yaml, load_document
from ..errors import FlyteBuildError, InputError, PodevalError, PodRefusedError
from ..eval.evaluate import evaluate
from ..inputs.scenario import load_scenario
from ..inputs.scenario_files import ERROR_SUFFIX, POD_SUFFIX, corpus_files
from ..k8s.diff import MISSING, Change, diff_values, format_value, same
from ..pack.rules import load_rules
from ..render.text import format_explain
from .junit import CaseResult, write_junit  # noqa: F401 (write_junit: podeval test's --junit, as cli_tools imports it)
from .workers import stream


def golden_paths(scenario: Path) -> tuple[Path, Path]:
    """``NAME.yaml`` -> (``NAME.pod.yaml``, ``NAME.error.yaml``)."""
    stem = scenario.name
    for suffix in (".yaml", ".yml", ".json"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return scenario.with_name(stem + POD_SUFFIX), scenario.with_name(stem + ERROR_SUFFIX)


def discover(inputs: Iterable[str | Path]) -> Iterator[Path]:
    """The scenario files of the cases: a golden given by name stands for its scenario."""
    seen: set[Path] = set()
    for entry in inputs:
        path = Path(entry)
        if path.is_file() and path.name.endswith((POD_SUFFIX, ERROR_SUFFIX)):
            base = path.name[: -len(POD_SUFFIX if path.name.endswith(POD_SUFFIX) else ERROR_SUFFIX)]
            candidates = [path.with_name(base + s) for s in (".yaml", ".yml", ".json")]
            path = next((c for c in candidates if c.is_file()), candidates[0])
        for scenario in corpus_files([path]):
            if scenario not in seen:
                seen.add(scenario)
                yield scenario


def _read_golden(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError("unreadable", f"cannot read {path}: {exc.strerror or exc}", file=str(path)) from None
    return load_document(data, str(path)).value


def _write(path: Path, value: Any) -> None:
    path.write_text(dump_yaml(value), encoding="utf-8")


def _error_golden(error: PodevalError) -> dict:
    data = {"code": error.code}
    if error.path:
        data["path"] = error.path
    data["message"] = error.message
    return data


def _explain_lines(result: Any, change: Change) -> list[str]:
    if result is None:
        return []
    text = format_explain(result.trace.explain(change.path))
    return ["      " + line for line in text.rstrip("\n").splitlines()[1:]]


def mismatch_lines(expected: Any, actual: Any, result: Any) -> list[str]:
    """Every differing field: expected, actual, and how the actual value came about."""
    lines = []
    for change in diff_values(expected, actual):
        lines.append(f"  {change.path_text}")
        lines.append(f"    expected: {format_value(change.old)}")
        lines.append(f"    actual:   {format_value(change.new)}")
        if change.new is MISSING:
            lines.append("    how the field came to be absent:")
        else:
            lines.append("    how the actual value came about:")
        lines.extend(_explain_lines(result, change))
    return lines


def run_case(scenario: Path, rules: Any, *, update: bool = False, load: Any = None) -> CaseResult:
    """Evaluate one case and compare it with its golden (``update``: write the golden instead). ``load(path)``
    reads the scenario (default ``load_scenario``; the CLI's lays its separate files over it)."""
    started = time.monotonic()
    pod_golden, error_golden = golden_paths(scenario)

    def done(status: str, message: str = "", details: list | None = None) -> CaseResult:
        return CaseResult(scenario, status, message, details or [], time.monotonic() - started)

    result = failure = None
    try:
        result = evaluate((load or load_scenario)(scenario), rules)
        if result.problems:  # the API server will refuse the Pod: the task will not run, as above (exit 3)
            failure = result.problems[0]
    except FlyteBuildError as error:  # Flyte refuses it, when the scenario is decoded or when the Pod is built
        failure = error
    except InputError as error:
        return done("error", f"the scenario cannot be used: error[{error.code}] {error}")
    if pod_golden.exists() and error_golden.exists() and not update:
        return done("error", f"two goldens: {pod_golden.name} and {error_golden.name}; keep one")
    if update:
        return done(*_update(pod_golden, error_golden, result, failure))
    if not pod_golden.exists() and not error_golden.exists():
        return done(
            "missing",
            f"no golden: expected {pod_golden.name} (or {error_golden.name}) beside it",
            [f"  run `podeval test --update {scenario}` to write it, then review it like code"],
        )
    try:
        expected = _read_golden(pod_golden if pod_golden.exists() else error_golden)
    except InputError as error:
        return done("error", f"the golden cannot be read: error[{error.code}] {error}")
    if error_golden.exists():
        return done(*_compare_error(error_golden, expected, result, failure))
    return done(*_compare_pod(pod_golden, expected, result, failure))


def _update(pod_golden: Path, error_golden: Path, result: Any, failure: PodevalError | None) -> tuple:
    """Write the golden the case now has (a Pod or an error), removing the other kind: ``(status, message)``."""
    if failure is not None:
        target, stale, wanted = error_golden, pod_golden, _error_golden(failure)
    else:
        target, stale, wanted = pod_golden, error_golden, result.pod
    removed = stale.exists()
    if removed:
        stale.unlink()
    if not target.exists():
        _write(target, wanted)
        return "written", f"wrote {target.name}" + (f", removed {stale.name}" if removed else "")
    try:
        current = _read_golden(target)
    except InputError:
        current = MISSING
    if failure is None:
        unchanged = same(current, wanted)
    else:
        unchanged = isinstance(current, dict) and _same_error(current, failure)
    if unchanged:
        return ("updated", f"removed {stale.name}") if removed else ("pass", "")
    _write(target, wanted)
    return "updated", f"rewrote {target.name}" + (f", removed {stale.name}" if removed else "")


def _compare_error(error_golden: Path, expected: Any, result: Any, failure: PodevalError | None) -> tuple:
    """An expected error against the case's outcome: ``(status, message, details)``."""
    if not isinstance(expected, dict) or "code" not in expected:
        return "error", f"{error_golden.name} must be a mapping with a 'code' (and optionally 'path')", []
    if failure is None:
        return (
            "fail",
            f"expected Flyte to refuse the Pod with error[{expected['code']}], but it builds",
            [f"  actual Pod: {format_value(result.pod, 400)}"],
        )
    if not _same_error(expected, failure):
        return (
            "fail",
            "a different error than expected",
            [
                f"  expected: error[{expected.get('code')}] at {expected.get('path')}",
                f"  actual:   error[{failure.code}] at {failure.path}: {failure.message}",
            ],
        )
    return "pass", "", []


def _compare_pod(pod_golden: Path, expected: Any, result: Any, failure: PodevalError | None) -> tuple:
    """An expected Pod against the case's outcome: ``(status, message, details)``."""
    if failure is not None:
        refuser = (
            "the API server would refuse it"
            if isinstance(failure, PodRefusedError)
            else "Flyte would refuse to build it"
        )
        return "fail", f"expected a Pod, but {refuser}: error[{failure.code}] {failure}", []
    if same(expected, result.pod):
        return "pass", "", []
    count = len(list(diff_values(expected, result.pod)))
    message = f"{count} field{'s' if count != 1 else ''} differ{'s' if count == 1 else ''} from {pod_golden.name}"
    return "fail", message, mismatch_lines(expected, result.pod, result)


def _same_error(expected: dict, error: PodevalError) -> bool:
    return expected.get("code") == error.code and ("path" not in expected or expected.get("path") == error.path)


_worker: tuple[Any, bool, Any] | None = None


def _init_worker(rules: str, update: bool, load: Any = None) -> None:
    global _worker

    _worker = (load_rules(rules), update, load)


def _run_chunk(scenarios: list) -> list:
    assert _worker is not None
    return [run_case(scenario, _worker[0], update=_worker[1], load=_worker[2]) for scenario in scenarios]


def run_cases(
    inputs: Iterable[str | Path], rules: Any, *, update: bool = False, jobs: int = 1, load: Any = None
) -> Iterator[CaseResult]:
    """Run every case, in the order ``discover`` finds them; ``jobs`` > 1: in worker processes (engine.tools.workers),
    the results streamed back in that order. ``load``: as ``run_case``'s (it must pickle for ``jobs`` > 1)."""
    if jobs <= 1:
        for scenario in discover(inputs):
            yield run_case(scenario, rules, update=update, load=load)
        return
    yield from stream(
        _run_chunk, discover(inputs), jobs=jobs, init=_init_worker, initargs=(str(rules.folder), update, load), chunk=8
    )


# ----------------------------------------------------------------------------------------------------------------


def format_result(case: CaseResult) -> str:
    label = {
        "pass": "ok",
        "fail": "FAIL",
        "missing": "FAIL",
        "error": "ERROR",
        "updated": "updated",
        "written": "written",
    }[case.status]
    head = f"{label:<7} {case.scenario}" + (f": {case.message}" if case.message else "")
    return "\n".join([head, *case.details]) + "\n"
