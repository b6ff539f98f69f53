"""Scalars as the reader types them: the YAML 1.2 core schema, plus the two YAML 1.1 integer forms Go's yaml.v2/v3
(hence Kubernetes and FlytePropeller) also read (leading-zero octal ``0644`` and ``0b101``).

``on``/``yes``/``no``/``2024-01-01``/``1_000`` stay strings; ``true``/``false``/``null``/``~`` and numbers are typed.
An explicit standard tag (``!!int``, ``!!str`` ...) is checked against the value. The tag names are shared with
``yamlio``'s output, which quotes what would read back as another type.
"""

from __future__ import annotations

import math
import re
from typing import Any

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
