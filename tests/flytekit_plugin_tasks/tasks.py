"""Real flytekit plugin tasks (flytekitplugins-ray, -spark, -dask, -kfpytorch, -kftensorflow, -kfmpi), one per
thing a user configures on a plugin: role pod templates, role resources, accelerators, interruptible, replicas.

tests/test_flytekit_plugins_differential.py serializes each with flytekit (`--flytekit module:task`, and as the
TaskTemplate `pyflyte package` writes for `--task-template`), renders it with podeval and asserts the facts that follow
from the task, each read from flytekit's plugin code and FlytePropeller's plugin code at 89cf9cc (the test cites
both). The plugins are the `podeval[flytekit-plugins]` extra; this module imports them at module level, so the test
imports it only after checking they are installed.
"""

from __future__ import annotations

from flytekit import PodTemplate, Resources, task
from flytekit.extras.accelerators import T4
from flytekitplugins.dask import Dask, Scheduler, WorkerGroup
from flytekitplugins.kfmpi import Launcher, MPIJob
from flytekitplugins.kfmpi import Worker as MPIWorker
from flytekitplugins.kfpytorch import CleanPodPolicy, PyTorch, RunPolicy
from flytekitplugins.kfpytorch import Worker as PyTorchWorker
from flytekitplugins.kftensorflow import PS, Chief, TfJob
from flytekitplugins.kftensorflow import Worker as TFWorker
from flytekitplugins.ray import HeadNodeConfig, RayJobConfig, WorkerNodeConfig
from flytekitplugins.spark import Spark
from kubernetes.client import (
    V1Affinity,
    V1Container,
    V1EnvVar,
    V1NodeAffinity,
    V1NodeSelector,
    V1NodeSelectorRequirement,
    V1NodeSelectorTerm,
    V1PodSpec,
    V1ResourceRequirements,
    V1Toleration,
)

IMAGE = "ghcr.io/org/trainer:1"
GPU_TOLERATION = V1Toleration(key="nvidia.com/gpu", operator="Exists", effect="NoSchedule")


def _gpu_affinity(pool: str) -> V1Affinity:
    requirement = V1NodeSelectorRequirement(key="node-pool", operator="In", values=[pool])
    return V1Affinity(
        node_affinity=V1NodeAffinity(
            required_during_scheduling_ignored_during_execution=V1NodeSelector(
                node_selector_terms=[V1NodeSelectorTerm(match_expressions=[requirement])]
            )
        )
    )


# --- Ray ------------------------------------------------------------------------------------------------------------


# Role resources the flytekit way (HeadNodeConfig/WorkerNodeConfig requests=): flytekit writes a role pod template
# whose only container is named ray-head / ray-worker; interruptible; the task's own resources.
@task(
    container_image=IMAGE,
    requests=Resources(cpu="1", mem="2Gi"),
    interruptible=True,
    task_config=RayJobConfig(
        head_node_config=HeadNodeConfig(ray_start_params={"num-cpus": "0"}, requests=Resources(cpu="2", mem="4Gi")),
        worker_node_config=[
            WorkerNodeConfig(
                group_name="gpu",
                replicas=2,
                min_replicas=1,
                max_replicas=4,
                requests=Resources(cpu="4", mem="16Gi", gpu="1"),
            )
        ],
        shutdown_after_job_finishes=True,
        ttl_seconds_after_finished=300,
    ),
)
def ray_role_resources(n: int) -> int:
    return n


# Role pod templates written by hand: the head's names its container ray-head (it matches the renamed primary); the
# worker's keeps flytekit's default name `primary`, which matches nothing after the rename (flyte#6396's shape).
@task(
    container_image=IMAGE,
    requests=Resources(cpu="1", mem="2Gi"),
    task_config=RayJobConfig(
        head_node_config=HeadNodeConfig(
            pod_template=PodTemplate(
                primary_container_name="ray-head",
                labels={"role": "head"},
                pod_spec=V1PodSpec(
                    containers=[V1Container(name="ray-head", env=[V1EnvVar(name="HEAD_ONLY", value="1")])],
                    tolerations=[GPU_TOLERATION],
                    runtime_class_name="nvidia",
                    affinity=_gpu_affinity("head"),
                ),
            )
        ),
        worker_node_config=[
            WorkerNodeConfig(
                group_name="workers",
                replicas=3,
                pod_template=PodTemplate(
                    pod_spec=V1PodSpec(
                        containers=[
                            V1Container(
                                name="primary",
                                resources=V1ResourceRequirements(
                                    requests={"nvidia.com/gpu": "1"}, limits={"nvidia.com/gpu": "1"}
                                ),
                            )
                        ],
                        node_selector={"cloud.google.com/gke-accelerator": "nvidia-l4"},
                        tolerations=[GPU_TOLERATION],
                    )
                ),
            )
        ],
    ),
)
def ray_role_pod_templates(n: int) -> int:
    return n


