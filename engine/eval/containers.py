"""Transforms for every task container (P3.2-3, ``AddFlyteCustomizationsToContainerWithPodTemplate`` in
flytek8s/container_helper.go and pod_helper.go): the env vars Flyte adds, ``envFrom``, and the resources with their
defaults, platform limits and the GPU resource name. Registered, like every transform, under the name packs use
(``engine.pack.transform_api``); ``engine.eval.__init__`` imports this module so that they register.
"""

from __future__ import annotations

from typing import Any

from ..k8s import paths as _paths
from ..k8s import quantity
from ..k8s.tree import Node, wrap
from ..pack.transform_api import Context, transform

# ---------------------------------------------------------------------------------------------------------------
# P3.2-3 AddFlyteCustomizationsToContainerWithPodTemplate: env vars and resources of every task container


def _each_container(ctx: Context, fn, fields=("initContainers", "containers")) -> None:
    """Apply ``fn(container_node, path, field) -> Node`` to every (init) container of the pod spec."""
    for field in fields:
        containers = ctx.get(("spec", field))
        if containers is None or not isinstance(containers.value, list):
            continue
        items = list(containers.value)
        for index, item in enumerate(items):
            name = item.value.get("name") if isinstance(item.value, dict) else None
            segment = _paths.Key("name", str(name.value)) if name is not None and name.value else index
            items[index] = fn(item, ("spec", field, segment), field)
        ctx.set(("spec", field), Node(items, containers.source, containers.rule))


def _sorted_env(mapping: Any, values_from: dict | None = None) -> list[dict]:
    if not mapping:
        return []
    if isinstance(mapping, list):
        return [dict(item) for item in mapping]
    # Go ranges over a map here, in random order; podeval sorts by name so that output is deterministic.
    if values_from is not None:
        return [{"name": key, "value": str(values_from.get(mapping[key], ""))} for key in sorted(mapping)]
    return [{"name": key, "value": "" if mapping[key] is None else str(mapping[key])} for key in sorted(mapping)]


@transform(
    "append-env",
    writes=("spec.containers", "spec.initContainers"),
    env="expression",
    values_from="expression",
    note="value",
)
def append_env(ctx: Context) -> None:
    """DecorateEnvVars: env vars appended to every task container and init container (a map's keys in sorted order,
    where Go's map order is random)."""
    values_from = ctx.param("values_from", {}) if ctx.given("values_from") else None
    _append_env_items(ctx, _sorted_env(ctx.param("env"), values_from), ctx.param("note"))


def _append_env_items(ctx: Context, env: list[dict], note: str | None) -> None:
    if not env:
        return

    appended = frozenset(item["name"] for item in env) if ctx.tracing else frozenset()

    def add(container: Node, path: tuple, field: str) -> Node:
        children = dict(container.value)
        current = list(children["env"].value) if "env" in children and isinstance(children["env"].value, list) else []
        seen: dict = {}  # name -> items of that name so far (a repeated name is env[name=X#2] in the trace)
        if ctx.tracing:  # only the names appended here are counted: the others are never looked up
            for node in current:
                value = node.value
                if isinstance(value, dict) and (name := value.get("name")) is not None and name.value in appended:
                    seen[name.value] = seen.get(name.value, 0) + 1
        for item in env:
            current.append(wrap(item, ctx.source, ctx.rule))
            if ctx.tracing:
                occurrence = seen[item["name"]] = seen.get(item["name"], 0) + 1
                ctx.emit("append", path + ("env", _paths.Key("name", item["name"], occurrence)), value=item, note=note)
        children["env"] = ctx.node(current)
        return Node(children, container.source, container.rule)

    _each_container(ctx, add)


@transform(
    "flyte-execution-env",
    writes=("spec.containers", "spec.initContainers"),
    execution_id="expression",
    task_id="expression",
    attempt="expression",
)
def flyte_execution_env(ctx: Context) -> None:
    """GetExecutionEnvVars: FLYTE_INTERNAL_EXECUTION_ID/PROJECT/DOMAIN, FLYTE_ATTEMPT_NUMBER and, with a task id,
    FLYTE_INTERNAL_TASK_PROJECT/DOMAIN/NAME/VERSION; none without an execution identity."""
    execution_id = ctx.param("execution_id") or {}
    if not execution_id:
        return
    env = [
        {"name": "FLYTE_INTERNAL_EXECUTION_ID", "value": str(execution_id.get("name", ""))},
        {"name": "FLYTE_INTERNAL_EXECUTION_PROJECT", "value": str(execution_id.get("project", ""))},
        {"name": "FLYTE_INTERNAL_EXECUTION_DOMAIN", "value": str(execution_id.get("domain", ""))},
        {"name": "FLYTE_ATTEMPT_NUMBER", "value": str(ctx.param("attempt") or 0)},
    ]
    task_id = ctx.param("task_id") or {}
    if task_id:
        env += [
            {"name": f"FLYTE_INTERNAL_TASK_{part.upper()}", "value": str(task_id.get(part, ""))}
            for part in ("project", "domain", "name", "version")
        ]
    _append_env_items(ctx, env, None)


