"""``podeval check``: every problem of a rule pack at once, each with file:line:col and the rule id.

Three passes, reported together and sorted by position:

1. **Schema.** Each file of the pack is validated against ``engine/data/pack.schema.json`` (JSON Schema draft
   2020-12, one schema for ``pack.yaml``, ``profiles.yaml`` and ``plugin-config.yaml``; editors can use the same
   file, see docs/policy-authors.md). Strategy and transform names, and their parameters, are checked against the
   live registries, and JMESPath expressions are compiled (``format: jmespath``).
2. **Loader.** ``rules.collect_problems``: what only loading can see (unknown sources and profiles, duplicate ids,
   a cycle, ``extends``). Where the loader and the schema report the same place, the loader's report is kept.
3. **Graph** (on a pack that loads). A source no step uses; a step not ordered against the others (no ``after``
   path connects it); two unordered steps (neither reachable from the other) whose rules can write the same path
   (layers' ``at`` paths and the ``writes`` transforms declare); a plugin option that
   says it shapes the Pod but that no rule reads.

With scenarios, a fourth pass reports **fields no rule covers**: a field of the scenario is covered when some rule
reads it or a part of the scenario that contains it (a JMESPath ``select``, ``when`` or transform expression, or a
transform's declared ``reads``). Once a rule reads a subtree (``task.podTemplate``) everything in it is covered:
whatever a merge meets there is decided by a profile rule for its path or by the profile's ``default`` strategy,
and the default is as deliberate a rule as any. A plugin option a rule reads through ``config`` is covered, and so
is one declared ``shapes-pod: false`` (accepted and ignored on purpose). What is left is input the pack silently
ignores.

Exit codes: 0 clean, 1 findings, 2 the pack (or a scenario) cannot be read at all.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import paths as _paths
from .errors import InputError, PodevalError, RuleError
from .plugin_options import KINDS

SCHEMA_FILE = Path(__file__).resolve().parent / "data" / "pack.schema.json"
SCHEMA_ID = "https://podeval.dev/schemas/pack.schema.json"
PACK_FILES = ("pack.yaml", "profiles.yaml", "plugin-config.yaml")
FILE_DEFS = {"pack.yaml": "packFile", "profiles.yaml": "profilesFile", "plugin-config.yaml": "pluginConfigFile"}
OPTION_TYPES = list(KINDS)  # the option types engine.plugin_options decodes



# ----------------------------------------------------------------------------------------------------------------
# The schema


def _jmespath() -> dict:
    return {"type": "string", "format": "jmespath"}


def _patch(definition: dict, key: str | None) -> dict:
    """The definition as a patch: the same properties, only the id required, no one-of constraints."""
    patch = {k: v for k, v in definition.items() if k not in ("required", "oneOf", "x-message", "allOf")}
    patch["properties"] = dict(definition["properties"])
    if key:
        patch["required"] = [key]
    return patch


def _transform_params(declared: Any) -> dict:
    """The schema of a transform's ``params``: an expression is JMESPath, a variable's name a string."""
    kinds = {"expression": _jmespath(), "variable": {"type": "string", "description": "a variable it sets"}}
    schema = {"type": "object", "properties": {p: kinds.get(kind, {}) for p, kind in sorted(declared.params.items())},
              "additionalProperties": False}
    if declared.required:
        schema["required"] = list(declared.required)
    return {"properties": {"params": schema}, **({"required": ["params"]} if declared.required else {})}


def build_schema(strategies: dict | None = None, transforms: dict | None = None) -> dict:
    """The pack schema, with strategy and transform names and parameters from the registries."""
    from .rules import TRANSFORMS
    from .strategies import STRATEGY_PARAMS

    strategies = strategies if strategies is not None else STRATEGY_PARAMS
    transforms = transforms if transforms is not None else TRANSFORMS
    text = {"type": "string"}
    ids = {"type": "string", "minLength": 1}
    strategy_params = [
        {"if": {"properties": {"strategy": {"const": name}}, "required": ["strategy"]},
         "then": {"properties": {"params": {"type": "object", "properties": {p: {} for p in sorted(params)},
                                            "additionalProperties": False}}}}
        for name, params in sorted(strategies.items())
    ]
    transform_params = [
        {"if": {"properties": {"transform": {"const": name}}, "required": ["transform"]},
         "then": _transform_params(declared)}
        for name, declared in sorted(transforms.items())
    ]
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "podeval rule pack",
        "description": "One schema for the three files of a podeval rule pack: pack.yaml, profiles.yaml and "
                       "plugin-config.yaml (told apart by their top-level key). Generated by "
                       "`python -m engine.check --write-schema` from podeval's strategy and transform registries.",
        "if": {"type": "object", "required": ["profiles"]},
        "then": {"$ref": "#/$defs/profilesFile"},
        "else": {"if": {"type": "object", "required": ["options"]}, "then": {"$ref": "#/$defs/pluginConfigFile"},
                 "else": {"$ref": "#/$defs/packFile"}},
        "$defs": {
            "packFile": {
                "description": "pack.yaml: the sources and steps of the precedence DAG",
                "type": "object",
                "properties": {
                    "name": ids, "description": text, "extends": {**ids, "description": "a shipped pack or a folder"},
                    "root": {"enum": ["PodTemplateSpec", "Pod"]},
                    "sources": {"type": "array"},
                    "steps": {"type": "array"},
                },
                "additionalProperties": False,
                "if": {"not": {"required": ["extends"]}},
                "then": {"required": ["name", "sources", "steps"],
                         "properties": {"sources": {"items": {"$ref": "#/$defs/source"}},
                                        "steps": {"items": {"$ref": "#/$defs/step"}}}},
                # an extending pack patches its parent's sources and steps by id, and rules by rule id: a patch
                # needs only the id; the merged pack is checked as a whole by the loader
                "else": {"required": ["name"],
                         "properties": {"sources": {"items": {"$ref": "#/$defs/sourcePatch"}},
                                        "steps": {"items": {"$ref": "#/$defs/stepPatch"}}}},
            },
            "source": {
                "type": "object",
                "properties": {"id": ids, "label": text, "doc": text, "origin": text},
                "required": ["id"],
                "additionalProperties": False,
            },
            "step": {
                "type": "object",
                "properties": {
                    "id": ids, "label": text, "doc": text,
                    "after": {"type": "array", "items": ids, "description": "steps this one runs after"},
                    "uses": {"type": "array", "items": ids, "description": "sources this step reads"},
                    "apply": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
                },
                "required": ["id", "apply"],
                "additionalProperties": False,
            },
            "rule": {
                "type": "object",
                "properties": {
                    "rule": ids, "source": ids, "when": _jmespath(), "doc": text, "note": text,
                    "layer": {"$ref": "#/$defs/layer"},
                    "transform": {"enum": sorted(transforms)},
                    "params": {"type": "object"},
                },
                "required": ["rule", "source"],
                "additionalProperties": False,
                "oneOf": [{"required": ["layer"]}, {"required": ["transform"]}],
                "x-message": "a rule has exactly one of 'layer' or 'transform'",
                "allOf": transform_params,
            },
            "layer": {
                "type": "object",
                "properties": {
                    "at": {"type": "string", "description": "a path in the contract's syntax; $var in key selectors"},
                    "select": _jmespath(),
                    "value": {},
                    "position": {"enum": ["over", "under"]},
                    "profile": ids,
                },
                "required": ["at"],
                "additionalProperties": False,
                "oneOf": [{"required": ["select"]}, {"required": ["value"]}],
                "x-message": "a layer has exactly one of 'select' (JMESPath) or 'value' (a literal)",
            },
            "profilesFile": {
                "description": "profiles.yaml: merge profiles",
                "type": "object",
                "properties": {"profiles": {"type": "object", "additionalProperties": {"$ref": "#/$defs/profile"}}},
                "required": ["profiles"],
                "additionalProperties": False,
            },
            "profile": {
                "type": "object",
                "properties": {
                    "doc": text,
                    "default": {"$ref": "#/$defs/strategySpec"},
                    "paths": {"type": "object", "additionalProperties": {"$ref": "#/$defs/strategySpec"}},
                },
                "required": ["default"],
                "additionalProperties": False,
            },
            "strategySpec": {
                "if": {"type": "string"},
                "then": {"$ref": "#/$defs/strategyName"},
                "else": {"$ref": "#/$defs/strategyRule"},
            },
            "strategyName": {"enum": sorted(strategies)},
            "strategyRule": {
                "type": "object",
                "properties": {"strategy": {"$ref": "#/$defs/strategyName"}, "params": {"type": "object"},
                               "note": text, "rule": ids},
                "required": ["strategy"],
                "additionalProperties": False,
                "allOf": strategy_params,
            },
            "pluginConfigFile": {
                "description": "plugin-config.yaml: the FlytePropeller K8s plugin options the pack knows",
                "type": "object",
                "properties": {"options": {"type": "object", "additionalProperties": {"$ref": "#/$defs/option"}},
                               "loader": {"$ref": "#/$defs/loader"}},
                "required": ["options"],
                "additionalProperties": False,
            },
            "loader": {
                "description": "how FlytePropeller's config loader (viper and flytestdlib) treats map keys",
                "type": "object",
                "properties": {
                    "lowercase-in-lists": {"type": "boolean", "description": "viper lowercases keys inside lists "
                                           "too (viper >= 1.20; 1.11 does not)"},
                    "restore-lists": {"type": "boolean", "description": "flytestdlib puts lists back as written "
                                      "(restoreCaseSensitiveArrayKeys, flyte#7013)"},
                    "restore-dotted-keys": {"type": "boolean", "description": "flytestdlib puts dotted keys back as "
                                            "written (restoreDottedMapKeys, flyte#7369)"},
                },
                "additionalProperties": False,
            },
            "option": {
                "type": "object",
                "properties": {"type": {"enum": OPTION_TYPES}, "default": {}, "shapes-pod": {"type": "boolean"},
                               "doc": text,
                               "k8s": {"type": "string", "description": "the Kubernetes type of the value, or of its "
                                       "items or values; labels or annotations for maps"},
                               "fields": {"type": "object", "description": "a struct's fields, each an option that "
                                          "defaults on its own", "additionalProperties": {"$ref": "#/$defs/option"}}},
                "required": ["type"],
                "additionalProperties": False,
            },
        },
    }
    defs = schema["$defs"]
    defs["sourcePatch"] = _patch(defs["source"], "id")
    defs["stepPatch"] = _patch(defs["step"], "id")
    defs["stepPatch"]["properties"]["apply"] = {"type": "array", "items": {"$ref": "#/$defs/rulePatch"}}
    defs["rulePatch"] = _patch(defs["rule"], "rule")
    defs["rulePatch"]["properties"]["layer"] = {"$ref": "#/$defs/layerPatch"}
    defs["layerPatch"] = _patch(defs["layer"], None)
    return schema


def schema_text(schema: dict | None = None) -> str:
    return json.dumps(schema if schema is not None else build_schema(), indent=2) + "\n"


@lru_cache(maxsize=1)
def _validators() -> dict:
    """One validator per pack file, on the shipped schema with the live registries laid over its enums."""
    from jmespath import compile as compile_jmespath
    from jmespath.exceptions import JMESPathError
    from jsonschema import Draft202012Validator, FormatChecker

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    live = build_schema()
    for name in ("strategyName", "strategyRule"):
        schema["$defs"][name] = live["$defs"][name]
    schema["$defs"]["rule"]["properties"]["transform"] = live["$defs"]["rule"]["properties"]["transform"]
    schema["$defs"]["rule"]["allOf"] = live["$defs"]["rule"]["allOf"]
    checker = FormatChecker()
    checker.checks("jmespath", raises=JMESPathError)(lambda text: not isinstance(text, str) or bool(
        compile_jmespath(text)))
    return {name: Draft202012Validator({**schema, "$ref": f"#/$defs/{definition}"}, format_checker=checker)
            for name, definition in FILE_DEFS.items()}


# ----------------------------------------------------------------------------------------------------------------
# Findings


@dataclass
class Report:
    findings: list = field(default_factory=list)  # RuleError, sorted
    fatal: list = field(default_factory=list)  # problems that stop the check: exit 2
    pack: Any = None

    @property
    def exit_code(self) -> int:
        if self.fatal:
            return max(getattr(problem, "exit_code", 2) for problem in self.fatal)
        return 1 if self.findings else 0


def _finding(code: str, message: str, *, file: str | None, document: Any = None, where: tuple = (),
             rule: str | None = None, hint: str | None = None, key: bool = False) -> RuleError:
    """A finding at ``where`` in ``document`` (at the key of a mapping entry when ``key``)."""
    line = column = None
    if document is not None:
        found = document.locate_key(where) if key else document.locate(where)
        if found:
            line, column = found
    return RuleError(code, message, file=file, line=line, column=column, path=_paths.render(where) or None,
                     rule=rule, hint=hint)


def _rule_at(file_name: str, data: Any, where: tuple) -> str | None:
    """The id of the rule (or step, source, profile, option) a position belongs to."""
    try:
        if file_name == "pack.yaml" and len(where) >= 2 and where[0] in ("steps", "sources"):
            item = data[where[0]][where[1]]
            if where[0] == "steps" and len(where) >= 4 and where[2] == "apply":
                rule = item["apply"][where[3]]
                return rule.get("rule") if isinstance(rule, dict) else None
            return item.get("id") if isinstance(item, dict) else None
        if file_name == "profiles.yaml" and len(where) >= 2 and where[0] == "profiles":
            if len(where) >= 4 and where[2] == "paths":
                return f"{where[1]}:{where[3]}"
            return str(where[1])
        if file_name == "plugin-config.yaml" and len(where) >= 2 and where[0] == "options":
            return str(where[1])
    except (KeyError, IndexError, TypeError):
        return None
    return None


def _names(kind: str) -> list[str]:
    from .rules import TRANSFORMS
    from .strategies import STRATEGIES

    return sorted(STRATEGIES if kind == "strategy" else TRANSFORMS)


def _schema_findings(file_name: str, path: Path, document: Any) -> list[RuleError]:
    validator = _validators()[file_name]
    data = document.value
    found = []
    for error in validator.iter_errors(data):
        where = tuple(error.absolute_path)
        schema = error.schema if isinstance(error.schema, dict) else {}
        rule = _rule_at(file_name, data, where)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = sorted(schema.get("properties") or {})
            for key in error.instance:
                if key in allowed:
                    continue
                close = difflib.get_close_matches(str(key), allowed, n=1)
                found.append(_finding("pack_unknown_key", f"unknown key {key!r}", file=str(path), document=document,
                                      where=where + (key,), rule=_rule_at(file_name, data, where + (key,)), key=True,
                                      hint=f"did you mean {close[0]!r}?" if close else
                                      (f"known keys: {', '.join(allowed)}" if allowed else None)))
            continue
        if error.validator == "required":
            missing = str(error.message).split("'")[1] if "'" in str(error.message) else str(error.message)
            found.append(_finding("pack_missing_key", f"missing required key {missing!r}", file=str(path),
                                  document=document, where=where, rule=rule))
            continue
        if error.validator == "enum" and schema.get("enum") in (_names("strategy"), _names("transform")):
            kind = "transform" if schema.get("enum") == _names("transform") else "strategy"
            options = [str(o) for o in schema.get("enum", [])]
            close = difflib.get_close_matches(str(error.instance), options, n=1)
            found.append(_finding(f"unknown_{kind}", f"unknown {kind} {error.instance!r}", file=str(path),
                                  document=document, where=where, rule=rule,
                                  hint=f"did you mean {close[0]!r}?" if close else f"known: {', '.join(options)}"))
            continue
        if error.validator == "format" and schema.get("format") == "jmespath":
            cause = error.cause or error.message
            found.append(_finding("jmespath_invalid", f"JMESPath does not compile: {cause}", file=str(path),
                                  document=document, where=where, rule=rule,
                                  hint="see https://jmespath.org/specification.html; quote keys with dashes: "
                                       "config.\"default-labels\""))
            continue
        message = schema.get("x-message") if error.validator in ("oneOf", "anyOf") else None
        found.append(_finding("pack_schema", message or error.message, file=str(path), document=document,
                              where=where, rule=rule))
    return found


# ----------------------------------------------------------------------------------------------------------------
# Graph


def _overlap(a: tuple, b: tuple) -> bool:
    """Can two ``at`` paths touch the same field? (one is a prefix of the other; ``$var`` keys match any key)"""
    for x, y in zip(a, b):
        if isinstance(x, _paths.Key) and isinstance(y, _paths.Key):
            if x.field != y.field:
                return False
            if x.value.startswith("$") or y.value.startswith("$"):
                continue
            if (x.value, x.occurrence) != (y.value, y.occurrence):
                return False
        elif isinstance(x, str) and isinstance(y, str) or isinstance(x, int) and isinstance(y, int):
            if x != y:
                return False
        elif isinstance(x, str) or isinstance(y, str):
            return False
    return True


def _writes(entry: Any) -> list[tuple]:
    if entry.kind == "layer":
        return [entry.at]
    declared = getattr(entry.transform, "writes", None) or ()
    return [_paths.parse(p) if isinstance(p, str) else tuple(p) for p in declared]


class _Locator:
    """Positions in the pack's files, for findings about the compiled pack."""

    def __init__(self, chain: list) -> None:
        self.chain = chain  # [(folder, {name: Document})], the pack first, then what it extends

    def find(self, file_name: str, predicate) -> tuple[str | None, Any, tuple]:
        for folder, documents in self.chain:
            document = documents.get(file_name)
            if document is None:
                continue
            where = predicate(document.value)
            if where is not None:
                return str(folder / file_name), document, where
        return None, None, ()

    def step(self, step_id: str, *extra: Any) -> tuple:
        def predicate(value: Any) -> tuple | None:
            for index, step in enumerate((value or {}).get("steps") or [] if isinstance(value, dict) else []):
                if isinstance(step, dict) and step.get("id") == step_id:
                    return ("steps", index) + extra
            return None

        return self.find("pack.yaml", predicate)

    def rule(self, rule_id: str, *extra: Any) -> tuple:
        def predicate(value: Any) -> tuple | None:
            for index, step in enumerate((value or {}).get("steps") or [] if isinstance(value, dict) else []):
                for position, rule in enumerate(step.get("apply") or [] if isinstance(step, dict) else []):
                    if isinstance(rule, dict) and rule.get("rule") == rule_id:
                        return ("steps", index, "apply", position) + extra
            return None

        return self.find("pack.yaml", predicate)

    def source(self, source_id: str) -> tuple:
        def predicate(value: Any) -> tuple | None:
            for index, source in enumerate((value or {}).get("sources") or [] if isinstance(value, dict) else []):
                if isinstance(source, dict) and source.get("id") == source_id:
                    return ("sources", index, "id")
            return None

        return self.find("pack.yaml", predicate)

    def option(self, name: str) -> tuple:
        def predicate(value: Any) -> tuple | None:
            options = value.get("options") if isinstance(value, dict) else None
            return ("options", name) if isinstance(options, dict) and name in options else None

        return self.find("plugin-config.yaml", predicate)


