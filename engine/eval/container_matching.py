"""Flyte's container matching, the ``template-containers`` strategy: how ``spec.containers`` of a pod template and
of a task's pod merge (``MergeBasePodSpecOntoTemplate``, flytek8s/pod_helper.go). The ``pod-spec`` profile of
``rules/flyte-v1/profiles.yaml`` names it for ``containers`` and ``initContainers``; each matched pair of containers
is merged field by field by the profile's other rules (``mergo``, ``engine/eval/strategies.py``).
"""

from __future__ import annotations

from ..k8s.paths import item_segments
from ..k8s.tree import Node, node_key, plain
from ..pack.registry import Rule, register_strategy
from . import aliasing
from .strategies import At, Merger


def _list_field(at: At) -> str:
    for segment in reversed(at.path):
        if isinstance(segment, str):
            return segment
    return ""


def _name(node: Node) -> str:
    name = node.value.get("name") if isinstance(node.value, dict) else None
    return "" if name is None else str(name.value)


def template_containers(merger: Merger, at: At, lower: Node | None, higher: Node | None, rule: Rule) -> Node | None:
    """The template's containers (lower) are never added to the pod; each task container (higher) is merged
    onto, in order: the template's ``default`` container, then its ``primary`` one (if this is the primary
    container), then every template container with the same name (unless this is the primary container or is
    named ``default``: flyte#6733), then the task container itself. Template containers that shaped nothing
    are dropped, and the trace names them. With ``aliasing``, a template container that feeds two task containers
    shares its pointers and maps between them as Go does (``aliasing``), and each value that leaks is a warning."""
    params = rule.params
    default_name = params.get("default", "default")
    primary_name = params.get("primary", "primary")
    primary = merger.vars.get(params.get("primary_var", "primaryContainerName")) or ""
    exact = params.get("exact_name", True)
    skip_primary = params.get("exact_name_skips_primary", True)
    skip_names = set(params.get("exact_name_skips", [default_name]))
    template = list(lower.value) if lower is not None and isinstance(lower.value, list) else []
    base = list(higher.value) if higher is not None and isinstance(higher.value, list) else []
    default_tpl = primary_tpl = None
    for container in template:  # the last one wins if a name repeats
        if _name(container) == default_name:
            default_tpl = container
        elif _name(container) == primary_name:
            primary_tpl = container
    # each task container's plan: the template containers that shape it, in order, and whether by role
    # (default/primary: DeepCopied when first) or by exact name (Go's range variable: a shallow copy when first)
    plans: list[list[tuple[Node, bool]]] = []
    for container in base:
        name = _name(container)
        plan = [(default_tpl, True)] if default_tpl is not None else []
        if name == primary and primary_tpl is not None:
            plan.append((primary_tpl, True))
        if exact and not ((skip_primary and name == primary) or name in skip_names):
            plan.extend((candidate, False) for candidate in template if _name(candidate) == name)
        plans.append(plan)
    used = {id(shape) for plan in plans for shape, _ in plan}
    item_merger = Merger(
        merger.profile,
        merger.default,
        incoming_is_higher=False,
        rule_id=merger.rule_id,
        emit_event=merger.emit_event,
        variables=merger.vars,
        warn_event=merger.warn_event,
    )
    quiet = Merger(
        merger.profile,
        merger.default,
        incoming_is_higher=False,
        rule_id=merger.rule_id,
        emit_event=None,
        variables=merger.vars,
    )
    base_segments = item_segments(at.spec, base, node_key)
    item_ats = [at.item(segment) for segment in base_segments]
    shared = bool(params.get("aliasing")) and _feeds_two(plans, default_tpl)
    merged_items: list[Node] = []  # read as values: every template container copied before use
    for position, container in enumerate(base):
        shape: Node | None = None
        for template_container, _ in plans[position]:
            shape = template_container if shape is None else quiet.merge(item_ats[position], shape, template_container)
        if shape is None:
            merged_items.append(container)
        else:
            merged_items.append((quiet if shared else item_merger).merge(item_ats[position], shape, container))
    if shared:
        type_name = at.type_name or "Container"
        merged_items = _merge_sharing(
            merger, rule, item_merger, quiet, item_ats, base, plans, default_tpl, merged_items, type_name
        )
    if merger.tracing or merger.warn_event is not None:
        template_segments = item_segments(at.spec, template, node_key)
        for index, candidate in enumerate(template):
            if id(candidate) in used:
                continue
            name = _name(candidate)
            # A role container ('default', 'primary') with no task container to shape is how a template is written
            # for every task: said in the trace only. Any other unused template container is an input that did
            # nothing, and Flyte says nothing about it: a warning (MergeBasePodSpecOntoTemplate ignores it).
            warn = True
            if name in (default_name, primary_name) and not base:
                why = f"the task pod has no {_list_field(at) or 'containers'}, and a template never adds one"
                warn = False
            elif name == primary and skip_primary:
                why = (
                    f"a template container named like the primary container ({name!r}) is skipped: only "
                    f"'{default_name}'/'{primary_name}' shape the primary container (flyte#6733)"
                )
            elif name == primary_name:
                why = (
                    f"'{primary_name}' only shapes the primary one, and no task container is the primary one "
                    f"{primary!r}"
                    if primary
                    else f"'{primary_name}' only shapes the primary one, and this task has none (its name is empty)"
                )
            else:
                why = (
                    f"it matches no task container (only '{default_name}', '{primary_name}' and containers with "
                    "the same name as a task container are used; a template never adds a container)"
                )
            item_at = at.item(template_segments[index])
            merger.emit("drop", item_at, candidate.source, plain(candidate), rule=rule, note=why)
            if warn:
                merger.warn(
                    item_at.path,
                    candidate.source,
                    plain(candidate),
                    rule=rule,
                    note=f"template container {name!r} has no effect, Flyte ignores it: {why}",
                    in_lower=True,
                )
    if not base:
        return None if higher is None or not higher.value else higher
    return Node(merged_items, higher.source, higher.rule)


