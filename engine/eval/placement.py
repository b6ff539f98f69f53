"""Transforms that place the Pod on nodes (P3.4, P3.6, P3.9 in flytek8s/pod_helper.go): the primary container
required, the interruptible node affinity, tolerations for the resources asked for, GPU node selectors, and the
shared-memory volume. Registered under the name packs use (``engine.pack.transform_api``); ``engine.eval.__init__``
imports this module so that they register.
"""

from __future__ import annotations

from ..k8s import paths as _paths
from ..k8s import quantity
from ..k8s.tree import Node, plain, wrap
from ..pack.transform_api import Context, transform

# ---------------------------------------------------------------------------------------------------------------
# P3.4 and P3.6


@transform("require-primary-container", containers_at="expression", containers_at_by_source="value")
def require_primary_container(ctx: Context) -> None:
    """The pod spec must have a container named like the primary container before the template merge, so a
    template can never supply it (ApplyFlytePodConfiguration). The error names the containers where the user wrote
    them: ``containers_at_by_source`` (source id -> scenario path) for the source that set them, else
    ``containers_at``."""
    primary = ctx.var("primaryContainerName") or ""
    containers = ctx.get(("spec", "containers"))
    names = [
        str(c.value.get("name").value)
        for c in (containers.value if containers else [])
        if isinstance(c.value, dict) and c.value.get("name") is not None
    ]
    if primary not in names:
        owner = containers.source if containers is not None else ""
        written = (ctx.param("containers_at_by_source") or {}).get(owner) or ctx.param("containers_at")
        where = _paths.parse(written) if written else ()
        ctx.fail(
            "primary_container_missing",
            f"invalid TaskSpecification, primary container [{primary}] not defined",
            path=where,
            hint=f"the pod spec has containers {names}; name one of them {primary!r}, or set "
            "primary_container_name to one of them",
        )


@transform(
    "interruptible-node-affinity",
    writes=("spec.affinity",),
    interruptible="expression",
    interruptible_requirement="expression",
    non_interruptible_requirement="expression",
)
def interruptible_node_affinity(ctx: Context) -> None:
    """ApplyInterruptibleNodeAffinity: the affinity is always made non-nil; the (non-)interruptible node selector
    requirement, if configured, is added to every required node-selector term (AND), or one term is created."""
    interruptible = bool(ctx.param("interruptible"))
    requirement = ctx.param("interruptible_requirement" if interruptible else "non_interruptible_requirement")
    affinity = ctx.get(("spec", "affinity"))
    if affinity is None:
        ctx.set(("spec", "affinity"), ctx.node({}))
        if ctx.tracing:
            ctx.emit(
                "set",
                ("spec", "affinity"),
                value={},
                note="FlytePropeller always makes the pod's affinity non-nil (ApplyInterruptibleNodeAffinity)",
            )
    if requirement:
        add_required_node_selector_requirement(ctx, requirement)