def _at(locator_result: tuple) -> dict:
    file, document, where = locator_result
    return {"file": file, "document": document, "where": where}


def _file_index(locator: _Locator, step_id: str) -> int:
    where = locator.step(step_id)[2]
    return where[1] if len(where) > 1 else -1


def _graph_findings(pack: Any, locator: _Locator) -> list[RuleError]:
    import networkx as nx

    graph = pack.graph
    found = []
    for source_id in pack.sources:
        if graph.out_degree(source_id) == 0:
            found.append(_finding("unused_source", f"source {source_id!r} is used by no step and no rule",
                                  **_at(locator.source(source_id)), rule=source_id,
                                  hint="name it in a step's `uses` and give it rules, or remove it"))
    steps = [step.id for step in pack.steps]
    step_graph = graph.subgraph(steps)
    components = sorted(nx.weakly_connected_components(step_graph), key=lambda c: (-len(c), min(c)))
    for component in components[1:]:
        for step_id in sorted(component, key=steps.index):
            found.append(_finding("disconnected_step",
                                  f"step {step_id!r} is not ordered against the other steps: no `after` path "
                                  "connects them, so only the alphabetical tie-break decides when it runs",
                                  **_at(locator.step(step_id, "id")), rule=step_id,
                                  hint=f"add `after: [...]` naming the step it must follow (e.g. {steps[0]!r})"))
    reach = {step_id: nx.descendants(graph, step_id) for step_id in steps}
    by_id = {step.id: step for step in pack.steps}
    for index, first in enumerate(steps):
        for second in steps[index + 1:]:
            if second in reach[first] or first in reach[second]:
                continue
            for entry_a in by_id[first].entries:
                for entry_b in by_id[second].entries:
                    clash = next(((a, b) for a in _writes(entry_a) for b in _writes(entry_b) if _overlap(a, b)), None)
                    if clash is None:
                        continue
                    shorter = min(clash, key=len)
                    # located at the rule of the step written later in the file (most likely the one just added)
                    later = entry_b if _file_index(locator, second) >= _file_index(locator, first) else entry_a
                    found.append(_finding(
                        "unordered_writers",
                        f"steps {first!r} and {second!r} are not ordered (neither runs after the other) and both "
                        f"write {_paths.render(shorter)} (rules {entry_a.id!r} and {entry_b.id!r}): which one wins "
                        "depends on the alphabetical tie-break of their ids",
                        **_at(locator.rule(later.id, "layer", "at") if later.kind == "layer"
                              else locator.rule(later.id)), rule=later.id,
                        hint=f"add `after: [{first}]` to step {second!r} (or `after: [{second}]` to {first!r})"))
    read = _reads(pack)
    for name, option in pack.options.items():
        if option.shapes_pod and not any(_paths.is_prefix(r, ("propeller", "config", name))
                                         or _paths.is_prefix(("propeller", "config", name), r) for r in read):
            found.append(_finding("unread_option",
                                  f"option {name!r} says it shapes the Pod (shapes-pod: true) but no rule reads it",
                                  **_at(locator.option(name)), rule=name, key=True,
                                  hint=f"read it in a rule (config.\"{name}\"), or set `shapes-pod: false` if the "
                                       "pack accepts and ignores it on purpose"))
    return found


