"""Differential check of the plugin task types against the real flytekit plugins.

Every task of tests/flytekit_plugin_tasks/ is serialized by flytekit itself (`--flytekit module:task`, which runs
flytekit's `get_serializable` as `pyflyte register` does; flytekitplugins-* write `custom`) and rendered by podeval.
Each FACT below is one thing that follows from the task: its expected value was read from flytekit's plugin code
(what the task serializes to) and from FlytePropeller's plugin code at flyteorg/flyte 89cf9cc (what BuildResource
builds from it), cited beside it; none is copied from podeval's output. A second test gives each task to
`podeval render --task-template` as the TaskTemplate flytekit registers (protobuf JSON and binary .pb) and checks that
it renders exactly as `--flytekit` does.

Needs the `podeval[flytekit-plugins]` extra (flytekitplugins-ray, -spark, -dask, -kfpytorch, -kftensorflow, -kfmpi);
skipped without it. The elastic PyTorch task needs torch as well (flytekit imports it when the task is defined).
"""

from __future__ import annotations

import importlib
import json
import re
import sys
import warnings
from collections import OrderedDict
from pathlib import Path

import jmespath
import pytest
import yaml

import engine
from engine.cli import main
from engine.inputs.flytekit_source import scenario_from_flytekit

for _plugin in ("ray", "spark", "dask", "kfpytorch", "kftensorflow", "kfmpi"):
    pytest.importorskip(
        f"flytekitplugins.{_plugin}",
        reason="the flytekit plugins are not installed: pip install 'podeval[flytekit-plugins]'",
    )

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))  # so the tasks' module is `flytekit_plugin_tasks.tasks`, as in their args

MODULE = "flytekit_plugin_tasks.tasks"
IMAGE = "ghcr.io/org/trainer:1"  # the tasks' container_image (tests/flytekit_plugin_tasks/tasks.py)
DEFAULT_IMAGE = "docker.io/xyz:some-git-hash"
NAMESPACE = "ml-development"
POD_NAME = "a1b2c3-n0-0"
SERVICE_ACCOUNT = "flyte-runner"

# The execution and FlytePropeller's configuration every task is rendered with: interruptible tolerations and node
# selector (the tasks marked interruptible get them, FlytePropeller's roles permitting) and the GPU device label
# (accelerator=T4).
BASE = {
    "execution": {"namespace": NAMESPACE, "podName": POD_NAME, "serviceAccount": SERVICE_ACCOUNT},
    "propeller": {
        "config": {
            "plugins": {
                "k8s": {
                    "interruptible-tolerations": [{"key": "spot", "operator": "Exists", "effect": "NoSchedule"}],
                    "interruptible-node-selector": {"node-lifecycle": "spot"},
                    "gpu-device-node-label": "gpu.example.com/device",
                }
            }
        }
    },
}
SPOT = {"key": "spot", "operator": "Exists", "effect": "NoSchedule"}
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
T4_TERM = {"matchExpressions": [{"key": "gpu.example.com/device", "operator": "In", "values": ["nvidia-tesla-t4"]}]}
T4_TOLERATION = {
    "key": "gpu.example.com/device",
    "operator": "Equal",
    "value": "nvidia-tesla-t4",
    "effect": "NoSchedule",
}

# Plugins whose object podeval does not render yet: their facts are expected to fail (strict), so that each one
# turns into a failure to fix the moment the plugin lands. None today: every plugin of flytekit 1.16 is rendered.
PENDING: dict[str, str] = {}

# Paths into the objects (JMESPath over the rendered object)
HEAD = "spec.rayClusterSpec.headGroupSpec.template"
SUBMITTER = "spec.submitterPodTemplate"


def worker_group(name: str) -> str:
    return f"spec.rayClusterSpec.workerGroupSpecs[?groupName=='{name}'] | [0]"


def container(pod: str, name: str) -> str:
    return f"{pod}.spec.containers[?name=='{name}'] | [0]"


def names(pod: str) -> str:
    return f"{pod}.spec.containers[*].name"


