"""From the working document to the Pod manifest, and the owner of every leaf.

The manifest is what ``kubectl get pod -o yaml`` would show for the object FlytePropeller creates, as far as the
object itself decides it: Kubernetes JSON names; a plain field at its zero value is omitted (Go's ``omitempty``:
``hostNetwork: false`` does not appear), a pointer that was set is kept even when it points to a zero value
(``automountServiceAccountToken: false``), a non-pointer struct is always printed (``resources: {}``), empty lists
and maps are omitted; quantities in canonical form; map keys sorted; list order as the merge produced it.
Server-side defaulting (``dnsPolicy``, ``terminationMessagePath`` ...) is not applied: podeval shows what Flyte
sends, not what admission adds.

The same walk records, for every leaf it prints (a scalar, or an empty object that is kept), the Node it came from
by the leaf's printed path (``owners``): their sources are ``trace.owners``, their rules ``trace.owner_rules``.
"""

from __future__ import annotations

from typing import Any

from ..k8s import paths, quantity
from ..k8s.tree import Node, is_zero, node_key
from ..k8s.walker import Slot, TypeTable, type_table

_MISSING = object()


def _quantity(value: Any) -> Any:
    try:
        return quantity.canonical(quantity.to_text(value))
    except quantity.QuantityError:
        return value


def render_node(node: Node, type_name: str | None, path: tuple, owners: dict | None) -> Any:
    """The printed value of an object node of ``type_name`` (or of unknown type)."""
    return _render_object(node, type_table(type_name) if type_name else None, paths.render(path), owners)


# The walk below carries the printed path (``paths.extend`` one segment per level), not the tuple: printing every
# leaf's path from the root was a fifth of the time of a large evaluation. Types and fields are the walker's
# (``engine.k8s.walker``: a struct's fields as Slots, resolved once).

_NO_FIELDS: dict = {}


def _render_object(node: Node, table: TypeTable | None, path: str, owners: dict | None) -> Any:
    value = node.value
    if not isinstance(value, dict):
        return value
    fields = table.fields if table is not None else _NO_FIELDS
    result: dict = {}
    suffix = paths.name_suffix
    for name in sorted(value):
        child = value[name]
        slot = fields.get(name)
        # paths are for the owners only; ``path + name_suffix(name)`` is ``paths.extend(path, name)``
        child_path = (path + suffix(name) if path else paths.extend(path, name)) if owners is not None else ""
        if slot is not None and slot.python_types:  # a plain scalar field, the most common: _render_field inlined
            leaf = child.value
            if leaf is None or (not slot.ptr and slot.omitempty and is_zero(leaf)):
                continue
            if owners is not None:
                owners[child_path] = child
            if type(leaf) is float and slot.kind == "int" and leaf.is_integer():
                leaf = int(leaf)  # a whole number from a protobuf Struct (a plugin's custom): Go holds an int
            result[name] = leaf
            continue
        rendered = _render_field(child, slot, child_path, owners)
        if rendered is not _MISSING:
            result[name] = rendered
    if not result and owners is not None and path:
        owners[path] = node
    return result


def _render_field(node: Node, slot: Slot | None, path: str, owners: dict | None) -> Any:
    value = node.value
    if slot is None:
        return _render_untyped(node, path, owners)
    kind = slot.kind
    if value is None:
        return _MISSING
    if kind == "object":
        rendered = _render_object(node, slot.type, path, owners)
        if not rendered and slot.ptr is False and slot.omitempty and slot.omitzero:
            return _MISSING
        return rendered
    if kind == "list":
        if not isinstance(value, list) or (not value and slot.omitempty):
            return _MISSING
        if owners is None:  # no owners, no paths
            if slot.elem_is_type:
                return [_render_object(item, slot.type, "", None) for item in value]
            elem = slot.item.kind
            return [_leaf(item, elem, "", None) for item in value]
        suffixes = paths.item_suffixes(slot.spec, value, node_key)  # path + suffix: paths.extend(path, segment)
        if slot.elem_is_type:
            table = slot.type
            return [_render_object(item, table, path + suffix, owners) for suffix, item in zip(suffixes, value)]
        elem = slot.item.kind
        return [_leaf(item, elem, path + suffix, owners) for suffix, item in zip(suffixes, value)]
    if kind == "map":
        if not isinstance(value, dict) or (not value and slot.omitempty):
            return _MISSING
        if owners is None:  # no owners, no paths
            if slot.elem_is_type:
                return {key: _render_object(value[key], slot.type, "", None) for key in sorted(value)}
            elem = slot.entry.kind
            return {key: _leaf(value[key], elem, "", None) for key in sorted(value)}
        if slot.elem_is_type:
            table = slot.type
            return {key: _render_object(value[key], table, paths.extend(path, key), owners) for key in sorted(value)}
        elem = slot.entry.kind
        return {key: _leaf(value[key], elem, paths.extend(path, key), owners) for key in sorted(value)}
    if kind == "time":
        return _MISSING if value in (None, "") else _leaf(node, kind, path, owners)
    if not slot.ptr and slot.omitempty and is_zero(value):
        return _MISSING
    return _leaf(node, kind, path, owners)


def _render_untyped(node: Node, path: str, owners: dict | None) -> Any:
    value = node.value
    if isinstance(value, dict):
        if not value:
            if owners is not None:
                owners[path] = node
            return {}
        return {key: _render_untyped(value[key], paths.extend(path, key), owners) for key in sorted(value)}
    if isinstance(value, list):  # a list the schema does not know: items by index
        return [_render_untyped(item, paths.extend(path, index), owners) for index, item in enumerate(value)]
    if owners is not None:
        owners[path] = node
    return value


def _leaf(node: Node, kind: str, path: str, owners: dict | None) -> Any:
    if owners is not None:
        owners[path] = node
    if kind == "quantity":
        return _quantity(node.value)
    if kind == "int" and isinstance(node.value, float) and node.value.is_integer():
        return int(node.value)  # a whole number from a protobuf Struct (a plugin's custom): Go holds an int
    return node.value


def render_pod(document: Node, owners: dict | None) -> dict:
    """The Pod manifest from the working document (``{"metadata": ..., "spec": ...}``)."""
    metadata_node = document.value.get("metadata")
    spec_node = document.value.get("spec")
    pod: dict = {}
    for field in ("apiVersion", "kind"):  # BuildIdentityPod: set by the pack's pod-plugin step
        node = document.value.get(field)
        if node is not None:
            pod[field] = node.value
            if owners is not None:
                owners[field] = node
    pod["metadata"] = (
        _render_object(metadata_node, type_table("ObjectMeta"), "metadata", owners) if metadata_node else {}
    )
    pod["spec"] = _render_object(spec_node, type_table("PodSpec"), "spec", owners) if spec_node else {}
    return pod
