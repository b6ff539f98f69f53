"""podeval's pytest plugin (engine/tools/pytest_plugin.py, docs/golden-pods.md).

The example module examples/golden-pods/test_golden_pods.py is run with its committed snapshots by a pytest of
its own, the plugin loaded through the ``pytest11`` entry point that pyproject.toml declares (written, from
pyproject, as the metadata of a stand-in distribution on PYTHONPATH, so this works with podeval installed or not).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import engine
from engine.cli import main
from engine.inputs.cli_inputs import PART_DEFAULTS, scenario_from_parts
from engine.tools.pytest_plugin import HEADER, owner_comments, pod_diff_lines

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "golden-pods"
SNAPSHOTS = EXAMPLE / "__snapshots__" / "test_golden_pods"


@pytest.fixture(scope="module")
def entry_point(tmp_path_factory) -> Path:
    """A folder holding the metadata of a distribution that declares pyproject's pytest11 entry points."""
    tomllib = pytest.importorskip("tomllib", reason="pyproject is read with tomllib (Python 3.11+)")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    points = project["entry-points"]["pytest11"]
    assert points == {"podeval": "engine.tools.pytest_plugin"}
    folder = tmp_path_factory.mktemp("entry-point")
    dist = folder / "podeval_entry_point-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: podeval-entry-point\nVersion: 0\n")
    (dist / "entry_points.txt").write_text("[pytest11]\n" + "".join(f"{k} = {v}\n" for k, v in points.items()))
    return folder


def _pytest(cwd: Path, entry_point: Path, *args: str, pythonpath: tuple = ()) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(NO_COLOR="1", PYTHONPATH=os.pathsep.join([*map(str, pythonpath), str(ROOT), str(entry_point)]))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def example(tmp_path) -> Path:
    """A copy of the example folder, in a folder of its own (no project configuration above it)."""
    target = tmp_path / "golden-pods"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return target


def _outcomes(run: subprocess.CompletedProcess) -> dict:
    last = run.stdout.strip().splitlines()[-1]
    return {word: int(count) for count, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)", last)}


def test_the_example_module_passes_against_its_committed_snapshots(example, entry_point):
    run = _pytest(example, entry_point)
    assert run.returncode == 0, run.stdout + run.stderr
    if importlib.util.find_spec("flytekit") is not None:
        assert _outcomes(run) == {"passed": 6}, run.stdout
        assert "4 snapshots passed" in run.stdout, run.stdout
    else:  # the flytekit task's test skips itself without the podeval[flytekit] extra (CI's lowest-client venv)
        assert _outcomes(run) == {"passed": 5, "skipped": 1}, run.stdout
        assert "3 snapshots passed" in run.stdout, run.stdout


def test_a_mismatch_lists_each_field_with_its_explain(example, entry_point):
    scenario = example / "scenario.yaml"
    scenario.write_text(scenario.read_text().replace("runAsUser: 1000", "runAsUser: 2000"))
    run = _pytest(example, entry_point, "-k", "scenario_file")
    assert run.returncode == 1 and _outcomes(run)["failed"] == 1, run.stdout
    section = run.stdout[run.stdout.index("podeval: the Pod snapshot differs") :]
    assert (
        "  spec.securityContext.runAsUser\n"
        "    expected: 1000\n"
        "    actual:   2000\n"
        "    how the actual value came about:\n"
        "        value: 2000\n"
        "        owner: runtime-template (rule runtime-template)\n"
    ) in section, section
    assert "Traceback" not in run.stdout


def test_an_owner_change_alone_fails_and_says_which(example, entry_point):
    stored = example / "__snapshots__" / "test_golden_pods" / "test_one_scenario_file.pod.yaml"
    line = "    runAsUser: 1000  # runtime-template (runtime-template)"
    assert line in stored.read_text()
    stored.write_text(stored.read_text().replace(line, "    runAsUser: 1000  # compile-time (k8s-pod-target)"))
    run = _pytest(example, entry_point, "-k", "scenario_file")
    assert run.returncode == 1, run.stdout
    assert (
        "the Pod is the same, but who set these fields changed (- stored, + now):\n"
        "-    runAsUser: 1000  # compile-time (k8s-pod-target)\n"
        f"+{line}\n"
    ) in run.stdout, run.stdout