# ----------------------------------------------------------------------------------------------------------------
# Variables: each one a rule reads is set by a transform that runs before it


def _variables_read(entry: Any) -> list[tuple[str, tuple]]:
    """(variable, where in the rule) for each variable a rule reads: ``vars.NAME`` in its expressions, ``$NAME``
    in its layer's ``at``."""
    found = []
    expressions = [(entry.when, ("when",))]
    if entry.kind == "layer":
        expressions.append((entry.select, ("layer", "select")))
        found += [(s.value[1:], ("layer", "at")) for s in entry.at or ()
                  if isinstance(s, _paths.Key) and s.value.startswith("$")]
    else:
        expressions += [(value, ("params", key)) for key, value in entry.params.items() if hasattr(value, "compiled")]
    for expression, where in expressions:
        if expression is None:
            continue
        names = {path[1] for path in _root_reads(expression.compiled.parsed) if len(path) > 1 and path[0] == "vars"}
        found += [(name, where) for name in sorted(names)]
    return found


def _variable_findings(pack: Any, locator: _Locator) -> list[RuleError]:
    """A variable a rule reads must be a built-in (``transform_api.BUILTIN_VARIABLES``) or set (``sets``, or a
    ``"variable"`` parameter) by a transform earlier in the same step or in a step it runs after (``after``
    paths: in any topological order)."""
    import networkx as nx

    from .transform_api import BUILTIN_VARIABLES

    setters: dict[str, list] = {}  # variable -> [(step id, position in the step, rule id)]
    for step in pack.steps:
        for position, entry in enumerate(step.entries):
            if entry.kind == "transform":
                for name in sorted(entry.transform.variables_set(entry.params)):
                    setters.setdefault(name, []).append((step.id, position, entry.id))
    found = []
    for step in pack.steps:
        before = nx.ancestors(pack.graph, step.id)
        for position, entry in enumerate(step.entries):
            for name, where in _variables_read(entry):
                if name in BUILTIN_VARIABLES:
                    continue
                place = _at(locator.rule(entry.id, *where))
                candidates = setters.get(name)
                if not candidates:
                    close = difflib.get_close_matches(name, sorted(set(setters) | set(BUILTIN_VARIABLES)), n=1)
                    found.append(_finding("unknown_variable", f"rule reads the variable {name!r}, which no transform "
                                          "of the pack sets", **place, rule=entry.id,
                                          hint=f"did you mean {close[0]!r}?" if close else
                                          f"variables: {', '.join(sorted(setters)) or 'none'}"))
                elif not any(s in before or (s == step.id and p < position) for s, p, _ in candidates):
                    setter_step, _, setter = candidates[0]
                    found.append(_finding("variable_set_later", f"rule reads the variable {name!r}, which rule "
                                          f"{setter!r} (step {setter_step!r}) sets, but step {step.id!r} does not run "
                                          "after it", **place, rule=entry.id,
                                          hint=f"add `after: [{setter_step}]` to step {step.id!r}"
                                          if setter_step != step.id else f"move rule {setter!r} before this one"))
    return found


