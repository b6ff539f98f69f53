"""Field paths as a person types them, resolved against the object podeval built (``podeval explain``).

The trace addresses items of keyed lists by key (contract §4: ``spec.containers[name=primary]``). People type
``spec.containers[0]`` or ``spec.containers[primary]``; ``resolve`` turns either into the key of the item it
addresses in the output and says so in a note (``containers[0] is containers[name=primary]``), so that the
explain that follows is the story of that item. ``nearest`` lists the existing paths closest to one that addresses
nothing. Which lists are keyed, and by what, is the Kubernetes schema's (``engine.k8s.paths.item_segments``).
"""

from __future__ import annotations

import difflib
from typing import Any

from ..k8s import k8s_schema
from ..k8s import paths as _paths


def resolve(obj: Any, text: str) -> tuple[tuple, list[str]]:
    """The path ``text`` addresses in ``obj`` (the Pod), with keyed-list items by key, and a note for each segment
    read otherwise than written. Raises ValueError for a path that does not parse."""
    typed = _paths.parse_typed(text)
    resolved: list = []
    notes: list[str] = []
    value: Any = obj
    for segment in typed:
        if isinstance(value, list) and not isinstance(segment, _paths.Key):
            segment, value, note = _item(resolved, value, segment)
            if note:
                notes.append(note)
        else:
            found, value = _paths.lookup(value, (segment,))
            if not found:
                value = None
        resolved.append(segment)
    return tuple(resolved), notes


def _item(parent: list, items: list, segment: Any) -> tuple[Any, Any, str]:
    """The segment of the item of ``items`` (the list at ``parent``) that an index or a bare value addresses, the
    item, and the note saying how it was read."""
    spec = k8s_schema.field_at(tuple(parent))
    segments = _paths.item_segments(spec, items)
    name = _paths.render((parent[-1],)) if parent and isinstance(parent[-1], str) else ""
    if isinstance(segment, int):
        if 0 <= segment < len(items) and segments[segment] != segment:
            return segments[segment], items[segment], f"{name}[{segment}] is {name}{segments[segment]}"
        return segment, items[segment] if 0 <= segment < len(items) else None, ""
    for index, candidate in enumerate(segments):  # a bare value: the item whose key has that value
        if isinstance(candidate, _paths.Key) and any(value == segment for _, value in candidate.pairs):
            return candidate, items[index], f"{name}[{segment}] is read as {name}{candidate}"
    if segment.isdigit():
        return _item(parent, items, int(segment))
    keys = _paths.list_keys(spec)
    if keys:  # no such item: the key it would have, so that the answer says it is absent
        return _paths.Key(keys[0], segment), None, f"{name}[{segment}] is read as {name}[{keys[0]}={segment}]"
    return segment, None, ""


def addresses_something(obj: Any, path: tuple, candidates: list) -> bool:
    """Does ``path`` address a field of ``obj``: present, offered a value by some event (``candidates`` of its
    explain: a value the output omits), or a field its type declares under an object that is present
    (``spec.hostNetwork`` when nobody set it)?"""
    if candidates or _paths.lookup(obj, path)[0]:
        return True
    if not path or not _paths.lookup(obj, path[:-1])[0]:
        return False
    return k8s_schema.field_at(path) is not None


def every_path(obj: Any) -> list[str]:
    """Every printed path of ``obj``, objects and leaves, keyed-list items by key."""
    found: list[str] = []

    def walk(value: Any, path: tuple, text: str) -> None:
        if text:
            found.append(text)
        if isinstance(value, dict):
            for key, child in value.items():
                walk(child, (*path, key), _paths.extend(text, key))
        elif isinstance(value, list):
            for segment, child in zip(_paths.item_segments(k8s_schema.field_at(path), value), value):
                walk(child, (*path, segment), _paths.extend(text, segment))

    walk(obj, (), "")
    return found


def nearest(obj: Any, text: str, count: int = 5) -> list[str]:
    """The existing paths of ``obj`` closest to ``text`` (difflib's ratio), best first."""
    return difflib.get_close_matches(text, every_path(obj), n=count, cutoff=0.5)
