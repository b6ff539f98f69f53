"""Field paths: one type, one printer, one parser.

A path is a tuple of segments. A segment is

* a ``str``: a field name or a map key (``spec``, ``labels``, ``label_1``, ``app.kubernetes.io/name``);
* a ``Key``: an item of a keyed list, addressed by its key, never by its index (``containers[name=primary]``);
* an ``int``: an item of a list that has no key (``tolerations[0]``).

Printed form (contract §4): ``spec.containers[name=primary].env[name=FOO].value``, ``spec.tolerations[0].key``,
``metadata.labels["app.kubernetes.io/name"]``, ``ports[containerPort=53,protocol=UDP]`` (a composite key: every
``+listMapKey`` field the item carries, in the schema's order). A key that repeats in one list (Flyte keeps
duplicate env names) is told apart by its occurrence: the second ``FOO`` is ``env[name=FOO#2]``.

Which lists are keyed, and by which fields, is the Kubernetes schema's (``k8s_schema.FieldSpec.list_keys``, per
parent type and field); see ``item_segments`` for how an item missing a key field is addressed.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import NamedTuple

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\Z")  # \Z: a trailing newline is not a name
_NEEDS_QUOTES = re.compile(r'[#\]="\[\x00-\x1f\x7f]')


class Key(NamedTuple):
    """An item of a keyed list, by the values of its key fields: ``field``/``value`` the first key field and its
    value (``name``, ``primary``), ``occurrence`` from 1, ``more`` the further (field, value) pairs of a composite
    key (``ports``: ``(("protocol", "UDP"),)``)."""

    field: str
    value: str
    occurrence: int = 1
    more: tuple = ()  # tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, pairs, occurrence: int = 1) -> Key:
        """A key from its (field, value) pairs, in the list's key order."""
        (field, value), *more = pairs
        return cls(field, value, occurrence, tuple(more))

    @property
    def pairs(self) -> tuple:
        """Every (field, value) pair of the key, in key order."""
        return ((self.field, self.value), *self.more)

    def matches(self, item: object, get=None) -> bool:
        """Does ``item`` (a dict; ``get(item, field)`` reads another kind) carry every field of the key with the
        key's value (compared as printed)? Fields the key does not name are not looked at."""
        get = get or _dict_key
        for field, value in self.pairs:
            found = get(item, field)
            if found is None or str(found) != value:
                return False
        return True

    def __str__(self) -> str:
        return _key_text(self)


@lru_cache(maxsize=4096)
def _key_text(key: Key) -> str:
    """A key as it follows a path: ``[name=primary]`` (the same keys print again and again, hence the cache)."""
    body = ",".join(f"{field}={_key_value(value)}" for field, value in key.pairs)
    return f"[{body}]" if key.occurrence == 1 else f"[{body}#{key.occurrence}]"


def _key_value(value: str) -> str:
    # a value holding `#`, `]`, `=`, `[`, a quote or a control character (a newline) is printed as a JSON string, so
    # that `FOO#2` (a valid env var name) never reads as the second `FOO`, `a=b` never as a second key field, and
    # every printed path reads back (`parse`)
    return _quote(value) if _NEEDS_QUOTES.search(value) or not value else value


def _quote(text: str) -> str:
    """A JSON string, non-ASCII characters as written (``["café"]``): paths are read by people, and any escaping a
    transport needs is that transport's (the trace's JSON, YAML)."""
    return json.dumps(text, ensure_ascii=False)


Segment = str | Key | int
Path = tuple  # tuple[Segment, ...]


def list_keys(spec) -> tuple[str, ...]:
    """The fields by which paths address the items of a list: the ``+listMapKey`` fields of a ``+listType=map``
    list, from the schema (``k8s_schema.FieldSpec.list_keys`` of the list field, i.e. per parent type and field:
    ``Container.ports`` -> ``containerPort, protocol``); empty (items by index) for atomic and set lists, and for
    a list the schema does not know (``spec`` None). Every list podeval addressed by a key before the schema
    carried list identity is a map list there, by the same first key field (``volumeMounts`` by ``mountPath``,
    which is also its patchMergeKey), so only ``ports`` gained a second field (``protocol``)."""
    return spec.list_keys if spec is not None and spec.kind == "list" else ()


def _dict_key(item: object, key_field: str) -> object:
    return item.get(key_field) if isinstance(item, dict) else None


