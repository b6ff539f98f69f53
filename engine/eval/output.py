"""From the working document to the Pod manifest, and the owner of every leaf.

The manifest is what ``kubectl get pod -o yaml`` would show for the object FlytePropeller creates, as far as the
object itself decides it: Kubernetes JSON names; a plain field at its zero value is omitted (Go's ``omitempty``:
``hostNetwork: false`` does not appear), a pointer that was set is kept even when it points to a zero value
(``automountServiceAccountToken: false``), a non-pointer struct is always printed (``resources: {}``), empty lists
and maps are omitted; quantities in canonical form; map keys sorted; list order as the merge produced it.
Server-side defaulting (``dnsPolicy``, ``terminationMessagePath`` ...) is not applied: podeval shows what Flyte
sends, not what admission adds.

The same walk records, for every leaf it prints (a scalar, or an empty object that is kept), the source of the
Node it came from: that is ``trace.owners``.
"""

from __future__ import annotations

from typing import Any

from ..k8s import k8s_schema, paths, quantity
from ..k8s.tree import Node, is_zero, node_key

_MISSING = object()


def _quantity(value: Any) -> Any:
    try:
        return quantity.canonical(quantity.to_text(value))
    except quantity.QuantityError:
        return value


def render_node(node: Node, type_name: str | None, path: tuple, owners: dict | None) -> Any:
    """The printed value of an object node of ``type_name`` (or of unknown type)."""
    return _render_object(node, type_name, paths.render(path), owners)


# The walk below carries the printed path (``paths.extend`` one segment per level), not the tuple: printing every
# leaf's path from the root was a fifth of the time of a large evaluation.


def _render_object(node: Node, type_name: str | None, path: str, owners: dict | None) -> Any:
    value = node.value
    if not isinstance(value, dict):
        return value
    result: dict = {}
    for name in sorted(value):
        child = value[name]
        spec = k8s_schema.field(type_name, name) if type_name else None
        rendered = _render_field(child, spec, paths.extend(path, name), owners, name)
        if rendered is not _MISSING:
            result[name] = rendered
    if not result and owners is not None and path:
        owners[path] = (node.source, node.rule)
    return result


def _render_field(node: Node, spec: k8s_schema.FieldSpec | None, path: str, owners: dict | None, name: str) -> Any:
    value = node.value
    if spec is None:
        return _render_untyped(node, path, owners, name)
    kind = spec.kind
    if value is None:
        return _MISSING
    if kind == "object":
        rendered = _render_object(node, spec.elem, path, owners)
        if not rendered and spec.ptr is False and spec.omitempty and spec.omitzero:
            return _MISSING
        return rendered
    if kind == "list":
        if not isinstance(value, list) or (not value and spec.omitempty):
            return _MISSING
        segments = _segments(spec, value)
        items = []
        for segment, item in zip(segments, value):
            if spec.elem and spec.elem not in k8s_schema.SCALAR_KINDS:
                items.append(_render_object(item, spec.elem, paths.extend(path, segment), owners))
            else:
                items.append(_leaf(item, spec.elem or "string", paths.extend(path, segment), owners))
        return items
    if kind == "map":
        if not isinstance(value, dict) or (not value and spec.omitempty):
            return _MISSING
        rendered_map = {}
        for key in sorted(value):
            child = value[key]
            if spec.elem and spec.elem not in k8s_schema.SCALAR_KINDS:
                rendered_map[key] = _render_object(child, spec.elem, paths.extend(path, key), owners)
            else:
                rendered_map[key] = _leaf(child, spec.elem or "string", paths.extend(path, key), owners)
        return rendered_map
    if kind == "time":
        return _MISSING if value in (None, "") else _leaf(node, kind, path, owners)
    if not spec.ptr and spec.omitempty and is_zero(value):
        return _MISSING
    return _leaf(node, kind, path, owners)


def _render_untyped(node: Node, path: str, owners: dict | None, name: str) -> Any:
    value = node.value
    if isinstance(value, dict):
        if not value:
            if owners is not None:
                owners[path] = (node.source, node.rule)
            return {}
        return {key: _render_untyped(value[key], paths.extend(path, key), owners, key) for key in sorted(value)}
    if isinstance(value, list):
        segments = _segments(None, value)  # a list the schema does not know: by index
        return [
            _render_untyped(item, paths.extend(path, segment), owners, name) for segment, item in zip(segments, value)
        ]
    if owners is not None:
        owners[path] = (node.source, node.rule)
    return value


def _leaf(node: Node, kind: str, path: str, owners: dict | None) -> Any:
    if owners is not None:
        owners[path] = (node.source, node.rule)
    if kind == "quantity":
        return _quantity(node.value)
    return node.value


def _segments(spec: k8s_schema.FieldSpec | None, items: list) -> list:
    return paths.item_segments(spec, items, node_key)


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
                owners[field] = (node.source, node.rule)
    pod["metadata"] = _render_object(metadata_node, "ObjectMeta", "metadata", owners) if metadata_node else {}
    pod["spec"] = _render_object(spec_node, "PodSpec", "spec", owners) if spec_node else {}
    return pod
