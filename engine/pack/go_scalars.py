"""Go's scalar conversions, as FlytePropeller's config decoding makes them (the plugin options' weak decoding).

flytestdlib decodes its config sections with mapstructure v2.4.0 and ``WeaklyTypedInput``
(flytestdlib/config/viper/viper.go ``defaultDecoderConfig`` at flyteorg/flyte 89cf9cc); three of its conversions
go through Go's standard library, and this module says what they accept, with Go's own rules:

* a string where an ``int`` is wanted: ``decodeInt`` calls ``strconv.ParseInt(s, 0, 64)`` after reading ``""`` as
  ``"0"``: base prefixes ``0x``/``0o``/``0b`` and a bare leading ``0`` (octal: ``"017"`` is 15), ``_`` between
  digits, an optional sign, no spaces, the int64 range;
* a float where a ``string`` is wanted: ``decodeString`` writes ``strconv.FormatFloat(f, 'f', -1, 64)``, the
  shortest digits that read back as ``f``, never with an exponent (``1e20`` is ``"100000000000000000000"``);
* a duration (flytestdlib's ``config.Duration``, decoded by the ``jsonUnmarshallerHook`` through its
  ``UnmarshalJSON``): a JSON number is nanoseconds, ``""`` is 0, any other string goes to ``time.ParseDuration``
  (a sign, decimal fractions, units ns us µs μs ms s m h, ``"0"`` without a unit).

tests/test_option_decoding.py checks each against ``tests/oracle/bin/strconv-oracle``, which calls the Go functions.
"""

from __future__ import annotations

import math
from decimal import Decimal

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def parse_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 0, 64)`` (``""`` read as ``"0"``, as mapstructure's decodeInt does); None where Go
    returns an error (syntax or range)."""
    s = text or "0"
    negative = s[0] == "-"
    if s[0] in "+-":
        s = s[1:]
    unsigned = s
    base = 10
    if s[:1] == "0":
        prefix = s[1:2].lower()
        if len(s) >= 3 and prefix in ("b", "o", "x"):
            base, s = {"b": 2, "o": 8, "x": 16}[prefix], s[2:]
        else:
            base, s = 8, s[1:]
    if not s and base != 8:
        return None  # "", "+", "-": nothing to read
    value = 0
    underscores = False
    for char in s:
        if char == "_":
            underscores = True
            continue
        digit = _digit(char)
        if digit is None or digit >= base:
            return None
        value = value * base + digit
    if underscores and not _underscores_ok(unsigned):
        return None
    value = -value if negative else value
    return value if _INT64_MIN <= value <= _INT64_MAX else None


def _digit(char: str) -> int | None:
    if "0" <= char <= "9":
        return ord(char) - ord("0")
    lower = char.lower()
    if "a" <= lower <= "z" and char.isascii():
        return ord(lower) - ord("a") + 10
    return None


def _underscores_ok(s: str) -> bool:
    """Go's ``underscoreOK``: each ``_`` sits between digits, or between the base prefix and a digit."""
    saw = "^"  # ^ start, 0 digit or base prefix, _ underscore, ! anything else
    i = 0
    hexadecimal = False
    if len(s) >= 2 and s[0] == "0" and s[1].lower() in "box":
        i, saw, hexadecimal = 2, "0", s[1].lower() == "x"
    for char in s[i:]:
        if "0" <= char <= "9" or (hexadecimal and "a" <= char.lower() <= "f"):
            saw = "0"
        elif char == "_":
            if saw != "0":
                return False
            saw = "_"
        else:
            if saw == "_":
                return False
            saw = "!"
    return saw != "_"


def format_float(value: float) -> str:
    """``strconv.FormatFloat(value, 'f', -1, 64)``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    # repr() is the shortest text that reads back as the same float, as Go's -1 precision is; 'f' drops the exponent
    return format(Decimal(repr(value)).normalize(), "f")


_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_LIMIT = 1 << 63


def parse_duration(text: str) -> int | None:
    """``time.ParseDuration(text)`` in nanoseconds, step by step as Go computes it (whole part times the unit, plus
    the fraction through a float64, truncated); None where Go returns an error."""
    s = text
    negative = s[:1] == "-"
    if s[:1] in ("+", "-"):
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        return None
    total = 0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            return None
        whole, s = _leading(s, _is_digit)
        if whole and _leading_int(whole) is None:
            return None
        fraction, scale = 0, 1.0
        post = False
        if s[:1] == ".":
            digits, s = _leading(s[1:], _is_digit)
            fraction, scale = _leading_fraction(digits)
            post = bool(digits)
        if not whole and not post:
            return None  # no digits: ".s"
        unit, s = _leading(s, lambda char: not (char == "." or _is_digit(char)))
        if unit not in _UNITS:
            return None  # a missing or unknown unit
        value = _leading_int(whole) if whole else 0
        if value > _LIMIT // _UNITS[unit]:
            return None
        value *= _UNITS[unit]
        if fraction > 0:
            value += int(float(fraction) * (float(_UNITS[unit]) / scale))
            if value > _LIMIT:
                return None
        total += value
        if total > _LIMIT:
            return None
    if negative:
        return -total
    return total if total < _LIMIT else None


def _leading(s: str, wanted) -> tuple[str, str]:
    """The longest prefix of ``s`` whose characters are ``wanted``, and the rest."""
    end = 0
    while end < len(s) and wanted(s[end]):
        end += 1
    return s[:end], s[end:]


def _is_digit(char: str) -> bool:
    return "0" <= char <= "9"


def _leading_int(digits: str) -> int | None:
    value = 0
    for char in digits:
        if value > _LIMIT // 10:
            return None
        value = value * 10 + int(char)
        if value > _LIMIT:
            return None
    return value


def _leading_fraction(digits: str) -> tuple[int, float]:
    """Go's ``leadingFraction``: the digits that fit, and 10 to the number of them (as a float64)."""
    value, scale = 0, 1.0
    overflow = False
    for char in digits:
        if overflow:
            continue
        if value > (_LIMIT - 1) // 10:
            overflow = True
            continue
        candidate = value * 10 + int(char)
        if candidate > _LIMIT:
            overflow = True
            continue
        value = candidate
        scale *= 10
    return value, scale
