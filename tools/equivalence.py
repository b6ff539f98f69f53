"""Pods, traces and errors before and after a change of the engine, byte for byte (issue 12, item 7).

A refactor must not change what podeval prints. This script takes a *snapshot* of everything podeval says about a
fixed set of scenarios, with the engine of one tree, and *compares* two snapshots. Maintainers run the third command,
which does both for a git revision and the working tree:

    .venv/bin/python tools/equivalence.py against 8144eab                  # the commit before the refactor
    .venv/bin/python tools/equivalence.py against main --corpus 10000 --spelling ports

    .venv/bin/python tools/equivalence.py snapshot OUT [--corpus N] [--seed S] [--jobs J] [--only GLOB]
                                                       [--engine TREE] [--inputs TREE]
    .venv/bin/python tools/equivalence.py compare A B [--spelling ports] [--ignore-pack-digest] [--show N]

``against`` takes the snapshot options and the compare options, and ``--keep DIR``. ``--only 'corpus/s0004*'``
(repeatable) runs only the scenarios whose name matches, to look again at the ones that differed.

Exit codes: 0 identical; 1 some difference (compare, against); 2 the script cannot do its job (a bad argument, a
revision git does not know, an engine imported from the wrong tree).

**What a snapshot holds.** The scenarios, each under a name relative to its tree:

* ``examples/``: every scenario file, recursively (``*.yaml``, ``*.yml``, ``*.json``; not the goldens
  ``*.pod.yaml``/``*.error.yaml`` beside them), run from the tree's root;
* ``benchmarks/scenarios/``: the benchmark scenarios (the large one has container ports);
* ``tests/equivalence/``: scenarios the other sets lack (container ports with protocols: the paths whose spelling
  issue 12 item 2 changes);
* ``bad_inputs/``: every case of ``tests/bad_inputs/cases.yaml`` that names an ``input`` file, with its ``args``,
  run from that folder as tests/test_bad_inputs.py runs it (the generated hostile inputs are left out);
* ``conformance/``: every step of ``tests/conformance/*/*.yaml``, read and run by tests/test_conformance.py's own
  functions (``case_files``, ``load_case``, ``steps_of``, ``run_step``: the public API ``engine.evaluate``,
  ``engine.merge_pod_spec_onto_template``, ``engine.serialize_pod_template``); a ``scenario`` step's input is also
  written to a JSON file and run through the command line like the others;
* ``corpus/``: N scenarios (default 1,000) made by benchmarks/corpus.py with the seed (default 0): the benchmark
  corpus. ``benchmarks/corpus.py DIR --count 1 --first I --seed S`` writes scenario I again to look at it.

A scenario file is run as ``podeval render FILE [ARGS]`` (``main(argv) -> int`` of the module holding the ``podeval``
entry point named in the engine tree's pyproject.toml: the entry point itself may exit the process, as
``engine.cli.console`` does; called in-process with stdout and stderr captured, from the scenario's folder so that
file names in messages are relative), again with ``--trace FILE``, and, when a Pod was built, as ``podeval trace
FILE [ARGS] -o managed-fields``. ``OUT/snapshot.jsonl`` has one JSON object per scenario, sorted by name, with these
keys (a key is left out when it does not apply):

    name         examples/flyte-docs/example-3.yaml, bad_inputs/empty.yaml, corpus/s00042.yaml, conformance/...
    input        sha256 of the scenario file's bytes (the same inputs on both sides)
    exit         the exit code of `podeval render`
    stdout       what it printed: the Pod exactly as `podeval render` prints it ("" on an error)
    stderr       warnings, `podeval: error[CODE]: MESSAGE` lines, the API server's objections
    trace        the trace exactly as `--trace FILE` writes it (as `podeval trace -o json` prints it)
    traced_run   only when the run with --trace printed something else than the run without it
    managed_fields  stdout of `podeval trace -o managed-fields` (its exit code and stderr in managed_fields_run,
                 only when they are not those of `podeval render`)
    api          conformance steps: the API's result (the Pod or the merged/serialized object, the trace, the
                 problems) or its error (type, code, exit code, message), as indented JSON text
    skipped      why the scenario was not run: it needs flyteidl or flytekit, which is not installed

Every key of every record is compared (text exactly; ``exit`` as a value). ``OUT/meta.json`` (not compared) has the
engine's ``__file__``, the trees, the Python, the counts and the time taken. ``compare`` prints each difference as
a unified diff of the text it is in (the Pod, the trace, ...), with the scenario's name and the key.

The engine is the package ``engine`` of ``--engine TREE`` (default: the tree this script is in): TREE is put first
on ``sys.path`` and in ``PYTHONPATH`` before the import, so an editable install of another tree does not shadow it;
after each run every loaded ``engine.*`` module is checked to come from TREE (exit 2 otherwise). The compiled-pack
cache on disk is turned off (``PODEVAL_CACHE_DIR=off``): each snapshot compiles its own packs. The inputs (examples,
cases, corpus generator) come from ``--inputs TREE`` (default: the same tree), so that ``against`` feeds both
engines the same inputs.

**What ``compare`` tolerates.** By default nothing: every key of every record, exactly. Two options, each for one
change issue 12 makes on purpose:

* ``--spelling ports``: in ``trace``, ``stderr``, ``traced_run`` and ``api`` (never in ``stdout``, the Pod), each
  path segment ``ports[containerPort=P...]`` (``ports`` as a whole word, ``P`` digits) is reduced to
  ``ports[containerPort=P]`` on both sides: a ``,protocol=X`` component (``X`` as printed: bare, or in double
  quotes in stderr) and an occurrence counter ``#N`` (before or after the protocol) are dropped. So the old
  ``ports[containerPort=53]`` / ``ports[containerPort=53#2]`` and the new ``ports[containerPort=53,protocol=TCP]``
  / ``ports[containerPort=53,protocol=UDP]`` compare equal. The price, and the only one: two ports of one
  container with the same containerPort (TCP and UDP 53) are not told apart in those texts; the Pod, which holds
  their values, is still compared byte for byte. Nothing else is rewritten.
* ``--ignore-pack-digest``: in ``trace`` and ``api``, the value of ``"digest"`` in the trace's
  ``"rules": {"name": ..., "digest": ...}`` header (a hash of the pack's files, which any edit of the pack's YAML
  changes, comments included) is blanked on both sides. The pack's name and everything else stays compared.

``against REV`` makes a temporary ``git worktree`` of REV, takes a snapshot with REV's engine (a subprocess of the
same Python, cwd and ``sys.path[0]`` the worktree) and one with this tree's engine, both on this tree's inputs,
compares them, and removes the worktree (``--keep DIR`` keeps the two snapshots in DIR/before and DIR/after).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import fnmatch
import hashlib
import importlib
import importlib.util
import io
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = "snapshot.jsonl"
SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")
GOLDEN_SUFFIXES = (".pod.yaml", ".error.yaml")  # `podeval test` goldens beside the examples: outputs, not inputs
OPTIONAL_PACKAGES = {"flyteidl_missing": "flyteidl", "flytekit_missing": "flytekit"}  # error code -> the extra
SPELLING_KEYS = ("trace", "stderr", "traced_run", "api")
DIGEST_KEYS = ("trace", "api")

_PORTS_SEGMENT = re.compile(
    r"(\bports\[containerPort=[0-9]+)"  # kept: the list and the port
    r"(?:#[0-9]+)?"  # the old occurrence counter
    r'(?:,protocol=(?:"(?:[^"\\]|\\.)*"|[^\]#"\\,]*))?'  # the new second key, as printed
    r"(?:#[0-9]+)?"  # a counter after it
    r"\]"
)
_PACK_DIGEST = re.compile(r'("rules": \{\s*"name": "(?:[^"\\]|\\.)*",\s*"digest": )"[^"\\]*"')


class Refused(Exception):
    """The script cannot do what it was asked (exit 2), said in one line."""


# ------------------------------------------------------------------------------------------------ snapshot


class Job:
    """One scenario: its name; the folder it runs from and the arguments after ``podeval`` (a file run through
    the command line); the conformance step run through the API; or why it is skipped."""

    def __init__(
        self,
        name: str,
        cwd: Path | None = None,
        argv: list[str] | None = None,
        step: dict | None = None,
        skipped: str | None = None,
    ) -> None:
        self.name, self.cwd, self.argv, self.step, self.skipped = name, cwd, argv, step, skipped


def _example_jobs(inputs: Path) -> list[Job]:
    jobs = []
    for folder in ("examples", "benchmarks/scenarios", "tests/equivalence"):
        for path in sorted((inputs / folder).rglob("*")):
            name = path.relative_to(inputs).as_posix()
            if path.is_file() and name.endswith(SCENARIO_SUFFIXES) and not name.endswith(GOLDEN_SUFFIXES):
                jobs.append(Job(name, inputs, ["render", name]))
    return jobs


def _bad_input_jobs(inputs: Path) -> list[Job]:
    folder = inputs / "tests" / "bad_inputs"
    cases = yaml.safe_load((folder / "cases.yaml").read_text(encoding="utf-8"))["cases"]
    jobs = []
    for case in cases:
        if "input" not in case:  # generated hostile inputs: megabytes each, covered by their own test
            continue
        args = [str(arg) for arg in case.get("args") or []]
        name = "bad_inputs/" + "~".join([case["input"], *args]).replace("/", "%2F")
        if case.get("requires") and importlib.util.find_spec(case["requires"]) is None:
            jobs.append(Job(name, skipped=f"needs {case['requires']}, not installed"))
        else:
            jobs.append(Job(name, folder, ["render", case["input"], *args]))
    return jobs


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "step"


def _conformance_jobs(inputs: Path, work: Path) -> list[Job]:
    """Every conformance step, through the API; a scenario step's input also as a file (in work/conformance/)."""
    global _harness
    path = list(sys.path)
    _harness = _import_file("equivalence_conformance", inputs / "tests" / "test_conformance.py")
    sys.path[:] = path  # the harness puts its own tree first on sys.path: the engine's tree stays first
    jobs = []
    for case_file in _harness.case_files():
        relative = case_file.relative_to(inputs / "tests" / "conformance").as_posix()
        case = _harness.load_case(case_file)
        missing = [module for module in case.get("requires") or [] if importlib.util.find_spec(module) is None]
        steps = [step for step in _harness.steps_of(case) if step["kind"] != "none"]
        for number, step in enumerate(steps, 1):
            name = f"conformance/{relative}" + (f"/{number}-{_slug(step['name'])}" if len(steps) > 1 else "")
            if missing:
                jobs.append(Job(name, skipped=f"needs {', '.join(missing)}, not installed"))
                continue
            job = Job(name, step=step)
            if step["kind"] == "scenario":
                source = "conformance/" + name.removeprefix("conformance/").replace("/", "~") + ".json"
                (work / source).parent.mkdir(parents=True, exist_ok=True)
                _write(work / source, json.dumps(step["input"], indent=2, ensure_ascii=False) + "\n")
                job.cwd, job.argv = work, ["render", source]
            jobs.append(job)
    return jobs


