"""Named transforms: the Flyte steps that are not a plain merge, in one registry keyed by the name packs use.

Each transform is ``fn(evaluation, entry)``; its parameters (declared in ``fn.params``: ``"expression"`` for a
JMESPath evaluated against the scenario context, ``"value"`` for a literal) come from the rule that names it, so
the pack shows every step and what it reads. A transform writes through the evaluation (``set_at``), records
what it did as trace events, and never mutates scenario data.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from . import paths as _paths
from . import quantity
from .flytekit import serialize_pod_template
from .tree import Node, plain, wrap

TRANSFORMS: dict[str, Callable] = {}

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def transform(transform_name: str, *, writes: tuple = (), reads: tuple = (), **params: str) -> Callable:
    """Register a transform. ``writes``: the Pod paths it may write (``podeval check`` looks for two unordered steps
    writing the same path); ``reads``: scenario paths it reads beyond its parameters."""

    def register(fn: Callable) -> Callable:
        fn.params = params  # type: ignore[attr-defined]
        fn.writes = writes  # type: ignore[attr-defined]
        fn.reads = reads  # type: ignore[attr-defined]
        fn.transform_name = transform_name  # type: ignore[attr-defined]
        TRANSFORMS[transform_name] = fn
        return fn

    return register


# ---------------------------------------------------------------------------------------------------------------
# P2: BuildRawPod (flytek8s/pod_helper.go) and flytekit's serialization of the compile-time PodTemplate


@transform("flytekit-serialize", pod_template="expression", container="expression", default_image="expression",
           into="value")
def flytekit_serialize(ev, entry) -> None:
    """flytekit's ``_serialize_pod_spec`` (flytekit/core/utils.py): the authoring view ``@task(pod_template=...)``
    plus the task container become the registered ``k8s_pod`` target, kept in ``vars[into]``."""
    template = ev.param(entry, "pod_template")
    container = ev.param(entry, "container") or {}
    ev.vars[entry.params["into"]] = serialize_pod_template(template, container,
                                                           default_image=ev.param(entry, "default_image"),
                                                           normalised=True)


@transform("k8s-pod-target", writes=("spec", "metadata.labels", "metadata.annotations"),  k8s_pod="expression", primary_container_name="expression", origin="value")
def k8s_pod_target(ev, entry) -> None:
    """The K8sPod target: the pod spec and metadata of ``TaskTemplate.k8s_pod``; the primary container's name
    from ``TaskTemplate.config["primary_container_name"]`` (BuildRawPod)."""
    k8s_pod = ev.param(entry, "k8s_pod") or {}
    pod_spec = k8s_pod.get("podSpec")
    if pod_spec is None:
        ev.fail(entry, "k8s_pod_without_pod_spec", "Pod tasks with task type version > 1 should specify their "
                "target as a K8sPod with a defined pod spec", path=("task", "k8sPod", "podSpec"))
    primary = ev.param(entry, "primary_container_name")
    if primary is None:
        ev.fail(entry, "primary_container_name_missing",
                "invalid TaskSpecification, config missing [primary_container_name] key in [map[]]",
                path=("task", "config"), hint="set task.config.primary_container_name (flytekit sets it from "
                "PodTemplate.primary_container_name)")
    ev.vars["primaryContainerName"] = primary
    ev.add_source(entry.source, entry.params.get("origin", "task"))
    spec = wrap(pod_spec, entry.source, entry.id)
    ev.set_at(("spec",), spec, entry.source, entry.id)
    if ev.tracing:
        ev.emit("set", ("spec",), entry.source, entry.id, value=plain(spec))
    metadata = k8s_pod.get("metadata") or {}
    for field in ("labels", "annotations"):
        if metadata.get(field):
            node = wrap(metadata[field], entry.source, entry.id)
            ev.set_at(("metadata", field), node, entry.source, entry.id)
            if ev.tracing:
                for key, value in metadata[field].items():
                    ev.emit("set", ("metadata", field, key), entry.source, entry.id, value=value)


@transform("container-target", writes=("spec.containers",),
           container="expression", name="expression", name_source="value", origin="value")
def container_target(ev, entry) -> None:
    """The container target (BuildRawContainer): one container named after the execution's generated pod name
    (a random 4-character name if that is not a DNS-1123 label), with the task's image, command, args, env and
    resources."""
    container = ev.param(entry, "container")
    if container is None:  # BuildRawPod: neither a Container nor a K8sPod target (flytek8s/pod_helper.go)
        ev.fail(entry, "no_task_target", "invalid TaskSpecification, unable to determine Pod configuration",
                path=("task",), hint="FlytePropeller fails the task (BadTaskSpecification): give the task a "
                "container (task.container) or a pod spec (task.podTemplate or task.k8sPod)")
    name = ev.param(entry, "name") or ""
    note = None
    if not _DNS1123_LABEL.match(name) or len(name) > 63:
        # Flyte uses rand.String(4) here; podeval uses a fixed stand-in so that output stays deterministic.
        note = f"{name!r} is not a DNS-1123 label: Flyte names the container with 4 random characters"
        name = "xxxx"
    built: dict[str, Any] = {}
    for field in ("image", "command", "args", "env", "resources"):
        if container.get(field) not in (None, "", [], {}):
            built[field] = copy.deepcopy(container[field])
    node = wrap(built, entry.source, entry.id)
    node.value = {"name": Node(name, entry.params.get("name_source", entry.source), entry.id), **node.value}
    ev.vars["primaryContainerName"] = name
    ev.add_source(entry.source, entry.params.get("origin", "task.container"))
    ev.set_at(("spec", "containers"), Node([node], entry.source, entry.id), entry.source, entry.id)
    if ev.tracing:
        ev.emit("set", ("spec", "containers", _paths.Key("name", name)), entry.source, entry.id,
                value=plain(node), note=note)


@transform("pod-template-override", writes=("spec", "metadata.labels", "metadata.annotations"),
           k8s_pod="expression", origin="value")
def pod_template_override(ev, entry) -> None:
    """ApplyPodTemplateOverride: ``with_overrides(pod_template=...)`` replaces the whole pod spec (the task's own
    container or pod spec is thrown away, not merged); its labels and annotations are merged over the task's; its
    primary container name becomes the primary."""
    k8s_pod = ev.param(entry, "k8s_pod") or {}
    if k8s_pod.get("podSpec") is None:
        return
    ev.add_source(entry.source, entry.params.get("origin", "execution.overrides.podTemplate"))
    previous = ev.get_at(("spec",))
    if ev.tracing and previous is not None and previous.value:
        ev.emit("drop", ("spec",), previous.source, entry.id, value=plain(previous),
                note="with_overrides(pod_template=...) replaces the task's pod spec whole (ApplyPodTemplateOverride)")
    spec = wrap(k8s_pod["podSpec"], entry.source, entry.id)
    ev.set_at(("spec",), spec, entry.source, entry.id)
    if ev.tracing:
        ev.emit("set", ("spec",), entry.source, entry.id, value=plain(spec))
    for field in ("labels", "annotations"):
        values = (k8s_pod.get("metadata") or {}).get(field) or {}
        for key, value in values.items():
            current = ev.get_at(("metadata", field, key))
            ev.set_at(("metadata", field, key), Node(value, entry.source, entry.id), entry.source, entry.id)
            if ev.tracing:
                if current is None:
                    ev.emit("set", ("metadata", field, key), entry.source, entry.id, value=value)
                else:
                    ev.emit("override", ("metadata", field, key), entry.source, entry.id, value=value,
                            previous=current.value, previous_source=current.source)
    primary = (k8s_pod.get("config") or {}).get("primary_container_name") or k8s_pod.get("primaryContainerName") or ""
    ev.vars["primaryContainerName"] = primary


# ---------------------------------------------------------------------------------------------------------------
# P3.1 getBasePodTemplate + PodTemplateStore.LoadOrDefault (flytek8s/pod_helper.go, pod_template_store.go)


@transform("resolve-pod-template", reads=("cluster",),
           task_name="expression", default_name="expression", namespace="expression",
           fallback_namespace="expression", templates="expression", task_name_source="value",
           default_source="value", config_source="value", default_name_option="value")
def resolve_pod_template(ev, entry) -> None:
    """Find the runtime PodTemplate: the task's ``pod_template_name`` if it has one (then the default name is
    ignored, and a missing template fails the task), else ``default-pod-template-name`` (a missing one means no
    merge, and a warning at the option ``default_name_option``). Each name is looked up in the execution namespace,
    then in FlytePropeller's own namespace."""
    task_name = ev.param(entry, "task_name") or ""
    default_name = ev.param(entry, "default_name") or ""
    namespace = ev.param(entry, "namespace") or ""
    fallback = ev.param(entry, "fallback_namespace") or "flyte"
    templates = ev.param(entry, "templates") or []
    by_key: dict = {}
    for index, template in enumerate(templates):  # the informer's store: the last object seen for a namespace/name wins
        meta = template.get("metadata") or {}
        by_key[(meta.get("namespace") or "", meta.get("name") or "")] = (index, template)
    name = task_name or default_name
    source = entry.params.get("task_name_source" if task_name else "default_source", entry.source)
    ev.vars["runtimeTemplate"] = None
    ev.vars["runtimeTemplateSource"] = None
    ev.vars["runtimeTemplateIndex"] = None
    if not name:
        return
    found = by_key.get((namespace, name)) or by_key.get((fallback, name))
    if found is None:
        looked = f"namespace {_namespace(namespace)} (the execution's), then {_namespace(fallback)} (its own)"
        missed = _missed_pod_template(by_key, name, (namespace, fallback))
        if task_name:  # getBasePodTemplate: a named template that does not exist is an error (BadTaskSpecification)
            ev.fail(entry, "pod_template_not_found", f"PodTemplate '{task_name}' does not exist",
                    path=("task", "podTemplateName"),
                    hint=f"FlytePropeller looked in {looked}; the task fails permanently (FailedToBuildResource), "
                         f"it does not wait{missed}")
        # getBasePodTemplate: a missing default template is no template, silently (LoadOrDefault returns nil)
        option = entry.params.get("default_name_option")
        ev.warn(("propeller", "config") + ((option,) if option else ()), entry.params.get("config_source",
                entry.source), entry.id, value=default_name,
                note=f"{option or 'the default PodTemplate name'} {default_name!r} matches no PodTemplate: "
                     f"FlytePropeller looks in {looked}, finds none and merges no runtime template (no error){missed}")
        return
    index, found = found
    meta = found.get("metadata") or {}
    origin = f"podTemplates[{meta.get('namespace', '')}/{meta.get('name', '')}]"
    if meta.get("resourceVersion"):
        origin += f"@{meta['resourceVersion']}"
    cluster = (ev.scenario.data.get("cluster") or {}).get("context") if isinstance(
        ev.scenario.data.get("cluster"), dict) else None
    if cluster:
        origin = f"cluster {cluster}: {origin}"
    ev.vars["runtimeTemplate"] = copy.deepcopy(found)
    ev.vars["runtimeTemplateSource"] = source
    ev.vars["runtimeTemplateIndex"] = index
    ev.add_source(source, origin)


