"""The Dask plugin (rules/flyte-v1/plugins/dask.yaml, engine/eval/plugin_dask.py) on the scenarios of
examples/plugins/dask-*.yaml and small variations: which pod is interruptible, the roles' images, resources and
args, the metadata of the DaskJob and of its cluster, the refusals, and what `explain` names as each field's source.

Every expected value is read from flyteplugins/go/tasks/plugins/k8s/dask/dask.go at flyteorg/flyte 89cf9cc (the
line is named beside each) and the flytek8s helpers it calls, not from podeval's output. dask_test.go itself is
ported as tests/conformance/flyte_go/DSK01-DSK13.yaml.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from pathlib import Path

import pytest
import yaml

import engine

ROOT = Path(__file__).resolve().parents[1]
INTERRUPTIBLE = ROOT / "examples" / "plugins" / "dask-interruptible-workers-only.yaml"
SIZED = ROOT / "examples" / "plugins" / "dask-role-images-and-resources.yaml"
WORKER = "spec.cluster.spec.worker.spec"
SCHEDULER = "spec.cluster.spec.scheduler.spec"
JOB = "spec.job.spec"


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _roles(pod: dict) -> dict:
    cluster = pod["spec"]["cluster"]["spec"]
    return {
        "job-runner": pod["spec"]["job"]["spec"],
        "scheduler": cluster["scheduler"]["spec"],
        "workers": cluster["worker"]["spec"],
    }


def _task_view(**custom) -> dict:
    """A small dask task in the scenario's task view (no flyteidl needed)."""
    return {
        "task": {"type": "dask", "container": {"image": "img:1", "args": ["run"]}, "custom": custom},
        "execution": {"namespace": "ns", "podName": "p-n0-0"},
    }


# ---------------------------------------------------------------------------------------------------------------
# examples/plugins/dask-interruptible-workers-only.yaml


def test_only_the_workers_are_interruptible():
    roles = _roles(engine.evaluate(_load(INTERRUPTIBLE)).pod)
    spot = {"key": "lifecycle", "operator": "Equal", "value": "spot", "effect": "NoSchedule"}

    def requirement(spec: dict) -> list:
        terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        return terms[0]["matchExpressions"]

    # workers: podSpec, ToK8sPodSpec with the execution's (the task's) interruptible flag (dask.go:74, :88)
    assert roles["workers"]["tolerations"] == [spot]
    assert requirement(roles["workers"]) == [{"key": "lifecycle", "operator": "In", "values": ["spot"]}]
    # scheduler and job runner: nonInterruptiblePodSpec, WithInterruptible(false) (dask.go:78-79, :94, :99)
    for role in ("scheduler", "job-runner"):
        assert "tolerations" not in roles[role], role
        assert requirement(roles[role]) == [{"key": "lifecycle", "operator": "DoesNotExist"}], role


def test_the_roles_rename_the_task_container_and_set_their_restart_policies():
    pod = engine.evaluate(_load(INTERRUPTIBLE)).pod
    roles = _roles(pod)
    names = {role: [c["name"] for c in spec["containers"]] for role, spec in roles.items()}
    assert names == {
        "job-runner": ["job-runner"],
        "scheduler": ["scheduler"],
        "workers": ["dask-worker"],
    }  # :122,:187,:266
    policies = {role: spec["restartPolicy"] for role, spec in roles.items()}
    assert policies == {"job-runner": "Never", "scheduler": "Always", "workers": "Always"}  # :172, :224, :260
    assert pod["spec"]["cluster"]["spec"]["worker"]["replicas"] == 4  # numberOfWorkers 4.0 (:174-177)
    assert roles["job-runner"]["containers"][0]["args"][0] == "pyflyte-execute"  # the task's args (createJobSpec)
    assert roles["scheduler"]["containers"][0]["args"] == ["dask-scheduler"]  # :208


