"""Reading and writing podeval's YAML/JSON input, safely and with positions.

``load_document`` / ``load_documents`` turn user text (scenarios, PodTemplates, FlytePropeller
configuration, rule packs; JSON is YAML) into plain Python values -- dict, list, str, int, float,
bool, None -- and keep enough to answer ``Document.locate(path)`` with a 1-based ``(line, column)``.
Every problem becomes an :class:`~engine.errors.InputError` with a stable ``code``, the file, line,
column, the path inside the document and a hint; never a traceback.

How it works. pyyaml's parser (libyaml's ``CSafeLoader`` when available) produces the *event*
stream; ``yaml_compose`` composes the values from the events itself, with an explicit stack and no
recursion. That is what lets it

* refuse nesting deeper than ``limits.max_depth`` at the first event past the limit (pyyaml's own
  composer recurses and dies with ``RecursionError``, or worse, inside C); libyaml's scanner, which
  reads ahead, may stop first at its own limit of 1000 levels: that is reported as ``too_deep`` too;
* count the nodes a document would have once every alias is expanded, *without* expanding it
  (each anchor remembers the size of its subtree, an alias adds that size), so the "billion laughs"
  bomb is refused after a few hundred events and a few kilobytes;
* see duplicate keys, non-string keys and tags at their events, with their marks;
* resolve plain scalars (``yaml_scalars``) with the YAML 1.2 core schema (``on``/``yes``/``no``/``2024-01-01``/
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

This module owns the reader's interface (``load_document``, ``load_documents``, ``Document`` and its positions)
and ``dump_yaml``; the input text's checks, ``Limits`` and the errors' form are ``yaml_text``'s.

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

import json
import re
import sys
from collections.abc import Iterable
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from .yaml_compose import _compose_stream
from .yaml_emit import make_emitter
from .yaml_scalars import _FLOAT_TAG, _INT_TAG, _STR_TAG
from .yaml_text import DEFAULT_LIMITS, Limits, _decode, _error, format_path

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


def read_input(path: str) -> bytes:
    """The bytes of an input file the user names (``-``: standard input); a file that cannot be read is an
    ``InputError`` (``unreadable``, exit 2)."""
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise InputError(
            "unreadable", f"cannot read {path}: {exc.strerror or exc}", file=path, hint="check the path"
        ) from None


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
