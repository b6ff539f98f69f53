"""Transforms of Flyte 2's backend (flyteorg/flyte ``main`` at 6fadb90, the ``flyte-v2`` pack): the executor's
TaskExecutionMetadata (run and action names, labels, env vars, service account), accelerator device classes (the
resolved class config, the resource rename, limit = request for every accelerator resource, node selectors with
de-duplication, the MIG partition label), the scheduling de-duplication of ``AddRequiredNodeSelectorRequirements``,
the VSCode readiness probe and the primary init container name co-pilot no longer returns. Registered under the
names the pack uses (``engine.pack.transform_api``); ``engine.eval.__init__`` imports this module so that they
register. docs/flyte-v2.md gives each one's Go function and file:line at 6fadb90.
"""

from __future__ import annotations

import re
from typing import Any

from ..inputs.viper import struct_case
from ..k8s import paths as _paths
from ..k8s.tree import Node, get, node_key, plain, wrap
from ..pack.transform_api import Context, transform
from .containers import _append_env_items, _assign_defaults, _clamp, _each_container
from .placement import add_toleration_once

# ---------------------------------------------------------------------------------------------------------------
# NewTaskExecutionMetadata (executor/pkg/plugin/task_exec_metadata.go:89-180) and the TaskAction CR it reads
# (actions/k8s/client.go newTaskActionCR :932-948, applyRunSpecToTaskAction :1048-1073, buildTaskActionName :992)


_LABEL_INVALID = re.compile(r"[^a-zA-Z0-9._-]")
_LABEL_EDGE = re.compile(r"[a-zA-Z0-9]")


def sanitize_label_value(value: str) -> str:
    """SanitizeLabelValue at 6fadb90 (flyteplugins/go/tasks/pluginmachinery/utils/labels.go:17-33): every character
    outside [a-zA-Z0-9._-] becomes '-', the result is cut to 63 characters, and a first or last character that is
    not alphanumeric becomes 'x'."""
    if not value:
        return ""
    sanitized = _LABEL_INVALID.sub("-", value)[:63]
    if not _LABEL_EDGE.match(sanitized[0]):
        sanitized = "x" + sanitized[1:]
    if not _LABEL_EDGE.match(sanitized[-1]):
        sanitized = sanitized[:-1] + "x"
    return sanitized


@transform(
    "flyte2-task-execution-metadata",
    sets=("podName", "serviceAccount", "executorLabels", "executorEnv", "runName", "actionName"),
    run="expression",
    action_name="expression",
    attempt="expression",
    pod_name="expression",
    task_id="expression",
    run_labels="expression",
    run_env="expression",
    run_output_base="expression",
    service_account="expression",
    default_service_account="expression",
)
def task_execution_metadata(ctx: Context) -> None:
    """The executor's view of one TaskAction: the run (``run``: project, domain, name) and the action name (the
    root action's name is the run's); the pod's generated name ``<TaskAction name>-<retry>`` (the TaskAction is
    ``<run>-a0`` for the root action, else ``<run>-<action>``) unless ``pod_name`` gives it; the labels (the CR's
    ``flyte.org/*`` labels, the run's labels where the key is free, then the injected labels, which win); the
    task env vars (ACTION_NAME, RUN_NAME, _U_RUN_BASE, _U_ORG_NAME, then the run's env vars where the name is free);
    the service account (the task's run-as account, else ``executor.defaultK8sServiceAccount``)."""
    run = ctx.param("run") or {}
    run_name = str(run.get("name") or "")
    project, domain = str(run.get("project") or ""), str(run.get("domain") or "")
    action = ctx.param("action_name")
    action = run_name if action is None else str(action)  # no action named: the run's root action
    root = action == run_name
    retry = int(ctx.param("attempt") or 0)
    pod_name = ctx.param("pod_name")
    if not pod_name and run_name:
        pod_name = f"{run_name}-{'a0' if root else action}-{retry}"
    ctx.set_var("podName", pod_name)
    ctx.set_var("runName", run_name)
    ctx.set_var("actionName", action)

    labels: dict = {}
    if run:
        labels = {
            "flyte.org/project": project,
            "flyte.org/domain": domain,
            "flyte.org/run": run_name,
            "flyte.org/action": action,
            "flyte.org/action-type": "task",
            "flyte.org/is-root": "true" if root else "false",
        }
    for key, value in (ctx.param("run_labels") or {}).items():
        labels.setdefault(key, str(value))
    inject = {"organization": "flyte", "project": project, "domain": domain, "flyte.org/managed": "true"}
    for key, value in (("run", run_name), ("action", action)):
        if sanitize_label_value(value):
            inject[key] = sanitize_label_value(value)
    inject["attempt"] = str(retry + 1)
    task_name = sanitize_label_value(str((ctx.param("task_id") or {}).get("name") or ""))
    if task_name:
        inject["task-name"] = task_name
    ctx.set_var("executorLabels", {**labels, **inject})

    env = {
        "ACTION_NAME": action,
        "RUN_NAME": run_name,
        "_U_RUN_BASE": str(ctx.param("run_output_base") or ""),
        "_U_ORG_NAME": "local",
    }
    for key, value in (ctx.param("run_env") or {}).items():
        env.setdefault(key, "" if value is None else str(value))
    ctx.set_var("executorEnv", env)
    ctx.set_var("serviceAccount", ctx.param("service_account") or ctx.param("default_service_account") or "")


