"""The working document: a tree of Nodes, each remembering the source and rule that put it there.

Every value the engine handles while it builds a Pod is wrapped once, when its source is read, into ``Node``s:
a dict of Nodes, a list of Nodes, or a scalar. Strategies and transforms never mutate a Node; they build new
dicts and lists that reuse the children they keep (copy on write), so the scenario's own objects are never
touched and ownership survives any reordering of lists: the owner of a leaf is simply the Node's ``source``.
"""

from __future__ import annotations

import copy
from typing import Any


class Node:
    __slots__ = ("rule", "source", "value")

    def __init__(self, value: Any, source: str, rule: str) -> None:
        self.value = value
        self.source = source
        self.rule = rule

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Node({self.value!r}, {self.source!r})"


# wrap and plain are the hottest functions of an evaluation: leaves (most of a tree) are handled in the loop of
# their parent, without a call of their own. ``wrap`` makes its Nodes with ``object.__new__`` and three attribute
# stores: a third faster than calling ``Node(...)`` (whose ``__init__`` is a Python call) on a large pod spec.
_BRANCHES = (dict, list)
_new = object.__new__


def wrap(value: Any, source: str, rule: str) -> Node:
    """``value`` (plain data) as Nodes of ``source`` and ``rule``, every mapping and list new, scalars shared."""
    node = _new(Node)
    node.source = source
    node.rule = rule
    if isinstance(value, dict):
        children = {}
        for key, item in value.items():
            if isinstance(item, _BRANCHES):
                children[key] = wrap(item, source, rule)
            else:
                leaf = children[key] = _new(Node)
                leaf.value = item
                leaf.source = source
                leaf.rule = rule
        node.value = children
    elif isinstance(value, list):
        items = []
        for item in value:
            if isinstance(item, _BRANCHES):
                items.append(wrap(item, source, rule))
            else:
                leaf = _new(Node)
                leaf.value = item
                leaf.source = source
                leaf.rule = rule
                items.append(leaf)
        node.value = items
    else:
        node.value = value
    return node


def plain(node: Node | None) -> Any:
    if node is None:
        return None
    value = node.value
    if isinstance(value, dict):
        return {k: plain(v) if v is None or isinstance(v.value, _BRANCHES) else v.value for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) if v is None or isinstance(v.value, _BRANCHES) else v.value for v in value]
    return value


_SCALARS = (str, int, float, bool, type(None))


def copy_plain(value: Any) -> Any:
    """A deep copy of plain data (dicts, lists, scalars), without ``copy.deepcopy``'s memo and dispatch: what a
    step hands out of shared data (the pack's defaults, a PodTemplate of the scenario). Anything else is copied by
    ``copy.deepcopy``."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _SCALARS else copy_plain(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _SCALARS else copy_plain(v) for v in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value)


def get(node: Node | None, *fields: str) -> Node | None:
    for field in fields:
        if node is None or not isinstance(node.value, dict):
            return None
        node = node.value.get(field)
    return node


def node_key(node: Node, key_field: str) -> Any:
    """The key of a keyed-list item (for ``paths.item_segments``)."""
    child = node.value.get(key_field) if isinstance(node.value, dict) else None
    return None if child is None else child.value


def is_zero(value: Any) -> bool:
    """Go's zero value for a scalar: mergo's isEmptyValue."""
    return value is None or value == "" or value is False or (value == 0 and not isinstance(value, bool))