def _feeds_two(plans: list[list[tuple[Node, bool]]], default_tpl: Node | None) -> bool:
    """Whether a template container other than ``default`` (always DeepCopied) shapes two task containers."""
    seen: set[int] = set()
    for plan in plans:
        ids = {id(shape) for shape, _ in plan if shape is not default_tpl}
        if ids & seen:
            return True
        seen |= ids
    return False


def _merge_sharing(
    merger: Merger,
    rule: Rule,
    item_merger: Merger,
    quiet: Merger,
    item_ats: list[At],
    base: list[Node],
    plans: list[list[tuple[Node, bool]]],
    default_tpl: Node | None,
    own: list[Node],
    type_name: str,
) -> list[Node]:
    """The matching again, over Go's memory, and a warning at each value that differs from ``own`` (the matching
    read as values), naming the container it came from."""
    memory = aliasing.Memory(type_name)
    templates = {id(shape): memory.load(shape) for plan in plans for shape, _ in plan}
    results: list[aliasing.GoValue] = []
    for position, container in enumerate(base):
        item_at = item_ats[position]
        shape: aliasing.GoValue | None = None
        for template_container, by_role in plans[position]:
            value = templates[id(template_container)]
            if shape is None:
                shape = memory.deep_copy(value) if by_role else memory.shallow_copy(value)
            else:
                shape = memory.merge(lambda dst, src, at=item_at: quiet.merge(at, dst, src), shape, value)
        task = memory.load(container)
        results.append(
            memory.deep_copy(task)
            if shape is None
            else memory.merge(lambda dst, src, at=item_at: item_merger.merge(at, dst, src), shape, task)
        )
    owners = aliasing.owners_of(base)
    merged = []
    for position, result in enumerate(results):
        node = memory.resolve(result)[0]
        merged.append(node)
        mine = {id(shape) for shape, _ in plans[position] if shape is not default_tpl}
        partners = [
            other for other in range(len(base)) if other != position and mine & {id(shape) for shape, _ in plans[other]}
        ]
        for relative, leaf, value in aliasing.leaks(node, own[position], type_name):
            source = aliasing.origin(leaf, owners)
            others = [source] if source is not None and source != position else partners
            via = next(
                (
                    _name(shape)
                    for shape, _ in plans[position]
                    if id(shape) in mine and any(shape is s for other in others for s, _ in plans[other])
                ),
                "",
            )
            this = _name(base[position])
            names = " and ".join(repr(_name(base[other])) for other in others) or "another container"
            fix = (
                f"give the task containers named {this!r} distinct names"
                if others and all(_name(base[other]) == this for other in others)
                else f"name the sidecar anything but {via!r}"
            )
            # MergeBasePodSpecOntoTemplate (flytek8s/pod_helper.go): the template container's pointers and maps
            # are shared, not copied, by the task containers it shapes, and mergo writes into them
            merger.warn(
                item_ats[position].path + relative,
                leaf.source if leaf is not None else base[position].source,
                value,
                rule=rule,
                note=f"container {this!r} gets this value from container {names}: both are shaped by the "
                f"template container {via!r}, whose pointers and maps Flyte shares between them instead "
                f"of copying (MergeBasePodSpecOntoTemplate), a Flyte bug; {fix}",
            )
    return merged


