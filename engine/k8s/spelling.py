"""Kubernetes objects as users write them: camelCase or snake_case field names (the python client's spelling),
``kubernetes.client`` model objects, list items keyed by either spelling."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from . import k8s_schema
from . import paths as _paths

_SNAKE = re.compile(r"_([a-z0-9])")
_CAMEL = re.compile(r"([A-Z])")


def camel(name: str) -> str:
    """``host_network`` -> ``hostNetwork`` (the kubernetes client's to_dict() and Python spellings)."""
    if "_" not in name:  # most names: nothing to change, and no regular expression run
        return name
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


@lru_cache(maxsize=1024)  # field names: a small vocabulary, asked for again in every evaluation
def snake(name: str) -> str:
    if name.islower():  # no capital letter: nothing to change
        return name
    return _CAMEL.sub(lambda m: "_" + m.group(1).lower(), name)


def raw_key(raw: dict, name: str) -> str:
    return name if name in raw or snake(name) not in raw else snake(name)


def item_segments(spec: k8s_schema.FieldSpec | None, items: list) -> list:
    """The path segment of every item of the list field ``spec``: by key where the list is keyed
    (``containers[name=primary]``), else by index. Items may still carry snake_case keys (``mount_path``); a key
    value that is neither a string nor a number is not used."""
    return _paths.item_segments(spec, items, _input_key)


def lazy_item_segments(spec: k8s_schema.FieldSpec | None, items: list) -> Any:
    """``item_segments`` worked out only if a path holding one of them is printed (``paths.ItemSegment``): for a
    checker that builds every item's path and prints few. ``items`` must not change afterwards."""
    if not _paths.list_keys(spec):
        return range(len(items))  # by index: nothing to work out
    found: list = []

    def segments() -> list:
        if not found:
            found.append(item_segments(spec, items))
        return found[0]

    new = tuple.__new__
    return [new(_paths.ItemSegment, (segments, index)) for index in range(len(items))]


def _input_key(item: object, key_field: str) -> object:
    if not isinstance(item, dict):
        return None
    value = item.get(key_field)
    if value is None and key_field not in item:
        value = item.get(snake(key_field))
    kind = type(value)
    if kind is str or kind is int:
        return value
    return value if isinstance(value, (str, int)) and not isinstance(value, bool) else None


_PLAIN = frozenset({dict, list, str, int, float, bool, type(None)})


def from_model(value: Any) -> Any:
    """A kubernetes.client model object as Kubernetes JSON (camelCase); anything else unchanged."""
    if type(value) in _PLAIN:
        return value
    if type(value).__module__.startswith("kubernetes.") and hasattr(value, "to_dict"):
        from kubernetes.client import ApiClient  # only when the caller passes model objects

        return ApiClient().sanitize_for_serialization(value)
    return value
