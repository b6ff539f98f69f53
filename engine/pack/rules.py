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
``read_chain`` (``engine.pack.pack_chain``) walks a pack's ``extends`` chain once, reading every file (``podeval
check`` uses the same chain); ``load_rules`` merges it (``pack_chain.merge``), validates (every problem with
file:line:col and the rule id, through ``engine.pack.pack_reader.Reader``), builds the graph (plain data,
``engine.pack.graph``), resolves strategy and transform names against their registries and compiles every JMESPath
expression into the compiled pack (``engine.pack.pack_model.RulePack``). Nothing of that happens again during an
evaluation. This module owns that compilation: the rules, steps and sources, the graph's edges and order, the cache.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import RuleError
from ..k8s import k8s_schema
from ..k8s import paths as _paths
from . import pack_cache, pack_format
from .graph import PrecedenceGraph
from .pack_chain import PackChain, merge_pack_files, read_chain, resolve_pack_folder
from .pack_model import Entry, Plugin, PodBuild, RulePack, SourceDef, Step
from .pack_reader import Reader, load_loader, load_profiles
from .plugin_options import load_options
from .registry import STRATEGY_PARAMS, load_deferred
from .transform_api import TRANSFORMS


def _load_entry(
    reader: Reader, spec: Any, where: tuple, step_id: str, sources: dict, profiles: dict, transforms: dict
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


def registries() -> dict:
    """The strategies' and transforms' names and declarations, for the pack schema (``pack_schema.json_schema``):
    ``{"strategy": {name: params}, "transform": {name: transform_api.Transform}}``, every one of them."""
    load_deferred()
    return {"strategy": STRATEGY_PARAMS, "transform": TRANSFORMS}


def _load_sources(reader: Reader, pack_doc: dict) -> dict:
    sources: dict = {}
    for index, spec in enumerate(pack_doc.get("sources") or []):
        if reader.keys(spec, ("sources", index), pack_format.SOURCE) and "id" in spec:
            get = pack_format.SOURCE.get
            sources[spec["id"]] = SourceDef(
                spec["id"], spec.get("label", spec["id"]), get(spec, "doc"), get(spec, "origin")
            )
    return sources


def _load_steps(
    reader: Reader,
    pack_doc: dict,
    sources: dict,
    profiles: dict,
    graph: PrecedenceGraph,
    where_steps: tuple = ("steps",),
    rule_ids: dict | None = None,
) -> dict:
    steps: dict = {}
    rule_ids = {} if rule_ids is None else rule_ids
    for index, spec in enumerate(pack_doc.get(where_steps[-1]) or []):
        where = where_steps + (index,)
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


def _load_pipelines(reader: Reader, pack_doc: dict, steps: dict, order: list) -> dict:
    """pack.yaml ``pipelines``: name -> the step ids, in evaluation order."""
    pipelines: dict = {}
    for name, ids in (pack_doc.get("pipelines") or {}).items():
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            reader.problem("pack_schema", "a pipeline is a list of step ids", ("pipelines", name))
            continue
        for position, step_id in enumerate(ids):
            if step_id not in steps:
                close = difflib.get_close_matches(step_id, sorted(steps), n=1)
                reader.problem(
                    "unknown_node",
                    f"pipeline {name!r} names {step_id!r}, which is not a step of the pack",
                    ("pipelines", name, position),
                    hint=f"did you mean {close[0]!r}?" if close else None,
                )
        pipelines[name] = tuple(node for node in order if node in ids)
    return pipelines


def _load_build(reader: Reader, spec: dict, where: tuple, section: Any, pack: dict, rule_ids: dict) -> PodBuild | None:
    """A plugin's shared pod or one of its roles."""
    if not reader.keys(spec, where, section):
        return None
    context = {}
    for path, text in (spec.get("context") or {}).items():
        compiled = reader.expression(text, where + ("context", path), None)
        if compiled is not None:
            context[str(path)] = compiled
    pipeline = spec.get("pipeline")
    if pipeline != "shared" and pipeline not in pack["pipelines"]:
        reader.problem(
            "unknown_node",
            f"no pipeline {pipeline!r} in the pack",
            where + ("pipeline",),
            hint=f"pipelines: {', '.join(sorted(pack['pipelines'])) or 'none'} (or shared)",
        )
    steps = _load_steps(
        reader, spec, pack["sources"], pack["profiles"], PrecedenceGraph(), where + ("steps",), rule_ids
    )
    build = PodBuild(str(pipeline), context, list(steps.values()))
    build.error = spec.get("error")
    if section is not pack_format.ROLE:
        return build
    build.id = str(spec.get("id"))
    build.label = str(spec.get("label", build.id))
    build.doc = str(spec.get("doc", ""))
    if "each" in spec:
        build.each = reader.expression(spec["each"], where + ("each",), None)
    if "at" in spec:
        try:
            build.at = _paths.parse(str(spec["at"]))
        except ValueError as exc:
            reader.problem("pack_schema", str(exc), where + ("at",))
    build.object_steps = list(
        _load_steps(
            reader,
            {"object-steps": spec.get("object-steps")},
            pack["sources"],
            pack["profiles"],
            PrecedenceGraph(),
            where + ("object-steps",),
            rule_ids,
        ).values()
    )
    build.place_name = str(pack_format.ROLE.get(spec, "place"))
    build.place = TRANSFORMS.get(build.place_name)
    if build.place is None:
        reader.problem("unknown_transform", f"unknown transform {build.place_name!r}", where + ("place",))
    params = spec.get("params") or {}
    declared = getattr(build.place, "params", {})
    build.params = {
        key: reader.expression(raw, where + ("params", key), None) if declared.get(key) == "expression" else raw
        for key, raw in params.items()
    }
    return build


def _load_plugins(chain: PackChain, problems: list, pack: dict) -> dict:
    """The plugin files of the chain (``plugins/<id>.yaml``), each merged through ``extends`` and compiled."""
    plugins: dict = {}
    plugin_sources: set = set()
    for name in chain.plugin_files():
        doc, reader = chain.merged(pack_format.PLUGIN_FILE, problems, name)
        if reader is None or not reader.keys(doc, (), pack_format.PLUGIN_FILE):
            continue
        rule_ids: dict = {}
        for index, spec in enumerate(doc.get("sources") or []):
            if reader.keys(spec, ("sources", index), pack_format.SOURCE) and "id" in spec:
                if spec["id"] in pack["sources"] and spec["id"] not in plugin_sources:
                    reader.problem("duplicate_node", f"source {spec['id']!r} is declared twice", ("sources", index))
                get = pack_format.SOURCE.get
                plugin_sources.add(spec["id"])
                pack["sources"][spec["id"]] = SourceDef(
                    spec["id"], spec.get("label", spec["id"]), get(spec, "doc"), get(spec, "origin")
                )
        config = doc.get("config") or {}
        if config and not reader.keys(config, ("config",), pack_format.PLUGIN_CONFIG):
            config = {}
        shared = None
        if doc.get("shared") is not None:
            shared = _load_build(reader, doc["shared"], ("shared",), pack_format.POD_BUILD, pack, rule_ids)
        roles = []
        for index, spec in enumerate(doc.get("roles") or []):
            role = _load_build(reader, spec, ("roles", index), pack_format.ROLE, pack, rule_ids)
            if role is not None:
                if role.pipeline == "shared" and shared is None:
                    reader.problem("pack_schema", "pipeline: shared needs the plugin's `shared` pod", ("roles", index))
                roles.append(role)
        steps = _load_steps(reader, doc, pack["sources"], pack["profiles"], PrecedenceGraph(), ("steps",), rule_ids)
        plugin = Plugin(
            id=str(doc["id"]),
            label=str(doc.get("label", doc["id"])),
            doc=str(doc.get("doc", "")).strip(),
            task_types=tuple(doc.get("task-types") or ()),
            root=str(doc["root"]),
            config_section=config.get("section"),
            options=load_options(reader, config, ("config",)) if config else {},
            shared=shared,
            roles=roles,
            steps=list(steps.values()),
            finish=doc.get("finish"),
        )
        if plugin.finish is not None and plugin.finish not in pack["pipelines"]:
            reader.problem("unknown_node", f"no pipeline {plugin.finish!r} in the pack", ("finish",))
        if not k8s_schema.fields(plugin.root):
            reader.problem(
                "pack_schema",
                f"unknown object type {plugin.root!r}",
                ("root",),
                hint="declare it in engine/data/crd_types.yaml",
            )
        clash = next((other for other in plugins.values() if set(other.task_types) & set(plugin.task_types)), None)
        if clash is not None:
            reader.problem(
                "pack_schema", f"plugins {clash.id!r} and {plugin.id!r} build the same task type", ("task-types",)
            )
        plugins[plugin.id] = plugin
    return plugins


def _connect(reader: Reader, graph: PrecedenceGraph, steps: dict, sources: dict) -> None:
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


def _order(reader: Reader, graph: PrecedenceGraph) -> list:
    """networkx's lexicographic topological sort (the smallest ready id first: unique and stable)."""
    # Compiling a pack is the only place networkx is imported on the way to a Pod, and the compiled pack is cached
    # (pack_cache), so a warm `podeval render` does not pay for the import.
    import networkx as nx  # start-up: only when a pack is compiled (the compiled pack is cached)

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
    load_deferred()  # the names the pack uses are checked against every registered one
    chain = rules if isinstance(rules, PackChain) else read_chain(rules)
    if chain.problems:
        return None, list(chain.problems)
    problems: list[RuleError] = []
    profiles_file, profiles_reader = chain.merged(pack_format.PROFILES_FILE, problems)
    profiles = load_profiles(profiles_reader, profiles_file)
    plugin_config, plugin_reader = chain.merged(pack_format.PLUGIN_CONFIG_FILE, problems)
    options = load_options(plugin_reader, plugin_config) if plugin_reader is not None else {}
    loader = load_loader(plugin_reader, plugin_config)
    merged = merge_pack_files(chain, problems)
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
    pipelines = _load_pipelines(reader, pack_doc, steps, order)
    plugins = _load_plugins(chain, problems, {"sources": sources, "profiles": profiles, "pipelines": pipelines})
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
        pipelines=pipelines,
        plugins=plugins,
        folders=tuple(layer.folder for layer in chain.layers),
    )
    return pack, problems


@lru_cache(maxsize=32)
def _load_cached(folder: str, stamp: tuple) -> RulePack:
    cached = pack_cache.load(folder, RulePack, lambda: _compile(folder))
    if cached is not None:
        return cached
    pack = _compile(folder)
    pack_cache.store(folder, pack)
    return pack


def _compile(folder: str) -> RulePack:
    """The pack compiled; its first problem raised (with the count of the others)."""
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
    return pack


def load_rules(rules: str | Path | RulePack = "flyte-v1") -> RulePack:
    """Compile a pack (a shipped name or a folder) once; the result is reused by every evaluation."""
    if isinstance(rules, RulePack):
        return rules
    folder = resolve_pack_folder(rules).resolve()
    stamp = tuple(
        (name, (folder / name).stat().st_mtime_ns if (folder / name).exists() else 0)
        for name in pack_format.pack_files(folder)
    )
    return _load_cached(str(folder), stamp)
