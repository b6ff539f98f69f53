"""The Kubeflow plugins' steps that a layer cannot say (flyteplugins/go/tasks/plugins/k8s/kfoperators at
flyteorg/flyte 89cf9cc: ``common/common_operator.go`` and the ``pytorch``, ``tensorflow`` and ``mpi`` handlers).
``rules/flyte-v1/plugins/{pytorch,tensorflow,mpi}.yaml`` say where each one runs.

The JMESPath functions read a replica spec of ``task.custom`` (flyteidl ``plugins.kubeflow.Distributed*ReplicaSpec``
in its JSON mapping) as ``ToReplicaSpecWithOverrides`` does; the transforms reshape a replica's pod or the job.
"""

from __future__ import annotations

from typing import Any

from ..errors import FlyteBuildError
from ..k8s import paths as _paths
from ..k8s import quantity
from ..k8s.tree import Node, plain, wrap
from ..pack.expressions import function
from ..pack.transform_api import Context, transform
from .plugins import to_k8s_resources

#: flyteidl plugins.RestartPolicy -> kubeflow RestartPolicy (ParseRestartPolicy, common_operator.go:254-262); an enum
#: is written by name, or by number by a hand-written custom (jsonpb reads both)
_RESTART_POLICIES = {
    "RESTART_POLICY_NEVER": "Never",
    0: "Never",
    "RESTART_POLICY_ON_FAILURE": "OnFailure",
    1: "OnFailure",
    "RESTART_POLICY_ALWAYS": "Always",
    2: "Always",
}
#: flyteidl plugins.kubeflow.CleanPodPolicy -> kubeflow CleanPodPolicy (ParseCleanPodPolicy, :245-252)
_CLEAN_POD_POLICIES = {
    "CLEANPOD_POLICY_NONE": "None",
    0: "None",
    "CLEANPOD_POLICY_RUNNING": "Running",
    1: "Running",
    "CLEANPOD_POLICY_ALL": "All",
    2: "All",
}


def _enum(table: dict, value: Any) -> str:
    key = int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    # an enum value outside the table: Go's map lookup gives the zero value, ""
    return table.get(key if key is not None else 0, "")


@function("kubeflow_replica", ("object", "null"))
def kubeflow_replica(spec: dict | None) -> dict:
    """The fields ToReplicaSpecWithOverrides reads from a version 1 replica spec (common_operator.go:321-334): its
    ``common`` when that is set (even empty), else the deprecated fields beside it; ``{}`` for no spec."""
    spec = spec or {}
    common = spec.get("common")
    return common if isinstance(common, dict) else spec


@function("kubeflow_restart_policy", ("string", "number", "null"))
def kubeflow_restart_policy(value: Any) -> str:
    return _enum(_RESTART_POLICIES, value)


@function("kubeflow_clean_pod_policy", ("string", "number", "null"))
def kubeflow_clean_pod_policy(value: Any) -> str:
    return _enum(_CLEAN_POD_POLICIES, value)


@function("kubeflow_replica_resources", ("object", "null"), ("object", "null"), ("object", "null"))
def kubeflow_replica_resources(spec: dict | None, platform: dict | None, config: dict | None) -> dict | None:
    """What a version 1 replica's resources make of the execution's resource overrides (common_operator.go:336-345):
    None when the replica gives no request and no limit (the overrides stay); else the resources converted
    (ToK8sResourceRequirements: zero quantities dropped, ``GPU`` -> nvidia.com/gpu) and completed with the platform's
    defaults (ApplyK8sResourceOverrides: ApplyResourceOverrides with assignIfUnset), which then **replace** the
    execution's overrides for this replica (WithResources)."""
    resources = kubeflow_replica(spec).get("resources") or {}
    if not (resources.get("requests") or resources.get("limits")):
        return None
    try:
        converted = to_k8s_resources(resources)
    except quantity.QuantityError as exc:
        raise FlyteBuildError(
            "kubeflow_invalid_replica_resources",
            f"[BadTaskSpecification] invalid TaskSpecification on Resources [{resources}], Err: "
            f"[Failed to parse resource as a valid quantity.: {exc}]",
            path="task.custom",
        ) from exc
    return _assign_if_unset(converted, platform or {}, config or {})


