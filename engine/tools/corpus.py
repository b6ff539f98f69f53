"""`podeval diff` over a corpus (its files chosen by ``engine.inputs.scenario_files.corpus_files``, the one file
selection of every scenario command).

``run_corpus`` evaluates every scenario of a corpus under two *sides* (two rule packs, two FlytePropeller configs
or two sets of PodTemplates) and streams one record per Pod that changed, so 10,000 scenarios cost the memory of
one. Pods are built without a trace first; only a Pod that changed is built again with its trace, to name the
source and rule behind each old and new value. With ``jobs`` > 1 the scenarios are diffed in worker processes
(engine.tools.workers), the records streamed back in corpus order: the output is the same for every ``jobs``.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from ..errors import FlyteBuildError, InputError, PodevalError
from ..eval.evaluate import evaluate
from ..inputs.scenario import Scenario, load_scenario
from ..inputs.scenario_files import corpus_files
from ..k8s import paths as _paths
from ..k8s.diff import MISSING, Change, diff_values, format_value, provenance, same
from ..pack.rules import load_rules
from .junit import CaseResult
from .workers import stream


@dataclass
class Side:
    """One side of a what-if: a rule pack, and optionally parts that replace the scenarios' own."""

    label: str
    rules: Any
    #: the normalised parts of ``propeller`` that config files give (``config``, the plugins.k8s mapping; ``plugins``
    #: and ``executor`` when the files have those sections), each replacing the scenario's; None to keep the scenario's
    propeller_config: Any = None
    pod_templates: list | None = None  # normalised PodTemplates, or None to keep the scenario's

    def scenario(self, scenario: Any) -> Any:
        if self.propeller_config is None and self.pod_templates is None:
            return scenario

        data = dict(scenario.data)
        if self.propeller_config is not None:
            data["propeller"] = {**(data.get("propeller") or {}), **self.propeller_config}
        if self.pod_templates is not None:
            data["podTemplates"] = self.pod_templates
        return Scenario(data, scenario.filename, scenario.document)


@dataclass
class Outcome:
    """What one side made of a scenario: a Pod, or the error Flyte (or podeval) would report."""

    pod: dict | None = None
    error: PodevalError | None = None
    result: Any = None

    @property
    def input_error(self) -> bool:
        return isinstance(self.error, InputError)

    def same_as(self, other: Outcome) -> bool:
        if self.error is not None or other.error is not None:
            return (
                self.error is not None
                and other.error is not None
                and self.error.code == other.error.code
                and self.error.path == other.error.path
            )
        return same(self.pod, other.pod)

    def to_dict(self) -> dict:
        if self.error is not None:
            return {"error": {"code": self.error.code, "message": self.error.message, "exitCode": self.error.exit_code}}
        return {"pod": True}


def _outcome(scenario: Any, side: Side, *, trace: bool) -> Outcome:
    try:
        result = evaluate(side.scenario(scenario), side.rules, trace=trace)
    except FlyteBuildError as error:
        return Outcome(error=error)
    except InputError as error:
        return Outcome(error=error)
    return Outcome(pod=result.pod, result=result)


@dataclass
class PodDiff:
    file: str
    status: str  # "changed" | "unchanged" | "unreadable"
    old: Outcome | None = None
    new: Outcome | None = None
    changes: list = field(default_factory=list)  # dicts, see _change_record
    error: PodevalError | None = None
    seconds: float = 0.0


def _change_record(change: Change, old: Outcome, new: Outcome) -> dict:
    record: dict[str, Any] = {"path": change.path_text, "change": change.kind}
    if change.old is not MISSING:
        record["old"] = change.old
        record.update({"oldOwner": None, "oldRule": None})
        if old.result is not None:
            who = provenance(old.result, change.path)
            record.update(oldOwner=who["owner"], oldRule=who["rule"])
    if change.new is not MISSING:
        record["new"] = change.new
        record.update({"newOwner": None, "newRule": None})
        if new.result is not None:
            who = provenance(new.result, change.path)
            record.update(newOwner=who["owner"], newRule=who["rule"])
    return record


