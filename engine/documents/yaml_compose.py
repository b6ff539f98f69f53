"""Values composed from pyyaml's event stream, with an explicit stack and no recursion, and their locations.

pyyaml's parser (libyaml's ``CSafeLoader`` when available) produces the events; composing them here is what lets
the reader refuse nesting past ``limits.max_depth`` at the first event past it, count the nodes a document would
have once every alias is expanded without expanding it (the alias bomb is refused after a few hundred events), see
duplicate keys, non-string keys and tags at their events with their marks, apply merge keys as pyyaml does, and
build the location tree ``Document.locate`` answers from (only when asked: ``want_locs``). Scalars are typed by
``yaml_scalars``; errors are made by ``yaml_text``.
"""

from __future__ import annotations

import gc
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

from .yaml_scalars import (
    _MAP_TAG,
    _MAX_INT_CHARS,
    _SEQ_TAG,
    _SPECIAL_START,
    _resolve_plain,
    _resolve_tagged,
    _tag_name,
    _TooManyDigits,
)
from .yaml_text import _SYNTAX_HINT, Limits, _char_at, _error, _mark_error


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


def _compose_stream(text: str, filename: str, limits: Limits, want_locs: bool, loader_cls):
    """Parse ``text``; return ``[(value, loc), ...]``, one per document (loc None unless want_locs).

    A loc is ``(line0, col0, children)``: children is None for a scalar, a list of locs for a
    sequence, a dict ``key -> (key_line0, key_col0, value_loc)`` for a mapping.
    """
    loader = loader_cls(text)
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
