"""`podeval migrate-report`: what changes for each task when the platform moves from one Flyte to another (the rule
pack ``--from``, e.g. flyte-v1, to ``--to``, e.g. flyte-v2), with the platform's own config and PodTemplates.

Each task (a scenario, or a registered TaskTemplate) is diffed as ``podeval diff`` diffs it
(``engine.tools.corpus.diff_scenario``); every field whose value changes gets the explain of both sides (the whole
story: candidates, winner, why), and a *kind*: gain, lose or change, the field's topic (by its path, from the table
``engine/data/change-topics.json``) and the source and rule that set the value on the side that has it. The
summary counts the tasks of each kind ("3 tasks lose container resources (flyte-v1: runtime-template, rule
runtime-template)"): nothing is named per example, the kinds come from the paths and the traces.

Output: text, JSON (one document), JUnit (a task that changes is a failure) and the diff HTML report with the
summary on top (``engine.render.report_diff``).
"""

from __future__ import annotations

import functools
import io
import json
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from ..errors import PodevalError
from ..inputs.scenario_files import corpus_files
from ..k8s.diff import MISSING, format_value
from . import corpus
from .corpus import Side, diff_scenario
from .junit import CaseResult
from .workers import stream

_VERBS = {"added": "gain", "removed": "lose", "changed": "change"}


@functools.cache
def topics() -> list[tuple[str, str]]:
    """(pattern, topic) pairs of engine/data/change-topics.json, in order."""
    data = json.loads(resources.files("engine").joinpath("data", "change-topics.json").read_text(encoding="utf-8"))
    return [(item["pattern"], item["topic"]) for item in data["topics"]]


def general_path(path_text: str) -> str:
    """The path with list keys and indexes as ``*`` (``spec.tolerations[*]``, ``spec.containers[name=*].image``)."""
    return re.sub(r"\[\d+\]", "[*]", corpus._general(path_text))


def topic_of(path_text: str) -> str:
    general = general_path(path_text)
    for pattern, topic in topics():
        if _pattern(pattern).fullmatch(general):
            return topic
    return general


@functools.cache
def _pattern(pattern: str) -> re.Pattern:
    """A topic pattern: `*` is any text, everything else literal (brackets included, unlike fnmatch)."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def kind_of(change: dict, old_label: str, new_label: str) -> str:
    """The kind of a change record (``corpus._change_record``): its verb, topic and the source behind it."""
    verb = _VERBS[change["change"]]
    topic = topic_of(change["path"])
    if verb == "gain":
        return f"gain {topic} ({new_label}: {_who(change, 'new')})"
    if verb == "lose":
        return f"lose {topic} ({old_label}: {_who(change, 'old')})"
    old, new = _who(change, "old"), _who(change, "new")
    if old == new:
        return f"change {topic} (both: {new})"
    return f"change {topic} ({old_label}: {old} -> {new_label}: {new})"


def _who(change: dict, side: str) -> str:
    owner, rule = change.get(f"{side}Owner"), change.get(f"{side}Rule")
    if owner is None and rule is None:
        return "no source"
    return f"{owner}, rule {rule}" if rule and rule != owner else str(owner)


@dataclass
class TaskMigration:
    """One task: its diff record's status and outcomes, each changed field with both explains and its kind."""

    file: str
    status: str  # changed | unchanged | unreadable
    old: Any = None  # corpus.Outcome without its result
    new: Any = None
    changes: list = field(default_factory=list)
    error: PodevalError | None = None
    seconds: float = 0.0

    @property
    def kinds(self) -> list[str]:
        seen: dict[str, None] = {}
        for change in self.changes:
            seen.setdefault(change["kind"], None)
        if self.status == "changed" and not self.changes:
            seen.setdefault("change the build's outcome", None)
        return list(seen)