def test_snapshot_update_writes_them(example, entry_point):
    shutil.rmtree(example / "__snapshots__")
    scenario = example / "scenario.yaml"
    scenario.write_text(scenario.read_text().replace("runAsUser: 1000", "runAsUser: 2000"))
    run = _pytest(example, entry_point, "-k", "not flytekit")
    assert run.returncode == 1 and "3 snapshots failed" in run.stdout, run.stdout
    assert "no stored Pod yet: run `pytest --snapshot-update`" in run.stdout
    run = _pytest(example, entry_point, "-k", "not flytekit", "--snapshot-update")
    assert run.returncode == 0 and "3 snapshots generated" in run.stdout, run.stdout
    written = example / "__snapshots__" / "test_golden_pods" / "test_one_scenario_file.pod.yaml"
    assert "    runAsUser: 2000  # runtime-template (runtime-template)\n" in written.read_text()
    for name in ("test_the_files_you_already_have", "test_a_registered_task"):
        path = f"__snapshots__/test_golden_pods/{name}.pod.yaml"
        assert (example / path).read_text() == (EXAMPLE / path).read_text()
    run = _pytest(example, entry_point, "-k", "not flytekit")
    assert run.returncode == 0 and "3 snapshots passed" in run.stdout, run.stdout


def test_off_with_no_podeval(example, entry_point):
    run = _pytest(example, entry_point, "-p", "no:podeval", "-k", "one_field")
    assert run.returncode == 1 and "fixture 'podeval' not found" in run.stdout, run.stdout


def test_without_syrupy_the_fixture_works_and_snapshots_say_what_to_install(example, entry_point, tmp_path):
    # syrupy made unimportable by a module that shadows it; its own pytest11 entry point blocked by name
    missing = tmp_path / "no-syrupy"
    (missing / "syrupy").mkdir(parents=True)
    (missing / "syrupy" / "__init__.py").write_text("raise ImportError(\"No module named 'syrupy'\")\n")
    run = _pytest(
        example, entry_point, "-p", "no:syrupy", "-k", "one_field or refuses or scenario_file", pythonpath=(missing,)
    )
    assert _outcomes(run) == {"passed": 2, "error": 1}, run.stdout + run.stderr  # pod_snapshot fails at setup
    assert "podeval's Pod snapshots need syrupy, which is not installed: pip install 'podeval[pytest]'" in run.stdout
    assert "During handling" not in run.stdout


def test_an_input_podeval_cannot_use_fails_the_test_with_its_place(tmp_path, entry_point):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "bad.yaml").write_text("task:\n  container: {image: i}\n  colour: red\n")
    (tmp_path / "test_bad.py").write_text("def test_bad(podeval):\n    podeval.render('bad.yaml')\n")
    run = _pytest(tmp_path, entry_point)
    assert run.returncode == 1
    assert "podeval cannot use its input: error[unknown_key]" in run.stdout and "bad.yaml:3:3" in run.stdout, run.stdout
    assert "Traceback" not in run.stdout


# ----------------------------------------------------------------------------------------------------------------
# in this process: the stored form, the parts


@pytest.mark.parametrize("name", ["example-1.yaml", "example-3.yaml"])
def test_the_stored_pod_is_the_pod_with_each_owner(name):
    result = engine.evaluate(ROOT / "examples" / "flyte-docs" / name)
    text = owner_comments(result)
    assert text.startswith(HEADER + "\n")
    assert yaml.safe_load(text) == result.pod  # the comments are comments: the file is the Pod
    commented = [line for line in text.splitlines()[1:] if "  # " in line]
    assert len(commented) == len(result.trace.owners)  # one per leaf: every leaf here is on one line
    for line in commented:
        owner = line.rsplit("  # ", 1)[1].split(" (")[0]
        assert owner in set(result.trace.owners.values())


