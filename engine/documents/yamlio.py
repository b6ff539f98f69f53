"""Reading and writing podeval's YAML/JSON input, safely and with positions.

``load_document`` / ``load_documents`` turn user text (scenarios, PodTemplates, FlytePropeller
configuration, rule packs; JSON is YAML) into plain Python values -- dict, list, str, int, float,
bool, None -- and keep enough to answer ``Document.locate(path)`` with a 1-based ``(line, column)``.
Every problem becomes an :class:`~engine.errors.InputError` with a stable ``code``, the file, line,
column, the path inside the document and a hint; never a traceback.

How it works. pyyaml's parser (libyaml's ``CSafeLoader`` when available) produces the *event*
stream; this module composes the values from the events itself, with an explicit stack and no
recursion. That is what lets it

* refuse nesting deeper than ``limits.max_depth`` at the first event past the limit (pyyaml's own
  composer recurses and dies with ``RecursionError``, or worse, inside C); libyaml's scanner, which
  reads ahead, may stop first at its own limit of 1000 levels: that is reported as ``too_deep`` too;
* count the nodes a document would have once every alias is expanded, *without* expanding it
  (each anchor remembers the size of its subtree, an alias adds that size), so the "billion laughs"
  bomb is refused after a few hundred events and a few kilobytes;
* see duplicate keys, non-string keys and tags at their events, with their marks;
* resolve plain scalars with the YAML 1.2 core schema (``on``/``yes``/``no``/``2024-01-01``/
  ``1_000`` stay strings; ``true``/``false``/``null``/``~``/numbers are typed), plus two YAML 1.1
  integer forms that Go's yaml.v2/v3 -- hence Kubernetes and FlytePropeller -- also read:
  leading-zero octal (``defaultMode: 0644`` is 420) and ``0b101``.

It is also several times faster than ``yaml.load(..., CSafeLoader)``, which builds a node graph and
then constructs from it. Locations are not kept during the normal load: ``locate`` re-parses the
text once, on first use, and caches the location tree (errors are rare; loads are not).

Semantics worth knowing:

* aliases share the anchored Python object (as pyyaml does); do not mutate loaded values in place
  if the input may use anchors;
* merge keys (``<<: *defaults``, ``<<: [*a, *b]``) are supported as pyyaml does: explicit keys win,
  earlier merged mappings win over later ones;
* an anchor may be redefined (the YAML spec allows it; an alias refers to the latest definition);
* limits are per stream: a multi-document file shares one node, alias and byte budget.

Error codes (all :class:`InputError`, exit 2; ``line``/``column`` 1-based; ``path`` as ``format_path``):

=================  ===========================================================================
``yaml_syntax``    pyyaml's problem at its mark; also an undefined alias, a control character,
                   a bad ``<<`` value, and more than one document for ``load_document``
``duplicate_key``  a key repeated in a mapping: the second occurrence, path ends with the key
``not_utf8``       undecodable bytes (message gives the byte offset), UTF-16/32, lone surrogates
``binary_input``   NUL bytes, or mostly control characters
``too_large``      more than ``limits.max_bytes`` (no line/column), or an integer literal longer
                   than 1000 characters
``too_deep``       nesting deeper than ``limits.max_depth`` (aliases expanded)
``too_many_nodes`` more than ``limits.max_nodes`` nodes, aliases expanded (the alias bomb)
``alias_limit``    more than ``limits.max_aliases`` alias uses
``non_string_key`` a key that is a number, boolean, null, mapping or sequence
``yaml_tag``       a tag other than the standard str/int/float/bool/null/map/seq, or a value
                   that does not fit its standard tag (``!!int twelve``)
``recursive_alias`` an alias inside the node it refers to (``&a [*a]``)
=================  ===========================================================================

``dump_yaml`` writes values back out: block style, keys in the order given, unicode as is, no
anchors/aliases, strings that would read back as another type quoted (for YAML 1.1 readers such as
Kubernetes' and for this module's 1.2 core resolver alike), no folding of long strings.
"""

from __future__ import annotations

import gc
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

from ..errors import InputError
from ..k8s import paths as _paths
from .yaml_emit import make_emitter

__all__ = [
    "DEFAULT_LIMITS",
    "Document",
    "Limits",
    "dump_yaml",
    "format_path",
    "load_document",
    "load_documents",
]

# The parser used for events. Tests swap it for the pure-Python one to cover hosts without libyaml.
_LOADER = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


@dataclass(frozen=True)
class Limits:
    """Bounds on what one input stream may cost."""

    max_bytes: int = 5 * 1024 * 1024  # size of the input, UTF-8 encoded
    max_depth: int = 64  # nested mappings/sequences, aliases expanded
    max_nodes: int = 200_000  # nodes once every alias is expanded
    max_aliases: int = 1_000  # alias uses (``*name``) in the stream