def migrate_task(path: Path, old_side: Side, new_side: Side, load: Any = None) -> TaskMigration:
    """Diff one task under both sides, and explain each changed field on both."""
    record = diff_scenario(path, old_side, new_side, load)
    changes = []
    for change in record.changes:
        explains = {}
        for side, outcome in (("from", record.old), ("to", record.new)):
            explains[side] = outcome.result.trace.explain(change["path"]) if outcome.result is not None else None
        changes.append({**change, "kind": kind_of(change, old_side.label, new_side.label), "explain": explains})
    old = replace(record.old, result=None) if record.old is not None else None
    new = replace(record.new, result=None) if record.new is not None else None
    return TaskMigration(record.file, record.status, old, new, changes, record.error, record.seconds)


def _migrate_chunk(paths: list) -> list:
    assert corpus._sides is not None
    return [migrate_task(path, *corpus._sides, corpus._load) for path in paths]


class Summary:
    """The counts, and the tasks of each kind (a task counts once per kind)."""

    def __init__(self) -> None:
        self.tasks = self.changed = self.unchanged = self.unreadable = 0
        self.kinds: Counter = Counter()
        self.fields: Counter = Counter()

    def add(self, task: TaskMigration) -> None:
        self.tasks += 1
        setattr(self, task.status, getattr(self, task.status) + 1)
        for kind in task.kinds:
            self.kinds[kind] += 1
        for path in {general_path(c["path"]) for c in task.changes}:
            self.fields[path] += 1

    def to_dict(self) -> dict:
        return {
            "tasks": self.tasks,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "unreadable": self.unreadable,
            "kinds": [{"kind": kind, "tasks": count} for kind, count in _ordered(self.kinds)],
            "fields": [{"path": path, "tasks": count} for path, count in _ordered(self.fields)],
        }


def _ordered(counter: Counter) -> list:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _why(explanation: dict | None) -> str:
    """One line: why the field has its value (or no value) on one side."""
    if explanation is None:
        return ""
    for candidate in explanation.get("candidates") or []:
        if candidate.get("outcome") == "won" or not explanation.get("present"):
            return candidate.get("why", "")
    return "no source sets it" if not explanation.get("present") else ""


class TextWriter:
    """Each task that changes with its fields (``quiet``: none, only the tasks that cannot be evaluated), then the
    summary."""

    def __init__(self, out: TextIO, old_label: str, new_label: str, quiet: bool = False) -> None:
        self.out, self.old_label, self.new_label, self.quiet = out, old_label, new_label, quiet
        self.width = max(len(old_label), len(new_label))

    def task(self, task: TaskMigration) -> None:
        if task.status == "unreadable":
            self.out.write(f"! {task.file}: cannot be evaluated: error[{task.error.code}] {task.error}\n")
            return
        if self.quiet:
            return
        if not task.changes:
            self.out.write(f"~ {task.file}: the outcome changes\n")
            for label, outcome in ((self.old_label, task.old), (self.new_label, task.new)):
                text = f"error[{outcome.error.code}] {outcome.error.message}" if outcome.error else "builds the Pod"
                self.out.write(f"    {label:<{self.width}}  {text}\n")
            return
        self.out.write(f"~ {task.file}: {_plural(len(task.changes), 'field')} change on {self.new_label}\n")
        for change in task.changes:
            mark = {"added": "+", "removed": "-", "changed": "~"}[change["change"]]
            self.out.write(f"  {mark} {change['path']}  [{change['kind']}]\n")
            for side, label, key in (("old", self.old_label, "from"), ("new", self.new_label, "to")):
                value = change.get(side, MISSING)
                self.out.write(f"      {label:<{self.width}}  {format_value(value)}\n")
                why = _why(change["explain"][key])
                if why:
                    self.out.write(f"      {'':<{self.width}}  why: {why}\n")

    def end(self, summary: Summary) -> None:
        data = summary.to_dict()
        self.out.write(
            f"\n{_plural(data['tasks'], 'task')}: {data['changed']} change on {self.new_label}, "
            f"{data['unchanged']} unchanged"
            + (f", {data['unreadable']} could not be evaluated" if data["unreadable"] else "")
            + f" ({self.old_label} -> {self.new_label})\n"
        )
        if data["kinds"]:
            self.out.write("kinds of change:\n")
            for item in data["kinds"]:
                self.out.write(f"  {item['tasks']:>6} {'task ' if item['tasks'] == 1 else 'tasks'} {item['kind']}\n")


