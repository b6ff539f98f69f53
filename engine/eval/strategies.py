"""Merge strategies: one registry, keyed by the name rule files use.

``Merger.merge`` owns traversal: it finds the rule for a place (a rule of the merge profile, or the profile's
default strategy) and calls its strategy. Places are ``At`` positions of the one typed walker
(``engine.k8s.walker.Position``: ``at.child(name)``, ``at.entry(key)``, ``at.item(segment)``, with the field's
Kubernetes kind in ``at.spec``). A strategy decides one node:

    strategy(merger, at, lower, higher, params) -> Node | None

``lower`` is the layer below, ``higher`` the layer above (mergo's ``dst`` and ``src``). Exactly one of them is
the *incoming* layer (``merger.incoming``): the source the current rule lays over or under what is already
built. Strategies never mutate their inputs; they return new Nodes that reuse the children they keep, and they
report what happened through ``merger.emit``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..k8s.paths import item_segments
from ..k8s.tree import Node, is_zero, node_key, plain
from ..k8s.walker import Position
from ..pack.registry import Rule, register_strategy

#: where the walker is (``engine.k8s.walker.Position``): printed path, schema path (by which profiles name places)
#: and the schema's slot (field spec, Kubernetes type, list keys)
At = Position


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
            self.emit("set", at, result.source, result, rule=rule)
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
                higher,
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
        merger.emit("drop", at, loser.source, loser, rule=rule, note=why)
        return
    note = rule.note or why or (merger.note if not merger.incoming_is_higher else None)
    if wins_higher:
        if higher.source != lower.source or _differ(higher, lower):
            merger.emit(
                "override",
                at,
                higher.source,
                higher,
                rule=rule,
                previous=lower,
                previous_source=lower.source,
                note=note,
            )
    else:
        merger.emit(
            "keep",
            at,
            lower.source,
            lower,
            rule=rule,
            rejected={"source": higher.source, "value": plain(higher)},
            note=note,
        )


def _differ(higher: Node, lower: Node) -> bool:
    """Do two Nodes hold different plain values (scalars compared as they are, trees made plain)?"""
    high, low = higher.value, lower.value
    if isinstance(high, (dict, list)) or isinstance(low, (dict, list)):
        return plain(higher) != plain(lower)
    return high != low


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
                merger.emit("set", entry, node.source, node, rule=rule)
        else:
            _decided(merger, entry, rule, previous, node, True)
    if merger.tracing and not merger.incoming_is_higher:
        for key, node in low.items():
            if key not in high:
                merger.emit("set", at.entry(key), node.source, node, rule=rule)
    return Node(children, higher.source, higher.rule)


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
                items[index],
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
                    item,
                    rule=rule,
                    note=f"a later item has the same {', '.join(keys)}",
                )
    return Node(kept, merged.source, merged.rule)


def ignore(merger: Merger, at: At, lower: Node | None, higher: Node | None, rule: Rule) -> Node | None:
    """The incoming layer's value never applies here: it is dropped, and the trace says so."""
    incoming = merger.incoming(lower, higher)
    kept = lower if incoming is higher else higher
    if incoming is not None and merger.tracing:
        merger.emit("drop", at, incoming.source, incoming, rule=rule, note=rule.note)
    return kept


_PARAMS: dict[str, set[str]] = {
    "mergo": {"lost"},
    "force": {"lost"},
    "replace": {"lost"},
    "append": set(),
    "dedupe-by-key": {"keys"},
    "ignore": set(),
}

for _strategy_name, _strategy in {
    "mergo": mergo,
    "force": force,
    "replace": replace,
    "append": append,
    "dedupe-by-key": dedupe_by_key,
    "ignore": ignore,
}.items():
    register_strategy(_strategy_name, _strategy, _PARAMS[_strategy_name])