def item_segments(spec, items: list, key_of=_dict_key) -> list[Segment]:
    """The segment of every item of a list whose field spec (``k8s_schema.field(parent_type, list_field)``) is
    ``spec``: by key where the list has one (``list_keys``), else by index. ``key_of(item, key_field)`` reads an
    item's key: plain dicts by default, ``tree.node_key`` for the engine's Nodes, so that events, owners and errors
    print the same paths.

    An item's key names the key fields it carries, with their values as written (no default is filled in: a port
    without ``protocol`` is ``ports[containerPort=80]``, as the Pod podeval prints shows it, although the API
    server's identity of that port is ``80/TCP``); an item that carries none of them is addressed by index. A key
    selects the items that carry its fields with its values (``Key.matches``), ``#n`` the n-th of them: an item's
    occurrence counts the earlier items its key selects too. Two items that differ in a key field are two keys
    (``ports[containerPort=53,protocol=TCP]``, ``ports[containerPort=53,protocol=UDP]``); ``#2`` marks a true
    duplicate (Flyte keeps duplicate env names), or an item that names fewer key fields than an earlier one with
    the same values (a ``53`` without protocol after ``53/UDP`` is ``ports[containerPort=53#2]``)."""
    key_fields = list_keys(spec)
    if not key_fields:
        return list(range(len(items)))
    if len(key_fields) == 1:
        return _single_key_segments(key_fields[0], items, key_of)
    segments: list[Segment] = []
    earlier: dict[tuple, list] = {}  # (field, value) -> the items before that carry it
    for index, item in enumerate(items):
        pairs = []
        for key_field in key_fields:
            value = key_of(item, key_field)
            if value is not None and value != "":
                pairs.append((key_field, str(value)))
        if not pairs:
            segments.append(index)
            continue
        key = Key.of(pairs)
        # a key selects only items that carry its first pair, so only those are looked at
        occurrence = 1 + sum(1 for other in earlier.get(pairs[0], ()) if key.matches(other, key_of))
        for pair in pairs:
            earlier.setdefault(pair, []).append(item)
        segments.append(key._replace(occurrence=occurrence) if occurrence > 1 else key)
    return segments


_new_key = tuple.__new__  # a Key from its four fields, without NamedTuple's __new__ (the hot path below)


def _single_key_segments(key_field: str, items: list, key_of, keyed=None, indexed=None) -> list:
    """``item_segments`` for a list keyed by one field (most of them): an item's occurrence is the number of items
    so far with the same value. ``keyed(field, value, occurrence)`` and ``indexed(index)`` make what is listed for
    each item (default: the segments themselves; ``item_suffixes``: their printed text)."""
    segments: list = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        value = key_of(item, key_field)
        if value is None or value == "":
            segments.append(index if indexed is None else indexed(index))
            continue
        text = str(value)
        occurrence = seen.get(text, 0) + 1
        seen[text] = occurrence
        if keyed is None:
            segments.append(_new_key(Key, (key_field, text, occurrence, ())))
        else:
            segments.append(keyed(key_field, text, occurrence))
    return segments


@lru_cache(maxsize=4096)
def _single_key_text(key_field: str, value: str, occurrence: int) -> str:
    return _key_text(_new_key(Key, (key_field, value, occurrence, ())))


@lru_cache(maxsize=256)
def _index_text(index: int) -> str:
    return f"[{index}]"


class ItemSegment(tuple):
    """A list item's segment worked out only when a path holding it is printed: ``(segments, index)``, where
    ``segments()`` returns the list's ``item_segments`` (made on the first call). A checker walks every item of
    every list with its path, and prints the paths of the few that have a problem (``spelling.lazy_item_segments``)."""

    __slots__ = ()

    def resolve(self) -> Segment:
        return self[0]()[self[1]]


def resolved(path: Path) -> Path:
    """``path`` with its ``ItemSegment``s worked out (for code that looks at the segments themselves)."""
    return tuple(segment.resolve() if type(segment) is ItemSegment else segment for segment in path)


def render(path: Path) -> str:
    """The one printer for paths."""
    text = ""
    for segment in path:
        text = extend(text, segment)
    return text


def extend(text: str, segment: Segment) -> str:
    """The printed path one segment further: ``extend(render(p), s) == render(p + (s,))``, so that a walker can
    print as it descends instead of printing every path from its root."""
    if isinstance(segment, str):
        return text + name_suffix(segment) if text else name_suffix(segment).lstrip(".")
    if isinstance(segment, Key):
        return text + str(segment)
    if type(segment) is ItemSegment:
        return extend(text, segment.resolve())
    return f"{text}[{segment}]"


def item_suffixes(spec, items: list, key_of=_dict_key) -> list[str]:
    """What each item's segment (``item_segments``) adds to the printed path of its list: ``[0]``,
    ``[name=primary]``; ``extend(text, segment) == text + suffix`` (a walker that prints every item's path, such as
    the renderer's owners, appends these instead of calling ``extend`` per item)."""
    key_fields = list_keys(spec)
    if len(key_fields) == 1:  # the common case: the texts made directly, no Key made per item
        return _single_key_segments(key_fields[0], items, key_of, _single_key_text, _index_text)
    segments = item_segments(spec, items, key_of)
    return [_index_text(segment) if type(segment) is int else _key_text(segment) for segment in segments]


