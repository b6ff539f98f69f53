"""The map-task examples of examples/plugins/: what FlytePropeller v1.16 (flyteorg/flyte 89cf9cc) builds for a
subtask, and ``explain`` naming the source.

Each expected value follows from the Go code cited beside it (engine/eval/map_tasks.py, generated_names.py and the
example's header say where); the generated names are the functions tests/test_map_tasks.py checks against Flyte's own
Go test vectors.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import engine

ROOT = Path(__file__).resolve().parents[1]
OVERRIDE = ROOT / "examples" / "plugins" / "map-task-pod-template-override.yaml"


def scenario(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def container(pod: dict) -> dict:
    (only,) = pod["spec"]["containers"]
    return only


def env(pod: dict) -> dict:
    return {item["name"]: item.get("value") for item in container(pod).get("env", [])}


# ------------------------------------------------------------------------------------------------ flyte#7076


def test_the_override_reaches_every_subtask():
    """FlytePropeller applies the sub node's pod template override (ApplyPodTemplateOverride replaces the pod spec):
    the override's node selector, toleration, label and primary container name are on subtask 2's Pod."""
    pod = engine.evaluate(scenario(OVERRIDE)).pod
    assert pod["spec"]["nodeSelector"] == {"pool": "gpu"}
    assert pod["spec"]["tolerations"] == [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert pod["metadata"]["labels"]["team"] == "ml"
    assert container(pod)["name"] == "primary"
    assert pod["metadata"]["annotations"]["primary_container_name"] == "primary"


def test_subtask_two_is_subnode_n2():
    """buildArrayNodeContext: subnode n2 under the parent info of n0 (attempt 0): the generated name
    [execution, n0-0-n2, 0]; newArrayExecutionContext: the array index env vars."""
    pod = engine.evaluate(scenario(OVERRIDE)).pod
    assert pod["metadata"]["name"] == "a8kx2m4pq7-n0-0-n2-0"
    assert pod["metadata"]["labels"]["node-id"] == "n2"
    assert env(pod)["FLYTE_K8S_ARRAY_INDEX"] == "2"
    assert env(pod)["BATCH_JOB_ARRAY_INDEX_VAR_NAME"] == "FLYTE_K8S_ARRAY_INDEX"
    assert env(pod)["FLYTE_ATTEMPT_NUMBER"] == "0"


def test_explain_names_the_override_and_the_array_node():
    result = engine.evaluate(scenario(OVERRIDE))
    selector = result.trace.explain("spec.nodeSelector.pool")
    assert selector["owner"] == "execution-override"
    index = result.trace.explain("spec.containers[name=primary].env[name=FLYTE_K8S_ARRAY_INDEX].value")
    assert (index["owner"], index["value"]) == ("array-node", "2")
    name = result.trace.explain("metadata.name")
    assert name["owner"] == "array-node"


def test_without_the_override_as_flytekit_before_1_16_22_registers_it():
    """What a workflow registered with flytekit < 1.16.22 carries: no pod_template in the sub node's overrides, so
    the subtask's Pod has no node selector, no toleration, no label of the override, and the container target's
    container is named after the subtask's generated name (BuildRawContainer)."""
    data = scenario(OVERRIDE)
    del data["execution"]["overrides"]
    pod = engine.evaluate(data).pod
    assert "nodeSelector" not in pod["spec"] and "tolerations" not in pod["spec"]
    assert "team" not in pod["metadata"]["labels"]
    assert container(pod)["name"] == "a8kx2m4pq7-n0-0-n2-0"