# ----------------------------------------------------------------------------------------------------------------
# What rules read


_CONTEXT_ROOTS = {"task": ("task",), "execution": ("execution",), "propeller": ("propeller",),
                  "podTemplates": ("podTemplates",), "config": ("propeller", "config")}


def _root_reads(node: dict) -> set[tuple]:
    """The paths, from the root of the JMESPath context, that an expression reads (a path read whole covers
    everything below it)."""
    kind = node.get("type")
    children = node.get("children") or []
    if kind == "field":
        return {(node["value"],)}
    if kind == "subexpression":
        path: tuple = ()
        for position, child in enumerate(children):
            if child.get("type") == "field":
                path += (child["value"],)
                continue
            if position == 0:
                return _root_reads(child)
            if child.get("type") == "index_expression" and (child.get("children") or [{}])[0].get("type") == "field":
                path += (child["children"][0]["value"],)
            return {path}
        return {path}
    if kind in ("index_expression", "projection", "filter_projection", "flatten", "value_projection", "pipe"):
        return _root_reads(children[0]) if children else set()
    if kind in ("current", "identity"):
        return {()}
    if kind in ("literal", "expref", "index", "slice"):
        return set()
    reads: set[tuple] = set()
    for child in children:
        reads |= _root_reads(child)
    return reads


