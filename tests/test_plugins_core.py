"""The plugin machinery (engine/eval/plugins.py, `plugins/<id>.yaml` of a pack) on the Ray plugin: roles built from
the shared pod, placed into the object, object fields, the trace's paths into the object.

Every expected value is read from flyteplugins/go/tasks/plugins/k8s/ray/ray.go at flyteorg/flyte 89cf9cc (the line
is named beside each) or from kuberay v1.5.1's types, not from podeval's output.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plugins" / "ray-gpu-workers.yaml"
WORKER = "spec.rayClusterSpec.workerGroupSpecs[groupName=gpu].template"


def _scenario() -> dict:
    import yaml

    return yaml.safe_load(EXAMPLE.read_text())


def _worker(pod: dict) -> dict:
    return pod["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]["template"]


def _head(pod: dict) -> dict:
    return pod["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]


def test_the_object_is_a_rayjob_with_head_workers_and_submitter():
    pod = engine.evaluate(_scenario()).pod
    assert (pod["apiVersion"], pod["kind"]) == ("ray.io/v1", "RayJob")  # constructRayJob :285-292
    head, worker = _head(pod), _worker(pod)
    assert [c["name"] for c in head["spec"]["containers"]] == ["ray-head"]  # buildHeadPodTemplate :393
    assert [c["name"] for c in worker["spec"]["containers"]] == ["ray-worker"]  # buildWorkerPodTemplate :466
    submitter = pod["spec"]["submitterPodTemplate"]["spec"]["containers"]
    assert [c["name"] for c in submitter] == ["a8k2lbq9wz-n0-0"]  # not renamed (buildSubmitterPodTemplate)
    assert "args" not in head["spec"]["containers"][0]  # args = []string{} (:407), omitted as empty
    assert submitter[0]["args"][0] == "pyflyte-execute"


def test_worker_group_fields_and_int_replicas_from_float_custom():
    group = engine.evaluate(_scenario()).pod["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]
    # flytekit writes 2.0 into the Struct; kuberay's *int32 prints 2 (:223-239)
    assert (group["replicas"], group["minReplicas"], group["maxReplicas"]) == (2, 1, 4)
    assert group["rayStartParams"] == {"disable-usage-stats": "true", "node-ip-address": "$MY_POD_IP"}  # :208-221


def test_min_and_max_replicas_are_clamped_to_replicas():
    scenario = _scenario()
    group = scenario["task"]["template"]["custom"]["rayCluster"]["workerGroupSpec"][0]
    group.update({"replicas": 3.0, "minReplicas": 5.0, "maxReplicas": 1.0})
    built = engine.evaluate(scenario).pod["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]
    assert (built["minReplicas"], built["maxReplicas"]) == (3, 3)  # min(min, replicas), max(max, replicas) :223-230


def test_head_start_params_fill_absent_keys_only():
    params = engine.evaluate(_scenario()).pod["spec"]["rayClusterSpec"]["headGroupSpec"]["rayStartParams"]
    assert params == {  # the task's num-cpus, then include-dashboard, node-ip-address, dashboard-host, usage (:101-122)
        "num-cpus": "0",
        "include-dashboard": "true",
        "node-ip-address": "$MY_POD_IP",
        "dashboard-host": "0.0.0.0",
        "disable-usage-stats": "true",
    }


def test_worker_k8s_pod_overlays_the_renamed_container_and_its_node_selector_reaches_workers_only():
    pod = engine.evaluate(_scenario()).pod
    worker, head = _worker(pod), _head(pod)
    assert worker["spec"]["nodeSelector"] == {"cloud.google.com/gke-accelerator": "nvidia-tesla-t4"}
    assert "nodeSelector" not in head["spec"]
    resources = worker["spec"]["containers"][0]["resources"]
    assert resources["limits"]["nvidia.com/gpu"] == "1"
    assert resources["requests"]["cpu"] == "2"  # the task's own, kept under the overlay's GPU


def test_add_tolerations_for_extended_resources_only_where_requested():
    pod = engine.evaluate(_scenario()).pod
    gpu = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}  # AddTolerationsForExtendedResources
    assert gpu in _worker(pod)["spec"]["tolerations"]
    assert gpu not in _head(pod)["spec"]["tolerations"]


def test_entrypoint_keeps_empty_args_as_quotes():
    scenario = _scenario()
    scenario["task"]["template"]["container"]["args"] = ["vars", "", "resolver"]
    pod = engine.evaluate(scenario).pod
    assert (
        pod["spec"]["entrypoint"] == "vars '' resolver"
    )  # :265-278 (TestBuildResourceRayEntrypointPreservesEmptyArgs)


def test_plugin_service_account_overrides_the_executions_in_every_role():
    scenario = _scenario()
    scenario["propeller"]["config"]["plugins"]["ray"]["serviceAccount"] = "ray-sa"
    pod = engine.evaluate(scenario).pod
    for template in (_head(pod), _worker(pod), pod["spec"]["submitterPodTemplate"]):
        assert template["spec"]["serviceAccountName"] == "ray-sa"  # :124-129


def test_plugin_config_keys_match_without_regard_to_case():
    scenario = _scenario()
    scenario["propeller"]["config"]["plugins"]["ray"] = {"servicetype": "LoadBalancer"}  # as viper lowercases it
    pod = engine.evaluate(scenario).pod
    assert pod["spec"]["rayClusterSpec"]["headGroupSpec"]["serviceType"] == "LoadBalancer"


def test_ttl_is_the_tasks_only_with_shutdown():
    scenario = _scenario()
    assert engine.evaluate(scenario).pod["spec"]["ttlSecondsAfterFinished"] == 300
    custom = scenario["task"]["template"]["custom"]
    custom.pop("shutdownAfterJobFinishes")
    pod = engine.evaluate(scenario).pod
    assert pod["spec"]["ttlSecondsAfterFinished"] == 3600  # plugins.ray default (:244-249, config.go)
    assert pod["spec"]["shutdownAfterJobFinishes"] is True  # plugins.ray default true


def test_explain_names_the_worker_pod_template_as_the_source():
    result = engine.evaluate(_scenario())
    explained = result.trace.explain(WORKER + ".spec.nodeSelector")
    assert explained["owner"] == "ray-worker-pod"


def test_an_overlay_container_with_another_name_is_dropped_with_a_warning():
    scenario = _scenario()
    group = scenario["task"]["template"]["custom"]["rayCluster"]["workerGroupSpec"][0]
    group["k8sPod"]["podSpec"]["containers"][0]["name"] = "primary"
    result = engine.evaluate(scenario)
    assert "nvidia.com/gpu" not in _worker(result.pod)["spec"]["containers"][0]["resources"].get("limits", {})
    drops = [e for e in result.trace.events if e.op == "drop" and e.rule == "overlay-pod-spec:containers"]
    assert drops and drops[0].source == "ray-worker-pod"
    assert drops[0].path[:3] == ("spec", "rayClusterSpec", "workerGroupSpecs")
    assert any("'primary'" in w.note for w in result.warnings)


def test_a_task_type_no_plugin_builds_is_an_input_error():
    scenario = _scenario()
    scenario["task"]["template"]["type"] = "rayy"
    with pytest.raises(engine.InputError) as caught:
        engine.evaluate(scenario)
    assert caught.value.code == "invalid_value" and "ray" in (caught.value.hint or "")


def test_the_scenario_is_not_mutated():
    scenario = _scenario()
    pristine = copy.deepcopy(scenario)
    engine.evaluate(scenario)
    assert scenario == pristine


def test_a_ray_task_without_custom_is_refused_with_flytes_message():
    scenario = _scenario()
    del scenario["task"]["template"]["custom"]
    with pytest.raises(engine.FlyteBuildError) as caught:
        engine.evaluate(scenario)
    # ray.go:71-75: UnmarshalStructToPb(nil) -> "nil Struct object passed"
    assert "invalid TaskSpecification [<nil>], Err: [nil Struct object passed]" in caught.value.message


def test_a_tok8spodspec_failure_is_wrapped_as_ray_does():
    scenario = _scenario()
    template = scenario["task"]["template"]
    template["config"] = {"primary_container_name": "my-primary"}
    template["k8sPod"] = {"podSpec": {"containers": [{"name": "other", "image": "x"}]}}
    del template["container"]
    with pytest.raises(engine.FlyteBuildError) as caught:
        engine.evaluate(scenario)
    message = caught.value.message
    assert message.startswith("[BadTaskSpecification] Unable to create pod spec: [") and "my-primary" in message


def test_role_templates_carry_the_nodes_labels():
    # ray.go:443/457/574: UnionMaps(default-labels, objectMeta, TaskExecutionMetadata().GetLabels(), role k8sPod);
    # GetLabels() is the workflow's labels (execution-id ...) plus node-id, task-name and interruptible
    # (flytepropeller node_exec_context.go:217-226)
    scenario = _scenario()
    scenario["execution"].update(
        {"id": {"project": "p", "domain": "d", "name": "abc123"}, "nodeId": "n0", "interruptible": True}
    )
    pod = engine.evaluate(scenario).pod
    for template in (_head(pod), _worker(pod), pod["spec"]["submitterPodTemplate"]):
        labels = template["metadata"]["labels"]
        assert labels["execution-id"] == "abc123" and labels["node-id"] == "n0"
        assert labels["interruptible"] == "true" and labels["team"] == "ml"


def test_a_spark_driver_built_non_interruptible_keeps_the_nodes_interruptible_label():
    import yaml

    path = ROOT / "examples" / "plugins" / "spark-4378-pod-template-tolerations.yaml"
    scenario = yaml.safe_load(path.read_text())
    scenario.setdefault("execution", {}).update(
        {"id": {"project": "p", "domain": "d", "name": "abc123"}, "nodeId": "n0", "interruptible": True}
    )
    pod = engine.evaluate(scenario).pod
    # spark.go:156-168: the driver's labels are GetLabels() of the node (interruptible "true"), though the driver's
    # pod is built with IsInterruptible() false (spark.go createSparkPodSpec with the non-interruptible context)
    assert pod["spec"]["driver"]["labels"]["interruptible"] == "true"
    assert pod["spec"]["executor"]["labels"]["interruptible"] == "true"


def test_an_equal_extended_resource_toleration_is_not_added_twice():
    # addTolerationInPodSpec (pod_helper.go:571-584): an equal toleration (MatchToleration) already there stops it
    scenario = _scenario()
    gpu = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    scenario["propeller"]["config"]["plugins"]["k8s"]["default-tolerations"] = [gpu]
    result = engine.evaluate(scenario)
    assert _worker(result.pod)["spec"]["tolerations"].count(gpu) == 1
    assert any(e.op == "drop" and e.rule == "ray-worker.extended-resource-tolerations" for e in result.trace.events)
