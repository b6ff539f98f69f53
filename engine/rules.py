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

``load_rules`` parses, validates (every problem with file:line:col and the rule id), builds the graph (plain
data, ``engine.graph``), resolves strategy and transform names against their registries and compiles every JMESPath
expression. Nothing of that happens again during an evaluation.
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

from . import copilot as _copilot  # noqa: F401  (registers the co-pilot transforms in transform_api.TRANSFORMS)
from . import expressions as _expressions
from . import paths as _paths
from . import transforms as _transforms  # noqa: F401  (registers the transforms in transform_api.TRANSFORMS)
from .errors import RuleError
from .graph import PrecedenceGraph
from .plugin_options import load_options
from .strategies import STRATEGIES, STRATEGY_PARAMS, Rule
from .transform_api import TRANSFORMS
from .yamlio import Document, load_document

PACK_FILES = ("pack.yaml", "profiles.yaml", "plugin-config.yaml")
SHIPPED = Path(__file__).resolve().parent.parent / "rules"


def shipped_rules_dir() -> Path:
    """The folder of the packs installed with podeval."""
    # A wheel has engine/_rules, a checkout or an editable install rules/ beside engine/: both are looked at before
    # importlib.resources, whose import is a tenth of podeval's start-up.
    installed = Path(__file__).resolve().parent / "_rules"
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
    evaluate: Any = field(default=None, compare=False, repr=False)  # the closure (engine.expressions)

    def search(self, context: dict) -> Any:
        if self.evaluate is not None:
            return self.evaluate(context)
        return self.compiled.search(context)

    def __reduce__(self):  # the closure does not pickle (engine.pack_cache): rebuilt from the parsed expression
        return _expression, (self.text, self.compiled)


def _expression(text: str, compiled: Any) -> Expression:
    return Expression(text, compiled, _expressions.reads_field(compiled.parsed, "pod"),
                      _expressions.compile_node(compiled.parsed))


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
    dag: PrecedenceGraph  # the precedence graph as plain data (engine.graph)
    order: list
    #: how the Flyte version's config loader treats keys (plugin-config.yaml ``loader``; engine.propeller_config)
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

    def __getstate__(self) -> dict:  # pickled by engine.pack_cache: without the networkx view
        return {k: v for k, v in self.__dict__.items() if k != "_networkx"}


# ----------------------------------------------------------------------------------------------------------------


class _Reader:
    """Validates one pack file and collects every problem, each with file:line:col."""

    def __init__(self, path: Path, document: Document, problems: list) -> None:
        self.path = path
        self.document = document
        self.problems = problems

    def problem(self, code: str, message: str, where: tuple, *, hint: str | None = None, rule: str | None = None):
        line, column = self.document.locate(where) or (None, None)
        self.problems.append(RuleError(code, message, file=str(self.path), line=line, column=column,
                                       path=_paths.render(where) if where else None, hint=hint, rule=rule))

    def keys(self, value: Any, where: tuple, allowed: set, *, required: tuple = (), rule: str | None = None) -> bool:
        if not isinstance(value, dict):
            self.problem("pack_schema", f"expected a mapping, got {type(value).__name__}", where, rule=rule)
            return False
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                self.problem("pack_unknown_key", f"unknown key {key!r}", where + (key,), rule=rule,
                             hint=f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(allowed))}")
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
            self.problem("jmespath_invalid", f"JMESPath does not compile: {exc}", where, rule=rule,
                         hint="see https://jmespath.org/specification.html; quote keys with dashes: config.\"default-labels\"")
            return None


_SOURCE_KEYS = {"id", "label", "doc", "origin"}
_STEP_KEYS = {"id", "label", "doc", "after", "uses", "apply"}
_ENTRY_KEYS = {"rule", "source", "when", "doc", "note", "layer", "transform", "params"}
_LAYER_KEYS = {"at", "select", "value", "position", "profile"}
_PROFILE_KEYS = {"doc", "default", "paths"}
_PATH_RULE_KEYS = {"strategy", "params", "note", "rule"}