def _expression_reads(expression: Any) -> set[tuple]:
    reads = set()
    for path in _root_reads(expression.compiled.parsed):
        if not path:
            return {()}
        root = _CONTEXT_ROOTS.get(path[0])
        if root is not None:
            reads.add(root + path[1:])
    return reads


def _reads(pack: Any) -> set[tuple]:
    reads: set[tuple] = set()
    for step in pack.steps:
        for entry in step.entries:
            for expression in (entry.when, entry.select):
                if expression is not None:
                    reads |= _expression_reads(expression)
            if entry.kind == "transform":
                for value in entry.params.values():
                    if hasattr(value, "compiled"):
                        reads |= _expression_reads(value)
                declared = getattr(entry.transform, "reads", None) or ()
                reads |= {tuple(p) if not isinstance(p, str) else tuple(p.split(".")) for p in declared}
    for name, option in pack.options.items():
        if not option.shapes_pod:
            reads.add(("propeller", "config", name))
    return reads


def _is_empty(value: Any) -> bool:
    return value is None or value == {} or value == [] or value == ""


def coverage_findings(pack: Any, scenario: Any, reads: set[tuple] | None = None) -> list[RuleError]:
    """The fields of a scenario that no rule reads (each uncovered subtree once, at its top)."""
    reads = reads if reads is not None else _reads(pack)
    found: list[RuleError] = []

    def named(path: tuple) -> tuple:
        return tuple(s for s in path if not isinstance(s, int))

    def visit(value: Any, path: tuple) -> None:
        if _is_empty(value):
            return
        fields = named(path)
        if any(_paths.is_prefix(r, fields) for r in reads):
            return  # read, whole or as part of something read
        if path and not any(_paths.is_prefix(fields, r) for r in reads):
            line, column = scenario.locate(path)
            found.append(RuleError("uncovered_field", f"no rule of {pack.name} reads this: the pack ignores it",
                                   file=scenario.filename, line=line, column=column,
                                   path=_paths.render(path),
                                   hint="add a rule that selects it (or a part of the scenario that contains it), "
                                        "or drop it from the scenario"))
            return
        if isinstance(value, dict):
            for key, child in value.items():
                visit(child, path + (key,))
        elif isinstance(value, list):
            for index, child in enumerate(value):
                visit(child, path + (index,))
        else:
            line, column = scenario.locate(path)
            found.append(RuleError("uncovered_field", f"no rule of {pack.name} reads this: the pack ignores it",
                                   file=scenario.filename, line=line, column=column, path=_paths.render(path)))

    visit(scenario.data, ())
    return found


