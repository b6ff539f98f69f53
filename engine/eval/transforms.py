"""Named transforms: the Flyte steps that are not a plain merge, registered under the name packs use.

Each transform is ``fn(context)`` with a declaration (``engine.pack.transform_api``: its parameters and their kinds,
what it reads, writes and the variables it sets); its parameters come from the rule that names it, so the pack
shows every step and what it reads. A transform writes through its context, records what it did as trace events,
and never mutates scenario data. The co-pilot transforms are in ``engine.eval.copilot``.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..inputs.flytekit import serialize_pod_template
from ..k8s import paths as _paths
from ..k8s import quantity
from ..k8s.tree import Node, plain, wrap
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
        ctx.emit("set", ("spec",), value=plain(spec))
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
            built[field] = copy.deepcopy(container[field])
    node = wrap(built, ctx.source, ctx.rule)
    node.value = {"name": ctx.node(name, ctx.param("name_source", ctx.source)), **node.value}
    ctx.set_var("primaryContainerName", name)
    ctx.add_source(ctx.param("origin", ctx.source))
    ctx.set(("spec", "containers"), ctx.node([node]))
    if ctx.tracing:
        ctx.emit("set", ("spec", "containers", _paths.Key("name", name)), value=plain(node), note=note)


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
            value=plain(previous),
            note="with_overrides(pod_template=...) replaces the task's pod spec whole (ApplyPodTemplateOverride)",
        )
    spec = wrap(k8s_pod["podSpec"], ctx.source, ctx.rule)
    ctx.set(("spec",), spec)
    if ctx.tracing:
        ctx.emit("set", ("spec",), value=plain(spec))
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
    ctx.set_var("runtimeTemplate", copy.deepcopy(found))
    ctx.set_var("runtimeTemplateSource", source)
    ctx.set_var("runtimeTemplateIndex", index)
    ctx.add_source(origin, source)


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
            ctx.emit("set", base, value=plain(new_terms))
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


def _sanitize_label_value(name: str) -> str:
    name = re.sub(r"[^-a-z0-9]+", "-", name.lower())[:63]
    return name.strip("-")


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

    def add(container: Node, path: tuple, field: str) -> Node:
        children = dict(container.value)
        current = list(children["env"].value) if "env" in children and isinstance(children["env"].value, list) else []
        seen: dict = {}  # name -> items of that name so far (a repeated name is env[name=X#2] in the trace)
        if ctx.tracing:
            for node in current:
                if isinstance(node.value, dict) and node.value.get("name") is not None:
                    seen[node.value["name"].value] = seen.get(node.value["name"].value, 0) + 1
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
        return quantity.value_of(a.value) > quantity.value_of(b.value)
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
    overrides_source="value",
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
    platform_requests = {k: ctx.node(v, platform_source) for k, v in (platform.get("requests") or {}).items()}
    default_from = {}
    for name, param in (("cpu", "default_cpu"), ("memory", "default_memory")):
        if name not in platform_requests:
            platform_requests[name] = ctx.node(ctx.param(param))
            default_from[name] = ctx.param(f"{param}_option") or param  # the option the note names
    platform_limits = {k: ctx.node(v, platform_source) for k, v in (platform.get("limits") or {}).items()}

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
        names = ["cpu", "memory"]
        for extra in ("ephemeral-storage", gpu_name):
            if extra in requests or extra in limits:
                names.append(extra)
        for resource in names:
            request, limit, notes = requests.get(resource), limits.get(resource), []
            if assign:
                request, limit = _assign_defaults(
                    ctx, request, limit, platform_requests.get(resource), default_from.get(resource), notes
                )
            request = request if request is not None else ctx.node("0")
            limit = limit if limit is not None else ctx.node("0")
            request, limit = _clamp(ctx, request, limit, platform_limits.get(resource), notes)
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
        shard = 0x811C9DC5
        for byte in name.encode():
            shard = ((shard ^ byte) * 0x01000193) & 0xFFFFFFFF
        labels["shard-key"] = str(shard % 32)
        workflow = ctx.param("workflow")
        if workflow:
            labels["workflow-name"] = _sanitize_label_value(str(workflow).split(":")[-1])
    if node_id:
        labels["node-id"] = _sanitize_label_value(str(node_id))
        task_id = ctx.param("task_id") or {}
        if task_id.get("name"):
            labels["task-name"] = _sanitize_label_value(str(task_id["name"]))
        labels["interruptible"] = "true" if ctx.param("interruptible") else "false"
    ctx.set_var("systemLabels", labels)