@transform(
    "flyte2-execution-env",
    writes=("spec.containers", "spec.initContainers"),
    execution_id="expression",
    task_id="expression",
    attempt="expression",
)
def execution_env(ctx: Context) -> None:
    """GetExecutionEnvVars (flytek8s/k8s_resource_adds.go:43-127 at 6fadb90): the executor always has a run, so
    always FLYTE_INTERNAL_EXECUTION_ID/PROJECT/DOMAIN (the run), ``_F_PN`` (the pod's name, from the downward API)
    and FLYTE_ATTEMPT_NUMBER; with the task's id, FLYTE_INTERNAL_TASK_* and the historic FLYTE_INTERNAL_PROJECT,
    DOMAIN, NAME and VERSION."""
    run = ctx.param("execution_id") or {}
    env: list[dict] = [
        {"name": "FLYTE_INTERNAL_EXECUTION_ID", "value": str(run.get("name") or "")},
        {"name": "FLYTE_INTERNAL_EXECUTION_PROJECT", "value": str(run.get("project") or "")},
        {"name": "FLYTE_INTERNAL_EXECUTION_DOMAIN", "value": str(run.get("domain") or "")},
        {"name": "_F_PN", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "FLYTE_ATTEMPT_NUMBER", "value": str(ctx.param("attempt") or 0)},
    ]
    task_id = ctx.param("task_id") or {}
    if task_id:
        parts = ("project", "domain", "name", "version")
        env += [{"name": f"FLYTE_INTERNAL_TASK_{p.upper()}", "value": str(task_id.get(p) or "")} for p in parts]
        env += [{"name": f"FLYTE_INTERNAL_{p.upper()}", "value": str(task_id.get(p) or "")} for p in parts]
    _append_env_items(ctx, env, None)


# ---------------------------------------------------------------------------------------------------------------
# Accelerators: getAcceleratorConfig (pod_helper.go:321-369), GetNormalizedAcceleratorDevice and
# getAllAcceleratorResourceNames (utils.go:104-135), GetK8sPluginConfig's upper-cased class keys (config.go:389-395)

#: AcceleratorDeviceClassConfig's fields (config/config.go:344-384): json name, the name podeval's config uses, the
#: Kubernetes type of the value (None: a string)
_CLASS_FIELDS = (
    ("resource-name", "resourceName", None),
    ("device-node-label", "deviceNodeLabel", None),
    ("partition-size-node-label", "partitionSizeNodeLabel", None),
    ("unpartitioned-node-selector-requirement", "unpartitionedNodeSelectorRequirement", "NodeSelectorRequirement"),
    ("unpartitioned-toleration", "unpartitionedToleration", "Toleration"),
    ("pod-template", "podTemplate", "PodTemplate"),
)
DEFAULT_DEVICE_CLASS = "NVIDIA_GPU"  # flyteidl2 core.GPUAccelerator.DeviceClass = 0