def test_the_scheduler_service_selects_this_clusters_scheduler():
    pod = engine.evaluate(_load(INTERRUPTIBLE)).pod
    service = pod["spec"]["cluster"]["spec"]["scheduler"]["service"]
    assert service == {  # createSchedulerSpec :232-254; the cluster name is the generated name (:93)
        "type": "NodePort",
        "selector": {"dask.org/cluster-name": "a7c2xk9m4q-n0-0", "dask.org/component": "scheduler"},
        "ports": [
            {"name": "tcp-comm", "protocol": "TCP", "port": 8786, "targetPort": "tcp-comm"},
            {"name": "dashboard", "protocol": "TCP", "port": 8787, "targetPort": "dashboard"},
        ],
    }
    ports = _roles(pod)["scheduler"]["containers"][0]["ports"]
    assert ports == [  # :211-222, replacing the container's own
        {"name": "tcp-comm", "containerPort": 8786, "protocol": "TCP"},
        {"name": "dashboard", "containerPort": 8787, "protocol": "TCP"},
    ]


def test_explain_shows_the_scheduler_got_the_non_interruptible_requirement():
    result = engine.evaluate(_load(INTERRUPTIBLE))
    explained = result.trace.explain(SCHEDULER + ".affinity")
    assert explained["owner"] == "k8s-plugin"
    assert explained["rule"] == "interruptible-node-affinity"
    assert explained["value"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0][
        "matchExpressions"
    ] == [{"key": "lifecycle", "operator": "DoesNotExist"}]
    tolerations = result.trace.explain(WORKER + ".tolerations")
    assert (tolerations["owner"], tolerations["rule"]) == ("k8s-plugin", "interruptible-tolerations")


# ---------------------------------------------------------------------------------------------------------------
# examples/plugins/dask-role-images-and-resources.yaml


def test_role_images_replace_the_task_image_except_for_the_job_runner():
    roles = _roles(engine.evaluate(_load(SIZED)).pod)
    images = {role: spec["containers"][0]["image"] for role, spec in roles.items()}
    assert images == {  # :125-127, :190-192; createJobSpec keeps the task's
        "job-runner": "ghcr.io/acme/etl:1.4.2",
        "scheduler": "ghcr.io/acme/dask-scheduler:2024.8.0",
        "workers": "ghcr.io/acme/dask-worker:2024.8.0",
    }


def test_role_resources_replace_the_task_resources_and_the_overrides():
    roles = _roles(engine.evaluate(_load(SIZED)).pod)
    # the job runner: the task's requests (cpu 1, memory 1Gi, GPU 1) with the execution's memory override over
    # them, limits defaulting to the requests (ApplyResourceOverrides, MergeExistingResources)
    assert roles["job-runner"]["containers"][0]["resources"] == {
        "requests": {"cpu": "1", "memory": "4Gi", "nvidia.com/gpu": "1"},
        "limits": {"cpu": "1", "memory": "4Gi", "nvidia.com/gpu": "1"},
    }
    # the scheduler: Scheduler(requests=...) alone, limits defaulting to the requests (ApplyK8sResourceOverrides)
    assert roles["scheduler"]["containers"][0]["resources"] == {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"cpu": "1", "memory": "2Gi"},
    }
    assert roles["workers"]["containers"][0]["resources"] == {
        "requests": {"cpu": "2", "memory": "8Gi"},
        "limits": {"cpu": "3500m", "memory": "8Gi"},
    }


def test_worker_args_round_the_cpu_limit_up():
    worker = _roles(engine.evaluate(_load(SIZED)).pod)["workers"]["containers"][0]
    # --nthreads limits.Cpu().Value() (rounded up: 3500m -> 4), --memory-limit limits.Memory().String() (:146-164)
    assert worker["args"] == [
        "dask-worker",
        "--name",
        "$(DASK_WORKER_NAME)",
        "--nthreads",
        "4",
        "--memory-limit",
        "8Gi",
    ]


def test_the_gpu_toleration_stays_on_roles_whose_resources_drop_the_gpu():
    roles = _roles(engine.evaluate(_load(SIZED)).pod)
    gpu = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]  # resource-tolerations
    # GetPodTolerations runs inside ToK8sPodSpec (UpdatePod), before the role resources replace the container's
    assert {role: spec["tolerations"] for role, spec in roles.items()} == dict.fromkeys(roles, gpu)


