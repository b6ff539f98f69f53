"""Differential check of the compile-time side: podeval's serialization against flytekit's own.

Every task in tests/flytekit_tasks/tasks.py is written again below, by hand, as a podeval scenario (`task.podTemplate`
+ `task.container`, the authoring view). `engine.serialize_pod_template` of that scenario must equal the K8sPod
flytekit registers for the real task (`get_serializable`, what `pyflyte register` runs): pod spec, metadata, config.
The scenarios are not derived from the flytekit objects, so a disagreement is a finding, not a tautology.

Needs flytekit (`pip install 'podeval[flytekit]'`); skipped without it.
"""

from __future__ import annotations

import copy
import importlib
import sys
from collections import OrderedDict
from pathlib import Path

import pytest
import yaml

import engine
from engine.inputs.flytekit_source import scenario_from_flytekit

pytest.importorskip("flytekit", reason="flytekit is not installed: pip install 'podeval[flytekit]'")

TESTS_DIR = str(Path(__file__).resolve().parent)
if TESTS_DIR not in sys.path:  # pytest's default import mode has put it there already
    sys.path.insert(0, TESTS_DIR)  # so the tasks' module is `flytekit_tasks.tasks`, as in their pyflyte args
tasks = importlib.import_module("flytekit_tasks.tasks")

DEFAULT_IMAGE = "docker.io/xyz:some-git-hash"
SETTINGS_ENV = {"SETTINGS_ENV": "from-settings"}


def pyflyte_execute_args(task_name: str) -> list[str]:
    """PythonAutoContainerTask's default args for a task of tests/flytekit_tasks/tasks.py."""
    return [
        "pyflyte-execute",
        "--inputs",
        "{{.input}}",
        "--output-prefix",
        "{{.outputPrefix}}",
        "--raw-output-data-prefix",
        "{{.rawOutputDataPrefix}}",
        "--checkpoint-path",
        "{{.checkpointOutputPrefix}}",
        "--prev-checkpoint",
        "{{.prevCheckpointPrefix}}",
        "--resolver",
        "flytekit.core.python_auto_container.default_task_resolver",
        "--",
        "task-module",
        "flytekit_tasks.tasks",
        "task-name",
        task_name,
    ]


# The tasks of tests/flytekit_tasks/tasks.py as podeval scenarios. `args` is filled in by python_task() below.
SCENARIOS = yaml.safe_load(
    """
sidecars_and_init:
  podTemplate:
    primaryContainerName: primary
    podSpec:
      containers:
        - name: primary
          env: [{name: TEMPLATE_ENV, value: p}]
          volumeMounts: [{name: scratch, mountPath: /scratch}]
        - {name: proxy, image: "envoyproxy/envoy:v1.30", args: [--config, /etc/envoy.yaml]}
        - {name: log-shipper}
      initContainers:
        - {name: fetch, image: "busybox:1.36", command: [sh, -c, echo hi]}
        - {name: no-image-init}
      volumes: [{name: scratch, emptyDir: {}}]
      nodeSelector: {pool: cpu}
      tolerations: [{key: dedicated, operator: Equal, value: ml, effect: NoSchedule}]
  container:
    image: "ghcr.io/org/app:1"
    env: [{name: SETTINGS_ENV, value: from-settings}, {name: TASK_ENV, value: t}]

resources_with_gpu:
  podTemplate:
    podSpec:
      containers:
        - name: primary
          resources: {limits: {cpu: "999", nvidia.com/gpu: "8"}}
  container:
    image: "ghcr.io/org/app:1"
    env: [{name: SETTINGS_ENV, value: from-settings}]
    resources:
      requests: {cpu: "1", memory: 2Gi, gpu: "1"}
      limits: {cpu: "2", memory: 4Gi, gpu: "1", ephemeral-storage: 10Gi}

template_resources_kept:
  podTemplate:
    podSpec:
      containers: [{name: primary, resources: {requests: {memory: 1Gi}}}]
  container:
    image: "ghcr.io/org/app:1"
    env: [{name: SETTINGS_ENV, value: from-settings}]

environment:
  podTemplate:
    podSpec:
      containers:
        - name: primary
          env:
            - {name: TASK_ONLY, value: from-template}
            - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
  container:
    image: "ghcr.io/org/app:1"
    env: [{name: SETTINGS_ENV, value: from-task}, {name: TASK_ONLY, value: "1"}]

pod_template_metadata:
  podTemplate:
    primaryContainerName: main
    labels: {team: ml, cost-center: "42"}
    annotations: {example.com/owner: ml-platform}
    podSpec:
      containers: [{name: sidecar, image: "redis:7"}]
      serviceAccountName: runner
  container:
    image: "ghcr.io/org/app:1"
    env: [{name: SETTINGS_ENV, value: from-settings}]

template_image_wins:
  podTemplate:
    podSpec:
      containers: [{name: primary, image: "ghcr.io/org/gpu:2"}]
  container:
    image: "ghcr.io/org/app:1"
    env: [{name: SETTINGS_ENV, value: from-settings}]

task_labels_and_annotations:
  podTemplate:
    labels: {template-label: c}
    podSpec: {containers: []}
  container:
    image: "ghcr.io/org/app:1"
    env: [{name: SETTINGS_ENV, value: from-settings}]

container_task_with_pod_template:
  podTemplate:
    podSpec:
      containers: []
      runtimeClassName: gvisor
      tolerations: [{key: sandbox, operator: Exists}]
  container:
    image: "ghcr.io/org/tool:3"
    command: [tool, run]
    args: [--input, /var/inputs/x]
    env: [{name: SETTINGS_ENV, value: from-settings}, {name: MODE, value: batch}]
    resources: {requests: {cpu: 500m}}
"""
)