# ----------------------------------------------------------------------------------------------------------------


def _read_chain(rules: Any, fatal: list) -> tuple[Path | None, list]:
    """The pack's folder and the documents of it and of the packs it extends; parse failures go to ``fatal``."""
    from .rules import resolve_pack_folder
    from .yamlio import load_document

    try:
        folder = resolve_pack_folder(rules)
    except RuleError as error:
        fatal.append(error)
        return None, []
    chain: list = []
    current: Path | None = folder
    while current is not None and all(current != f for f, _ in chain):
        documents = {}
        for name in PACK_FILES:
            path = current / name
            if not path.exists():
                if name == "pack.yaml":
                    fatal.append(RuleError("pack_unreadable", f"{current} has no pack.yaml", file=str(path)))
                continue
            try:
                documents[name] = load_document(path.read_bytes(), str(path))
            except OSError as exc:
                fatal.append(RuleError("pack_unreadable", f"cannot read {path}: {exc.strerror}", file=str(path)))
            except InputError as error:
                fatal.append(RuleError(error.code, error.message, file=error.file, line=error.line,
                                       column=error.column, path=error.path, hint=error.hint))
        chain.append((current, documents))
        pack_doc = documents.get("pack.yaml")
        parent = pack_doc.value.get("extends") if pack_doc is not None and isinstance(pack_doc.value, dict) else None
        if not parent:
            break
        try:
            current = resolve_pack_folder(parent)
        except RuleError:
            break  # the loader reports it, with its position
    return folder, chain


