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

This module runs the passes, owns the graph and variable passes and prints the report; the schema pass is
``check_schema``'s, what rules read and the uncovered fields ``check_coverage``'s, a finding and the report
``check_findings``'.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx

from ..errors import PodevalError, RuleError
from ..inputs.scenario import load_scenario
from ..inputs.scenario_files import corpus_files
from ..k8s import paths as _paths
from ..pack.pack_chain import PackLocator, read_chain
from ..pack.rules import collect_problems
from ..pack.transform_api import BUILTIN_VARIABLES
from .check_coverage import coverage_findings, pack_reads, root_reads
from .check_findings import Report, finding_at
from .check_schema import schema_findings

# ----------------------------------------------------------------------------------------------------------------
# Graph


def _overlap(a: tuple, b: tuple) -> bool:
    """Can two ``at`` paths touch the same field? (one is a prefix of the other; ``$var`` keys match any key)"""
    for x, y in zip(a, b):
        if isinstance(x, _paths.Key) and isinstance(y, _paths.Key):
            if not _keys_overlap(x, y):
                return False
        elif isinstance(x, str) and isinstance(y, str) or isinstance(x, int) and isinstance(y, int):
            if x != y:
                return False
        elif isinstance(x, str) or isinstance(y, str):
            return False
    return True


def _keys_overlap(x: _paths.Key, y: _paths.Key) -> bool:
    """Can two keys address the same item? Not when they share no key field, or a field both name has two values
    (a ``$var`` value matches any); ``#n`` counts among the items a key selects, so occurrences are compared only
    between keys that name the same fields with the same values."""
    mine, theirs = dict(x.pairs), dict(y.pairs)
    shared = mine.keys() & theirs.keys()
    if not shared:
        return False
    variable = False
    for name in shared:
        if mine[name].startswith("$") or theirs[name].startswith("$"):
            variable = True
        elif mine[name] != theirs[name]:
            return False
    return variable or mine.keys() != theirs.keys() or x.occurrence == y.occurrence


def _writes(entry: Any) -> list[tuple]:
    if entry.kind == "layer":
        return [entry.at]
    declared = getattr(entry.transform, "writes", None) or ()
    return [_paths.parse(p) if isinstance(p, str) else tuple(p) for p in declared]


def _at(locator_result: tuple) -> dict:
    file, document, where = locator_result
    return {"file": file, "document": document, "where": where}


def _file_index(locator: PackLocator, step_id: str) -> int:
    where = locator.step(step_id)[2]
    return where[1] if len(where) > 1 else -1


def _graph_findings(pack: Any, locator: PackLocator) -> list[RuleError]:
    graph = pack.graph
    found = []
    for source_id in pack.sources:
        if graph.out_degree(source_id) == 0:
            found.append(
                finding_at(
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
                finding_at(
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
                        finding_at(
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
    read = pack_reads(pack)
    for name, option in pack.options.items():
        if option.shapes_pod and not any(
            _paths.is_prefix(r, ("propeller", "config", name)) or _paths.is_prefix(("propeller", "config", name), r)
            for r in read
        ):
            found.append(
                finding_at(
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
        names = {path[1] for path in root_reads(expression.compiled.parsed) if len(path) > 1 and path[0] == "vars"}
        found += [(name, where) for name in sorted(names)]
    return found


def _variable_findings(pack: Any, locator: PackLocator) -> list[RuleError]:
    """A variable a rule reads must be a built-in (``transform_api.BUILTIN_VARIABLES``) or set (``sets``, or a
    ``"variable"`` parameter) by a transform earlier in the same step or in a step it runs after (``after``
    paths: in any topological order)."""
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
                        finding_at(
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
                        finding_at(
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
        findings += schema_findings(name, chain.folder / name, document, chain.extends)
    pack, problems = collect_problems(chain)
    seen = {(f.file, f.path) for f in problems}
    findings = [f for f in findings if (f.file, f.path) not in seen] + list(problems)
    report.pack = pack
    locator = PackLocator.of_chain(chain)
    if pack is not None:
        findings += _graph_findings(pack, locator)
        findings += _variable_findings(pack, locator)
        reads = pack_reads(pack)

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
