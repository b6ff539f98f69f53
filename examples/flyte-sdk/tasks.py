"""flyte-sdk (Flyte 2) tasks, as they are in a project's code: `podeval render --flyte-sdk` serializes them with
flyte-sdk itself (pip install 'podeval[flyte-sdk]') and renders them with the flyte-v2 pack
(docs/migrating-to-flyte-2.md)."""

import flyte
from kubernetes.client import V1Container, V1EnvVar, V1PodSpec, V1Toleration

# The environment's pod template: every task of `training` gets it, unless a task sets its own.
training = flyte.TaskEnvironment(
    name="training",
    image="ghcr.io/acme/train:2.0",
    resources=flyte.Resources(cpu="4", memory="16Gi", gpu=flyte.GPU("A100", 1)),
    env_vars={"LOG_LEVEL": "info"},
    pod_template=flyte.PodTemplate(
        pod_spec=V1PodSpec(
            containers=[V1Container(name="primary", env=[V1EnvVar(name="LOG_LEVEL", value="debug")])],
            tolerations=[V1Toleration(key="team", operator="Equal", value="ml", effect="NoSchedule")],
        ),
        labels={"team": "ml"},
    ),
)


@training.task
async def train(epochs: int) -> float:
    return float(epochs)


tpus = flyte.TaskEnvironment(
    name="tpus", image="ghcr.io/acme/jax:1.0", resources=flyte.Resources(cpu="8", gpu=flyte.TPU("V5P", "2x2x1"))
)


@tpus.task
async def train_on_tpu(epochs: int) -> float:
    return float(epochs)
