"""One evaluation: walk the pack's steps in topological order over one scenario.

The evaluation keeps the working document (a Node tree, see ``tree``), the variables steps share (the primary
container's name, the resolved runtime PodTemplate ...), the JMESPath context rules select from, and the event
stream. Layers are applied here; transforms live in ``transforms``.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import json
from typing import Any

from ..errors import FlyteBuildError, InputError, PodevalError
from ..inputs import propeller_config
from ..inputs.scenario import Scenario, load_scenario
from ..inputs.scenario_shape import TASK_TYPES
from ..k8s import paths as _paths
from ..k8s.apiserver import check_result
from ..k8s.tree import Node, copy_plain, plain, wrap
from ..k8s.walker import Position, position
from ..pack import plugin_options
from ..pack.pack_model import Expression
from ..pack.rules import Entry, RulePack, load_rules
from ..pack.transform_api import Context
from . import plugins as _plugins
from .document import find_item, layer_path_shape, pod_part, replace_at
from .output import render_node, render_pod
from .provenance import Locator, sources_of
from .strategies import Merger
from .trace import Event, Trace

#: the sections of the scenario: an event or error path that starts with one of them is an input's path (located in
#: the input's file), any other path is the Pod's
INPUT_SECTIONS = ("task", "execution", "propeller", "podTemplates")


class Result:
    """What ``engine.evaluate`` returns: the Pod, its trace, and the warnings of the trace."""

    def __init__(self, pod: dict, trace: Trace, rules: RulePack, scenario: Scenario) -> None:
        self.pod = pod
        self.trace = trace
        self.rules = rules
        self.scenario = scenario

    @property
    def root(self) -> str:
        """The type of the object (``pod``): a Pod's ``PodTemplateSpec``, or a plugin's object type (``RayJob``)."""
        plugin = self.rules.plugin_for((self.scenario.data.get("task") or {}).get("type"))
        return plugin.root if plugin is not None else "PodTemplateSpec"

    @property
    def warnings(self) -> list[Event]:
        return self.trace.warnings

    @property
    def problems(self) -> list:
        """What the API server will refuse in this Pod when FlytePropeller creates it: ``PodRefusedError``s (exit
        3), each at its path in the Pod, with the source and rule that set the value and its input file:line:col
        (``engine.k8s.apiserver``). Empty when the Pod is valid. Computed on first use."""
        found = self.__dict__.get("_problems")
        if found is None:
            found = self.__dict__["_problems"] = check_result(
                self, lambda: evaluate(self.scenario, self.rules, trace=True).trace
            )
        return found

    def to_k8s(self):
        """The Pod as a ``kubernetes.client.V1Pod`` (imports the client, which is slow: only when asked). A plugin's
        object (a RayJob ...) has no model in the client: it is returned as the dict ``pod``."""
        if self.root != "PodTemplateSpec":
            return self.pod
        from kubernetes.client import ApiClient  # optional extra, slow to import: only when asked

        client = ApiClient()
        text = json.dumps(self.pod)
        if "content_type" in inspect.signature(client.deserialize).parameters:  # kubernetes >= 35
            return client.deserialize(text, "V1Pod", "application/json")

        class _Response:  # older clients take a response object
            data = text

        return client.deserialize(_Response(), "V1Pod")


class Evaluation:
    """The state of one evaluation; transforms see it only through a ``transform_api.Context``."""

    def __init__(
        self,
        pack: RulePack,
        scenario: Scenario,
        *,
        tracing: bool = True,
        without: frozenset = frozenset(),
        strict: bool = False,
        parent: Evaluation | None = None,
        root: str | None = None,
    ) -> None:
        self.pack = pack
        self.without = without
        self.strict = strict
        self.scenario = scenario
        self.tracing = tracing
        #: the type of the document (the pack's root: a Pod; a plugin's object, ``RayJob``)
        self.root = root or pack.root
        self.events: list[Event] = []
        self.sources: list[dict] = [] if parent is None else parent.sources  # one list: the trace's
        self.vars: dict[str, Any] = {}
        self.document = Node({"metadata": Node({}, "flyte", ""), "spec": Node({}, "flyte", "")}, "flyte", "")
        self._pod_of: Node | None = None  # the document ``context["pod"]`` was made from
        if parent is not None:  # a pod of a plugin's object: the object's context, its own vars and document
            self.context = {**parent.context, "vars": self.vars}
            self.context.pop("pod", None)
            return
        data = scenario.data
        self.context: dict[str, Any] = {
            "task": data.get("task") or {},
            "execution": data.get("execution") or {},
            "propeller": data.get("propeller") or {},
            "podTemplates": data.get("podTemplates") or [],
            "config": self._effective_config(),
            "vars": self.vars,
        }

    def fork(self) -> Evaluation:
        """A copy to build on (a plugin role made from the shared pod): the same document (Nodes are never
        mutated), its own vars, events and context."""
        copy_ = Evaluation.__new__(Evaluation)
        copy_.__dict__.update(self.__dict__)
        copy_.events = list(self.events)
        copy_.vars = dict(self.vars)
        copy_.context = {**self.context, "vars": copy_.vars}
        copy_._pod_of = None
        copy_.context.pop("pod", None)
        return copy_

    def replace_context(self, path: str, value: Any) -> None:
        """Replace one value of the context (``execution.interruptible``) for this evaluation only: the mappings on
        the way are copied, the scenario is not changed."""
        keys = path.split(".")
        node = self.context
        for key in keys[:-1]:
            child = node.get(key)
            child = dict(child) if isinstance(child, dict) else {}
            node[key] = child
            node = child
        node[keys[-1]] = value

    # -- configuration ------------------------------------------------------------------------------------------
    def _effective_config(self) -> dict:
        """FlytePropeller's plugins.k8s section as FlytePropeller reads it (``plugin_options.effective_config``);
        the loader's warnings about its files, and the keys FlytePropeller ignores, go to the trace (``--strict``
        refuses an unknown option)."""
        user = ((self.scenario.data.get("propeller") or {}).get("config")) or {}
        plugin_options.check_plugin_config(self.scenario, self.pack.options)
        config, unused = plugin_options.effective_config(user, self.pack.options)
        source = propeller_config.config_source(self.pack)
        for path, note, where in propeller_config.loader_warnings(self.scenario):
            self.emit("warn", path, source, "config-loader", note=note, where=where)
        for item in unused:
            if item.field is not None:  # a struct option's unknown field: the option's warning
                self.emit("warn", item.path, source, item.option, value=item.value, note=item.note)
                continue
            where = propeller_config.option_where(self.scenario, item.option)
            if self.strict:
                raise item.refusal(where)
            self.emit("warn", item.path, source, "config-loader", note=item.note, where=where.text())
        return config

    # -- events -------------------------------------------------------------------------------------------------
    def emit(
        self,
        op: str,
        path: tuple,
        source: str,
        rule: str,
        *,
        value: Any = None,
        previous: Any = None,
        previous_source: str | None = None,
        rejected: dict | None = None,
        note: str | None = None,
        where: str | None = None,
    ) -> None:
        self.events.append(
            Event(
                len(self.events) + 1,
                tuple(path),
                op,
                source,
                rule,
                value,
                previous,
                previous_source,
                rejected,
                note,
                where or None,
            )
        )

    def add_source(self, source_id: str, origin: str) -> None:
        if not any(s["id"] == source_id for s in self.sources):
            self.sources.append({"id": source_id, "origin": origin})

    def fail(self, entry: Entry, code: str, message: str, *, path: tuple = (), hint: str | None = None) -> None:
        if self.tracing:
            self.emit("error", path, entry.source, entry.id, note=message)
        raise FlyteBuildError(
            code,
            message,
            path=_paths.render(path) or None,
            hint=hint,
            rule=entry.id,
            source=entry.source,
            file=self.scenario.filename,
        )

    # -- the walk -----------------------------------------------------------------------------------------------
    def run(self, steps: Any = None) -> None:
        """Apply the rules of ``steps`` (default: the pack's, in order)."""
        without = self.without
        search = self.search
        for step in self.pack.steps if steps is None else steps:
            for entry in step.entries:
                if without and entry.source in without:
                    continue
                when = entry.when
                if when is not None and not (when.direct(self.context) if when.direct is not None else search(when)):
                    continue
                if entry.kind == "transform":
                    entry.transform.fn(Context(self, entry, entry.transform))
                else:
                    self.apply_layer(entry)

    def search(self, expression) -> Any:
        if expression.uses_pod:
            # the Pod so far as plain values, made again only when the document changed (Nodes are never mutated:
            # a write replaces ``self.document``), and only the parts the expression reads
            if self._pod_of is not self.document:
                self._pod_of = self.document
                self._pod_parts = {}
            paths = expression.pod_paths
            pod = self._pod_parts.get(paths)
            if pod is None:
                pod = self._pod_parts[paths] = plain(self.document) if paths is None else pod_part(self.document, paths)
            self.context["pod"] = pod
        evaluate = expression.evaluate  # the compiled closure (engine.pack.expressions), made on its first search
        return evaluate(self.context) if evaluate is not None else expression.search(self.context)

    def param(self, entry: Entry, name: str, default: Any = None) -> Any:
        """A transform parameter: compiled expressions are evaluated against the context, literals returned."""
        if name not in entry.params:
            return default
        value = entry.params[name]
        if type(value) is Expression:
            found = self.search(value)
            if value.uses_pod and isinstance(found, (dict, list)):
                found = copy_plain(found)  # a transform gets its own copy, never a part of the shared Pod
            return default if found is None else found
        return value

    def resolve_at(self, at: tuple) -> tuple:
        """Substitute ``$variable`` in key selectors of a layer's ``at`` path."""
        if not layer_path_shape(at)[0]:
            return at
        resolved = []
        for segment in at:
            if isinstance(segment, _paths.Key) and segment.value.startswith("$"):
                name, *fields = segment.value[1:].split(".")
                value = self.vars.get(name)
                for field_name in fields:  # ``$item.groupName``: a field of a variable
                    value = value.get(field_name) if isinstance(value, dict) else None
                segment = segment._replace(value="" if value is None else str(value))
            resolved.append(segment)
        return tuple(resolved)

    def position_of(self, at: tuple) -> Position:
        """The walker's position at a path from the pack's root type; profile paths are relative to where a layer
        is applied, so the schema path starts empty there."""
        return position(self.root, at)

    def get_at(self, at: tuple) -> Node | None:
        node: Node | None = self.document
        for segment in at:
            if node is None:
                return None
            if isinstance(segment, str):
                node = node.value.get(segment) if isinstance(node.value, dict) else None
            elif isinstance(segment, _paths.Key):
                node = find_item(node, segment)
            else:
                node = node.value[segment] if isinstance(node.value, list) and segment < len(node.value) else None
        return node

    def set_at(self, at: tuple, new: Node | None, source: str, rule: str) -> None:
        self.document = replace_at(self.document, at, new, source, rule)

    def apply_layer(self, entry: Entry) -> None:
        # no copy of a literal value: ``wrap`` builds new containers and shares only the scalars
        value = entry.value if entry.has_value else self.search(entry.select)
        if value is None:
            return
        at = self.resolve_at(entry.at)
        if layer_path_shape(entry.at)[1] and self.get_at(at[:-1]) is None:
            return  # the item the layer addresses does not exist (no such container)
        incoming = wrap(value, entry.source, entry.id)
        current = self.get_at(at)
        merger = self.merger(entry, entry.profile.id, incoming_is_higher=entry.position == "over")
        position = self.position_of(at)
        lower, higher = (current, incoming) if entry.position == "over" else (incoming, current)
        merged = merger.merge(position, lower, higher)
        self.set_at(at, merged, entry.source, entry.id)

    def warn(
        self, path: tuple, source: str, rule: str, *, value: Any = None, note: str, in_lower: bool = False
    ) -> None:
        """A ``warn`` event, recorded with or without a trace. The signature of a Merger's ``warn_event``."""
        self.emit("warn", path, source, rule, value=value, note=note)

    def merger(self, entry: Entry, profile_id: str, *, incoming_is_higher: bool, warn=None) -> Merger:
        """A Merger for one rule. ``warn``: where the merge's warnings go (``Evaluation.warn``'s signature), for a
        transform that names what did nothing in its input; by default they are events at the Pod's path."""
        profile = self.pack.profile(profile_id)
        return Merger(
            profile.rules,
            profile.default,
            incoming_is_higher=incoming_is_higher,
            rule_id=entry.id,
            emit_event=self.emit if self.tracing else None,
            variables=self.vars,
            note=entry.note,
            warn_event=warn or self.warn,
        )


def _missing_task(scenario: Scenario) -> None:
    """A scenario without ``task`` (an empty file, or only the other sections): nothing to build a Pod from."""
    if scenario.document is not None and scenario.document.value is None:
        raise InputError(
            "empty_scenario",
            f"{scenario.filename} is empty: a scenario needs at least a task",
            file=scenario.filename,
            hint="e.g. task: {container: {image: my-image:1}}",
        )
    line, column = scenario.locate(())
    raise InputError(
        "missing_task",
        "the scenario has no task: nothing to build a Pod from",
        path="task",
        file=scenario.filename,
        line=line,
        column=column,
        hint="add a task section (task.container, task.podTemplate or task.k8sPod), or give --task FILE",
    )


def _plugin_of(pack: RulePack, scenario: Scenario) -> Any:
    """The plugin that builds the task (None: the pod plugin); a task type no plugin of the pack builds is an input
    error at ``task.type``."""
    task_type = (scenario.data.get("task") or {}).get("type")
    plugin = pack.plugin_for(task_type)
    if plugin is not None or task_type is None or task_type in TASK_TYPES:
        return plugin
    known = [*TASK_TYPES, *(t for p in pack.plugins.values() for t in p.task_types)]
    close = difflib.get_close_matches(str(task_type), known, n=1)
    try:
        file, line, column = scenario.where(("task", "type"))
    except ValueError:
        file, line, column = scenario.filename, None, None
    raise InputError(
        "invalid_value",
        f"task type {task_type!r} is built by no plugin of the pack {pack.name}",
        path="task.type",
        file=file,
        line=line,
        column=column,
        hint=f"did you mean {close[0]!r}?" if close else f"task types: {', '.join(known)}",
    )


def _provenance(pack: RulePack, scenario: Scenario, context: dict, variables: dict) -> tuple:
    """Computed when the trace is read (locating keys re-reads files): the trace's ``sources`` entry of FlytePropeller's
    config (where each option was set), rule -> the options it reads with their origins (for explain), the locator
    that places every event's value in the inputs, and the function that lists the contributing sources."""
    user = ((scenario.data.get("propeller") or {}).get("config")) or {}
    locator = Locator(pack, scenario, context, variables)
    entry = propeller_config.provenance(scenario, pack, user)
    if entry is None:
        return None, {}, locator, sources_of(pack)
    origins = entry["options"]
    return (
        entry,
        {
            rule: [{"option": name, "origin": origins.get(name, "built-in default")} for name in names]
            for rule, names in propeller_config.options_read(pack).items()
            if any(name in origins for name in names)
        },
        locator,
        sources_of(pack),
    )


def evaluate(
    scenario: Any, rules: Any = "flyte-v1", *, trace: bool = True, without: Any = (), strict: bool = False
) -> Result:
    """Build the Pod Flyte would build for ``scenario`` with the rule pack ``rules``, and say why.

    ``without``: source ids whose rules are skipped, as if that source were absent (what-if analysis).
    ``strict``: an unknown K8s plugin option is an error (``unknown_option``), not a warning."""
    pack = load_rules(rules)
    loaded = load_scenario(scenario)
    if "task" not in loaded.data:
        _missing_task(loaded)
    unknown = sorted(set(without) - set(pack.sources))
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(pack.sources), n=1)
        raise InputError(
            "unknown_source",
            f"the pack {pack.name} has no source {unknown[0]!r}",
            hint=f"did you mean {close[0]!r}?" if close else f"sources: {', '.join(sorted(pack.sources))}",
        )
    plugin = _plugin_of(pack, loaded)
    evaluation = Evaluation(
        pack, loaded, tracing=trace, without=frozenset(without), strict=strict, root=plugin and plugin.root
    )
    try:
        if plugin is None:
            evaluation.run()
        else:
            _plugins.build(
                evaluation,
                plugin,
                lambda _build: Evaluation(
                    pack, loaded, tracing=trace, without=frozenset(without), strict=strict, parent=evaluation
                ),
            )
    except PodevalError as error:
        if error.line is None and error.path and error.path.startswith(INPUT_SECTIONS):
            try:
                file, line, column = loaded.where(_paths.parse(error.path))
            except ValueError:
                line = None
            if line is not None:
                error.file, error.line, error.column = file, line, column
        if error.file is None:
            error.file = loaded.filename
        raise
    leaves: dict[str, Node] | None = {} if trace else None  # printed path -> the Node printed there
    if plugin is None or plugin.root == pack.root:  # a plugin whose object is the Pod (k8s-array) prints as one
        pod = render_pod(evaluation.document, leaves)
    else:
        pod = render_node(evaluation.document, plugin.root, (), leaves)
    owners = {path: node.source for path, node in (leaves or {}).items()}
    owner_rules = {path: node.rule for path, node in (leaves or {}).items()}
    result_trace = Trace(pack.name, pack.digest, evaluation.sources, evaluation.events, owners, pod, owner_rules)
    result_trace.provenance = functools.partial(_provenance, pack, loaded, evaluation.context, evaluation.vars)
    return Result(pod, result_trace, pack, loaded)