def _namespace(namespace: str) -> str:
    return repr(namespace) if namespace else "'' (none)"


def _missed_pod_template(by_key: dict, name: str, looked_in: tuple) -> str:
    """What the user may have meant by a PodTemplate name found in neither namespace FlytePropeller looks in: the
    same name in another namespace (PodTemplateStore.LoadOrDefault never looks there), the nearest name in the two
    namespaces it looks in."""
    import difflib

    said = []
    elsewhere = sorted({ns for ns, n in by_key if n == name and ns not in looked_in})
    if elsewhere:
        said.append(f"a PodTemplate {name!r} is in namespace {', '.join(_namespace(ns) for ns in elsewhere)}, where "
                    "FlytePropeller does not look")
    nearby = sorted({n for ns, n in by_key if ns in looked_in})
    close = difflib.get_close_matches(name, nearby, n=1)
    if close:
        said.append(f"did you mean {close[0]!r}?")
    elif not by_key:
        said.append("the scenario has no PodTemplates at all (podTemplates, --pod-templates, --cluster)")
    elif not nearby:
        said.append("neither namespace has any PodTemplate")
    return "; " + "; ".join(said) if said else ""


# ---------------------------------------------------------------------------------------------------------------
# P3.4 and P3.6


@transform("require-primary-container")
def require_primary_container(ev, entry) -> None:
    """The pod spec must have a container named like the primary container before the template merge, so a
    template can never supply it (ApplyFlytePodConfiguration)."""
    primary = ev.vars.get("primaryContainerName") or ""
    containers = ev.get_at(("spec", "containers"))
    names = [str(c.value.get("name").value) for c in (containers.value if containers else [])
             if isinstance(c.value, dict) and c.value.get("name") is not None]
    if primary not in names:
        # name the containers where the user wrote them: the override's pod spec, or the task's
        owner = containers.source if containers is not None else ""
        data = ev.scenario.data
        if owner == "execution-override":
            where = ("execution", "overrides", "podTemplate", "podSpec", "containers")
        elif (data.get("task") or {}).get("podTemplate") is not None:
            where = ("task", "podTemplate", "podSpec", "containers")
        else:
            where = ("task", "k8sPod", "podSpec", "containers")
        ev.fail(entry, "primary_container_missing",
                f"invalid TaskSpecification, primary container [{primary}] not defined",
                path=where,
                hint=f"the pod spec has containers {names}; name one of them {primary!r}, or set "
                     "primary_container_name to one of them")