# A task-level pod template on a Ray task (the K8sPod target): it shapes the head, every worker and the submitter.
@task(
    container_image=IMAGE,
    pod_template=PodTemplate(
        primary_container_name="primary",
        pod_spec=V1PodSpec(containers=[V1Container(name="primary")], node_selector={"team": "ml"}),
    ),
    task_config=RayJobConfig(worker_node_config=[WorkerNodeConfig(group_name="cpu", replicas=1)]),
)
def ray_task_pod_template(n: int) -> int:
    return n


# --- Spark ----------------------------------------------------------------------------------------------------------

SPARK_CONF = {
    "spark.driver.cores": "1",
    "spark.driver.memory": "2g",
    "spark.executor.cores": "2",
    "spark.executor.memory": "4g",
    "spark.executor.instances": "3",
}


# Driver and executor pod templates with a task-level pod template (whose primary is `primary`, the name the role
# templates keep): interruptible, executor resources in its pod template.
@task(
    container_image=IMAGE,
    interruptible=True,
    pod_template=PodTemplate(
        primary_container_name="primary", pod_spec=V1PodSpec(containers=[V1Container(name="primary")])
    ),
    task_config=Spark(
        spark_conf=SPARK_CONF,
        driver_pod=PodTemplate(
            pod_spec=V1PodSpec(containers=[V1Container(name="primary")], node_selector={"pool": "driver"})
        ),
        executor_pod=PodTemplate(
            pod_spec=V1PodSpec(
                containers=[
                    V1Container(
                        name="primary",
                        resources=V1ResourceRequirements(requests={"cpu": "7"}, limits={"cpu": "7"}),
                        env=[V1EnvVar(name="EXECUTOR_ONLY", value="1")],
                    )
                ],
                node_selector={"pool": "executor"},
                tolerations=[V1Toleration(key="spark", operator="Exists", effect="NoSchedule")],
            )
        ),
    ),
)
def spark_role_pods(n: int) -> int:
    return n


# A driver pod template without a task-level pod template (flyte PR #6363's shape).
@task(
    container_image=IMAGE,
    task_config=Spark(
        spark_conf=SPARK_CONF,
        driver_pod=PodTemplate(
            pod_spec=V1PodSpec(containers=[V1Container(name="primary")], node_selector={"pool": "driver"})
        ),
    ),
)
def spark_driver_pod_only(n: int) -> int:
    return n


# --- Dask -----------------------------------------------------------------------------------------------------------


@task(
    container_image=IMAGE,
    interruptible=True,
    requests=Resources(cpu="1", mem="1Gi"),
    task_config=Dask(
        scheduler=Scheduler(requests=Resources(cpu="1", mem="2Gi"), limits=Resources(cpu="1", mem="2Gi")),
        workers=WorkerGroup(
            number_of_workers=4,
            image="ghcr.io/org/dask-worker:1",
            requests=Resources(cpu="2", mem="8Gi"),
            limits=Resources(cpu="2", mem="8Gi"),
        ),
    ),
)
def dask_cluster(n: int) -> int:
    return n


# --- Kubeflow: PyTorch, TensorFlow, MPI -----------------------------------------------------------------------------


# PyTorch with worker resources and a run policy; the task's own resources and a T4; interruptible.
# increase_shared_mem (default True) adds the pod template the user never wrote (an shm volume on `primary`).
@task(
    container_image=IMAGE,
    interruptible=True,
    requests=Resources(cpu="2", mem="8Gi"),
    accelerator=T4,
    task_config=PyTorch(
        worker=PyTorchWorker(
            replicas=2, requests=Resources(cpu="4", mem="16Gi", gpu="1"), limits=Resources(cpu="4", mem="16Gi", gpu="1")
        ),
        run_policy=RunPolicy(clean_pod_policy=CleanPodPolicy.ALL, backoff_limit=3),
    ),
)
def pytorch_job(n: int) -> int:
    return n


@task(
    container_image=IMAGE,
    task_config=TfJob(
        chief=Chief(replicas=1),
        ps=PS(replicas=1, requests=Resources(cpu="1"), limits=Resources(cpu="1")),
        worker=TFWorker(replicas=2, image="ghcr.io/org/tf-worker:1"),
    ),
)
def tensorflow_job(n: int) -> int:
    return n


@task(
    container_image=IMAGE,
    task_config=MPIJob(
        launcher=Launcher(replicas=1),
        worker=MPIWorker(replicas=2, command=["/usr/sbin/sshd", "-De"]),
        slots=2,
    ),
)
def mpi_job(n: int) -> int:
    return n