def _assign_if_unset(resources: dict, platform: dict, config: dict) -> dict:
    """ApplyResourceOverrides(resources, platform, assignIfUnset=true) (flytek8s/container_helper.go): cpu and memory
    always, ephemeral storage and the GPU when named; a missing request is the limit, else the platform's request
    (default-cpus / default-memory when the platform has none); a missing limit is the request; both clamped to the
    platform limit and the request to the limit."""
    requests = dict(resources.get("requests") or {})
    limits = dict(resources.get("limits") or {})
    platform_requests = dict(platform.get("requests") or {})
    platform_limits = platform.get("limits") or {}
    platform_requests.setdefault("cpu", config.get("default-cpus") or "0")
    platform_requests.setdefault("memory", config.get("default-memory") or "0")
    names = ["cpu", "memory"]
    gpu_name = config.get("gpu-resource-name") or "nvidia.com/gpu"
    for extra in ("ephemeral-storage", gpu_name):
        if extra in requests or extra in limits:
            names.append(extra)
    for name in names:
        request, limit = requests.get(name), limits.get(name)
        if _zero(request):
            request = limit if not _zero(limit) else platform_requests.get(name, "0")
        if _zero(limit):
            limit = request
        ceiling = platform_limits.get(name)
        if not _zero(ceiling):
            request = ceiling if not _zero(request) and _greater(request, ceiling) else request
            limit = ceiling if not _zero(limit) and _greater(limit, ceiling) else limit
        if not _zero(request) and not _zero(limit) and _greater(request, limit):
            request = limit
        requests[name], limits[name] = str(request), str(limit)
    return {"requests": requests, "limits": limits}


def _zero(value: Any) -> bool:
    if value is None:
        return True
    try:
        return quantity.value_of(str(value)) == 0
    except quantity.QuantityError:
        return True


def _greater(one: Any, other: Any) -> bool:
    return quantity.greater(str(one), str(other))


# ---------------------------------------------------------------------------------------------------------------
# transforms


@transform("kubeflow-worker-env", writes=("spec.containers",), aggregation="expression")
def kubeflow_worker_env(ctx: Context) -> None:
    """pytorch.go:112-132: the Worker's ``containers[0]`` -- by index, whichever container that is -- gets
    ``_F_WN`` (the pod's name, FlyteInternalWorkerNameEnvVarKey) and, with the K8s plugin's
    enable-distributed-error-aggregation, ``_F_DES=Earliest`` (FlyteInternalDistErrorStrategyEnvVarKey)."""
    env = [{"name": "_F_WN", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    if ctx.param("aggregation"):
        env.append({"name": "_F_DES", "value": "Earliest"})
    containers = ctx.get(("spec", "containers"))
    if containers is None or not isinstance(containers.value, list) or not containers.value:
        return
    items = list(containers.value)
    first = items[0]
    children = dict(first.value)
    current = list(children["env"].value) if "env" in children and isinstance(children["env"].value, list) else []
    name = children["name"].value if "name" in children else 0
    for item in env:
        current.append(wrap(item, ctx.source, ctx.rule))
        ctx.emit("append", ("spec", "containers", _key(name), "env", _key(item["name"])), value=item)
    children["env"] = ctx.node(current)
    items[0] = Node(children, first.source, first.rule)
    ctx.set(("spec", "containers"), Node(items, containers.source, containers.rule))


def _key(name: Any) -> Any:
    return _paths.Key("name", str(name)) if isinstance(name, str) else name


@transform("mpi-worker-spec-command", writes=("spec.containers",), command="expression")
def mpi_worker_spec_command(ctx: Context) -> None:
    """mpi.go:86-98 (version 0): every container named ``mpi`` of the Worker gets args = the template config's
    ``worker_spec_command`` split on single spaces (an empty list without the key) and command ``[]``. An empty list
    is not written in the object's JSON (omitempty): the task's args and command are gone."""
    command = ctx.param("command")
    args = str(command).split(" ") if command is not None else []
    containers = ctx.get(("spec", "containers"))
    if containers is None or not isinstance(containers.value, list):
        return
    items = list(containers.value)
    for index, item in enumerate(items):
        if not isinstance(item.value, dict) or plain(item.value.get("name")) != "mpi":
            continue
        children = dict(item.value)
        for field, value in (("args", args), ("command", [])):
            previous = plain(children.get(field))
            if value:
                children[field] = wrap(value, ctx.source, ctx.rule)
                ctx.emit("override", ("spec", "containers", _key("mpi"), field), value=value, previous=previous)
            elif field in children:
                del children[field]
                ctx.emit(
                    "drop",
                    ("spec", "containers", _key("mpi"), field),
                    value=previous,
                    note=f"{field} = [] (mpi.go:86-98): an empty list, which the object's JSON omits",
                )
        items[index] = Node(children, item.source, item.rule)
    ctx.set(("spec", "containers"), Node(items, containers.source, containers.rule))


@transform("kubeflow-drop-replica", writes=("spec",), replica="value", note="value")
def kubeflow_drop_replica(ctx: Context) -> None:
    """Remove a built replica spec from the job (PyTorch: a Worker of 0 replicas, the Master of an elastic job), with a
    ``drop`` event saying why."""
    path = tuple(str(ctx.param("replica")).split("."))
    node = ctx.get(path)
    if node is None:
        return
    parent = ctx.get(path[:-1])
    kept = {key: child for key, child in parent.value.items() if key != path[-1]}
    ctx.set(path[:-1], Node(kept, parent.source, parent.rule))
    ctx.emit("drop", path, value=node, note=ctx.param("note"))