DASK_WORKER = "spec.cluster.spec.worker"
DASK_SCHEDULER = "spec.cluster.spec.scheduler"
DASK_JOB = "spec.job"
PT = "spec.pytorchReplicaSpecs"
TF = "spec.tfReplicaSpecs"
MPI = "spec.mpiReplicaSpecs"

# (plugin, task, fact id, JMESPath over the object, op, expected, why). op: equals | contains (a list holds the
# item) | lacks (a list does not hold it) | null (absent).
FACTS = [
    # --- Ray: ray_role_resources ------------------------------------------------------------------------------------
    ("ray", "ray_role_resources", "kind", "[apiVersion, kind]", "equals", ["ray.io/v1", "RayJob"], "ray.go:285-289"),
    (
        "ray",
        "ray_role_resources",
        "head-container-renamed",
        names(HEAD),
        "equals",
        ["ray-head"],
        "ray.go:393 renames the primary container ray-head",
    ),
    (
        "ray",
        "ray_role_resources",
        "head-resources-from-head-node-config",
        f"{container(HEAD, 'ray-head')}.resources",
        "equals",
        {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
        (
            "flytekit ray/task.py get_custom: HeadNodeConfig(requests=) -> a head pod template with one container ray-head, "
            "limits = requests (resources.py pod_spec_from_resources); ray.go:431 lays it over the head pod "
            "(MergeOverlayPodSpecOntoBase, pod_helper.go:863-880: same-named container, requests/limits key by key)"
        ),
    ),
    (
        "ray",
        "ray_role_resources",
        "head-start-params",
        "spec.rayClusterSpec.headGroupSpec.rayStartParams",
        "equals",
        {
            "num-cpus": "0",
            "include-dashboard": "true",
            "node-ip-address": "$MY_POD_IP",
            "dashboard-host": "0.0.0.0",
            "disable-usage-stats": "true",
        },
        "the task's ray_start_params, then ray.go:108-122 fill the absent keys from plugins.ray's defaults",
    ),
    (
        "ray",
        "ray_role_resources",
        "head-args-emptied",
        f"{container(HEAD, 'ray-head')}.args",
        "null",
        None,
        "ray.go:407 sets the head's args to []",
    ),
    (
        "ray",
        "ray_role_resources",
        "worker-replicas",
        f"[{worker_group('gpu')}.replicas, {worker_group('gpu')}.minReplicas, {worker_group('gpu')}.maxReplicas]",
        "equals",
        [2, 1, 4],
        "WorkerNodeConfig(replicas=2, min_replicas=1, max_replicas=4); ray.go:223-239",
    ),
    (
        "ray",
        "ray_role_resources",
        "worker-resources-from-worker-node-config",
        f"{container(worker_group('gpu') + '.template', 'ray-worker')}.resources",
        "equals",
        {
            "requests": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
            "limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
        },
        (
            "WorkerNodeConfig(requests=) -> a pod template with one container ray-worker (gpu -> nvidia.com/gpu, "
            "resources.py); ray.go:466 renames the primary ray-worker before the merge at :562"
        ),
    ),
    (
        "ray",
        "ray_role_resources",
        "shutdown-and-ttl",
        "[spec.shutdownAfterJobFinishes, spec.ttlSecondsAfterFinished]",
        "equals",
        [True, 300],
        "ray.go:244-249: the task's TTL applies because it sets shutdown_after_job_finishes",
    ),
    (
        "ray",
        "ray_role_resources",
        "head-interruptible",
        f"{HEAD}.spec.tolerations",
        "contains",
        SPOT,
        "ray.go:77: one ToK8sPodSpec with the execution's own context: interruptible applies to every role",
    ),
    (
        "ray",
        "ray_role_resources",
        "worker-interruptible",
        f"{worker_group('gpu')}.template.spec.nodeSelector",
        "equals",
        {"node-lifecycle": "spot"},
        "ray.go:77, :196 (a copy of the interruptible task pod)",
    ),
    (
        "ray",
        "ray_role_resources",
        "submitter-interruptible",
        f"{SUBMITTER}.spec.tolerations",
        "contains",
        SPOT,
        "ray.go:251-252: the submitter is a copy of the same task pod",
    ),
    (
        "ray",
        "ray_role_resources",
        "submitter-keeps-task-container",
        names(SUBMITTER),
        "equals",
        [POD_NAME],
        (
            "ray.go:448-460: the submitter is neither renamed nor overlaid; a python task's primary container is named "
            "after the pod (container_helper.go BuildRawContainer)"
        ),
    ),
    (
        "ray",
        "ray_role_resources",
        "submitter-keeps-task-resources",
        f"{container(SUBMITTER, POD_NAME)}.resources.requests",
        "equals",
        {"cpu": "1", "memory": "2Gi"},
        "@task(requests=Resources(cpu=1, mem=2Gi)); the role templates never reach the submitter",
    ),
    (
        "ray",
        "ray_role_resources",
        "service-account",
        (
            f"[{HEAD}.spec.serviceAccountName, "
            f"{worker_group('gpu')}.template.spec.serviceAccountName, {SUBMITTER}.spec.serviceAccountName]"
        ),
        "equals",
        [SERVICE_ACCOUNT] * 3,
        "ray.go:124-129: the execution's service account (plugins.ray serviceAccount unset)",
    ),
    # --- Ray: ray_role_pod_templates --------------------------------------------------------------------------------
    (
        "ray",
        "ray_role_pod_templates",
        "head-runtime-class",
        f"{HEAD}.spec.runtimeClassName",
        "equals",
        "nvidia",
        "the head pod template's runtime_class_name; MergeOverlayPodSpecOntoBase (ray.go:431): a non-empty scalar wins",
    ),
    (
        "ray",
        "ray_role_pod_templates",
        "head-toleration",
        f"{HEAD}.spec.tolerations",
        "contains",
        GPU_TOLERATION,
        "mergo WithAppendSlice appends the head template's tolerations (pod_helper.go:858-861)",
    ),
    (
        "ray",
        "ray_role_pod_templates",
        "head-affinity",
        f"{HEAD}.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
        "equals",
        [{"matchExpressions": [{"key": "node-pool", "operator": "In", "values": ["head"]}]}],
        (
            "the task is not interruptible and no non-interruptible requirement is configured, so the task pod's affinity "
            "is empty (pod_helper.go:97-103) and the head template's is the only term"
        ),
    ),
    (
        "ray",
        "ray_role_pod_templates",
        "head-template-env-appended",
        f"{container(HEAD, 'ray-head')}.env[-1]",
        "equals",
        {"name": "HEAD_ONLY", "value": "1"},
        "the template container is named ray-head: merged, its env appended last",
    ),
    (
        "ray",
        "ray_role_pod_templates",
        "head-template-labels",
        f"{HEAD}.metadata.labels.role",
        "equals",
        "head",
        "ray.go:443: the head k8sPod's labels join the head template's labels",
    ),
    (
        "ray",
        "ray_role_pod_templates",
        "submitter-no-runtime-class",
        f"{SUBMITTER}.spec.runtimeClassName",
        "null",
        None,
        "ray.go:448-460: role templates never reach the submitter (flyte#6198)",
    ),
    (
        "ray",
        "ray_role_pod_templates",
        "submitter-no-gpu-toleration",
        f"{SUBMITTER}.spec.tolerations || `[]`",
        "lacks",
        GPU_TOLERATION,
        "ray.go:448-460 (flyte#6229)",
    ),
    (
        "ray",
        "ray_role_pod_templates",
        "worker-template-container-dropped",
        names(f"{worker_group('workers')}.template"),
        "equals",
        ["ray-worker"],
        (
            "the worker template's container keeps flytekit's default name primary, which matches nothing after the rename "
            "to ray-worker (ray.go:466): MergeOverlayPodSpecOntoBase drops it (pod_helper.go:863-880)"
        ),
    ),
    (
        "ray",
        "ray_role_pod_templates",
        "worker-gpu-lost",
        f"{container(worker_group('workers') + '.template', 'ray-worker')}.resources.requests",
        "equals",
        {"cpu": "1", "memory": "2Gi"},
        "the dropped container's nvidia.com/gpu is lost: the task's own requests stay",
    ),
    (
        "ray",
        "ray_role_pod_templates",
        "worker-node-selector",
        f"{worker_group('workers')}.template.spec.nodeSelector",
        "equals",
        {"cloud.google.com/gke-accelerator": "nvidia-l4"},
        "pod-level fields of the worker template do reach the workers: maps merged key by key (flyte#6396)",
    ),
    (
        "ray",
        "ray_role_pod_templates",
        "worker-replicas",
        (
            f"[{worker_group('workers')}.replicas, {worker_group('workers')}.minReplicas, "
            f"{worker_group('workers')}.maxReplicas]"
        ),
        "equals",
        [3, 3, 3],
        "flytekit ray/models.py: min/max replicas default to replicas; ray.go:223-230",
    ),
    # --- Ray: ray_task_pod_template ---------------------------------------------------------------------------------
    (
        "ray",
        "ray_task_pod_template",
        "node-selector-everywhere",
        f"[{HEAD}.spec.nodeSelector, {worker_group('cpu')}.template.spec.nodeSelector, {SUBMITTER}.spec.nodeSelector]",
        "equals",
        [{"team": "ml"}] * 3,
        "the task's pod template shapes the one ToK8sPodSpec pod (ray.go:77) every role copies",
    ),
    (
        "ray",
        "ray_task_pod_template",
        "submitter-container-name",
        names(SUBMITTER),
        "equals",
        ["primary"],
        "the K8sPod target's primary_container_name; only head and workers are renamed (ray.go:393, :466)",
    ),
    # --- Spark: spark_role_pods -------------------------------------------------------------------------------------
    (
        "spark",
        "spark_role_pods",
        "kind",
        "[apiVersion, kind]",
        "equals",
        ["sparkoperator.k8s.io/v1beta2", "SparkApplication"],
        "spark.go:310-314",
    ),
    (
        "spark",
        "spark_role_pods",
        "driver-not-interruptible",
        "spec.driver.nodeSelector",
        "equals",
        {"pool": "driver"},
        "spark.go:199-201: the driver's ToK8sPodSpec runs WithInterruptible(false): no interruptible node selector",
    ),
    (
        "spark",
        "spark_role_pods",
        "driver-no-spot-toleration",
        "spec.driver.tolerations || `[]`",
        "lacks",
        SPOT,
        "spark.go:199-201",
    ),
    (
        "spark",
        "spark_role_pods",
        "executor-interruptible-and-template",
        "spec.executor.nodeSelector",
        "equals",
        {"node-lifecycle": "spot", "pool": "executor"},
        "spark.go:255 (the execution's context), :271 (executor template, maps merged key by key)",
    ),
    (
        "spark",
        "spark_role_pods",
        "executor-tolerations",
        "spec.executor.tolerations",
        "equals",
        [SPOT, {"key": "spark", "operator": "Exists", "effect": "NoSchedule"}],
        "UpdatePod puts the interruptible toleration first; the template's are appended (WithAppendSlice)",
    ),
    (
        "spark",
        "spark_role_pods",
        "cores-and-memory-from-spark-conf",
        "[spec.driver.cores, spec.driver.memory, spec.executor.cores, spec.executor.instances, spec.executor.memory]",
        "equals",
        [1, "2g", 2, 3, "4g"],
        (
            "spark.go:241-244, :295-301: from spark_conf; the executor template's cpu 7 is not among SparkPodSpec's fields "
            "(createSparkPodSpec, spark.go:176-190)"
        ),
    ),
    (
        "spark",
        "spark_role_pods",
        "executor-template-env",
        "spec.executor.env[?name=='EXECUTOR_ONLY'] | [0].value",
        "equals",
        "1",
        "the same-named template container's env is appended; createSparkPodSpec copies env (spark.go:170-174)",
    ),
    (
        "spark",
        "spark_role_pods",
        "driver-without-executor-env",
        "spec.driver.env[?name=='EXECUTOR_ONLY']",
        "equals",
        [],
        "the executor template is the executor's only",
    ),
    (
        "spark",
        "spark_role_pods",
        "service-accounts",
        "[spec.driver.serviceAccount, spec.executor.serviceAccount]",
        "equals",
        [SERVICE_ACCOUNT] * 2,
        "spark.go:137-143, :189, :238: the execution's service account",
    ),
    (
        "spark",
        "spark_role_pods",
        "application",
        "[spec.type, spec.mode, spec.image, spec.restartPolicy]",
        "equals",
        ["Python", "cluster", IMAGE, {"type": "OnFailure", "onSubmissionFailureRetries": 14}],
        "spark.go:305-329: image = the executor's primary container image",
    ),
    # --- Dask: dask_cluster -----------------------------------------------------------------------------------------
    (
        "dask",
        "dask_cluster",
        "kind",
        "[apiVersion, kind]",
        "equals",
        ["kubernetes.dask.org/v1", "DaskJob"],
        "dask.go:104-108",
    ),
    (
        "dask",
        "dask_cluster",
        "worker-replicas",
        f"{DASK_WORKER}.replicas",
        "equals",
        4,
        "WorkerGroup(number_of_workers=4); dask.go:174-177",
    ),
    (
        "dask",
        "dask_cluster",
        "worker-container",
        f"{DASK_WORKER}.spec.containers[0].[name, image, args]",
        "equals",
        [
            "dask-worker",
            "ghcr.io/org/dask-worker:1",
            ["dask-worker", "--name", "$(DASK_WORKER_NAME)", "--nthreads", "2", "--memory-limit", "8Gi"],
        ],
        "dask.go:122-164: renamed, the group's image, args with --nthreads/--memory-limit from the limits",
    ),
    (
        "dask",
        "dask_cluster",
        "worker-resources",
        f"{DASK_WORKER}.spec.containers[0].resources",
        "equals",
        {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"cpu": "2", "memory": "8Gi"}},
        "dask.go:129-143: the group's resources replace the container's",
    ),
    (
        "dask",
        "dask_cluster",
        "worker-interruptible",
        f"{DASK_WORKER}.spec.tolerations",
        "contains",
        SPOT,
        "dask.go:74, :88: the workers use the execution's context",
    ),
    (
        "dask",
        "dask_cluster",
        "scheduler-not-interruptible",
        f"{DASK_SCHEDULER}.spec.tolerations || `[]`",
        "lacks",
        SPOT,
        "dask.go:78-79, :94: the scheduler's pod is built WithInterruptible(false)",
    ),
    (
        "dask",
        "dask_cluster",
        "job-runner-not-interruptible",
        f"{DASK_JOB}.spec.nodeSelector",
        "null",
        None,
        "dask.go:78-79, :99: so is the job runner's",
    ),
    (
        "dask",
        "dask_cluster",
        "scheduler-container",
        f"{DASK_SCHEDULER}.spec.containers[0].[name, args, resources]",
        "equals",
        [
            "scheduler",
            ["dask-scheduler"],
            {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
        ],
        "dask.go:187-208",
    ),
    (
        "dask",
        "dask_cluster",
        "job-runner",
        f"{DASK_JOB}.spec.[restartPolicy, containers[0].name, containers[0].image]",
        "equals",
        ["Never", "job-runner", IMAGE],
        "dask.go:258-266",
    ),
    (
        "dask",
        "dask_cluster",
        "job-runner-task-resources",
        f"{DASK_JOB}.spec.containers[0].resources.requests",
        "equals",
        {"cpu": "1", "memory": "1Gi"},
        "the job runner keeps the task's resources (dask.go:258-271)",
    ),
    (
        "dask",
        "dask_cluster",
        "scheduler-service-selector",
        f"{DASK_SCHEDULER}.service.selector",
        "equals",
        {"dask.org/cluster-name": POD_NAME, "dask.org/component": "scheduler"},
        "dask.go:93, :234-239",
    ),
    # --- PyTorch: pytorch_job ---------------------------------------------------------------------------------------
    (
        "pytorch",
        "pytorch_job",
        "kind",
        "[apiVersion, kind]",
        "equals",
        ["kubeflow.org/v1", "PyTorchJob"],
        "pytorch.go:166-170",
    ),
    (
        "pytorch",
        "pytorch_job",
        "replicas",
        f"[{PT}.Master.replicas, {PT}.Worker.replicas]",
        "equals",
        [1, 2],
        "common_operator.go:352-355 (master: 1), PyTorch(worker=Worker(replicas=2))",
    ),
    (
        "pytorch",
        "pytorch_job",
        "container-renamed",
        f"[{PT}.Master, {PT}.Worker][*].template.spec.containers[0].name",
        "equals",
        ["pytorch", "pytorch"],
        "common_operator.go:208-221, :286: the primary container (flytekit's pod template names it primary) -> pytorch",
    ),
    (
        "pytorch",
        "pytorch_job",
        "shared-memory",
        f"{PT}.Worker.template.spec.volumes",
        "contains",
        {"name": "shm", "emptyDir": {"medium": "Memory"}},
        (
            "flytekit kfpytorch task.py:200-203 (increase_shared_mem defaults to True) writes a pod template the user "
            "never wrote; ToK8sPodSpec keeps its volume"
        ),
    ),
    (
        "pytorch",
        "pytorch_job",
        "shared-memory-mount",
        f"{PT}.Master.template.spec.containers[0].volumeMounts",
        "contains",
        {"name": "shm", "mountPath": "/dev/shm"},
        "kfpytorch pod_template.py",
    ),
    (
        "pytorch",
        "pytorch_job",
        "worker-resources",
        f"{PT}.Worker.template.spec.containers[0].resources",
        "equals",
        {
            "requests": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
            "limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
        },
        (
            "common_operator.go:336-345: the worker's resources replace the overrides (WithResources) and are merged key by "
            "key over the task container's own (requests cpu 2, memory 8Gi): every key is the worker's"
        ),
    ),
    (
        "pytorch",
        "pytorch_job",
        "master-task-resources",
        f"{PT}.Master.template.spec.containers[0].resources.requests",
        "equals",
        {"cpu": "2", "memory": "8Gi"},
        "the master has no resources of its own: the task's",
    ),
    (
        "pytorch",
        "pytorch_job",
        "accelerator-on-gpu-worker",
        (
            f"{PT}.Worker.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
            ".nodeSelectorTerms"
        ),
        "equals",
        [T4_TERM],
        "accelerator=T4: ApplyGPUNodeSelectors (pod_helper.go:190-226) on a pod whose container limits nvidia.com/gpu",
    ),
    (
        "pytorch",
        "pytorch_job",
        "accelerator-toleration",
        f"{PT}.Worker.template.spec.tolerations",
        "contains",
        T4_TOLERATION,
        "pod_helper.go:219-225",
    ),
    (
        "pytorch",
        "pytorch_job",
        "no-accelerator-without-gpu",
        f"{PT}.Master.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution",
        "null",
        None,
        "pod_helper.go:191-202: the master requests no GPU, so the accelerator adds nothing to it",
    ),
    (
        "pytorch",
        "pytorch_job",
        "worker-name-env",
        f"{PT}.Worker.template.spec.containers[0].env[?name=='_F_WN'] | [0]",
        "equals",
        {"name": "_F_WN", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        "pytorch.go:112-132",
    ),
    (
        "pytorch",
        "pytorch_job",
        "interruptible-every-replica",
        f"[{PT}.Master, {PT}.Worker][*].template.spec.nodeSelector",
        "equals",
        [{"node-lifecycle": "spot"}] * 2,
        "common_operator.go:281: ToK8sPodSpec with the execution's context for every replica",
    ),
    (
        "pytorch",
        "pytorch_job",
        "run-policy",
        "spec.runPolicy",
        "equals",
        {"cleanPodPolicy": "All", "backoffLimit": 3},
        "common_operator.go:224-242",
    ),
    # --- TensorFlow: tensorflow_job ---------------------------------------------------------------------------------
    (
        "tensorflow",
        "tensorflow_job",
        "kind",
        "[apiVersion, kind]",
        "equals",
        ["kubeflow.org/v1", "TFJob"],
        "tensorflow.go",
    ),
    (
        "tensorflow",
        "tensorflow_job",
        "replicas",
        f"[{TF}.Chief.replicas, {TF}.PS.replicas, {TF}.Worker.replicas, {TF}.Evaluator]",
        "equals",
        [1, 1, 2, None],
        "tensorflow.go:85-124: each type's replicas; the evaluator (0 replicas) is skipped",
    ),
    (
        "tensorflow",
        "tensorflow_job",
        "container-renamed",
        f"{TF}.Worker.template.spec.containers[0].name",
        "equals",
        "tensorflow",
        "common_operator.go:208-221",
    ),
    (
        "tensorflow",
        "tensorflow_job",
        "replica-image",
        f"[{TF}.Worker, {TF}.Chief][*].template.spec.containers[0].image",
        "equals",
        ["ghcr.io/org/tf-worker:1", IMAGE],
        "common_operator.go:266-271: a replica's image replaces the task's",
    ),
    (
        "tensorflow",
        "tensorflow_job",
        "ps-resources",
        f"{TF}.PS.template.spec.containers[0].resources.requests.cpu",
        "equals",
        "1",
        "common_operator.go:336-345",
    ),
    # --- MPI: mpi_job -----------------------------------------------------------------------------------------------
    ("mpi", "mpi_job", "kind", "[apiVersion, kind]", "equals", ["kubeflow.org/v1", "MPIJob"], "mpi.go"),
    (
        "mpi",
        "mpi_job",
        "replicas",
        f"[{MPI}.Launcher.replicas, {MPI}.Worker.replicas]",
        "equals",
        [1, 2],
        "common_operator.go:352-355 (launcher: 1), Worker(replicas=2)",
    ),
    (
        "mpi",
        "mpi_job",
        "slots-ignored",
        "spec.slotsPerWorker",
        "equals",
        1,
        "mpi.go:57: task_type_version 1 never reads slots; flytekit sends slots=2 (kfmpi/task.py get_custom)",
    ),
    (
        "mpi",
        "mpi_job",
        "worker-command-as-args",
        f"{MPI}.Worker.template.spec.containers[0].args",
        "equals",
        ["/usr/sbin/sshd", "-De"],
        "common_operator.go:272-274: a replica's command replaces the container's args",
    ),
    (
        "mpi",
        "mpi_job",
        "launcher-mpirun",
        f"{MPI}.Launcher.template.spec.containers[0].args[0:1]",
        "equals",
        ["mpirun"],
        "kfmpi/task.py get_command: the task's args are the mpirun line; the launcher keeps them",
    ),
    (
        "mpi",
        "mpi_job",
        "container-renamed",
        f"[{MPI}.Launcher, {MPI}.Worker][*].template.spec.containers[0].name",
        "equals",
        ["mpi", "mpi"],
        "common_operator.go:208-221",
    ),
]

# A task FlytePropeller refuses: (plugin, task, text of Flyte's message, why)
REFUSALS = [
    (
        "spark",
        "spark_driver_pod_only",
        "container [primary] not defined",
        (
            "a container task's primary is named after the pod; the driver pod template's primary_container_name (primary, "
            "flytekit's default) replaces it (spark.go:223-225) and GetContainer fails (pod_helper.go:639-645)"
        ),
    ),
]

TASKS_BY_PLUGIN = sorted({(plugin, task) for plugin, task, *_ in FACTS} | {(p, t) for p, t, *_ in REFUSALS})


def _marks(plugin: str) -> list:
    if plugin in PENDING:
        return [pytest.mark.xfail(strict=True, reason=PENDING[plugin])]
    return []


def scenario_of(task: str, module: str = MODULE) -> dict:
    with warnings.catch_warnings():  # flytekit's deprecation warnings (increase_shared_mem)
        warnings.simplefilter("ignore")
        task_section = scenario_from_flytekit(f"{module}:{task}", image=DEFAULT_IMAGE)["task"]
    return {"task": task_section, **json.loads(json.dumps(BASE))}


_RENDERED: dict = {}


def rendered(task: str) -> dict:
    if task not in _RENDERED:
        _RENDERED[task] = engine.evaluate(scenario_of(task), rules="flyte-v1").pod
    return _RENDERED[task]


def check(actual, op: str, expected) -> bool:
    if op == "equals":
        return actual == expected
    if op == "contains":
        return isinstance(actual, list) and expected in actual
    if op == "lacks":
        return isinstance(actual, list) and expected not in actual
    if op == "null":
        return actual is None
    raise AssertionError(f"unknown op {op}")


@pytest.mark.parametrize(
    ("plugin", "task", "fact", "path", "op", "expected", "why"),
    [pytest.param(*fact, id=f"{fact[1]}-{fact[2]}", marks=_marks(fact[0])) for fact in FACTS],
)
def test_fact(plugin, task, fact, path, op, expected, why):
    obj = rendered(task)
    actual = jmespath.search(path, obj)
    assert check(actual, op, expected), (
        f"{task}: {fact} ({why})\n  path {path}\n  {op} {expected!r}\n  actual {actual!r}"
    )


@pytest.mark.parametrize(
    ("plugin", "task", "message", "why"),
    [pytest.param(*refusal, id=refusal[1], marks=_marks(refusal[0])) for refusal in REFUSALS],
)
def test_refusal(plugin, task, message, why):
    with pytest.raises(engine.PodevalError) as raised:
        engine.evaluate(scenario_of(task), rules="flyte-v1")
    assert raised.value.exit_code == 3, why
    assert message in str(raised.value), why


def test_elastic_pytorch_has_no_master():
    pytest.importorskip("torch", reason="flytekit's Elastic task imports torch when it is defined")
    if "pytorch" in PENDING:
        pytest.xfail(PENDING["pytorch"])
    obj = engine.evaluate(scenario_of("pytorch_elastic", "flytekit_plugin_tasks.elastic"), rules="flyte-v1").pod
    # flytekit kfpytorch task.py (Elastic, nnodes=2): worker replicas = max nodes, an elastic config; pytorch.go:138-164
    assert obj["spec"]["pytorchReplicaSpecs"].get("Master") is None
    assert obj["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] == 2
    assert obj["spec"]["elasticPolicy"] == {
        "rdzvBackend": "c10d",
        "minReplicas": 2,
        "maxReplicas": 2,
        "nProcPerNode": 4,
        "maxRestarts": 2,
    }


# --- --task-template: the TaskTemplate flytekit registers renders as --flytekit does ----------------------------------


def _template(task: str):
    """flytekit's TaskTemplate for the task (protobuf), as `pyflyte package` serializes it (get_serializable)."""
    from flytekit.configuration import Image, ImageConfig, SerializationSettings
    from flytekit.tools.translator import get_serializable

    entity = getattr(importlib.import_module(MODULE), task)
    settings = SerializationSettings(
        image_config=ImageConfig.create_from(default_image=Image.look_up_image_info("default", DEFAULT_IMAGE)),
        # the placeholders `pyflyte package` writes for `flytectl register` to fill (no registered id: it would add
        # system labels and env vars that the --flytekit rendering, which has no id either, does not have)
        project="{{ registration.project }}",
        domain="{{ registration.domain }}",
        version="{{ registration.version }}",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return get_serializable(OrderedDict(), settings, entity).template.to_flyte_idl()


def _render(capsys, folder: Path, *args: str) -> tuple[int, str, str]:
    code = main(["render", str(folder / "scenario.yaml"), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("plugin", "task"), [pytest.param(p, t, id=t, marks=_marks(p)) for p, t in TASKS_BY_PLUGIN])
def test_task_template_renders_as_flytekit(plugin, task, tmp_path, capsys):
    from google.protobuf.json_format import MessageToJson

    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(BASE))
    template = _template(task)
    assert template.type == plugin and template.HasField("custom"), "flytekit writes the plugin's type and custom"
    (tmp_path / "template.json").write_text(MessageToJson(template))
    (tmp_path / "template.pb").write_bytes(template.SerializeToString())

    expected = _render(capsys, tmp_path, "--flytekit", f"{MODULE}:{task}", "--image", DEFAULT_IMAGE)
    assert expected[0] in (0, 3), expected[2]
    assert yaml.safe_load(expected[1]) if expected[0] == 0 else "not defined" in expected[2]
    for form in ("template.json", "template.pb"):
        got = _render(capsys, tmp_path, "--task-template", str(tmp_path / form))
        if expected[0] == 0:
            assert got == expected, form
        else:  # a refusal: the same message, located in the template file where there is one (the JSON form)
            assert got[:2] == expected[:2], form
            assert re.sub(rf"{re.escape(str(tmp_path / form))}:\d+:\d+: ", "", got[2]) == expected[2], form