@transform("interruptible-node-affinity", writes=("spec.affinity",),
           interruptible="expression", interruptible_requirement="expression",
           non_interruptible_requirement="expression")
def interruptible_node_affinity(ev, entry) -> None:
    """ApplyInterruptibleNodeAffinity: the affinity is always made non-nil; the (non-)interruptible node selector
    requirement, if configured, is added to every required node-selector term (AND), or one term is created."""
    interruptible = bool(ev.param(entry, "interruptible"))
    requirement = ev.param(entry, "interruptible_requirement" if interruptible else "non_interruptible_requirement")
    affinity = ev.get_at(("spec", "affinity"))
    if affinity is None:
        ev.set_at(("spec", "affinity"), Node({}, entry.source, entry.id), entry.source, entry.id)
        if ev.tracing:
            ev.emit("set", ("spec", "affinity"), entry.source, entry.id, value={},
                    note="FlytePropeller always makes the pod's affinity non-nil (ApplyInterruptibleNodeAffinity)")
    if requirement:
        add_required_node_selector_requirement(ev, entry, requirement)


def add_required_node_selector_requirement(ev, entry, requirement: dict) -> None:
    """AddRequiredNodeSelectorRequirements: append the requirement to every required term, or create one."""
    base = ("spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
    terms = ev.get_at(base)
    if terms is None or not terms.value:
        new_terms = Node([Node({"matchExpressions": Node([wrap(requirement, entry.source, entry.id)], entry.source,
                                                          entry.id)}, entry.source, entry.id)], entry.source, entry.id)
        ev.set_at(base, new_terms, entry.source, entry.id)
        if ev.tracing:
            ev.emit("set", base, entry.source, entry.id, value=plain(new_terms))
        return
    updated = []
    for index, term in enumerate(terms.value):
        expressions = term.value.get("matchExpressions") if isinstance(term.value, dict) else None
        items = list(expressions.value) if expressions is not None else []
        items.append(wrap(requirement, entry.source, entry.id))
        children = dict(term.value)
        children["matchExpressions"] = Node(items, entry.source, entry.id)
        updated.append(Node(children, term.source, term.rule))
        if ev.tracing:
            ev.emit("append", base + (index, "matchExpressions", len(items) - 1), entry.source, entry.id,
                    value=requirement, note="added to every required node-selector term (AND)")
    ev.set_at(base, Node(updated, terms.source, terms.rule), entry.source, entry.id)


# ---------------------------------------------------------------------------------------------------------------
# P3.8 MergeWithBasePodTemplate


@transform("merge-onto-template", writes=("spec", "metadata"),
           template="expression", profile="value", metadata_profile="value")
def merge_onto_template(ev, entry) -> None:
    """MergeWithBasePodTemplate: ``MergeBasePodSpecOntoTemplate(template.spec, podSpec, primary,
    primaryInit)`` (the pod built so far is laid over the template: mergo with the task winning on non-empty
    values, the template's lists first, containers matched through the template's ``default``/``primary``
    containers), then the template's metadata under the pod's."""
    template = ev.param(entry, "template")
    if template is None:
        return
    spec_template = ((template.get("template") or {}).get("spec")) or {}
    terms_path = ("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
    template_terms = spec_template
    for field in terms_path:
        template_terms = (template_terms or {}).get(field) if isinstance(template_terms, dict) else None
    task_terms = ev.get_at(("spec",) + terms_path)
    if template_terms and task_terms is not None and task_terms.value:  # warnings are kept even without a trace
        ev.warn(("spec",) + terms_path, entry.source, entry.id, value=template_terms,
                note="the template's required node-selector terms are appended as separate terms, which Kubernetes "
                     "ORs: a node matching a template term alone satisfies the pod, without the requirements Flyte "
                     "added to the task's terms (interruptible, GPU)")
    meta_template = ((template.get("template") or {}).get("metadata")) or {}
    template_meta = template.get("metadata") or {}
    identity = f"PodTemplate {template_meta.get('namespace') or ''}/{template_meta.get('name') or ''}"
    index = ev.vars.get("runtimeTemplateIndex") if template is ev.vars.get("runtimeTemplate") else None

    def warn(path, source, rule, *, value=None, note, in_lower=False):
        # a part of the template that did nothing is named where the user wrote it: podTemplates[i].template.spec...
        if in_lower and index is not None:
            path = ("podTemplates", index, "template") + tuple(path)
        ev.warn(path, source, rule, value=value, note=f"{identity}: {note}" if in_lower else note)

    for field, lower, profile_id in (("spec", spec_template, entry.params.get("profile", "pod-spec")),
                                     ("metadata", meta_template, entry.params.get("metadata_profile", "mergo"))):
        merger = ev.merger(entry, profile_id, incoming_is_higher=False, warn=warn)
        position = ev.position_of((field,))
        merged = merger.merge(position, wrap(lower, entry.source, entry.id), ev.get_at((field,)))
        ev.set_at((field,), merged, entry.source, entry.id)


# ---------------------------------------------------------------------------------------------------------------
# P3.2-3 AddFlyteCustomizationsToContainerWithPodTemplate: env vars and resources of every task container


def _each_container(ev, entry, fn, fields=("initContainers", "containers")) -> None:
    """Apply ``fn(container_node, path, field) -> Node`` to every (init) container of the pod spec."""
    for field in fields:
        containers = ev.get_at(("spec", field))
        if containers is None or not isinstance(containers.value, list):
            continue
        items = list(containers.value)
        for index, item in enumerate(items):
            name = item.value.get("name") if isinstance(item.value, dict) else None
            segment = _paths.Key("name", str(name.value)) if name is not None and name.value else index
            items[index] = fn(item, ("spec", field, segment), field)
        ev.set_at(("spec", field), Node(items, containers.source, containers.rule), entry.source, entry.id)


def _sorted_env(mapping: Any, values_from: dict | None = None) -> list[dict]:
    if not mapping:
        return []
    if isinstance(mapping, list):
        return [dict(item) for item in mapping]
    # Go ranges over a map here, in random order; podeval sorts by name so that output is deterministic.
    if values_from is not None:
        return [{"name": key, "value": str(values_from.get(mapping[key], ""))} for key in sorted(mapping)]
    return [{"name": key, "value": "" if mapping[key] is None else str(mapping[key])} for key in sorted(mapping)]


def _sanitize_label_value(name: str) -> str:
    name = re.sub(r"[^-a-z0-9]+", "-", name.lower())[:63]
    return name.strip("-")


@transform("append-env", writes=("spec.containers", "spec.initContainers"),
           env="expression", values_from="expression", note="value")
def append_env(ev, entry) -> None:
    """DecorateEnvVars: env vars appended to every task container and init container (a map's keys in sorted order,
    where Go's map order is random)."""
    values_from = ev.param(entry, "values_from", {}) if "values_from" in entry.params else None
    _append_env_items(ev, entry, _sorted_env(ev.param(entry, "env"), values_from), entry.params.get("note"))


def _append_env_items(ev, entry, env: list[dict], note: str | None) -> None:
    if not env:
        return

    def add(container: Node, path: tuple, field: str) -> Node:
        children = dict(container.value)
        current = list(children["env"].value) if "env" in children and isinstance(children["env"].value, list) else []
        seen: dict = {}  # name -> items of that name so far (a repeated name is env[name=X#2] in the trace)
        if ev.tracing:
            for node in current:
                if isinstance(node.value, dict) and node.value.get("name") is not None:
                    seen[node.value["name"].value] = seen.get(node.value["name"].value, 0) + 1
        for item in env:
            current.append(wrap(item, entry.source, entry.id))
            if ev.tracing:
                occurrence = seen[item["name"]] = seen.get(item["name"], 0) + 1
                ev.emit("append", path + ("env", _paths.Key("name", item["name"], occurrence)), entry.source, entry.id,
                        value=item, note=note)
        children["env"] = Node(current, entry.source, entry.id)
        return Node(children, container.source, container.rule)

    _each_container(ev, entry, add)


@transform("flyte-execution-env", writes=("spec.containers", "spec.initContainers"),
           execution_id="expression", task_id="expression", attempt="expression")
def flyte_execution_env(ev, entry) -> None:
    """GetExecutionEnvVars: FLYTE_INTERNAL_EXECUTION_ID/PROJECT/DOMAIN, FLYTE_ATTEMPT_NUMBER and, with a task id,
    FLYTE_INTERNAL_TASK_PROJECT/DOMAIN/NAME/VERSION; none without an execution identity."""
    execution_id = ev.param(entry, "execution_id") or {}
    if not execution_id:
        return
    env = [
        {"name": "FLYTE_INTERNAL_EXECUTION_ID", "value": str(execution_id.get("name", ""))},
        {"name": "FLYTE_INTERNAL_EXECUTION_PROJECT", "value": str(execution_id.get("project", ""))},
        {"name": "FLYTE_INTERNAL_EXECUTION_DOMAIN", "value": str(execution_id.get("domain", ""))},
        {"name": "FLYTE_ATTEMPT_NUMBER", "value": str(ev.param(entry, "attempt") or 0)},
    ]
    task_id = ev.param(entry, "task_id") or {}
    if task_id:
        env += [{"name": f"FLYTE_INTERNAL_TASK_{part.upper()}", "value": str(task_id.get(part, ""))}
                for part in ("project", "domain", "name", "version")]
    _append_env_items(ev, entry, env, None)


@transform("append-env-from", writes=("spec.containers", "spec.initContainers"),
           secrets="expression", config_maps="expression")
def append_env_from(ev, entry) -> None:
    """DecorateEnvVars: an optional secretRef per default-env-from-secrets, then an optional configMapRef per
    default-env-from-configmaps, appended to envFrom of every task container and init container."""
    refs = [{"secretRef": {"name": name, "optional": True}} for name in ev.param(entry, "secrets") or []]
    refs += [{"configMapRef": {"name": name, "optional": True}} for name in ev.param(entry, "config_maps") or []]
    if not refs:
        return

    def add(container: Node, path: tuple, field: str) -> Node:
        children = dict(container.value)
        current = list(children["envFrom"].value) if "envFrom" in children else []
        for ref in refs:
            current.append(wrap(ref, entry.source, entry.id))
            if ev.tracing:
                ev.emit("append", path + ("envFrom", len(current) - 1), entry.source, entry.id, value=ref)
        children["envFrom"] = Node(current, entry.source, entry.id)
        return Node(children, container.source, container.rule)

    _each_container(ev, entry, add)


def _template_resources(template: dict | None, name: str, init: bool) -> dict:
    """ExtractContainerResourcesFromPodTemplate: the resources of ONE template container: the exact name, else
    primary(-init), else default(-init) (never a merge of them; `primary` applies to any container name)."""
    if not template:
        return {}
    spec = (template.get("template") or {}).get("spec") or {}
    containers = spec.get("initContainers" if init else "containers") or []
    for wanted in (name, "primary-init" if init else "primary", "default-init" if init else "default"):
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
        return quantity.value_of(a.value) > quantity.value_of(b.value)
    except quantity.QuantityError:
        return False


@transform("container-resources", writes=("spec.containers", "spec.initContainers"),
           overrides="expression", platform="expression", default_cpu="expression",
           default_memory="expression", gpu_resource_name="expression", template="expression",
           template_source="expression", platform_source="value", overrides_source="value")
def container_resources(ev, entry) -> None:
    """Resources of every task container (container_helper.go): ``gpu`` renamed to gpu-resource-name; for the
    primary container and init containers (MergeExistingResources) the execution override wins key by key, then the
    runtime template's resources fill missing names, then requests default to the limit or the platform default
    (default-cpus/default-memory when the platform has none) and limits to the request, clamped to the platform
    limit; other containers (EnsureExistingResourcesInRange) only get template fill-ins and the clamp. cpu and
    memory are always written, as zero quantities if nothing set them."""
    overrides = ev.param(entry, "overrides") or {}
    platform = ev.param(entry, "platform") or {}
    gpu_name = ev.param(entry, "gpu_resource_name") or "nvidia.com/gpu"
    template = ev.param(entry, "template")
    template_source = ev.param(entry, "template_source") or "runtime-template"
    platform_source = entry.params.get("platform_source", "execution")
    overrides_source = entry.params.get("overrides_source", "execution")
    primary = ev.vars.get("primaryContainerName")
    platform_requests = {k: Node(v, platform_source, entry.id) for k, v in (platform.get("requests") or {}).items()}
    default_from = {}
    for name, param, option in (("cpu", "default_cpu", "default-cpus"), ("memory", "default_memory", "default-memory")):
        if name not in platform_requests:
            platform_requests[name] = Node(ev.param(entry, param), entry.source, entry.id)
            default_from[name] = option
    platform_limits = {k: Node(v, platform_source, entry.id) for k, v in (platform.get("limits") or {}).items()}

    def customize(container: Node, path: tuple, field: str) -> Node:
        init = field == "initContainers"
        name = str(container.value["name"].value) if "name" in container.value else ""
        assign = init or name == primary
        resources = container.value.get("resources")
        requests = dict(resources.value.get("requests").value) if resources and resources.value.get("requests") else {}
        limits = dict(resources.value.get("limits").value) if resources and resources.value.get("limits") else {}
        for mapping in (requests, limits):  # SanitizeGPUResourceRequirements
            if "gpu" in mapping:
                mapping[gpu_name] = mapping.pop("gpu")
        if assign:  # MergeResources(overrides)
            for key, value in (overrides.get("requests") or {}).items():
                requests[key] = Node(value, overrides_source, entry.id)
            for key, value in (overrides.get("limits") or {}).items():
                limits[key] = Node(value, overrides_source, entry.id)
        fill = _template_resources(template, name, init) if template else {}
        for mapping, key_name in ((requests, "requests"), (limits, "limits")):  # MergeResourcesIfMissing
            for key, value in (fill.get(key_name) or {}).items():
                if key not in mapping:
                    mapping[key] = Node(value, template_source, entry.id)
        names = ["cpu", "memory"]
        for extra in ("ephemeral-storage", gpu_name):
            if extra in requests or extra in limits:
                names.append(extra)
        for resource in names:
            request, limit = requests.get(resource), limits.get(resource)
            platform_limit = platform_limits.get(resource)
            notes = []
            if assign:
                if _qty_zero(request):
                    if not _qty_zero(limit):
                        request = Node(limit.value, limit.source, entry.id)
                        notes.append("request defaults to the limit")
                    else:
                        default = platform_requests.get(resource)
                        request = Node(default.value if default is not None else "0",
                                       default.source if default is not None else entry.source, entry.id)
                        notes.append(f"request is the platform default ({default_from[resource]})"
                                     if resource in default_from else "request is the platform default request")
                if _qty_zero(limit):
                    limit = Node(request.value, request.source, entry.id)
                    notes.append("limit defaults to the request")
            request = request if request is not None else Node("0", entry.source, entry.id)
            limit = limit if limit is not None else Node("0", entry.source, entry.id)
            if platform_limit is not None and not _qty_zero(platform_limit):
                if not _qty_zero(request) and _qty_greater(request, platform_limit):
                    request = Node(platform_limit.value, platform_limit.source, entry.id)
                    notes.append("request clamped to the platform limit")
                if not _qty_zero(limit) and _qty_greater(limit, platform_limit):
                    limit = Node(platform_limit.value, platform_limit.source, entry.id)
                    notes.append("limit clamped to the platform limit")
            if not _qty_zero(request) and not _qty_zero(limit) and _qty_greater(request, limit):
                request = Node(limit.value, limit.source, entry.id)
                notes.append("request clamped to the limit")
            requests[resource], limits[resource] = request, limit
            if ev.tracing and notes:
                note = "; ".join(notes)
                for kind, node in (("requests", request), ("limits", limit)):
                    ev.emit("set", path + ("resources", kind, resource), node.source, entry.id, value=node.value,
                            note=note)
        children = dict(container.value)
        children["resources"] = Node({"limits": Node(limits, entry.source, entry.id),
                                      "requests": Node(requests, entry.source, entry.id)},
                                     resources.source if resources else entry.source, entry.id)
        return Node(children, container.source, container.rule)

    _each_container(ev, entry, customize)


# ---------------------------------------------------------------------------------------------------------------
# P3.6 GetPodTolerations, P3.9 extended resources


@transform("resource-tolerations", writes=("spec.tolerations",),
           tolerations="expression")
def resource_tolerations(ev, entry) -> None:
    """GetPodTolerations: the configured tolerations of every resource name any container requests or limits,
    put before the pod's own tolerations (the resource names in sorted order, where Go's set order is random)."""
    configured = ev.param(entry, "tolerations") or {}
    if not configured:
        return
    names: set = set()
    containers = ev.get_at(("spec", "containers"))
    for container in (containers.value if containers else []):
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
    current = ev.get_at(("spec", "tolerations"))
    items = [wrap(t, entry.source, entry.id) for t in added] + (list(current.value) if current else [])
    ev.set_at(("spec", "tolerations"), Node(items, entry.source, entry.id), entry.source, entry.id)
    if ev.tracing:
        for index, toleration in enumerate(added):
            ev.emit("append", ("spec", "tolerations", index), entry.source, entry.id, value=toleration,
                    note="resource-tolerations of a resource the containers use; they come first")


def _append_toleration(ev, entry, toleration: dict, note: str) -> None:
    current = ev.get_at(("spec", "tolerations"))
    items = (list(current.value) if current else []) + [wrap(toleration, entry.source, entry.id)]
    ev.set_at(("spec", "tolerations"), Node(items, entry.source, entry.id), entry.source, entry.id)
    if ev.tracing:
        ev.emit("append", ("spec", "tolerations", len(items) - 1), entry.source, entry.id, value=toleration, note=note)


@transform("gpu-node-selectors", writes=("spec.affinity", "spec.tolerations"),
           accelerator="expression", gpu_resource_name="expression", device_label="expression",
           partition_label="expression", unpartitioned_requirement="expression",
           unpartitioned_toleration="expression")
def gpu_node_selectors(ev, entry) -> None:
    """ApplyGPUNodeSelectors: only if some container has a GPU *limit*: a required node affinity on the device
    label plus a NoSchedule toleration; a partition size adds its own requirement and toleration; `unpartitioned`
    adds `partition-label DoesNotExist` (or the configured requirement) and the configured toleration."""
    accelerator = ev.param(entry, "accelerator") or {}
    if not accelerator:
        return
    gpu_name = ev.param(entry, "gpu_resource_name") or "nvidia.com/gpu"
    containers = ev.get_at(("spec", "containers"))
    uses_gpu = any(gpu_name in ((plain(c.value.get("resources")) or {}).get("limits") or {})
                   for c in (containers.value if containers else []) if isinstance(c.value, dict))
    if not uses_gpu:
        if ev.tracing:
            ev.emit("drop", ("spec", "affinity"), entry.source, entry.id, value=accelerator,
                    note=f"no container has a {gpu_name} limit, so the GPU accelerator adds no node selector")
        return
    if ev.get_at(("spec", "affinity")) is None:
        ev.set_at(("spec", "affinity"), Node({}, entry.source, entry.id), entry.source, entry.id)
    device_label = ev.param(entry, "device_label")
    partition_label = ev.param(entry, "partition_label")
    device = accelerator.get("device")
    if device:
        add_required_node_selector_requirement(ev, entry, {"key": device_label, "operator": "In", "values": [device]})
        _append_toleration(ev, entry, {"key": device_label, "value": device, "operator": "Equal",
                                       "effect": "NoSchedule"}, note="GPU device toleration (ApplyGPUNodeSelectors)")
    requirement = toleration = None
    if accelerator.get("unpartitioned"):
        requirement = ev.param(entry, "unpartitioned_requirement") or {"key": partition_label,
                                                                       "operator": "DoesNotExist"}
        toleration = ev.param(entry, "unpartitioned_toleration")
    elif accelerator.get("partitionSize"):
        size = accelerator["partitionSize"]
        requirement = {"key": partition_label, "operator": "In", "values": [size]}
        toleration = {"key": partition_label, "value": size, "operator": "Equal", "effect": "NoSchedule"}
    if requirement:
        add_required_node_selector_requirement(ev, entry, requirement)
    if toleration:
        _append_toleration(ev, entry, toleration, note="GPU partition toleration (ApplyGPUNodeSelectors)")


@transform("shared-memory", writes=("spec.volumes", "spec.containers"),
           shared_memory="expression")
def shared_memory(ev, entry) -> None:
    """ApplySharedMemory: an emptyDir {medium: Memory} volume and its mount on the primary container; a clash with
    an existing volume or mount (the template's included) fails the task."""
    spec = ev.param(entry, "shared_memory") or {}
    if not spec:
        return
    name, mount_path, size = spec.get("mountName") or "", spec.get("mountPath") or "", spec.get("sizeLimit") or ""
    where = ("task", "extendedResources", "sharedMemory")
    if not name:
        ev.fail(entry, "shared_memory_invalid", "mount name is not set", path=where + ("mountName",))
    if not mount_path:
        ev.fail(entry, "shared_memory_invalid", "mount path is not set", path=where + ("mountPath",))
    primary = ev.vars.get("primaryContainerName")
    volumes = plain(ev.get_at(("spec", "volumes"))) or []
    if any(v.get("name") == name for v in volumes):
        ev.fail(entry, "shared_memory_clash", f"A volume is already named {name} in pod spec",
                path=("spec", "volumes", _paths.Key("name", name)))
    container_path = ("spec", "containers", _paths.Key("name", primary))
    mounts = plain(ev.get_at(container_path + ("volumeMounts",))) or []
    for mount in mounts:
        if mount.get("name") == name:
            ev.fail(entry, "shared_memory_clash", f"A volume is already named {name} in container",
                    path=container_path + ("volumeMounts",))
        if mount.get("mountPath") == mount_path:
            ev.fail(entry, "shared_memory_clash", f"{mount_path} is already mounted in container",
                    path=container_path + ("volumeMounts",))
    if size:
        try:
            quantity.canonical(quantity.to_text(size))
        except quantity.QuantityError as exc:
            ev.fail(entry, "shared_memory_invalid", f"Unable to parse size limit: {exc}", path=where + ("sizeLimit",))
    # An unset size limit is still a non-nil pointer to a zero Quantity in Flyte: it prints as "0".
    volume = {"name": name, "emptyDir": {"medium": "Memory", "sizeLimit": size or "0"}}
    current = ev.get_at(("spec", "volumes"))
    ev.set_at(("spec", "volumes"), Node((list(current.value) if current else []) + [wrap(volume, entry.source, entry.id)],
                                        entry.source, entry.id), entry.source, entry.id)
    mount_node = ev.get_at(container_path + ("volumeMounts",))
    mount = {"name": name, "mountPath": mount_path}
    ev.set_at(container_path + ("volumeMounts",),
              Node((list(mount_node.value) if mount_node else []) + [wrap(mount, entry.source, entry.id)],
                   entry.source, entry.id), entry.source, entry.id)
    if ev.tracing:
        ev.emit("append", ("spec", "volumes", _paths.Key("name", name)), entry.source, entry.id, value=volume)
        ev.emit("append", container_path + ("volumeMounts", _paths.Key("mountPath", mount_path)), entry.source,
                entry.id, value=mount)


# ---------------------------------------------------------------------------------------------------------------
# P0 system labels


@transform("system-labels", execution_id="expression", node_id="expression", task_id="expression",
           interruptible="expression", workflow="expression")
def system_labels(ev, entry) -> None:
    """The labels FlytePropeller puts on every task Pod when it knows the execution: the FlyteWorkflow's
    execution-id, project, domain, workflow-name and shard-key (fnv32a of the execution id, mod 32), and the
    node's node-id, task-name and interruptible (newNodeExecContext, compiler transformers/k8s/workflow.go)."""
    execution_id = ev.param(entry, "execution_id") or {}
    node_id = ev.param(entry, "node_id")
    if not execution_id and not node_id:
        return
    labels: dict = {}
    if execution_id:
        name = str(execution_id.get("name", ""))
        labels["execution-id"] = name
        labels["project"] = str(execution_id.get("project", ""))
        labels["domain"] = str(execution_id.get("domain", ""))
        shard = 0x811C9DC5
        for byte in name.encode():
            shard = ((shard ^ byte) * 0x01000193) & 0xFFFFFFFF
        labels["shard-key"] = str(shard % 32)
        workflow = ev.param(entry, "workflow")
        if workflow:
            labels["workflow-name"] = _sanitize_label_value(str(workflow).split(":")[-1])
    if node_id:
        labels["node-id"] = _sanitize_label_value(str(node_id))
        task_id = ev.param(entry, "task_id") or {}
        if task_id.get("name"):
            labels["task-name"] = _sanitize_label_value(str(task_id["name"]))
        labels["interruptible"] = "true" if ev.param(entry, "interruptible") else "false"
    ev.vars["systemLabels"] = labels
from . import copilot as _copilot  # noqa: F401  (registers the co-pilot transforms: flytek8s/copilot.go)