DEFAULT_LIMITS = Limits()

# --------------------------------------------------------------------------------------------
# paths


def format_path(path: Iterable[Any]) -> str | None:
    """``("spec", "containers", 0, "app.io/x")`` -> ``spec.containers[0]["app.io/x"]``; ``()`` -> None. Printed by
    the one path printer, ``paths.render`` (a key that is not a string, which the loader refuses, as its text)."""
    segments = tuple(
        part if isinstance(part, (str, int, _paths.Key)) and not isinstance(part, bool) else str(part) for part in path
    )
    return _paths.render(segments) or None


# --------------------------------------------------------------------------------------------
# errors

_SYNTAX_HINT = "check the indentation, quoting and brackets near this position"


def _error(code, message, filename, line=None, column=None, path=(), hint=None) -> InputError:
    return InputError(
        code,
        message,
        path=format_path(path),
        file=filename,
        line=line,
        column=column,
        hint=hint,
    )


def _mark_error(code, message, filename, mark, path=(), hint=None) -> InputError:
    return _error(code, message, filename, mark.line + 1, mark.column + 1, path, hint)


def _char_at(text: str, line0: int, column0: int) -> str:
    """The character at a 0-based line/column (for error hints), or ""."""
    start = 0
    for _ in range(line0):
        start = text.find("\n", start) + 1
        if start == 0:
            return ""
    index = start + column0
    return text[index] if index < len(text) and text.find("\n", start, index) < 0 else ""


def _text_position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


# --------------------------------------------------------------------------------------------
# input checks before parsing

# Characters YAML does not allow in a stream (the same set as pyyaml's Reader and libyaml).
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL_BYTES = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BINARY_SAMPLE = 4096  # bytes/characters looked at to decide "mostly non-printable"
_BINARY_RATIO = 0.05  # text has no control characters at all; random bytes have ~13%
_BINARY_MIN = 4  # fewer bad characters than this is a stray character, not a binary file


