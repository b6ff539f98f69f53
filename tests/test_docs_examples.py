"""The three examples of Flyte's "Configuring task pods with K8s PodTemplates" docs page, checked against the code.

The scenarios are examples/flyte-docs/example-{1,2,3}.yaml (each file's header says what was added to the page's
version and why). Three kinds of test:

* snapshots of the Pod and of the whole trace, in the top-level snapshots/ folder (tests/conftest.py), one JSON file
  each; regenerate with ``pytest tests/test_docs_examples.py --snapshot-update`` and review every changed file;
* one test per point where the page and FlytePropeller disagree (spec flyte-v1-backend.md §5.2 for the examples,
  §5.1 for the page's general statements, on small variants of the examples). Each asserts what the code does and
  names, in its docstring and assertion message, what the page prints instead; docs/errata.md is the same list for
  Flyte users;
* a guard that the top-level snapshot folder still reports missing and unused snapshots (syrupy#868).

Assertions stick to the fields the page talks about, so they survive the engine adding fields the page omits
("remaining container configuration omitted"); the snapshots hold everything else.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from syrupy.filters import paths

import engine

REPO = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO / "examples" / "flyte-docs"
EXAMPLES = ("example-1", "example-2", "example-3")

POD_NAME = "ax9kd5xb4p8r45bpdv7v-n0-0"
TASK_IMAGE = "ghcr.io/flyteorg/flytecookbook:core-bfee7e549ad749bfb55922e130f4330a0ebc25b0"
SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"


def load_example(name: str) -> dict:
    """The scenario document, for tests that evaluate a variant of an example."""
    return yaml.safe_load((EXAMPLES_DIR / f"{name}.yaml").read_text())


@functools.cache
def evaluated(name: str) -> engine.Result:
    """One evaluation per example, shared by the tests below, which only read it."""
    return engine.evaluate(EXAMPLES_DIR / f"{name}.yaml")


def candidates(result: engine.Result, path: str) -> dict[str, tuple]:
    """explain(path) as {source: (value, outcome)}, for asserting who competed for a field and who won."""
    return {c["source"]: (c["value"], c["outcome"]) for c in result.trace.explain(path)["candidates"]}


def primary(result: engine.Result, name: str = "primary") -> dict:
    return next(c for c in result.pod["spec"]["containers"] if c["name"] == name)


# --- snapshots -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_pod_matches_snapshot(name, snapshot):
    assert evaluated(name).pod == snapshot


@pytest.mark.parametrize("name", EXAMPLES)
def test_trace_matches_snapshot(name, snapshot):
    # The rule pack's digest changes with every edit of rules/, whether or not these traces change; the events and
    # owners are what this snapshot pins.
    # Where each config option came from names the example's file: relative to the repository, on every machine.
    trace = json.loads(json.dumps(evaluated(name).trace.to_dict()).replace(json.dumps(str(REPO) + "/")[1:-1], ""))
    assert trace == snapshot(exclude=paths("rules.digest"))


# --- Example 1: runtime PodTemplate + K8s plugin config (spec §5.2) -------------------------------------------------


def test_example_1_annotation_foo_is_the_template_value_not_the_plugin_default():
    """The page prints `foo: overridden-value # value overridden by k8s plugin configuration`. default-annotations are
    the lowest layer of the Pod's annotations (addObjectMetadata: UnionMaps(default-annotations, pod, ...)), so the
    runtime template's `foo: initial-value` stays."""
    result = evaluated("example-1")
    assert result.pod["metadata"]["annotations"]["foo"] == "initial-value", "the page says overridden-value"
    assert result.trace.owners["metadata.annotations.foo"] == "runtime-template"
    assert candidates(result, "metadata.annotations.foo") == {
        "runtime-template": ("initial-value", "won"),
        "k8s-plugin": ("overridden-value", "lost"),
    }


def test_example_1_adds_the_primary_container_name_annotation():
    """The page's Pod has no `primary_container_name` annotation; the pod plugin adds it to a single-container pod
    (plugins/k8s/pod/plugin.go BuildResource), naming the container Flyte generated."""
    result = evaluated("example-1")
    assert result.pod["metadata"]["annotations"]["primary_container_name"] == POD_NAME, "the page omits it"
    assert result.trace.owners["metadata.annotations.primary_container_name"] == "flyte"


