"""Merge strategies: one registry, keyed by the name rule files use.

The walker (``Merger.merge``) owns traversal: it finds the rule for a path (a rule of the merge profile, or the
profile's default strategy), builds child paths and looks up Kubernetes field kinds. A strategy decides one node:

    strategy(merger, at, lower, higher, params) -> Node | None

``lower`` is the layer below, ``higher`` the layer above (mergo's ``dst`` and ``src``). Exactly one of them is
the *incoming* layer (``merger.incoming``): the source the current rule lays over or under what is already
built. Strategies never mutate their inputs; they return new Nodes that reuse the children they keep, and they
report what happened through ``merger.emit``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ..k8s import k8s_schema
from ..k8s.paths import item_segments
from ..k8s.tree import Node, is_zero, node_key, plain
from ..pack.registry import Rule, register_strategy

SCALARS = {"string", "bool", "int", "float"}


class At(NamedTuple):
    """Where the walker is: the printed-path segments, the schema path (field names only), the field's spec
    and, for objects, the Kubernetes type name."""

    path: tuple
    schema: tuple
    spec: k8s_schema.FieldSpec | None
    type_name: str | None

    def child(self, name: str) -> At:
        spec = k8s_schema.field(self.type_name, name) if self.type_name else None
        type_name = spec.elem if spec is not None and spec.elem_is_type else None
        return At(self.path + (name,), self.schema + (name,), spec, type_name)

    def entry(self, key: str) -> At:
        """A map entry: the spec is the map's element."""
        elem = self.spec.elem if self.spec is not None else None
        type_name = elem if elem and elem not in k8s_schema.SCALAR_KINDS else None
        kind = "object" if type_name else (elem or "string")
        spec = k8s_schema.FieldSpec(kind=kind, ptr=False, elem=type_name)
        return At(self.path + (key,), self.schema + ("*",), spec, type_name)

    def item(self, segment: Any) -> At:
        elem = self.spec.elem if self.spec is not None else None
        type_name = elem if elem and elem not in k8s_schema.SCALAR_KINDS else None
        kind = "object" if type_name else (elem or "string")
        spec = k8s_schema.FieldSpec(kind=kind, ptr=False, elem=type_name, omitempty=False)
        return At(self.path + (segment,), self.schema + ("[]",), spec, type_name)


class Merger:
    """One merge of an incoming layer into the document: the walker and the event sink of the strategies."""

    __slots__ = (
        "default",
        "emit_event",
        "incoming_is_higher",
        "note",
        "profile",
        "rule_id",
        "tracing",
        "vars",
        "warn_event",
    )

    def __init__(
        self,
        profile: dict,
        default: Rule,
        *,
        incoming_is_higher: bool,
        rule_id: str,
        emit_event: Callable | None,
        variables: dict,
        note: str | None = None,
        warn_event: Callable | None = None,
    ) -> None:
        self.note = note
        self.profile = profile
        self.default = default
        self.incoming_is_higher = incoming_is_higher
        self.rule_id = rule_id
        self.emit_event = emit_event
        self.vars = variables
        self.tracing = emit_event is not None
        #: where warnings go: called whether or not the trace is recorded (warnings are kept without a trace)
        self.warn_event = warn_event

    def rule_for(self, at: At) -> Rule:
        return self.profile.get(at.schema, self.default)

    def merge(self, at: At, lower: Node | None, higher: Node | None) -> Node | None:
        rule = self.rule_for(at)
        return rule.strategy(self, at, lower, higher, rule)

    def emit(
        self,
        op: str,
        at: At,
        source: str,
        value: Any = None,
        *,
        rule: Rule | None = None,
        previous: Any = None,
        previous_source: str | None = None,
        rejected: dict | None = None,
        note: str | None = None,
    ) -> None:
        if self.emit_event is None:
            return
        rule_id = rule.id if rule is not None and rule.id else self.rule_id
        if op not in ("set", "append"):
            note = note or (rule.note if rule is not None else None) or self.note
        self.emit_event(
            op,
            at.path,
            source,
            rule_id,
            value=value,
            previous=previous,
            previous_source=previous_source,
            rejected=rejected,
            note=note,
        )

    def warn(
        self,
        path: tuple,
        source: str,
        value: Any = None,
        *,
        rule: Rule | None = None,
        note: str,
        in_lower: bool = False,
    ) -> None:
        """A warning: something the user should hear about (an input without effect, a Flyte bug), recorded with or
        without a trace. ``in_lower``: ``path`` names a part of the lower layer that is not in the result (the
        receiver may name it in its input)."""
        if self.warn_event is not None:
            rule_id = rule.id if rule is not None and rule.id else self.rule_id
            self.warn_event(path, source, rule_id, value=value, note=note, in_lower=in_lower)

    def incoming(self, lower: Node | None, higher: Node | None) -> Node | None:
        return higher if self.incoming_is_higher else lower

    def one_sided(self, at: At, lower: Node | None, higher: Node | None, rule: Rule) -> Node | None:
        """The result when one side is absent: the other one, whole; a ``set`` event if it is the incoming one."""
        result = higher if higher is not None else lower
        if result is not None and self.tracing and result is self.incoming(lower, higher):
            self.emit("set", at, result.source, plain(result), rule=rule)
        return result