def device_classes(configured: Any) -> dict:
    """accelerator-device-classes as GetK8sPluginConfig returns it: every key upper-cased; each class decoded as
    mapstructure does, matching field names without regard to case (viper has lowercased a config file's keys:
    ``pod-template``'s ``nodeSelector`` arrives as ``nodeselector``), the values of the Kubernetes fields too."""
    classes = {}
    for key, value in (configured or {}).items():
        decoded: dict = {}
        for field, item in (value or {}).items() if isinstance(value, dict) else ():
            known = next((f for f in _CLASS_FIELDS if f[0] == str(field).lower()), None)
            if known is not None:
                decoded[known[0]] = struct_case(item, ("object", known[2])) if known[2] else item
        classes[str(key).upper()] = decoded
    return classes


def device_class_of(accelerator: dict) -> str:
    """GetDeviceClass().String(): the accelerator's device class, NVIDIA_GPU when unset."""
    return str(accelerator.get("deviceClass") or DEFAULT_DEVICE_CLASS)


@transform(
    "accelerator-config",
    sets=("acceleratorConfig", "acceleratorResourceNames", "deviceClassTemplate"),
    accelerator="expression",
    classes="expression",
    devices="expression",
    gpu_resource_name="expression",
    device_label="expression",
    partition_label="expression",
    unpartitioned_requirement="expression",
    unpartitioned_toleration="expression",
)
def accelerator_config(ctx: Context) -> None:
    """The accelerator's configuration: the global gpu-* options, each overridden by the device class's field when
    that is set (a class missing from accelerator-device-classes keeps the globals); the device name normalised by
    accelerator-devices (looked up upper-cased, else kept); every accelerator resource name (gpu-resource-name and
    each class's); and the class's PodTemplate, of which only the spec is used."""
    accelerator = ctx.param("accelerator")
    classes = device_classes(ctx.param("classes"))
    names = {str(ctx.param("gpu_resource_name") or "")}
    names |= {str(c.get("resource-name")) for c in classes.values() if isinstance(c, dict) and c.get("resource-name")}
    ctx.set_var("acceleratorResourceNames", sorted(n for n in names if n))
    config = {
        "resourceName": ctx.param("gpu_resource_name"),
        "deviceNodeLabel": ctx.param("device_label"),
        "partitionSizeNodeLabel": ctx.param("partition_label"),
        "unpartitionedNodeSelectorRequirement": ctx.param("unpartitioned_requirement"),
        "unpartitionedToleration": ctx.param("unpartitioned_toleration"),
        "podTemplate": None,
    }
    template = None
    if accelerator is not None:
        device_class = device_class_of(accelerator)
        config["deviceClass"] = device_class
        chosen = classes.get(device_class)
        config["deviceClassConfigured"] = chosen is not None
        for option, field, _ in _CLASS_FIELDS if isinstance(chosen, dict) else ():
            if chosen.get(option) not in (None, ""):
                config[field] = chosen[option]
        device = accelerator.get("device")
        if device:
            devices = ctx.param("devices") or {}
            config["device"] = devices.get(str(device).upper(), device)
        if config["podTemplate"] is not None:
            spec = ((config["podTemplate"].get("template") or {}).get("spec")) or {}
            # only the template's spec is read (&PodTemplate.Template.Spec, pod_helper.go:1143); its name below is
            # what warnings call it
            template = {
                "metadata": {"name": f"accelerator-device-classes[{device_class}].pod-template"},
                "template": {"spec": spec},
            }
            ctx.add_source(f"propeller.config accelerator-device-classes[{device_class}].pod-template")
    ctx.set_var("acceleratorConfig", config)
    ctx.set_var("deviceClassTemplate", template)


# ---------------------------------------------------------------------------------------------------------------
# AddFlyteCustomizationsToContainer (container_helper.go:297-357 at 6fadb90) and ApplyResourceOverrides (:154-193)