def test_example_1_agrees_with_the_page_elsewhere():
    result = evaluated("example-1")
    metadata = result.pod["metadata"]
    assert metadata["namespace"] == "flytesnacks-development"
    assert metadata["labels"] == {"foo": "from-pod-template", "bar": "from-default-label"}
    assert metadata["annotations"]["bar"] == "initial-value"
    assert metadata["annotations"]["baz"] == "non-overridden-value"
    [container] = result.pod["spec"]["containers"]
    assert (container["name"], container["image"]) == (POD_NAME, TASK_IMAGE)
    assert container["terminationMessagePath"] == "/dev/foo"
    # config `true` beats the template's `false` (UpdatePod sets it; the template merge cannot undo a true)
    assert result.pod["spec"]["hostNetwork"] is True
    assert candidates(result, "spec.hostNetwork") == {"k8s-plugin": (True, "won"), "runtime-template": (False, "lost")}


# --- Examples 2 and 3: runtime + compile-time PodTemplates (spec §5.2) ----------------------------------------------


@pytest.mark.parametrize("name", ["example-2", "example-3"])
def test_runtime_default_container_is_merged_into_the_primary_not_added(name):
    """The page lists two containers, `default` (the template's) and `primary`. A template container is never added
    to the Pod: `default` is the base every task container is merged onto (MergeBasePodSpecOntoTemplate), so the Pod
    has the task's one container."""
    result = evaluated(name)
    names = [c["name"] for c in result.pod["spec"]["containers"]]
    assert names == ["primary"], "the page lists [default, primary]"
    # the template's `default` container competed for the primary's fields and lost where the task set them
    assert candidates(result, "spec.containers[name=primary].name")["runtime-template"] == ("default", "lost")
    assert candidates(result, "spec.containers[name=primary].image")["runtime-template"] == (
        "docker.io/rwgrim/docker-noop",
        "lost",
    )
    assert not any("[name=default]" in path for path in result.trace.owners)


@pytest.mark.parametrize("name", ["example-2", "example-3"])
def test_primary_gets_termination_message_path_from_the_default_template(name):
    """The page shows `terminationMessagePath: /dev/foo` only on its (non-existent) `default` container and not on
    `primary`. The task does not set it, so the `default` template container's value lands on the primary."""
    result = evaluated(name)
    assert primary(result)["terminationMessagePath"] == "/dev/foo", "the page omits it on primary"
    assert result.trace.owners["spec.containers[name=primary].terminationMessagePath"] == "runtime-template"
    assert primary(result)["image"] == "a.b.c/image:v1"  # as the page says: the compile-time image wins


@pytest.mark.parametrize("name", ["example-2", "example-3"])
def test_pod_plugin_adds_primary_container_name_annotation(name):
    """Not on the page; the pod plugin adds it after the merge (plugins/k8s/pod/plugin.go BuildResource)."""
    result = evaluated(name)
    assert result.pod["metadata"]["annotations"]["primary_container_name"] == "primary", "the page omits it"


def test_example_2_keeps_the_built_in_safe_to_evict_annotation():
    """The page's Pod has no safe-to-evict annotation. Example 2 sets no default-annotations, so FlytePropeller's
    built-in default `cluster-autoscaler.kubernetes.io/safe-to-evict: "false"` applies. Examples 1 and 3 set
    default-annotations, which replaces the built-in map as a whole (flytestdlib decodes config with ZeroFields)."""
    result = evaluated("example-2")
    assert result.pod["metadata"]["annotations"][SAFE_TO_EVICT] == "false", "the page omits it"
    assert result.trace.owners[f'metadata.annotations["{SAFE_TO_EVICT}"]'] == "k8s-plugin"
    for other in ("example-1", "example-3"):
        assert SAFE_TO_EVICT not in evaluated(other).pod["metadata"]["annotations"]


