"""Rule packs: load, validate and compile once; evaluate many times.

A pack is a folder of YAML files (see docs/policy-authors.md):

``pack.yaml``
    ``name``, ``description``, the **sources** (configuration inputs: the docs page's nodes and the execution) and
    the **steps** (what FlytePropeller does, in its order). Sources and steps are the nodes of the precedence DAG:
    a step ``uses`` sources and runs ``after`` other steps. Each step lists its rules (``apply``): a *layer* (a
    value selected from the scenario with JMESPath, laid ``over`` or ``under`` the Pod built so far at a path,
    merged with a profile) or a *transform* (a named Flyte step that is not a plain merge).
``profiles.yaml``
    merge profiles: a default strategy and per-path strategies (``spec.containers: template-containers``).
``plugin-config.yaml``
    the FlytePropeller K8s plugin options the pack knows, their defaults and whether they shape the Pod.

The keys of each file, their defaults and how ``extends`` merges them are declared once in ``engine.pack.pack_format``.
``read_chain`` walks a pack's ``extends`` chain once, reading every file (``podeval check`` uses the same chain);
``load_rules`` merges it (``pack_format.merge``), validates (every problem with file:line:col and the rule id),
builds the graph (plain data, ``engine.pack.graph``), resolves strategy and transform names against their registries and
compiles every JMESPath expression. Nothing of that happens again during an evaluation.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from ..documents.yamlio import Document, load_document
from ..errors import InputError, RuleError
from ..k8s import paths as _paths
from . import expressions as _expressions
from . import pack_cache, pack_format
from .graph import PrecedenceGraph
from .plugin_options import Loader, load_options
from .registry import STRATEGIES, STRATEGY_PARAMS, Rule
from .transform_api import TRANSFORMS

SHIPPED = Path(__file__).resolve().parent.parent.parent / "rules"


def shipped_rules_dir() -> Path:
    """The folder of the packs installed with podeval."""
    # A wheel has engine/_rules, a checkout or an editable install rules/ beside engine/: both are looked at before
    # importlib.resources, whose import is a tenth of podeval's start-up.
    installed = Path(__file__).resolve().parent.parent / "_rules"
    if installed.is_dir():
        return installed
    if SHIPPED.is_dir():
        return SHIPPED
    try:
        from importlib import resources

        candidate = Path(str(resources.files("engine").joinpath("_rules")))
        if candidate.is_dir():
            return candidate
    except (ModuleNotFoundError, TypeError):  # pragma: no cover
        pass
    return SHIPPED


def shipped_packs() -> list[str]:
    base = shipped_rules_dir()
    return sorted(p.name for p in base.iterdir() if (p / "pack.yaml").is_file()) if base.is_dir() else []


@dataclass(frozen=True)
class Expression:
    """A compiled JMESPath expression, with the text it came from (for the trace and for errors)."""

    text: str
    compiled: Any
    uses_pod: bool
    evaluate: Any = field(default=None, compare=False, repr=False)  # the closure (engine.pack.expressions)

    def search(self, context: dict) -> Any:
        if self.evaluate is not None:
            return self.evaluate(context)
        return self.compiled.search(context)

    def __reduce__(self):  # the closure does not pickle (engine.pack.pack_cache): rebuilt from the parsed expression
        return _expression, (self.text, self.compiled)


def _expression(text: str, compiled: Any) -> Expression:
    return Expression(
        text, compiled, _expressions.reads_field(compiled.parsed, "pod"), _expressions.compile_node(compiled.parsed)
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

    def __repr__(self) -> str:
        return f"<RulePack {self.name} {self.digest[:19]}>"

    def __getstate__(self) -> dict:  # pickled by engine.pack.pack_cache: without the networkx view
        return {k: v for k, v in self.__dict__.items() if k != "_networkx"}


# ----------------------------------------------------------------------------------------------------------------


class _Reader:
    """Validates a pack file and collects every problem, each with file:line:col. Given the same file of the packs
    it extends too (``under``, nearest first: the file was merged), a problem is located in the first one that has
    its path."""

    def __init__(self, path: Path, document: Document, problems: list, under: tuple = ()) -> None:
        self.path = path
        self.document = document
        self.problems = problems
        self.under = under

    def problem(self, code: str, message: str, where: tuple, *, hint: str | None = None, rule: str | None = None):
        path, document = next(
            ((p, d) for p, d in ((self.path, self.document),) + self.under if _has(d.value, where)),
            (self.path, self.document),
        )
        line, column = document.locate(where) or (None, None)
        self.problems.append(
            RuleError(
                code,
                message,
                file=str(path),
                line=line,
                column=column,
                path=_paths.render(where) if where else None,
                hint=hint,
                rule=rule,
            )
        )

    def keys(
        self,
        value: Any,
        where: tuple,
        section: pack_format.Section,
        *,
        required: tuple | None = None,
        rule: str | None = None,
    ) -> bool:
        """The keys of a mapping of ``section`` (``required``: other than the section's required keys)."""
        if not isinstance(value, dict):
            self.problem("pack_schema", f"expected a mapping, got {type(value).__name__}", where, rule=rule)
            return False
        allowed = section.names
        required = section.required() if required is None else required
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                self.problem(
                    "pack_unknown_key",
                    f"unknown key {key!r}",
                    where + (key,),
                    rule=rule,
                    hint=f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(allowed))}",
                )
        for key in required:
            if key not in value:
                self.problem("pack_missing_key", f"missing required key {key!r}", where, rule=rule)
        return True

    def expression(self, text: Any, where: tuple, rule: str | None) -> Expression | None:
        if not isinstance(text, str):
            self.problem("pack_schema", "expected a JMESPath expression (a string)", where, rule=rule)
            return None
        try:
            return _expression(text, jmespath.compile(text))
        except JMESPathError as exc:
            self.problem(
                "jmespath_invalid",
                f"JMESPath does not compile: {exc}",
                where,
                rule=rule,
                hint='see https://jmespath.org/specification.html; quote keys with dashes: config."default-labels"',
            )
            return None

    def one_of(self, value: dict, where: tuple, section: pack_format.Section, rule: str | None) -> list:
        """The keys of ``section.one_of`` that ``value`` has; a problem unless exactly one."""
        given = [key for key in section.one_of if key in value]
        if len(given) != 1:
            self.problem("pack_schema", section.one_of_message, where, rule=rule)
        return given