def scenario_task(name: str) -> dict:
    """The hand-written scenario task; a Python task's container runs pyflyte-execute with no command."""
    task = copy.deepcopy(SCENARIOS[name])
    if name != "container_task_with_pod_template":
        task["container"].setdefault("command", [])
        task["container"].setdefault("args", pyflyte_execute_args(name))
    return task


def flytekit_template(entity):
    """The TaskTemplate flytekit registers for a task (translator.get_serializable, as pyflyte register does)."""
    from flytekit.configuration import Image, ImageConfig, SerializationSettings
    from flytekit.tools.translator import get_serializable

    settings = SerializationSettings(
        image_config=ImageConfig.create_from(default_image=Image.look_up_image_info("default", DEFAULT_IMAGE)),
        project="p",
        domain="d",
        version="v",
        env=dict(SETTINGS_ENV),
    )
    return get_serializable(OrderedDict(), settings, entity).template


def non_empty(mapping: dict) -> dict:
    return {key: value for key, value in mapping.items() if value}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_serialize_pod_template_equals_flytekit(name):
    template = flytekit_template(getattr(tasks, name))
    scenario = scenario_task(name)

    ours = engine.serialize_pod_template(scenario["podTemplate"], scenario["container"], default_image=DEFAULT_IMAGE)

    assert template.container is None  # a pod template replaces the container target
    assert ours["podSpec"] == template.k8s_pod.pod_spec
    theirs_metadata = template.k8s_pod.metadata
    assert non_empty(ours["metadata"]) == non_empty(
        {"labels": theirs_metadata.labels or {}, "annotations": theirs_metadata.annotations or {}}
    )
    assert ours["config"] == template.config


# What scenario_from_flytekit must give for tasks whose interesting part is outside the pod spec.
EXPECTED_TASK_SECTIONS = yaml.safe_load(
    """
pod_template_name_only:
  type: python-task
  container:
    image: "ghcr.io/org/app:1"
    command: []
    env: [{name: SETTINGS_ENV, value: from-settings}]
  podTemplateName: gpu-template

task_labels_and_annotations:
  type: python-task
  config: {primary_container_name: primary}
  labels: {task-label: a}
  annotations: {task-annotation: b}

container_task_with_pod_template:
  type: raw-container
  config: {primary_container_name: primary}
  podTemplateName: base-template
  # a ContainerTask registers an enabled data config (on the K8sPod target with a pod template): co-pilot's
  # command lines need the interface
  interface: {inputs: {variables: {x: {description: x, type: {simple: INTEGER}}}}, outputs: {variables: {}}}
"""
)