def _corpus_jobs(inputs: Path, work: Path, count: int, seed: int) -> list[Job]:
    corpus = _import_file("equivalence_corpus", inputs / "benchmarks" / "corpus.py")
    corpus.write_corpus(work / "corpus", count, seed)
    names = [f"corpus/{corpus.file_name(index)}" for index in range(count)]
    return [Job(name, work, ["render", name]) for name in names]


def _import_file(name: str, path: Path) -> Any:
    if not path.is_file():
        raise Refused(f"{path} does not exist: is --inputs a podeval tree?")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _entry_point(engine_root: Path) -> str:
    """The module of the ``podeval`` script declared in the tree's pyproject.toml."""
    text = (engine_root / "pyproject.toml").read_text(encoding="utf-8")
    section = re.search(r"^\[project\.scripts\]\s*$(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    found = section and re.search(r'^podeval\s*=\s*"([\w.]+):(\w+)"', section.group(1), re.MULTILINE)
    if not found:
        raise Refused(f"{engine_root}/pyproject.toml declares no `podeval` script under [project.scripts]")
    return found.group(1)


# set in the parent before the workers fork: the engine's `podeval` main, its tree, the conformance harness
_cli: Any = None
_engine_root: Path | None = None
_harness: Any = None
_work: Path | None = None


def _load_engine(engine_root: Path) -> Any:
    global _cli, _engine_root
    os.environ["PODEVAL_CACHE_DIR"] = "off"  # no compiled pack from another tree's run; set before the import
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(engine_root), os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, str(engine_root))
    if any(name == "engine" or name.startswith("engine.") for name in sys.modules):
        raise Refused("the engine is already imported; run the snapshot in a new process")
    engine = importlib.import_module("engine")  # the engine of --engine, chosen at run time
    module = importlib.import_module(_entry_point(engine_root))
    _cli = getattr(module, "main", None)  # not the script: engine.cli.console exits the process (gc.freeze, sys.exit)
    if _cli is None:
        raise Refused(f"{module.__name__}, the module of the `podeval` script, has no main(argv) to call per scenario")
    _engine_root = engine_root
    _check_modules()
    return engine