def _has(value: Any, where: tuple) -> bool:
    for part in where:
        if (
            isinstance(value, dict)
            and part in value
            or isinstance(value, list)
            and type(part) is int
            and (0 <= part < len(value))
        ):
            value = value[part]
        else:
            return False
    return True


def _strategy_rule(reader: _Reader, spec: Any, where: tuple, rule_id: str) -> Rule | None:
    if isinstance(spec, str):
        spec = {"strategy": spec}
    if not reader.keys(spec, where, pack_format.STRATEGY_RULE, rule=rule_id):
        return None
    name = spec.get("strategy")
    if name not in STRATEGIES:
        close = difflib.get_close_matches(str(name), sorted(STRATEGIES), n=1)
        reader.problem(
            "unknown_strategy",
            f"unknown strategy {name!r}",
            where + ("strategy",),
            rule=rule_id,
            hint=f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(STRATEGIES))}",
        )
        return None
    params = spec.get("params") or {}
    if not isinstance(params, dict):
        reader.problem("pack_schema", "params must be a mapping", where + ("params",), rule=rule_id)
        params = {}
    for key in params:
        if key not in STRATEGY_PARAMS[name]:
            reader.problem(
                "unknown_param",
                f"strategy {name!r} has no parameter {key!r}",
                where + ("params", key),
                rule=rule_id,
                hint=f"its parameters: {', '.join(sorted(STRATEGY_PARAMS[name])) or 'none'}",
            )
    return Rule(spec.get("rule") or rule_id, STRATEGIES[name], dict(params), spec.get("note"))


def _schema_path(text: str) -> tuple:
    """``spec.containers`` -> ("spec", "containers"); ``[]`` steps into list items, ``*`` into map entries."""
    return tuple(part for part in text.replace("[]", ".[]").split(".") if part)


def _load_profiles(reader: _Reader | None, value: Any) -> dict:
    """The profiles of the merged profiles.yaml (``extends`` patched them by id, their paths by path)."""
    profiles: dict = {}
    for profile_id, spec in (value or {}).get("profiles", {}).items():
        where = ("profiles", profile_id)
        if not reader.keys(spec, where, pack_format.PROFILE, rule=profile_id) or "default" not in spec:
            continue
        default = _strategy_rule(reader, spec["default"], where + ("default",), "")
        compiled: dict = {}
        for path_text, rule_spec in (pack_format.PROFILE.get(spec, "paths") or {}).items():
            rule_id = f"{profile_id}:{path_text}"
            rule = _strategy_rule(reader, rule_spec, where + ("paths", path_text), rule_id)
            if rule is not None:
                compiled[_schema_path(path_text)] = rule
        if default is not None:
            profiles[profile_id] = Profile(profile_id, default, compiled)
    return profiles