# --------------------------------------------------------------------------------------------------------------
# mergo.Merge(dst, src, mergo.WithOverride, mergo.WithAppendSlice), as FlytePropeller calls it


def _kind(at: At, lower: Node | None, higher: Node | None) -> str:
    if at.spec is not None:
        return at.spec.kind
    sample = higher if higher is not None else lower
    value = sample.value if sample is not None else None
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "list"
    return "string"


def _scalar(merger: Merger, at: At, lower: Node, higher: Node, rule: Rule, kind: str) -> Node:
    """Both present. mergo keeps dst unless src is non-zero; for pointers both non-nil the same rule applies to
    the pointees (a *false never overrides a *true)."""
    high, low = higher.value, lower.value
    if kind == "intorstring" and isinstance(high, int) and not isinstance(high, bool) and isinstance(low, str):
        # IntOrString is merged field by field: an int src sets IntVal but Type=Int is the zero value, so a
        # string dst stays a string (flyte-v1-backend.md §2.1).
        wins_higher = False
        why = "IntOrString is merged field by field: an int never turns a string port into an int"
    elif kind == "quantity":
        # resource.Quantity has only unexported fields: mergo keeps dst (flyte-v1-backend.md §2.1).
        wins_higher = False
        why = "a Quantity outside a map is never overridden by mergo (it has no exported fields)"
    else:
        wins_higher = not is_zero(high)
        why = None if wins_higher else 'a zero value (false, 0, "") never overrides (mergo WithOverride)'
    if not wins_higher and high == low and type(high) is type(low):
        # the same value on both sides: mergo keeps dst, which is indistinguishable from src; credit the higher
        # layer, the later decision in Flyte's pipeline (a config false over a template false)
        if merger.tracing:
            merger.emit(
                "keep",
                at,
                higher.source,
                plain(higher),
                rule=rule,
                rejected={"source": lower.source, "value": plain(lower)},
                note="both layers have this value" + (f"; {why}" if why else ""),
            )
        return higher
    if not merger.tracing:
        return higher if wins_higher else lower
    _decided(merger, at, rule, lower, higher, wins_higher, why)
    return higher if wins_higher else lower