def test_example_2_primary_command_and_args_are_the_tasks_own():
    """The page prints `command: cmd` and `args: []` on primary. flytekit replaces the primary container's command
    and args with the task's own when it serializes the task (_serialize_pod_spec; spec §5.2, Example 2), so a python
    task's Pod runs pyflyte-execute with no command; the template's `cmd` never reaches FlytePropeller."""
    result = evaluated("example-2")
    container = primary(result)
    assert "command" not in container, "the page says command: cmd"
    assert container["args"][0] == "pyflyte-execute", "the page says args: []"


def test_example_2_agrees_with_the_page_elsewhere():
    result = evaluated("example-2")
    metadata = result.pod["metadata"]
    assert metadata["labels"] == {"label_1": "value-1", "label_2": "value-2"}
    annotations = metadata["annotations"]
    assert (annotations["annotation_1"], annotations["annotation_2"], annotations["bar"]) == (
        "value-1",
        "value-2",
        "initial-value",
    )
    assert candidates(result, "metadata.annotations.annotation_1") == {
        "compile-time": ("value-1", "won"),
        "runtime-template": ("initial-value", "lost"),
    }
    # the template was found in the execution namespace (LoadOrDefault looks there before propeller's own)
    origins = {source["id"]: source["origin"] for source in result.trace.sources}
    assert origins["runtime-template"] == "podTemplates[flytesnacks-development/flyte-template]"


# --- Example 3: compile-time + runtime PodTemplates + K8s plugin config (spec §5.2) ---------------------------------


def test_example_3_label_1_is_compile_time_not_plugin():
    """The page prints `label_1: value-plugin`. default-labels are the lowest layer (addObjectMetadata), and the
    compile-time label beats the runtime template's (MergeWithBasePodTemplate: the task's metadata wins per key)."""
    result = evaluated("example-3")
    assert result.pod["metadata"]["labels"]["label_1"] == "value-compile", "the page says value-plugin"
    assert candidates(result, "metadata.labels.label_1") == {
        "compile-time": ("value-compile", "won"),
        "runtime-template": ("value-runtime", "lost"),
        "k8s-plugin": ("value-plugin", "lost"),
    }


def test_example_3_annotation_1_is_compile_time_not_plugin():
    """The page prints `annotation_1: value-plugin`; default-annotations lose to the compile-time annotation."""
    result = evaluated("example-3")
    assert result.pod["metadata"]["annotations"]["annotation_1"] == "value-compile", "the page says value-plugin"
    assert candidates(result, "metadata.annotations.annotation_1") == {
        "compile-time": ("value-compile", "won"),
        "k8s-plugin": ("value-plugin", "lost"),
    }


def test_example_3_label_3_is_kept_from_the_runtime_template():
    """The page's Pod has no label_3. Nothing else sets it, so the runtime template's label stays (the template's
    metadata is the base the task's is merged onto)."""
    result = evaluated("example-3")
    assert result.pod["metadata"]["labels"]["label_3"] == "value-runtime", "the page drops label_3"
    assert result.trace.owners["metadata.labels.label_3"] == "runtime-template"


def test_example_3_host_network_is_true_from_the_compile_time_pod():
    """The page's Pod shows no hostNetwork. The compile-time `host_network=True` stays: the template's `false` is a
    zero value and never overrides (mergo WithOverride), and this example's config does not set
    enable-host-networking-pod."""
    result = evaluated("example-3")
    assert result.pod["spec"]["hostNetwork"] is True, "the page omits hostNetwork"
    assert candidates(result, "spec.hostNetwork") == {
        "compile-time": (True, "won"),
        "runtime-template": (False, "lost"),
    }


def test_example_3_with_host_networking_config_false_has_host_network_false():
    """Variant: Example 3 plus `enable-host-networking-pod: false`. UpdatePod sets hostNetwork to the config value
    unconditionally, turning the compile-time `true` into `false`; the template's `false` cannot turn it back (spec,
    end of §5.2). A false hostNetwork is omitted from the Pod (contract §3)."""
    scenario = load_example("example-3")
    scenario["propeller"]["config"]["enable-host-networking-pod"] = False
    result = engine.evaluate(scenario)
    assert "hostNetwork" not in result.pod["spec"], "hostNetwork must be false (omitted)"
    overrides = [
        e
        for e in result.trace.events
        if e.path_text == "spec.hostNetwork" and e.op == "override" and e.source == "k8s-plugin"
    ]
    assert [(e.value, e.previous, e.previous_source) for e in overrides] == [(False, True, "compile-time")]
    assert not any(e.value is True for e in result.trace.history("spec.hostNetwork") if e.seq > overrides[0].seq)