def _load_loader(reader: _Reader | None, value: Any) -> Any:
    """plugin-config.yaml's ``loader``: how FlytePropeller's config loader treats keys (engine.inputs.propeller_config)."""
    spec = value.get("loader") if isinstance(value, dict) else None
    if spec is None:
        return None
    if not reader.keys(spec, ("loader",), pack_format.LOADER):
        return None
    settings = {}
    for key, item in spec.items():
        if key not in pack_format.LOADER.names:
            continue  # reported by keys()
        if not isinstance(item, bool):
            reader.problem("pack_schema", f"loader.{key} must be true or false", ("loader", key))
            continue
        settings[key.replace("-", "_")] = item  # the Loader's field (tests/test_pack_format.py)
    return Loader(**settings)


def _load_entry(
    reader: _Reader, spec: Any, where: tuple, step_id: str, sources: dict, profiles: dict, transforms: dict
) -> Entry | None:
    rule_id = spec.get("rule") if isinstance(spec, dict) else None
    if not reader.keys(spec, where, pack_format.RULE, rule=rule_id):
        return None
    source = spec.get("source")
    if source not in sources:
        close = difflib.get_close_matches(str(source), sorted(sources), n=1)
        reader.problem(
            "unknown_source",
            f"rule names source {source!r}, which the pack does not declare",
            where + ("source",),
            rule=rule_id,
            hint=f"did you mean {close[0]!r}?" if close else None,
        )
    when = reader.expression(spec["when"], where + ("when",), rule_id) if "when" in spec else None
    kinds = reader.one_of(spec, where, pack_format.RULE, rule_id)
    if len(kinds) != 1:
        return None
    entry = Entry(
        id=str(rule_id), kind=kinds[0], source=str(source), when=when, doc=spec.get("doc"), note=spec.get("note")
    )
    if kinds[0] == "transform":
        name = spec["transform"]
        if name not in transforms:
            close = difflib.get_close_matches(str(name), sorted(transforms), n=1)
            reader.problem(
                "unknown_transform",
                f"unknown transform {name!r}",
                where + ("transform",),
                rule=rule_id,
                hint=f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(transforms))}",
            )
            return None
        entry.transform = transforms[name]
        entry.transform_name = name
        params = spec.get("params") or {}
        if not isinstance(params, dict):
            reader.problem("pack_schema", "params must be a mapping", where + ("params",), rule=rule_id)
            params = {}
        declared = getattr(entry.transform, "params", {})
        compiled_params = {}
        for key, raw in params.items():
            if key not in declared:
                reader.problem(
                    "unknown_param",
                    f"transform {name!r} has no parameter {key!r}",
                    where + ("params", key),
                    rule=rule_id,
                    hint=f"its parameters: {', '.join(sorted(declared)) or 'none'}",
                )
                continue
            if declared[key] == "expression":
                compiled_params[key] = reader.expression(raw, where + ("params", key), rule_id)
            else:
                compiled_params[key] = raw
        for key in getattr(entry.transform, "required", ()):
            if key not in params:
                reader.problem(
                    "missing_param",
                    f"transform {name!r} needs the parameter {key!r}",
                    where + ("params",) if "params" in spec else where,
                    rule=rule_id,
                )
        entry.params = compiled_params
        return entry
    layer = spec["layer"]
    if not reader.keys(layer, where + ("layer",), pack_format.LAYER, rule=rule_id) or "at" not in layer:
        return None
    try:
        entry.at = _paths.parse(str(layer["at"]))
    except ValueError as exc:
        reader.problem("pack_schema", str(exc), where + ("layer", "at"), rule=rule_id)
    reader.one_of(layer, where + ("layer",), pack_format.LAYER, rule_id)
    if "select" in layer:
        entry.select = reader.expression(layer["select"], where + ("layer", "select"), rule_id)
    else:
        entry.value = layer["value"]
        entry.has_value = True
    entry.position = pack_format.LAYER.get(layer, "position")
    positions = pack_format.LAYER.key("position").values
    if entry.position not in positions:
        reader.problem(
            "pack_schema",
            f"position must be {' or '.join(map(repr, positions))}, not {entry.position!r}",
            where + ("layer", "position"),
            rule=rule_id,
        )
    profile_id = pack_format.LAYER.get(layer, "profile")
    if profile_id not in profiles:
        close = difflib.get_close_matches(str(profile_id), sorted(profiles), n=1)
        reader.problem(
            "unknown_profile",
            f"unknown merge profile {profile_id!r}",
            where + ("layer", "profile"),
            rule=rule_id,
            hint=f"did you mean {close[0]!r}?" if close else None,
        )
    else:
        entry.profile = profiles[profile_id]
    return entry


