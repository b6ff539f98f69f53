"""A compiled rule pack as the evaluation uses it: ``RulePack`` (sources, steps in evaluation order, profiles,
options, the precedence graph), its steps (``Step``) and their rules (``Entry``), merge profiles (``Profile``),
sources (``SourceDef``) and ``Expression`` (a compiled JMESPath expression with its text). Plain data: built by
``engine.pack.rules``, pickled by ``engine.pack.pack_cache``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import expressions as _expressions
from .graph import PrecedenceGraph
from .registry import Rule


@dataclass(frozen=True)
class Expression:
    """A compiled JMESPath expression, with the text it came from (for the trace and for errors)."""

    text: str
    compiled: Any
    uses_pod: bool
    evaluate: Any = field(default=None, compare=False, repr=False)  # the closure (engine.pack.expressions)
    #: the paths of ``pod`` it reads (``expressions.root_field_paths``); None: the whole Pod
    pod_paths: tuple | None = field(default=None, compare=False, repr=False)
    #: the closure when the context is all it reads (not the Pod built so far): callers may call it directly
    direct: Any = field(default=None, compare=False, repr=False)

    def search(self, context: dict) -> Any:
        if self.evaluate is not None:
            return self.evaluate(context)
        return self.compiled.search(context, options=_expressions.OPTIONS)

    def __reduce__(self):  # the closure does not pickle (engine.pack.pack_cache): rebuilt from the parsed expression
        return _expression, (self.text, self.compiled)


def _expression(text: str, compiled: Any) -> Expression:
    uses_pod = _expressions.reads_field(compiled.parsed, "pod")
    closure = _expressions.compile_node(compiled.parsed)
    return Expression(
        text,
        compiled,
        uses_pod,
        closure,
        _expressions.root_field_paths(compiled.parsed, "pod") if uses_pod else None,
        None if uses_pod else closure,
    )


@dataclass
class Profile:
    id: str
    default: Rule
    rules: dict  # schema path tuple -> Rule


@dataclass
class Entry:
    """One rule of a step."""

    id: str
    kind: str  # "layer" | "transform"
    source: str
    when: Expression | None = None
    doc: str | None = None
    note: str | None = None
    # layer
    at: tuple = ()
    select: Expression | None = None
    value: Any = None
    has_value: bool = False
    position: str = "over"
    profile: Profile | None = None
    # transform
    transform: Any = None
    transform_name: str | None = None
    params: dict = field(default_factory=dict)


@dataclass
class Step:
    id: str
    label: str
    doc: str
    after: list
    uses: list
    entries: list


@dataclass
class SourceDef:
    id: str
    label: str
    doc: str
    origin: str


@dataclass
class PodBuild:
    """A pod a plugin builds: the pack pipeline that makes it (or ``shared``: a copy of the plugin's shared pod),
    the context values replaced for it (dotted context path -> Expression), then the plugin's own steps on it."""

    pipeline: str
    context: dict
    steps: list
    #: roles only
    id: str = ""
    label: str = ""
    doc: str = ""
    each: Expression | None = None
    at: tuple = ()
    place: Any = None  # the transform that places the role's pod in the object
    place_name: str = "graft"
    params: dict = field(default_factory=dict)
    object_steps: list = field(default_factory=list)
    error: str | None = None  # the plugin's wrapping of a pipeline failure, with ``{message}``


@dataclass
class Plugin:
    """A FlytePropeller plugin whose object is not the Pod (``plugins/<id>.yaml``)."""

    id: str
    label: str
    doc: str
    task_types: tuple
    root: str
    config_section: str | None
    options: dict  # name -> plugin_options.OptionDef
    shared: PodBuild | None
    roles: list  # PodBuild
    steps: list  # Step, in order
    finish: str | None = None  # a pipeline of the pack run on the object last


@dataclass
class RulePack:
    name: str
    description: str
    folder: Path
    digest: str
    root: str
    sources: dict
    steps: list  # in evaluation (topological) order
    profiles: dict
    options: dict  # name -> plugin_options.OptionDef
    dag: PrecedenceGraph  # the precedence graph as plain data (engine.pack.graph)
    order: list
    #: how the Flyte version's config loader treats keys (plugin-config.yaml ``loader``; engine.inputs.propeller_config)
    loader: Any = None
    #: pipeline name -> the step ids it runs (pack.yaml ``pipelines``), in evaluation order
    pipelines: dict = field(default_factory=dict)
    #: plugin id -> Plugin (``plugins/<id>.yaml``)
    plugins: dict = field(default_factory=dict)
    #: the folders of the pack's ``extends`` chain, the pack's first (where each part is written:
    #: ``pack_chain.PackLocator``)
    folders: tuple = ()

    def plugin_for(self, task_type: Any) -> Plugin | None:
        """The plugin that builds tasks of ``task_type`` (None: the pod plugin)."""
        return next((p for p in self.plugins.values() if task_type in p.task_types), None)

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
