"""``podeval check``: every problem of a rule pack at once, each with file:line:col and the rule id.

Three passes, reported together and sorted by position:

1. **Schema.** Each file of the pack is validated against the pack schema (JSON Schema draft 2020-12, made from the
   declaration of the format, ``engine.pack.pack_format``, and the live strategy and transform registries; shipped as
   ``engine/data/pack.schema.json`` for editors, see docs/policy-authors.md). JMESPath expressions are compiled
   (``format: jmespath``).
2. **Loader.** ``rules.collect_problems``, on the files ``pack_chain.read_chain`` read once (the pack and the packs it
   ``extends``): what only loading can see (unknown sources and profiles, duplicate ids, a cycle, ``extends``).
   Where the loader and the schema report the same place, the loader's report is kept.
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
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import PodevalError, RuleError
from ..inputs.scenario import load_scenario
from ..k8s import paths as _paths
from ..pack import pack_format
from ..pack.pack_chain import read_chain
from ..pack.registry import STRATEGIES
from ..pack.rules import collect_problems, registries
from ..pack.transform_api import BUILTIN_VARIABLES, TRANSFORMS

# ----------------------------------------------------------------------------------------------------------------
# The schema


@lru_cache(maxsize=4)
def _validators(extends: bool) -> dict:
    """One validator per pack file (of a pack that extends another: profiles may be patches), on the schema the
    declaration (engine.pack.pack_format) and the live registries make: engine/data/pack.schema.json, when current."""
    # start-up: jsonschema is imported only when a pack is checked
    from jmespath import compile as compile_jmespath
    from jmespath.exceptions import JMESPathError
    from jsonschema import Draft202012Validator, FormatChecker

    schema = pack_format.json_schema(registries())
    checker = FormatChecker()
    checker.checks("jmespath", raises=JMESPathError)(
        lambda text: not isinstance(text, str) or bool(compile_jmespath(text))
    )
    return {
        name: Draft202012Validator(
            {**schema, "$ref": f"#/$defs/{pack_format.file_definition(name, extends=extends)}"}, format_checker=checker
        )
        for name in pack_format.PACK_FILES
    }


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


def _finding(
    code: str,
    message: str,
    *,
    file: str | None,
    document: Any = None,
    where: tuple = (),
    rule: str | None = None,
    hint: str | None = None,
    key: bool = False,
) -> RuleError:
    """A finding at ``where`` in ``document`` (at the key of a mapping entry when ``key``)."""
    line = column = None
    if document is not None:
        found = document.locate_key(where) if key else document.locate(where)
        if found:
            line, column = found
    return RuleError(
        code, message, file=file, line=line, column=column, path=_paths.render(where) or None, rule=rule, hint=hint
    )


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
    return sorted(STRATEGIES if kind == "strategy" else TRANSFORMS)


def _schema_findings(file_name: str, path: Path, document: Any, extends: bool) -> list[RuleError]:
    validator = _validators(extends)[file_name]
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
                found.append(
                    _finding(
                        "pack_unknown_key",
                        f"unknown key {key!r}",
                        file=str(path),
                        document=document,
                        where=where + (key,),
                        rule=_rule_at(file_name, data, where + (key,)),
                        key=True,
                        hint=f"did you mean {close[0]!r}?"
                        if close
                        else (f"known keys: {', '.join(allowed)}" if allowed else None),
                    )
                )
            continue
        if error.validator == "required":
            missing = str(error.message).split("'")[1] if "'" in str(error.message) else str(error.message)
            found.append(
                _finding(
                    "pack_missing_key",
                    f"missing required key {missing!r}",
                    file=str(path),
                    document=document,
                    where=where,
                    rule=rule,
                )
            )
            continue
        if error.validator == "enum" and schema.get("enum") in (_names("strategy"), _names("transform")):
            kind = "transform" if schema.get("enum") == _names("transform") else "strategy"
            options = [str(o) for o in schema.get("enum", [])]
            close = difflib.get_close_matches(str(error.instance), options, n=1)
            found.append(
                _finding(
                    f"unknown_{kind}",
                    f"unknown {kind} {error.instance!r}",
                    file=str(path),
                    document=document,
                    where=where,
                    rule=rule,
                    hint=f"did you mean {close[0]!r}?" if close else f"known: {', '.join(options)}",
                )
            )
            continue
        if error.validator == "format" and schema.get("format") == "jmespath":
            cause = error.cause or error.message
            found.append(
                _finding(
                    "jmespath_invalid",
                    f"JMESPath does not compile: {cause}",
                    file=str(path),
                    document=document,
                    where=where,
                    rule=rule,
                    hint='see https://jmespath.org/specification.html; quote keys with dashes: config."default-labels"',
                )
            )
            continue
        message = schema.get("x-message") if error.validator in ("oneOf", "anyOf") else None
        found.append(
            _finding("pack_schema", message or error.message, file=str(path), document=document, where=where, rule=rule)
        )
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
            found.append(
                _finding(
                    "unused_source",
                    f"source {source_id!r} is used by no step and no rule",
                    **_at(locator.source(source_id)),
                    rule=source_id,
                    hint="name it in a step's `uses` and give it rules, or remove it",
                )
            )
    steps = [step.id for step in pack.steps]
    step_graph = graph.subgraph(steps)
    components = sorted(nx.weakly_connected_components(step_graph), key=lambda c: (-len(c), min(c)))
    for component in components[1:]:
        for step_id in sorted(component, key=steps.index):
            found.append(
                _finding(
                    "disconnected_step",
                    f"step {step_id!r} is not ordered against the other steps: no `after` path "
                    "connects them, so only the alphabetical tie-break decides when it runs",
                    **_at(locator.step(step_id, "id")),
                    rule=step_id,
                    hint=f"add `after: [...]` naming the step it must follow (e.g. {steps[0]!r})",
                )
            )
    reach = {step_id: nx.descendants(graph, step_id) for step_id in steps}
    by_id = {step.id: step for step in pack.steps}
    for index, first in enumerate(steps):
        for second in steps[index + 1 :]:
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
                    found.append(
                        _finding(
                            "unordered_writers",
                            f"steps {first!r} and {second!r} are not ordered (neither runs after the other) and both "
                            f"write {_paths.render(shorter)} (rules {entry_a.id!r} and {entry_b.id!r}): which one wins "
                            "depends on the alphabetical tie-break of their ids",
                            **_at(
                                locator.rule(later.id, "layer", "at")
                                if later.kind == "layer"
                                else locator.rule(later.id)
                            ),
                            rule=later.id,
                            hint=f"add `after: [{first}]` to step {second!r} (or `after: [{second}]` to {first!r})",
                        )
                    )
    read = _reads(pack)
    for name, option in pack.options.items():
        if option.shapes_pod and not any(
            _paths.is_prefix(r, ("propeller", "config", name)) or _paths.is_prefix(("propeller", "config", name), r)
            for r in read
        ):
            found.append(
                _finding(
                    "unread_option",
                    f"option {name!r} says it shapes the Pod (shapes-pod: true) but no rule reads it",
                    **_at(locator.option(name)),
                    rule=name,
                    key=True,
                    hint=f'read it in a rule (config."{name}"), or set `shapes-pod: false` if the '
                    "pack accepts and ignores it on purpose",
                )
            )
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
        found += [
            (s.value[1:], ("layer", "at"))
            for s in entry.at or ()
            if isinstance(s, _paths.Key) and s.value.startswith("$")
        ]
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
                    found.append(
                        _finding(
                            "unknown_variable",
                            f"rule reads the variable {name!r}, which no transform of the pack sets",
                            **place,
                            rule=entry.id,
                            hint=f"did you mean {close[0]!r}?"
                            if close
                            else f"variables: {', '.join(sorted(setters)) or 'none'}",
                        )
                    )
                elif not any(s in before or (s == step.id and p < position) for s, p, _ in candidates):
                    setter_step, _, setter = candidates[0]
                    found.append(
                        _finding(
                            "variable_set_later",
                            f"rule reads the variable {name!r}, which rule "
                            f"{setter!r} (step {setter_step!r}) sets, but step {step.id!r} does not run "
                            "after it",
                            **place,
                            rule=entry.id,
                            hint=f"add `after: [{setter_step}]` to step {step.id!r}"
                            if setter_step != step.id
                            else f"move rule {setter!r} before this one",
                        )
                    )
    return found


# ----------------------------------------------------------------------------------------------------------------
# What rules read


_CONTEXT_ROOTS = {
    "task": ("task",),
    "execution": ("execution",),
    "propeller": ("propeller",),
    "podTemplates": ("podTemplates",),
    "config": ("propeller", "config"),
}


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

    def uncovered(path: tuple, hint: str | None) -> None:
        line, column = scenario.locate(path)
        message = f"no rule of {pack.name} reads this: the pack ignores it"
        found.append(
            RuleError(
                "uncovered_field",
                message,
                file=scenario.filename,
                line=line,
                column=column,
                path=_paths.render(path),
                hint=hint,
            )
        )

    def visit(value: Any, path: tuple) -> None:
        if _is_empty(value):
            return
        fields = named(path)
        if any(_paths.is_prefix(r, fields) for r in reads):
            return  # read, whole or as part of something read
        if path and not any(_paths.is_prefix(fields, r) for r in reads):
            uncovered(
                path,
                "add a rule that selects it (or a part of the scenario that contains it), or drop it from the scenario",
            )
            return
        if isinstance(value, dict):
            for key, child in value.items():
                visit(child, path + (key,))
        elif isinstance(value, list):
            for index, child in enumerate(value):
                visit(child, path + (index,))
        else:
            uncovered(path, None)

    visit(scenario.data, ())
    return found


# ----------------------------------------------------------------------------------------------------------------


def check_pack(rules: Any, scenarios: Iterable[Any] = ()) -> Report:
    """Every problem of a pack (and, given scenarios, every field of them no rule covers)."""

    report = Report()
    try:
        chain = read_chain(rules)
    except RuleError as error:
        report.fatal.append(error)
        return report
    report.fatal += chain.unreadable
    if report.fatal:
        return report
    findings: list[RuleError] = []
    for name, document in chain.layers[0].documents.items():
        findings += _schema_findings(name, chain.folder / name, document, chain.extends)
    pack, problems = collect_problems(chain)
    seen = {(f.file, f.path) for f in problems}
    findings = [f for f in findings if (f.file, f.path) not in seen] + list(problems)
    report.pack = pack
    locator = _Locator([(layer.folder, layer.documents) for layer in chain.layers])
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
