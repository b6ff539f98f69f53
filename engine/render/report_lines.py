"""The Pod as YAML lines that know which field they show.

The HTML report marks every line of the Pod with the source that owns it, so it cannot print the Pod with
``yaml.safe_dump`` and look the lines up afterwards: it builds the lines itself, in the same block style
(sorted keys, lists not indented under their key, one scalar per line), and gives each line the contract's
field path (§4, printed by ``engine.k8s.paths``): ``spec.containers[name=primary].image``,
``metadata.labels["app.kubernetes.io/name"]``, ``spec.tolerations[0].key``. Joined, the lines are exactly
``yaml.safe_dump(pod, width=inf)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from ..k8s import k8s_schema, paths


@dataclass(frozen=True)
class Line:
    """One field of the Pod as printed. ``text`` may span several physical lines (a multi-line string)."""

    text: str
    segments: tuple  # the field's path as engine.k8s.paths segments
    leaf: bool  # a scalar or an empty map/list: the value is on this line; else the children follow

    @property
    def path(self) -> str:
        return paths.render(self.segments)


def pod_lines(pod: dict[str, Any]) -> list[Line]:
    """The Pod's YAML, one ``Line`` per field, in print order."""
    lines: list[Line] = []
    _emit_mapping(pod, (), 0, lines)
    return lines


def leaf_paths(node: Any, path: tuple = ()) -> list[str]:
    """The printed paths of every leaf (scalar, empty map or empty list) under ``node`` (a Pod, or the part of one
    at ``path``)."""
    if isinstance(node, dict) and node:
        return [p for key in sorted(node) for p in leaf_paths(node[key], (*path, str(key)))]
    if isinstance(node, list) and node:
        segments = paths.item_segments(k8s_schema.field_at(path), node)
        return [p for segment, item in zip(segments, node) for p in leaf_paths(item, (*path, segment))]
    return [paths.render(path)]


def _dump(fragment: Any) -> str:
    return yaml.safe_dump(fragment, default_flow_style=False, sort_keys=True, width=float("inf"))


def _indent(text: str, indent: int) -> str:
    pad = " " * indent
    return "\n".join(pad + line if line else line for line in text.rstrip("\n").split("\n"))


def _emit_mapping(mapping: dict[str, Any], path: tuple, indent: int, lines: list[Line]) -> None:
    for key in sorted(mapping):
        value = mapping[key]
        path_of_key = (*path, str(key))
        if isinstance(value, (dict, list)) and value:
            head = _dump({key: None}).rstrip("\n")
            head = head[: -len("null")].rstrip(" ")  # `key:`: the same key spelling safe_dump uses
            lines.append(Line(_indent(head, indent), path_of_key, leaf=False))
            if isinstance(value, dict):
                _emit_mapping(value, path_of_key, indent + 2, lines)
            else:
                _emit_sequence(value, path_of_key, indent, lines)
        else:
            lines.append(Line(_indent(_dump({key: value}), indent), path_of_key, leaf=True))


def _emit_sequence(items: list[Any], path: tuple, indent: int, lines: list[Line]) -> None:
    # safe_dump does not indent a block sequence under its key: `containers:` then `- name: ...` at the same column
    for segment, item in zip(paths.item_segments(k8s_schema.field_at(path), items), items):
        path_of_item = (*path, segment)
        if isinstance(item, (dict, list)) and item:
            nested: list[Line] = []
            if isinstance(item, dict):
                _emit_mapping(item, path_of_item, indent + 2, nested)
            else:
                _emit_sequence(item, path_of_item, indent + 2, nested)
            first = nested[0]
            nested[0] = Line(" " * indent + "- " + first.text[indent + 2 :], first.segments, first.leaf)
            lines.extend(nested)
        else:
            lines.append(Line(_indent(_dump([item]), indent), path_of_item, leaf=True))