@transform(
    "append-env-from", writes=("spec.containers", "spec.initContainers"), secrets="expression", config_maps="expression"
)
def append_env_from(ctx: Context) -> None:
    """DecorateEnvVars: an optional secretRef per default-env-from-secrets, then an optional configMapRef per
    default-env-from-configmaps, appended to envFrom of every task container and init container."""
    refs = [{"secretRef": {"name": name, "optional": True}} for name in ctx.param("secrets") or []]
    refs += [{"configMapRef": {"name": name, "optional": True}} for name in ctx.param("config_maps") or []]
    if not refs:
        return

    def add(container: Node, path: tuple, field: str) -> Node:
        children = dict(container.value)
        current = list(children["envFrom"].value) if "envFrom" in children else []
        for ref in refs:
            current.append(wrap(ref, ctx.source, ctx.rule))
            if ctx.tracing:
                ctx.emit("append", path + ("envFrom", len(current) - 1), value=ref)
        children["envFrom"] = ctx.node(current)
        return Node(children, container.source, container.rule)

    _each_container(ctx, add)


def _template_resources(template: dict | None, name: str, field: str, roles: tuple) -> dict:
    """ExtractContainerResourcesFromPodTemplate: the resources of ONE template container of ``field``: the exact
    name, else the primary role's (``primary``/``primary-init``), else the default role's (never a merge of them;
    the primary role applies to any container name)."""
    if not template:
        return {}
    spec = (template.get("template") or {}).get("spec") or {}
    containers = spec.get(field) or []
    for wanted in (name, *roles):
        for container in containers:
            if container.get("name") == wanted:
                return container.get("resources") or {}
    return {}


def _qty_zero(node: Node | None) -> bool:
    if node is None:
        return True
    try:
        return quantity.value_of(node.value) == 0
    except quantity.QuantityError:
        return False


def _qty_greater(a: Node, b: Node) -> bool:
    try:
        return quantity.greater(a.value, b.value)
    except quantity.QuantityError:
        return False


@transform(
    "container-resources",
    writes=("spec.containers", "spec.initContainers"),
    overrides="expression",
    platform="expression",
    default_cpu="expression",
    default_memory="expression",
    gpu_resource_name="expression",
    template="expression",
    template_source="expression",
    platform_source="value",
    overrides_source="expression",
    template_profile="value",
    default_cpu_option="value",
    default_memory_option="value",
    required=("template_profile",),
)
def container_resources(ctx: Context) -> None:
    """Resources of every task container (container_helper.go): ``gpu`` renamed to gpu-resource-name; for the
    primary container and init containers (MergeExistingResources) the execution override wins key by key, then the
    runtime template's resources fill missing names, then requests default to the limit or the platform default
    (default-cpus/default-memory when the platform has none) and limits to the request, clamped to the platform
    limit; other containers (EnsureExistingResourcesInRange) only get template fill-ins and the clamp. cpu and
    memory are always written, as zero quantities if nothing set them. The template's primary and default
    containers are named by the ``template-containers`` rules of the profile ``template_profile`` (Flyte's
    constants, one place for the merge and this transform)."""
    overrides = ctx.param("overrides") or {}
    platform = ctx.param("platform") or {}
    gpu_name = ctx.param("gpu_resource_name")
    template = ctx.param("template")
    template_source = ctx.param("template_source") or ctx.source
    platform_source = ctx.param("platform_source", ctx.source)
    overrides_source = ctx.param("overrides_source", ctx.source)
    roles = {}
    for field in ("containers", "initContainers"):
        params = ctx.strategy_params(ctx.param("template_profile"), field)
        roles[field] = tuple(params[role] for role in ("primary", "default") if params.get(role))
    primary = ctx.var("primaryContainerName")
    platform_nodes = platform_resources(ctx, platform, platform_source)

    def customize(container: Node, path: tuple, field: str) -> Node:
        init = field == "initContainers"
        name = str(container.value["name"].value) if "name" in container.value else ""
        assign = init or name == primary
        resources = container.value.get("resources")
        requests, limits = _own_resources(resources, gpu_name)
        if assign:  # MergeResources(overrides)
            for key, value in (overrides.get("requests") or {}).items():
                requests[key] = ctx.node(value, overrides_source)
            for key, value in (overrides.get("limits") or {}).items():
                limits[key] = ctx.node(value, overrides_source)
        fill = _template_resources(template, name, field, roles[field]) if template else {}
        for mapping, key_name in ((requests, "requests"), (limits, "limits")):  # MergeResourcesIfMissing
            for key, value in (fill.get(key_name) or {}).items():
                if key not in mapping:
                    mapping[key] = ctx.node(value, template_source)
        adjust_resources(ctx, requests, limits, platform_nodes, gpu_name=gpu_name, assign=assign, path=path)
        children = dict(container.value)
        children["resources"] = ctx.node(
            {"limits": ctx.node(limits), "requests": ctx.node(requests)}, resources.source if resources else ctx.source
        )
        return Node(children, container.source, container.rule)

    _each_container(ctx, customize)