def check_pack(rules: Any, scenarios: Iterable[Any] = ()) -> Report:
    """Every problem of a pack (and, given scenarios, every field of them no rule covers)."""
    from .rules import collect_problems
    from .scenario import load_scenario

    report = Report()
    folder, chain = _read_chain(rules, report.fatal)
    if report.fatal:
        return report
    findings: list[RuleError] = []
    own = chain[0][1]
    for name, document in own.items():
        findings += _schema_findings(name, folder / name, document)
    pack, problems = collect_problems(folder)
    seen = {(f.file, f.path) for f in problems}
    findings = [f for f in findings if (f.file, f.path) not in seen] + list(problems)
    report.pack = pack
    locator = _Locator(chain)
    if pack is not None:
        findings += _graph_findings(pack, locator)
        findings += _variable_findings(pack, locator)
        reads = _reads(pack)
        from .corpus import corpus_files

        paths = [s for s in scenarios if isinstance(s, (str, Path))]
        others = [s for s in scenarios if not isinstance(s, (str, Path))]
        for scenario_input in [*corpus_files(paths), *others]:
            try:
                scenario = load_scenario(scenario_input)
            except PodevalError as error:  # unreadable (exit 2), or refused by Flyte at decoding (exit 3)
                report.fatal.append(error)
                continue
            findings += coverage_findings(pack, scenario, reads)
    unique: dict = {}
    for finding in findings:
        unique.setdefault((finding.file, finding.line, finding.column, finding.code, finding.message), finding)
    report.findings = sorted(unique.values(), key=lambda f: (f.file or "", f.line or 0, f.column or 0, f.code))
    return report


