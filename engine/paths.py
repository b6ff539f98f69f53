"""Field paths: one type, one printer, one parser.

A path is a tuple of segments. A segment is

* a ``str``: a field name or a map key (``spec``, ``labels``, ``label_1``, ``app.kubernetes.io/name``);
* a ``Key``: an item of a keyed list, addressed by its key, never by its index (``containers[name=primary]``);
* an ``int``: an item of a list that has no key (``tolerations[0]``).

Printed form (contract §4): ``spec.containers[name=primary].env[name=FOO].value``, ``spec.tolerations[0].key``,
``metadata.labels["app.kubernetes.io/name"]``. A key that repeats in one list (Flyte keeps duplicate env names)
is told apart by its occurrence: the second ``FOO`` is ``env[name=FOO#2]``.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_NEEDS_QUOTES = re.compile(r'[#\]="\[]')


class Key(NamedTuple):
    """An item of a keyed list: ``field`` is the key field (``name``), ``value`` its value, ``occurrence`` from 1."""

    field: str
    value: str
    occurrence: int = 1

    def __str__(self) -> str:
        # a value holding `#`, `]`, `=` or a quote is printed as a JSON string, so that `FOO#2` (a valid env var
        # name) never reads as the second `FOO`
        value = json.dumps(self.value) if _NEEDS_QUOTES.search(self.value) or not self.value else self.value
        return f"[{self.field}={value}]" if self.occurrence == 1 else f"[{self.field}={value}#{self.occurrence}]"


Segment = str | Key | int
Path = tuple  # tuple[Segment, ...]

# Lists whose items Kubernetes identifies by a key (the patchMergeKey / x-kubernetes-list-map-keys of k8s.io/api):
# the last field name of the list -> the key field. Lists not named here are addressed by index.
LIST_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "resourceClaims": "name",
    "schedulingGates": "name",
}


def list_key(list_field: str) -> str | None:
    return LIST_KEYS.get(list_field)


def _dict_key(item: object, key_field: str) -> object:
    return item.get(key_field) if isinstance(item, dict) else None


def item_segments(list_field: str, items: list, key_of=_dict_key) -> list[Segment]:
    """The segment of every item of a list: by key where the list has one and the item carries it (a repeated
    key by its occurrence), else by index. ``key_of(item, key_field)`` reads an item's key: plain dicts by
    default, ``tree.node_key`` for the engine's Nodes, so that events, owners and errors print the same paths."""
    key_field = LIST_KEYS.get(list_field)
    if key_field is None:
        return list(range(len(items)))
    segments: list[Segment] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        value = key_of(item, key_field)
        if value is None or value == "":
            segments.append(index)
            continue
        text = str(value)
        seen[text] = seen.get(text, 0) + 1
        segments.append(Key(key_field, text, seen[text]))
    return segments


def render(path: Path) -> str:
    """The one printer for paths."""
    text = ""
    for segment in path:
        text = extend(text, segment)
    return text


def extend(text: str, segment: Segment) -> str:
    """The printed path one segment further: ``extend(render(p), s) == render(p + (s,))``, so that a walker can
    print as it descends instead of printing every path from its root."""
    if isinstance(segment, Key):
        return text + str(segment)
    if isinstance(segment, int):
        return f"{text}[{segment}]"
    if _IDENTIFIER.match(segment):
        return f"{text}.{segment}" if text else segment
    return f"{text}[{json.dumps(segment)}]"


_TOKEN = re.compile(
    r"""\.?(?P<field>[A-Za-z_][A-Za-z0-9_-]*)"""
    r"""|\[(?P<index>[0-9]+)\]"""
    r"""|\[(?P<quoted>"(?:[^"\\]|\\.)*")\]"""
    r"""|\[(?P<kfield>[A-Za-z_][A-Za-z0-9_]*)=(?P<kquoted>"(?:[^"\\]|\\.)*")(?:\#(?P<kcount>[0-9]+))?\]"""
    r"""|\[(?P<kfield2>[A-Za-z_][A-Za-z0-9_]*)=(?P<kvalue>[^\]]*)\]"""
)


def parse(text: str) -> Path:
    """Parse the printed form back into segments; raises ValueError with the column of the problem."""
    segments: list[Segment] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot read the path {text!r} at column {position + 1}")
        if match.group("field") is not None:
            segments.append(match.group("field"))
        elif match.group("index") is not None:
            segments.append(int(match.group("index")))
        elif match.group("quoted") is not None:
            segments.append(json.loads(match.group("quoted")))
        elif match.group("kquoted") is not None:
            count = match.group("kcount")
            segments.append(Key(match.group("kfield"), json.loads(match.group("kquoted")), int(count) if count else 1))
        else:
            value = match.group("kvalue")
            occurrence = 1
            if "#" in value:
                value, _, count = value.rpartition("#")
                occurrence = int(count) if count.isdigit() else 1
            segments.append(Key(match.group("kfield2"), value, occurrence))
        position = match.end()
    return tuple(segments)


def is_prefix(prefix: Path, path: Path) -> bool:
    return len(prefix) <= len(path) and path[: len(prefix)] == prefix


def lookup(value: object, path: Path) -> tuple[bool, object]:
    """The part of a plain value (dicts and lists) that ``path`` addresses: ``(found, value)``. A ``Key`` segment
    picks the n-th item whose key field prints as the key's value; an int, the item at that index."""
    for segment in path:
        if isinstance(segment, str) and isinstance(value, dict) and segment in value:
            value = value[segment]
        elif isinstance(segment, Key) and isinstance(value, list):
            matches = [v for v in value if isinstance(v, dict) and str(v.get(segment.field)) == segment.value]
            if len(matches) < segment.occurrence:
                return False, None
            value = matches[segment.occurrence - 1]
        elif isinstance(segment, int) and not isinstance(segment, bool) and isinstance(value, list) \
                and 0 <= segment < len(value):
            value = value[segment]
        else:
            return False, None
    return True, value
