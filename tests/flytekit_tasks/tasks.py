"""Real flytekit tasks, one per compile-time behaviour that `engine.serialize_pod_template` must reproduce.

tests/test_flytekit_differential.py writes each of them again by hand as a podeval scenario and checks that
podeval's serialization equals what flytekit produces from these objects. Keep the two in step: a change here
needs the same change in the test's hand-written `podTemplate` / `container`.
"""

from __future__ import annotations

from flytekit import ContainerTask, PodTemplate, Resources, kwtypes, task
from kubernetes.client import (
    V1Container,
    V1EnvVar,
    V1EnvVarSource,
    V1ObjectFieldSelector,
    V1PodSpec,
    V1ResourceRequirements,
    V1Toleration,
    V1Volume,
    V1VolumeMount,
)

IMAGE = "ghcr.io/org/app:1"


# A primary with env and a volume mount, a sidecar with an image, a sidecar without one (gets the default image),
# init containers (one without an image: left alone), pod-level fields that pass through.
@task(
    container_image=IMAGE,
    environment={"TASK_ENV": "t"},
    pod_template=PodTemplate(
        primary_container_name="primary",
        pod_spec=V1PodSpec(
            containers=[
                V1Container(
                    name="primary",
                    env=[V1EnvVar(name="TEMPLATE_ENV", value="p")],
                    volume_mounts=[V1VolumeMount(name="scratch", mount_path="/scratch")],
                ),
                V1Container(name="proxy", image="envoyproxy/envoy:v1.30", args=["--config", "/etc/envoy.yaml"]),
                V1Container(name="log-shipper"),
            ],
            init_containers=[
                V1Container(name="fetch", image="busybox:1.36", command=["sh", "-c", "echo hi"]),
                V1Container(name="no-image-init"),
            ],
            volumes=[V1Volume(name="scratch", empty_dir={})],
            node_selector={"pool": "cpu"},
            tolerations=[V1Toleration(key="dedicated", operator="Equal", value="ml", effect="NoSchedule")],
        ),
    ),
)
def sidecars_and_init(x: int) -> int:
    return x


# Only a named runtime PodTemplate: the task keeps its container target, no k8s_pod, no config.
@task(container_image=IMAGE, pod_template_name="gpu-template")
def pod_template_name_only(x: int) -> int:
    return x


# Task resources replace the template primary's whole resources block (template limits and claims are dropped);
# names are sanitized (gpu, not nvidia.com/gpu; ephemeral-storage).
@task(
    container_image=IMAGE,
    requests=Resources(cpu="1", mem="2Gi", gpu="1"),
    limits=Resources(cpu="2", mem="4Gi", gpu="1", ephemeral_storage="10Gi"),
    pod_template=PodTemplate(
        pod_spec=V1PodSpec(
            containers=[
                V1Container(
                    name="primary",
                    resources=V1ResourceRequirements(limits={"cpu": "999", "nvidia.com/gpu": "8"}),
                )
            ]
        )
    ),
)
def resources_with_gpu(x: int) -> int:
    return x


# Template resources survive when the task has none.
@task(
    container_image=IMAGE,
    pod_template=PodTemplate(
        pod_spec=V1PodSpec(
            containers=[V1Container(name="primary", resources=V1ResourceRequirements(requests={"memory": "1Gi"}))]
        )
    ),
)
def template_resources_kept(x: int) -> int:
    return x


# Env: settings env, then task env (a task key overrides the settings value in place), then template env,
# duplicates kept; valueFrom entries pass through.
@task(
    container_image=IMAGE,
    environment={"SETTINGS_ENV": "from-task", "TASK_ONLY": "1"},
    pod_template=PodTemplate(
        pod_spec=V1PodSpec(
            containers=[
                V1Container(
                    name="primary",
                    env=[
                        V1EnvVar(name="TASK_ONLY", value="from-template"),
                        V1EnvVar(
                            name="POD_IP",
                            value_from=V1EnvVarSource(field_ref=V1ObjectFieldSelector(field_path="status.podIP")),
                        ),
                    ],
                )
            ]
        )
    ),
)
def environment(x: int) -> int:
    return x


# Template labels and annotations; a primary named `main` that the template does not define (appended last);
# a template image on a sidecar.
@task(
    container_image=IMAGE,
    pod_template=PodTemplate(
        primary_container_name="main",
        labels={"team": "ml", "cost-center": "42"},
        annotations={"example.com/owner": "ml-platform"},
        pod_spec=V1PodSpec(containers=[V1Container(name="sidecar", image="redis:7")], service_account_name="runner"),
    ),
)
def pod_template_metadata(x: int) -> int:
    return x


# A template image on the primary beats container_image.
@task(
    container_image=IMAGE,
    pod_template=PodTemplate(pod_spec=V1PodSpec(containers=[V1Container(name="primary", image="ghcr.io/org/gpu:2")])),
)
def template_image_wins(x: int) -> int:
    return x


# @task labels and annotations go to TaskMetadata's k8s object metadata, not into the pod template.
@task(
    container_image=IMAGE,
    labels={"task-label": "a"},
    annotations={"task-annotation": "b"},
    pod_template=PodTemplate(labels={"template-label": "c"}, pod_spec=V1PodSpec(containers=[])),
)
def task_labels_and_annotations(x: int) -> int:
    return x


# A ContainerTask (raw-container) with a pod template: its image, command and arguments become the primary's.
container_task_with_pod_template = ContainerTask(
    name="container_task_with_pod_template",
    image="ghcr.io/org/tool:3",
    command=["tool", "run"],
    arguments=["--input", "/var/inputs/x"],
    inputs=kwtypes(x=int),
    environment={"MODE": "batch"},
    requests=Resources(cpu="500m"),
    pod_template=PodTemplate(
        pod_spec=V1PodSpec(
            containers=[],
            runtime_class_name="gvisor",
            tolerations=[V1Toleration(key="sandbox", operator="Exists")],
        )
    ),
    pod_template_name="base-template",
)
