"""Real flytekit tasks for the registered-task test (tests/test_task_template.py): each is rendered from the
TaskTemplate flytekit registers for it (`pyflyte package`, its .pb files and their JSON) and through
`--flytekit module:task`, and both must give the same Pod and the same trace.

They cover what a TaskTemplate carries beside the pod spec: resources on the container target, accelerators and
shared memory (extended resources), interruptible, pod_template_name, task labels and annotations, container tasks
with and without a pod template. tests/flytekit_tasks/tasks.py has the pod-template tasks (also in the test set).
"""

from __future__ import annotations

from flytekit import ContainerTask, PodTemplate, Resources, kwtypes, task
from flytekit.extras.accelerators import A100, T4
from kubernetes.client import V1Container, V1PodSpec, V1Toleration

IMAGE = "ghcr.io/org/app:1"


# Resources on the container target (no pod template): requests and limits, a GPU, ephemeral storage.
@task(
    container_image=IMAGE,
    requests=Resources(cpu="1", mem="2Gi", gpu="1"),
    limits=Resources(cpu="2", mem="4Gi", gpu="1", ephemeral_storage="10Gi"),
    environment={"MODE": "train"},
)
def resources_only(x: int) -> int:
    return x


# An accelerator (a device, no partition) and the shared memory volume of the default size.
@task(container_image=IMAGE, accelerator=T4, shared_memory=True, requests=Resources(gpu="1"))
def t4_with_shared_memory(x: int) -> int:
    return x


# A partitioned accelerator and shared memory of a given size, with a pod template.
@task(
    container_image=IMAGE,
    accelerator=A100.partition_1g_5gb,
    shared_memory="2Gi",
    limits=Resources(gpu="1"),
    pod_template=PodTemplate(
        pod_spec=V1PodSpec(containers=[], tolerations=[V1Toleration(key="gpu", operator="Exists")])
    ),
)
def a100_partition(x: int) -> int:
    return x


# interruptible, task labels and annotations, a runtime PodTemplate by name, on the container target.
@task(
    container_image=IMAGE,
    interruptible=True,
    labels={"team": "ml"},
    annotations={"example.com/owner": "ml-platform"},
    pod_template_name="gpu-template",
)
def interruptible_with_metadata(x: int) -> int:
    return x


# A pod template and a runtime PodTemplate name together.
@task(
    container_image=IMAGE,
    pod_template_name="base-template",
    pod_template=PodTemplate(
        primary_container_name="main",
        pod_spec=V1PodSpec(containers=[V1Container(name="main", image="ghcr.io/org/main:2")], node_selector={"a": "b"}),
    ),
)
def pod_template_and_name(x: int) -> int:
    return x


# A raw container task without a pod template: the container target with its own command and resources.
plain_container_task = ContainerTask(
    name="plain_container_task",
    image="ghcr.io/org/tool:3",
    command=["tool", "run", "--x", "{{.inputs.x}}"],
    inputs=kwtypes(x=int),
    environment={"MODE": "batch"},
    requests=Resources(cpu="500m", mem="1Gi"),
    limits=Resources(mem="2Gi"),
)