def diff_scenario(path: Path, old_side: Side, new_side: Side, load: Any = None) -> PodDiff:
    """Evaluate one scenario under both sides and compare. ``load(path)`` reads the scenario (default
    ``load_scenario``; the CLI's lays its separate files over it)."""
    started = time.monotonic()
    record = _diff_scenario(path, old_side, new_side, load)
    record.seconds = time.monotonic() - started
    return record


def _diff_scenario(path: Path, old_side: Side, new_side: Side, load: Any) -> PodDiff:
    try:
        scenario = (load or load_scenario)(path)
    except InputError as error:
        return PodDiff(str(path), "unreadable", error=error)
    except FlyteBuildError as error:  # refused when decoded, before any side applies: the same on both sides
        return PodDiff(str(path), "unchanged", Outcome(error=error), Outcome(error=error))
    old = _outcome(scenario, old_side, trace=False)
    new = _outcome(scenario, new_side, trace=False)
    for outcome in (old, new):
        if outcome.input_error:
            return PodDiff(str(path), "unreadable", old, new, error=outcome.error)
    if old.same_as(new):
        return PodDiff(str(path), "unchanged", old, new)
    if old.pod is not None and new.pod is not None:  # build again, with the trace, to say why
        old = _outcome(scenario, old_side, trace=True)
        new = _outcome(scenario, new_side, trace=True)
        changes = [_change_record(change, old, new) for change in diff_values(old.pod, new.pod)]
        return PodDiff(str(path), "changed", old, new, changes)
    return PodDiff(str(path), "changed", old, new)


# ----------------------------------------------------------------------------------------------------------------
# Output: streamed, one record per changed Pod, then the summary


def _general(path_text: str) -> str:
    """A path with its list keys left out (``spec.containers[name=*].image``): container names vary per Pod (a
    container task's is the generated pod name), so the summary counts fields, not containers."""
    return _paths.render(
        tuple(
            _paths.Key.of([(field, "*") for field, _ in s.pairs]) if isinstance(s, _paths.Key) else s
            for s in _paths.parse(path_text)
        )
    )


class Summary:
    """Counts only: the corpus is streamed, the summary is all that is kept (fields by their general path)."""

    MAX_KEYS = 1000

    def __init__(self) -> None:
        self.scenarios = self.changed = self.unchanged = self.unreadable = 0
        self.fields: Counter = Counter()
        self.rules: Counter = Counter()

    def _count(self, counter: Counter, key: str) -> None:
        if key in counter or len(counter) < self.MAX_KEYS:
            counter[key] += 1
        else:
            counter["(other)"] += 1

    def add(self, record: PodDiff) -> None:
        self.scenarios += 1
        setattr(self, record.status, getattr(self, record.status) + 1)
        for change in record.changes:
            self._count(self.fields, _general(change["path"]))
            if change.get("newOwner") or change.get("newRule"):
                self._count(self.rules, f"{change.get('newOwner')} / {change.get('newRule')}")
        if record.status == "changed" and not record.changes:
            self._count(self.fields, "(the build's outcome)")

    def to_dict(self, top: int = 20) -> dict:
        return {
            "scenarios": self.scenarios,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "unreadable": self.unreadable,
            "fields": dict(self.fields.most_common(top)),
            "rules": dict(self.rules.most_common(top)),
        }


def _outcome_text(label: str, outcome: Outcome) -> str:
    if outcome.error is not None:
        return f"{label}: error[{outcome.error.code}] {outcome.error.message}"
    return f"{label}: builds the Pod"