def _strategy_rule(reader: _Reader, spec: Any, where: tuple, rule_id: str) -> Rule | None:
    if isinstance(spec, str):
        spec = {"strategy": spec}
    if not reader.keys(spec, where, _PATH_RULE_KEYS, required=("strategy",), rule=rule_id):
        return None
    name = spec.get("strategy")
    if name not in STRATEGIES:
        close = difflib.get_close_matches(str(name), sorted(STRATEGIES), n=1)
        reader.problem("unknown_strategy", f"unknown strategy {name!r}", where + ("strategy",), rule=rule_id,
                       hint=f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(STRATEGIES))}")
        return None
    params = spec.get("params") or {}
    if not isinstance(params, dict):
        reader.problem("pack_schema", "params must be a mapping", where + ("params",), rule=rule_id)
        params = {}
    for key in params:
        if key not in STRATEGY_PARAMS[name]:
            reader.problem("unknown_param", f"strategy {name!r} has no parameter {key!r}", where + ("params", key),
                           rule=rule_id, hint=f"its parameters: {', '.join(sorted(STRATEGY_PARAMS[name])) or 'none'}")
    return Rule(spec.get("rule") or rule_id, STRATEGIES[name], dict(params), spec.get("note"))


def _schema_path(text: str) -> tuple:
    """``spec.containers`` -> ("spec", "containers"); ``[]`` steps into list items, ``*`` into map entries."""
    return tuple(part for part in text.replace("[]", ".[]").split(".") if part)


def _load_profiles(reader: _Reader, value: Any) -> dict:
    profiles: dict = {}
    if not isinstance(value, dict) or not isinstance(value.get("profiles"), dict):
        reader.problem("pack_schema", "profiles.yaml must have a 'profiles' mapping", ())
        return profiles
    for profile_id, spec in value["profiles"].items():
        where = ("profiles", profile_id)
        if not reader.keys(spec, where, _PROFILE_KEYS, required=("default",), rule=profile_id):
            continue
        default = _strategy_rule(reader, spec["default"], where + ("default",), "")
        compiled: dict = {}
        for path_text, rule_spec in (spec.get("paths") or {}).items():
            rule_id = f"{profile_id}:{path_text}"
            rule = _strategy_rule(reader, rule_spec, where + ("paths", path_text), rule_id)
            if rule is not None:
                compiled[_schema_path(path_text)] = rule
        if default is not None:
            profiles[profile_id] = Profile(profile_id, default, compiled)
    return profiles


def _load_loader(reader: _Reader, value: Any, base: Any) -> Any:
    """plugin-config.yaml's ``loader``: how FlytePropeller's config loader treats keys (engine.propeller_config)."""
    from .propeller_config import LOADER_KEYS, Loader

    spec = value.get("loader") if isinstance(value, dict) else None
    if spec is None:
        return base
    if not reader.keys(spec, ("loader",), set(LOADER_KEYS)):
        return base
    settings = dict(vars(base or Loader()))
    for key, item in spec.items():
        if not isinstance(item, bool):
            reader.problem("pack_schema", f"loader.{key} must be true or false", ("loader", key))
            continue
        settings[LOADER_KEYS[key]] = item
    return Loader(**settings)


