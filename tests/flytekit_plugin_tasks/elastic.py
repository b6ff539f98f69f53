"""An elastic PyTorch task (flytekitplugins-kfpytorch's `Elastic`), apart from tests/flytekit_plugin_tasks/tasks.py:
flytekit's PytorchElasticFunctionTask imports torch when the task is defined (`torch.distributed.run`), and torch is
not part of the `podeval[flytekit-plugins]` extra. The test imports this module only when torch is installed.
"""

from __future__ import annotations

from flytekit import task
from flytekitplugins.kfpytorch import Elastic

IMAGE = "ghcr.io/org/trainer:1"


# Elastic PyTorch on 2 nodes: a PyTorchJob with an elastic policy and no master.
@task(container_image=IMAGE, task_config=Elastic(nnodes=2, nproc_per_node=4, max_restarts=2))
def pytorch_elastic(n: int) -> int:
    return n
