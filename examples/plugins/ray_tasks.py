# A Ray task as flytekit 1.16 + flytekitplugins-ray write it; examples/plugins/ray-task.json is its TaskTemplate
# (flytekit.tools.translator.get_serializable, then MessageToJson), rendered by the README's
# `podeval render --task-template examples/plugins/ray-task.json`.
from flytekit import PodTemplate, Resources, task
from flytekitplugins.ray import HeadNodeConfig, RayJobConfig, WorkerNodeConfig
from kubernetes.client import V1Container, V1PodSpec, V1ResourceRequirements

ray_config = RayJobConfig(
    head_node_config=HeadNodeConfig(ray_start_params={"num-cpus": "0"}, requests=Resources(cpu="2", mem="4Gi")),
    worker_node_config=[
        WorkerNodeConfig(
            group_name="gpu",
            replicas=2,
            min_replicas=1,
            max_replicas=4,
            pod_template=PodTemplate(
                primary_container_name="ray-worker",
                pod_spec=V1PodSpec(
                    containers=[
                        V1Container(
                            name="ray-worker",
                            resources=V1ResourceRequirements(
                                requests={"nvidia.com/gpu": "1"}, limits={"nvidia.com/gpu": "1"}
                            ),
                        )
                    ],
                    node_selector={"cloud.google.com/gke-accelerator": "nvidia-tesla-t4"},
                ),
            ),
        )
    ],
    shutdown_after_job_finishes=True,
    ttl_seconds_after_finished=300,
)


@task(task_config=ray_config, requests=Resources(cpu="2", mem="4Gi"), container_image="ghcr.io/example/ray:2.9")
def train(n: int) -> int:
    return n