def _load_entry(reader: _Reader, spec: Any, where: tuple, step_id: str, sources: dict, profiles: dict,
                transforms: dict) -> Entry | None:
    rule_id = spec.get("rule") if isinstance(spec, dict) else None
    if not reader.keys(spec, where, _ENTRY_KEYS, required=("rule", "source"), rule=rule_id):
        return None
    source = spec.get("source")
    if source not in sources:
        close = difflib.get_close_matches(str(source), sorted(sources), n=1)
        reader.problem("unknown_source", f"rule names source {source!r}, which the pack does not declare",
                       where + ("source",), rule=rule_id, hint=f"did you mean {close[0]!r}?" if close else None)
    when = reader.expression(spec["when"], where + ("when",), rule_id) if "when" in spec else None
    kinds = [k for k in ("layer", "transform") if k in spec]
    if len(kinds) != 1:
        reader.problem("pack_schema", "a rule has exactly one of 'layer' or 'transform'", where, rule=rule_id)
        return None
    entry = Entry(id=str(rule_id), kind=kinds[0], source=str(source), when=when, doc=spec.get("doc"),
                  note=spec.get("note"))
    if kinds[0] == "transform":
        name = spec["transform"]
        if name not in transforms:
            close = difflib.get_close_matches(str(name), sorted(transforms), n=1)
            reader.problem("unknown_transform", f"unknown transform {name!r}", where + ("transform",), rule=rule_id,
                           hint=f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(transforms))}")
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
                reader.problem("unknown_param", f"transform {name!r} has no parameter {key!r}",
                               where + ("params", key), rule=rule_id,
                               hint=f"its parameters: {', '.join(sorted(declared)) or 'none'}")
                continue
            if declared[key] == "expression":
                compiled_params[key] = reader.expression(raw, where + ("params", key), rule_id)
            else:
                compiled_params[key] = raw
        for key in getattr(entry.transform, "required", ()):
            if key not in params:
                reader.problem("missing_param", f"transform {name!r} needs the parameter {key!r}",
                               where + ("params",) if "params" in spec else where, rule=rule_id)
        entry.params = compiled_params
        return entry
    layer = spec["layer"]
    if not reader.keys(layer, where + ("layer",), _LAYER_KEYS, required=("at",), rule=rule_id):
        return None
    try:
        entry.at = _paths.parse(str(layer["at"]))
    except ValueError as exc:
        reader.problem("pack_schema", str(exc), where + ("layer", "at"), rule=rule_id)
    if ("select" in layer) == ("value" in layer):
        reader.problem("pack_schema", "a layer has exactly one of 'select' (JMESPath) or 'value' (a literal)",
                       where + ("layer",), rule=rule_id)
    if "select" in layer:
        entry.select = reader.expression(layer["select"], where + ("layer", "select"), rule_id)
    else:
        entry.value = layer["value"]
        entry.has_value = True
    entry.position = layer.get("position", "over")
    if entry.position not in ("over", "under"):
        reader.problem("pack_schema", f"position must be 'over' or 'under', not {entry.position!r}",
                       where + ("layer", "position"), rule=rule_id)
    profile_id = layer.get("profile", "mergo")
    if profile_id not in profiles:
        close = difflib.get_close_matches(str(profile_id), sorted(profiles), n=1)
        reader.problem("unknown_profile", f"unknown merge profile {profile_id!r}", where + ("layer", "profile"),
                       rule=rule_id, hint=f"did you mean {close[0]!r}?" if close else None)
    else:
        entry.profile = profiles[profile_id]
    return entry


def _merge_by_id(parent: list, child: list, key: str, merge_item) -> list:
    """Items of the child with an id the parent has are merged into it in place; new ones are added at the end."""
    merged = [dict(item) if isinstance(item, dict) else item for item in parent]
    index = {item.get(key): position for position, item in enumerate(merged) if isinstance(item, dict)}
    for item in child:
        if isinstance(item, dict) and item.get(key) in index:
            position = index[item[key]]
            merged[position] = merge_item(merged[position], item)
        else:
            merged.append(item)
    return merged


def _deep_merge(parent: dict, child: dict) -> dict:
    merged = dict(parent)
    for key, value in child.items():
        merged[key] = _deep_merge(merged[key], value) if isinstance(value, dict) and isinstance(
            merged.get(key), dict) else value
    return merged


def _merge_step(parent: dict, child: dict) -> dict:
    merged = _deep_merge({k: v for k, v in parent.items() if k != "apply"},
                         {k: v for k, v in child.items() if k != "apply"})
    merged["apply"] = _merge_by_id(parent.get("apply") or [], child.get("apply") or [], "rule", _deep_merge)
    return merged


def _merge_pack(pack_doc: dict, child: dict) -> None:
    """An extending pack patches its parent's pack.yaml: sources and steps by id, a step's rules by rule id (the
    child's keys win, nested mappings merged), new ones added at the end; other keys replace the parent's."""
    for key, value in child.items():
        if key == "extends":
            continue
        if key == "sources" and isinstance(value, list) and isinstance(pack_doc.get(key), list):
            pack_doc[key] = _merge_by_id(pack_doc[key], value, "id", _deep_merge)
        elif key == "steps" and isinstance(value, list) and isinstance(pack_doc.get(key), list):
            pack_doc[key] = _merge_by_id(pack_doc[key], value, "id", _merge_step)
        else:
            pack_doc[key] = value


def _read(path: Path, problems: list) -> tuple[Document | None, bytes]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(RuleError("pack_unreadable", f"cannot read {path}: {exc.strerror}", file=str(path)))
        return None, b""
    return load_document(data, str(path)), data


