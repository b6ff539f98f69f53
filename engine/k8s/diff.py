"""What changes between two Pods: field-level diffs.

``diff_values`` compares two documents field by field, in the contract's path syntax: items of keyed lists are
matched by key (``spec.containers[name=primary]``), other list items by index, and a subtree that exists on one
side only is one change (an added container is one ``+``, not one line per field). ``podeval test`` uses it for
goldens, ``podeval diff`` (engine.tools.corpus) for what-ifs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import k8s_schema
from . import paths as _paths


class _Missing:
    """The value of a field that one side does not have."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Change:
    """One field that differs: ``old``/``new`` are MISSING on the side that lacks it."""

    path: tuple
    old: Any
    new: Any

    @property
    def kind(self) -> str:
        return "added" if self.old is MISSING else "removed" if self.new is MISSING else "changed"

    @property
    def path_text(self) -> str:
        return _paths.render(self.path)


def same(a: Any, b: Any) -> bool:
    """Equal, types included: ``true`` is not ``1``, ``"1"`` is not ``1`` (Python's ``==`` says ``True == 1``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def diff_values(old: Any, new: Any, path: tuple = ()) -> Iterator[Change]:
    """The changes from ``old`` to ``new``, in document order (old's, then what only new has)."""
    if same(old, new):
        return
    if isinstance(old, dict) and isinstance(new, dict) and old and new:
        for key, value in old.items():
            if key in new:
                yield from diff_values(value, new[key], path + (key,))
            else:
                yield Change(path + (key,), value, MISSING)
        for key, value in new.items():
            if key not in old:
                yield Change(path + (key,), MISSING, value)
        return
    if isinstance(old, list) and isinstance(new, list) and old and new:
        spec = k8s_schema.field_at(path)  # the documents are Pods
        old_segments = _paths.item_segments(spec, old)
        new_segments = _paths.item_segments(spec, new)
        keyed = all(isinstance(s, _paths.Key) for s in old_segments + new_segments)
        if not keyed:  # by index
            old_segments, new_segments = list(range(len(old))), list(range(len(new)))
        new_items = dict(zip(new_segments, new))
        old_items = dict(zip(old_segments, old))
        for segment, value in zip(old_segments, old):
            if segment in new_items:
                yield from diff_values(value, new_items[segment], path + (segment,))
            else:
                yield Change(path + (segment,), value, MISSING)
        for segment, value in zip(new_segments, new):
            if segment not in old_items:
                yield Change(path + (segment,), MISSING, value)
        if keyed and [s for s in old_segments if s in new_items] != [s for s in new_segments if s in old_items]:
            yield Change(path, old, new)  # the same items in another order: the order is part of the Pod
        return
    yield Change(path, old, new)


def provenance(result: Any, path: tuple) -> dict:
    """The owner (source) and rule of a field of an evaluated Pod, from its trace."""
    owner, rule = result.trace.owner_and_rule(path)
    return {"owner": owner, "rule": rule}


def format_value(value: Any, limit: int = 120) -> str:
    if value is MISSING:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."