class TextWriter:
    def __init__(self, out: TextIO, old_label: str, new_label: str) -> None:
        self.out = out
        self.old_label = old_label
        self.new_label = new_label
        self.width = max(len(old_label), len(new_label))

    def start(self) -> None:
        pass

    def pod(self, record: PodDiff) -> None:
        if record.status == "unreadable":
            self.out.write(f"! {record.file}: cannot be evaluated: error[{record.error.code}] {record.error}\n")
            return
        if not record.changes:
            self.out.write(
                f"~ {record.file}\n    {_outcome_text(self.old_label, record.old)}\n"
                f"    {_outcome_text(self.new_label, record.new)}\n"
            )
            return
        count = len(record.changes)
        self.out.write(f"~ {record.file}: {count} field{'s' if count != 1 else ''} changed\n")
        for change in record.changes:
            mark = {"added": "+", "removed": "-", "changed": "~"}[change["change"]]
            self.out.write(f"  {mark} {change['path']}\n")
            for side, label in (("old", self.old_label), ("new", self.new_label)):
                value = change.get(side, MISSING)
                who = ""
                if value is not MISSING and (change.get(f"{side}Owner") or change.get(f"{side}Rule")):
                    who = f"  [{change.get(f'{side}Owner')} / rule {change.get(f'{side}Rule')}]"
                self.out.write(f"      {label:<{self.width}}  {format_value(value)}{who}\n")

    def end(self, summary: Summary) -> None:
        data = summary.to_dict()
        self.out.write(
            f"\n{data['scenarios']} scenario{'s' if data['scenarios'] != 1 else ''}: "
            f"{data['changed']} changed, {data['unchanged']} unchanged"
            + (f", {data['unreadable']} could not be evaluated" if data["unreadable"] else "")
            + f" ({self.old_label} -> {self.new_label})\n"
        )
        if data["fields"]:
            self.out.write("fields that changed most:\n")
            for path, count in data["fields"].items():
                self.out.write(f"  {count:>6}  {path}\n")
        if data["rules"]:
            self.out.write(f"sources and rules behind the new values ({self.new_label}):\n")
            for rule, count in data["rules"].items():
                self.out.write(f"  {count:>6}  {rule}\n")


class JsonWriter:
    """One JSON document, written as it goes: ``{"old": ..., "new": ..., "pods": [...], "summary": {...}}``."""

    def __init__(self, out: TextIO, old_label: str, new_label: str) -> None:
        self.out = out
        self.old_label = old_label
        self.new_label = new_label
        self.first = True

    def start(self) -> None:
        self.out.write(f'{{"old": {json.dumps(self.old_label)}, "new": {json.dumps(self.new_label)}, "pods": [')

    def pod(self, record: PodDiff) -> None:
        data: dict[str, Any] = {"file": record.file, "status": record.status}
        if record.status == "unreadable":
            data["error"] = record.error.to_dict()
        else:
            data["old"] = record.old.to_dict()
            data["new"] = record.new.to_dict()
            data["changes"] = record.changes
        self.out.write(("\n  " if self.first else ",\n  ") + json.dumps(data, ensure_ascii=False))
        self.first = False

    def end(self, summary: Summary) -> None:
        self.out.write(
            ("\n" if not self.first else "")
            + '], "summary": '
            + json.dumps(summary.to_dict(), ensure_ascii=False)
            + "}\n"
        )


def junit_case(record: PodDiff, old_label: str, new_label: str) -> CaseResult:
    """A scenario of ``podeval diff --junit``: an unchanged Pod passes, a changed one fails with the text report's
    lines for it (each field, old and new values, and the source and rule behind them), an unreadable one errs."""
    status = {"unchanged": "pass", "changed": "fail", "unreadable": "error"}[record.status]
    if status == "pass":
        return CaseResult(Path(record.file), status, seconds=record.seconds)
    text = io.StringIO()
    TextWriter(text, old_label, new_label).pod(record)
    head, *details = text.getvalue().rstrip("\n").split("\n")
    message = head[2:].removeprefix(record.file).lstrip(": ") or f"the outcome changed ({old_label} -> {new_label})"
    return CaseResult(Path(record.file), status, message, details, record.seconds)


