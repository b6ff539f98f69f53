"""flyte-sdk (Flyte 2) tasks for tests/test_flyte_sdk_differential.py: pod templates at the TaskEnvironment level,
the task level and through `task.override`, resources, and accelerators of each device class."""

import flyte
from kubernetes.client import V1Container, V1EnvVar, V1PodSpec, V1ResourceRequirements, V1Toleration

# -- pod templates at three levels --------------------------------------------------------------------------------

ENV_TEMPLATE = flyte.PodTemplate(
    pod_spec=V1PodSpec(
        containers=[
            V1Container(
                name="primary",
                image="ghcr.io/acme/template:1",
                command=["template-command"],
                env=[V1EnvVar(name="MODE", value="template"), V1EnvVar(name="FROM_TEMPLATE", value="env")],
                resources=V1ResourceRequirements(
                    requests={"cpu": "500m", "smarter-devices/fuse": "1"}, limits={"smarter-devices/fuse": "1"}
                ),
            ),
            V1Container(name="sidecar", image="ghcr.io/acme/sidecar:1"),
        ],
        tolerations=[V1Toleration(key="level", operator="Equal", value="env", effect="NoSchedule")],
        node_selector={"pool": "env"},
    ),
    labels={"level": "env", "env-only": "yes"},
    annotations={"team": "ml"},
)

TASK_TEMPLATE = flyte.PodTemplate(
    primary_container_name="main",
    pod_spec=V1PodSpec(
        containers=[V1Container(name="main", env=[V1EnvVar(name="FROM_TEMPLATE", value="task")])],
        node_selector={"pool": "task"},
    ),
    labels={"level": "task"},
)

OVERRIDE_TEMPLATE = flyte.PodTemplate(
    pod_spec=V1PodSpec(containers=[V1Container(name="primary")], node_selector={"pool": "override"}),
    labels={"level": "override"},
)

env = flyte.TaskEnvironment(
    name="templates",
    image="ghcr.io/acme/app:1",
    resources=flyte.Resources(cpu="1", memory="2Gi"),
    env_vars={"MODE": "task"},
    pod_template=ENV_TEMPLATE,
)


@env.task
async def env_level(x: int) -> int:
    return x


@env.task(pod_template=TASK_TEMPLATE)
async def task_level(x: int) -> int:
    return x


@env.task(pod_template="gpu-workers")
async def named_template(x: int) -> int:
    return x


overridden = env_level.override(pod_template=OVERRIDE_TEMPLATE, resources=flyte.Resources(memory="8Gi"))
named_override = task_level.override(pod_template="big-nodes")

# -- no resources on the task: the template's stay as they are ----------------------------------------------------

bare = flyte.TaskEnvironment(name="bare", image="ghcr.io/acme/bare:1", pod_template=ENV_TEMPLATE)


@bare.task
async def template_resources(x: int) -> int:
    return x


labels_only = flyte.TaskEnvironment(
    name="labels_only", image="ghcr.io/acme/bare:1", pod_template=flyte.PodTemplate(labels={"queue": "batch"})
)


@labels_only.task
async def labels_template(x: int) -> int:
    return x


# -- accelerators and device classes (resources are set on the environment or through task.override) --------------


def _env(name: str, gpu: object, **resources: str) -> flyte.TaskEnvironment:
    return flyte.TaskEnvironment(name=name, image="ghcr.io/acme/gpu:1", resources=flyte.Resources(gpu=gpu, **resources))


@_env("a100", flyte.GPU("A100", 1), cpu="4").task
async def a100(x: int) -> int:
    return x


@_env("h100_string", "H100:2").task
async def h100_string(x: int) -> int:
    return x


@_env("a100_mig", flyte.GPU("A100", 1, partition="1g.5gb")).task
async def a100_mig(x: int) -> int:
    return x


@_env("tpu", flyte.TPU("V5P", "2x2x1")).task
async def tpu(x: int) -> int:
    return x


@_env("neuron", flyte.Neuron("Inf2")).task
async def neuron(x: int) -> int:
    return x


@_env("amd", flyte.AMD_GPU("MI300X")).task
async def amd(x: int) -> int:
    return x


@_env("gaudi", flyte.HABANA_GAUDI("Gaudi1")).task
async def gaudi(x: int) -> int:
    return x


@_env("any_gpu", 1).task
async def any_gpu(x: int) -> int:
    return x


@_env("tpu_with_template", flyte.TPU("V5E", "2x2")).task(pod_template=TASK_TEMPLATE)
async def tpu_with_template(x: int) -> int:
    return x


gpu_override = env_level.override(resources=flyte.Resources(cpu="2", gpu=flyte.GPU("T4", 1)))

not_a_task = 42