def _decided(
    merger: Merger, at: At, rule: Rule, lower: Node, higher: Node, wins_higher: bool, why: str | None = None
) -> None:
    """Report a decision between two present values in mergo's terms (dst = lower, src = higher): ``override``
    when the higher value replaced the lower one, ``keep`` when the lower one stayed. A rule with ``lost: drop``
    reports the incoming layer's losing value as an input without effect instead."""
    incoming_lost = wins_higher != merger.incoming_is_higher
    if incoming_lost and rule.params.get("lost") == "drop":
        loser = lower if wins_higher else higher
        merger.emit("drop", at, loser.source, plain(loser), rule=rule, note=why)
        return
    note = rule.note or why or (merger.note if not merger.incoming_is_higher else None)
    if wins_higher:
        if plain(higher) != plain(lower) or higher.source != lower.source:
            merger.emit(
                "override",
                at,
                higher.source,
                plain(higher),
                rule=rule,
                previous=plain(lower),
                previous_source=lower.source,
                note=note,
            )
    else:
        merger.emit(
            "keep",
            at,
            lower.source,
            plain(lower),
            rule=rule,
            rejected={"source": higher.source, "value": plain(higher)},
            note=note,
        )


def mergo(merger: Merger, at: At, lower: Node | None, higher: Node | None, rule: Rule) -> Node | None:
    if lower is None or higher is None:
        return merger.one_sided(at, lower, higher, rule)
    kind = _kind(at, lower, higher)
    if kind == "object" and isinstance(lower.value, dict) and isinstance(higher.value, dict):
        return _merge_object(merger, at, lower, higher)
    if kind == "map" and isinstance(lower.value, dict) and isinstance(higher.value, dict):
        return _merge_map(merger, at, lower, higher, rule)
    if kind == "list" and isinstance(lower.value, list) and isinstance(higher.value, list):
        return _append(merger, at, lower, higher, rule)
    if kind in ("time", "any"):
        return merger.one_sided(at, None, higher, rule)
    return _scalar(merger, at, lower, higher, rule, kind)


def _merge_object(merger: Merger, at: At, lower: Node, higher: Node) -> Node:
    low, high = lower.value, higher.value
    children: dict[str, Node] = {}
    for name in list(low) + [k for k in high if k not in low]:  # dst's field order, then src's new fields
        merged = merger.merge(at.child(name), low.get(name), high.get(name))
        if merged is not None:
            children[name] = merged
    return Node(children, higher.source, higher.rule)


def _merge_map(merger: Merger, at: At, lower: Node, higher: Node, rule: Rule) -> Node:
    """Key-wise union; the src (higher) entry replaces the dst entry, even when it is "" (mergo maps)."""
    low, high = lower.value, higher.value
    children = dict(low)
    for key, node in high.items():
        previous = low.get(key)
        children[key] = node
        if not merger.tracing:
            continue
        entry = at.entry(key)
        if previous is None:
            if merger.incoming_is_higher:
                merger.emit("set", entry, node.source, plain(node), rule=rule)
        else:
            _decided(merger, entry, rule, previous, node, True)
    if merger.tracing and not merger.incoming_is_higher:
        for key, node in low.items():
            if key not in high:
                merger.emit("set", at.entry(key), node.source, plain(node), rule=rule)
    return Node(children, higher.source, higher.rule)


def _list_field(at: At) -> str:
    for segment in reversed(at.path):
        if isinstance(segment, str):
            return segment
    return ""


def _append(merger: Merger, at: At, lower: Node, higher: Node, rule: Rule) -> Node:
    """dst ++ src; an empty src leaves dst as it is (mergo WithAppendSlice)."""
    if not higher.value:
        return lower
    items = lower.value + higher.value
    if merger.tracing:
        segments = item_segments(at.spec, items, node_key)
        incoming = range(len(lower.value), len(items)) if merger.incoming_is_higher else range(len(lower.value))
        note = None if merger.incoming_is_higher else "items of the lower layer come first"
        for index in incoming:
            merger.emit(
                "append",
                at.item(segments[index]),
                items[index].source,
                plain(items[index]),
                rule=rule,
                note=rule.note or note,
            )
    return Node(items, higher.source, higher.rule)


# --------------------------------------------------------------------------------------------------------------
# Other leaf policies, for rules that are not plain mergo