class Progress:
    """A one-line progress bar on a terminal; nothing otherwise."""

    def __init__(self, total: int, stream: TextIO, width: int = 30) -> None:
        self.total = max(total, 1)
        self.stream = stream
        self.width = width
        self.done = 0
        self.changed = 0
        self.last = 0.0

    def advance(self, changed: bool) -> None:
        self.done += 1
        self.changed += int(changed)
        now = time.monotonic()
        if now - self.last >= 0.1 or self.done == self.total:
            self.last = now
            filled = int(self.width * self.done / self.total)
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} ({self.changed} changed)"
            )
            self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r" + " " * (self.width + 40) + "\r")
        self.stream.flush()


PROGRESS_THRESHOLD = 50


_sides: tuple[Side, Side] | None = None
_load: Any = None


def _init_sides(old: tuple, new: tuple, load: Any = None) -> None:
    """A worker's two sides, their packs compiled here (a pack does not pickle: it is sent as its folder), and
    how it reads a scenario."""
    global _sides, _load

    _load = load
    _sides = tuple(Side(label, load_rules(rules), config, templates) for label, rules, config, templates in (old, new))


def _diff_chunk(paths: list) -> list:
    """Diff a chunk in a worker: the records without the evaluation results (they hold the pack, and only the
    HTML report needs them) and without the Pods (the changes are worked out here; what the parent writes needs
    only the changes and the errors): less to pickle here and to unpickle in the parent."""
    assert _sides is not None
    records = []
    for path in paths:
        record = diff_scenario(path, *_sides, _load)
        for side in ("old", "new"):
            outcome = getattr(record, side)
            if outcome is not None and (outcome.result is not None or outcome.pod is not None):
                setattr(record, side, replace(outcome, result=None, pod=None))
        records.append(record)
    return records


def _spec(side: Side) -> tuple:
    return side.label, str(side.rules.folder), side.propeller_config, side.pod_templates


def run_corpus(
    inputs: list[str],
    old_side: Side,
    new_side: Side,
    *,
    output: str = "text",
    out: TextIO | None = None,
    err: TextIO | None = None,
    changed: list | None = None,
    cases: list | None = None,
    jobs: int = 1,
    load: Any = None,
) -> Summary:
    """Diff every scenario of the corpus; stream the records to ``out``; return the summary. ``changed``, when
    given, collects ``(file, old result, new result)`` of each changed Pod (for the HTML report): only those are
    kept, so memory grows with the changes, not with the corpus. ``cases``, when given, collects a
    ``junit.CaseResult`` per scenario (``--junit``). ``jobs``: worker processes (1: this one); ``load``: as
    ``diff_scenario``'s (it must pickle for ``jobs`` > 1)."""
    out = out or sys.stdout
    err = err or sys.stderr
    writer = (JsonWriter if output == "json" else TextWriter)(out, old_side.label, new_side.label)
    progress = None
    if err.isatty():
        total = sum(1 for _ in corpus_files(inputs))  # a second walk of the file names only: nothing is kept
        if total > PROGRESS_THRESHOLD:
            progress = Progress(total, err)
    summary = Summary()
    writer.start()
    if jobs <= 1:
        records: Iterable[PodDiff] = (diff_scenario(path, old_side, new_side, load) for path in corpus_files(inputs))
    else:
        records = stream(
            _diff_chunk,
            corpus_files(inputs),
            jobs=jobs,
            init=_init_sides,
            initargs=(_spec(old_side), _spec(new_side), load),
            chunk=8,
        )
    for record in records:
        summary.add(record)
        if cases is not None:
            cases.append(junit_case(record, old_side.label, new_side.label))
        if record.status != "unchanged":
            writer.pod(record)
            if changed is not None and record.status == "changed":
                if jobs > 1:  # the workers sent no results: evaluate this one again, here
                    record = diff_scenario(Path(record.file), old_side, new_side, load)
                if record.old and record.new and record.old.result and record.new.result:
                    changed.append((record.file, record.old.result, record.new.result))
        if progress is not None:
            progress.advance(record.status == "changed")
    if progress is not None:
        progress.close()
    writer.end(summary)
    return summary