def _check_modules() -> None:
    """Every loaded ``engine`` module comes from the engine tree (an editable install elsewhere must not win)."""
    assert _engine_root is not None
    package = _engine_root / "engine"
    for name, module in list(sys.modules.items()):
        if name == "engine" or name.startswith("engine."):
            file = getattr(module, "__file__", None)
            if file and not Path(file).resolve().is_relative_to(package):
                raise Refused(f"module {name} was imported from {file}, not from {package}")


def _run_cli(argv: list[str]) -> tuple[int | str, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code: int | str = _cli(argv)
        except SystemExit as exit_:  # not podeval's way, but recorded if it happens
            code = f"SystemExit({exit_.code!r})"
        except Exception as error:  # noqa: BLE001 - main() should catch everything; recorded if it does not
            code = f"raised {type(error).__name__}: {error}"
    return code, out.getvalue(), err.getvalue()


def _api(step: dict) -> str:
    try:
        subject, context = _harness.run_step(step)
    except Exception as error:  # noqa: BLE001 - recorded: the error is part of the behaviour compared
        record: dict = {
            "error": {
                "type": type(error).__name__,
                "code": getattr(error, "code", None),
                "exit_code": getattr(error, "exit_code", None),
                "message": str(error),
            }
        }
    else:
        record = {"result": subject}
        if "result" in context:  # a scenario step: engine.evaluate's Result
            result = context["result"]
            record["problems"] = [f"{problem.code}: {problem}" for problem in result.problems]
            record["trace"] = result.trace.to_dict()
    return json.dumps(record, indent=2, ensure_ascii=False, default=repr) + "\n"


def _run_job(job: Job) -> dict:
    """The record of one scenario."""
    record: dict = {"name": job.name}
    if job.skipped:
        return {**record, "skipped": job.skipped}
    if job.argv is not None:
        assert job.cwd is not None and _work is not None
        os.chdir(job.cwd)
        record["input"] = (
            hashlib.sha256((job.cwd / job.argv[1]).read_bytes()).hexdigest()
            if (job.cwd / job.argv[1]).is_file()
            else None
        )
        code, stdout, stderr = _run_cli(job.argv)
        match = re.match(r"podeval: error\[(\w+)\]", stderr)
        extra = OPTIONAL_PACKAGES.get(match.group(1)) if match else None
        if extra and importlib.util.find_spec(extra) is None:
            return {"name": job.name, "skipped": f"needs {extra}, not installed"}
        record.update(exit=code, stdout=stdout, stderr=stderr)
        trace_file = _work / f"trace-{os.getpid()}.json"
        trace_file.write_bytes(b"")  # emptied, not removed: a run that writes no trace leaves it empty
        traced = _run_cli([*job.argv, "--trace", str(trace_file)])
        record["trace"] = trace_file.read_bytes().decode("utf-8") or None
        if traced != (code, stdout, stderr):
            record["traced_run"] = f"exit: {traced[0]}\n--- stdout\n{traced[1]}--- stderr\n{traced[2]}"
        if code in (0, 3) and stdout:  # a Pod was built: its fields' managers, as kubectl would show them
            managed = _run_cli(["trace", *job.argv[1:], "-o", "managed-fields"])
            record["managed_fields"] = managed[1]
            if (managed[0], managed[2]) != (code, stderr):
                record["managed_fields_run"] = f"exit: {managed[0]}\n--- stderr\n{managed[2]}"
    if job.step is not None:
        record["api"] = _api(job.step)
    _check_modules()
    return record


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def snapshot(
    out: Path, *, corpus: int, seed: int, jobs: int, engine_root: Path, inputs: Path, only: list[str] | None = None
) -> dict:
    global _work
    started = time.monotonic()
    if out.exists() and any(out.iterdir()):
        raise Refused(f"{out} is not empty: give a new folder")
    engine = _load_engine(engine_root)
    print(f"snapshot: engine {engine.__file__}, inputs {inputs}", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    counts = {"scenarios": 0, "command_line": 0, "api": 0}
    skipped: dict[str, str] = {}
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="podeval-equivalence-inputs-") as scratch:
        _work = Path(scratch)
        job_list = _example_jobs(inputs) + _bad_input_jobs(inputs) + _conformance_jobs(inputs, _work)
        job_list += _corpus_jobs(inputs, _work, corpus, seed)
        if only:
            job_list = [job for job in job_list if any(fnmatch.fnmatchcase(job.name, pattern) for pattern in only)]
        job_list.sort(key=lambda job: job.name)
        names = [job.name for job in job_list]
        if len(set(names)) != len(names):
            raise Refused(f"two scenarios share a name: {sorted({n for n in names if names.count(n) > 1})[:3]}")
        try:
            with (out / SNAPSHOT).open("w", encoding="ascii") as stream, contextlib.ExitStack() as stack:
                if jobs > 1:
                    pool = stack.enter_context(multiprocessing.get_context("fork").Pool(jobs))
                    records = pool.imap(_run_job, job_list, chunksize=16)
                else:
                    records = map(_run_job, job_list)
                for record in records:  # in the order of job_list, written as they come
                    stream.write(json.dumps(record) + "\n")
                    counts["scenarios"] += 1
                    counts["command_line"] += "exit" in record
                    counts["api"] += "api" in record
                    if "skipped" in record:
                        skipped[record["name"]] = record["skipped"]
        finally:
            os.chdir(here)
    meta = {
        "engine": engine.__file__,
        "engine_root": str(engine_root),
        "inputs": str(inputs),
        "python": sys.version,
        "corpus": corpus,
        "seed": seed,
        "only": only or [],
        "jobs": jobs,
        **counts,
        "skipped": skipped,
        "seconds": round(time.monotonic() - started, 2),
    }
    _write(out / "meta.json", json.dumps(meta, indent=2) + "\n")
    print(
        f"snapshot: {counts['scenarios']} scenarios ({counts['command_line']} through the command line, "
        f"{counts['api']} through the API, {len(skipped)} skipped) in {meta['seconds']:.1f} s -> {out / SNAPSHOT}",
        file=sys.stderr,
    )
    for name, why in sorted(skipped.items()):
        print(f"  skipped {name}: {why}", file=sys.stderr)
    return meta


# ------------------------------------------------------------------------------------------------ compare


def normalise(key: str, text: Any, *, spelling: bool, pack_digest: bool) -> Any:
    """A record's value as compared: as written, except for the tolerances asked for (see the module docstring)."""
    if not isinstance(text, str):
        return text
    if spelling and key in SPELLING_KEYS:
        text = _PORTS_SEGMENT.sub(r"\1]", text)
    if pack_digest and key in DIGEST_KEYS:
        text = _PACK_DIGEST.sub(r'\1"*"', text)
    return text


def _records(folder: Path) -> dict[str, dict]:
    path = folder / SNAPSHOT
    if not path.is_file():
        raise Refused(f"{folder} is not a snapshot (no {SNAPSHOT})")
    records = {}
    with path.open(encoding="ascii") as stream:
        for number, line in enumerate(stream, 1):
            try:
                record = json.loads(line)
            except ValueError as error:
                raise Refused(f"{path}:{number}: not a JSON line ({error})") from None
            records[record["name"]] = record
    return records


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value) + "\n"


