"""The Dask plugin's steps that a layer cannot say (flyteplugins/go/tasks/plugins/k8s/dask/dask.go at flyteorg/flyte
89cf9cc); ``rules/flyte-v1/plugins/dask.yaml`` says where each one runs: a role's own resources replacing the task
container's, and the worker's command line sized from its limits."""

from __future__ import annotations

import math

from ..k8s import paths as _paths
from ..k8s import quantity
from ..k8s.tree import Node, plain, wrap
from ..pack.transform_api import Context, transform
from .containers import adjust_resources, platform_resources
from .plugins import to_k8s_resources

#: the error of resource.ParseQuantity, wrapped by ToK8sResourceList (flytek8s/utils.go:26-29, pkg/errors.Wrap)
_PARSE_ERROR = (
    "Failed to parse resource as a valid quantity.: quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


@transform(
    "dask-role-resources",
    writes=("spec.containers",),
    resources="expression",
    at="value",
    platform="expression",
    default_cpu="expression",
    default_memory="expression",
    gpu_resource_name="expression",
    platform_source="value",
    default_cpu_option="value",
    default_memory_option="value",
    required=("at",),
)
def dask_role_resources(ctx: Context) -> None:
    """createWorkerSpec/createSchedulerSpec (dask.go:129-143, :194-204): when the role's flyteidl ``core.Resources``
    has any request or limit, the primary container's resources are replaced by them (ToK8sResourceRequirements:
    zero values left out, GPU always ``nvidia.com/gpu``), then ApplyK8sResourceOverrides fills what is unset from
    the platform resources (utils.go:74-81: ApplyResourceOverrides with assignIfUnset). The task's resources and the
    execution's resource overrides do not reach the role then. ``at`` is where the resources were written in the
    scenario (a value that is not a quantity fails the task there)."""
    given = ctx.param("resources") or {}
    if not (given.get("requests") or given.get("limits")):  # len(GetRequests()) >= 1 || len(GetLimits()) >= 1
        return
    where = _paths.parse(ctx.param("at"))
    try:
        built = to_k8s_resources(given)
    except quantity.QuantityError:
        ctx.fail("dask_resources_invalid", _PARSE_ERROR, path=where, hint="write each value as a Kubernetes quantity")
        return
    primary = ctx.var("primaryContainerName")
    path = ("spec", "containers", _paths.Key("name", str(primary)))
    container = ctx.get(path)
    if container is None:
        return
    requests = {name: ctx.node(value) for name, value in (built.get("requests") or {}).items()}
    limits = {name: ctx.node(value) for name, value in (built.get("limits") or {}).items()}
    platform = platform_resources(ctx, ctx.param("platform") or {}, ctx.param("platform_source", ctx.source))
    adjust_resources(ctx, requests, limits, platform, gpu_name=ctx.param("gpu_resource_name"), assign=True, path=path)
    resources = ctx.node({"limits": ctx.node(limits), "requests": ctx.node(requests)})
    _replace_field(
        ctx,
        path,
        container,
        "resources",
        resources,
        "the role's resources replace the task container's (dask.go createWorkerSpec/createSchedulerSpec)",
    )


def _replace_field(ctx: Context, path: tuple, container: Node, field: str, node: Node, note: str) -> None:
    """The container at ``path`` with ``field`` replaced by ``node``, and the ``override`` event that says so."""
    previous = container.value.get(field)
    children = dict(container.value)
    children[field] = node
    ctx.set(path, Node(children, container.source, container.rule))
    ctx.emit(
        "override",
        path + (field,),
        value=node,
        previous=previous,
        previous_source=None if previous is None else previous.source,
        note=note,
    )


@transform("dask-worker-args", writes=("spec.containers",))
def dask_worker_args(ctx: Context) -> None:
    """createWorkerSpec (dask.go:145-164): the worker's args are ``dask-worker --name $(DASK_WORKER_NAME)``, then
    ``--nthreads`` the cpu limit rounded up to a whole number (Quantity.Value) and ``--memory-limit`` the memory
    limit (Quantity.String: the canonical form). Go adds both whenever the limits map is non-nil, which it always is
    after ApplyResourceOverrides; a missing key reads as a zero quantity."""
    primary = ctx.var("primaryContainerName")
    path = ("spec", "containers", _paths.Key("name", str(primary)))
    container = ctx.get(path)
    if container is None:
        return
    limits = ((plain(container).get("resources") or {}).get("limits")) or {}
    cpu = quantity.value_of(limits.get("cpu", "0"))
    threads = math.ceil(cpu) if cpu >= 0 else math.floor(cpu)  # rounded away from zero
    memory = quantity.canonical(quantity.to_text(limits.get("memory", "0")))
    args = ["dask-worker", "--name", "$(DASK_WORKER_NAME)", "--nthreads", str(threads), "--memory-limit", memory]
    _replace_field(
        ctx,
        path,
        container,
        "args",
        wrap(args, ctx.source, ctx.rule),
        "--nthreads and --memory-limit from the worker container's limits",
    )
