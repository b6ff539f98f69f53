"""podeval's pytest plugin: golden Pods in the user's own test suite (docs/golden-pods.md).

Registered by the ``pytest11`` entry point in pyproject.toml, so it is on once podeval is installed (``-p
no:podeval`` turns it off). It gives two fixtures:

``podeval``
    renders the Pod of a scenario (a path, relative to the test file's folder, or a dict), or of the separate
    inputs the command line takes (``task=``, ``task_template=``, ``flytekit=``, ``pod_templates=``,
    ``propeller_config=``, ``namespace=``, ...: ``engine.inputs.cli_inputs.scenario_from_parts``), and returns
    the evaluation's ``Result`` (``.pod``, ``.trace``).
``pod_snapshot``
    syrupy's ``snapshot`` with ``PodSnapshotExtension``: ``assert podeval.render(...) == pod_snapshot`` stores the
    Pod as readable YAML, one file per snapshot, every field followed by a comment naming its owner (the source and
    rule that set it); a mismatch lists each differing field with its explain, as ``podeval test`` does
    (``engine.tools.golden.mismatch_lines``). ``pytest --snapshot-update`` writes them.

pytest and syrupy are imported only here; syrupy is the ``podeval[pytest]`` extra: without it the ``podeval``
fixture works and ``pod_snapshot`` (or ``PodSnapshotExtension``) fails with the command that installs it.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest
import yaml

from ..documents.yamlio import dump_yaml
from ..errors import InputError
from ..eval.evaluate import evaluate
from ..inputs.cli_inputs import scenario_from_parts
from ..pack.rules import load_rules
from ..render.report_lines import pod_lines
from .golden import mismatch_lines

INSTALL_HINT = "pip install 'podeval[pytest]'"

#: the first line of every stored Pod: says what the trailing comments are
HEADER = "# podeval golden Pod; after each field: the source (and rule) that set it"


def owner_comments(result: Any) -> str:
    """The Pod of ``result`` as YAML (as ``podeval render`` prints it), each single-line field followed by
    ``# SOURCE (RULE)``: the owner the trace records for it."""
    explain = result.trace.explain
    out = [HEADER]
    for line in pod_lines(result.pod):
        if not line.leaf or "\n" in line.text:  # a multi-line string: a comment could end up inside it
            out.append(line.text)
            continue
        story = explain(line.path)
        owner = story.get("owner")
        if owner is None:
            out.append(line.text)
            continue
        rule = story.get("rule")
        out.append(f"{line.text}  # {owner}" + (f" ({rule})" if rule else ""))
    return "\n".join(out) + "\n"


class Podeval:
    """The ``podeval`` fixture: renders Pods for one test, relative paths from the test file's folder."""

    def __init__(self, folder: Path, rules: Any = "flyte-v1") -> None:
        self.folder = folder
        self.rules = rules
        self._packs: dict = {}

    def _path(self, value: Any) -> Any:
        if isinstance(value, (str, Path)) and str(value) != "-":
            path = Path(value)
            return str(path if path.is_absolute() else self.folder / path)
        return value

    def scenario(self, scenario: Any = None, **parts: Any) -> Any:
        """The scenario (``engine.Scenario``) of these inputs; ``rules`` only matters for ``propeller_config``."""
        for key in ("task", "task_template"):
            if parts.get(key) is not None:
                parts[key] = self._path(parts[key])
        for key in ("pod_templates", "propeller_config"):
            if isinstance(parts.get(key), (str, Path)):
                parts[key] = [parts[key]]
            if parts.get(key):
                parts[key] = [self._path(p) for p in parts[key]]
        for sdk in ("flytekit", "flyte_sdk"):
            if isinstance(parts.get(sdk), str) and ".py:" in parts[sdk]:
                file, _, name = parts[sdk].rpartition(":")
                parts[sdk] = f"{self._path(file)}:{name}"
        parts.setdefault("rules", self.rules)
        if isinstance(scenario, (str, Path)):
            scenario = Path(self._path(scenario))
        return scenario_from_parts(scenario=scenario, **parts)

    def render(self, scenario: Any = None, *, rules: Any = None, **parts: Any) -> Any:
        """Evaluate: the ``Result`` (``.pod``, ``.trace``). Where Flyte refuses to build the Pod, or the API server
        would refuse it, the ``engine.PodevalError`` is raised (``pytest.raises`` it to test a refusal); an input
        podeval cannot use fails the test with its file:line:col and hint."""
        rules = rules if rules is not None else self.rules
        try:
            pack = load_rules(rules)
            result = evaluate(self.scenario(scenario, rules=rules, **parts), pack)
        except InputError as error:
            pytest.fail(f"podeval cannot use its input: error[{error.code}] {error}", pytrace=False)
        if result.problems:
            raise result.problems[0]
        return result