def _higher_whole(why: str) -> Callable:
    def strategy(merger: Merger, at: At, lower: Node | None, higher: Node | None, rule: Rule) -> Node | None:
        if lower is None or higher is None:
            return merger.one_sided(at, lower, higher, rule)
        if merger.tracing:
            _decided(merger, at, rule, lower, higher, True, why)
        return higher

    return strategy


#: The higher value replaces the lower one whenever it is present, even when it is false/0/"" (a Go assignment,
#: such as UpdatePod's ``podSpec.HostNetwork = *EnableHostNetworkingPod``).
force = _higher_whole("the higher layer sets this field unconditionally")

#: Atomic: the higher value, whole, if there is one; otherwise the lower one, whole (Go's ``if x == nil { x =
#: default.DeepCopy() }`` seen from the default's side). Nothing inside is merged. The same decision as ``force``,
#: told in the words of a default that applies only to an unset field.
replace = _higher_whole("the field is already set, so the default is not used")


def append(merger: Merger, at: At, lower: Node | None, higher: Node | None, rule: Rule) -> Node | None:
    """lower ++ higher for a list, whatever the profile's default is."""
    if lower is None or higher is None:
        return merger.one_sided(at, lower, higher, rule)
    return _append(merger, at, lower, higher, rule)


def dedupe_by_key(merger: Merger, at: At, lower: Node | None, higher: Node | None, rule: Rule) -> Node | None:
    """Append, then keep only the last item for each key (``params.keys``: the fields that identify an item).
    Not Flyte's behaviour: for packs that want it (a policy author's choice)."""
    merged = append(merger, at, lower, higher, rule)
    if merged is None or not isinstance(merged.value, list):
        return merged
    keys = tuple(rule.params.get("keys", ("key",)))

    def identity(item: Node) -> tuple:
        if not keys or not isinstance(item.value, dict):  # a list of scalars: the value is its own key
            return ("value", repr(plain(item)))
        return tuple(repr(plain(item.value.get(k))) for k in keys)

    last: dict[tuple, int] = {}
    for index, item in enumerate(merged.value):
        last[identity(item)] = index
    kept = [item for index, item in enumerate(merged.value) if last[identity(item)] == index]
    if merger.tracing:
        for index, item in enumerate(merged.value):
            if item not in kept:
                merger.emit(
                    "drop",
                    at.item(index),
                    item.source,
                    plain(item),
                    rule=rule,
                    note=f"a later item has the same {', '.join(keys)}",
                )
    return Node(kept, merged.source, merged.rule)


def ignore(merger: Merger, at: At, lower: Node | None, higher: Node | None, rule: Rule) -> Node | None:
    """The incoming layer's value never applies here: it is dropped, and the trace says so."""
    incoming = merger.incoming(lower, higher)
    kept = lower if incoming is higher else higher
    if incoming is not None and merger.tracing:
        merger.emit("drop", at, incoming.source, plain(incoming), rule=rule, note=rule.note)
    return kept


# --------------------------------------------------------------------------------------------------------------
# Flyte's container matching: MergeBasePodSpecOntoTemplate (flytek8s/pod_helper.go)


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
        type_name = at.spec.elem if at.spec is not None and at.spec.elem_is_type else "Container"
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
    from . import aliasing

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


_PARAMS: dict[str, set[str]] = {
    "mergo": {"lost"},
    "force": {"lost"},
    "replace": {"lost"},
    "append": set(),
    "dedupe-by-key": {"keys"},
    "ignore": set(),
    "template-containers": {
        "default",
        "primary",
        "primary_var",
        "exact_name",
        "exact_name_skips_primary",
        "exact_name_skips",
        "aliasing",
    },
}

for _strategy_name, _strategy in {
    "mergo": mergo,
    "force": force,
    "replace": replace,
    "append": append,
    "dedupe-by-key": dedupe_by_key,
    "ignore": ignore,
    "template-containers": template_containers,
}.items():
    register_strategy(_strategy_name, _strategy, _PARAMS[_strategy_name])
