"""The YAML that ``yamlio.dump_yaml`` writes, for the common case, without pyyaml's representer.

pyyaml builds a node per value in Python and asks its resolver about every scalar before libyaml emits anything:
three quarters of the time of ``podeval render`` over a folder of small scenarios went there. A Pod is a mapping of
mappings, lists, strings, integers and booleans; this module writes exactly the text ``dump_yaml`` writes for
such a value (block style, indent 2, sequences in mappings not indented, ``{}``/``[]`` for empty collections, keys
in the order given) and gives up, returning None, as soon as it meets anything else: a float, a string with a
character outside printable ASCII (line breaks, tabs, unicode), a string that needs double quotes, a key that is
not a simple key. ``dump_yaml`` then asks pyyaml, so the output is the same either way.

Scalar styles are pyyaml's own decisions: ``Emitter.analyze_scalar`` (pyyaml's port of libyaml's analysis) and the
dumper's resolver say whether a string may be plain, must be single-quoted, or needs more (then None). Decisions
are remembered per string (bounded).
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import yaml
from yaml.emitter import Emitter

_PRINTABLE_ASCII = frozenset(chr(code) for code in range(0x20, 0x7F))
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"


class _Analyzer:
    allow_unicode = True  # dump_yaml's setting; the only state analyze_scalar reads


def _make_scalar_text(resolve) -> Any:
    """``scalar_text(text, key) -> str | None``: the text libyaml writes for a string scalar, or None if it would
    not be plain or single-quoted (or is not a simple key)."""
    analyzer = _Analyzer()

    @lru_cache(maxsize=8192)
    def scalar_text(text: str, key: bool) -> str | None:
        if not _PRINTABLE_ASCII.issuperset(text):
            return None
        if key and (not text or len(text) >= 128):
            return None  # not a simple key: pyyaml writes `? key`
        analysis = Emitter.analyze_scalar(analyzer, text)
        if analysis.multiline:
            return None
        implicit = resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG
        if implicit and analysis.allow_block_plain and not (key and analysis.empty):
            return text
        if analysis.allow_single_quoted:
            return "'" + text.replace("'", "''") + "'"
        return None

    return scalar_text


class _GiveUp(Exception):
    pass


def make_emitter(dumper_class: type):  # noqa: C901 (closures of one hot emitter)
    """``emit(value) -> str | None`` for the dumper ``dump_yaml`` uses (its resolver decides implicit types)."""
    probe = dumper_class(io.StringIO())
    resolve = probe.resolve
    scalar_text = _make_scalar_text(resolve)
    int_is_plain: dict[str, bool] = {}

    def scalar(value: Any, key: bool = False) -> str:
        kind = type(value)
        if kind is str:
            text = scalar_text(value, key)
            if text is None:
                raise _GiveUp
            return text
        if kind is bool:
            return "true" if value else "false"
        if kind is int:
            text = str(value)
            plain = int_is_plain.get(text)
            if plain is None:
                plain = resolve(yaml.ScalarNode, text, (True, False)) == _INT_TAG
                if len(int_is_plain) < 4096:
                    int_is_plain[text] = plain
            if not plain:
                raise _GiveUp
            return text
        if value is None:
            return "null"
        raise _GiveUp  # floats and anything else: pyyaml

    def mapping(value: dict, indent: str, out: list, first_prefix: str | None) -> None:
        """Entries at ``indent``; the first one after ``first_prefix`` (a sequence's "- ") when given."""
        for index, (key, item) in enumerate(value.items()):
            if type(key) is not str:
                raise _GiveUp
            head = (first_prefix if index == 0 and first_prefix is not None else indent) + scalar(key, True) + ":"
            node(item, indent, head, out, in_mapping=True)

    def sequence(value: list, indent: str, out: list, first_prefix: str | None) -> None:
        for index, item in enumerate(value):
            head = (first_prefix if index == 0 and first_prefix is not None else indent) + "-"
            node(item, indent, head, out, in_mapping=False)

    def node(item: Any, indent: str, head: str, out: list, *, in_mapping: bool) -> None:
        kind = type(item)
        if kind is dict:
            if not item:
                out.append(head + " {}\n")
            elif in_mapping:
                out.append(head + "\n")
                mapping(item, indent + "  ", out, None)
            else:
                mapping(item, indent + "  ", out, head + " ")
        elif kind is list or kind is tuple:
            if not item:
                out.append(head + " []\n")
            elif in_mapping:
                out.append(head + "\n")
                sequence(item, indent, out, None)  # a sequence in a mapping is not indented
            else:
                sequence(item, indent + "  ", out, head + " ")
        else:
            out.append(head + " " + scalar(item) + "\n")

    def emit(value: Any) -> str | None:
        if type(value) is not dict or not value:
            return None
        out: list[str] = []
        try:
            mapping(value, "", out, None)
        except (_GiveUp, RecursionError):
            return None
        return "".join(out)

    return emit