register_strategy(
    "template-containers",
    template_containers,
    {"default", "primary", "primary_var", "exact_name", "exact_name_skips_primary", "exact_name_skips", "aliasing"},
)


def overlay_containers(merger: Merger, at: At, lower: Node | None, higher: Node | None, rule: Rule) -> Node | None:
    """``MergeOverlayPodSpecOntoBase`` (flytek8s/pod_helper.go, flyte#6363): the containers are rebuilt from the
    base (lower) only; every overlay (higher) container with the same name as a base container is merged into it
    with the profile's other rules (mergo: the overlay's non-empty values win, lists are appended), in the
    overlay's order. An overlay container that names no base container is dropped, and the trace names it."""
    base = list(lower.value) if lower is not None and isinstance(lower.value, list) else []
    overlay = list(higher.value) if higher is not None and isinstance(higher.value, list) else []
    if not overlay:
        return lower
    base_names = {_name(container) for container in base}
    item_ats = [at.item(segment) for segment in item_segments(at.spec, base, node_key)]
    item_merger = Merger(
        merger.profile,
        merger.default,
        incoming_is_higher=True,
        rule_id=merger.rule_id,
        emit_event=merger.emit_event,
        variables=merger.vars,
        warn_event=merger.warn_event,
    )
    merged: list[Node] = []
    for position, container in enumerate(base):
        result = container
        for candidate in overlay:
            if _name(candidate) == _name(container):
                result = item_merger.merge(item_ats[position], result, candidate)
        merged.append(result)
    overlay_segments = item_segments(at.spec, overlay, node_key)
    for index, candidate in enumerate(overlay):
        name = _name(candidate)
        if name in base_names:
            continue
        why = (
            f"the overlay's container {name!r} has no container of that name to merge into: Flyte rebuilds the "
            f"containers from the pod it built ({', '.join(repr(n) for n in sorted(base_names)) or 'none'}) and "
            "drops the others (MergeOverlayPodSpecOntoBase)"
        )
        item_at = at.item(overlay_segments[index])
        merger.emit("drop", item_at, candidate.source, plain(candidate), rule=rule, note=why)
        merger.warn(
            item_at.path, candidate.source, plain(candidate), rule=rule, note=f"no effect: {why}", in_lower=True
        )
    return Node(merged, lower.source, lower.rule) if lower is not None else None


register_strategy("overlay-containers", overlay_containers, set())