class JsonWriter:
    """One document: ``{"from", "to", "tasks": [...], "summary": {...}}``, written as it goes."""

    def __init__(self, out: TextIO, old_label: str, new_label: str, quiet: bool = False) -> None:
        self.out, self.first = out, True
        self.out.write(f'{{"from": {json.dumps(old_label)}, "to": {json.dumps(new_label)}, "tasks": [')

    def task(self, task: TaskMigration) -> None:
        data: dict[str, Any] = {"file": task.file, "status": task.status}
        if task.status == "unreadable":
            data["error"] = task.error.to_dict()
        else:
            data.update({"from": task.old.to_dict(), "to": task.new.to_dict(), "kinds": task.kinds})
            data["changes"] = task.changes
        self.out.write(("\n  " if self.first else ",\n  ") + json.dumps(data, ensure_ascii=False))
        self.first = False

    def end(self, summary: Summary) -> None:
        self.out.write(("\n" if not self.first else "") + '], "summary": ' + json.dumps(summary.to_dict()) + "}\n")


def junit_case(task: TaskMigration, old_label: str, new_label: str) -> CaseResult:
    """A task that keeps its Pod passes; one that changes fails, with the text report's lines for it."""
    status = {"unchanged": "pass", "changed": "fail", "unreadable": "error"}[task.status]
    if status == "pass":
        return CaseResult(Path(task.file), status, seconds=task.seconds)
    text = io.StringIO()
    TextWriter(text, old_label, new_label).task(task)
    head, *details = text.getvalue().rstrip("\n").split("\n")
    message = head[2:].removeprefix(task.file).lstrip(": ")
    if task.kinds:
        message += ": " + "; ".join(task.kinds)
    return CaseResult(Path(task.file), status, message, details, task.seconds)


def migrate(
    inputs: Iterable[str],
    old_side: Side,
    new_side: Side,
    *,
    output: str = "text",
    out: TextIO,
    cases: list | None = None,
    changed: list | None = None,
    unchanged: list | None = None,
    jobs: int = 1,
    load: Any = None,
    quiet: bool = False,
) -> Summary:
    """Report every task of the corpus; ``cases`` collects a JUnit case per task, ``changed`` the files of the tasks
    that change and ``unchanged`` of those that do not (for the HTML report); ``quiet``: the text report's summary
    only."""
    writer = (JsonWriter if output == "json" else TextWriter)(out, old_side.label, new_side.label, quiet)
    summary = Summary()
    for task in _tasks(inputs, old_side, new_side, jobs, load):
        summary.add(task)
        if cases is not None:
            cases.append(junit_case(task, old_side.label, new_side.label))
        if task.status == "unchanged" and unchanged is not None:
            unchanged.append(task.file)
        if task.status != "unchanged":
            writer.task(task)
            if changed is not None and task.status == "changed":
                changed.append(task.file)
    writer.end(summary)
    return summary


def _tasks(inputs: Iterable[str], old_side: Side, new_side: Side, jobs: int, load: Any) -> Iterator[TaskMigration]:
    if jobs <= 1:
        for path in corpus_files(inputs, tasks=True):
            started = time.monotonic()
            task = migrate_task(path, old_side, new_side, load)
            task.seconds = time.monotonic() - started
            yield task
        return
    yield from stream(
        _migrate_chunk,
        corpus_files(inputs, tasks=True),
        jobs=jobs,
        init=corpus._init_sides,
        initargs=(corpus._spec(old_side), corpus._spec(new_side), load),
        chunk=8,
    )


def pairs_for_report(files: list, old_side: Side, new_side: Side, load: Any = None) -> list:
    """(file, old result, new result) of each task that changes, evaluated again with their traces (the HTML
    report shows both Pods with provenance)."""
    pairs = []
    for file in files:
        record = diff_scenario(Path(file), old_side, new_side, load)
        if record.old and record.new and record.old.result and record.new.result:
            pairs.append((file, record.old.result, record.new.result))
    return pairs