@transform(
    "flyte2-container-resources",
    writes=("spec.containers", "spec.initContainers"),
    default_cpu="expression",
    default_memory="expression",
    resource_name="expression",
    accelerator_names="expression",
    default_cpu_option="value",
    default_memory_option="value",
)
def container_resources(ctx: Context) -> None:
    """Resources of every task container as Flyte 2 sets them: ``gpu`` renamed to the accelerator class's resource
    (``resource_name``); the primary container (MergeExistingResources) gets defaults: a missing request is the limit,
    else default-cpus/default-memory (cpu and memory; there are no platform resources), a missing limit is the
    request; every other container and every init container (EnsureExistingResourcesInRange) is only clamped
    (request <= limit). cpu and memory are always written; ephemeral-storage and each accelerator resource name when
    the container sets it. No runtime PodTemplate resources are read and no execution override applies."""
    rename = str(ctx.param("resource_name") or "")
    names = [str(n) for n in ctx.param("accelerator_names") or []]
    primary = ctx.var("primaryContainerName")
    defaults = {"cpu": ctx.node(ctx.param("default_cpu")), "memory": ctx.node(ctx.param("default_memory"))}
    options = {"cpu": ctx.param("default_cpu_option") or "default_cpu"}
    options["memory"] = ctx.param("default_memory_option") or "default_memory"

    def customize(container: Node, path: tuple, field: str) -> Node:
        name = str(container.value["name"].value) if "name" in container.value else ""
        assign = field == "containers" and name == primary
        resources = container.value.get("resources")
        requests = dict(resources.value.get("requests").value) if resources and resources.value.get("requests") else {}
        limits = dict(resources.value.get("limits").value) if resources and resources.value.get("limits") else {}
        for mapping in (requests, limits):  # SanitizeGPUResourceRequirements
            if "gpu" in mapping and rename:
                mapping[rename] = mapping.pop("gpu")
        wanted = ["cpu", "memory"]
        wanted += [n for n in ("ephemeral-storage", *names) if (n in requests or n in limits) and n not in wanted]
        for resource in wanted:
            request, limit, notes = requests.get(resource), limits.get(resource), []
            if assign:
                request, limit = _assign_defaults(
                    ctx, request, limit, defaults.get(resource), options.get(resource), notes
                )
            request = request if request is not None else ctx.node("0")
            limit = limit if limit is not None else ctx.node("0")
            request, limit = _clamp(ctx, request, limit, None, notes)
            requests[resource], limits[resource] = request, limit
            if ctx.tracing and notes:
                note = "; ".join(notes)
                for kind, node in (("requests", request), ("limits", limit)):
                    ctx.emit(
                        "set", path + ("resources", kind, resource), source=node.source, value=node.value, note=note
                    )
        children = dict(container.value)
        children["resources"] = ctx.node(
            {"limits": ctx.node(limits), "requests": ctx.node(requests)}, resources.source if resources else ctx.source
        )
        return Node(children, container.source, container.rule)

    _each_container(ctx, customize)


# ---------------------------------------------------------------------------------------------------------------
# What a pack does not model, said where it would apply


@transform("not-modelled", at="value", note="value", required=("note",))
def not_modelled(ctx: Context) -> None:
    """A warning at ``at`` (a scenario path) that the pack does not model this part of Flyte's behaviour, with the
    rule's ``note``: the rule's ``when`` says when the part applies. It writes nothing."""
    at = ctx.param("at") or ""
    ctx.warn(tuple(at.split(".")) if at else (), value=None, note=ctx.param("note"))


# ---------------------------------------------------------------------------------------------------------------
# Co-pilot: AddCoPilotToPod returns only an error at 6fadb90 (copilot.go:265), so the primary init container name
# ApplyFlytePodConfiguration passes to the template merges stays "" (pod_helper.go:657)


@transform("flyte2-primary-init-container-name", sets=("primaryInitContainerName",))
def primary_init_container_name(ctx: Context) -> None:
    """primaryInitContainerName is always empty: no init container is the primary one for ``primary-init``."""
    ctx.set_var("primaryInitContainerName", "")


# ---------------------------------------------------------------------------------------------------------------
# Scheduling: AddRequiredNodeSelectorRequirements with containsNodeSelectorRequirement (pod_helper.go:97-139),
# addTolerationInPodSpec (:766-779), ApplyGPUNodeSelectors (:371-450), the MIG label (:54, :66-77, :698-705)

_TERMS = ("spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")


def _same_requirement(a: Any, b: dict) -> bool:
    a = a if isinstance(a, dict) else {}
    return (
        (a.get("key") or "") == (b.get("key") or "")
        and (a.get("operator") or "") == (b.get("operator") or "")
        and list(a.get("values") or []) == list(b.get("values") or [])
    )


