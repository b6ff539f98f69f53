"""The trace's ownership as Kubernetes ``metadata.managedFields``: build-time provenance in the cluster's own terms.

``to_managed_fields(result)`` gives one entry per source of the rule pack that owns part of the Pod, as if each
source had server-side-applied its part (``manager: <source id>``, ``operation: Apply``, ``apiVersion: v1``,
``fieldsType: FieldsV1``). ``fieldsV1`` is what the API server's structured-merge-diff computes for an applied
object (sigs.k8s.io/structured-merge-diff ``typed/tofieldset.go``), serialised as it does
(``fieldpath/serialize.go``):

* ``f:<name>``: a struct field or a map key (``f:labels`` then ``f:app.kubernetes.io/name``);
* ``k:{"name":"primary"}``: an item of a list with ``+listType=map``, by its key fields (compact JSON, fields
  sorted; a key field left out takes its schema default: a port's ``protocol`` is ``TCP``);
* ``v:"value"``: an item of a list with ``+listType=set`` (``finalizers``);
* ``i:<index>`` exists in the format but the API server never writes it in managedFields: lists that are neither
  maps nor sets are *atomic* (``+listType=atomic``: ``tolerations``, ``command``, ``args``, ``envFrom``,
  ``nodeSelectorTerms``), owned whole (``f:tolerations: {}``) and never itemised. podeval writes ``i:`` only for an
  item of a keyed list that lacks its key, which the API server would reject;
* ``.``: the manager owns the node itself as well as fields below it (every item of a keyed list: its
  existence), as SMD writes it.

Ownership per leaf comes from ``result.trace.owners``. Where Kubernetes' granularity is coarser than the trace's
(an atomic list or struct, an atomic map such as ``nodeSelector``) every source that set a part of it co-owns the
whole, as several appliers of the same value would; likewise every source that set a field of a keyed list item
co-owns the item and its key fields, since its applied configuration must name the item. As the API server does,
``apiVersion``, ``kind``, ``metadata.name`` and ``metadata.namespace`` are not tracked (``stripmeta.go``). No
``time`` is written: the output stays byte-identical for the same inputs.
"""

from __future__ import annotations

import json
from typing import Any

from ..documents.yamlio import dump_yaml
from ..k8s import paths as _paths
from ..k8s.walker import Slot, TypeTable, type_table

# What Kubernetes owns whole (atomic lists, ``+mapType=atomic`` maps, ``+structType=atomic`` structs) and how it keys
# list items come from the schema, generated from k8s.io/api's markers: ``Slot.atomic`` / ``Slot.list_keys`` of the
# walker (``engine/k8s/walker.py``).
# The API server fills a key field's default in before it identifies an item (structured-merge-diff's key of a port
# without protocol is {"containerPort":80,"protocol":"TCP"}); podeval's paths address items as written instead.
KEY_DEFAULTS = {"protocol": "TCP"}  # Container.ports[].protocol: +default="TCP"
STRIPPED = {
    ("metadata", "name"),
    ("metadata", "namespace"),
    ("metadata", "creationTimestamp"),
    ("metadata", "selfLink"),
    ("metadata", "uid"),
    ("metadata", "generation"),
    ("metadata", "managedFields"),
    ("metadata", "resourceVersion"),
}


class _Owners:
    """The trace's owners as a trie over path segments; every node knows the sources of the leaves below it."""

    __slots__ = ("children", "sources")

    def __init__(self) -> None:
        self.sources: set[str] = set()
        self.children: dict = {}

    @classmethod
    def build(cls, owners: dict[str, str]) -> _Owners:
        root = cls()
        for text, source in owners.items():
            node = root
            node.sources.add(source)
            for segment in _paths.parse(text):
                node = node.children.setdefault(segment, cls())
                node.sources.add(source)
        return root

    def child(self, segment: Any) -> _Owners:
        return self.children.get(segment) or _EMPTY


_EMPTY = _Owners()


class _FieldSets:
    """source -> set of field paths (tuples of serialised path elements)."""

    def __init__(self) -> None:
        self.sets: dict[str, set[tuple]] = {}

    def insert(self, sources: set[str], path: tuple) -> None:
        for source in sources:
            self.sets.setdefault(source, set()).add(path)


def _walk_struct(value: dict, table: TypeTable | None, at: tuple, owners: _Owners, fp: tuple, out: _FieldSets) -> None:
    """An object: a struct (known type) or a free-form mapping; SMD's visitMapItems."""
    for name, child in value.items():
        if at + (name,) in STRIPPED:
            continue
        slot = table.fields.get(name) if table is not None else None
        child_owners = owners.child(name)
        child_fp = fp + ("f:" + name,)
        _walk_field(child, slot, at + (name,), child_owners, child_fp, out)
        if child is None or (isinstance(child, dict) and not child) or (slot is None and table is not None):
            out.insert(child_owners.sources, child_fp)