@lru_cache(maxsize=4096)
def name_suffix(name: str) -> str:
    """A field name or map key as it follows a path: ``.name``, or ``["app.kubernetes.io/name"]`` (field names and
    most keys repeat from one path to the next, hence the cache): ``extend(text, name) == text + name_suffix(name)``
    for a ``text`` that is not empty."""
    return f".{name}" if _IDENTIFIER.match(name) else f"[{_quote(name)}]"


_TOKEN = re.compile(
    r"""\.?(?P<field>[A-Za-z_][A-Za-z0-9_-]*)"""
    r"""|\[(?P<index>[0-9]+)\]"""
    r"""|\[(?P<quoted>"(?:[^"\\]|\\.)*")\]"""
    r"""|\[(?P<key>[A-Za-z_][A-Za-z0-9_]*=(?:"(?:[^"\\]|\\.)*"|[^\]"])*)\]"""
)
# One `field=value` of a key, up to the next `,field=`, the occurrence `#n` or the end. An unquoted value is read
# leniently (printed values never hold `=`, `#`, `[`, `]` or quotes; hand-written ones may hold all but `]` and
# quotes).
_PAIR = re.compile(
    r"""(?P<field>[A-Za-z_][A-Za-z0-9_]*)=(?:(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<value>[^"]*?))"""
    r"""(?=,[A-Za-z_][A-Za-z0-9_]*=|\#[0-9]+$|$)"""
)


def _parse_key(body: str) -> Key | None:
    """``containerPort=53,protocol=UDP#2`` -> the Key; None when it cannot be read."""
    pairs = []
    position = 0
    while True:
        match = _PAIR.match(body, position)
        if not match:
            return None
        quoted = match.group("quoted")
        pairs.append((match.group("field"), json.loads(quoted) if quoted is not None else match.group("value")))
        position = match.end()
        if position == len(body):
            return Key.of(pairs)
        if body[position] == "#":
            return Key.of(pairs, int(body[position + 1 :]))
        position += 1  # the comma before the next field


def parse(text: str) -> Path:
    """Parse the printed form back into segments; raises ValueError with the column of the problem.

    A key names one or more fields: ``containers[name=primary]``, ``ports[containerPort=53,protocol=UDP]``. The
    form printed before ports were keyed by their protocol as well, ``ports[containerPort=53]``, is read as it is
    written: the first item whose ``containerPort`` is 53 (``Key.matches``), whatever its protocol."""
    segments: list[Segment] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        key = _parse_key(match.group("key")) if match and match.group("key") is not None else None
        if not match or match.end() == position or (match.group("key") is not None and key is None):
            raise ValueError(f"cannot read the path {text!r} at column {position + 1}")
        if match.group("field") is not None:
            segments.append(match.group("field"))
        elif match.group("index") is not None:
            segments.append(int(match.group("index")))
        elif match.group("quoted") is not None:
            segments.append(json.loads(match.group("quoted")))
        else:
            segments.append(key)
        position = match.end()
    return tuple(segments)


def is_prefix(prefix: Path, path: Path) -> bool:
    return len(prefix) <= len(path) and path[: len(prefix)] == prefix


def lookup(value: object, path: Path) -> tuple[bool, object]:
    """The part of a plain value (dicts and lists) that ``path`` addresses: ``(found, value)``. A ``Key`` segment
    picks the n-th item whose key fields print as the key's values (``Key.matches``); an int, the item at that
    index."""
    for segment in path:
        if isinstance(segment, str) and isinstance(value, dict) and segment in value:
            value = value[segment]
        elif isinstance(segment, Key) and isinstance(value, list):
            matches = [v for v in value if segment.matches(v)]
            if len(matches) < segment.occurrence:
                return False, None
            value = matches[segment.occurrence - 1]
        elif (
            isinstance(segment, int)
            and not isinstance(segment, bool)
            and isinstance(value, list)
            and 0 <= segment < len(value)
        ):
            value = value[segment]
        else:
            return False, None
    return True, value


# ----------------------------------------------------------------------------------------------------------------
# Paths as people type them (``podeval explain``): ``containers[primary]`` for ``containers[name=primary]``.

_BARE = re.compile(r"\[([^\]\[\"=]+)\]")


def parse_typed(text: str) -> Path:
    """``parse``, and also a bare value in brackets that is not an index: ``containers[primary]``,
    ``labels[app.kubernetes.io/name]``. A bare value is read as a quoted map key (``["primary"]``); where it meets
    a keyed list, the caller resolves it against the object (the item whose key has that value,
    ``engine.eval.user_paths``). Raises ValueError as ``parse`` does."""
    try:
        return parse(text)
    except ValueError:
        quoted = _BARE.sub(lambda m: m.group(0) if m.group(1).isdigit() else f"[{_quote(m.group(1))}]", text)
        if quoted == text:
            raise
        return parse(quoted)