class PlatformResources:
    """The platform resources ApplyResourceOverrides works with: the execution's requests, with default-cpus and
    default-memory (the transform's ``default_cpu``/``default_memory``) for a cpu or memory request it lacks
    (resolvePlatformDefaults), and its limits; all as Nodes."""

    def __init__(self, requests: dict, limits: dict, default_from: dict) -> None:
        self.requests, self.limits, self.default_from = requests, limits, default_from


def platform_resources(ctx: Context, platform: dict, source: str) -> PlatformResources:
    """The transform's platform resources (``platform``, from ``source``) with the defaults filled in."""
    requests = {k: ctx.node(v, source) for k, v in (platform.get("requests") or {}).items()}
    default_from = {}
    for name, param in (("cpu", "default_cpu"), ("memory", "default_memory")):
        if name not in requests:
            requests[name] = ctx.node(ctx.param(param))
            default_from[name] = ctx.param(f"{param}_option") or param  # the option the note names
    limits = {k: ctx.node(v, source) for k, v in (platform.get("limits") or {}).items()}
    return PlatformResources(requests, limits, default_from)


def adjust_resources(
    ctx: Context, requests: dict, limits: dict, platform: PlatformResources, *, gpu_name: str, assign: bool, path: tuple
) -> None:
    """ApplyResourceOverrides (container_helper.go) on ``requests``/``limits`` (name -> Node, changed in place): cpu
    and memory always, ephemeral-storage and the GPU resource when either side names them; with ``assign``
    (assignIfUnset) a missing request is the limit or else the platform default, and a missing limit the request;
    then both are clamped to the platform limit. Each adjustment is a ``set`` event with its note at ``path``'s
    resources."""
    names = ["cpu", "memory"]
    for extra in ("ephemeral-storage", gpu_name):
        if extra in requests or extra in limits:
            names.append(extra)
    for resource in names:
        request, limit, notes = requests.get(resource), limits.get(resource), []
        if assign:
            request, limit = _assign_defaults(
                ctx, request, limit, platform.requests.get(resource), platform.default_from.get(resource), notes
            )
        request = request if request is not None else ctx.node("0")
        limit = limit if limit is not None else ctx.node("0")
        request, limit = _clamp(ctx, request, limit, platform.limits.get(resource), notes)
        requests[resource], limits[resource] = request, limit
        if ctx.tracing and notes:
            note = "; ".join(notes)
            for kind, node in (("requests", request), ("limits", limit)):
                ctx.emit("set", path + ("resources", kind, resource), source=node.source, value=node.value, note=note)


def _own_resources(resources: Node | None, gpu_name: str) -> tuple[dict, dict]:
    """The container's own requests and limits (copies), ``gpu`` renamed (SanitizeGPUResourceRequirements)."""
    requests = dict(resources.value.get("requests").value) if resources and resources.value.get("requests") else {}
    limits = dict(resources.value.get("limits").value) if resources and resources.value.get("limits") else {}
    for mapping in (requests, limits):
        if "gpu" in mapping:
            mapping[gpu_name] = mapping.pop("gpu")
    return requests, limits


def _assign_defaults(
    ctx: Context,
    request: Node | None,
    limit: Node | None,
    default: Node | None,
    default_option: str | None,
    notes: list,
) -> tuple:
    """MergeExistingResources' defaults (the primary and init containers): a missing request is the limit, else
    the platform default; a missing limit is the request."""
    if _qty_zero(request):
        if not _qty_zero(limit):
            request = ctx.node(limit.value, limit.source)
            notes.append("request defaults to the limit")
        else:
            request = ctx.node(
                default.value if default is not None else "0", default.source if default is not None else ctx.source
            )
            notes.append(
                f"request is the platform default ({default_option})"
                if default_option
                else "request is the platform default request"
            )
    if _qty_zero(limit):
        limit = ctx.node(request.value, request.source)
        notes.append("limit defaults to the request")
    return request, limit


def _clamp(ctx: Context, request: Node, limit: Node, platform_limit: Node | None, notes: list) -> tuple:
    """ensureResourceRange: request and limit clamped to the platform limit, then the request to the limit."""
    if platform_limit is not None and not _qty_zero(platform_limit):
        if not _qty_zero(request) and _qty_greater(request, platform_limit):
            request = ctx.node(platform_limit.value, platform_limit.source)
            notes.append("request clamped to the platform limit")
        if not _qty_zero(limit) and _qty_greater(limit, platform_limit):
            limit = ctx.node(platform_limit.value, platform_limit.source)
            notes.append("limit clamped to the platform limit")
    if not _qty_zero(request) and not _qty_zero(limit) and _qty_greater(request, limit):
        request = ctx.node(limit.value, limit.source)
        notes.append("request clamped to the limit")
    return request, limit
