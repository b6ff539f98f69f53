"""Kubernetes resource quantities, printed the way the API server prints them.

A Pod read back from the API server shows every quantity in canonical form: ``1000m`` as ``"1"``, ``1024Mi`` as
``1Gi``. The format family of the input (binary ``Ki``/``Mi``..., decimal ``k``/``M``/``m``..., or exponent ``1e3``) is
kept, and the largest suffix that represents the value exactly is chosen, as resource.Quantity's
CanonicalizeBytes does (k8s.io/apimachinery/pkg/api/resource/quantity.go). Values are rounded up to nano units.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXP = {exp: suffix for suffix, exp in _DECIMAL.items()}
_BINARY_BY_EXP = {exp: suffix for suffix, exp in _BINARY.items()}

_QUANTITY = re.compile(
    r"^(?P<sign>[+-]?)(?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:(?P<bin>Ki|Mi|Gi|Ti|Pi|Ei)|(?P<exp>[eE][+-]?[0-9]+)|(?P<dec>[numkMGTPE]?))$"
)


class QuantityError(ValueError):
    """The text is not a Kubernetes quantity."""


def parse(text: str) -> tuple[Fraction, str]:
    """Return ``(value, format)`` where format is ``BinarySI``, ``DecimalSI`` or ``DecimalExponent``."""
    if not isinstance(text, str):
        raise QuantityError(f"{text!r} is not a Kubernetes quantity")
    return _parse_text(text)


@lru_cache(maxsize=4096)  # the same few quantities are compared many times per evaluation (resources, clamps)
def _parse_text(text: str) -> tuple[Fraction, str]:
    match = _QUANTITY.match(text.strip())
    if not match:
        raise QuantityError(f"{text!r} is not a Kubernetes quantity")
    value = Fraction(match.group("num"))
    if match.group("sign") == "-":
        value = -value
    if match.group("bin"):
        return value * (1024 ** _BINARY[match.group("bin")]), "BinarySI"
    if match.group("exp"):
        return value * Fraction(10) ** int(match.group("exp")[1:]), "DecimalExponent"
    return value * Fraction(10) ** _DECIMAL[match.group("dec") or ""], "DecimalSI"


def _round_up_to_nanos(value: Fraction) -> Fraction:
    scaled = value * 10**9
    if scaled.denominator == 1:
        return value
    whole = -((-scaled.numerator) // scaled.denominator) if scaled > 0 else scaled.numerator // scaled.denominator
    return Fraction(whole, 10**9)


def _decimal_parts(value: Fraction) -> tuple[int, int]:
    """mantissa, exponent (a multiple of 3, -9..18) with the largest exponent that keeps the mantissa whole."""
    exponent = -9
    mantissa = int(value * 10**9)
    while exponent < 18 and mantissa != 0 and mantissa % 1000 == 0:
        mantissa //= 1000
        exponent += 3
    if mantissa == 0:
        exponent = 0
    return mantissa, exponent


@lru_cache(maxsize=4096)
def canonical(text: str) -> str:
    """The canonical string of a quantity; raises QuantityError if it is not one."""
    value, fmt = parse(text)
    value = _round_up_to_nanos(value)
    if fmt == "BinarySI":
        if -1024 < value < 1024 or value.denominator != 1:
            fmt = "DecimalSI"
        else:
            number = int(value)
            exponent = 0
            while exponent < 6 and number % 1024 == 0 and number != 0:
                number //= 1024
                exponent += 1
            return f"{number}{_BINARY_BY_EXP.get(exponent, '')}"
    mantissa, exponent = _decimal_parts(value)
    if fmt == "DecimalExponent":
        return f"{mantissa}e{exponent}" if exponent else f"{mantissa}"
    return f"{mantissa}{_DECIMAL_BY_EXP[exponent]}"


def to_text(value: object) -> str:
    """A quantity given as a YAML number (``cpu: 1``, ``cpu: 0.5``) as the text Kubernetes would parse."""
    if isinstance(value, bool):
        raise QuantityError(f"{value!r} is not a Kubernetes quantity")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, str):
        return value
    raise QuantityError(f"{value!r} is not a Kubernetes quantity")


def value_of(text: object) -> Fraction:
    """The numeric value of a quantity (for comparisons and clamping)."""
    return parse(to_text(text))[0]


def greater(one: object, other: object) -> bool:
    """Is the quantity ``one`` more than ``other`` (Quantity.Cmp > 0)? Compared as integers: ``Fraction``'s own ``>``
    checks the operand's numeric type through the ``numbers`` ABCs on every call."""
    a, b = value_of(one), value_of(other)
    return a.numerator * b.denominator > b.numerator * a.denominator  # denominators are positive