def add_required_node_selector_requirement(ctx: Context, requirement: dict) -> None:
    """AddRequiredNodeSelectorRequirements: append the requirement to every required term, or create one."""
    base = ("spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
    terms = ctx.get(base)
    if terms is None or not terms.value:
        new_terms = ctx.node([ctx.node({"matchExpressions": ctx.node([wrap(requirement, ctx.source, ctx.rule)])})])
        ctx.set(base, new_terms)
        if ctx.tracing:
            ctx.emit("set", base, value=new_terms)
        return
    updated = []
    for index, term in enumerate(terms.value):
        expressions = term.value.get("matchExpressions") if isinstance(term.value, dict) else None
        items = list(expressions.value) if expressions is not None else []
        items.append(wrap(requirement, ctx.source, ctx.rule))
        children = dict(term.value)
        children["matchExpressions"] = ctx.node(items)
        updated.append(Node(children, term.source, term.rule))
        if ctx.tracing:
            ctx.emit(
                "append",
                base + (index, "matchExpressions", len(items) - 1),
                value=requirement,
                note="added to every required node-selector term (AND)",
            )
    ctx.set(base, Node(updated, terms.source, terms.rule))


# ---------------------------------------------------------------------------------------------------------------
# P3.6 GetPodTolerations, P3.9 extended resources


@transform("resource-tolerations", writes=("spec.tolerations",), tolerations="expression")
def resource_tolerations(ctx: Context) -> None:
    """GetPodTolerations: the configured tolerations of every resource name any container requests or limits,
    put before the pod's own tolerations (the resource names in sorted order, where Go's set order is random)."""
    configured = ctx.param("tolerations") or {}
    if not configured:
        return
    names: set = set()
    containers = ctx.get(("spec", "containers"))
    for container in containers.value if containers else []:
        resources = plain(container.value.get("resources")) if isinstance(container.value, dict) else None
        for key in ("limits", "requests"):
            names.update(((resources or {}).get(key) or {}).keys())
    added = []
    for name in sorted(names):
        value = configured.get(name)
        if value is None:
            continue
        added.extend(value if isinstance(value, list) else [value])
    if not added:
        return
    current = ctx.get(("spec", "tolerations"))
    items = [wrap(t, ctx.source, ctx.rule) for t in added] + (list(current.value) if current else [])
    ctx.set(("spec", "tolerations"), ctx.node(items))
    if ctx.tracing:
        for index, toleration in enumerate(added):
            ctx.emit(
                "append",
                ("spec", "tolerations", index),
                value=toleration,
                note="resource-tolerations of a resource the containers use; they come first",
            )


def add_toleration_once(ctx: Context, toleration: dict, note: str | None = None) -> None:
    """addTolerationInPodSpec (flytek8s/pod_helper.go): appended unless an equal toleration (Toleration.
    MatchToleration: key, operator, value and effect) is there, which the trace says."""
    current = ctx.get(("spec", "tolerations"))
    items = list(current.value) if current is not None and isinstance(current.value, list) else []
    fields = ("key", "operator", "value", "effect")
    for item in items:
        existing = plain(item) or {}
        if all((existing.get(f) or "") == (toleration.get(f) or "") for f in fields):
            if ctx.tracing:
                ctx.emit(
                    "drop",
                    ("spec", "tolerations"),
                    value=toleration,
                    note="an equal toleration is already there: not added twice (addTolerationInPodSpec)",
                )
            return
    items.append(wrap(toleration, ctx.source, ctx.rule))
    ctx.set(("spec", "tolerations"), ctx.node(items))
    if ctx.tracing:
        ctx.emit("append", ("spec", "tolerations", len(items) - 1), value=toleration, note=note)


def _append_toleration(ctx: Context, toleration: dict, note: str) -> None:
    current = ctx.get(("spec", "tolerations"))
    items = (list(current.value) if current else []) + [wrap(toleration, ctx.source, ctx.rule)]
    ctx.set(("spec", "tolerations"), ctx.node(items))
    if ctx.tracing:
        ctx.emit("append", ("spec", "tolerations", len(items) - 1), value=toleration, note=note)


@transform(
    "gpu-node-selectors",
    writes=("spec.affinity", "spec.tolerations"),
    accelerator="expression",
    gpu_resource_name="expression",
    device_label="expression",
    partition_label="expression",
    unpartitioned_requirement="expression",
    unpartitioned_toleration="expression",
)
def gpu_node_selectors(ctx: Context) -> None:
    """ApplyGPUNodeSelectors: only if some container has a GPU *limit*: a required node affinity on the device
    label plus a NoSchedule toleration; a partition size adds its own requirement and toleration; `unpartitioned`
    adds `partition-label DoesNotExist` (or the configured requirement) and the configured toleration."""
    accelerator = ctx.param("accelerator") or {}
    if not accelerator:
        return
    gpu_name = ctx.param("gpu_resource_name")
    containers = ctx.get(("spec", "containers"))
    uses_gpu = any(
        gpu_name in ((plain(c.value.get("resources")) or {}).get("limits") or {})
        for c in (containers.value if containers else [])
        if isinstance(c.value, dict)
    )
    if not uses_gpu:
        if ctx.tracing:
            ctx.emit(
                "drop",
                ("spec", "affinity"),
                value=accelerator,
                note=f"no container has a {gpu_name} limit, so the GPU accelerator adds no node selector",
            )
        return
    if ctx.get(("spec", "affinity")) is None:
        ctx.set(("spec", "affinity"), ctx.node({}))
    device_label = ctx.param("device_label")
    partition_label = ctx.param("partition_label")
    device = accelerator.get("device")
    if device:
        add_required_node_selector_requirement(ctx, {"key": device_label, "operator": "In", "values": [device]})
        _append_toleration(
            ctx,
            {"key": device_label, "value": device, "operator": "Equal", "effect": "NoSchedule"},
            note="GPU device toleration (ApplyGPUNodeSelectors)",
        )
    requirement = toleration = None
    if accelerator.get("unpartitioned"):
        requirement = ctx.param("unpartitioned_requirement") or {"key": partition_label, "operator": "DoesNotExist"}
        toleration = ctx.param("unpartitioned_toleration")
    elif accelerator.get("partitionSize"):
        size = accelerator["partitionSize"]
        requirement = {"key": partition_label, "operator": "In", "values": [size]}
        toleration = {"key": partition_label, "value": size, "operator": "Equal", "effect": "NoSchedule"}
    if requirement:
        add_required_node_selector_requirement(ctx, requirement)
    if toleration:
        _append_toleration(ctx, toleration, note="GPU partition toleration (ApplyGPUNodeSelectors)")


@transform("shared-memory", writes=("spec.volumes", "spec.containers"), shared_memory="expression")
def shared_memory(ctx: Context) -> None:
    """ApplySharedMemory: an emptyDir {medium: Memory} volume and its mount on the primary container; a clash with
    an existing volume or mount (the template's included) fails the task."""
    spec = ctx.param("shared_memory") or {}
    if not spec:
        return
    name, mount_path, size = spec.get("mountName") or "", spec.get("mountPath") or "", spec.get("sizeLimit") or ""
    where = ("task", "extendedResources", "sharedMemory")
    if not name:
        ctx.fail("shared_memory_invalid", "mount name is not set", path=where + ("mountName",))
    if not mount_path:
        ctx.fail("shared_memory_invalid", "mount path is not set", path=where + ("mountPath",))
    primary = ctx.var("primaryContainerName")
    volumes = plain(ctx.get(("spec", "volumes"))) or []
    if any(v.get("name") == name for v in volumes):
        ctx.fail(
            "shared_memory_clash",
            f"A volume is already named {name} in pod spec",
            path=("spec", "volumes", _paths.Key("name", name)),
        )
    container_path = ("spec", "containers", _paths.Key("name", primary))
    mounts = plain(ctx.get(container_path + ("volumeMounts",))) or []
    for mount in mounts:
        if mount.get("name") == name:
            ctx.fail(
                "shared_memory_clash",
                f"A volume is already named {name} in container",
                path=container_path + ("volumeMounts",),
            )
        if mount.get("mountPath") == mount_path:
            ctx.fail(
                "shared_memory_clash",
                f"{mount_path} is already mounted in container",
                path=container_path + ("volumeMounts",),
            )
    if size:
        try:
            quantity.canonical(quantity.to_text(size))
        except quantity.QuantityError as exc:
            ctx.fail("shared_memory_invalid", f"Unable to parse size limit: {exc}", path=where + ("sizeLimit",))
    # An unset size limit is still a non-nil pointer to a zero Quantity in Flyte: it prints as "0".
    volume = {"name": name, "emptyDir": {"medium": "Memory", "sizeLimit": size or "0"}}
    current = ctx.get(("spec", "volumes"))
    ctx.set(
        ("spec", "volumes"), ctx.node((list(current.value) if current else []) + [wrap(volume, ctx.source, ctx.rule)])
    )
    mount_node = ctx.get(container_path + ("volumeMounts",))
    mount = {"name": name, "mountPath": mount_path}
    ctx.set(
        container_path + ("volumeMounts",),
        ctx.node((list(mount_node.value) if mount_node else []) + [wrap(mount, ctx.source, ctx.rule)]),
    )
    if ctx.tracing:
        ctx.emit("append", ("spec", "volumes", _paths.Key("name", name)), value=volume)
        ctx.emit("append", container_path + ("volumeMounts", _paths.Key("mountPath", mount_path)), value=mount)
