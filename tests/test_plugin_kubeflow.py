"""The Kubeflow plugins (rules/flyte-v1/plugins/{pytorch,tensorflow,mpi}.yaml, engine/eval/plugin_kubeflow.py): the
facts of the examples in examples/plugins/ and the behaviour docs/plugins.md describes.

Every expected value is read from flyteplugins/go/tasks/plugins/k8s/kfoperators at flyteorg/flyte 89cf9cc
(common/common_operator.go, pytorch/pytorch.go, tensorflow/tensorflow.go, mpi/mpi.go; the line is named beside each)
and from flytek8s (container_helper.go: MergeResources, ApplyResourceOverrides), not from podeval's output.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

import engine
from engine.eval import plugin_kubeflow

ROOT = Path(__file__).resolve().parents[1]
PRIMARY = ROOT / "examples" / "plugins" / "pytorch-primary-container.yaml"
LOSE_GPU = ROOT / "examples" / "plugins" / "pytorch-replica-resources-lose-gpu.yaml"
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}

pytest.importorskip("flyteidl", reason="task.template needs the flyteidl extra")


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _replicas(pod: dict) -> dict:
    spec = pod["spec"]
    return spec.get("pytorchReplicaSpecs") or spec.get("tfReplicaSpecs") or spec.get("mpiReplicaSpecs")


def _pytorch(custom: dict, *, version: int = 1, container: dict | None = None, **extra) -> dict:
    """A PyTorch task as flytekit 1.16 registers it (task type version 1), with the test's custom."""
    template = {
        "type": "pytorch",
        "container": container or {"image": "ghcr.io/acme/train:1", "args": ["pyflyte-execute"]},
        "custom": custom,
    }
    if version:
        template["taskTypeVersion"] = version
    return {"task": {"template": template}, "execution": {"namespace": "ml", "podName": "abc-n0-0"}, **extra}


# ------------------------------------------------------------------------------------- flyte#3590 (the example)


def test_primary_container_named_primary_becomes_pytorch_in_every_replica():
    pod = engine.evaluate(_load(PRIMARY)).pod
    assert (pod["apiVersion"], pod["kind"]) == ("kubeflow.org/v1", "PyTorchJob")  # pytorch.go:166-171
    replicas = _replicas(pod)
    assert sorted(replicas) == ["Master", "Worker"]  # pytorch.go:147-153
    for replica in replicas.values():
        spec = replica["template"]["spec"]
        # OverridePrimaryContainerName renames the K8sPod target's primary `primary` (common_operator.go:208-221)
        assert [c["name"] for c in spec["containers"]] == ["pytorch"]
        # flytekit's increase_shared_mem pod template comes along (kfpytorch/pod_template.py)
        assert spec["containers"][0]["volumeMounts"] == [{"mountPath": "/dev/shm", "name": "shm"}]
        assert spec["volumes"] == [{"name": "shm", "emptyDir": {"medium": "Memory"}}]
        assert replica["restartPolicy"] == "Never"  # ParseRestartPolicy of RESTART_POLICY_NEVER (omitted by flytekit)
    assert (replicas["Master"]["replicas"], replicas["Worker"]["replicas"]) == (1, 2)  # 2.0 in the Struct, *int32
    worker_env = replicas["Worker"]["template"]["spec"]["containers"][0]["env"]
    assert worker_env[-1] == {"name": "_F_WN", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}  # :112-132
    assert "env" not in replicas["Master"]["template"]["spec"]["containers"][0]
    assert pod["spec"]["runPolicy"] == {}  # no run policy: the empty struct, always written


def test_primary_container_explain_names_the_rename_and_the_task_pod_template():
    result = engine.evaluate(_load(PRIMARY))
    name = result.trace.explain("spec.pytorchReplicaSpecs.Worker.template.spec.containers[name=pytorch].name")
    assert (name["value"], name["rule"]) == ("pytorch", "pytorch-worker.rename")
    lost = [c for c in name["candidates"] if c["outcome"] == "lost"]
    assert [(c["source"], c["value"]) for c in lost] == [("compile-time", "primary")]
    mounts = result.trace.explain("spec.pytorchReplicaSpecs.Worker.template.spec.containers[name=pytorch].volumeMounts")
    assert mounts["owner"] == "compile-time"  # the task's K8sPod target (flytekit's pod template)