def _read(path: Path, problems: list) -> tuple[Document | None, bytes]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(RuleError("pack_unreadable", f"cannot read {path}: {exc.strerror}", file=str(path)))
        return None, b""
    try:
        return load_document(data, str(path)), data
    except InputError as exc:  # YAML that does not parse
        problems.append(
            RuleError(
                exc.code, exc.message, file=exc.file, line=exc.line, column=exc.column, path=exc.path, hint=exc.hint
            )
        )
        return None, b""


def registries() -> dict:
    """The strategies' and transforms' names and declarations, for the pack schema (``pack_format.json_schema``):
    ``{"strategy": {name: params}, "transform": {name: transform_api.Transform}}``."""
    return {"strategy": STRATEGY_PARAMS, "transform": TRANSFORMS}


def resolve_pack_folder(rules: str | Path) -> Path:
    candidate = Path(rules)
    if candidate.is_dir():
        return candidate
    shipped = shipped_rules_dir() / str(rules)
    if shipped.is_dir():
        return shipped
    close = difflib.get_close_matches(str(rules), shipped_packs(), n=1)
    raise RuleError(
        "unknown_rules",
        f"no rule pack {str(rules)!r}: not a folder and not a shipped pack",
        hint=f"did you mean {close[0]!r}?" if close else f"shipped packs: {', '.join(shipped_packs())}",
    )


@dataclass
class PackLayer:
    """One pack of an ``extends`` chain: its folder and the files it has."""

    folder: Path
    documents: dict  # file name -> Document


@dataclass
class PackChain:
    """A pack and the packs it extends, every file read once (``read_chain``): the loader and ``podeval check``
    work from it."""

    folder: Path
    layers: list  # PackLayer: the pack first, then the pack it extends, and so on
    digest: str
    problems: list  # what stops the pack from loading, in the order found
    unreadable: list  # of those, the files that cannot be read or parsed

    @property
    def extends(self) -> bool:
        """Does the pack's own pack.yaml extend another pack?"""
        own = self.layers[0].documents.get("pack.yaml") if self.layers else None
        return own is not None and isinstance(own.value, dict) and bool(own.value.get("extends"))

    def merged(self, section: pack_format.Section, problems: list) -> tuple[Any, _Reader | None]:
        """A file of the chain merged as ``extends`` does (root first), and a reader that locates in its files."""
        name, key = section.file, section.required()[0]
        merged: Any = None
        readers: list = []
        for layer in reversed(self.layers):
            document = layer.documents.get(name)
            if document is None:
                continue
            reader = _Reader(layer.folder / name, document, problems)
            if not isinstance(document.value, dict) or not isinstance(document.value.get(key), dict):
                article = "an" if key[0] in "aeiou" else "a"
                reader.problem("pack_schema", f"{name} must have {article} {key!r} mapping", ())
                continue
            readers.insert(0, reader)
            merged = document.value if merged is None else pack_format.merge(section, merged, document.value)
        if not readers:
            return None, None
        top = readers[0]
        return merged, _Reader(top.path, top.document, problems, tuple((r.path, r.document) for r in readers[1:]))


