"""Named transforms: the Flyte steps that are not a plain merge, registered under the name packs use.

Each transform is ``fn(context)`` with a declaration (``engine.pack.transform_api``: its parameters and their kinds,
what it reads, writes and the variables it sets); its parameters come from the rule that names it, so the pack
shows every step and what it reads. A transform writes through its context, records what it did as trace events,
and never mutates scenario data.

This module holds the steps that build the target Pod and its PodTemplate (P2 BuildRawPod, P3.1 the base
PodTemplate, P3.8 MergeWithBasePodTemplate) and the system labels (P0). The steps for every container's env and
resources are in ``engine.eval.containers``, node placement in ``engine.eval.placement``, co-pilot in
``engine.eval.copilot``; ``engine.eval.__init__`` imports each so that they register.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from ..inputs.flytekit import serialize_pod_template
from ..k8s import paths as _paths
from ..k8s.tree import copy_plain, wrap
from ..pack.generated_names import fnv32a
from ..pack.transform_api import Context, transform

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


# ---------------------------------------------------------------------------------------------------------------
# P2: BuildRawPod (flytek8s/pod_helper.go) and flytekit's serialization of the compile-time PodTemplate


@transform(
    "flytekit-serialize",
    pod_template="expression",
    container="expression",
    default_image="expression",
    into="variable",
    required=("into",),
)
def flytekit_serialize(ctx: Context) -> None:
    """flytekit's ``_serialize_pod_spec`` (flytekit/core/utils.py): the authoring view ``@task(pod_template=...)``
    plus the task container become the registered ``k8s_pod`` target, kept in ``vars[into]``."""
    template = ctx.param("pod_template")
    container = ctx.param("container") or {}
    ctx.set_var(
        ctx.param("into"),
        serialize_pod_template(template, container, default_image=ctx.param("default_image"), normalised=True),
    )


@transform(
    "k8s-pod-target",
    writes=("spec", "metadata.labels", "metadata.annotations"),
    sets=("primaryContainerName",),
    k8s_pod="expression",
    primary_container_name="expression",
    origin="value",
)
def k8s_pod_target(ctx: Context) -> None:
    """The K8sPod target: the pod spec and metadata of ``TaskTemplate.k8s_pod``; the primary container's name
    from ``TaskTemplate.config["primary_container_name"]`` (BuildRawPod)."""
    k8s_pod = ctx.param("k8s_pod") or {}
    pod_spec = k8s_pod.get("podSpec")
    if pod_spec is None:
        ctx.fail(
            "k8s_pod_without_pod_spec",
            "Pod tasks with task type version > 1 should specify their target as a K8sPod with a defined pod spec",
            path=("task", "k8sPod", "podSpec"),
        )
    primary = ctx.param("primary_container_name")
    if primary is None:
        ctx.fail(
            "primary_container_name_missing",
            "invalid TaskSpecification, config missing [primary_container_name] key in [map[]]",
            path=("task", "config"),
            hint="set task.config.primary_container_name (flytekit sets it from PodTemplate.primary_container_name)",
        )
    ctx.set_var("primaryContainerName", primary)
    ctx.add_source(ctx.param("origin", ctx.source))
    spec = wrap(pod_spec, ctx.source, ctx.rule)
    ctx.set(("spec",), spec)
    if ctx.tracing:
        ctx.emit("set", ("spec",), value=spec)
    metadata = k8s_pod.get("metadata") or {}
    for field in ("labels", "annotations"):
        if metadata.get(field):
            node = wrap(metadata[field], ctx.source, ctx.rule)
            ctx.set(("metadata", field), node)
            if ctx.tracing:
                for key, value in metadata[field].items():
                    ctx.emit("set", ("metadata", field, key), value=value)


@transform(
    "container-target",
    writes=("spec.containers",),
    sets=("primaryContainerName",),
    container="expression",
    name="expression",
    name_source="value",
    origin="value",
)
def container_target(ctx: Context) -> None:
    """The container target (BuildRawContainer): one container named after the execution's generated pod name
    (a random 4-character name if that is not a DNS-1123 label), with the task's image, command, args, env and
    resources."""
    container = ctx.param("container")
    if container is None:  # BuildRawPod: neither a Container nor a K8sPod target (flytek8s/pod_helper.go)
        ctx.fail(
            "no_task_target",
            "invalid TaskSpecification, unable to determine Pod configuration",
            path=("task",),
            hint="FlytePropeller fails the task (BadTaskSpecification): give the task a "
            "container (task.container) or a pod spec (task.podTemplate or task.k8sPod)",
        )
    name = ctx.param("name") or ""
    note = None
    if not _DNS1123_LABEL.match(name) or len(name) > 63:
        # Flyte uses rand.String(4) here; podeval uses a fixed stand-in so that output stays deterministic.
        note = f"{name!r} is not a DNS-1123 label: Flyte names the container with 4 random characters"
        name = "xxxx"
    built: dict[str, Any] = {}
    for field in ("image", "command", "args", "env", "resources"):
        if container.get(field) not in (None, "", [], {}):
            built[field] = container[field]  # no copy: ``wrap`` builds new containers and shares only scalars
    node = wrap(built, ctx.source, ctx.rule)
    node.value = {"name": ctx.node(name, ctx.param("name_source", ctx.source)), **node.value}
    ctx.set_var("primaryContainerName", name)
    ctx.add_source(ctx.param("origin", ctx.source))
    ctx.set(("spec", "containers"), ctx.node([node]))
    if ctx.tracing:
        ctx.emit("set", ("spec", "containers", _paths.Key("name", name)), value=node, note=note)


@transform(
    "pod-template-override",
    writes=("spec", "metadata.labels", "metadata.annotations"),
    sets=("primaryContainerName",),
    k8s_pod="expression",
    origin="value",
)
def pod_template_override(ctx: Context) -> None:
    """ApplyPodTemplateOverride: ``with_overrides(pod_template=...)`` replaces the whole pod spec (the task's own
    container or pod spec is thrown away, not merged); its labels and annotations are merged over the task's; its
    primary container name becomes the primary."""
    k8s_pod = ctx.param("k8s_pod") or {}
    if k8s_pod.get("podSpec") is None:
        return
    ctx.add_source(ctx.param("origin", ctx.source))
    previous = ctx.get(("spec",))
    if ctx.tracing and previous is not None and previous.value:
        ctx.emit(
            "drop",
            ("spec",),
            source=previous.source,
            value=previous,
            note="with_overrides(pod_template=...) replaces the task's pod spec whole (ApplyPodTemplateOverride)",
        )
    spec = wrap(k8s_pod["podSpec"], ctx.source, ctx.rule)
    ctx.set(("spec",), spec)
    if ctx.tracing:
        ctx.emit("set", ("spec",), value=spec)
    for field in ("labels", "annotations"):
        values = (k8s_pod.get("metadata") or {}).get(field) or {}
        for key, value in values.items():
            current = ctx.get(("metadata", field, key))
            ctx.set(("metadata", field, key), ctx.node(value))
            if ctx.tracing:
                if current is None:
                    ctx.emit("set", ("metadata", field, key), value=value)
                else:
                    ctx.emit(
                        "override",
                        ("metadata", field, key),
                        value=value,
                        previous=current.value,
                        previous_source=current.source,
                    )
    primary = (k8s_pod.get("config") or {}).get("primary_container_name") or k8s_pod.get("primaryContainerName") or ""
    ctx.set_var("primaryContainerName", primary)


# ---------------------------------------------------------------------------------------------------------------
# P3.1 getBasePodTemplate + PodTemplateStore.LoadOrDefault (flytek8s/pod_helper.go, pod_template_store.go)


@transform(
    "resolve-pod-template",
    reads=("cluster",),
    sets=("runtimeTemplate", "runtimeTemplateSource", "runtimeTemplateIndex"),
    task_name="expression",
    default_name="expression",
    namespace="expression",
    fallback_namespace="expression",
    templates="expression",
    task_name_source="value",
    default_source="value",
    config_source="value",
    default_name_option="value",
)
def resolve_pod_template(ctx: Context) -> None:
    """Find the runtime PodTemplate: the task's ``pod_template_name`` if it has one (then the default name is
    ignored, and a missing template fails the task), else ``default-pod-template-name`` (a missing one means no
    merge, and a warning at the option ``default_name_option``). Each name is looked up in the execution namespace,
    then in FlytePropeller's own namespace."""
    task_name = ctx.param("task_name") or ""
    default_name = ctx.param("default_name") or ""
    namespace = ctx.param("namespace") or ""
    fallback = ctx.param("fallback_namespace") or ""
    templates = ctx.param("templates") or []
    by_key: dict = {}
    for index, template in enumerate(templates):  # the informer's store: the last object seen for a namespace/name wins
        meta = template.get("metadata") or {}
        by_key[(meta.get("namespace") or "", meta.get("name") or "")] = (index, template)
    name = task_name or default_name
    source = ctx.param("task_name_source" if task_name else "default_source", ctx.source)
    ctx.set_var("runtimeTemplate", None)
    ctx.set_var("runtimeTemplateSource", None)
    ctx.set_var("runtimeTemplateIndex", None)
    if not name:
        return
    found = by_key.get((namespace, name)) or by_key.get((fallback, name))
    if found is None:
        looked = f"namespace {_namespace(namespace)} (the execution's), then {_namespace(fallback)} (its own)"
        missed = _missed_pod_template(by_key, name, (namespace, fallback))
        if task_name:  # getBasePodTemplate: a named template that does not exist is an error (BadTaskSpecification)
            ctx.fail(
                "pod_template_not_found",
                f"PodTemplate '{task_name}' does not exist",
                path=("task", "podTemplateName"),
                hint=f"FlytePropeller looked in {looked}; the task fails permanently (FailedToBuildResource), "
                f"it does not wait{missed}",
            )
        # getBasePodTemplate: a missing default template is no template, silently (LoadOrDefault returns nil)
        option = ctx.param("default_name_option")
        ctx.warn(
            ("propeller", "config") + ((option,) if option else ()),
            source=ctx.param("config_source", ctx.source),
            value=default_name,
            note=f"{option or 'the default PodTemplate name'} {default_name!r} matches no PodTemplate: "
            f"FlytePropeller looks in {looked}, finds none and merges no runtime template (no error){missed}",
        )
        return
    index, found = found
    meta = found.get("metadata") or {}
    origin = f"podTemplates[{meta.get('namespace', '')}/{meta.get('name', '')}]"
    if meta.get("resourceVersion"):
        origin += f"@{meta['resourceVersion']}"
    cluster = ctx.read(("cluster", "context")) if isinstance(ctx.read(("cluster",)), dict) else None
    if cluster:
        origin = f"cluster {cluster}: {origin}"
    ctx.set_var("runtimeTemplate", copy_plain(found))
    ctx.set_var("runtimeTemplateSource", source)
    ctx.set_var("runtimeTemplateIndex", index)
    ctx.add_source(origin, source)


