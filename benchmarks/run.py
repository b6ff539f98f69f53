"""podeval's benchmark suite: every figure of the performance targets, measured on this machine, in one run.

    .venv/bin/python benchmarks/run.py            # the full run (four to five minutes on two cores)
    .venv/bin/python benchmarks/run.py --quick    # a smoke run: every figure, tiny samples (not comparable)
    .venv/bin/python benchmarks/run.py --json results.json
    .venv/bin/python benchmarks/run.py --baseline 8144eab   # the same figures for REV too, interleaved: before/after

What it measures (benchmarks/README.md says why each figure is measured the way it is):

1. throughput: ``engine.evaluate(scenario, rules=pack)`` in this process, the pack compiled once
   (``engine.load_rules``), on one core, for (a) the docs page's Example 3 and (b) benchmarks/scenarios/large.yaml,
   with and without the trace. The scenario is parsed once; validation and normalisation are part of every
   evaluation, as they are for a dict passed to the API. Best of several rounds.
1b. Flyte 2: (a) and (b) under the ``flyte-v2`` pack against ``flyte-v1``, rounds interleaved (each round measures
   both, so load hits both alike), with the trace: a v2 evaluation must cost no more than v1's on the same scenario.
2. (b) against a floor measured in the same run: ``copy.deepcopy`` of (b)'s inputs plus ``json.dumps`` of (b)'s
   Pod, the least any evaluator that does not mutate its inputs and returns a fresh Pod must do.
3. cold start: ``podeval render`` of (a) as a new process, wall time, against ``python -c "import yaml"`` (same
   interpreter) and ``kubectl kustomize`` of the equivalent single strategic-merge patch (when kubectl is on PATH),
   the three interleaved, median of the runs.
4. corpus: 10,000 generated scenarios (benchmarks/corpus.py) through ``podeval render`` over a folder (`podeval render DIR --out OUT --jobs 2`), ``podeval test`` and ``podeval diff`` (one process per half
   of the corpus, both at once): wall time, CPU time and peak RSS of all processes together, and the peak over
   the first half of each run against the whole (memory must not grow with the number of scenarios done).

5. with ``--baseline REV``: the throughput, cold-start and ``podeval diff`` figures for this tree and for a
   ``git worktree`` of REV, measured in the same run and interleaved (each round measures both, so load on a shared
   machine hits both alike), each tree in its own processes; then a before/after table.

No figure here is asserted anywhere: tests/test_benchmark_smoke.py only checks that a quick run prints them all.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import corpus

import engine
from engine.documents.yamlio import dump_yaml, load_document

EXAMPLE_3 = ROOT / "examples" / "flyte-docs" / "example-3.yaml"
LARGE = HERE / "scenarios" / "large.yaml"

RESULTS: dict[str, dict] = {}
INHERITED_ENV: dict[str, str] = {}  # the environment the benchmark was started in


def figure(fid: str, label: str, value, unit: str, target: str = "", ok: bool | None = None, note: str = "") -> None:
    RESULTS[fid] = {"label": label, "value": value, "unit": unit, "target": target, "ok": ok, "note": note}
    if value is None:
        shown, unit = "n/a", ""
    elif isinstance(value, float):
        shown = f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    else:
        shown = f"{value:,}"
    verdict = {True: "ok", False: "MISS", None: ""}[ok]
    print(f"  {fid:<24} {label:<50} {shown:>10} {unit:<8} {target:<16} {verdict:<4} {note}".rstrip(), flush=True)


def section(title: str) -> None:
    print(f"\n{title}", flush=True)
    print(f"  {'figure':<24} {'':<50} {'measured':>10} {'':<8} {'target':<16}", flush=True)


# ----------------------------------------------------------------------------------------------------------------
# the machine


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    kubectl = shutil.which("kubectl")
    kubectl_version = None
    if kubectl:
        try:
            out = subprocess.run(
                [kubectl, "version", "--client"], capture_output=True, text=True, timeout=20, check=False
            ).stdout
            kubectl_version = " / ".join(line.strip() for line in out.splitlines() if line.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "kubectl": kubectl_version,
        "podeval": engine.__version__,
    }


# ----------------------------------------------------------------------------------------------------------------
# 1-2. in-process throughput and the floor


def rate(fn, *, seconds: float, rounds: int) -> float:
    """Calls per second of ``fn``: best of ``rounds`` rounds of at least ``seconds`` each (the least disturbed)."""
    fn()  # warm
    best = 0.0
    for _ in range(rounds):
        count = 0
        started = time.perf_counter()
        deadline = started + seconds
        while True:
            fn()
            count += 1
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, count / (now - started))
    return best


def throughput(args) -> None:
    section("1. Throughput: engine.evaluate in-process, pack compiled once, one core (evaluations per second)")
    pack = engine.load_rules("flyte-v1")
    inputs = {
        name: load_document(path.read_bytes(), str(path)).value for name, path in (("a", EXAMPLE_3), ("b", LARGE))
    }
    targets = {("a", True): 10_000, ("b", True): 2_000}
    labels = {"a": "(a) docs Example 3", "b": "(b) large scenario"}
    rates = {}
    for name in ("a", "b"):
        for trace in (True, False):
            data = inputs[name]
            per_second = rate(
                lambda data=data, trace=trace: engine.evaluate(data, rules=pack, trace=trace),
                seconds=args.seconds,
                rounds=args.rounds,
            )
            rates[name, trace] = per_second
            target = targets.get((name, trace))
            figure(
                f"throughput.{name}.{'trace' if trace else 'notrace'}",
                f"{labels[name]}, {'with' if trace else 'without'} trace",
                per_second,
                "evals/s",
                f">= {target:,}/s" if target else "",
                per_second >= target if target else None,
                f"{1e6 / per_second:,.0f} us each",
            )

    flyte_v2(args, inputs, labels)

    section("2. (b) against its floor: deepcopy of (b)'s inputs + json.dumps of its Pod, measured now")
    data = inputs["b"]
    pod = engine.evaluate(data, rules=pack).pod
    floor_rate = rate(lambda: (copy.deepcopy(data), json.dumps(pod)), seconds=args.seconds, rounds=args.rounds)
    floor_us = 1e6 / floor_rate
    figure("floor.b", "floor: deepcopy(inputs) + json.dumps(pod)", floor_us, "us")
    for trace in (True, False):
        ratio = (1e6 / rates["b", trace]) / floor_us
        figure(
            f"floor.ratio.{'trace' if trace else 'notrace'}",
            f"(b) {'with' if trace else 'without'} trace / floor",
            ratio,
            "x",
            "<= 15x" if trace else "",
            ratio <= 15 if trace else None,
        )


def flyte_v2(args, inputs: dict, labels: dict) -> None:
    """The same scenarios under flyte-v2 and flyte-v1, the rounds interleaved; best round of each."""
    section("1b. Flyte 2: the flyte-v2 pack against flyte-v1 on the same scenario, with trace, rounds interleaved")
    packs = {name: engine.load_rules(name) for name in ("flyte-v1", "flyte-v2")}
    for name in ("a", "b"):
        data = inputs[name]
        best = dict.fromkeys(packs, 0.0)
        for _ in range(args.rounds):
            for pack_name, pack in packs.items():
                measured = rate(
                    lambda data=data, pack=pack: engine.evaluate(data, rules=pack, trace=True),
                    seconds=args.seconds,
                    rounds=1,
                )
                best[pack_name] = max(best[pack_name], measured)
        figure(
            f"throughput.v2.{name}.trace",
            f"{labels[name]} under flyte-v2, with trace",
            best["flyte-v2"],
            "evals/s",
            note=f"{1e6 / best['flyte-v2']:,.0f} us each; flyte-v1 {1e6 / best['flyte-v1']:,.0f} us",
        )
        cost = best["flyte-v1"] / best["flyte-v2"]
        figure(f"v2.cost.{name}", f"{labels[name]}: flyte-v2 time / flyte-v1 time", cost, "x", "<= 1.00x", cost <= 1.0)
        # Flyte 2 builds a bigger Pod from the same scenario (the executor's env vars and labels): the cost per trace
        # event (a field written) says whether the v2 pack's machinery costs more, apart from the work it must do
        events = {n: len(engine.evaluate(data, rules=p, trace=True).trace.events) for n, p in packs.items()}
        per_event = cost * events["flyte-v1"] / events["flyte-v2"]
        figure(
            f"v2.cost.per_event.{name}",
            f"{labels[name]}: v2 / v1 time per trace event",
            per_event,
            "x",
            "<= 1.00x",
            per_event <= 1.0,
            f"{events['flyte-v2']} events under flyte-v2, {events['flyte-v1']} under flyte-v1",
        )


# ----------------------------------------------------------------------------------------------------------------
# 3. cold start


def podeval_command() -> list:
    script = Path(sys.executable).parent / ("podeval.exe" if os.name == "nt" else "podeval")
    return [str(script)] if script.exists() else [sys.executable, "-m", "engine"]


def kustomization(folder: Path) -> None:
    """Example 3 as kustomize would do it: the runtime PodTemplate as the base Pod, the task's compile-time pod
    as one strategic-merge patch (containers merged by name, so the template's container is named like the
    primary)."""
    scenario = load_document(EXAMPLE_3.read_bytes(), str(EXAMPLE_3)).value
    template = scenario["podTemplates"][0]["template"]
    compile_time = scenario["task"]["podTemplate"]
    name = scenario["execution"]["podName"]
    base_spec = copy.deepcopy(template["spec"])
    primary = compile_time.get("primaryContainerName", "primary")
    for container in base_spec.get("containers", []):
        if container["name"] == "default":
            container["name"] = primary
    base = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, **template.get("metadata", {})},
        "spec": base_spec,
    }
    patch = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "labels": compile_time.get("labels", {}),
            "annotations": compile_time.get("annotations", {}),
        },
        "spec": compile_time["podSpec"],
    }
    (folder / "pod.yaml").write_text(dump_yaml(base))
    (folder / "patch.yaml").write_text(dump_yaml(patch))
    (folder / "kustomization.yaml").write_text(
        dump_yaml(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": ["pod.yaml"],
                "patches": [{"path": "patch.yaml"}],
            }
        )
    )


def wall(command: list, **kwargs) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, **kwargs)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


def cold_start(args, work: Path) -> None:
    section(f"3. Cold start: a new process each time, wall time, median of {args.cold_runs} interleaved runs")
    commands = {
        "render": podeval_command() + ["render", str(EXAMPLE_3)],
        "import_yaml": [sys.executable, "-c", "import yaml"],
    }
    kubectl = shutil.which("kubectl")
    if kubectl:
        folder = work / "kustomize"
        folder.mkdir()
        kustomization(folder)
        commands["kustomize"] = [kubectl, "kustomize", str(folder)]
    # Every process starts as it would after `pip install` or any earlier run (main() set the environment up:
    # bytecode cached), with the OS file cache and podeval's compiled-pack cache warm: warm-up runs, not counted.
    env = dict(os.environ)
    times: dict[str, list] = {name: [] for name in commands}
    for name, command in commands.items():
        wall(command, env=env)
    for _ in range(args.cold_runs):
        for name, command in commands.items():
            times[name].append(wall(command, env=env))
    inherited = [wall(commands["render"], env=INHERITED_ENV) for _ in range(max(1, args.cold_runs // 3))]
    median = {name: statistics.median(values) for name, values in times.items()}
    shown = podeval_command()[0] if len(podeval_command()) == 1 else "python -m engine"
    from engine.pack import pack_cache
    from engine.pack.pack_chain import resolve_pack_folder
    from engine.pack.pack_model import RulePack

    cached = pack_cache.load(str(resolve_pack_folder("flyte-v1").resolve()), RulePack) is not None
    figure(
        "cold.render",
        f"podeval render example-3 ({Path(shown).name})",
        median["render"],
        "s",
        "",
        None,
        f"min {min(times['render']):.3f} s; compiled-pack cache {'used' if cached else 'NOT used'}",
    )
    figure(
        "cold.render.as_is",
        "  the same in this shell's environment",
        statistics.median(inherited),
        "s",
        "",
        None,
        "for reference; PYTHONDONTWRITEBYTECODE=" + INHERITED_ENV.get("PYTHONDONTWRITEBYTECODE", "(unset)"),
    )
    figure(
        "cold.import_yaml",
        'python -c "import yaml"',
        median["import_yaml"],
        "s",
        "",
        None,
        f"min {min(times['import_yaml']):.3f} s",
    )
    ratio = median["render"] / median["import_yaml"]
    figure("cold.ratio.import_yaml", "render / import yaml", ratio, "x", "<= 4x", ratio <= 4)
    if "kustomize" in median:
        figure(
            "cold.kustomize",
            "kubectl kustomize (one strategic-merge patch)",
            median["kustomize"],
            "s",
            "",
            None,
            f"min {min(times['kustomize']):.3f} s",
        )
        ratio = median["render"] / median["kustomize"]
        figure("cold.ratio.kustomize", "render / kubectl kustomize", ratio, "x", "<= 1x", ratio <= 1)
    else:
        figure(
            "cold.kustomize",
            "kubectl kustomize (one strategic-merge patch)",
            None,
            "s",
            "",
            None,
            "skipped: kubectl is not on PATH",
        )
        figure(
            "cold.ratio.kustomize",
            "render / kubectl kustomize",
            None,
            "x",
            "<= 1x",
            None,
            "skipped: kubectl is not on PATH",
        )


# ----------------------------------------------------------------------------------------------------------------
# 4. corpus


class RSSSampler:
    """Samples the RSS of some processes and all their descendants (Linux /proc), summed, every ``interval``."""

    def __init__(self, pids: list, interval: float = 0.02) -> None:
        self.roots = set(pids)
        self.interval = interval
        self.samples: list[tuple[float, int]] = []  # (seconds since start, bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def supported() -> bool:
        return Path("/proc/self/status").exists()

    def _tree(self) -> set:
        parents: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    stat = Path(entry.path, "stat").read_text()
                    parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
        tree = set(self.roots)
        grew = True
        while grew:
            grew = False
            for pid, parent in parents.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
        return tree

    @staticmethod
    def _rss(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except (OSError, ValueError):
            pass
        return 0

    def _run(self) -> None:
        started = time.perf_counter()
        while not self._stop.is_set():
            self.samples.append((time.perf_counter() - started, sum(self._rss(pid) for pid in self._tree())))
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> dict:
        """{"peak": bytes, "first half": the peak over the first half of the run} (None without samples)."""
        self._stop.set()
        self._thread.join()
        if not self.samples:
            return {"peak": None, "first half": None}
        half = self.samples[-1][0] / 2
        return {
            "peak": max(rss for _, rss in self.samples),
            "first half": max(rss for at, rss in self.samples if at <= half),
        }


def run_measured(commands: list, timeout: float = 900) -> dict:
    """Start ``commands`` at once and wait for all: wall seconds, exit codes, CPU seconds of all of them, and
    (with /proc) the peak RSS of all of them together, over the whole run and over its first half."""
    cpu_before = children_cpu()
    started = time.perf_counter()
    processes = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for command in commands]
    sampler = RSSSampler([p.pid for p in processes]) if RSSSampler.supported() else None
    if sampler is not None:
        sampler.start()
    try:
        errors = [p.communicate(timeout=max(1.0, started + timeout - time.perf_counter()))[1] for p in processes]
    except subprocess.TimeoutExpired:
        for process in processes:
            process.kill()
        raise RuntimeError(f"timed out after {timeout:.0f} s: {commands}") from None
    finally:
        memory = sampler.stop() if sampler is not None else {"peak": None, "first half": None}
    elapsed = time.perf_counter() - started
    codes = [p.returncode for p in processes]
    for code, error in zip(codes, errors):
        if code not in (0, 1, 3):
            raise RuntimeError(f"failed ({code}): {error.decode()[-800:]}")
    return {"seconds": elapsed, "codes": codes, "cpu": children_cpu() - cpu_before, **memory}


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes of this one and theirs (0 where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_corpus(work: Path, count: int, jobs: int) -> dict:
    """``count`` scenarios in one folder, generated by ``jobs`` processes, and the same files split into ``jobs``
    part folders (hard links) for the commands that run one process per folder."""
    everything = work / "corpus" / "all"
    everything.mkdir(parents=True)
    bounds = [(count * part // jobs, count * (part + 1) // jobs) for part in range(jobs)]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                str(HERE / "corpus.py"),
                str(everything),
                "--first",
                str(first),
                "--count",
                str(last - first),
            ],
            stderr=subprocess.DEVNULL,
        )
        for first, last in bounds
    ]
    if any(process.wait() != 0 for process in processes):
        raise RuntimeError("generating the corpus failed")
    layout: dict = {"all": everything, "parts": []}
    for part, (first, last) in enumerate(bounds):
        folder = work / "corpus" / f"part-{part}"
        folder.mkdir()
        for index in range(first, last):
            os.link(everything / corpus.file_name(index), folder / corpus.file_name(index))
        layout["parts"].append(folder)
    return layout


def corpus_runs(args, work: Path) -> None:
    jobs = 2
    section(f"4. Corpus: {args.corpus:,} generated scenarios, both cores ({jobs} processes)")
    started = time.perf_counter()
    layout = build_corpus(work, args.corpus, jobs)
    size = sum(entry.stat().st_size for entry in os.scandir(layout["all"]))
    print(
        f"  (corpus: {args.corpus:,} scenarios, {size / 1e6:.1f} MB, generated in "
        f"{time.perf_counter() - started:.1f} s, not counted)",
        flush=True,
    )

    render = podeval_command() + ["render", str(layout["all"]), "--out", str(work / "out"), "--jobs", str(jobs)]
    run = run_measured([render])
    report_corpus("render", f"podeval render DIR --out OUT --jobs {jobs}", run, args.corpus)

    podeval = podeval_command()
    helps = {
        name: subprocess.run(podeval + [name, "--help"], capture_output=True, text=True, check=False)
        for name in ("test", "diff")
    }
    available = {name: done.returncode == 0 for name, done in helps.items()}
    # `--jobs` for test and diff (issue 12): one command over the whole folder; before it, one process per part
    parallel = {name: "--jobs" in done.stdout for name, done in helps.items()}
    if not available["test"]:
        report_missing("test")
    else:
        # goldens first (not counted): `podeval test --update`; the timed run then compares against them
        if parallel["test"]:
            run_measured([podeval + ["test", "--update", "-q", "--jobs", str(jobs), str(layout["all"])]])
            run = run_measured([podeval + ["test", "-q", "--jobs", str(jobs), str(layout["all"])]])
            label = f"podeval test DIR --jobs {jobs}"
        else:
            run_measured([podeval + ["test", "--update", "-q", str(folder)] for folder in layout["parts"]])
            run = run_measured([podeval + ["test", "-q", str(folder)] for folder in layout["parts"]])
            label = f"podeval test DIR ({jobs} parts, a process each)"
        report_corpus(
            "test", label, run, args.corpus, note="" if set(run["codes"]) == {0} else f"exit codes {run['codes']}"
        )
    if not available["diff"]:
        report_missing("diff")
    else:
        variant = work / "variant-pack"
        variant_pack(variant)
        command = podeval + ["diff", "--rules", "flyte-v1", "--rules", str(variant)]
        if parallel["diff"]:
            run = run_measured([command + ["--jobs", str(jobs), str(layout["all"])]])
            label = f"podeval diff --rules A --rules B DIR --jobs {jobs}"
        else:
            run = run_measured([command + [str(folder)] for folder in layout["parts"]])
            label = f"podeval diff --rules A --rules B DIR ({jobs} parts)"
        report_corpus("diff", label, run, args.corpus)


def variant_pack(folder: Path, source: Path | None = None) -> None:
    """flyte-v1 (this tree's, or the pack folder ``source``) with one different default (default-cpus 2): the
    what-if a platform team would run."""
    folder.mkdir()
    source = source or Path(engine.load_rules("flyte-v1").folder)
    for name in ("pack.yaml", "profiles.yaml", "plugin-config.yaml"):
        shutil.copy(source / name, folder / name)
    config = (folder / "plugin-config.yaml").read_text()
    changed = config.replace("default: 1000m", 'default: "2"', 1)
    if changed == config:
        raise RuntimeError("could not derive the variant pack (default-cpus not found)")
    (folder / "plugin-config.yaml").write_text(changed)


FLAT = "peak RSS growth, first half -> whole run"


def report_corpus(name: str, label: str, run: dict, count: int, note: str = "") -> None:
    seconds = run["seconds"]
    load = f", load {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    figure(
        f"corpus.{name}.seconds",
        label,
        seconds,
        "s",
        "<= 15 s" if count >= 10_000 else "(full: <= 15 s)",
        seconds <= 15 if count >= 10_000 else None,
        note or f"{count / seconds:,.0f} scenarios/s; CPU {run['cpu']:.1f} s{load}",
    )
    peak, first_half = run["peak"], run["first half"]
    if peak is None:
        figure(f"corpus.{name}.rss", "peak RSS, all processes", None, "MB", "<= 300 MB", None, "no /proc here")
        figure(f"corpus.{name}.flat", FLAT, None, "%", "<= 10% (flat)", None, "no /proc here")
        return
    figure(f"corpus.{name}.rss", "peak RSS, all processes", peak / 1e6, "MB", "<= 300 MB", peak <= 300e6)
    growth = (peak / first_half - 1) * 100 if first_half else None
    figure(
        f"corpus.{name}.flat",
        FLAT,
        growth,
        "%",
        "<= 10% (flat)",
        growth <= 10 if growth is not None else None,
        f"{first_half / 1e6:.0f} MB -> {peak / 1e6:.0f} MB" if first_half else "",
    )


def report_missing(name: str) -> None:
    note = f"skipped: this podeval has no `{name}` command"
    for suffix, label, unit, target in (
        ("seconds", f"podeval {name} DIR", "s", "<= 15 s"),
        ("rss", "peak RSS, all processes", "MB", "<= 300 MB"),
        ("flat", FLAT, "%", "<= 10% (flat)"),
    ):
        figure(f"corpus.{name}.{suffix}", label, None, unit, target, None, note)


# ----------------------------------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------------------------------
# 5. before/after: this tree against a revision, interleaved

#: run in a child process whose ``engine`` is the tree's (PYTHONPATH): evaluations per second of each input
#: (argv: the inputs as JSON, seconds per figure), printed as JSON. Only the library API, which both trees have.
_RATE_CHILD = """
import json, sys, time
import engine
inputs = json.load(open(sys.argv[1]))
seconds = float(sys.argv[2])
pack = engine.load_rules("flyte-v1")
rates = {}
for name, data in inputs.items():
    for trace in (True, False):
        engine.evaluate(data, rules=pack, trace=trace)
        count, started = 0, time.perf_counter()
        while True:
            engine.evaluate(data, rules=pack, trace=trace)
            count += 1
            now = time.perf_counter()
            if now - started >= seconds:
                break
        rates[name + (".trace" if trace else ".notrace")] = count / (now - started)
print(json.dumps(rates))
"""


def tree_env(tree: Path) -> dict:
    """The environment of a process that runs ``tree``'s engine."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    return env


def baseline_tree(rev: str, work: Path) -> Path:
    """A detached ``git worktree`` of ``rev`` in the work folder (removed again at the end of the run)."""
    folder = work / "baseline"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), rev], check=True, capture_output=True
    )
    return folder


