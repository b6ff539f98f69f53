"""Go's memory in Flyte's container matching: which merged containers share the template's pointers and maps.

``container_matching.template_containers`` merges each task container onto the template containers that match it. Read
as values, that is all. FlytePropeller's MergeBasePodSpecOntoTemplate (flytek8s/pod_helper.go) works on Go
structs, and mergo works in place:

* mergo.Merge(dst, src) sets a nil pointer of dst to src's pointer (both then share the pointee), recurses into
  the pointee when both are non-nil (writing into dst's pointee), writes src's entries into a non-nil map of dst,
  and gives a nil map of dst a new map;
* Flyte DeepCopies the template's ``default`` container for every task container, and its ``primary`` container
  when that is the first shape; a template container matched by exact name is taken as a shallow copy (Go's range
  variable) when it is the first shape: its pointers and maps are the template's own.

So when one template container feeds two task containers (the template's ``primary`` container shapes the primary
container by role and a sidecar literally named ``primary`` by exact name), the value merged for one is written
into an object the other one holds or reads later, and shows in both (in either direction).

:class:`Memory` replays the matching over a model of that memory: every pointer and map of a container (found with
the Kubernetes field table: ``FieldSpec.ptr``, kind ``map``) is an object with an id; a value records the ids of
its outermost objects; the content of each object is the last one written. Each mergo step is still decided by
the pack's merge strategies (the value they build is the content); this module only says which object each
pointer and map of the result is, writes the result's objects back, and reads everything through them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from ..k8s import k8s_schema
from ..k8s.tree import Node
from .output import render_node

#: a path from a value's root: field names only (objects never sit inside lists or map entries here)
Path = tuple


class GoValue(NamedTuple):
    """A Go value: its content as last built, and the ids of its outermost pointers and maps (``path -> id``)."""

    node: Node | None
    refs: dict


def _fields(node: Node | None) -> dict:
    if node is None or not isinstance(node.value, dict):
        return {}
    return {name: child for name, child in node.value.items() if child is not None and child.value is not None}


def _subtree(node: Node | None, path: Path) -> Node | None:
    for name in path:
        node = _fields(node).get(name)
        if node is None:
            return None
    return node


def _replaced(node: Node | None, path: Path, new: Node) -> Node:
    if not path:
        return new
    children = dict(node.value)
    children[path[0]] = _replaced(children.get(path[0]), path[1:], new)
    return Node(children, node.source, node.rule)


def _outermost(flat: dict) -> dict:
    return {
        path: ident for path, ident in flat.items() if not any(path[:length] in flat for length in range(1, len(path)))
    }


class Memory:
    """The objects of one container matching (containers, or init containers), and the steps Flyte takes."""

    def __init__(self, type_name: str = "Container") -> None:
        self.type_name = type_name
        self.heap: dict[int, GoValue] = {}
        self._ids = itertools.count(1)

    # -- values -------------------------------------------------------------------------------------------------
    def load(self, node: Node) -> GoValue:
        """A value as Flyte gets it (decoded, or DeepCopied out of the PodTemplateStore): every pointer and map is
        an object of its own."""
        return GoValue(node, self._allocate(node, self.type_name))

    def deep_copy(self, value: GoValue) -> GoValue:
        """``x.DeepCopy()``: the current content, in new objects."""
        return self.load(self.resolve(value)[0])

    def shallow_copy(self, value: GoValue) -> GoValue:
        """A copy of the struct (Go's range variable): the same pointers and maps."""
        return GoValue(self.resolve(value)[0], dict(value.refs))

    def resolve(self, value: GoValue) -> tuple[Node | None, dict]:
        """The value as Go sees it now (every object's last content), and the ids of all its objects by path."""
        node, flat = value.node, {}
        for path in sorted(value.refs, key=len):
            ident = value.refs[path]
            content, below = self.resolve(self.heap[ident])
            if node is not None and content is not None and _subtree(node, path[:-1]) is not None:
                node = _replaced(node, path, content)
            flat[path] = ident
            flat.update({path + rest: inner for rest, inner in below.items()})
        return node, flat

    # -- mergo.Merge(dst, src, WithOverride, WithAppendSlice) -----------------------------------------------------
    def merge(self, merge: Callable[[Node | None, Node | None], Node | None], dst: GoValue, src: GoValue) -> GoValue:
        """One mergo step in place: ``merge`` (the pack's strategies) decides the content from dst's and src's
        current content; the result keeps dst's objects, takes src's pointers where dst's were nil, gets new maps
        where dst's were nil; every object of the result is written back."""
        dst_node, dst_flat = self.resolve(dst)
        src_node, src_flat = self.resolve(src)
        result = merge(dst_node, src_node)
        flat: dict = {}
        self._merged_refs(self.type_name, dst_node, src_node, dst_flat, src_flat, (), flat)
        for path, ident in flat.items():
            content = _subtree(result, path)
            if content is None:
                continue
            below = {q[len(path) :]: flat[q] for q in flat if len(q) > len(path) and q[: len(path)] == path}
            self.heap[ident] = GoValue(content, _outermost(below))
        return GoValue(result, _outermost(flat))

    # -- helpers ------------------------------------------------------------------------------------------------
    def _allocate(self, node: Node | None, type_name: str, prefix: Path = ()) -> dict:
        refs: dict = {}
        for name, child in _fields(node).items():
            spec = k8s_schema.field(type_name, name)
            if spec is None:
                continue
            path = prefix + (name,)
            if spec.kind == "map" or spec.ptr:
                ident = next(self._ids)
                inner = self._allocate(child, spec.elem) if spec.kind != "map" and spec.elem_is_type else {}
                self.heap[ident] = GoValue(child, inner)
                refs[path] = ident
            elif spec.kind == "object" and spec.elem_is_type:
                refs.update(self._allocate(child, spec.elem, path))
        return refs

    def _merged_refs(
        self,
        type_name: str,
        dst: Node | None,
        src: Node | None,
        dst_flat: dict,
        src_flat: dict,
        prefix: Path,
        out: dict,
    ) -> None:
        dst_fields, src_fields = _fields(dst), _fields(src)
        for name in dict.fromkeys([*dst_fields, *src_fields]):
            spec = k8s_schema.field(type_name, name)
            if spec is None:
                continue
            path = prefix + (name,)
            low, high = dst_fields.get(name), src_fields.get(name)
            if spec.kind == "map":
                # a non-nil map of dst is written in place; a nil one gets a new map (reflect.MakeMap)
                out[path] = (dst_flat.get(path) or next(self._ids)) if low is not None else next(self._ids)
            elif spec.ptr and low is None:
                # dst.Set(src): src's pointer, and everything under it, shared
                out[path] = src_flat[path]
                out.update({q: ident for q, ident in src_flat.items() if len(q) > len(path) and q[: len(path)] == path})
            elif spec.ptr:
                out[path] = dst_flat.get(path) or next(self._ids)
                if spec.elem_is_type:
                    self._merged_refs(spec.elem, low, high, dst_flat, src_flat, path, out)
            elif spec.kind == "object" and spec.elem_is_type:
                self._merged_refs(spec.elem, low, high, dst_flat, src_flat, path, out)


# ----------------------------------------------------------------------------------------------------------------
# What leaked: the values Go's sharing changed, against the matching read as values


def leaks(shared: Node, own: Node, type_name: str) -> Iterator[tuple[Path, Node | None, Any]]:
    """The printed leaves (a list counts as one leaf) where ``shared`` (what Flyte builds) differs from ``own`` (the
    same matching with every template container copied): ``(path, node in shared or None, printed value)``. Both
    are compared as Go prints them, so a zero value that only one side holds (and neither prints) is no leak."""

    def walk(mine: Any, theirs: Any, path: Path) -> Iterator[tuple[Path, Node | None, Any]]:
        if isinstance(mine, dict) and not mine and theirs is _ABSENT:
            yield path, _subtree(shared, path), mine  # an empty struct printed on one side only: `exec: {}`
        elif isinstance(mine, dict) and (isinstance(theirs, dict) or theirs is _ABSENT):
            theirs = theirs if isinstance(theirs, dict) else {}
            for name in dict.fromkeys([*mine, *theirs]):
                if name not in mine:
                    yield path + (name,), None, None
                else:
                    yield from walk(mine[name], theirs.get(name, _ABSENT), path + (name,))
        elif mine != theirs or type(mine) is not type(theirs):
            yield path, _subtree(shared, path), mine

    yield from walk(render_node(shared, type_name, (), None), render_node(own, type_name, (), None), ())


_ABSENT = object()


def origin(node: Node | None, owners: dict[int, Any]) -> Any:
    """The task container a leaked value came from: the first of its leaves that one of them holds."""
    if node is None:
        return None
    if id(node) in owners:
        return owners[id(node)]
    children = (
        node.value.values() if isinstance(node.value, dict) else node.value if isinstance(node.value, list) else ()
    )
    for child in children:
        if child is not None:
            found = origin(child, owners)
            if found is not None:
                return found
    return None


def owners_of(nodes: list[Node]) -> dict[int, int]:
    """``id(node) -> index`` for every Node of each task container (leaves are reused, never copied, by merges)."""
    found: dict[int, int] = {}

    def walk(node: Node, index: int) -> None:
        found.setdefault(id(node), index)
        children = (
            node.value.values() if isinstance(node.value, dict) else node.value if isinstance(node.value, list) else ()
        )
        for child in children:
            if child is not None:
                walk(child, index)

    for index, node in enumerate(nodes):
        walk(node, index)
    return found