def _namespace(namespace: str) -> str:
    return repr(namespace) if namespace else "'' (none)"


def _missed_pod_template(by_key: dict, name: str, looked_in: tuple) -> str:
    """What the user may have meant by a PodTemplate name found in neither namespace FlytePropeller looks in: the
    same name in another namespace (PodTemplateStore.LoadOrDefault never looks there), the nearest name in the two
    namespaces it looks in."""
    said = []
    elsewhere = sorted({ns for ns, n in by_key if n == name and ns not in looked_in})
    if elsewhere:
        said.append(
            f"a PodTemplate {name!r} is in namespace {', '.join(_namespace(ns) for ns in elsewhere)}, where "
            "FlytePropeller does not look"
        )
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
# P3.8 MergeWithBasePodTemplate


@transform(
    "merge-onto-template",
    writes=("spec", "metadata"),
    template="expression",
    profile="value",
    metadata_profile="value",
    required=("profile", "metadata_profile"),
)
def merge_onto_template(ctx: Context) -> None:
    """MergeWithBasePodTemplate: ``MergeBasePodSpecOntoTemplate(template.spec, podSpec, primary,
    primaryInit)`` (the pod built so far is laid over the template: mergo with the task winning on non-empty
    values, the template's lists first, containers matched through the template's ``default``/``primary``
    containers), then the template's metadata under the pod's."""
    template = ctx.param("template")
    if template is None:
        return
    spec_template = ((template.get("template") or {}).get("spec")) or {}
    terms_path = ("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
    template_terms = spec_template
    for field in terms_path:
        template_terms = (template_terms or {}).get(field) if isinstance(template_terms, dict) else None
    task_terms = ctx.get(("spec",) + terms_path)
    if template_terms and task_terms is not None and task_terms.value:  # warnings are kept even without a trace
        ctx.warn(
            ("spec",) + terms_path,
            value=template_terms,
            note="the template's required node-selector terms are appended as separate terms, which Kubernetes "
            "ORs: a node matching a template term alone satisfies the pod, without the requirements Flyte "
            "added to the task's terms (interruptible, GPU)",
        )
    meta_template = ((template.get("template") or {}).get("metadata")) or {}
    template_meta = template.get("metadata") or {}
    identity = f"PodTemplate {template_meta.get('namespace') or ''}/{template_meta.get('name') or ''}"
    index = ctx.var("runtimeTemplateIndex") if template is ctx.var("runtimeTemplate") else None

    def warn(path, source, rule, *, value=None, note, in_lower=False):
        # a part of the template that did nothing is named where the user wrote it: podTemplates[i].template.spec...
        if in_lower and index is not None:
            path = ("podTemplates", index, "template") + tuple(path)
        ctx.warn(path, source=source, rule=rule, value=value, note=f"{identity}: {note}" if in_lower else note)

    for field, lower, profile_id in (
        ("spec", spec_template, ctx.param("profile")),
        ("metadata", meta_template, ctx.param("metadata_profile")),
    ):
        ctx.merge((field,), wrap(lower, ctx.source, ctx.rule), profile_id, warn=warn)


# ---------------------------------------------------------------------------------------------------------------
# P0 system labels


@transform(
    "system-labels",
    sets=("systemLabels",),
    execution_id="expression",
    node_id="expression",
    task_id="expression",
    interruptible="expression",
    workflow="expression",
)
def system_labels(ctx: Context) -> None:
    """The labels FlytePropeller puts on every task Pod when it knows the execution: the FlyteWorkflow's
    execution-id, project, domain, workflow-name and shard-key (fnv32a of the execution id, mod 32), and the
    node's node-id, task-name and interruptible (newNodeExecContext, compiler transformers/k8s/workflow.go)."""
    execution_id = ctx.param("execution_id") or {}
    node_id = ctx.param("node_id")
    if not execution_id and not node_id:
        return
    labels: dict = {}
    if execution_id:
        name = str(execution_id.get("name", ""))
        labels["execution-id"] = name
        labels["project"] = str(execution_id.get("project", ""))
        labels["domain"] = str(execution_id.get("domain", ""))
        labels["shard-key"] = str(fnv32a(name.encode()) % 32)
        workflow = ctx.param("workflow")
        if workflow:
            labels["workflow-name"] = sanitize_label_value(str(workflow).split(":")[-1])
    if node_id:
        labels["node-id"] = sanitize_label_value(str(node_id))
        task_id = ctx.param("task_id") or {}
        if task_id.get("name"):
            labels["task-name"] = sanitize_label_value(str(task_id["name"]))
        labels["interruptible"] = "true" if ctx.param("interruptible") else "false"
    ctx.set_var("systemLabels", labels)


def sanitize_label_value(name: str) -> str:
    name = re.sub(r"[^-a-z0-9]+", "-", name.lower())[:63]
    return name.strip("-")