def add_required_requirement(ctx: Context, requirement: dict, note: str | None = None) -> None:
    """AddRequiredNodeSelectorRequirements at 6fadb90: with no term, one term holding the requirement; else the
    requirement appended to every term that does not already hold an identical one (key, operator, values)."""
    terms = ctx.get(_TERMS)
    if terms is None or not terms.value:
        new_terms = ctx.node([ctx.node({"matchExpressions": ctx.node([wrap(requirement, ctx.source, ctx.rule)])})])
        ctx.set(_TERMS, new_terms)
        if ctx.tracing:
            ctx.emit("set", _TERMS, value=new_terms, note=note)
        return
    updated = []
    for index, term in enumerate(terms.value):
        expressions = term.value.get("matchExpressions") if isinstance(term.value, dict) else None
        items = list(expressions.value) if expressions is not None else []
        if any(_same_requirement(plain(item), requirement) for item in items):
            updated.append(term)
            if ctx.tracing:
                ctx.emit(
                    "drop",
                    _TERMS + (index, "matchExpressions"),
                    value=requirement,
                    note="the term already holds this requirement: Flyte 2 does not add it twice "
                    "(containsNodeSelectorRequirement)",
                )
            continue
        items.append(wrap(requirement, ctx.source, ctx.rule))
        children = dict(term.value)
        children["matchExpressions"] = ctx.node(items)
        updated.append(Node(children, term.source, term.rule))
        if ctx.tracing:
            ctx.emit(
                "append",
                _TERMS + (index, "matchExpressions", len(items) - 1),
                value=requirement,
                note=note or "added to every required node-selector term (AND)",
            )
    ctx.set(_TERMS, Node(updated, terms.source, terms.rule))


@transform(
    "flyte2-interruptible-node-affinity",
    writes=("spec.affinity",),
    interruptible="expression",
    interruptible_requirement="expression",
    non_interruptible_requirement="expression",
)
def interruptible_node_affinity(ctx: Context) -> None:
    """ApplyInterruptibleNodeAffinity (pod_helper.go:180-186): the affinity made non-nil, the (non-)interruptible
    requirement added to every required term that does not hold it yet."""
    interruptible = bool(ctx.param("interruptible"))
    requirement = ctx.param("interruptible_requirement" if interruptible else "non_interruptible_requirement")
    if ctx.get(("spec", "affinity")) is None:
        ctx.set(("spec", "affinity"), ctx.node({}))
        if ctx.tracing:
            ctx.emit(
                "set",
                ("spec", "affinity"),
                value={},
                note="FlytePropeller always makes the pod's affinity non-nil (ApplyInterruptibleNodeAffinity)",
            )
    if requirement:
        add_required_requirement(ctx, requirement)


@transform(
    "flyte2-gpu-node-selectors",
    writes=("spec.affinity", "spec.tolerations"),
    accelerator="expression",
    config="expression",
    accelerator_names="expression",
)
def gpu_node_selectors(ctx: Context) -> None:
    """ApplyGPUNodeSelectors at 6fadb90: only if some container (not an init container) has a *limit* on any
    accelerator resource name; then the class's device label with the normalised device (requirement and NoSchedule
    toleration), and the partition: ``unpartitioned`` adds the class's requirement (default: partition label
    DoesNotExist) and its toleration if configured, a partition size its requirement and toleration. Requirements
    and tolerations already present are not added again."""
    accelerator = ctx.param("accelerator")
    if accelerator is None:
        return
    config = ctx.param("config") or {}
    names = set(ctx.param("accelerator_names") or [])
    containers = ctx.get(("spec", "containers"))
    uses = any(
        names & set((plain(c.value.get("resources")) or {}).get("limits") or {})
        for c in (containers.value if containers else [])
        if isinstance(c.value, dict)
    )
    if not uses:
        if ctx.tracing:
            ctx.emit(
                "drop",
                ("spec", "affinity"),
                value=accelerator,
                note=f"no container has a limit on an accelerator resource ({', '.join(sorted(names))}), so the "
                "accelerator adds no node selector (podRequiresAccelerator)",
            )
        return
    if ctx.get(("spec", "affinity")) is None:
        ctx.set(("spec", "affinity"), ctx.node({}))
    device_label = config.get("deviceNodeLabel") or ""
    partition_label = config.get("partitionSizeNodeLabel") or ""
    device = config.get("device")
    if device:
        raw = accelerator.get("device")
        note = f"device {raw!r} normalised by accelerator-devices" if device != raw else None
        add_required_requirement(ctx, {"key": device_label, "operator": "In", "values": [device]}, note)
        add_toleration_once(
            ctx,
            {"key": device_label, "value": device, "operator": "Equal", "effect": "NoSchedule"},
            note="accelerator device toleration (ApplyGPUNodeSelectors)",
        )
    requirement = toleration = None
    if accelerator.get("unpartitioned"):
        requirement = config.get("unpartitionedNodeSelectorRequirement") or {
            "key": partition_label,
            "operator": "DoesNotExist",
        }
        toleration = config.get("unpartitionedToleration")
    elif accelerator.get("partitionSize"):
        size = accelerator["partitionSize"]
        requirement = {"key": partition_label, "operator": "In", "values": [size]}
        toleration = {"key": partition_label, "value": size, "operator": "Equal", "effect": "NoSchedule"}
    if requirement:
        add_required_requirement(ctx, requirement)
    if toleration:
        add_toleration_once(ctx, toleration, note="accelerator partition toleration (ApplyGPUNodeSelectors)")