def _walk_field(value: Any, slot: Slot | None, at: tuple, owners: _Owners, fp: tuple, out: _FieldSets) -> None:
    kind = slot.kind if slot is not None else _kind_of(value)
    if kind == "object" and isinstance(value, dict):
        if slot is not None and slot.atomic:
            out.insert(owners.sources, fp)
        else:
            _walk_struct(value, slot.type if slot is not None else None, at, owners, fp, out)
    elif kind == "map" and isinstance(value, dict):
        if slot is not None and slot.atomic:
            out.insert(owners.sources, fp)
            return
        table = slot.type if slot is not None else None
        for key, item in value.items():
            item_owners = owners.child(key)
            item_fp = fp + ("f:" + key,)
            if table is not None and isinstance(item, dict):
                _walk_struct(item, table, at + (key,), item_owners, item_fp, out)
            out.insert(item_owners.sources, item_fp)  # a map key is a member itself (not a struct field)
    elif kind == "list" and isinstance(value, list):
        _walk_list(value, slot, at, owners, fp, out)
    else:
        out.insert(owners.sources, fp)


def _kind_of(value: Any) -> str:
    """A value the schema does not type, by its shape."""
    return "object" if isinstance(value, dict) else "list" if isinstance(value, list) else "string"


def _walk_list(items: list, slot: Slot | None, at: tuple, owners: _Owners, fp: tuple, out: _FieldSets) -> None:
    if slot is None or slot.atomic:
        out.insert(owners.sources, fp)  # atomic (or not in the schema): owned whole
        return
    keys = slot.list_keys if slot.spec.list_type == "map" else None
    segments = _paths.item_segments(slot.spec, items)
    elements: list[tuple[str, Any, _Owners, Any]] = []
    for index, (segment, item) in enumerate(zip(segments, items)):
        item_owners = owners.child(segment)
        if keys is None:
            element = "v:" + json.dumps(item, separators=(",", ":"), ensure_ascii=False)
        elif isinstance(item, dict):
            fields = {k: item.get(k, KEY_DEFAULTS.get(k)) for k in keys if k in item or k in KEY_DEFAULTS}
            element = (
                "k:" + json.dumps(dict(sorted(fields.items())), separators=(",", ":"), ensure_ascii=False)
                if fields
                else f"i:{index}"
            )
        else:
            element = f"i:{index}"
        elements.append((element, item, item_owners, segment))
    counts: dict[str, int] = {}
    for element, *_ in elements:
        counts[element] = counts.get(element, 0) + 1
    table = slot.type
    for element, item, item_owners, _segment in elements:
        item_fp = fp + (element,)
        if counts[element] > 1:  # SMD: a duplicated item is owned as a whole, never descended into
            out.insert(item_owners.sources, item_fp)
            continue
        if keys is not None and isinstance(item, dict):
            _walk_struct(item, table, at + (_segment,), item_owners, item_fp, out)
            for key in keys:  # whoever set a field of the item named the item: it co-owns the key fields
                if key in item:
                    out.insert(item_owners.sources, item_fp + ("f:" + key,))
        out.insert(item_owners.sources, item_fp)


def _order(element: str) -> tuple:
    if element == ".":
        return (0, "")
    return ({"f": 1, "k": 2, "v": 3, "i": 4}.get(element[0], 5), int(element[2:]) if element[0] == "i" else 0, element)


def _serialise(paths: set[tuple]) -> dict:
    """A set of field paths as fieldsV1: nested ``{element: {...}}``, ``.`` where a member also has children."""
    tree: dict = {}
    members: set[tuple] = set()
    for path in paths:
        node = tree
        for element in path:
            node = node.setdefault(element, {})
        members.add(path)

    def emit(node: dict, prefix: tuple) -> dict:
        result: dict = {}
        if node and prefix in members:
            result["."] = {}
        for element in sorted(node, key=_order):
            result[element] = emit(node[element], prefix + (element,))
        return result

    return emit(tree, ())


def to_managed_fields(result: Any) -> list[dict]:
    """``metadata.managedFields`` for an evaluated Pod: one ``Apply`` entry per source that owns part of it, in
    the pack's source order."""
    owners = _Owners.build(result.trace.owners)
    out = _FieldSets()
    pod = result.pod
    for section, type_name in (("metadata", "ObjectMeta"), ("spec", "PodSpec")):
        value = pod.get(section)
        if isinstance(value, dict) and value:
            _walk_struct(value, type_table(type_name), (section,), owners.child(section), ("f:" + section,), out)
    pack_order = list(getattr(result.rules, "sources", {}) or {})
    managers = sorted(out.sets, key=lambda s: (pack_order.index(s) if s in pack_order else len(pack_order), s))
    entries = []
    for manager in managers:
        fields = _serialise(out.sets[manager])
        if not fields:
            continue
        entries.append(
            {"apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": fields, "manager": manager, "operation": "Apply"}
        )
    return entries


def format_managed_fields(result: Any, output: str = "yaml") -> str:
    """The entries as ``kubectl get pod -o yaml --show-managed-fields`` prints ``metadata.managedFields``."""
    entries = to_managed_fields(result)
    if output == "json":
        return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
    return dump_yaml(entries)