# ------------------------------------------------------------ replica resources replace the overrides (the example)


def test_worker_replica_resources_lose_the_override_gpu_and_its_toleration():
    replicas = _replicas(engine.evaluate(_load(LOSE_GPU)).pod)
    worker = replicas["Worker"]["template"]["spec"]
    # WithResources(replica resources) replaces the node's overrides (common_operator.go:336-345); they are then
    # merged key by key over the task container's cpu 2 / 8Gi (container_helper.go:29-44, :429): 8 and 32Gi win, and
    # ApplyK8sResourceOverrides made the limits the requests (:342)
    assert worker["containers"][0]["resources"] == {
        "requests": {"cpu": "8", "memory": "32Gi"},
        "limits": {"cpu": "8", "memory": "32Gi"},
    }
    assert GPU_TOLERATION not in (worker.get("tolerations") or [])  # no GPU, no resource-tolerations entry
    assert replicas["Worker"]["replicas"] == 4


def test_master_without_replica_resources_keeps_the_override_gpu():
    master = _replicas(engine.evaluate(_load(LOSE_GPU)).pod)["Master"]["template"]["spec"]
    # `resources: {}` has no entries, so no WithResources (common_operator.go:337): the overrides (GPU) merge over the
    # task container's cpu 2 / 8Gi, limits default to the requests (ApplyResourceOverrides)
    assert master["containers"][0]["resources"] == {
        "requests": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"},
        "limits": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"},
    }
    assert GPU_TOLERATION in master["tolerations"]  # resource-tolerations for nvidia.com/gpu


def test_replica_resources_explain_names_the_worker_replica_spec():
    result = engine.evaluate(_load(LOSE_GPU))
    cpu = result.trace.explain(
        "spec.pytorchReplicaSpecs.Worker.template.spec.containers[name=pytorch].resources.requests.cpu"
    )
    assert (cpu["value"], cpu["owner"]) == ("8", "pytorch-worker")
    master = result.trace.explain(
        'spec.pytorchReplicaSpecs.Master.template.spec.containers[name=pytorch].resources.limits["nvidia.com/gpu"]'
    )
    assert (master["value"], master["owner"]) == ("1", "execution")


def test_a_replica_giving_only_cpu_resets_memory_to_the_platform_default():
    # ApplyK8sResourceOverrides fills the replica's memory with the platform default (default-memory) before the
    # replica resources replace the overrides, so the task's own 8Gi is overwritten (container_helper.go:82-100,
    # :104-118, then MergeResources)
    container = {"image": "img", "resources": {"requests": [{"name": "MEMORY", "value": "8Gi"}]}}
    custom = {"workerReplicas": {"replicas": 2.0, "resources": {"requests": [{"name": "CPU", "value": "4"}]}}}
    scenario = _pytorch(custom, container=container, propeller={"config": {"default-memory": "1Gi"}})
    worker = _replicas(engine.evaluate(scenario).pod)["Worker"]["template"]["spec"]["containers"][0]
    assert worker["resources"] == {"requests": {"cpu": "4", "memory": "1Gi"}, "limits": {"cpu": "4", "memory": "1Gi"}}


def test_replica_resources_function_is_apply_resource_overrides_with_assign_if_unset():
    spec = {"common": {"resources": {"limits": [{"name": "GPU", "value": "1"}, {"name": "CPU", "value": "0"}]}}}
    config = {"default-cpus": "500m", "default-memory": "256Mi", "gpu-resource-name": "nvidia.com/gpu"}
    got = plugin_kubeflow.kubeflow_replica_resources(spec, {"limits": {"cpu": "2"}}, config)
    # CPU 0 is dropped (ToK8sResourceList); cpu request = platform default 500m, limit = request; the GPU request is
    # its limit (AdjustOrDefaultResource); `common` wins over the deprecated fields (:323-328)
    assert got == {
        "requests": {"nvidia.com/gpu": "1", "cpu": "500m", "memory": "256Mi"},
        "limits": {"nvidia.com/gpu": "1", "cpu": "500m", "memory": "256Mi"},
    }
    assert plugin_kubeflow.kubeflow_replica_resources({"resources": {}}, None, config) is None
    assert plugin_kubeflow.kubeflow_replica_resources(None, None, config) is None


