"""The working document of an evaluation, read and written at paths: a Node tree (``engine.k8s.tree``) that is never
mutated; a write (``replace_at``) copies the mappings and lists on the way to the place it changes and shares the
rest. Also the parts of the document a pack expression reads (``pod_part``) and the shape of a layer's path
(``layer_path_shape``), both worked out once per path.
"""

from __future__ import annotations

import functools

from ..k8s import paths as _paths
from ..k8s.tree import Node, node_key, plain
from ..pack.expressions import SIZE


def pod_part(document: Node, paths: tuple) -> dict:
    """The plain Pod as far as an expression reads it: the value at each of ``paths`` (shortest first), whole, on a
    spine of the mappings above it; where a path meets a value that is not a mapping, that value, whole (a field
    of it reads null, as in the whole Pod). A path ending with ``SIZE`` (read only by ``length()``) gets a value of
    the same size and kind: a list of nulls, a mapping of the same keys to nulls; a scalar as it is."""
    pod: dict = {}
    spines = {id(pod)}  # the mappings made here (any other is a value taken whole)
    for path in paths:
        sized = path[-1] == SIZE
        if sized:
            path = path[:-1]
        node, part = document, pod
        for depth, name in enumerate(path):
            child = node.value.get(name) if isinstance(node.value, dict) else None
            if child is None:
                break
            if depth == len(path) - 1 or not isinstance(child.value, dict):
                if name not in part:  # a shorter path has it whole already
                    part[name] = _size_of(child) if sized and depth == len(path) - 1 else plain(child)
                elif sized and id(part[name]) in spines:  # a spine: the keys the other paths did not read
                    for key in child.value:
                        part[name].setdefault(key, None)
                break
            inner = part.get(name)
            if inner is None:
                inner = part[name] = {}
                spines.add(id(inner))
            elif id(inner) not in spines:
                break
            part, node = inner, child
    return pod


def _size_of(node: Node):
    """A value as ``length()`` sees it: as many nulls as the list has items or the mapping keys, a scalar as it is."""
    value = node.value
    if isinstance(value, list):
        return [None] * len(value)
    if isinstance(value, dict):
        return dict.fromkeys(value)
    return value


@functools.lru_cache(maxsize=1024)
def layer_path_shape(at: tuple) -> tuple[bool, bool]:
    """Of a layer's ``at`` path (the pack's, a few dozen distinct): does a key selector name a ``$variable``, does
    it hold a key selector at all."""
    keys = [segment for segment in at if isinstance(segment, _paths.Key)]
    return any(key.value.startswith("$") for key in keys), bool(keys)


def find_index(items: list, key: _paths.Key) -> int | None:
    """The index of the item of a list of Nodes that a key addresses (``Key.matches``: every key field, the
    key's occurrence), None if there is none."""
    seen = 0
    for index, item in enumerate(items):
        if key.matches(item, node_key):
            seen += 1
            if seen == key.occurrence:
                return index
    return None


def find_item(node: Node, key: _paths.Key) -> Node | None:
    if not isinstance(node.value, list):
        return None
    index = find_index(node.value, key)
    return None if index is None else node.value[index]


def replace_at(node: Node | None, at: tuple, new: Node | None, source: str, rule: str) -> Node:
    if not at:
        return new if new is not None else Node({}, source, rule)
    head, rest = at[0], at[1:]
    if isinstance(head, str):
        children = dict(node.value) if node is not None and isinstance(node.value, dict) else {}
        child = replace_at(children.get(head), rest, new, source, rule) if rest else new
        if child is None:
            children.pop(head, None)
        else:
            children[head] = child
        return Node(children, node.source if node is not None else source, node.rule if node is not None else rule)
    items = list(node.value) if node is not None and isinstance(node.value, list) else []
    index = find_index(items, head) if isinstance(head, _paths.Key) else head
    if index is not None:
        replacement = replace_at(items[index], rest, new, source, rule) if rest else new
        if replacement is None:
            del items[index]
        else:
            items[index] = replacement
    return Node(items, node.source if node is not None else source, node.rule if node is not None else rule)