def test_the_stored_pods_of_the_example_are_what_the_engine_gives():
    """The committed snapshots, read back: each is the Pod the example's inputs give, as podeval render prints it."""
    scenario = scenario_from_parts(scenario=EXAMPLE / "scenario.yaml")
    stored = (SNAPSHOTS / "test_one_scenario_file.pod.yaml").read_text()
    assert stored == owner_comments(engine.evaluate(scenario))


def test_the_parts_are_the_command_lines(tmp_path, capsys):
    """``scenario_from_parts`` (the fixture's inputs) gives the Pod ``podeval render`` gives for the same flags."""
    assert (
        main(
            [
                "render",
                "--task",
                str(EXAMPLE / "task.yaml"),
                "--pod-templates",
                str(EXAMPLE / "pod-templates.yaml"),
                "--propeller-config",
                str(EXAMPLE / "propeller-config.yaml"),
                "--namespace",
                "etl-production",
                "-o",
                "json",
            ]
        )
        == 0
    )

    printed = json.loads(capsys.readouterr().out)
    scenario = scenario_from_parts(
        task=str(EXAMPLE / "task.yaml"),
        pod_templates=EXAMPLE / "pod-templates.yaml",
        propeller_config=[EXAMPLE / "propeller-config.yaml"],
        namespace="etl-production",
    )
    assert engine.evaluate(scenario).pod == printed
    with pytest.raises(TypeError, match="unknown scenario part 'pod_template'"):
        scenario_from_parts(pod_template="x.yaml")
    assert set(PART_DEFAULTS) >= {"task", "task_template", "flytekit", "pod_templates", "propeller_config"}


def test_without_a_stored_pod_the_diff_says_how_to_write_it():
    assert pod_diff_lines("kind: Pod\n", "", {}) == [
        "no stored Pod yet: run `pytest --snapshot-update` to write it, then review it like code"
    ]


# ----------------------------------------------------------------------------------------------------------------
# docs/golden-pods.md

GUIDE = ROOT / "docs" / "golden-pods.md"


def _guide_block(language: str, file: str) -> str:
    match = re.search(
        rf"^```{language} file={re.escape(file)}\n(.*?)^```$", GUIDE.read_text(), re.DOTALL | re.MULTILINE
    )
    assert match, f"docs/golden-pods.md has no {language} block for {file}"
    return match.group(1)


def test_the_guide_shows_the_example_module_as_it_is():
    assert (
        _guide_block("python", "examples/golden-pods/test_golden_pods.py")
        == (EXAMPLE / "test_golden_pods.py").read_text()
    )


def test_the_guide_s_github_actions_workflow_renders_and_uploads_the_reports(tmp_path):
    workflow = yaml.safe_load(_guide_block("yaml", ".github/workflows/golden-pods.yml"))
    steps = workflow["jobs"]["golden-pods"]["steps"]
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "reports/" and upload["if"] == "always()"
    commands = [step["run"] for step in steps if "run" in step]
    assert any(c.startswith("podeval test examples/golden --junit ") for c in commands)
    assert any(c.startswith("pytest examples/golden-pods ") for c in commands)
    # the report step, run as written in a copy of the examples (bash -e, as GitHub Actions runs it)
    [reports] = [step["run"] for step in steps if step.get("name") == "HTML provenance reports"]
    shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    run = subprocess.run(
        ["bash", "-e", "-c", reports], check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    written = sorted(path.name for path in (tmp_path / "reports" / "html").iterdir())
    assert written == ["golden-compile-time-sidecar.html", "golden-container-task.html", "golden-pods-scenario.html"]
    assert "runtime-template" in (tmp_path / "reports" / "html" / "golden-pods-scenario.html").read_text()


def test_the_extension_is_importable_for_use_extension():
    from syrupy.extensions.single_file import SingleFileSnapshotExtension

    from engine.tools.pytest_plugin import PodSnapshotExtension

    assert issubclass(PodSnapshotExtension, SingleFileSnapshotExtension)
    assert PodSnapshotExtension.file_extension == "pod.yaml"