# ---------------------------------------------------------------------------------------------- other behaviour


def test_elastic_job_has_no_master_and_says_why():
    custom = {"workerReplicas": {"replicas": 3.0}, "elasticConfig": {"rdzvBackend": "c10d", "minReplicas": 1.0}}
    result = engine.evaluate(_pytorch(custom))
    assert sorted(_replicas(result.pod)) == ["Worker"]  # pytorch.go:160-164
    # ParseElasticConfig: every field a pointer, so zeros are written (pytorch.go:188-200)
    assert result.pod["spec"]["elasticPolicy"] == {
        "minReplicas": 1,
        "maxReplicas": 0,
        "rdzvBackend": "c10d",
        "nProcPerNode": 0,
        "maxRestarts": 0,
    }
    drops = [e for e in result.trace.events if e.op == "drop" and e.rule == "pytorch.elastic-master"]
    assert len(drops) == 1 and "elastic" in drops[0].note


def test_run_policy_clean_pod_policy_always_set_once_given():
    custom = {"workerReplicas": {"replicas": 1.0}, "runPolicy": {"backoffLimit": 3.0}}
    run_policy = engine.evaluate(_pytorch(custom)).pod["spec"]["runPolicy"]
    # CLEANPOD_POLICY_NONE (the omitted zero) -> None; backoffLimit set (common_operator.go:224-242)
    assert run_policy == {"cleanPodPolicy": "None", "backoffLimit": 3}


def test_mpi_version_1_ignores_slots_and_launcher_count_and_makes_command_args():
    custom = {
        "launcherReplicas": {"replicas": 3.0, "command": ["mpirun", "python", "train.py"]},
        "workerReplicas": {"replicas": 5.0, "common": {"replicas": 2.0, "image": "ghcr.io/acme/mpi:2"}},
        "slots": 4.0,
    }
    scenario = _pytorch(custom)
    scenario["task"]["template"]["type"] = "mpi"
    pod = engine.evaluate(scenario).pod
    assert pod["kind"] == "MPIJob"
    assert pod["spec"]["slotsPerWorker"] == 1  # slots is never read in version 1 (mpi.go:57, :84)
    launcher, worker = _replicas(pod)["Launcher"], _replicas(pod)["Worker"]
    assert launcher["replicas"] == 1  # isMaster (common_operator.go:352-355)
    launcher_container = launcher["template"]["spec"]["containers"][0]
    assert (launcher_container["name"], launcher_container["args"]) == ("mpi", ["mpirun", "python", "train.py"])
    assert "command" not in launcher_container  # command replaces args; the container's command stays (empty)
    # a set `common` wins over the deprecated fields beside it: its replicas and image (common_operator.go:323-328)
    assert (worker["replicas"], worker["template"]["spec"]["containers"][0]["image"]) == (2, "ghcr.io/acme/mpi:2")


def test_mpi_version_0_reads_slots_and_worker_spec_command():
    scenario = _pytorch({"numWorkers": 2.0, "slots": 4.0}, version=0)
    scenario["task"]["template"]["type"] = "mpi"
    scenario["task"]["template"]["config"] = {"worker_spec_command": "/usr/sbin/sshd -De"}
    pod = engine.evaluate(scenario).pod
    assert pod["spec"]["slotsPerWorker"] == 4  # mpi.go:84
    assert _replicas(pod)["Launcher"]["replicas"] == 1  # at least one launcher (:76-80)
    worker = _replicas(pod)["Worker"]["template"]["spec"]["containers"][0]
    assert worker["args"] == ["/usr/sbin/sshd", "-De"] and "command" not in worker  # :86-98
    launcher = _replicas(pod)["Launcher"]["template"]["spec"]["containers"][0]
    assert launcher["args"] == ["pyflyte-execute"]


