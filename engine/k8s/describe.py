"""Words for values and types in problems: what a value is (``describe``), what a field wants (``expected``), how to
write it (``type_hint``), and what Go's encoding/json says when a value does not fit a k8s.io/api type
(``go_decode_error``)."""

from __future__ import annotations

import json
import re
from typing import Any

from . import k8s_schema


def describe(value: Any) -> str:
    """``the string "echo"``, ``the number 1``, ``a list`` ..."""
    if isinstance(value, str):
        return f"the string {shorten(json.dumps(value, ensure_ascii=False))}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a Python {type(value).__name__}"


def shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def article(word: str) -> str:
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


_SCALAR_EXPECTED = {
    "string": "a string",
    "bool": "true or false",
    "int": "an integer",
    "float": "a number",
    "quantity": "a quantity (e.g. 500m, 2, 1Gi)",
    "intorstring": "an integer or a string",
    "time": "a timestamp (e.g. 2024-01-01T00:00:00Z)",
}
_SCALAR_PLURAL = {
    "string": "strings",
    "bool": "booleans",
    "int": "integers",
    "quantity": "quantities",
    "intorstring": "integers or strings",
    "time": "timestamps",
    "float": "numbers",
    "any": "values",
}


def expected(spec: k8s_schema.FieldSpec) -> str:
    if spec.kind == "object":
        return f"{article(spec.elem)} object (a mapping)"
    if spec.kind in ("list", "map"):
        noun = "list" if spec.kind == "list" else "mapping"
        if spec.elem_is_type:
            return f"a {noun} of {spec.elem} objects"
        return f"a {noun} of {_SCALAR_PLURAL.get(spec.elem or 'string', 'values')}"
    return _SCALAR_EXPECTED.get(spec.kind, "a value")


def type_hint(spec: k8s_schema.FieldSpec, value: Any) -> str | None:
    """How to write ``value`` as the type wants it."""
    kind = spec.kind
    if kind == "list" and not isinstance(value, list):
        if not spec.elem_is_type and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            item = value if isinstance(value, str) or spec.elem != "string" else str(value)
            return f"did you mean {json.dumps([item], ensure_ascii=False)}?"
        if isinstance(value, dict):
            return "make it a list: put '- ' before the first key of each item"
        return None
    if kind == "map" and isinstance(value, list):
        return "write it as a mapping (key: value), not as a list"
    if kind == "string" and isinstance(value, (int, float, bool)):
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return f'quote it: "{text}"'
    if kind == "bool" and isinstance(value, str):
        if value.lower() in ("true", "false"):
            return f"write {value.lower()} without quotes"
        if value.lower() in ("yes", "no", "on", "off", "y", "n"):
            return f"write true or false: YAML 1.2 (and Kubernetes) reads {value} as a string"
    if kind == "int":
        if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value.strip()):
            return f"write {value.strip()} without quotes"
        if isinstance(value, float):
            return "an integer has no fraction"
    if kind in ("quantity", "intorstring") and isinstance(value, (list, dict)):
        return "a single value, not a " + ("list" if isinstance(value, list) else "mapping")
    return None


# ---------------------------------------------------------------------------------------------------------------
# What Go's encoding/json (hence FlytePropeller) reports for a value that does not fit a k8s.io/api type

_GO_SCALARS = {"string": "string", "bool": "bool"}
#: resource.ErrFormatWrong
GO_QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _go_type(spec: k8s_schema.FieldSpec, element: bool) -> str | None:
    """The Go type name of a field (or of its element); None where the table does not say (int32 or int64)."""
    kind = spec.elem if element else spec.kind
    if element:
        return f"v1.{kind}" if spec.elem_is_type else _GO_SCALARS.get(kind or "string")
    if kind == "object":
        return f"v1.{spec.elem}"
    if kind == "list":
        inner = f"v1.{spec.elem}" if spec.elem_is_type else _GO_SCALARS.get(spec.elem or "string")
        return f"[]{inner}" if inner else None
    if kind == "map":
        if spec.elem == "quantity":
            return "v1.ResourceList"
        inner = f"v1.{spec.elem}" if spec.elem_is_type else _GO_SCALARS.get(spec.elem or "string")
        return f"map[string]{inner}" if inner else None
    return _GO_SCALARS.get(kind)


def go_decode_error(
    value: Any, spec: k8s_schema.FieldSpec, struct: str, field_stack: tuple, *, element: bool = False
) -> str:
    """encoding/json's UnmarshalTypeError text (Go >= 1.20: the field path from the root, without indices)."""
    kind = spec.elem if element else spec.kind
    if kind == "quantity":
        return GO_QUANTITY_ERROR
    json_kind = _json_kind(value)
    if json_kind == "number" and isinstance(value, float) and not value.is_integer():
        json_kind = f"number {value}"
    if kind == "intorstring":
        return f"json: cannot unmarshal {json_kind} into Go value of type int32"
    go_type = _go_type(spec, element)
    if not field_stack or not struct:
        return f"json: cannot unmarshal {json_kind} into Go value of type {go_type or 'v1.PodSpec'}"
    text = f"json: cannot unmarshal {json_kind} into Go struct field {struct}.{'.'.join(field_stack)}"
    return text + (f" of type {go_type}" if go_type else "")