def test_explain_names_the_task_dask_job_as_the_source_of_role_fields():
    result = engine.evaluate(_load(SIZED))
    cpu = result.trace.explain(WORKER + ".containers[name=dask-worker].resources.limits.cpu")
    assert (cpu["value"], cpu["owner"], cpu["rule"]) == ("3500m", "dask-job", "dask-worker.resources")
    assert any(c["source"] == "task-container" and c["outcome"] == "lost" for c in cpu["candidates"])
    image = result.trace.explain(SCHEDULER + ".containers[name=scheduler].image")
    assert (image["owner"], image["rule"]) == ("dask-job", "dask-scheduler.image")


# ---------------------------------------------------------------------------------------------------------------
# variations


def test_metadata_of_the_dask_job_and_of_its_cluster():
    scenario = _task_view(workers={"numberOfWorkers": 2.0})
    scenario["task"]["podTemplate"] = {
        "primaryContainerName": "primary",
        "labels": {"team": "data"},
        "annotations": {"owner": "alice"},
        "podSpec": {"containers": [{"name": "primary"}]},
    }
    scenario["task"]["labels"] = {"task-level": "yes"}
    scenario["execution"].update({"labels": {"exec": "1"}, "annotations": {"exec-ann": "1"}})
    scenario["propeller"] = {"config": {"default-labels": {"platform": "flyte"}}}
    pod = engine.evaluate(scenario).pod
    # the cluster: ToK8sPodSpec's objectMeta (the task pod's) with the execution's over it (dask.go:84-86, :278)
    assert pod["spec"]["cluster"]["metadata"] == {
        "labels": {"team": "data", "exec": "1"},
        "annotations": {"owner": "alice", "exec-ann": "1"},
    }
    # the DaskJob: the same, then addObjectMetadata: default-labels < its own < the task's metadata < the execution's
    assert pod["metadata"]["labels"] == {"platform": "flyte", "team": "data", "task-level": "yes", "exec": "1"}
    assert pod["metadata"]["annotations"] == {
        "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",  # plugins.k8s default-annotations
        "owner": "alice",
        "exec-ann": "1",
    }
    assert (pod["metadata"]["name"], pod["metadata"]["namespace"]) == ("p-n0-0", "ns")
    # WorkerSpec, SchedulerSpec and JobSpec hold a PodSpec only: no pod metadata in the DaskJob
    assert set(pod["spec"]["cluster"]["spec"]["worker"]) == {"replicas", "spec"}
    assert set(pod["spec"]["job"]) == {"spec"}


def test_an_empty_dask_job_builds_with_zero_workers():
    pod = engine.evaluate(_task_view()).pod  # custom {}: GetWorkers() is nil, its getters return zero values
    assert pod["spec"]["cluster"]["spec"]["worker"]["replicas"] == 0  # `json:"replicas"`: printed even when 0
    assert pod["spec"]["cluster"]["spec"]["worker"]["spec"]["containers"][0]["image"] == "img:1"


def test_a_role_gpu_is_always_nvidia_and_zero_values_are_left_out():
    resources = {
        "requests": [{"name": "CPU", "value": "0"}, {"name": "GPU", "value": "1"}],
        "limits": [{"name": "MEMORY", "value": "3Gi"}, {"name": "STORAGE", "value": "1Gi"}],
    }
    scenario = _task_view(workers={"numberOfWorkers": 1.0, "resources": resources})
    scenario["propeller"] = {"config": {"gpu-resource-name": "amd.com/gpu"}}
    worker = _roles(engine.evaluate(scenario).pod)["workers"]["containers"][0]
    # ToK8sResourceList: GPU -> nvidia.com/gpu whatever gpu-resource-name says, "0" and STORAGE left out; then
    # ApplyResourceOverrides: cpu from default-cpus (1), memory request from its limit, and the GPU is not
    # adjusted (it looks for amd.com/gpu), so it has a request and no limit
    assert worker["resources"] == {
        "requests": {"cpu": "1", "memory": "3Gi", "nvidia.com/gpu": "1"},
        "limits": {"cpu": "1", "memory": "3Gi"},
    }
    assert worker["args"][3:] == ["--nthreads", "1", "--memory-limit", "3Gi"]