def compare(
    a: Path, b: Path, *, spelling: bool = False, pack_digest: bool = False, show: int = 5, stream: Any = None
) -> int:
    stream = stream or sys.stdout
    left, right = _records(a), _records(b)
    differing: dict[str, list[str]] = {}
    shown = 0
    for name in sorted(left.keys() | right.keys()):
        if name not in left or name not in right:
            differing[name] = [f"only in {a if name in left else b}"]
            continue
        for key in sorted(left[name].keys() | right[name].keys()):
            old = normalise(key, left[name].get(key), spelling=spelling, pack_digest=pack_digest)
            new = normalise(key, right[name].get(key), spelling=spelling, pack_digest=pack_digest)
            if old == new:
                continue
            differing.setdefault(name, []).append(
                key if key in left[name] and key in right[name] else (f"{key} only in {a if key in left[name] else b}")
            )
            if shown < show:
                shown += 1
                lines = list(
                    difflib.unified_diff(
                        _as_text(old).splitlines(keepends=True) if key in left[name] else [],
                        _as_text(new).splitlines(keepends=True) if key in right[name] else [],
                        f"{a}: {name}: {key}",
                        f"{b}: {name}: {key}",
                        n=3,
                    )
                )
                lines = [line if line.endswith("\n") else line + "\n\\ No newline at end\n" for line in lines]
                stream.write("".join(lines[:80]) + (f"... ({len(lines) - 80} more lines)\n" if len(lines) > 80 else ""))
    for name in sorted(differing)[:50]:
        stream.write(f"DIFF {name}: {', '.join(differing[name])}\n")
    if len(differing) > 50:
        stream.write(f"... and {len(differing) - 50} more\n")
    total = len(left.keys() | right.keys())
    tolerated = [name for name, on in (("--spelling ports", spelling), ("--ignore-pack-digest", pack_digest)) if on]
    stream.write(
        f"compare: {total - len(differing)} scenarios identical, {len(differing)} differ"
        + (f" (tolerating {' and '.join(tolerated)})" if tolerated else "")
        + "\n"
    )
    return 1 if differing else 0