def test_tensorflow_types_with_zero_replicas_are_not_built():
    custom = {"chiefReplicas": {"replicas": 1.0}, "workerReplicas": {"replicas": 2.0}, "psReplicas": {}}
    scenario = _pytorch(custom)
    scenario["task"]["template"]["type"] = "tensorflow"
    result = engine.evaluate(scenario)
    assert sorted(_replicas(result.pod)) == ["Chief", "Worker"]  # tensorflow.go:110-112
    assert _replicas(result.pod)["Chief"]["replicas"] == 1  # not forced: the chief's own count
    assert [c["name"] for c in _replicas(result.pod)["Chief"]["template"]["spec"]["containers"]] == ["tensorflow"]


@pytest.mark.parametrize(
    ("task_type", "custom", "version", "code", "message"),
    [
        (
            "tensorflow",
            {"chiefReplicas": {"replicas": 1.0}},
            1,
            "kubeflow_no_workers",
            "number of workers must be greater than 0",
        ),  # tensorflow.go:130-132
        (
            "mpi",
            {"numLauncherReplicas": 1.0},
            0,
            "kubeflow_no_workers",
            "number of workers must be greater than 0",
        ),  # mpi.go:127-129
        (
            "pytorch",
            {"workers": 1.0},
            2,
            "kubeflow_unsupported_version",
            "[BadTaskSpecification] Invalid TaskSpecification, unsupported task template version [2] key",
        ),  # :142-145
        (
            "pytorch",
            None,
            1,
            "kubeflow_invalid_task_spec",
            "[BadTaskSpecification] invalid TaskSpecification [<nil>], Err: [nil Struct Object passed]",
        ),  # :97-100
    ],
)
def test_refusals_exit_3_with_flytepropellers_message(task_type, custom, version, code, message):
    scenario = _pytorch(custom or {}, version=version)
    scenario["task"]["template"]["type"] = task_type
    if custom is None:
        del scenario["task"]["template"]["custom"]
    with pytest.raises(engine.FlyteBuildError) as raised:
        engine.evaluate(scenario)
    assert (raised.value.code, raised.value.exit_code) == (code, 3)
    assert message in raised.value.message


def test_interruptible_execution_reaches_every_replica():
    scenario = _pytorch({"workerReplicas": {"replicas": 1.0}})
    scenario["execution"]["interruptible"] = True
    scenario["propeller"] = {"config": {"interruptible-tolerations": [{"key": "spot", "operator": "Exists"}]}}
    for replica in _replicas(engine.evaluate(copy.deepcopy(scenario)).pod).values():
        # ToReplicaSpec uses the execution's context for every replica (common_operator.go:281)
        assert {"key": "spot", "operator": "Exists"} in replica["template"]["spec"]["tolerations"]


def test_a_replica_resource_that_is_not_a_quantity_is_refused():
    custom = {"workerReplicas": {"replicas": 1.0, "resources": {"limits": [{"name": "CPU", "value": "lots"}]}}}
    with pytest.raises(engine.FlyteBuildError) as raised:
        engine.evaluate(_pytorch(custom))
    # ToK8sResourceRequirements fails (common_operator.go:338-341): "invalid TaskSpecification on Resources"
    assert raised.value.code == "kubeflow_invalid_replica_resources"
    assert "invalid TaskSpecification on Resources" in raised.value.message


def test_a_pod_build_refusal_is_wrapped_as_the_replica_specs():
    scenario = _pytorch({"workerReplicas": {"replicas": 1.0}})
    template = scenario["task"]["template"]
    del template["container"]
    template["k8sPod"] = {"podSpec": {"containers": [{"name": "main", "image": "img"}]}}
    template["config"] = {"primary_container_name": "trainer"}
    with pytest.raises(engine.FlyteBuildError) as raised:
        engine.evaluate(scenario)
    # ToReplicaSpec wraps ToK8sPodSpec's error (common_operator.go:283), BuildResource the master's (pytorch.go:104)
    assert raised.value.message.startswith(
        "[BadTaskSpecification] Unable to create master replica spec: [[BadTaskSpecification] Unable to create pod "
        "spec: ["
    )
    assert "trainer" in raised.value.message
