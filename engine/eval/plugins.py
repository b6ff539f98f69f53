"""Plugin task types: the object a FlytePropeller plugin other than the pod plugin builds (a RayJob, a
SparkApplication ...), from its pack file (``rules/<pack>/plugins/<id>.yaml``, ``engine.pack.pack_model.Plugin``).

A plugin builds its pods with Flyte's own pod machinery (ToK8sPodSpec: a pipeline of the pack's steps, pack.yaml
``pipelines``) and reshapes them. The build, in the order the pack file declares:

1. the ``shared`` pod, when the plugin has one: the pipeline run once over the scenario (Ray builds one pod spec and
   copies it for the head, every worker group and the submitter), then the shared pod's own steps;
2. each role, once per item of its ``each`` list: a copy of the shared pod (``pipeline: shared``) or its own run of
   a pipeline with the role's ``context`` values (Spark's driver is built with ``interruptible`` false), then the
   role's steps on that pod, with ``role`` ({id, item, index}) in the JMESPath context and ``$item.<field>`` in
   ``at`` key selectors; then its place transform puts the pod into the object at ``at`` (``graft``), its events
   re-rooted there;
3. the plugin's steps on the object, whose type (the plugin's ``root``) the merge and the output walk.

The plugin's config section (``plugins.<section>`` of FlytePropeller's configuration, ``propeller.plugins`` of the
scenario) is decoded by ``engine.pack.plugin_options`` as ``plugins.k8s`` is and is ``plugin`` in the context.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import FlyteBuildError
from ..k8s import paths as _paths
from ..k8s import quantity
from ..k8s.tree import Node, plain
from ..pack import plugin_options
from ..pack.pack_model import Entry, Plugin, PodBuild
from ..pack.transform_api import Context, transform
from .placement import add_toleration_once

#: the scenario's sections: an event at one of these paths is about an input, not the object, and is not re-rooted
INPUT_SECTIONS = ("task", "execution", "propeller", "podTemplates")


class PlaceContext(Context):
    """A place transform's context: the object's evaluation, plus the role's pod (``pod``: its evaluation) and the
    resolved path it goes to (``at``)."""

    def __init__(self, evaluation: Any, entry: Entry, declared: Any, pod: Any, at: tuple) -> None:
        super().__init__(evaluation, entry, declared)
        self.pod = pod
        self.at = at

    def pod_document(self) -> Node:
        return self.pod.document

    def adopt_events(
        self,
        prefix: tuple,
        relocate: Callable[[tuple], tuple] | None = None,
        parts: tuple = ("metadata", "spec"),
    ) -> None:
        """The role pod's events, in the object's trace at ``prefix`` (input paths stay as they are); events about
        parts of the pod other than ``parts`` are left out: those parts are not in the object. ``relocate(path)``:
        where a pod path is in the object, for a place transform that reshapes the pod (Spark's SparkPodSpec);
        default ``prefix + path``."""
        for event in self.pod.events:
            if event.path[:1] and event.path[0] in INPUT_SECTIONS:
                path = event.path
            elif event.path[:1] and event.path[0] not in parts:
                continue
            else:
                path = relocate(event.path) if relocate is not None else prefix + event.path
            self._ev.emit(
                event.op,
                path,
                event.source,
                event.rule,
                value=event.value,
                previous=event.previous,
                previous_source=event.previous_source,
                rejected=event.rejected,
                note=event.note,
                where=event.where,
            )


def plugin_config(scenario: Any, plugin: Plugin, top: Any = None) -> dict:
    """The plugin's section of FlytePropeller's configuration as FlytePropeller holds it: its options' defaults,
    each replaced by the value given (keys matched without regard to case, as mapstructure does). Its values are
    checked as plugins.k8s's are (a value FlytePropeller cannot decode is exit 2); the keys it ignores are warnings
    in ``top``'s trace (``--strict``: exit 2)."""
    section = plugin.config_section or ""
    given = ((scenario.data.get("propeller") or {}).get("plugins") or {}).get(section) or {}
    by_lower = {name.lower(): name for name in plugin.options}
    named = {by_lower.get(str(key).lower(), key): value for key, value in given.items()}
    at = ("propeller", "plugins", section)
    if named:
        plugin_options.check_plugin_config(scenario, plugin.options, named, at)
    config, unused = plugin_options.effective_config(named, plugin.options, at, f"plugins.{section}")
    for item in unused if top is not None else ():
        if top.strict and item.field is None:
            raise item.refusal(_Where(*scenario.where(item.path)) if hasattr(scenario, "where") else _Where())
        top.emit("warn", item.path, "flyte", "config-loader", value=item.value, note=item.note)
    return config


class _Where:
    """Where an unknown option of a plugin's section is, for ``--strict``'s error."""

    def __init__(self, file: Any = None, line: Any = None, column: Any = None) -> None:
        self.file, self.line, self.column = file, line, column


def build(top: Any, plugin: Plugin, new_pod: Any) -> None:
    """Build the plugin's object in ``top`` (the object's evaluation). ``new_pod(build)``: a fresh evaluation of a
    pod for the pack's pipeline ``build.pipeline``, with the object's context."""
    top.context["plugin"] = plugin_config(top.scenario, plugin, top)
    # the execution as the node has it, before any role's context replaces a value of it (a role's labels come from
    # the node's TaskExecutionMetadata, whose interruptible label is the node's even where a role is built
    # non-interruptible: Spark's driver)
    top.context["objectExecution"] = top.context["execution"]
    top.document = Node({}, "flyte", "")
    shared = None
    if plugin.shared is not None:
        shared = _pod(top, plugin.shared, new_pod, None)
        # the object's steps may read the shared pod (Ray's entrypoint: the primary container's args)
        pod = plain(shared.document)
        primary = shared.vars.get("primaryContainerName")
        top.context["shared"] = {
            "pod": pod,
            "vars": dict(shared.vars),
            "primaryContainer": next(
                (c for c in (pod.get("spec") or {}).get("containers") or [] if (c or {}).get("name") == primary), None
            ),
        }
    for role in plugin.roles:
        items = [None] if role.each is None else (top.search(role.each) or [])
        for index, item in enumerate(items if isinstance(items, list) else [items]):
            context = {"id": role.id, "item": item, "index": index}
            if role.pipeline == "shared" and shared is not None:
                pod = shared.fork()
                pod.context["role"] = context
                _apply_context(pod, role)
                pod.run(role.steps)
            else:
                pod = _pod(top, role, new_pod, context)
            pod.vars["item"] = item
            at = pod.resolve_at(role.at)
            entry = Entry(id=f"{plugin.id}.{role.id}.place", kind="transform", source="flyte")
            entry.transform, entry.transform_name, entry.params = role.place, role.place_name, role.params
            top.context["role"] = context
            top.vars["item"] = item
            role.place.fn(PlaceContext(top, entry, role.place, pod, at))
            top.run(role.object_steps)
    top.context.pop("role", None)
    top.vars.pop("item", None)
    top.run(plugin.steps)
    if plugin.finish is not None:
        top.run([step for step in top.pack.steps if step.id in top.pack.pipelines[plugin.finish]])


def _apply_context(pod: Any, spec: PodBuild) -> None:
    for path, expression in spec.context.items():
        pod.replace_context(path, pod.search(expression))


def _pod(top: Any, spec: PodBuild, new_pod: Any, role: dict | None) -> Any:
    pod = new_pod(spec)
    if role is not None:
        pod.context["role"] = role
        pod.vars["item"] = role.get("item")
    _apply_context(pod, spec)
    try:
        pod.run([step for step in pod.pack.steps if step.id in pod.pack.pipelines[spec.pipeline]])
    except FlyteBuildError as error:
        if spec.error:  # the plugin wraps ToK8sPodSpec's error in its own (Ray: Unable to create pod spec)
            error.message = spec.error.replace("{message}", error.message)
        raise
    pod.run(spec.steps)
    return pod


@transform(
    "refuse",
    code="value",
    message="value",
    at="value",
    hint="value",
    values="expression",
    required=("code", "message"),
)
def refuse(ctx: Context) -> None:
    """FlytePropeller refuses to build the object (a BuildResource error): the rule's ``when`` says when, the
    message is Flyte's (exit 3). ``at``: the input path the refusal is about. ``values``: a mapping whose entries
    fill the message's ``{name}`` placeholders (what Flyte prints into it: the task's version)."""
    at = tuple(str(ctx.param("at")).split(".")) if ctx.given("at") else ()
    message = str(ctx.param("message"))
    for name, value in (ctx.param("values") or {}).items():
        message = message.replace("{" + str(name) + "}", str(value))
    ctx.fail(str(ctx.param("code")), message, path=at, hint=ctx.param("hint"))


# ---------------------------------------------------------------------------------------------------------------
# Generic transforms of plugins


@transform("graft", parts="value")
def graft(ctx: PlaceContext) -> None:
    """The role's pod, as a PodTemplateSpec (metadata and spec), at ``at`` in the object; with ``parts: [spec]`` its
    spec alone (Dask's WorkerSpec, SchedulerSpec and JobSpec hold a PodSpec and no metadata)."""
    parts = tuple(ctx.param("parts") or ("metadata", "spec"))
    document = ctx.pod_document()
    kept = {key: node for key, node in document.value.items() if key in parts}
    ensure_items(ctx, ctx.at)
    ctx.set(ctx.at, Node(kept, document.source, document.rule))
    ctx.adopt_events(ctx.at, parts=parts)


@transform("adopt")
def adopt(ctx: PlaceContext) -> None:
    """The role's pod is the object, every field of it (a plugin whose object is a Pod: the k8s-array plugin's
    subtask); ``at`` is the root."""
    ctx.set(ctx.at, ctx.pod_document())
    ctx.adopt_events(ctx.at)


@transform(
    "rename-primary-container",
    writes=("spec.containers",),
    sets=("primaryContainerName",),
    name="expression",
    required=("name",),
)
def rename_primary_container(ctx: Context) -> None:
    """The primary container gets the plugin's name (Ray's ``ray-head``, Kubeflow's ``pytorch``); later rules find it
    by the new name (``$primaryContainerName``)."""
    new_name = ctx.param("name")
    old_name = ctx.var("primaryContainerName")
    containers = ctx.get(("spec", "containers"))
    if containers is None or not isinstance(containers.value, list) or new_name is None:
        return
    items = list(containers.value)
    for index, container in enumerate(items):
        name = container.value.get("name") if isinstance(container.value, dict) else None
        if name is not None and name.value == old_name:
            renamed = dict(container.value)
            renamed["name"] = ctx.node(str(new_name))
            items[index] = Node(renamed, container.source, container.rule)
            ctx.set(("spec", "containers"), Node(items, containers.source, containers.rule))
            ctx.emit(
                "override",
                ("spec", "containers", _paths.Key("name", str(new_name)), "name"),
                value=str(new_name),
                previous=old_name,
                previous_source=name.source,
            )
            break
    ctx.set_var("primaryContainerName", str(new_name))


def ensure_items(ctx: Context, at: tuple) -> None:
    """Create the keyed list items on the way to ``at`` that do not exist yet (a worker group's item, by its
    ``groupName``), holding their key fields."""
    for index, segment in enumerate(at):
        if isinstance(segment, _paths.Key) and ctx.get(at[: index + 1]) is None:
            items = ctx.get(at[:index])
            existing = list(items.value) if items is not None and isinstance(items.value, list) else []
            item = Node({name: ctx.node(value) for name, value in segment.pairs}, ctx.source, ctx.rule)
            ctx.set(at[:index], Node([*existing, item], ctx.source, ctx.rule))


def role_value(ctx: Context, at: tuple) -> Any:
    """A value of the pod built so far, as plain data (None when absent)."""
    node = ctx.get(at)
    return None if node is None else plain(node)


@transform("extended-resource-tolerations", writes=("spec.tolerations",), resources="expression")
def extended_resource_tolerations(ctx: Context) -> None:
    """AddTolerationsForExtendedResources (flytek8s/pod_helper.go, called by ToK8sPodSpec and again by Ray for each
    role): an ``Exists``/``NoSchedule`` toleration for each ``add-tolerations-for-extended-resources`` name that a
    container or init container requests, in name order, unless an equal toleration is there
    (addTolerationInPodSpec: Toleration.MatchToleration compares key, operator, value and effect)."""
    names = ctx.param("resources") or []
    requested: set = set()
    for field_name in ("containers", "initContainers"):
        for container in role_value(ctx, ("spec", field_name)) or []:
            requests = ((container or {}).get("resources") or {}).get("requests") or {}
            requested |= {name for name in names if name in requests}
    for name in sorted(requested):
        add_toleration_once(ctx, {"key": name, "operator": "Exists", "effect": "NoSchedule"})


#: flyteidl core.Resources.ResourceName -> the Kubernetes resource ToK8sResourceList makes of it (flytek8s/utils.go);
#: any other name (UNKNOWN) is left out
_RESOURCE_NAMES = {"CPU": "cpu", "MEMORY": "memory", "GPU": "nvidia.com/gpu", "EPHEMERAL_STORAGE": "ephemeral-storage"}


def to_k8s_resources(resources: Any) -> dict:
    """ToK8sResourceRequirements (flytek8s/utils.go): a flyteidl ``core.Resources`` in JSON mapping (``{requests:
    [{name: CPU, value: "1"}], limits: [...]}``) as Kubernetes resource requirements; zero quantities are left out,
    ``GPU`` is always ``nvidia.com/gpu``. Raises ``QuantityError`` for a value that is not a quantity."""
    result: dict = {}
    for kind in ("requests", "limits"):
        entries = (resources or {}).get(kind) or []
        listed = {}
        for entry in entries:
            name = _RESOURCE_NAMES.get(str((entry or {}).get("name", "UNKNOWN")))
            value = str((entry or {}).get("value", ""))
            if quantity.value_of(value) != 0 and name is not None:
                listed[name] = value
            elif name is None:
                quantity.value_of(value)  # ParseQuantity runs before the name is looked at
        if listed:
            result[kind] = listed
    return result