def read_chain(rules: str | Path) -> PackChain:
    """Walk a pack's ``extends`` chain once, reading every file of it (raises ``unknown_rules`` for the pack)."""
    folder = resolve_pack_folder(rules)
    problems: list = []
    unreadable: list = []
    layers: list = []
    digest = hashlib.sha256()
    current: Path | None = folder
    while current is not None:
        if any(layer.folder == current for layer in layers):
            problems.append(
                RuleError(
                    "cycle", "packs extend each other in a cycle: " + " -> ".join(str(layer.folder) for layer in layers)
                )
            )
            break
        layer = PackLayer(current, {})
        layers.append(layer)
        for name in pack_format.PACK_FILES:
            path = current / name
            if name != "pack.yaml" and not path.exists():
                continue
            failed: list = []
            document, data = _read(path, failed)
            problems += failed
            unreadable += failed
            if document is not None:
                layer.documents[name] = document
                digest.update(str(len(layers)).encode() + name.encode() + b"\0" + data + b"\0")
        current = _parent(layer, problems)
    if not problems:
        for name in pack_format.PACK_FILES:
            if not any(name in layer.documents for layer in layers):
                problems.append(
                    RuleError(
                        "pack_unreadable",
                        f"the pack has no {name} (nor does a pack it extends)",
                        file=str(folder / name),
                    )
                )
    return PackChain(folder, layers, "sha256:" + digest.hexdigest(), problems, unreadable)


def _parent(layer: PackLayer, problems: list) -> Path | None:
    """The folder of the pack ``layer`` extends (None: none, or it cannot be found: a problem)."""
    document = layer.documents.get("pack.yaml")
    name = document.value.get("extends") if document is not None and isinstance(document.value, dict) else None
    if not name:
        return None
    try:
        return resolve_pack_folder(name)
    except RuleError as exc:
        problems.append(exc)
        return None


def _merge_pack_files(chain: PackChain, problems: list) -> tuple[dict, _Reader] | None:
    """The pack.yaml files of the chain merged (root first): sources and steps patched by id, rules by rule id."""
    pack_doc: dict = {}
    reader: _Reader | None = None
    for layer in reversed(chain.layers):
        document = layer.documents["pack.yaml"]
        if not isinstance(document.value, dict):
            continue
        layer_reader = _Reader(layer.folder / "pack.yaml", document, problems)
        if not layer_reader.keys(document.value, (), pack_format.PACK_FILE, required=()):
            return None
        if "steps" in document.value or reader is None:
            reader = layer_reader
        pack_doc = pack_format.merge(pack_format.PACK_FILE, pack_doc, document.value)
    if reader is None:
        problems.append(RuleError("pack_schema", "pack.yaml must be a mapping", file=str(chain.folder / "pack.yaml")))
        return None
    missing = [key for key in pack_format.PACK_FILE.required() if key not in pack_doc]
    for key in missing:
        reader.problem("pack_missing_key", f"missing required key {key!r}", ())
    return None if missing else (pack_doc, reader)


def _load_sources(reader: _Reader, pack_doc: dict) -> dict:
    sources: dict = {}
    for index, spec in enumerate(pack_doc.get("sources") or []):
        if reader.keys(spec, ("sources", index), pack_format.SOURCE) and "id" in spec:
            get = pack_format.SOURCE.get
            sources[spec["id"]] = SourceDef(
                spec["id"], spec.get("label", spec["id"]), get(spec, "doc"), get(spec, "origin")
            )
    return sources


def _load_steps(reader: _Reader, pack_doc: dict, sources: dict, profiles: dict, graph: PrecedenceGraph) -> dict:
    steps: dict = {}
    rule_ids: dict = {}
    for index, spec in enumerate(pack_doc.get("steps") or []):
        where = ("steps", index)
        if not reader.keys(spec, where, pack_format.STEP) or "id" not in spec:
            continue
        step_id = spec["id"]
        if step_id in sources or step_id in steps:
            reader.problem("duplicate_node", f"node id {step_id!r} is declared twice", where + ("id",))
            continue
        entries = []
        for position, entry_spec in enumerate(spec.get("apply") or []):
            entry = _load_entry(reader, entry_spec, where + ("apply", position), step_id, sources, profiles, TRANSFORMS)
            if entry is None:
                continue
            if entry.id in rule_ids:
                reader.problem(
                    "duplicate_rule",
                    f"rule id {entry.id!r} is used twice",
                    where + ("apply", position, "rule"),
                    rule=entry.id,
                )
            rule_ids[entry.id] = step_id
            entries.append(entry)
        get = pack_format.STEP.get
        steps[step_id] = Step(
            step_id,
            spec.get("label", step_id),
            get(spec, "doc"),
            list(get(spec, "after") or []),
            list(get(spec, "uses") or []),
            entries,
        )
        graph.add_node(step_id, kind="step", label=spec.get("label", step_id), doc=get(spec, "doc"))
    return steps


