"""What the rules of a pack read, and the fields of a scenario no rule covers (``podeval check``'s fourth pass, see
``engine.tools.check``): a field is covered when a rule's JMESPath (``select``, ``when``, a transform's parameters)
or a transform's declared ``reads`` reaches it or a part of the scenario that contains it, or when it is a plugin
option a rule reads through ``config`` or one declared ``shapes-pod: false``.
"""

from __future__ import annotations

from typing import Any

from ..errors import RuleError
from ..k8s import paths as _paths

# ----------------------------------------------------------------------------------------------------------------
# What rules read


_CONTEXT_ROOTS = {
    "task": ("task",),
    "execution": ("execution",),
    "objectExecution": ("execution",),
    "propeller": ("propeller",),
    "podTemplates": ("podTemplates",),
    "config": ("propeller", "config"),
}


def root_reads(node: dict) -> set[tuple]:
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
                return root_reads(child)
            if child.get("type") == "index_expression" and (child.get("children") or [{}])[0].get("type") == "field":
                path += (child["children"][0]["value"],)
            return {path}
        return {path}
    if kind in ("index_expression", "projection", "filter_projection", "flatten", "value_projection", "pipe"):
        return root_reads(children[0]) if children else set()
    if kind in ("current", "identity"):
        return {()}
    if kind in ("literal", "expref", "index", "slice"):
        return set()
    reads: set[tuple] = set()
    for child in children:
        reads |= root_reads(child)
    return reads


def _expression_reads(expression: Any, roots: dict = _CONTEXT_ROOTS) -> set[tuple]:
    reads = set()
    for path in root_reads(expression.compiled.parsed):
        if not path:
            return {()}
        root = roots.get(path[0])
        if root is not None:
            reads.add(root + path[1:])
    return reads


def _steps_reads(steps: Any, roots: dict = _CONTEXT_ROOTS) -> set[tuple]:
    reads: set[tuple] = set()
    for step in steps:
        for entry in step.entries:
            for expression in (entry.when, entry.select):
                if expression is not None:
                    reads |= _expression_reads(expression, roots)
            if entry.kind == "transform":
                for value in entry.params.values():
                    if hasattr(value, "compiled"):
                        reads |= _expression_reads(value, roots)
                declared = getattr(entry.transform, "reads", None) or ()
                reads |= {tuple(p) if not isinstance(p, str) else tuple(p.split(".")) for p in declared}
    return reads


def _plugin_reads(plugin: Any) -> set[tuple]:
    """What a plugin's steps read (``plugin`` is its section of ``propeller.plugins``), its roles' ``each`` and
    ``context`` expressions, and its options that do not shape the object."""
    section = ("propeller", "plugins", plugin.config_section or "")
    roots = {**_CONTEXT_ROOTS, "plugin": section}
    reads = _steps_reads(plugin.steps, roots)
    for build in (plugin.shared, *plugin.roles):
        if build is None:
            continue
        reads |= _steps_reads(build.steps, roots) | _steps_reads(build.object_steps, roots)
        for expression in (build.each, *build.context.values()):
            if hasattr(expression, "compiled"):
                reads |= _expression_reads(expression, roots)
    for name, option in plugin.options.items():
        if not option.shapes_pod:
            reads.add(section + (name,))
    return reads


def pack_reads(pack: Any) -> set[tuple]:
    reads = _steps_reads(pack.steps)
    for plugin in pack.plugins.values():
        reads |= _plugin_reads(plugin)
    for name, option in pack.options.items():
        if not option.shapes_pod:
            reads.add(("propeller", "config", name))
    return reads


def _is_empty(value: Any) -> bool:
    return value is None or value == {} or value == [] or value == ""


def coverage_findings(pack: Any, scenario: Any, reads: set[tuple] | None = None) -> list[RuleError]:
    """The fields of a scenario that no rule reads (each uncovered subtree once, at its top)."""
    reads = reads if reads is not None else pack_reads(pack)
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
