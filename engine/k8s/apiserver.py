"""The API server's validation of the Pod FlytePropeller builds, run on the rendered Pod.

FlytePropeller does not validate the Pod it builds: a container name the API server refuses (``Primary_1``), a
nodeSelector value with a space, a volumeMount without ``mountPath`` -- FlytePropeller builds that Pod and creates
it, the API server answers 422 Invalid, and FlytePropeller fails the task for good (``PluginManager.launchResource``
in flytepropeller/pkg/controller/nodes/task/k8s/plugin_manager.go: ``IsInvalid`` -> ``PhaseInfoFailure
("BadTaskFormat")``). So podeval renders the Pod, then checks it the way the API server's ``ValidatePod`` does, with
the checks of ``validate`` (one owner for Kubernetes' validation): container and volume names (DNS-1123 labels,
unique), label keys and values, nodeSelector, annotation keys and their total size, required fields (a mount's
``name`` and ``mountPath``, an env var's ``name`` ...), a mount naming a volume the pod does not have, negative
quantities and requests above their limit.

Each violation is a ``PodRefusedError`` (exit 3) at its path in the Pod, with the owner of the value there (source
and rule, from the trace) and where the input wrote it (the scenario path, file:line:col), found by following the
rule that set the value back to the part of the scenario it reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..errors import PodRefusedError
from . import paths as _paths
from . import quantity
from .validate import Context, K8sChecker, Problems, TooManyProblems

#: what happens to a Pod the API server refuses (for the hint)
CONSEQUENCE = (
    "the API server refuses the Pod when FlytePropeller creates it, and the task fails for good (BadTaskFormat)"
)


#: flytepropeller/pkg/compiler/task_compiler.go validateK8sPod (run by FlyteAdmin's CreateTask): the names of the
#: K8sPod target's containers (not init containers) must be DNS-1123 labels
ADMIN_REFUSES = (
    "FlyteAdmin's compiler refuses to register such a pod task as well (validateK8sPod: invalid "
    'value "k8s pod spec container name")'
)


#: flytek8s/container_helper.go adjustResourceRequirement: for a container other than the primary
#: (ResourceCustomizationModeEnsureExistingResourcesInRange) a resource's request and limit are both written, the
#: one that was not set as 0
ZERO_WRITTEN = (
    "FlytePropeller writes the request or limit a non-primary container leaves out as 0 "
    "(adjustResourceRequirement in flytek8s/container_helper.go); give that container both"
)


def _in_registered_containers(path: tuple) -> bool:
    return path[:4] in (("task", "k8sPod", "podSpec", "containers"), ("task", "podTemplate", "podSpec", "containers"))


_KUBERNETES_REFUSES = re.compile(r"[;,]?\s*Kubernetes refuses (it|the Pod|the object)\b")


def violations(pod: dict, root: str = "PodTemplateSpec") -> list:
    """The API server's objections to ``pod``, without their origin: ``InputError``s at paths of the Pod (or of a
    plugin's object of type ``root``, whose pod templates are checked as the Pod's)."""
    problems = Problems()
    checker = K8sChecker(problems, Context())
    template = (
        {key: pod[key] for key in ("metadata", "spec") if key in pod}
        if root == "PodTemplateSpec"
        else {key: value for key, value in pod.items() if key not in ("apiVersion", "kind")}
    )
    try:
        checker.object(template, root, (), ())
    except TooManyProblems:
        pass
    return problems.items


def check_result(result: Any, traced: Callable[[], Any]) -> list[PodRefusedError]:
    """The violations of ``result.pod``, each with its owner and input location (from ``result.trace``; when the
    result was evaluated without one, from ``traced()``: the same evaluation with its trace)."""
    found = violations(result.pod, getattr(result, "root", "PodTemplateSpec"))
    if not found:
        return []
    trace = result.trace
    if not trace.owners and result.pod:  # evaluated without the trace: build again with it, to say who set what
        trace = traced()
    return [_attribute(problem, trace, result.rules, result.scenario) for problem in found]


def _attribute(problem: Any, trace: Any, pack: Any, scenario: Any) -> PodRefusedError:
    try:
        path = _paths.parse(problem.path) if problem.path else ()
    except ValueError:  # a key no path can spell: reported without its origin
        path = ()
    source, rule = _owner(trace, path)
    input_path = file = line = column = None
    if source is not None:
        input_path = _input_path(path, trace.pod or {}, source, rule, pack, scenario, trace)
        if input_path is not None:
            file, line, column = scenario.where(input_path)
    own = _KUBERNETES_REFUSES.sub("", problem.hint or "").strip(" ;")  # said below, once, for the Pod
    hint = f"{own}; {CONSEQUENCE}" if own else CONSEQUENCE
    message = problem.message
    if problem.code == "invalid_name" and input_path is not None and _in_registered_containers(input_path):
        message += f"; {ADMIN_REFUSES}"
    if problem.code == "request_over_limit" and (message.endswith(" limit of 0") or message.startswith("request 0:")):
        message += f"; {ZERO_WRITTEN}"
    return PodRefusedError(
        problem.code,
        message,
        path=problem.path,
        file=file,
        line=line,
        column=column,
        hint=hint,
        rule=rule,
        source=source,
        input_path=_paths.render(input_path) if input_path else None,
    )


def _owner(trace: Any, path: tuple) -> tuple[str | None, str | None]:
    """The source and rule of the value at ``path``: its own owner, else the owner of a leaf below it, else of
    the nearest ancestor that has one (a required field that is missing: whoever wrote the object)."""
    for length in range(len(path), 0, -1):
        text = _paths.render(path[:length])
        if text in trace.owners:
            return trace.owners[text], trace.owner_rules.get(text)
        below = sorted(p for p in trace.owners if p.startswith((text + ".", text + "[")))
        if below:
            return trace.owners[below[0]], trace.owner_rules.get(below[0])
    return None, None


# ---------------------------------------------------------------------------------------------------------------
# From a Pod path back to the scenario: the rule that set the value names the parts of the scenario it reads


_SCENARIO_PATH = re.compile(r'\b(task|execution|propeller|podTemplates|config)((?:\.(?:"[^"]+"|[A-Za-z_][\w-]*))*)')
_RUNTIME_TEMPLATE = re.compile(r"podTemplates\[([^/\]]*)/([^\]@]*)")


def _paths_in(text: str) -> list[tuple]:
    """The scenario paths an expression or an origin text reads: ``config."default-labels"`` ->
    ``("propeller", "config", "default-labels")``."""
    found = []
    for head, tail in _SCENARIO_PATH.findall(text):
        parts = tuple(part.strip('"') for part in re.findall(r'"[^"]+"|[A-Za-z_][\w-]*', tail))
        found.append(("propeller", "config", *parts) if head == "config" else (head, *parts))
    return found


def _bases(source: str, rule: str | None, pack: Any, scenario: Any, trace: Any) -> list[tuple]:
    """The scenario paths the rule (then its source) reads, most specific first."""
    texts: list[str] = []
    for step in pack.steps:
        for entry in step.entries:
            if entry.id != rule:
                continue
            if entry.select is not None:
                texts.append(entry.select.text)
            for value in entry.params.values():
                texts.append(getattr(value, "text", value) if not isinstance(value, (dict, list)) else "")
    for recorded in trace.sources:  # the runtime PodTemplate the evaluation resolved: podTemplates[ns/name]
        if recorded["id"] == source:
            texts.append(str(recorded.get("origin", "")))
    definition = pack.sources.get(source)
    if definition is not None:
        texts.append(definition.origin)
    bases: list[tuple] = []
    for text in texts:
        if not isinstance(text, str):
            continue
        for match in _RUNTIME_TEMPLATE.finditer(text):
            index = _template_index(scenario, match.group(1), match.group(2))
            if index is not None:
                bases.append(("podTemplates", index))
        bases.extend(p for p in _paths_in(text) if p[0] != "podTemplates")
    unique = []
    for base in bases:
        if base not in unique and _paths.lookup(scenario.data, base)[0]:
            unique.append(base)
    return sorted(unique, key=len, reverse=True)


def _template_index(scenario: Any, namespace: str, name: str) -> int | None:
    for index, template in enumerate(scenario.data.get("podTemplates") or []):
        meta = template.get("metadata") or {}
        if (meta.get("namespace") or "") == namespace and meta.get("name") == name:
            return index
    return None


def _input_path(
    path: tuple, pod: dict, source: str, rule: str | None, pack: Any, scenario: Any, trace: Any
) -> tuple | None:
    """Where in the scenario the value at ``path`` of the Pod was written: under one of the parts the rule reads,
    the longest tail of ``path`` that is there (with the same value, for a leaf)."""
    bases = _bases(source, rule, pack, scenario, trace)
    if not bases:
        return None
    present, value = _paths.lookup(pod, path)
    target = path if present else path[:-1]  # a required field that is missing: the object that lacks it
    leaf = present and not isinstance(value, (dict, list))
    for start in range(1, len(target)):
        tail = target[start:]
        for base in bases:
            _, node = _paths.lookup(scenario.data, base)
            for prefix, inner in _descendants(node, 2):
                ok, found = _paths.lookup(inner, tail)
                if ok and (not leaf or target != path or _same(found, value)):
                    return base + prefix + tail
    for base in bases:  # the value came whole from there (a label map, a resource list)
        return base
    return None


def _descendants(node: Any, depth: int):
    yield (), node
    if depth and isinstance(node, dict):
        for key, child in node.items():
            for prefix, inner in _descendants(child, depth - 1):
                yield (key, *prefix), inner


def _same(a: Any, b: Any) -> bool:
    if a == b or str(a) == str(b):
        return True
    try:
        return quantity.value_of(a) == quantity.value_of(b)
    except (quantity.QuantityError, TypeError, ValueError):
        return False