def test_example_3_agrees_with_the_page_elsewhere():
    result = evaluated("example-3")
    metadata = result.pod["metadata"]
    assert metadata["labels"]["label_2"] == "value-compile"
    annotations = metadata["annotations"]
    assert {key: annotations[key] for key in ("annotation_2", "foo", "bar", "baz")} == {
        "annotation_2": "value-compile",
        "foo": "value-runtime",
        "bar": "value-runtime",
        "baz": "value-plugin",
    }


# --- The page's general statements (spec §5.1), on variants of the examples -----------------------------------------


def test_plugin_config_false_cannot_override_a_template_true():
    """The page: "the K8s plugin configuration will override the default PodTemplate values". Not for a `false`:
    Example 1 with the template's hostNetwork `true` and `enable-host-networking-pod: false` keeps `true`, because
    the template merge never lets a zero value override (mergo WithOverride)."""
    scenario = load_example("example-1")
    scenario["podTemplates"][0]["template"]["spec"]["hostNetwork"] = True
    scenario["propeller"]["config"]["enable-host-networking-pod"] = False
    result = engine.evaluate(scenario)
    assert result.pod["spec"]["hostNetwork"] is True, "the page's rule would give false"
    assert candidates(result, "spec.hostNetwork") == {"runtime-template": (True, "won"), "k8s-plugin": (False, "lost")}


def test_compile_time_node_selector_beats_default_node_selector():
    """The page: the K8s plugin config overrides, and its diagram puts "k8s plugin" above "@task pod_template". For
    `default-node-selector` the task's key wins (UpdatePod: UnionMaps(default, pod)); the config only fills the
    keys the task leaves out."""
    scenario = load_example("example-3")
    scenario["task"]["podTemplate"]["podSpec"]["nodeSelector"] = {"disktype": "ssd"}
    scenario["propeller"]["config"]["default-node-selector"] = {"disktype": "hdd", "zone": "a"}
    result = engine.evaluate(scenario)
    assert result.pod["spec"]["nodeSelector"] == {"disktype": "ssd", "zone": "a"}, "the page's rule gives hdd"
    assert candidates(result, "spec.nodeSelector.disktype") == {
        "compile-time": ("ssd", "won"),
        "k8s-plugin": ("hdd", "lost"),
    }


def test_default_tolerations_are_appended_after_the_templates():
    """The page says the plugin config overrides the template; list-valued options are appended instead: the
    template's tolerations first, then the config's (MergeBasePodSpecOntoTemplate: template ++ pod)."""
    scenario = load_example("example-1")
    scenario["podTemplates"][0]["template"]["spec"]["tolerations"] = [{"key": "from-template", "operator": "Exists"}]
    scenario["propeller"]["config"]["default-tolerations"] = [{"key": "from-config", "operator": "Exists"}]
    result = engine.evaluate(scenario)
    assert [t["key"] for t in result.pod["spec"]["tolerations"]] == ["from-template", "from-config"]


def test_template_restart_policy_is_ignored():
    """The page: the Pod starts from the template, then the plugin config, then the task. The order is the other way
    round: the task's pod (with restartPolicy Never filled in by UpdatePod) is laid over the template, so a
    template restartPolicy never survives."""
    scenario = load_example("example-1")
    scenario["podTemplates"][0]["template"]["spec"]["restartPolicy"] = "Always"
    result = engine.evaluate(scenario)
    assert result.pod["spec"]["restartPolicy"] == "Never", "the page's order would keep Always"
    assert candidates(result, "spec.restartPolicy")["runtime-template"] == ("Always", "dropped")


def test_template_container_args_are_prepended_to_the_tasks():
    """The page: task-specific configuration is overlaid on the template. For a container's command and args that
    means concatenation (mergo WithAppendSlice), the template's first, not replacement."""
    scenario = load_example("example-1")
    scenario["podTemplates"][0]["template"]["spec"]["containers"][0]["args"] = ["--verbose"]
    result = engine.evaluate(scenario)
    args = primary(result, POD_NAME)["args"]
    assert args[:2] == ["--verbose", "pyflyte-execute"], "the page suggests the task's args replace the template's"