def format_finding(finding: RuleError) -> str:
    where = finding.location or "(pack)"
    text = f"{where}: {finding.code}: " + (f"{finding.path}: " if finding.path else "") + finding.message
    if finding.rule:
        text += f" [rule {finding.rule}]"
    if finding.hint:
        text += f" (hint: {finding.hint})"
    return text


def format_report(report: Report, rules: Any) -> tuple[str, str]:
    """(stdout, stderr): the findings and a summary line; problems that stop the check go to stderr."""
    name = report.pack.name if report.pack is not None else str(rules)
    if report.fatal:
        lines = [f"podeval: error[{p.code}]: {p}" for p in report.fatal]
        return "", "\n".join(lines + [f"podeval check: {name} cannot be checked"]) + "\n"
    lines = [format_finding(f) for f in report.findings]
    count = len(report.findings)
    lines.append(f"{name}: {count} problem{'s' if count != 1 else ''}" if count else f"{name}: ok")
    return "\n".join(lines) + "\n", ""


def main(argv: list[str] | None = None) -> int:
    """``python -m engine.check --write-schema``: regenerate engine/data/pack.schema.json from the registries."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if args == ["--write-schema"]:
        SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
        print(f"wrote {SCHEMA_FILE}")
        return 0
    print("usage: python -m engine.check --write-schema", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