# ------------------------------------------------------------------------------------------------ against


def _git(*args: str, cwd: Path = ROOT) -> str:
    run = subprocess.run(["git", *args], check=False, cwd=cwd, capture_output=True, text=True)
    if run.returncode:
        raise Refused(f"git {' '.join(args)}: {run.stderr.strip() or run.stdout.strip()}")
    return run.stdout.strip()


def _snapshot_process(out: Path, engine_root: Path, args: argparse.Namespace) -> float:
    started = time.monotonic()
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "snapshot",
        str(out),
        "--engine",
        str(engine_root),
        "--inputs",
        str(ROOT),
        "--corpus",
        str(args.corpus),
        "--seed",
        str(args.seed),
        "--jobs",
        str(args.jobs),
    ]
    command += [argument for pattern in args.only or () for argument in ("--only", pattern)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(engine_root), os.environ.get("PYTHONPATH")])))
    if subprocess.run(command, check=False, cwd=engine_root, env=env).returncode:
        raise Refused(f"the snapshot with the engine of {engine_root} failed (see above)")
    return time.monotonic() - started


def against(args: argparse.Namespace) -> int:
    try:
        commit = _git("rev-parse", "--verify", "--quiet", f"{args.rev}^{{commit}}")
    except Refused:
        raise Refused(f"git knows no commit {args.rev!r} in {ROOT}") from None
    keep = Path(args.keep).resolve() if args.keep else None
    if keep and keep.exists() and any(keep.iterdir()):
        raise Refused(f"{keep} is not empty: give a new folder for --keep")
    scratch = Path(tempfile.mkdtemp(prefix="podeval-equivalence-"))
    tree = scratch / "tree"
    snapshots = keep or scratch
    try:
        _git("worktree", "add", "--detach", "--quiet", str(tree), commit)
        print(f"against: {args.rev} ({commit[:12]}) checked out in {tree}", file=sys.stderr)
        before = _snapshot_process(snapshots / "before", tree, args)
        after = _snapshot_process(snapshots / "after", ROOT, args)
        started = time.monotonic()
        code = compare(
            snapshots / "before",
            snapshots / "after",
            spelling=args.spelling == "ports",
            pack_digest=args.ignore_pack_digest,
            show=args.show,
        )
        print(
            f"against: snapshots took {before:.1f} s (before) and {after:.1f} s (after), the comparison "
            f"{time.monotonic() - started:.1f} s",
            file=sys.stderr,
        )
        return code
    finally:
        with contextlib.suppress(Refused):
            _git("worktree", "remove", "--force", str(tree))
        shutil.rmtree(scratch, ignore_errors=True)
        if keep:
            print(f"against: snapshots kept in {keep}/before and {keep}/after", file=sys.stderr)


