"""A compiled rule pack as the evaluation uses it: ``RulePack`` (sources, steps in evaluation order, profiles,
options, the precedence graph), its steps (``Step``) and their rules (``Entry``), merge profiles (``Profile``),
sources (``SourceDef``) and ``Expression`` (a compiled JMESPath expression with its text). Plain data: built by
``engine.pack.rules``, pickled by ``engine.pack.pack_cache``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import expressions as _expressions
from .graph import PrecedenceGraph
from .registry import Rule


class Expression:
    """A compiled JMESPath expression, with the text it came from (for the trace and for errors). Immutable; equal
    when text, parse and ``uses_pod`` are."""

    __slots__ = ("compiled", "direct", "evaluate", "pod_paths", "text", "uses_pod")

    def __init__(self, text: str, compiled: Any, uses_pod: bool, pod_paths: tuple | None = None) -> None:
        self.text = text
        self.compiled = compiled
        self.uses_pod = uses_pod
        #: the paths of ``pod`` it reads (``expressions.root_field_paths``); None: the whole Pod
        self.pod_paths = pod_paths
        #: the closure (``engine.pack.expressions.compile_expression``), made on the first search: a process
        #: evaluates few of its pack's expressions (a Pod's render none of the plugins')
        self.evaluate: Any = None
        #: the closure when the context is all it reads (not the Pod built so far): callers may call it directly
        #: (None until the first search)
        self.direct: Any = None

    def search(self, context: dict) -> Any:
        evaluate = self.evaluate
        if evaluate is None:
            evaluate = self.evaluate = _expressions.compile_expression(self.compiled.parsed)
            if not self.uses_pod:
                self.direct = evaluate
        return evaluate(context)

    def _key(self) -> tuple:
        return self.text, self.compiled, self.uses_pod

    def __eq__(self, other: object) -> bool:
        return self._key() == other._key() if type(other) is Expression else NotImplemented

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Expression(text={self.text!r}, compiled={self.compiled!r}, uses_pod={self.uses_pod!r})"

    def __reduce__(self):  # the closure does not pickle (engine.pack.pack_cache): made again on the first search
        return Expression, (*self._key(), self.pod_paths)


def _expression(text: str, compiled: Any) -> Expression:
    uses_pod = _expressions.reads_field(compiled.parsed, "pod")
    return Expression(
        text, compiled, uses_pod, _expressions.root_field_paths(compiled.parsed, "pod") if uses_pod else None
    )


# The classes below are plain classes, not dataclasses: a dataclass compiles its methods when the module is
# imported, which was a tenth of a cold `podeval render` (benchmarks/RESULTS.md). They hold data; nothing compares them.


class Profile:
    """A merge profile: its default rule and its rules by schema path (``profiles.yaml``)."""

    def __init__(self, id: str, default: Rule, rules: dict) -> None:
        self.id = id
        self.default = default
        self.rules = rules  # schema path tuple -> Rule


class Entry:
    """One rule of a step: a layer or a transform."""

    def __init__(
        self,
        id: str,
        kind: str,
        source: str,
        when: Expression | None = None,
        doc: str | None = None,
        note: str | None = None,
    ) -> None:
        self.id = id
        self.kind = kind  # "layer" | "transform"
        self.source = source
        self.when = when
        self.doc = doc
        self.note = note
        # layer
        self.at: tuple = ()
        self.select: Expression | None = None
        self.value: Any = None
        self.has_value = False
        self.position = "over"
        self.profile: Profile | None = None
        # transform
        self.transform: Any = None
        self.transform_name: str | None = None
        self.params: dict = {}


class Step:
    """A step of the pack (a node of the precedence DAG) and its rules."""

    def __init__(self, id: str, label: str, doc: str, after: list, uses: list, entries: list) -> None:
        self.id = id
        self.label = label
        self.doc = doc
        self.after = after
        self.uses = uses
        self.entries = entries


class SourceDef:
    """A source of the pack: an input of the evaluation (a node of the precedence DAG)."""

    def __init__(self, id: str, label: str, doc: str, origin: str) -> None:
        self.id = id
        self.label = label
        self.doc = doc
        self.origin = origin


class PodBuild:
    """A pod a plugin builds: the pack pipeline that makes it (or ``shared``: a copy of the plugin's shared pod),
    the context values replaced for it (dotted context path -> Expression), then the plugin's own steps on it."""

    def __init__(self, pipeline: str, context: dict, steps: list) -> None:
        self.pipeline = pipeline
        self.context = context
        self.steps = steps
        #: roles only
        self.id = ""
        self.label = ""
        self.doc = ""
        self.each: Expression | None = None
        self.at: tuple = ()
        self.place: Any = None  # the transform that places the role's pod in the object
        self.place_name = "graft"
        self.params: dict = {}
        self.object_steps: list = []
        self.error: str | None = None  # the plugin's wrapping of a pipeline failure, with ``{message}``


class Plugin:
    """A FlytePropeller plugin whose object is not the Pod (``plugins/<id>.yaml``)."""

    def __init__(
        self,
        id: str,
        label: str,
        doc: str,
        task_types: tuple,
        root: str,
        config_section: str | None,
        options: dict,
        shared: PodBuild | None,
        roles: list,
        steps: list,
        finish: str | None = None,
    ) -> None:
        self.id = id
        self.label = label
        self.doc = doc
        self.task_types = task_types
        self.root = root
        self.config_section = config_section
        self.options = options  # name -> plugin_options.OptionDef
        self.shared = shared
        self.roles = roles  # PodBuild
        self.steps = steps  # Step, in order
        self.finish = finish  # a pipeline of the pack run on the object last


class RulePack:
    """A compiled pack."""

    def __init__(
        self,
        name: str,
        description: str,
        folder: Path,
        digest: str,
        root: str,
        sources: dict,
        steps: list,
        profiles: dict,
        options: dict,
        dag: PrecedenceGraph,
        order: list,
        loader: Any = None,
        pipelines: dict | None = None,
        plugins: Mapping | None = None,
        folders: tuple = (),
    ) -> None:
        self.name = name
        self.description = description
        self.folder = folder
        self.digest = digest
        self.root = root
        self.sources = sources
        self.steps = steps  # in evaluation (topological) order
        self.profiles = profiles
        self.options = options  # name -> plugin_options.OptionDef
        self.dag = dag  # the precedence graph as plain data (engine.pack.graph)
        self.order = order
        #: how the Flyte version's config loader treats keys (plugin-config.yaml ``loader``;
        #: engine.inputs.propeller_config)
        self.loader = loader
        #: pipeline name -> the step ids it runs (pack.yaml ``pipelines``), in evaluation order
        self.pipelines = {} if pipelines is None else pipelines
        #: plugin id -> Plugin (``plugins/<id>.yaml``); from the cache, a mapping that reads each plugin on its
        #: first use
        self.plugins: Mapping = {} if plugins is None else plugins
        #: the folders of the pack's ``extends`` chain, the pack's first (where each part is written:
        #: ``pack_chain.PackLocator``)
        self.folders = folders
        #: task type -> the id of the plugin that builds it: which plugin, without reading any
        self.task_types = {task_type: p.id for p in self.plugins.values() for task_type in p.task_types}

    def plugin_for(self, task_type: Any) -> Plugin | None:
        """The plugin that builds tasks of ``task_type`` (None: the pod plugin)."""
        plugin_id = self.task_types.get(task_type) if isinstance(task_type, str) else None
        return None if plugin_id is None else self.plugins[plugin_id]

    def profile(self, profile_id: str) -> Profile:
        return self.profiles[profile_id]

    @property
    def graph(self):
        """The precedence graph as a ``networkx.DiGraph``, built on first use (networkx stays off the render path)."""
        built = self.__dict__.get("_networkx")
        if built is None:
            built = self.__dict__["_networkx"] = self.dag.to_networkx()
        return built

    def graph_dict(self) -> dict:
        nodes = []
        for node in self.order:
            data = self.dag.nodes[node]
            nodes.append({"id": node, "kind": data["kind"], "label": data["label"], "doc": data.get("doc", "")})
        edges = sorted([a, b] for a, b in self.dag.edges)
        return {"name": self.name, "nodes": nodes, "edges": edges}

    def plugin_graph_dict(self, task_type: str) -> dict:
        """The DAG of the plugin that builds ``task_type``, in ``graph_dict``'s shape: its pipelines (ToK8sPodSpec as
        one node), the shared pod's and each role's steps, each role's placement into the object, the object's steps;
        sources feed the steps whose rules speak for them."""
        plugin = self.plugin_for(task_type)
        if plugin is None:
            return self.graph_dict()
        nodes: list = []
        edges: set = set()
        used: set = set()

        def node(node_id: str, label: str, doc: str = "") -> str:
            if all(n["id"] != node_id for n in nodes):
                nodes.append({"id": node_id, "kind": "step", "label": label, "doc": doc})
            return node_id

        def chain(previous: list, steps: list, prefix: str) -> list:
            for step in steps:
                current = node(f"{prefix}{step.id}", step.label, step.doc)
                edges.update((p, current) for p in previous)
                used.update((entry.source, current) for entry in step.entries)
                previous = [current]
            return previous

        def pipeline(name: str, after: list) -> list:
            size = len(self.pipelines.get(name, ()))
            current = node(f"pipeline:{name}", f"{name} ({size} step{'' if size == 1 else 's'})")
            edges.update((p, current) for p in after)
            for step in self.steps:
                if step.id in self.pipelines.get(name, ()):
                    used.update((entry.source, current) for entry in step.entries)
            return [current]

        shared_end: list = []
        if plugin.shared is not None:
            shared_end = chain(pipeline(plugin.shared.pipeline, []), plugin.shared.steps, "shared:")
        ends: list = []
        for role in plugin.roles:
            start = shared_end if role.pipeline == "shared" else pipeline(role.pipeline, [])
            last = chain(start, role.steps, f"{role.id}:")
            placed = node(f"place:{role.id}", f"{role.label}: {role.place_name}", role.doc)
            edges.update((p, placed) for p in last)
            ends += chain([placed], role.object_steps, f"{role.id}:")
        end = chain(ends, plugin.steps, "object:")
        if plugin.finish:
            pipeline(plugin.finish, end)
        sources = sorted({source for source, _ in used})
        source_nodes = [
            {"id": s, "kind": "source", "label": self.sources[s].label, "doc": self.sources[s].doc}
            for s in sources
            if s in self.sources
        ]
        edges.update(used)
        return {"name": f"{self.name}:{plugin.id}", "nodes": source_nodes + nodes, "edges": sorted(map(list, edges))}

    def __repr__(self) -> str:
        return f"<RulePack {self.name} {self.digest[:19]}>"

    def __getstate__(self) -> dict:  # pickled by engine.pack.pack_cache: without the networkx view
        return {k: v for k, v in self.__dict__.items() if k != "_networkx"}