def resolve_pack_folder(rules: str | Path) -> Path:
    candidate = Path(rules)
    if candidate.is_dir():
        return candidate
    shipped = shipped_rules_dir() / str(rules)
    if shipped.is_dir():
        return shipped
    close = difflib.get_close_matches(str(rules), shipped_packs(), n=1)
    raise RuleError("unknown_rules", f"no rule pack {str(rules)!r}: not a folder and not a shipped pack",
                    hint=f"did you mean {close[0]!r}?" if close else f"shipped packs: {', '.join(shipped_packs())}")


def collect_problems(rules: str | Path) -> tuple[RulePack | None, list[RuleError]]:
    """Load a pack, returning every problem found instead of raising the first (for ``podeval check``)."""
    folder = resolve_pack_folder(rules)
    problems: list[RuleError] = []
    digest = hashlib.sha256()
    # A pack may `extends: <pack>`: files it lacks come from the parent; profiles and options are merged by id
    # (the child's win); pack.yaml is patched (_merge_pack): sources and steps by id, rules by rule id.
    chain: list[Path] = []
    layers: list[dict] = []  # root first: {file name: (Document, reader)}
    current: Path | None = folder
    while current is not None:
        if current in chain:
            problems.append(RuleError("cycle", f"packs extend each other in a cycle: {' -> '.join(map(str, chain))}"))
            return None, problems
        chain.append(current)
        found: dict = {}
        for name in PACK_FILES:
            path = current / name
            if not path.exists() and current != folder and name != "pack.yaml":
                continue
            if not path.exists() and name != "pack.yaml" and len(chain) == 1:
                continue
            try:
                document, data = _read(path, problems)
            except Exception as exc:  # an InputError from the YAML reader
                if hasattr(exc, "code"):
                    problems.append(RuleError(exc.code, exc.message, file=exc.file, line=exc.line,
                                              column=exc.column, path=exc.path, hint=exc.hint))
                    continue
                raise
            if document is not None:
                found[name] = (document, _Reader(path, document, problems))
                digest.update(str(len(chain)).encode() + name.encode() + b"\0" + data + b"\0")
        layers.insert(0, found)
        parent = found.get("pack.yaml", (None,))[0]
        parent_name = parent.value.get("extends") if parent is not None and isinstance(parent.value, dict) else None
        if parent_name:
            try:
                current = resolve_pack_folder(parent_name)
            except RuleError as exc:
                problems.append(exc)
                return None, problems
        else:
            current = None
    if problems:
        return None, problems
    for name in PACK_FILES:
        if not any(name in layer for layer in layers):
            problems.append(RuleError("pack_unreadable", f"the pack has no {name} (nor does a pack it extends)",
                                      file=str(folder / name)))
    if problems:
        return None, problems
    profiles: dict = {}
    options: dict = {}
    loader: Any = None
    pack_doc: dict = {}
    reader: _Reader | None = None
    for layer in layers:
        if "profiles.yaml" in layer:
            document, layer_reader = layer["profiles.yaml"]
            profiles.update(_load_profiles(layer_reader, document.value))
        if "plugin-config.yaml" in layer:
            document, layer_reader = layer["plugin-config.yaml"]
            options.update(load_options(layer_reader, document.value))
            loader = _load_loader(layer_reader, document.value, loader)
        document, layer_reader = layer["pack.yaml"]
        if isinstance(document.value, dict):
            if not layer_reader.keys(document.value, (), {"name", "description", "root", "sources", "steps",
                                                          "extends"}):
                return None, problems
            if "steps" in document.value or reader is None:
                reader = layer_reader
            _merge_pack(pack_doc, document.value)
    assert reader is not None
    missing = [key for key in ("name", "sources", "steps") if key not in pack_doc]
    for key in missing:
        reader.problem("pack_missing_key", f"missing required key {key!r}", ())
    if missing:
        return None, problems
    sources: dict = {}
    for index, spec in enumerate(pack_doc.get("sources") or []):
        where = ("sources", index)
        if reader.keys(spec, where, _SOURCE_KEYS, required=("id",)):
            sources[spec["id"]] = SourceDef(spec["id"], spec.get("label", spec["id"]), spec.get("doc", ""),
                                            spec.get("origin", ""))
    graph = PrecedenceGraph()
    for source in sources.values():
        graph.add_node(source.id, kind="source", label=source.label, doc=source.doc)
    steps: dict = {}
    rule_ids: dict = {}
    for index, spec in enumerate(pack_doc.get("steps") or []):
        where = ("steps", index)
        if not reader.keys(spec, where, _STEP_KEYS, required=("id", "apply")):
            continue
        step_id = spec["id"]
        if step_id in sources or step_id in steps:
            reader.problem("duplicate_node", f"node id {step_id!r} is declared twice", where + ("id",))
            continue
        entries = []
        for position, entry_spec in enumerate(spec.get("apply") or []):
            entry = _load_entry(reader, entry_spec, where + ("apply", position), step_id, sources, profiles,
                                TRANSFORMS)
            if entry is None:
                continue
            if entry.id in rule_ids:
                reader.problem("duplicate_rule", f"rule id {entry.id!r} is used twice", where + ("apply", position, "rule"),
                               rule=entry.id)
            rule_ids[entry.id] = step_id
            entries.append(entry)
        steps[step_id] = Step(step_id, spec.get("label", step_id), spec.get("doc", ""), list(spec.get("after") or []),
                              list(spec.get("uses") or []), entries)
        graph.add_node(step_id, kind="step", label=spec.get("label", step_id), doc=spec.get("doc", ""))
    for index, step in enumerate(steps.values()):
        for field_name, targets in (("after", step.after), ("uses", step.uses)):
            for position, target in enumerate(targets):
                known = steps if field_name == "after" else sources
                if target not in known:
                    close = difflib.get_close_matches(str(target), sorted(known), n=1)
                    reader.problem("unknown_node", f"{field_name} names {target!r}, which is not a "
                                   f"{'step' if field_name == 'after' else 'source'} of the pack",
                                   ("steps", index, field_name, position),
                                   hint=f"did you mean {close[0]!r}?" if close else None)
                    continue
                graph.add_edge(target, step.id)
        for entry in step.entries:
            if entry.source in sources and entry.source not in step.uses:
                graph.add_edge(entry.source, step.id)
    # The order is networkx's lexicographic topological sort (the smallest ready id first: unique and stable).
    # Compiling a pack is the only place networkx is imported on the way to a Pod, and the compiled pack is cached
    # (pack_cache), so a warm `podeval render` does not pay for the import.
    import networkx as nx

    order: list = []
    try:
        order = list(nx.lexicographical_topological_sort(graph.to_networkx()))
    except nx.NetworkXUnfeasible:
        cycle = nx.find_cycle(graph.to_networkx())
        names = " -> ".join([a for a, _ in cycle] + [cycle[0][0]])
        reader.problem("cycle", f"the precedence graph has a cycle: {names}", ("steps",),
                       hint="remove one of the 'after' edges of the cycle")
    if problems:
        return None, problems
    pack = RulePack(
        name=str(pack_doc["name"]), description=str(pack_doc.get("description", "")).strip(), folder=folder,
        digest="sha256:" + digest.hexdigest(), root=str(pack_doc.get("root", "PodTemplateSpec")), sources=sources,
        steps=[steps[node] for node in order if node in steps], profiles=profiles, options=options, dag=graph,
        order=order, loader=loader,
    )
    return pack, problems


@lru_cache(maxsize=32)
def _load_cached(folder: str, stamp: tuple) -> RulePack:
    from . import pack_cache

    cached = pack_cache.load(folder)
    if cached is not None:
        return cached
    pack, problems = collect_problems(folder)
    if problems:
        if len(problems) == 1:
            raise problems[0]
        first = problems[0]
        raise RuleError(first.code, f"{first.message} (and {len(problems) - 1} more problem(s): run `podeval check`)",
                        file=first.file, line=first.line, column=first.column, path=first.path, hint=first.hint,
                        rule=first.rule)
    assert pack is not None
    pack_cache.store(folder, pack)
    return pack


def load_rules(rules: str | Path | RulePack = "flyte-v1") -> RulePack:
    """Compile a pack (a shipped name or a folder) once; the result is reused by every evaluation."""
    if isinstance(rules, RulePack):
        return rules
    folder = resolve_pack_folder(rules).resolve()
    stamp = tuple((name, (folder / name).stat().st_mtime_ns if (folder / name).exists() else 0) for name in PACK_FILES)
    return _load_cached(str(folder), stamp)
