"""Map tasks through the pod plugin: subnode N of an ArrayNode (the default map task of Flyte v1.16).

FlytePropeller's ArrayNode handler runs each subtask as a node of its own through the regular task handler, so the
pod plugin builds its Pod; what differs from a plain task node is the context it builds for the subnode
(flytepropeller/pkg/controller/nodes/array at flyteorg/flyte 89cf9cc):

* handler.go ``buildArrayNodeContext``: the subnode is a copy of the array node's sub node spec (its TaskNode
  overrides included) with the id ``n<index>`` (the ``node-id`` label), run under the parent info of the array node
  (CreateParentInfo): its unique id, and so the task's generated name (the Pod's name and a container target's
  container name), is ``[execution, <array node>-<attempt>-n<index>, <subnode attempt>]`` (generated_names.py);
  FLYTE_ATTEMPT_NUMBER is the subnode's attempt (GetTaskExecutionIdentifier: nCtx.CurrentAttempt());
* execution_context.go ``newArrayExecutionContext``: the execution config's environment variables get
  ``BATCH_JOB_ARRAY_INDEX_VAR_NAME=FLYTE_K8S_ARRAY_INDEX`` and ``FLYTE_K8S_ARRAY_INDEX=<index>`` (the same Go map
  as the execution's env vars, which DecorateEnvVars appends to every container).

The pack's ``array-node`` step computes these once (the variable ``arrayNode``); the rules that read the pod name,
the node id, the attempt and the env vars read it where it is set.
"""

from __future__ import annotations

from ..pack.generated_names import array_node_subtask_name
from ..pack.transform_api import Context, transform

#: flytepropeller nodes/array/execution_context.go (and flytekit's map task entrypoint, which reads them)
ARRAY_INDEX_VAR = "FLYTE_K8S_ARRAY_INDEX"
JOB_INDEX_VAR = "BATCH_JOB_ARRAY_INDEX_VAR_NAME"


@transform(
    "array-node-subnode",
    sets=("arrayNode",),
    index="expression",
    attempt="expression",
    execution_id="expression",
    node_id="expression",
    node_attempt="expression",
    env="expression",
    required=("index",),
)
def array_node_subnode(ctx: Context) -> None:
    """What FlytePropeller's ArrayNode handler changes for subnode ``index``: the variable ``arrayNode`` with
    ``nodeId`` (``n<index>``), ``attempt`` (the subnode's), ``podName`` (its generated name: needs the execution's
    name and the array node's id; without them the scenario's podName stays, with a warning), ``env`` (the two
    array variables) and ``executionEnv`` (the execution's env vars without the names the array variables
    replace)."""
    index = ctx.param("index")
    if index is None:
        return
    attempt = ctx.param("attempt") or 0
    execution_name = (ctx.param("execution_id") or {}).get("name")
    array_node_id = ctx.param("node_id")
    env = {JOB_INDEX_VAR: ARRAY_INDEX_VAR, ARRAY_INDEX_VAR: str(index)}
    pod_name = None
    if execution_name and array_node_id:
        pod_name = array_node_subtask_name(
            execution_name, array_node_id, ctx.param("node_attempt") or 0, index, attempt
        )
    else:
        ctx.warn(
            ("execution", "podName"),
            note="an ArrayNode subtask's generated name is derived from execution.id.name and execution.nodeId (the "
            "map node's id); without them metadata.name is execution.podName as given",
        )
    ctx.set_var(
        "arrayNode",
        {
            "index": index,
            "nodeId": f"n{index}",
            "attempt": attempt,
            "podName": pod_name,
            "env": env,
            "executionEnv": {k: v for k, v in (ctx.param("env") or {}).items() if k not in env},
        },
    )