def test_array_index_on_the_command_line():
    out = subprocess.run(
        [sys.executable, "-m", "engine", "render", str(OVERRIDE), "--array-index", "0", "-o", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    pod = json.loads(out)
    assert pod["metadata"]["name"] == "a8kx2m4pq7-n0-0-n0-0"
    assert env(pod)["FLYTE_K8S_ARRAY_INDEX"] == "0"


def test_array_index_is_a_whole_number():
    run = subprocess.run(
        [sys.executable, "-m", "engine", "render", str(OVERRIDE), "--array-index", "-1"],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 2 and "--array-index" in run.stderr


def test_a_subtask_retry_and_the_execution_env():
    """The subnode's own attempt is FLYTE_ATTEMPT_NUMBER and the last part of its name; the execution's env vars
    share one map with the array's (a same-named execution variable is replaced, not repeated)."""
    data = copy.deepcopy(scenario(OVERRIDE))
    data["execution"].update(arrayAttempt=2, envVars={"FLYTE_K8S_ARRAY_INDEX": "stale", "TEAM": "ml"})
    pod = engine.evaluate(data).pod
    assert pod["metadata"]["name"] == "a8kx2m4pq7-n0-0-n2-2"
    assert env(pod)["FLYTE_ATTEMPT_NUMBER"] == "2"
    names = [item["name"] for item in container(pod)["env"]]
    assert names.count("FLYTE_K8S_ARRAY_INDEX") == 1 and env(pod)["FLYTE_K8S_ARRAY_INDEX"] == "2"
    assert env(pod)["TEAM"] == "ml"


def test_flytekit_serializes_the_map_task_override():
    """flytekit >= 1.16.22 (flytekit#3428) writes the override into the ArrayNode's sub node, where FlytePropeller
    reads it; before, get_serializable_array_node_map_task left it out (flyte#7076)."""
    flytekit = pytest.importorskip("flytekit", reason="needs flytekit (pip install 'podeval[flytekit]')")
    from collections import OrderedDict  # reason: this test only, after the flytekit check

    from kubernetes.client import V1Container, V1PodSpec  # reason: flytekit's dependency, an optional extra
    from packaging.version import Version  # reason: flytekit's dependency, an optional extra

    if Version(flytekit.__version__) < Version("1.16.22"):
        pytest.skip(f"flytekit {flytekit.__version__} predates flytekit#3428: it drops the override (flyte#7076)")
    from flytekit import PodTemplate, map_task, task, workflow  # reason: flytekit, an optional extra
    from flytekit.configuration import Image, ImageConfig, SerializationSettings  # reason: flytekit, as above
    from flytekit.tools.translator import get_serializable  # reason: flytekit, as above

    @task
    def square(x: int) -> int:
        return x * x

    @workflow
    def wf(xs: list[int]) -> list[int]:
        template = PodTemplate(
            primary_container_name="primary",
            pod_spec=V1PodSpec(containers=[V1Container(name="primary")], node_selector={"pool": "gpu"}),
        )
        return map_task(square)(x=xs).with_overrides(pod_template=template)

    settings = SerializationSettings(
        image_config=ImageConfig(default_image=Image(name="default", fqn="img", tag="v1")),
        project="p",
        domain="d",
        version="v1",
    )
    spec = get_serializable(OrderedDict(), settings, wf)
    (node,) = spec.template.nodes
    override = node.array_node.node.task_node.overrides.pod_template
    assert override is not None and override.primary_container_name == "primary"
    assert override.pod_spec["nodeSelector"] == {"pool": "gpu"}


# ------------------------------------------------------------------------------------------------ legacy k8s-array

LEGACY = ROOT / "examples" / "plugins" / "k8s-array-node-selector.yaml"


def test_k8s_array_node_selector_and_tolerations_replace_the_pods():
    """addMetadata (subtask.go:80-87): plugins.k8s-array node-selector and tolerations replace the Pod's whole: the
    interruptible node selector and the default and interruptible tolerations of plugins.k8s are gone."""
    pod = engine.evaluate(scenario(LEGACY)).pod
    assert pod["spec"]["nodeSelector"] == {"pool": "map-tasks"}
    assert pod["spec"]["tolerations"] == [
        {"key": "map-tasks", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]


def test_k8s_array_without_its_options_keeps_the_pod_plugins():
    """Without plugins.k8s-array's, the pod plugin's UpdatePod values stay: interruptible node selector, and the
    interruptible toleration before the default one (GetPodTolerations)."""
    data = scenario(LEGACY)
    del data["propeller"]["config"]["plugins"]["k8s-array"]
    pod = engine.evaluate(data).pod
    assert pod["spec"]["nodeSelector"] == {"node-lifecycle": "spot"}
    assert [t["key"] for t in pod["spec"]["tolerations"]] == ["spot", "flyte"]


def test_k8s_array_subtask_name_and_index_env():
    """SubTaskExecutionID.GetGeneratedName: <the task's generated name>-<index> (also the container target's
    container name); launchSubtask appends FLYTE_K8S_ARRAY_INDEX then BATCH_JOB_ARRAY_INDEX_VAR_NAME."""
    pod = engine.evaluate(scenario(LEGACY)).pod
    assert pod["metadata"]["name"] == "a8kx2m4pq7-n0-0-3"
    assert container(pod)["name"] == "a8kx2m4pq7-n0-0-3"
    assert container(pod)["env"][-2:] == [
        {"name": "FLYTE_K8S_ARRAY_INDEX", "value": "3"},
        {"name": "BATCH_JOB_ARRAY_INDEX_VAR_NAME", "value": "FLYTE_K8S_ARRAY_INDEX"},
    ]


def test_k8s_array_retry_and_execution_index():
    """The name has the execution index (after cache hits) and, after a retry, the subtask's retry attempt; the env
    var has the original index (subtask.go:184-186)."""
    data = scenario(LEGACY)
    data["execution"].update(arrayExecutionIndex=1, arrayAttempt=2)
    pod = engine.evaluate(data).pod
    assert pod["metadata"]["name"] == "a8kx2m4pq7-n0-0-1-2"
    assert env(pod)["FLYTE_K8S_ARRAY_INDEX"] == "3"


def test_k8s_array_explain_names_the_plugin_config():
    result = engine.evaluate(scenario(LEGACY))
    selector = result.trace.explain("spec.nodeSelector")
    assert (selector["owner"], selector["rule"]) == ("k8s-array-plugin", "k8s-array.node-selector")
    lost = [c for c in selector["candidates"] if c["outcome"] == "lost"]
    assert [(c["source"], c["value"]) for c in lost] == [("k8s-plugin", {"node-lifecycle": "spot"})]


def test_k8s_array_scheduler_and_namespace_template():
    """addMetadata: scheduler replaces schedulerName (even plugins.k8s scheduler-name); namespaceTemplate's
    {{.namespace}} is the execution's namespace."""
    data = scenario(LEGACY)
    data["propeller"]["config"]["plugins"]["k8s"]["scheduler-name"] = "volcano"
    data["propeller"]["config"]["plugins"]["k8s-array"].update(
        scheduler="yunikorn", namespaceTemplate="{{.namespace}}-maps"
    )
    pod = engine.evaluate(data).pod
    assert pod["spec"]["schedulerName"] == "yunikorn"
    assert pod["metadata"]["namespace"] == "flytesnacks-development-maps"


def test_k8s_array_leaves_out_the_tasks_own_labels():
    """addMetadata unions plugins.k8s default-labels, the Pod's and the execution's labels: the task's TaskMetadata
    labels, which addObjectMetadata adds to a pod task's Pod, are not on the subtask's."""
    data = scenario(LEGACY)
    data["task"]["template"]["metadata"] = {"metadata": {"labels": {"team": "ml"}}}
    data["execution"]["labels"] = {"run": "nightly"}
    pod = engine.evaluate(data).pod
    assert pod["metadata"]["labels"] == {"run": "nightly"}


def test_k8s_array_k8s_pod_target_is_a_sidecar():
    """A K8sPod target's subtask template is a sidecar (subtask_exec_context.go:86-88): the primary_container_name
    annotation is set although the Pod has two containers, and the index env vars go to that container."""
    data = scenario(LEGACY)
    template = data["task"]["template"]
    template["k8sPod"] = {
        "podSpec": {
            "containers": [
                {"name": "sidecar", "image": "busybox"},
                {"name": "primary", "image": "ghcr.io/acme/square:v1", "args": template["container"]["args"]},
            ]
        }
    }
    template["config"] = {"primary_container_name": "primary"}
    del template["container"]
    pod = engine.evaluate(data).pod
    assert pod["metadata"]["annotations"]["primary_container_name"] == "primary"
    by_name = {c["name"]: c for c in pod["spec"]["containers"]}
    assert "FLYTE_K8S_ARRAY_INDEX" not in [e["name"] for e in by_name["sidecar"].get("env", [])]
    assert by_name["primary"]["env"][-2]["value"] == "3"


def test_k8s_array_refuses_an_annotation_that_names_no_container():
    """getTaskContainerIndex (subtask.go:338-343): the execution's annotations win in addMetadata's union, so one
    naming no container leaves the plugin without a task container."""
    data = scenario(LEGACY)
    data["execution"]["annotations"] = {"primary_container_name": "nope"}
    with pytest.raises(engine.FlyteBuildError) as raised:
        engine.evaluate(data)
    assert "[POD_TEMPLATE_FAILED] Couldn't find any container matching the primary container key" in str(raised.value)


def test_k8s_array_on_the_command_line():
    out = subprocess.run(
        [sys.executable, "-m", "engine", "render", str(LEGACY), "--array-index", "0", "-o", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    pod = json.loads(out)
    assert pod["metadata"]["name"] == "a8kx2m4pq7-n0-0-0"
    assert env(pod)["FLYTE_K8S_ARRAY_INDEX"] == "0"


def test_k8s_array_a_pod_plugin_refusal_is_a_panic():
    """launchSubtask type-asserts the pod plugin's nil result before checking its error (subtask.go:164-166); the
    task handler recovers the panic (nodes/task/handler.go:514-519)."""
    data = scenario(LEGACY)
    data["task"]["template"]["metadata"] = {"podTemplateName": "missing"}
    with pytest.raises(engine.FlyteBuildError) as raised:
        engine.evaluate(data)
    message = raised.value.message
    assert message.startswith("panic when executing a plugin [k8s-array]. Stack: [")
    assert "PodTemplate 'missing'" in message