@pytest.mark.parametrize("name", sorted(EXPECTED_TASK_SECTIONS))
def test_scenario_from_flytekit_task_section(name):
    expected = copy.deepcopy(EXPECTED_TASK_SECTIONS[name])
    if "container" in expected:
        expected["container"]["args"] = pyflyte_execute_args(name)

    task = scenario_from_flytekit(f"flytekit_tasks.tasks:{name}", image=DEFAULT_IMAGE, env=SETTINGS_ENV)["task"]

    assert {key: task[key] for key in task if key != "k8sPod"} == expected


def test_scenario_from_flytekit_renders_the_pod_of_the_authoring_scenario():
    """`render --flytekit` (flytekit's registered k8sPod) and the hand-written authoring scenario give one Pod."""
    name = "sidecars_and_init"
    execution = {"namespace": "flytesnacks-development", "podName": "a1b2c3-n0-0"}
    registered = scenario_from_flytekit(f"flytekit_tasks.tasks:{name}", image=DEFAULT_IMAGE, env=SETTINGS_ENV)
    authoring = {"task": {**scenario_task(name), "defaultImage": DEFAULT_IMAGE}}

    from_flytekit = engine.evaluate({**registered, "execution": execution}).pod
    from_scenario = engine.evaluate({**authoring, "execution": execution}).pod

    assert from_flytekit == from_scenario
    assert [c["name"] for c in from_flytekit["spec"]["containers"]] == ["primary", "proxy", "log-shipper"]


def test_scenario_from_flytekit_accepts_a_file_path(tmp_path, monkeypatch):
    module = tmp_path / "proj" / "wf.py"
    module.parent.mkdir()
    module.write_text(
        "from flytekit import task, PodTemplate\n"
        "@task(container_image='img:1', pod_template=PodTemplate(primary_container_name='main'))\n"
        "def t(x: int) -> int:\n"
        "    return x\n"
    )
    monkeypatch.setattr(sys, "path", list(sys.path))  # the adapter puts the file's root on sys.path

    task = scenario_from_flytekit(f"{module}:t", image=DEFAULT_IMAGE)["task"]

    assert task["config"] == {"primary_container_name": "main"}
    (container,) = task["k8sPod"]["podSpec"]["containers"]
    assert container["image"] == "img:1"
    assert container["args"][-4:] == ["task-module", "wf", "task-name", "t"]


@pytest.mark.parametrize(
    ("ref", "code"),
    [
        ("no_colon", "flytekit_ref_invalid"),
        ("flytekit_tasks.not_there:t", "flytekit_import_failed"),
        ("flytekit_tasks.tasks:sidecars_and_inti", "flytekit_task_not_found"),
        ("flytekit_tasks.tasks:IMAGE", "flytekit_not_a_task"),
    ],
)
def test_scenario_from_flytekit_errors(ref, code):
    with pytest.raises(engine.InputError) as caught:
        scenario_from_flytekit(ref)

    assert caught.value.code == code


def test_podeval_render_flytekit_renders_the_task_serialized_by_flytekit(tmp_path, capsys):
    """`podeval render --flytekit module:task`: flytekit serializes the task, podeval renders its Pod."""
    from engine.cli import main

    execution = tmp_path / "execution.yaml"
    execution.write_text(yaml.safe_dump({"execution": {"namespace": "ns", "podName": "p-n0-0"}}))
    code = main(["render", str(execution), "--flytekit", "flytekit_tasks.tasks:sidecars_and_init"])
    out, err = capsys.readouterr()
    assert code == 0, err
    pod = yaml.safe_load(out)
    names = [c["name"] for c in pod["spec"]["containers"]]
    assert "primary" in names and len(names) >= 2
    assert pod["spec"]["initContainers"]