GPU_PARTITION_SLICES_LABEL = "platform.union.ai/gpu-partition-slices"
_MIG_PARTITION = re.compile(r"^([0-9]+)g\.[0-9]+gb$")  # Go's \d is ASCII only


@transform("gpu-partition-slices-label", writes=("metadata.labels",), partition_size="expression")
def gpu_partition_slices_label(ctx: Context) -> None:
    """parseMigSlices: a MIG partition size ``<N>g.<M>gb`` labels the pod with N, the compute slices it uses,
    whether or not a container asks for an accelerator."""
    size = ctx.param("partition_size")
    match = _MIG_PARTITION.match(str(size)) if isinstance(size, str) else None
    if match is None:
        return
    at = ("metadata", "labels", GPU_PARTITION_SLICES_LABEL)
    ctx.set(at, ctx.node(match.group(1)))
    if ctx.tracing:
        ctx.emit("set", at, value=match.group(1), note=f"the compute slices of MIG partition {size!r}")


# ---------------------------------------------------------------------------------------------------------------
# The pod plugin's VSCode readiness probe (plugins/k8s/pod/plugin.go:126-154, IsVscodeEnabled pod_helper.go:724-738)

_GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_GO_BOOL = _GO_TRUE | {"0", "f", "F", "FALSE", "false", "False"}


@transform("vscode-readiness-probe", writes=("spec.containers",))
def vscode_readiness_probe(ctx: Context) -> None:
    """The primary container (or the only one) whose ``_F_E_VS`` env var parses as true gets an HTTP readiness
    probe on port 6060 when it has an ACTION_NAME env var (always, on Flyte 2), else 8080; it replaces any readiness
    probe it had."""
    containers = ctx.get(("spec", "containers"))
    items = list(containers.value) if containers else []
    primary = ctx.var("primaryContainerName")
    for index, container in enumerate(items):
        name = str(container.value["name"].value) if "name" in container.value else ""
        if len(items) > 1 and name != primary:
            continue
        env = container.value.get("env")
        names = [node_key(item, "name") for item in env.value] if env is not None else []  # env is keyed by name
        flag = env.value[names.index("_F_E_VS")] if "_F_E_VS" in names else None
        value_node = get(flag, "value")
        value = "" if value_node is None else str(value_node.value or "")
        if value not in _GO_TRUE:
            break
        port = 6060 if "ACTION_NAME" in names else 8080
        probe = {"httpGet": {"port": port}, "initialDelaySeconds": 15, "periodSeconds": 5, "failureThreshold": 50}
        children = dict(container.value)
        children["readinessProbe"] = wrap(probe, ctx.source, ctx.rule)
        items[index] = Node(children, container.source, container.rule)
        ctx.set(("spec", "containers"), Node(items, containers.source, containers.rule))
        if ctx.tracing:
            ctx.emit(
                "set",
                ("spec", "containers", _paths.Key("name", name), "readinessProbe"),
                value=probe,
                note=f"_F_E_VS={value}: the VSCode server's readiness probe, port {port}"
                + (" (the container has ACTION_NAME)" if port == 6060 else ""),
            )