def test_a_task_without_custom_is_refused_as_flytepropeller_does():
    scenario = _task_view()
    del scenario["task"]["custom"]
    with pytest.raises(engine.FlyteBuildError) as caught:
        engine.evaluate(scenario)
    assert caught.value.exit_code == 3 and caught.value.code == "BadTaskSpecification"
    # dask.go:71 (errors.Wrapf) around UnmarshalStructToPb's nil check (flytestdlib/utils/marshal_utils.go:23)
    assert caught.value.message == (
        "[BadTaskSpecification] invalid TaskSpecification [<nil>], failed to unmarshal, caused by: "
        "nil Struct object passed"
    )


def test_a_role_resource_that_is_not_a_quantity_is_refused():
    resources = {"limits": [{"name": "CPU", "value": "two"}]}
    with pytest.raises(engine.FlyteBuildError) as caught:
        engine.evaluate(_task_view(scheduler={"resources": resources}))
    assert caught.value.path == "task.custom.scheduler.resources"
    # ToK8sResourceList's errors.Wrap around resource.ParseQuantity's ErrFormatWrong, returned as it is (:198-201)
    assert caught.value.message.startswith("Failed to parse resource as a valid quantity.: quantities must match")


def test_the_scenario_is_not_mutated():
    scenario = _load(SIZED)
    pristine = copy.deepcopy(scenario)
    engine.evaluate(scenario)
    assert scenario == pristine


def test_the_examples_are_what_flytekit_serializes():
    """The examples' task.template is flytekit's serialization of the tasks their comments show (flytekitplugins-dask;
    skipped without it)."""
    pytest.importorskip("flytekitplugins.dask")
    from flytekit import Resources, task  # with flytekitplugins-dask only
    from flytekit.configuration import Image, ImageConfig, SerializationSettings  # with flytekitplugins-dask only
    from flytekit.tools.translator import get_serializable  # with flytekitplugins-dask only
    from flytekitplugins.dask import Dask, Scheduler, WorkerGroup  # with flytekitplugins-dask only
    from google.protobuf.json_format import MessageToDict  # with flytekitplugins-dask only

    @task(task_config=Dask(workers=WorkerGroup(number_of_workers=4)), interruptible=True,
          requests=Resources(cpu="1", mem="2Gi"))  # fmt: skip
    def interruptible_dask() -> int:
        return 1

    @task(
        task_config=Dask(
            scheduler=Scheduler(image="ghcr.io/acme/dask-scheduler:2024.8.0", requests=Resources(cpu="1", mem="2Gi")),
            workers=WorkerGroup(
                number_of_workers=3,
                image="ghcr.io/acme/dask-worker:2024.8.0",
                requests=Resources(cpu="2", mem="8Gi"),
                limits=Resources(cpu="3500m", mem="8Gi"),
            ),
        ),
        requests=Resources(cpu="1", mem="1Gi", gpu="1"),
        container_image="ghcr.io/acme/etl:1.4.2",
    )
    def sized_dask() -> int:
        return 1

    image = Image.look_up_image_info("default", "ghcr.io/acme/flytekit:1.16.31")
    settings = SerializationSettings(
        ImageConfig.create_from(default_image=image), project="p", domain="d", version="v1"
    )
    for entity, path in ((interruptible_dask, INTERRUPTIBLE), (sized_dask, SIZED)):
        serialized = MessageToDict(get_serializable(OrderedDict(), settings, entity).template.to_flyte_idl())
        example = _load(path)["task"]["template"]
        for key in ("type", "custom"):
            assert serialized[key] == example[key], (path.name, key)
        assert serialized["container"]["resources"] == example["container"]["resources"]
        assert serialized["container"]["image"] == example["container"]["image"]
        assert serialized["metadata"].get("interruptible") == example["metadata"].get("interruptible")