# ------------------------------------------------------------------------------------------------ command line


def _tree(text: str) -> Path:
    path = Path(text).resolve()
    if not (path / "engine" / "__init__.py").is_file():
        raise argparse.ArgumentTypeError(f"{text} is not a podeval tree (no engine/__init__.py)")
    return path


def _add_snapshot_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", type=int, default=1000, metavar="N", help="generated scenarios (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="the corpus seed (default 0)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="worker processes (default 2; 1 runs everything in this process)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="GLOB",
        help="only the scenarios whose name matches (fnmatch; repeatable), e.g. 'corpus/s0004*'",
    )


def _add_compare_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--spelling",
        choices=("none", "ports"),
        default="none",
        help="ports: accept item 2's new spelling of ports[...] path segments (see the docstring)",
    )
    parser.add_argument(
        "--ignore-pack-digest",
        action="store_true",
        help="blank the trace's rules.digest on both sides (the pack's YAML was edited)",
    )
    parser.add_argument("--show", type=int, default=5, metavar="N", help="unified diffs printed (default 5)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="equivalence.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot", help="evaluate every scenario with this tree's engine into OUT")
    snap.add_argument("out", type=Path)
    _add_snapshot_options(snap)
    snap.add_argument("--engine", type=_tree, default=ROOT, metavar="TREE", help="the tree whose engine runs")
    snap.add_argument("--inputs", type=_tree, default=ROOT, metavar="TREE", help="the tree whose inputs are read")
    comp = sub.add_parser("compare", help="compare two snapshots; exit 1 on any difference")
    comp.add_argument("a", type=Path)
    comp.add_argument("b", type=Path)
    _add_compare_options(comp)
    rev = sub.add_parser("against", help="snapshot a git revision's engine and this tree's, and compare them")
    rev.add_argument("rev", help="a commit, branch or tag, e.g. the commit before the refactor")
    _add_snapshot_options(rev)
    _add_compare_options(rev)
    rev.add_argument("--keep", metavar="DIR", help="keep the two snapshots in DIR/before and DIR/after")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "snapshot":
            if args.corpus < 0 or args.jobs < 1:
                raise Refused("--corpus must be at least 0 and --jobs at least 1")
            snapshot(
                args.out.resolve(),
                corpus=args.corpus,
                seed=args.seed,
                jobs=args.jobs,
                engine_root=args.engine,
                inputs=args.inputs,
                only=args.only,
            )
            return 0
        if args.command == "compare":
            return compare(
                args.a, args.b, spelling=args.spelling == "ports", pack_digest=args.ignore_pack_digest, show=args.show
            )
        return against(args)
    except Refused as error:
        print(f"equivalence.py: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