def before_after(args, work: Path) -> None:
    trees = {"before": baseline_tree(args.baseline, work), "after": ROOT}
    section(f"5. Before ({args.baseline}) / after (this tree), interleaved, each tree in its own processes")
    inputs_file = work / "inputs.json"
    inputs = {
        name: load_document(path.read_bytes(), str(path)).value for name, path in (("a", EXAMPLE_3), ("b", LARGE))
    }
    inputs_file.write_text(json.dumps(inputs))
    table: dict[str, dict[str, float]] = {}
    # throughput: best of the rounds, each round measuring both trees
    best: dict[str, dict[str, float]] = {name: {} for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            done = subprocess.run(
                [sys.executable, "-c", _RATE_CHILD, str(inputs_file), str(args.seconds)],
                env=tree_env(tree),
                cwd=tree,
                capture_output=True,
                text=True,
                check=True,
            )
            for key, value in json.loads(done.stdout).items():
                best[name][key] = max(best[name].get(key, 0.0), value)
    for key in best["after"]:
        table[f"throughput.{key} (evals/s)"] = {name: best[name][key] for name in trees}
    # cold start: `python -m engine render` of Example 3, the trees alternating, median
    render = [sys.executable, "-m", "engine", "render", str(EXAMPLE_3)]
    for name, tree in trees.items():
        wall(render, env=tree_env(tree), cwd=tree)  # warm: bytecode and the compiled-pack cache
    times: dict[str, list] = {name: [] for name in trees}
    for _ in range(args.cold_runs):
        for name, tree in trees.items():
            times[name].append(wall(render, env=tree_env(tree), cwd=tree))
    table["cold render example-3 (s)"] = {name: statistics.median(values) for name, values in times.items()}
    # the corpus through `podeval diff`, one tree after the other (each uses both cores)
    if args.corpus:
        layout = build_corpus(work / "ba", args.corpus, 2)
        for name, tree in trees.items():
            variant = work / "ba" / f"variant-pack-{name}"  # each tree's own flyte-v1: the format changes
            variant_pack(variant, tree / "rules" / "flyte-v1")
            command = [sys.executable, "-m", "engine", "diff", "--rules", "flyte-v1", "--rules", str(variant)]
            env = tree_env(tree)  # and cwd=tree: `python -m` puts the working folder first on sys.path
            helped = subprocess.run(
                command[:4] + ["--help"], env=env, cwd=tree, capture_output=True, text=True, check=False
            )
            if "--jobs" in helped.stdout:
                commands = [command + ["--jobs", "2", str(layout["all"])]]
            else:
                commands = [command + [str(folder)] for folder in layout["parts"]]
            started = time.perf_counter()
            processes = [
                subprocess.Popen(c, env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                for c in commands
            ]
            for process in processes:
                error = process.communicate()[1]
                if process.returncode not in (0, 1):  # 1: some scenarios changed, as they do with the variant
                    raise RuntimeError(f"{name}: podeval diff failed ({process.returncode}): {error.decode()[-800:]}")
            table.setdefault(f"corpus diff, {args.corpus:,} scenarios (s)", {})[name] = time.perf_counter() - started
    print(f"\n  {'figure':<44} {'before':>12} {'after':>12} {'speed-up':>9}")
    for label, values in table.items():
        # rates: after / before; times (s): before / after. Above 1: the tree is faster than REV.
        if not values.get("before") or not values.get("after"):
            speedup = float("nan")
        else:
            speedup = (
                values["before"] / values["after"] if label.endswith("(s)") else values["after"] / values["before"]
            )
        print(f"  {label:<44} {values['before']:>12,.3f} {values['after']:>12,.3f} {speedup:>8.2f}x")
        RESULTS[f"baseline.{label}"] = {"label": label, **values, "ok": None}
    print(f"  (load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="podeval's benchmark suite (see benchmarks/README.md)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny samples, every figure printed")
    parser.add_argument("--corpus", type=int, default=None, help="scenarios in the corpus (default 10,000)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure and the machine as JSON")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR (kept) instead of a temporary folder")
    parser.add_argument(
        "--only",
        metavar="SECTIONS",
        default="throughput,cold,corpus,plugins",
        help="a comma-separated subset of: throughput (with the floor), cold, corpus, plugins",
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="measure throughput, cold start and the corpus diff for a git worktree of REV too, interleaved, and "
        "print a before/after table (with --only baseline: only that table)",
    )
    args = parser.parse_args(argv)
    sections = set(args.only.split(","))
    args.seconds, args.rounds, args.cold_runs = (0.05, 1, 2) if args.quick else (1.0, 5, 10)
    if args.corpus is None:
        args.corpus = 200 if args.quick else 10_000

    info = machine()
    print("podeval benchmarks" + (" (QUICK: smoke run, figures not comparable)" if args.quick else ""))
    print(
        "command: "
        + " ".join([Path(sys.executable).name, "benchmarks/run.py"] + (argv if argv is not None else sys.argv[1:]))
    )
    for key, value in info.items():
        print(f"  {key:<13} {value}")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="podeval-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    # The processes this run starts cache their bytecode (in the work folder), as after `pip install` or any
    # earlier run: PYTHONDONTWRITEBYTECODE, which some sandboxes set, would make every start compile podeval.
    INHERITED_ENV.update(os.environ)
    INHERITED_ENV.pop("PYTHONPROFILEIMPORTTIME", None)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.pop("PYTHONPROFILEIMPORTTIME", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    try:
        if "throughput" in sections:
            throughput(args)
        if "cold" in sections:
            cold_start(args, work)
        if "corpus" in sections:
            corpus_runs(args, work)
        if "plugins" in sections:
            from plugins_bench import plugin_runs  # benchmarks/plugins_bench.py, beside this script

            plugin_runs(args, figure, section)
        if args.baseline:
            before_after(args, work)
    finally:
        if args.baseline and (work / "baseline").exists():
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / "baseline")], check=False
            )
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    misses = [fid for fid, result in RESULTS.items() if result["ok"] is False]
    print(
        f"\n{sum(1 for r in RESULTS.values() if r['ok'])} targets met, {len(misses)} missed"
        + (f": {', '.join(misses)}" if misses else "")
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "quick": args.quick, "figures": RESULTS}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