def _looks_binary_bytes(data: bytes, offset: int) -> bool:
    """Undecodable input: binary if control bytes abound around ``offset`` (Latin-1 text has none)."""
    sample = data[max(0, offset - _BINARY_SAMPLE // 2) : offset + _BINARY_SAMPLE // 2]
    bad = len(_CONTROL_BYTES.findall(sample))
    return bad >= _BINARY_MIN and bad > len(sample) * _BINARY_RATIO


def _decode(data: bytes | str, filename: str, limits: Limits) -> str:
    """Size, encoding and binary checks; returns the text without a leading BOM."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] == b"\x00\x00\xfe\xff":
            raise _error(
                "not_utf8",
                "input is UTF-16 or UTF-32 (byte order mark at byte offset 0), not UTF-8",
                filename,
                1,
                1,
                hint="save the file as UTF-8",
            )
        if len(data) > limits.max_bytes:
            raise _error(
                "too_large",
                f"input is {len(data)} bytes, more than the limit of {limits.max_bytes}",
                filename,
                hint="split the input or raise the size limit",
            )
        nul = data.find(b"\0")
        if nul >= 0:
            raise _binary(filename, data, nul)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if _looks_binary_bytes(data, exc.start):
                raise _binary(filename, data, exc.start) from None
            prefix = data[: exc.start].decode("utf-8")
            line, col = _text_position(prefix, len(prefix))
            raise _error(
                "not_utf8",
                f"input is not valid UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start}",
                filename,
                line,
                col,
                hint="save the file as UTF-8",
            ) from None
    elif isinstance(data, str):
        text = data
        # A str holds at most 4 UTF-8 bytes a character; only encode when that can matter.
        if len(text) > limits.max_bytes or (
            len(text) * 4 > limits.max_bytes and len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes
        ):
            raise _error(
                "too_large",
                f"input is more than the limit of {limits.max_bytes} bytes",
                filename,
                hint="split the input or raise the size limit",
            )
        nul = text.find("\0")
        if nul >= 0:
            raise _binary(filename, text, nul)
    else:
        raise TypeError(f"load_document() takes str or bytes, not {type(data).__name__}")

    if text[:1] == "\ufeff":
        text = text[1:]
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        pos = bad.start()
        window = text[max(0, pos - _BINARY_SAMPLE // 2) : pos + _BINARY_SAMPLE // 2]
        bad_count = len(_NON_PRINTABLE.findall(window))
        if bad_count >= _BINARY_MIN and bad_count > len(window) * _BINARY_RATIO:
            raise _binary(filename, text, pos)
        line, col = _text_position(text, pos)
        char = ord(text[pos])
        if 0xD800 <= char <= 0xDFFF:
            raise _error(
                "not_utf8",
                f"input holds a lone surrogate U+{char:04X}, which is not valid UTF-8",
                filename,
                line,
                col,
                hint="save the file as UTF-8",
            )
        raise _error(
            "yaml_syntax",
            f"control character U+{char:04X} is not allowed in YAML",
            filename,
            line,
            col,
            hint='remove it, or write it as an escape inside a double-quoted string ("\\x07")',
        )
    return text


def _binary(filename: str, data: bytes | str, offset: int) -> InputError:
    if isinstance(data, bytes):
        prefix = data[:offset].decode("utf-8", errors="replace")
        line, col = _text_position(prefix, len(prefix))
        what = f"byte offset {offset}"
    else:
        line, col = _text_position(data, offset)
        what = f"character offset {offset}"
    return _error(
        "binary_input",
        f"input looks binary, not YAML or JSON text (first bad byte at {what})",
        filename,
        line,
        col,
        hint="pass a YAML or JSON text file",
    )


# --------------------------------------------------------------------------------------------
# scalars: the YAML 1.2 core schema

_TAG = "tag:yaml.org,2002:"
_STR_TAG, _INT_TAG, _FLOAT_TAG = _TAG + "str", _TAG + "int", _TAG + "float"
_BOOL_TAG, _NULL_TAG, _MAP_TAG, _SEQ_TAG = _TAG + "bool", _TAG + "null", _TAG + "map", _TAG + "seq"

_MISSING = object()
_NULLS = {"": None, "~": None, "null": None, "Null": None, "NULL": None}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SPECIAL_FLOATS = {
    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
    "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
    "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
}  # fmt: skip
_CONSTANTS = {**_NULLS, **_BOOLS, **_SPECIAL_FLOATS}
_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
# 0o17 / 0x1F (YAML 1.2), 0b101 and the leading-zero octal 0644 (YAML 1.1, and what Go's yaml.v2
# and yaml.v3 -- hence Kubernetes -- read: ``defaultMode: 0644`` is 420).
_PREFIXED_INT_RE = re.compile(r"([-+]?)(?:0o([0-7]+)|0x([0-9a-fA-F]+)|0b([01]+)|0([0-7]+))\Z")
_LEGACY_OCTAL_RE = re.compile(r"[-+]?0[0-7]+\Z")
_INT_BASES = (8, 16, 2, 8)  # by group of _PREFIXED_INT_RE
# Longer integer literals are refused: Python cannot even print ints past 4300 decimal digits.
_MAX_INT_CHARS = 1000
_FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_NUMBER_START = frozenset("0123456789+-.")
_CONSTANT_START = frozenset("~nNtTfF")
_SPECIAL_START = _NUMBER_START | _CONSTANT_START  # a plain scalar starting otherwise is a string


class _TooManyDigits(ValueError):
    pass


def _resolve_plain(value: str) -> Any:
    """A plain (unquoted, untagged) scalar, read with the YAML 1.2 core schema."""
    if not value:
        return None
    first = value[0]
    if first in _NUMBER_START:
        if _INT_RE.match(value) and not _LEGACY_OCTAL_RE.match(value):
            if len(value) > _MAX_INT_CHARS:
                raise _TooManyDigits(value)
            return int(value)
        match = _PREFIXED_INT_RE.match(value)
        if match:
            if len(value) > _MAX_INT_CHARS:
                raise _TooManyDigits(value)
            sign, *groups = match.groups()
            for digits, base in zip(groups, _INT_BASES):
                if digits is not None:
                    number = int(digits, base)
                    return -number if sign == "-" else number
        if _FLOAT_RE.match(value):
            return float(value)
        return _SPECIAL_FLOATS.get(value, value)
    if first in _CONSTANT_START:
        result = _CONSTANTS.get(value, _MISSING)
        if result is not _MISSING:
            return result
    return value


def _resolve_tagged(value: str, tag: str) -> Any:
    """A scalar with an explicit standard tag; raises ValueError when it does not fit the tag."""
    if tag == _STR_TAG:
        return value
    if tag == _INT_TAG:
        result = _resolve_plain(value.strip())
        if type(result) is not int:
            raise ValueError(value)
        return result
    if tag == _FLOAT_TAG:
        result = _resolve_plain(value.strip())
        if type(result) not in (int, float):
            raise ValueError(value)
        return float(result)
    if tag == _BOOL_TAG:
        result = _BOOLS.get(value.strip(), _MISSING)
        if result is _MISSING:
            raise ValueError
        return result
    if tag == _NULL_TAG:
        if value.strip() not in _NULLS:
            raise ValueError
        return None
    raise KeyError(tag)


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


# --------------------------------------------------------------------------------------------
# composing values from events


class _Frame:
    """An open mapping or sequence on the composer's stack."""

    __slots__ = ("anchor", "height", "is_map", "key", "kmark", "locs", "mark", "merge_seen", "merges", "start", "value")

    def __init__(self, is_map, value, locs, anchor, mark, start):
        self.is_map = is_map
        self.value = value
        self.locs = locs
        self.key = _NO_KEY
        self.kmark = None
        self.start = start  # the node count before this node: its size is the count at its end minus this
        self.height = 0  # height of the tallest child collection
        self.anchor = anchor
        self.mark = mark
        self.merges = None
        self.merge_seen = False


_NO_KEY = object()  # a mapping frame waiting for its next key
_MERGE = object()  # a mapping frame whose pending key is the merge key ``<<``
_PENDING = object()  # an anchor whose node is still open (an alias to it would be recursive)


def _stack_path(stack: list[_Frame]) -> tuple:
    """The path of the node being composed (for errors)."""
    path: list[Any] = []
    for frame in stack:
        if frame.is_map:
            if frame.key is _NO_KEY:
                break
            path.append("<<" if frame.key is _MERGE else frame.key)
        else:
            path.append(len(frame.value))
    return tuple(path)


class _Counter:
    __slots__ = ("aliases", "nodes")

    def __init__(self):
        self.nodes = 0
        self.aliases = 0


def _compose_stream(text: str, filename: str, limits: Limits, want_locs: bool, loader_cls=None):
    """Parse ``text``; return ``[(value, loc), ...]``, one per document (loc None unless want_locs).

    A loc is ``(line0, col0, children)``: children is None for a scalar, a list of locs for a
    sequence, a dict ``key -> (key_line0, key_col0, value_loc)`` for a mapping.
    """
    loader = (loader_cls or _LOADER)(text)
    counter = _Counter()
    stack: list[_Frame] = []
    # Composing allocates containers by the hundred thousand and frees none: the cyclic GC would
    # rescan them over and over (it nearly doubles the time of the location pass). Off meanwhile.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        get_event = loader.get_event
        event = get_event()
        if type(event) is not StreamStartEvent:  # pragma: no cover - pyyaml always starts so
            raise _mark_error("yaml_syntax", "expected the start of a YAML stream", filename, event.start_mark)
        documents = []
        while True:
            event = get_event()
            if type(event) is StreamEndEvent:
                return documents
            # DocumentStartEvent; anything else is a parser bug and fails below as a syntax error
            stack = []
            documents.append(_compose_document(get_event, filename, limits, want_locs, counter, stack))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or "invalid YAML"
        if exc.context:
            message = f"{message} ({exc.context})"
        hint = _SYNTAX_HINT
        if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
            hint = "YAML does not allow tabs for indentation; indent with spaces"
        path = _stack_path(stack)
        if "maximum nesting depth" in message and mark is not None:
            # libyaml (0.2.5+) stops at 1000 levels while scanning ahead, before the composer sees
            # the level past our (lower) limit.
            raise _mark_error(
                "too_deep",
                f"nesting is deeper than the limit of {limits.max_depth} levels (the parser gave up here)",
                filename,
                mark,
                path,
                hint="flatten the document",
            ) from None
        if mark is None:
            raise _error("yaml_syntax", message, filename, path=path, hint=hint) from None
        raise _mark_error("yaml_syntax", message, filename, mark, path, hint) from None
    except yaml.YAMLError as exc:  # ReaderError and friends: no mark
        raise _error("yaml_syntax", str(exc), filename, path=_stack_path(stack), hint=_SYNTAX_HINT) from None
    finally:
        loader.dispose()
        if gc_was_enabled:
            gc.enable()


def _compose_document(get_event, filename, limits, want_locs, counter, stack):  # noqa: C901 (one hot loop, measured)
    """Compose one document from its events (DocumentStartEvent already taken). Returns (value, loc).

    Hot loop: locals over attributes, the current frame in ``top``, sizes from the running node
    count (a collection's expanded size is the count at its end minus the count at its start)."""
    max_depth = limits.max_depth
    max_nodes = limits.max_nodes
    max_aliases = limits.max_aliases
    nodes = counter.nodes
    anchors: dict[str, Any] = {}
    special_start = _SPECIAL_START
    resolve_plain = _resolve_plain
    value: Any = None
    loc = None
    top: _Frame | None = None
    depth = 0

    try:
        while True:
            event = get_event()
            etype = type(event)

            # ---- a finished node: value, height (and loc), or open/close a collection
            if etype is ScalarEvent:
                nodes += 1
                if nodes > max_nodes:
                    raise _too_many_nodes(filename, event.start_mark, stack, limits)
                tag = event.tag
                value = event.value
                if tag is None:
                    if event.implicit[0] and (not value or value[0] in special_start):
                        try:
                            value = resolve_plain(value)
                        except _TooManyDigits:
                            raise _mark_error(
                                "too_large",
                                f"integer literal of {len(value)} characters is too long (limit {_MAX_INT_CHARS})",
                                filename,
                                event.start_mark,
                                _stack_path(stack),
                                hint="quote it if it is meant as a string",
                            ) from None
                elif tag != "!":
                    value = _tagged_scalar(value, tag, filename, event.start_mark, stack)
                height = 0
                if want_locs:
                    mark = event.start_mark
                    loc = (mark.line, mark.column, None)
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1, 0, loc)

            elif etype is MappingStartEvent or etype is SequenceStartEvent:
                nodes += 1
                if nodes > max_nodes:
                    raise _too_many_nodes(filename, event.start_mark, stack, limits)
                if depth >= max_depth:
                    raise _mark_error(
                        "too_deep",
                        f"nesting is deeper than the limit of {max_depth} levels",
                        filename,
                        event.start_mark,
                        _stack_path(stack),
                        hint="flatten the document",
                    )
                is_map = etype is MappingStartEvent
                if top is not None and top.is_map and top.key is _NO_KEY:
                    raise _non_string_key(
                        filename, event.start_mark, stack, "a mapping" if is_map else "a sequence", None
                    )
                tag = event.tag
                if tag is not None and tag != "!" and tag != (_MAP_TAG if is_map else _SEQ_TAG):
                    raise _mark_error(
                        "yaml_tag",
                        f"tag {_tag_name(tag)} is not supported",
                        filename,
                        event.start_mark,
                        _stack_path(stack),
                        hint="remove the tag; podeval reads plain YAML (mappings, sequences, scalars)",
                    )
                anchor = event.anchor
                if anchor is not None:
                    anchors[anchor] = _PENDING
                top = _Frame(
                    is_map,
                    {} if is_map else [],
                    ({} if is_map else []) if want_locs else None,
                    anchor,
                    event.start_mark,
                    nodes - 1,
                )
                stack.append(top)
                depth += 1
                continue

            elif etype is MappingEndEvent or etype is SequenceEndEvent:
                frame = stack.pop()
                depth -= 1
                top = stack[-1] if stack else None
                value = frame.value
                if frame.merges is not None:
                    value, frame.locs = _apply_merges(value, frame.locs, frame.merges, want_locs)
                height = frame.height + 1
                if want_locs:
                    loc = (frame.mark.line, frame.mark.column, frame.locs)
                if frame.anchor is not None:
                    anchors[frame.anchor] = (value, nodes - frame.start, height, loc)

            elif etype is AliasEvent:
                counter.aliases += 1
                if counter.aliases > max_aliases:
                    raise _mark_error(
                        "alias_limit",
                        f"more than {max_aliases} aliases in the input",
                        filename,
                        event.start_mark,
                        _stack_path(stack),
                        hint="write the repeated parts out, or use fewer anchors and aliases",
                    )
                record = anchors.get(event.anchor)
                if record is None:
                    raise _mark_error(
                        "yaml_syntax",
                        f"alias *{event.anchor} refers to no anchor &{event.anchor} defined before it",
                        filename,
                        event.start_mark,
                        _stack_path(stack),
                        hint="define the anchor before its first use",
                    )
                if record is _PENDING:
                    raise _mark_error(
                        "recursive_alias",
                        f"alias *{event.anchor} is inside the node it refers to",
                        filename,
                        event.start_mark,
                        _stack_path(stack),
                        hint="a document cannot contain itself; write the data out",
                    )
                value, size, height, target = record
                nodes += size
                if nodes > max_nodes:
                    raise _too_many_nodes(filename, event.start_mark, stack, limits)
                if depth + height > max_depth:
                    raise _mark_error(
                        "too_deep",
                        f"alias *{event.anchor} makes nesting deeper than the limit of {max_depth} levels",
                        filename,
                        event.start_mark,
                        _stack_path(stack),
                        hint="flatten the document",
                    )
                if want_locs:
                    mark = event.start_mark
                    loc = (mark.line, mark.column, target[2])

            elif etype is DocumentEndEvent:
                return value, loc

            else:  # pragma: no cover - the parser never nests documents or streams
                raise _mark_error("yaml_syntax", "unexpected event in a document", filename, event.start_mark)

            # ---- attach the finished node to its parent
            if top is None:
                continue  # the root; the next event is DocumentEndEvent
            if height > top.height:  # noqa: PLR1730 - hot loop: no call
                top.height = height
            if not top.is_map:
                top.value.append(value)
                if want_locs:
                    top.locs.append(loc)
            elif top.key is _NO_KEY:
                _take_key(top, value, etype, event, filename, stack)
            elif top.key is _MERGE:
                top.merges = _merge_sources(top.merges, value, loc, filename, top.kmark, stack)
                top.key = _NO_KEY
            else:
                top.value[top.key] = value
                if want_locs:
                    top.locs[top.key] = (top.kmark.line, top.kmark.column, loc)
                top.key = _NO_KEY
    finally:
        counter.nodes = nodes


def _take_key(frame: _Frame, key, etype, event, filename, stack):
    mark = event.start_mark
    if type(key) is not str:
        if etype is AliasEvent and isinstance(key, (dict, list)):
            what = "a mapping" if isinstance(key, dict) else "a sequence"
        else:
            what = _describe(key)
        raise _non_string_key(filename, mark, stack, what, key)
    if key == "<<" and etype is ScalarEvent and event.tag is None and event.implicit[0]:
        if frame.merge_seen:
            raise _duplicate(filename, mark, stack, key)
        frame.merge_seen = True
        frame.key = _MERGE
    else:
        if key in frame.value:
            raise _duplicate(filename, mark, stack, key)
        frame.key = key
    frame.kmark = mark


def _merge_sources(merges, value, loc, filename, mark, stack):
    merges = [] if merges is None else merges
    if isinstance(value, dict):
        merges.append((value, loc[2] if loc else None))
        return merges
    if isinstance(value, list):
        children = loc[2] if loc else None
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                break
            merges.append((item, children[index][2] if children else None))
        else:
            return merges
    raise _mark_error(
        "yaml_syntax",
        "the merge key << takes a mapping or a list of mappings",
        filename,
        mark,
        _stack_path(stack),
        hint="merge an anchored mapping: <<: *defaults",
    )


def _apply_merges(explicit: dict, locs, merges, want_locs):
    """YAML merge keys: explicit keys win over merged ones, earlier merged mappings over later."""
    value: dict = {}
    merged_locs: dict | None = {} if want_locs else None
    for source, source_locs in reversed(merges):
        value.update(source)
        if want_locs and source_locs is not None:
            merged_locs.update(source_locs)
    value.update(explicit)
    if want_locs:
        merged_locs.update(locs)
    return value, merged_locs


def _tagged_scalar(raw, tag, filename, mark, stack):
    try:
        return _resolve_tagged(raw, tag)
    except KeyError:
        raise _mark_error(
            "yaml_tag",
            f"tag {_tag_name(tag)} is not supported",
            filename,
            mark,
            _stack_path(stack),
            hint="remove the tag; podeval reads plain YAML (strings, numbers, booleans, null)",
        ) from None
    except _TooManyDigits:
        raise _mark_error(
            "too_large",
            f"integer literal of {len(raw)} characters is too long (limit {_MAX_INT_CHARS})",
            filename,
            mark,
            _stack_path(stack),
            hint="quote it if it is meant as a string",
        ) from None
    except ValueError:
        raise _mark_error(
            "yaml_tag",
            f"{raw!r} is not a valid {_tag_name(tag)} value",
            filename,
            mark,
            _stack_path(stack),
            hint="fix the value or remove the tag",
        ) from None


def _describe(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return type(value).__name__


def _non_string_key(filename, mark, stack, what, key):
    if key is None and what == "null":
        hint = 'write a key before the colon, or quote it: "null": ...'
    elif isinstance(key, (bool, int, float)):
        hint = 'quote the key to make it a string, e.g. "...": value'
    else:
        hint = "mapping keys must be plain strings"
    return _mark_error(
        "non_string_key", f"mapping key is {what}, not a string", filename, mark, _stack_path(stack), hint
    )


def _duplicate(filename, mark, stack, key):
    return _mark_error(
        "duplicate_key",
        f"duplicate key {key!r} in mapping",
        filename,
        mark,
        _stack_path(stack) + (key,),
        hint="remove one of them",
    )


def _too_many_nodes(filename, mark, stack, limits):
    return _mark_error(
        "too_many_nodes",
        f"input has more than {limits.max_nodes} nodes (aliases expanded)",
        filename,
        mark,
        _stack_path(stack),
        hint="split the input; if it uses anchors and aliases, write fewer repetitions",
    )


# --------------------------------------------------------------------------------------------
# documents


class _Stream:
    """What ``locate`` needs to rebuild locations on demand; shared by a stream's documents."""

    __slots__ = ("filename", "limits", "loader_cls", "locs", "text")

    def __init__(self, text, filename, limits, loader_cls):
        self.text = text
        self.filename = filename
        self.limits = limits
        self.loader_cls = loader_cls
        self.locs = None

    def loc(self, index: int):
        if self.locs is None:
            self.locs = [
                loc for _, loc in _compose_stream(self.text, self.filename, self.limits, True, self.loader_cls)
            ]
        return self.locs[index]


class Document:
    """One YAML document: its plain value and the means to find where a path is in the file."""

    __slots__ = ("_index", "_stream", "filename", "value")

    def __init__(self, value: Any, filename: str, stream: _Stream | None, index: int):
        self.value = value
        self.filename = filename
        self._stream = stream
        self._index = index

    def __repr__(self) -> str:
        return f"Document({self.filename!r}, {type(self.value).__name__})"

    @property
    def text(self) -> str | None:
        """The decoded text of the stream the document is part of (None for an empty document)."""
        return self._stream.text if self._stream is not None else None

    def _walk(self, path):
        """(key_position_or_None, loc) of the deepest existing node along ``path``."""
        if self._stream is None:
            return None, None
        loc = self._stream.loc(self._index)
        key_pos = None
        for part in path:
            children = loc[2]
            if isinstance(children, dict):
                entry = children.get(part) if isinstance(part, str) else None
                if entry is None:
                    break
                key_pos = (entry[0], entry[1])
                loc = entry[2]
            elif isinstance(children, list):
                if not isinstance(part, int) or isinstance(part, bool) or not -len(children) <= part < len(children):
                    break
                key_pos = None
                loc = children[part]
            else:
                break
        return key_pos, loc

    def locate(self, path: Iterable[Any] = ()) -> tuple[int, int] | None:
        """1-based ``(line, column)`` of the node at ``path`` (keys and indices), or of its nearest
        existing ancestor; None for an empty document."""
        _, loc = self._walk(tuple(path))
        if loc is None:
            return None
        return loc[0] + 1, loc[1] + 1

    def locate_key(self, path: Iterable[Any] = ()) -> tuple[int, int] | None:
        """Like :meth:`locate`, but when ``path`` ends at a mapping entry give the *key*'s position
        (better for "unknown field" or when the value is a block collection on later lines)."""
        path = tuple(path)
        key_pos, loc = self._walk(path)
        if loc is None:
            return None
        if key_pos is not None and self._exists(path):
            return key_pos[0] + 1, key_pos[1] + 1
        return loc[0] + 1, loc[1] + 1

    def _exists(self, path) -> bool:
        node = self.value
        for part in path:
            if isinstance(node, dict):
                found = isinstance(part, str) and part in node
            elif isinstance(node, list):
                found = type(part) is int and -len(node) <= part < len(node)
            else:
                found = False
            if not found:
                return False
            node = node[part]
        return True

    def error(
        self,
        code: str,
        message: str,
        path: Iterable[Any] = (),
        *,
        hint: str | None = None,
        key: bool = False,
        cls: type = InputError,
    ):
        """An error of class ``cls`` located at ``path`` (its key when ``key``), for callers' checks."""
        path = tuple(path)
        position = self.locate_key(path) if key else self.locate(path)
        line, column = position if position else (None, None)
        return cls(code, message, path=format_path(path), file=self.filename, line=line, column=column, hint=hint)


def _load_stream(data, filename, limits, loader_cls=None):
    text = _decode(data, filename, limits)
    loader_cls = loader_cls or _LOADER
    try:
        results = _compose_stream(text, filename, limits, False, loader_cls)
    except InputError as exc:
        retry = _json_with_tabs(text, exc)
        if retry is None:
            raise
        text = retry
        results = _compose_stream(text, filename, limits, False, loader_cls)
    except RecursionError:  # pragma: no cover - the composer does not recurse
        raise _error("too_deep", "input nests too deeply", filename, hint="flatten the document") from None
    except MemoryError:  # pragma: no cover
        raise _error("too_large", "input needs too much memory", filename, hint="split the input") from None
    stream = _Stream(text, filename, limits, loader_cls)
    return [Document(value, filename, stream, index) for index, (value, _) in enumerate(results)]


def _json_with_tabs(text: str, exc: InputError) -> str | None:
    """JSON indented with tabs is valid JSON but not valid block YAML for pure-Python pyyaml.

    Tabs cannot occur inside JSON strings, so for a text that *is* JSON they are only whitespace and
    can become spaces (one for one: columns stay right)."""
    if exc.code != "yaml_syntax" or "\t" not in text or text.lstrip()[:1] not in ("{", "["):
        return None
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return None
    return text.replace("\t", " ")


def _document_start(stream: _Stream, index: int) -> tuple[int | None, int | None]:
    """1-based (line, column) where document ``index`` starts: its ``---`` when it has one, else its content."""
    loader = stream.loader_cls(stream.text)
    try:
        seen = -1
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.DocumentStartEvent):
                seen += 1
                if seen == index:
                    return event.start_mark.line + 1, event.start_mark.column + 1
    finally:
        loader.dispose()
    loc = stream.loc(index)
    return (loc[0] + 1, loc[1] + 1) if loc else (None, None)


def load_documents(data: str | bytes, filename: str = "<input>", *, limits: Limits = DEFAULT_LIMITS) -> list[Document]:
    """Every document of a (``---`` separated) YAML stream; ``[]`` for an empty stream."""
    return _load_stream(data, filename, limits)


def load_document(data: str | bytes, filename: str = "<input>", *, limits: Limits = DEFAULT_LIMITS) -> Document:
    """The single document of a YAML/JSON text (value None for an empty text)."""
    documents = _load_stream(data, filename, limits)
    if not documents:
        return Document(None, filename, None, 0)
    if len(documents) > 1:
        line, column = _document_start(documents[1]._stream, 1)
        raise _error(
            "yaml_syntax",
            f"expected a single YAML document, found {len(documents)}",
            filename,
            line,
            column,
            hint="keep one document: remove the extra '---' separated part",
        )
    return documents[0]


# --------------------------------------------------------------------------------------------
# output


# Line breaks besides \n (YAML 1.1 counts NEL, LS and PS): pyyaml's Python emitter writes them raw inside single
# quotes, and its reader then folds them into a space; double quotes escape them (\N, \L, \P).
_OTHER_BREAKS = re.compile("[\x85\u2028\u2029]")


def _represent_str(dumper, data: str):
    if _OTHER_BREAKS.search(data):
        style = '"'
    else:
        style = "|" if "\n" in data else None  # the emitter falls back to quotes when | cannot hold it
    return dumper.represent_scalar(_STR_TAG, data, style=style)


def _make_dumper(base: type) -> type:
    class Dumper(base):
        def ignore_aliases(self, data):
            return True

        # Speed: these two are pyyaml's own, minus work that cannot change the result here (the representer and
        # resolver are Python even with libyaml, and were a quarter of `podeval render` over a folder).
        def represent_data(self, data):
            # No aliases (above), so the node depends on the value only: the exact type's representer when there
            # is one, as pyyaml would pick it, else pyyaml's full lookup.
            representer = self.yaml_representers.get(type(data))
            if representer is not None:
                return representer(self, data)
            return super().represent_data(data)

        def resolve(self, kind, value, implicit):
            # Without path resolvers the implicit tag of a scalar depends on its text only: remembered.
            if kind is not yaml.ScalarNode or self.yaml_path_resolvers:
                return super().resolve(kind, value, implicit)
            return _resolve(kind, value, tuple(implicit))

    _resolve = lru_cache(maxsize=4096)(partial(base.resolve, Dumper))

    Dumper.add_representer(str, _represent_str)
    Dumper.add_representer(tuple, yaml.SafeDumper.represent_list)
    # The safe resolver is YAML 1.1; also quote strings the 1.2 core schema reads as numbers
    # ("0o17", "0x1F", "1e3", "-0o7"), so output reads back the same with load_document.
    Dumper.add_implicit_resolver(
        _INT_TAG, re.compile(r"^[-+]?(?:0o[0-7]+|0x[0-9a-fA-F]+|0b[01]+|[0-9]+)$"), list("0123456789+-")
    )
    Dumper.add_implicit_resolver(
        _FLOAT_TAG, re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"), list("0123456789+-.")
    )
    return Dumper


# libyaml's emitter when available (the representer is Python either way).
_Dumper = _make_dumper(getattr(yaml, "CSafeDumper", None) or yaml.SafeDumper)

_WIDTH = 1 << 30  # never fold long strings


# What pyyaml would write, written faster for the common case (a Pod); None for the rest (engine/documents/yaml_emit.py).
_dump_common = make_emitter(_Dumper)


def dump_yaml(value: Any) -> str:
    """Block-style YAML for plain data; keys in the order given; no anchors or aliases."""
    text = _dump_common(value)
    if text is not None:
        return text
    return yaml.dump(
        value,
        Dumper=_Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=_WIDTH,
        indent=2,
    )
