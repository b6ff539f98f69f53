"""Named transforms: the Flyte steps that are not a plain merge, in one registry keyed by the name packs use.

Each transform is ``fn(evaluation, entry)``; its parameters (declared in ``fn.params``: ``"expression"`` for a
JMESPath evaluated against the scenario context, ``"value"`` for a literal) come from the rule that names it, so
the pack shows every step and what it reads. A transform writes through the evaluation (``set_at``), records
what it did as trace events, and never mutates scenario data.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Callable

from . import paths as _paths
from .flytekit import serialize_pod_template
from .tree import Node, plain, wrap

TRANSFORMS: dict[str, Callable] = {}

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def transform(transform_name: str, **params: str) -> Callable:
    def register(fn: Callable) -> Callable:
        fn.params = params  # type: ignore[attr-defined]
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
                                                           default_image=ev.param(entry, "default_image"))


@transform("k8s-pod-target", k8s_pod="expression", primary_container_name="expression", origin="value")
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


@transform("container-target", container="expression", name="expression", name_source="value", origin="value")
def container_target(ev, entry) -> None:
    """The container target (BuildRawContainer): one container named after the execution's generated pod name
    (a random 4-character name if that is not a DNS-1123 label), with the task's image, command, args, env and
    resources."""
    container = ev.param(entry, "container") or {}
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


@transform("pod-template-override", k8s_pod="expression", origin="value")
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


@transform("resolve-pod-template", task_name="expression", default_name="expression", namespace="expression",
           fallback_namespace="expression", templates="expression", task_name_source="value",
           default_source="value", config_source="value")
def resolve_pod_template(ev, entry) -> None:
    """Find the runtime PodTemplate: the task's ``pod_template_name`` if it has one (then the default name is
    ignored, and a missing template fails the task), else ``default-pod-template-name`` (a missing one means no
    merge). Each name is looked up in the execution namespace, then in FlytePropeller's own namespace."""
    task_name = ev.param(entry, "task_name") or ""
    default_name = ev.param(entry, "default_name") or ""
    namespace = ev.param(entry, "namespace") or ""
    fallback = ev.param(entry, "fallback_namespace") or "flyte"
    templates = ev.param(entry, "templates") or []
    by_key: dict = {}
    for template in templates:  # the informer's store: the last object seen for a namespace/name wins
        meta = template.get("metadata") or {}
        by_key[(meta.get("namespace") or "", meta.get("name") or "")] = template
    name = task_name or default_name
    source = entry.params.get("task_name_source" if task_name else "default_source", entry.source)
    ev.vars["runtimeTemplate"] = None
    ev.vars["runtimeTemplateSource"] = None
    if not name:
        return
    found = by_key.get((namespace, name)) or by_key.get((fallback, name))
    if found is None:
        if task_name:
            ev.fail(entry, "pod_template_not_found", f"PodTemplate '{task_name}' does not exist",
                    path=("task", "podTemplateName"),
                    hint=f"FlytePropeller looked in namespace {namespace!r}, then {fallback!r}; the task fails "
                         "permanently (FailedToBuildResource), it does not wait")
        if ev.tracing:
            ev.emit("drop", ("spec",), entry.params.get("config_source", entry.source), entry.id, value=default_name,
                    note=f"default-pod-template-name {default_name!r} names no PodTemplate in {namespace!r} or "
                         f"{fallback!r}: no runtime template is merged")
        return
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
    ev.add_source(source, origin)


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
        ev.fail(entry, "primary_container_missing",
                f"invalid TaskSpecification, primary container [{primary}] not defined",
                path=("spec", "containers"),
                hint=f"the pod spec has containers {names}; name one of them {primary!r}, or set "
                     "primary_container_name to one of them")


@transform("interruptible-node-affinity", interruptible="expression", interruptible_requirement="expression",
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


@transform("merge-onto-template", template="expression", profile="value", metadata_profile="value")
def merge_onto_template(ev, entry) -> None:
    """MergeWithBasePodTemplate: ``MergeBasePodSpecOntoTemplate(template.spec, podSpec, primary,
    primaryInit)`` (the pod built so far is laid over the template: mergo with the task winning on non-empty
    values, the template's lists first, containers matched through the template's ``default``/``primary``
    containers), then the template's metadata under the pod's."""
    template = ev.param(entry, "template")
    if template is None:
        return
    spec_template = ((template.get("template") or {}).get("spec")) or {}
    meta_template = ((template.get("template") or {}).get("metadata")) or {}
    for field, lower, profile_id in (("spec", spec_template, entry.params.get("profile", "pod-spec")),
                                     ("metadata", meta_template, entry.params.get("metadata_profile", "mergo"))):
        merger = ev.merger(entry, profile_id, incoming_is_higher=False)
        position = ev.position_of((field,))
        merged = merger.merge(position, wrap(lower, entry.source, entry.id), ev.get_at((field,)))
        ev.set_at((field,), merged, entry.source, entry.id)