@pytest.fixture
def podeval(request: pytest.FixtureRequest) -> Podeval:
    """Render Flyte task Pods: ``podeval.render("scenario.yaml")``, ``podeval.render(task_template="t.pb")``,
    ``podeval.render(flytekit=my_task, pod_templates="templates.yaml")``; paths are relative to the test file."""
    return Podeval(Path(request.path).parent)


@pytest.fixture
def pod_snapshot(request: pytest.FixtureRequest) -> Any:
    """syrupy's ``snapshot`` storing Pods as YAML with their owners: ``assert result == pod_snapshot``."""
    extension = _extension_class()
    return request.getfixturevalue("snapshot").use_extension(extension)


def _extension_class() -> type:
    try:
        from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode  # an optional extra
    except ImportError:
        SingleFileSnapshotExtension = None
    if SingleFileSnapshotExtension is None:  # outside the except: the report shows no ImportError chained
        pytest.fail(f"podeval's Pod snapshots need syrupy, which is not installed: {INSTALL_HINT}", pytrace=False)

    global _EXTENSION
    if _EXTENSION is None:

        class PodSnapshotExtension(SingleFileSnapshotExtension):
            """One ``.pod.yaml`` file per snapshot: the Pod with its owners as comments. The text is compared, so a
            field whose value stayed but whose owner changed fails too: the comments stay true."""

            file_extension = "pod.yaml"
            _write_mode = WriteMode.TEXT

            def serialize(self, data: Any, **_: Any) -> str:
                if hasattr(data, "trace") and hasattr(data, "pod"):
                    text = owner_comments(data)
                    self._results = {**getattr(self, "_results", {}), text: data}
                    return text
                if isinstance(data, dict):  # a Pod without its evaluation: no owners to print
                    return dump_yaml(data)
                raise TypeError(f"pod_snapshot compares podeval.render(...)'s result or a Pod dict, not {type(data)}")

            def diff_lines(self, serialized_data: Any, snapshot_data: Any):
                yield from pod_diff_lines(serialized_data, snapshot_data, getattr(self, "_results", {}))

            def matches(self, *, serialized_data: Any, snapshot_data: Any) -> bool:
                same = super().matches(serialized_data=serialized_data, snapshot_data=snapshot_data)
                if not same:  # kept for the test's report: pytest shortens an assertion's explanation, not a section
                    _MISMATCHES.append(pod_diff_lines(serialized_data, snapshot_data, getattr(self, "_results", {})))
                return same

        _EXTENSION = PodSnapshotExtension
    return _EXTENSION


_EXTENSION: type | None = None

#: the mismatches of the running test's Pod snapshots, reported in full in a section of its report
_MISMATCHES: list[list[str]] = []


def pytest_runtest_setup(item: pytest.Item) -> None:
    _MISMATCHES.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if call.when == "call" and report.failed and _MISMATCHES:
        text = "\n\n".join("\n".join(lines) for lines in _MISMATCHES)
        report.sections.append(("podeval: the Pod snapshot differs", text))
    if call.when == "call":
        _MISMATCHES.clear()
    return report


def pod_diff_lines(actual_text: str, stored_text: str, results: dict) -> list[str]:
    """Why a stored Pod does not match: each differing field with how its actual value came about, or, when only
    the owners differ, the lines whose comment changed."""
    if not stored_text:
        return ["no stored Pod yet: run `pytest --snapshot-update` to write it, then review it like code"]
    try:
        expected, actual = yaml.safe_load(stored_text), yaml.safe_load(actual_text)
    except yaml.YAMLError as error:
        return [f"the stored Pod is not YAML ({error}); run `pytest --snapshot-update` to rewrite it"]
    if expected != actual:
        return ["the Pod differs from the stored one:", *mismatch_lines(expected, actual, results.get(actual_text))]
    changed = [
        line
        for line in difflib.unified_diff(stored_text.splitlines(), actual_text.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return ["the Pod is the same, but who set these fields changed (- stored, + now):", *changed]


def __getattr__(name: str) -> Any:
    if name == "PodSnapshotExtension":  # the class needs syrupy: built on first use, with the install hint if absent
        try:
            import syrupy  # noqa: F401 (only whether it is installed)
        except ImportError:
            raise ImportError(f"PodSnapshotExtension needs syrupy, which is not installed: {INSTALL_HINT}") from None
        return _extension_class()
    raise AttributeError(name)