def test_template_container_named_like_a_sidecar_is_merged_into_it():
    """The page: "Flyte only processes the 'default' or 'primary' containers". A template container whose name
    matches a non-primary task container is merged into it too (MergeBasePodSpecOntoTemplate, exact-name matching,
    skipped only for the primary since flyte#6733)."""
    scenario = load_example("example-3")
    scenario["task"]["podTemplate"]["podSpec"]["containers"].append({"name": "sidecar", "image": "busybox"})
    scenario["podTemplates"][0]["template"]["spec"]["containers"].append(
        {"name": "sidecar", "image": "docker.io/rwgrim/docker-noop", "terminationMessagePath": "/dev/sidecar"}
    )
    result = engine.evaluate(scenario)
    assert primary(result, "sidecar")["terminationMessagePath"] == "/dev/sidecar", "the page says it is dropped"
    assert primary(result)["terminationMessagePath"] == "/dev/foo"


# --- the snapshot folder still reports missing and stale snapshots ---------------------------------------------------

_PROBE_TESTS = """
import pytest


def test_plain(snapshot):
    assert {"probe": "plain"} == snapshot


@pytest.mark.parametrize("n", [1, 2])
def test_param(n, snapshot):
    assert {"probe": n} == snapshot
"""


def _pytest(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(NO_COLOR="1", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")  # syrupy alone, loaded by -p: faster, isolated
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "syrupy", "-p", "no:cacheprovider", *args],
        check=False,
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_snapshot_folder_reports_missing_and_unused_snapshots(tmp_path):
    """Runs pytest on a temporary project made of a copy of tests/conftest.py and three snapshot assertions.

    What it pins, for a plain ``pytest`` run (no path arguments, so pytest collects ``testpaths``, as CI does):
    a missing snapshot fails; ``--snapshot-update`` writes to <root>/snapshots/<module>/, never ``__snapshots__``;
    a stale file (a renamed test) and a whole folder left by a deleted test module fail the run as "unused"
    (``--snapshot-details`` names them);
    ``--snapshot-warn-unused`` reports them without failing; ``--snapshot-update`` deletes them.

    Not pinned, and true of syrupy's default folder as well: a run given path arguments
    (``pytest tests/test_docs_examples.py``) only reports stale files named like a test that ran.
    """
    (tmp_path / "tests").mkdir()
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "tests" / "conftest.py")
    (tmp_path / "tests" / "test_probe.py").write_text(_PROBE_TESTS)
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    folder = tmp_path / "snapshots" / "test_probe"

    run = _pytest(tmp_path)
    assert run.returncode == 1, run.stdout
    assert "3 snapshots failed" in run.stdout, run.stdout
    assert not (tmp_path / "snapshots").exists()

    run = _pytest(tmp_path, "--snapshot-update")
    assert run.returncode == 0, run.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["test_param[1].json", "test_param[2].json", "test_plain.json"]
    assert not list(tmp_path.rglob("__snapshots__"))

    renamed = folder / "test_renamed.json"
    orphan = tmp_path / "snapshots" / "test_deleted_module" / "test_gone.json"
    orphan.parent.mkdir()
    for stale in (renamed, orphan):
        shutil.copy(folder / "test_plain.json", stale)

    run = _pytest(tmp_path, "--snapshot-details")  # --snapshot-details names the unused files
    assert run.returncode == 1, run.stdout
    assert "2 snapshots unused" in run.stdout, run.stdout
    assert "test_renamed" in run.stdout and "test_gone" in run.stdout, run.stdout

    run = _pytest(tmp_path, "--snapshot-warn-unused")
    assert run.returncode == 0, run.stdout
    assert "2 snapshots unused" in run.stdout, run.stdout

    run = _pytest(tmp_path, "--snapshot-update")
    assert run.returncode == 0, run.stdout
    assert "2 unused snapshots deleted" in run.stdout, run.stdout
    assert not renamed.exists() and not orphan.exists()
    assert (folder / "test_plain.json").exists()