def _connect(reader: _Reader, graph: PrecedenceGraph, steps: dict, sources: dict) -> None:
    """The edges: a step after the steps it names, and after the sources it uses or its rules speak for."""
    for index, step in enumerate(steps.values()):
        for field_name, targets in (("after", step.after), ("uses", step.uses)):
            for position, target in enumerate(targets):
                known = steps if field_name == "after" else sources
                if target not in known:
                    close = difflib.get_close_matches(str(target), sorted(known), n=1)
                    reader.problem(
                        "unknown_node",
                        f"{field_name} names {target!r}, which is not a "
                        f"{'step' if field_name == 'after' else 'source'} of the pack",
                        ("steps", index, field_name, position),
                        hint=f"did you mean {close[0]!r}?" if close else None,
                    )
                    continue
                graph.add_edge(target, step.id)
        for entry in step.entries:
            if entry.source in sources and entry.source not in step.uses:
                graph.add_edge(entry.source, step.id)


def _order(reader: _Reader, graph: PrecedenceGraph) -> list:
    """networkx's lexicographic topological sort (the smallest ready id first: unique and stable)."""
    # Compiling a pack is the only place networkx is imported on the way to a Pod, and the compiled pack is cached
    # (pack_cache), so a warm `podeval render` does not pay for the import.
    import networkx as nx

    try:
        return list(nx.lexicographical_topological_sort(graph.to_networkx()))
    except nx.NetworkXUnfeasible:
        cycle = nx.find_cycle(graph.to_networkx())
        names = " -> ".join([a for a, _ in cycle] + [cycle[0][0]])
        reader.problem(
            "cycle",
            f"the precedence graph has a cycle: {names}",
            ("steps",),
            hint="remove one of the 'after' edges of the cycle",
        )
        return []


def collect_problems(rules: str | Path | PackChain) -> tuple[RulePack | None, list[RuleError]]:
    """Load a pack, returning every problem found instead of raising the first (for ``podeval check``)."""
    chain = rules if isinstance(rules, PackChain) else read_chain(rules)
    if chain.problems:
        return None, list(chain.problems)
    problems: list[RuleError] = []
    profiles_file, profiles_reader = chain.merged(pack_format.PROFILES_FILE, problems)
    profiles = _load_profiles(profiles_reader, profiles_file)
    plugin_config, plugin_reader = chain.merged(pack_format.PLUGIN_CONFIG_FILE, problems)
    options = load_options(plugin_reader, plugin_config) if plugin_reader is not None else {}
    loader = _load_loader(plugin_reader, plugin_config)
    merged = _merge_pack_files(chain, problems)
    if merged is None:
        return None, problems
    pack_doc, reader = merged
    sources = _load_sources(reader, pack_doc)
    graph = PrecedenceGraph()
    for source in sources.values():
        graph.add_node(source.id, kind="source", label=source.label, doc=source.doc)
    steps = _load_steps(reader, pack_doc, sources, profiles, graph)
    _connect(reader, graph, steps, sources)
    order = _order(reader, graph)
    if problems:
        return None, problems
    pack = RulePack(
        name=str(pack_doc["name"]),
        description=str(pack_doc.get("description", "")).strip(),
        folder=chain.folder,
        digest=chain.digest,
        root=str(pack_format.PACK_FILE.get(pack_doc, "root")),
        sources=sources,
        steps=[steps[node] for node in order if node in steps],
        profiles=profiles,
        options=options,
        dag=graph,
        order=order,
        loader=loader,
    )
    return pack, problems


@lru_cache(maxsize=32)
def _load_cached(folder: str, stamp: tuple) -> RulePack:
    cached = pack_cache.load(folder, RulePack)
    if cached is not None:
        return cached
    pack, problems = collect_problems(folder)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        first = problems[0]
        raise RuleError(
            first.code,
            f"{first.message} (and {len(problems) - 1} more problem(s): run `podeval check`)",
            file=first.file,
            line=first.line,
            column=first.column,
            path=first.path,
            hint=first.hint,
            rule=first.rule,
        )
    assert pack is not None
    pack_cache.store(folder, pack)
    return pack


def load_rules(rules: str | Path | RulePack = "flyte-v1") -> RulePack:
    """Compile a pack (a shipped name or a folder) once; the result is reused by every evaluation."""
    if isinstance(rules, RulePack):
        return rules
    folder = resolve_pack_folder(rules).resolve()
    stamp = tuple(
        (name, (folder / name).stat().st_mtime_ns if (folder / name).exists() else 0) for name in pack_format.PACK_FILES
    )
    return _load_cached(str(folder), stamp)
