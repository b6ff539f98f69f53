"""Kubernetes objects checked where Flyte and Kubernetes check them.

Every Kubernetes object in a scenario is walked once against the field table generated from the kubernetes client
and the Go types (``k8s_schema``, verified by tests/test_k8s_schema.py): field names (snake_case accepted), JSON
types, quantities, and -- where the object must be valid for Kubernetes -- names, labels, annotations and required
fields as the API server validates them (k8s.io/apimachinery/pkg/util/validation). The walk returns the object as
Kubernetes JSON and records problems; it never raises halfway, so one file's problems are reported together.

What a problem means depends on where the object is, and that decides the error class (contract §5):

* a pod spec FlytePropeller decodes (``task.k8sPod.podSpec``; ``task.podTemplate.podSpec`` and the override's,
  which flytekit serializes into one): a value that does not fit the Go type fails the task --
  ``FlyteBuildError("pod_spec_decode")``, exit 3, with what FlytePropeller reports;
* a PodTemplate: the API server refuses the object, so it cannot be in the cluster -- ``InputError``, exit 2;
* anything else (the scenario's own structure, FlytePropeller's configuration): ``InputError``, exit 2.

Kubernetes' validation of names, labels, annotations, required fields, volume mounts and resources (``semantic``)
runs where the API server runs it: on PodTemplates, the execution and FlytePropeller's configuration as they are
read (an ``InputError``: such objects could not exist), and on the Pod FlytePropeller renders for what the task
brings (``engine.k8s.apiserver``: the Pod is built, the API server refuses it, exit 3). Unknown fields, and a field given
under both its camelCase and snake_case names, are errors everywhere (Go's decoder would drop them silently; podeval
takes them for typos).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import FlyteBuildError, InputError, PodevalError
from . import k8s_schema, quantity
from . import paths as _paths

# ---------------------------------------------------------------------------------------------------------------
# Problems of one input, raised together

#: problems collected before podeval stops reading a file (a hostile file can have a million)
MAX_PROBLEMS = 20
#: problems quoted in the one-line message besides the first
QUOTED_PROBLEMS = 4


class TooManyProblems(Exception):
    """Internal: the problem list is full; stop walking."""


class Problems:
    """The problems found in one input, each located in its file; ``raise_all`` raises them as one error.

    ``origins`` serves inputs assembled from several files (the CLI's ``--task``, ``--pod-templates`` ...): a part
    of the input, by its raw path, -> ``(filename, document, path of that part in the document)``; a problem is
    located in the file of the longest part that holds it."""

    def __init__(self, filename: str | None = None, document: Any = None, origins: dict | None = None) -> None:
        self.filename = filename
        self.document = document
        self.origins = origins or {}
        self.items: list[PodevalError] = []
        self.truncated = False

    def add(
        self,
        code: str,
        message: str,
        path: tuple,
        where: tuple | None = None,
        *,
        hint: str | None = None,
        build: bool = False,
        key: bool = False,
    ) -> None:
        """Record a problem at ``path`` (printed, keyed) found at ``where`` (raw keys and indices of the file)."""
        if len(self.items) >= MAX_PROBLEMS:
            self.truncated = True
            raise TooManyProblems
        where = path if where is None else where
        filename, document = self.filename, self.document
        for length in range(len(where), -1, -1):
            origin = self.origins.get(tuple(where[:length]))
            if origin is not None:
                filename, document, prefix = origin
                where = tuple(prefix) + tuple(where[length:])
                break
        line = column = None
        if document is not None:
            found = document.locate_key(where) if key else document.locate(where)
            if found:
                line, column = found
        cls = FlyteBuildError if build else InputError
        self.items.append(
            cls(code, message, path=_paths.render(path) or None, file=filename, line=line, column=column, hint=hint)
        )

    def raise_all(self) -> None:
        raise_together(self.items, truncated=self.truncated)


def raise_together(problems: list[PodevalError], *, truncated: bool = False) -> None:
    """Raise the problems of one input as one error, listed on one line.

    Input problems (exit 2) come before Flyte build failures (exit 3): an input podeval cannot use is reported as
    such even when Flyte would also fail on another part. The error carries them all in ``problems``."""
    if not problems:
        return
    ordered = [p for p in problems if not isinstance(p, FlyteBuildError)] + [
        p for p in problems if isinstance(p, FlyteBuildError)
    ]
    first = ordered[0]
    message = first.message
    others = ordered[1:]
    if others or truncated:
        quoted = "; ".join(_short(p) for p in others[:QUOTED_PROBLEMS])
        more = len(others) - QUOTED_PROBLEMS
        count = f"{len(others)}{'+' if truncated else ''} more problem{'s' if len(others) != 1 or truncated else ''}"
        tail = "" if more <= 0 and not truncated else " ..."
        message += f" [and {count}{': ' + quoted if quoted else ''}{tail}]"
    error = type(first)(
        first.code, message, path=first.path, file=first.file, line=first.line, column=first.column, hint=first.hint
    )
    error.problems = list(ordered)  # type: ignore[attr-defined]
    raise error


def _short(problem: PodevalError) -> str:
    where = f"{problem.line}:{problem.column}: " if problem.line is not None else ""
    return f"{where}{problem.path + ': ' if problem.path else ''}{problem.message.split('; ')[0]} [{problem.code}]"


# ---------------------------------------------------------------------------------------------------------------
# Kubernetes' own validation (k8s.io/apimachinery/pkg/util/validation), messages as the API server words them

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
#: ValidateAnnotationsSize: keys and values of one object together
ANNOTATIONS_MAX_BYTES = 256 * 1024


def dns1123_label_problems(value: str) -> list[str]:
    """IsDNS1123Label: container, volume and namespace names."""
    problems = []
    if len(value) > 63:
        problems.append("must be no more than 63 characters")
    if not _DNS1123_LABEL.match(value):
        problems.append(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
            "and must start and end with an alphanumeric character"
        )
    return problems


def dns1123_subdomain_problems(value: str) -> list[str]:
    """IsDNS1123Subdomain: object names (PodTemplates), label key prefixes."""
    problems = []
    if len(value) > 253:
        problems.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN.match(value):
        problems.append(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
            "'.', and must start and end with an alphanumeric character"
        )
    return problems


def qualified_name_problems(value: str) -> list[str]:
    """IsQualifiedName: label and annotation keys (``[prefix/]name``)."""
    parts = value.split("/")
    if len(parts) > 2:
        return ["a qualified name must be a name with an optional DNS subdomain prefix and '/' (e.g. 'example.com/x')"]
    problems = []
    if len(parts) == 2:
        prefix, name = parts
        if not prefix:
            problems.append("prefix part must be non-empty")
        else:
            problems.extend("prefix part " + p for p in dns1123_subdomain_problems(prefix))
    else:
        name = parts[0]
    if not name:
        problems.append("name part must be non-empty")
    elif len(name) > 63:
        problems.append("name part must be no more than 63 characters")
    if name and not _QUALIFIED_NAME.match(name):
        problems.append(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character"
        )
    return problems


def label_value_problems(value: str) -> list[str]:
    """IsValidLabelValue."""
    problems = []
    if len(value) > 63:
        problems.append("must be no more than 63 characters")
    if not _LABEL_VALUE.match(value):
        problems.append(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
            "'.', and must start and end with an alphanumeric character"
        )
    return problems


def suggest_dns1123_label(value: str) -> str | None:
    """A valid name close to ``value`` (for hints), or None."""
    fixed = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")[:63].strip("-")
    return fixed if fixed and fixed != value and _DNS1123_LABEL.match(fixed) else None


# ---------------------------------------------------------------------------------------------------------------
# Describing values and expectations


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


def _article(word: str) -> str:
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
        return f"{_article(spec.elem)} object (a mapping)"
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


# ---------------------------------------------------------------------------------------------------------------
# The walk


@dataclass(frozen=True)
class Context:
    """Where an object sits, which decides what a problem in it means.

    ``decoder``: None, or how Flyte decodes this pod spec: ``registered`` (TaskTemplate.k8s_pod, decoded by
    FlytePropeller), ``authoring`` (@task(pod_template=...): flytekit's V1 models, then FlytePropeller), ``override``
    (with_overrides(pod_template=...): the same, decoded by ApplyPodTemplateOverride).
    ``semantic``: check names, labels, annotations and required fields as the API server does.
    ``explain``: the ``kubectl explain`` path of the root object (``pod.spec``), for hints.
    ``primary``: the primary container's name (authoring views: flytekit replaces its command and args).
    ``refused_by``: who refuses a type error outside pod specs Flyte decodes (for the message).
    FlytePropeller's configuration, which it decodes weakly, is checked by ``engine.pack.plugin_options``'s checker.
    """

    decoder: str | None = None
    semantic: bool = True
    explain: str | None = None
    primary: str | None = None
    refused_by: str | None = None


class K8sChecker:
    """Walks Kubernetes objects, returns them as Kubernetes JSON, and records their problems in ``problems``."""

    def __init__(self, problems: Problems, context: Context) -> None:
        self.problems = problems
        self.context = context

    # -- objects ------------------------------------------------------------------------------------------------
    def object(
        self, value: Any, type_name: str, path: tuple, where: tuple, go: tuple = (), *, parent: str | None = None
    ) -> dict:
        """``value`` as a ``type_name`` object; ``parent`` is the type holding it (None at the root)."""
        value = from_model(value)
        fields = k8s_schema.fields(type_name)
        if not isinstance(value, dict):
            spec = k8s_schema.FieldSpec(kind="object", ptr=False, elem=type_name)
            self.type_error(value, spec, path, where, go, struct=parent or "")
            return {}
        result: dict = {}
        spelled: dict = {}
        for key, item in value.items():
            name = key if key in fields else camel(str(key))
            spec = fields.get(name)
            if spec is None:
                self.unknown(key, list(fields), type_name, path, where, go)
                continue
            if name in spelled:  # hostNetwork and host_network: which one wins depends on the reader
                self.problems.add(
                    "duplicate_key",
                    f"{name!r} is given twice: as {str(spelled[name])!r} and as {str(key)!r}",
                    path + (name,),
                    where + (key,),
                    key=True,
                    hint="keep one spelling: camelCase, as Kubernetes writes it",
                )
                continue
            spelled[name] = key
            if item is None:
                continue  # JSON null: Go leaves the zero value
            result[name] = self.field(item, spec, type_name, path + (name,), where + (key,), go + (name,))
        if self.context.semantic:
            self.required(result, type_name, fields, path, where, go)
            check = TYPE_CHECKS.get(type_name)
            if check is not None:
                check(self, result, path, where, value)
        return result

    def field(self, value: Any, spec: k8s_schema.FieldSpec, struct: str, path: tuple, where: tuple, go: tuple) -> Any:
        value = from_model(value)
        kind = spec.kind
        if kind == "object":
            if not isinstance(value, dict):
                self.type_error(value, spec, path, where, go, struct=struct)
                return {}
            return self.object(value, spec.elem, path, where, go, parent=struct)
        if kind == "list":
            if not isinstance(value, (list, tuple)):
                self.type_error(value, spec, path, where, go, struct=struct)
                return []
            items = [from_model(item) for item in value]
            result = []
            for segment, index, item in zip(item_segments(spec, items), range(len(items)), items):
                if item is None:
                    self.problems.add(
                        "invalid_type",
                        f"expected {expected(_element(spec))}, got null",
                        path + (segment,),
                        where + (index,),
                        hint="remove the empty item",
                    )
                    continue
                if spec.elem_is_type:
                    result.append(self.object(item, spec.elem, path + (segment,), where + (index,), go, parent=struct))
                else:
                    result.append(
                        self.scalar(item, spec, struct, path + (segment,), where + (index,), go, element=True)
                    )
            return result
        if kind == "map":
            if not isinstance(value, dict):
                self.type_error(value, spec, path, where, go, struct=struct)
                return {}
            result_map = {}
            for key, item in value.items():
                key = str(key)
                if item is None and not spec.elem_is_type:
                    result_map[key] = ""  # Go decodes null into "" (a map entry stays)
                elif spec.elem_is_type:
                    result_map[key] = self.object(item, spec.elem, path + (key,), where + (key,), go, parent=struct)
                else:
                    result_map[key] = self.scalar(item, spec, struct, path + (key,), where + (key,), go, element=True)
            return result_map
        return self.scalar(value, spec, struct, path, where, go)

    def scalar(
        self,
        value: Any,
        spec: k8s_schema.FieldSpec,
        struct: str,
        path: tuple,
        where: tuple,
        go: tuple,
        *,
        element: bool = False,
    ) -> Any:
        kind = (spec.elem or "string") if element else spec.kind
        scalar_spec = k8s_schema.FieldSpec(kind=kind, ptr=False) if element else spec
        ok = True
        if kind == "string":
            ok = isinstance(value, str)
        elif kind == "bool":
            ok = isinstance(value, bool)
        elif kind in ("int", "intorstring"):
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # a protobuf Struct holds every number as a double; 30.0 decodes as 30
            ok = (isinstance(value, int) and not isinstance(value, bool)) or (
                kind == "intorstring" and isinstance(value, str)
            )
        elif kind == "float":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif kind == "quantity":
            return self.quantity(value, spec, struct, path, where, go, element=element)
        elif kind == "time":
            ok = isinstance(value, str)
        if not ok:
            self.type_error(value, spec, path, where, go, struct=struct, element=element, scalar_spec=scalar_spec)
        return value

    def quantity(
        self,
        value: Any,
        spec: k8s_schema.FieldSpec,
        struct: str,
        path: tuple,
        where: tuple,
        go: tuple,
        *,
        element: bool,
    ) -> Any:
        try:
            text = quantity.to_text(value)
            quantity.parse(text)
        except quantity.QuantityError:
            message = f"expected a quantity (e.g. 500m, 2, 1.5Gi), got {describe(value)}"
            hint = type_hint(k8s_schema.FieldSpec(kind="quantity", ptr=False), value) or (
                "a quantity is a number with an optional suffix: m (milli), k, M, G, T (powers of 1000), "
                "Ki, Mi, Gi, Ti (powers of 1024), or an exponent (1e3)"
            )
            if self.context.decoder:
                go_error = go_decode_error(value, spec, struct, go, element=element)
                self.problems.add(
                    "pod_spec_decode",
                    f"{message}; {self.decode_consequence(go_error, path)}",
                    path,
                    where,
                    hint=hint,
                    build=True,
                )
            else:
                self.problems.add("invalid_quantity", message + self.refusal(), path, where, hint=hint)
            return value
        return text

    # -- problems -----------------------------------------------------------------------------------------------
    def type_error(
        self,
        value: Any,
        spec: k8s_schema.FieldSpec,
        path: tuple,
        where: tuple,
        go: tuple,
        *,
        struct: str,
        element: bool = False,
        scalar_spec: k8s_schema.FieldSpec | None = None,
    ) -> None:
        shown = scalar_spec or spec
        message = f"expected {expected(shown)}, got {describe(value)}"
        hint = type_hint(shown, value) or self.explain(go)
        if self.context.decoder:
            go_error = go_decode_error(value, spec, struct, go, element=element)
            model = "V1" + (struct or spec.elem or "PodSpec")
            self.problems.add(
                "pod_spec_decode",
                f"{message}; {self.decode_consequence(go_error, path, model)}",
                path,
                where,
                hint=hint,
                build=True,
            )
        else:
            self.problems.add("invalid_type", message + self.refusal(), path, where, hint=hint)

    def explain(self, go: tuple) -> str | None:
        """Where the field is documented: ``kubectl explain pod.spec.containers.command``."""
        if not self.context.explain:
            return None
        return f"see `kubectl explain {'.'.join((self.context.explain, *go))}`"

    def refusal(self) -> str:
        return f"; {self.context.refused_by}" if self.context.refused_by else ""

    def decode_consequence(self, go_error: str, path: tuple, model: str | None = None) -> str:
        """What Flyte does with a pod spec value that does not fit the Go type."""
        propeller = (
            "FlytePropeller fails the task: [BadTaskSpecification] Unable to unmarshal task k8s pod "
            f"[...], Err: [{go_error}]"
        )
        if self.context.decoder == "registered":
            return propeller
        if self.context.decoder == "override":
            propeller = f"FlytePropeller fails the task when it applies the override: {go_error}"
        refused = (
            "flytekit refuses it when the task is defined (kubernetes>=37: pydantic ValidationError"
            f"{' in ' + model if model else ''})"
        )
        replaced = self.replaced_by_flytekit(path)
        if replaced:
            return (
                f"{refused}; with an older kubernetes client flytekit replaces the primary container's {replaced} "
                "with the task's"
            )
        return f"{refused}; with an older kubernetes client {propeller}"

    def replaced_by_flytekit(self, path: tuple) -> str | None:
        """command/args of the primary container, which flytekit's _serialize_pod_spec overwrites."""
        primary = self.context.primary
        if primary is None or len(path) < 2:
            return None
        for index, segment in enumerate(path[:-1]):
            if (
                isinstance(segment, _paths.Key)
                and segment.value == primary
                and index > 0
                and path[index - 1] == "containers"
                and path[index + 1] in ("command", "args")
            ):
                return str(path[index + 1])
        return None

    def unknown(self, key: Any, known: list, type_name: str, path: tuple, where: tuple, go: tuple) -> None:
        close = difflib.get_close_matches(camel(str(key)), known, n=1) or difflib.get_close_matches(
            str(key), known, n=1, cutoff=0.5
        )
        hint = f"did you mean {close[0]!r}?" if close else (self.explain(go) or f"{type_name} has no such field")
        if self.context.decoder:
            hint += "; FlytePropeller's decoder would drop it silently"
        self.problems.add(
            "unknown_key",
            f"unknown field {str(key)!r} of {type_name}",
            path + (str(key),),
            where + (key,),
            hint=hint,
            key=True,
        )

    def required(self, result: dict, type_name: str, fields: Any, path: tuple, where: tuple, go: tuple) -> None:
        for name, spec in fields.items():
            if not spec.required or result.get(name) not in (None, ""):
                continue  # the API server's Required() tests a string's length: "" is missing too
            if type_name == "PodSpec" and name == "containers":
                continue  # flytekit adds the primary; FlytePropeller's own check names it; PodTemplates: scenario.py
            explain = self.explain((*go, name))
            self.problems.add(
                "missing_field",
                f"{_article(type_name)} needs {name!r}{self.refusal() or '; Kubernetes refuses the object without it'}",
                path + (name,),
                where,
                hint=f"set {name}" + (f"; {explain}" if explain else ""),
            )

    def invalid(
        self,
        code: str,
        what: str,
        value: str,
        problems: list[str],
        path: tuple,
        where: tuple,
        *,
        hint: str | None = None,
        key: bool = False,
    ) -> None:
        message = f"invalid {what} {shorten(json.dumps(value, ensure_ascii=False))}: {'; '.join(problems)}"
        self.problems.add(code, message, path, where, hint=hint or "Kubernetes refuses it", key=key)

    # -- Kubernetes' validation ---------------------------------------------------------------------------------
    def labels(self, labels: Any, path: tuple, where: tuple, what: str = "label") -> None:
        if not isinstance(labels, dict):
            return
        for key, value in labels.items():
            key_problems = qualified_name_problems(key)
            if key_problems:
                self.invalid("invalid_label", f"{what} key", key, key_problems, path + (key,), where + (key,), key=True)
            if isinstance(value, str):
                value_problems = label_value_problems(value)
                if value_problems:
                    self.invalid("invalid_label", f"{what} value", value, value_problems, path + (key,), where + (key,))

    def annotations(self, annotations: Any, path: tuple, where: tuple) -> None:
        if not isinstance(annotations, dict):
            return
        size = 0
        for key, value in annotations.items():
            key_problems = qualified_name_problems(key.lower())
            if key_problems:
                self.invalid(
                    "invalid_annotation", "annotation key", key, key_problems, path + (key,), where + (key,), key=True
                )
            size += len(key.encode()) + len(str(value).encode())
        if size > ANNOTATIONS_MAX_BYTES:
            self.problems.add(
                "invalid_annotation",
                f"annotations are {size} bytes, more than Kubernetes' limit of {ANNOTATIONS_MAX_BYTES}",
                path,
                where,
                hint="Kubernetes refuses the object",
            )

    def resource_list(self, values: dict, path: tuple, where: tuple) -> None:
        """ValidateResourceQuantityValue: a request or limit is not negative (the format is a type check)."""
        for name, value in values.items():
            try:
                negative = quantity.value_of(value) < 0
            except quantity.QuantityError:
                continue  # reported as a quantity error already
            if negative:
                self.problems.add(
                    "invalid_quantity",
                    f"{path[-1]} of {name} is {value}: must be greater than or equal to 0",
                    path + (name,),
                    where + (name,),
                    hint="Kubernetes refuses negative resource quantities",
                )

    def name(self, value: Any, what: str, path: tuple, where: tuple) -> None:
        if not isinstance(value, str) or not value:
            return
        problems = dns1123_label_problems(value)
        if problems:
            suggestion = suggest_dns1123_label(value)
            self.invalid(
                "invalid_name",
                what,
                value,
                problems,
                path,
                where,
                hint=f'did you mean "{suggestion}"? Kubernetes refuses it' if suggestion else None,
            )


def _element(spec: k8s_schema.FieldSpec) -> k8s_schema.FieldSpec:
    if spec.elem_is_type:
        return k8s_schema.FieldSpec(kind="object", ptr=False, elem=spec.elem)
    return k8s_schema.FieldSpec(kind=spec.elem or "string", ptr=False)


# ---------------------------------------------------------------------------------------------------------------
# Per-type checks (the API server's ValidatePodSpec, ValidateObjectMeta ...), one registry keyed by type name


def _check_pod_spec(checker: K8sChecker, spec: dict, path: tuple, where: tuple, raw: dict) -> None:
    seen: dict[str, tuple] = {}
    for field in ("containers", "initContainers", "ephemeralContainers"):
        items = spec.get(field) or []
        raw_items = raw.get(field) or raw.get(snake(field)) or []
        raw_key = field if field in raw else snake(field)
        for segment, index, item in zip(
            item_segments(k8s_schema.field("PodSpec", field), items), range(len(items)), items
        ):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str) or not name:
                continue
            item_path = path + (field, segment, "name")
            item_where = where + (raw_key, index, "name") if index < len(raw_items) else where
            checker.name(name, "container name", item_path, item_where)
            if name in seen:
                first = _paths.render(seen[name])
                checker.problems.add(
                    "duplicate_name",
                    f"container name {json.dumps(name)} is used twice (first at {first})",
                    item_path,
                    item_where,
                    hint="container names must be unique across containers and initContainers; "
                    "Kubernetes refuses the Pod",
                )
            else:
                seen[name] = path + (field, segment)
    volume_names: dict[str, tuple] = {}
    volumes = spec.get("volumes") or []
    volumes_spec = k8s_schema.field("PodSpec", "volumes")
    for segment, index, volume in zip(item_segments(volumes_spec, volumes), range(len(volumes)), volumes):
        name = volume.get("name") if isinstance(volume, dict) else None
        if not isinstance(name, str) or not name:
            continue
        volume_path = path + ("volumes", segment, "name")
        volume_where = where + ("volumes", index, "name")
        checker.name(name, "volume name", volume_path, volume_where)
        if name in volume_names:
            checker.problems.add(
                "duplicate_name",
                f"volume name {json.dumps(name)} is used twice (first at {_paths.render(volume_names[name])})",
                volume_path,
                volume_where,
                hint="volume names must be unique; Kubernetes refuses the Pod",
            )
        else:
            volume_names[name] = path + ("volumes", segment)
    if "nodeSelector" in spec:
        checker.labels(
            spec["nodeSelector"],
            path + ("nodeSelector",),
            where + (_raw_key(raw, "nodeSelector"),),
            what="nodeSelector",
        )
    _check_volume_mounts(checker, spec, volume_names, path, where, raw)


def _check_volume_mounts(checker: K8sChecker, spec: dict, volumes: dict, path: tuple, where: tuple, raw: dict) -> None:
    """validateVolumeMounts: every mount names a volume of the pod (``Not found``)."""
    for field in ("containers", "initContainers", "ephemeralContainers"):
        items = spec.get(field) or []
        raw_key = field if field in raw else snake(field)
        list_spec = k8s_schema.field("PodSpec", field)
        mounts_spec = k8s_schema.field(list_spec.elem, "volumeMounts") if list_spec is not None else None
        for segment, index, item in zip(item_segments(list_spec, items), range(len(items)), items):
            mounts = item.get("volumeMounts") if isinstance(item, dict) else None
            if not isinstance(mounts, list):
                continue
            mounts_path = path + (field, segment, "volumeMounts")
            for mount_segment, mount_index, mount in zip(
                item_segments(mounts_spec, mounts), range(len(mounts)), mounts
            ):
                name = mount.get("name") if isinstance(mount, dict) else None
                if not isinstance(name, str) or not name or name in volumes:
                    continue
                known = ", ".join(sorted(volumes)) or "none"
                checker.problems.add(
                    "volume_not_found",
                    f"volumeMount names the volume {json.dumps(name)}, which "
                    f"is not in the pod's volumes (Not found; volumes: {known})",
                    mounts_path + (mount_segment, "name"),
                    where + (raw_key, index, "volumeMounts", mount_index, "name"),
                    hint="add the volume to the pod spec's volumes, or fix the name",
                )


def _check_object_meta(checker: K8sChecker, meta: dict, path: tuple, where: tuple, raw: dict) -> None:
    if "labels" in meta:
        checker.labels(meta["labels"], path + ("labels",), where + (_raw_key(raw, "labels"),))
    if "annotations" in meta:
        checker.annotations(meta["annotations"], path + ("annotations",), where + (_raw_key(raw, "annotations"),))


def _check_resources(checker: K8sChecker, resources: dict, path: tuple, where: tuple, raw: dict) -> None:
    for field in ("requests", "limits"):
        checker.resource_list(resources.get(field) or {}, path + (field,), where + (_raw_key(raw, field),))
    limits = resources.get("limits") or {}
    for name, request in (resources.get("requests") or {}).items():  # ValidateResourceRequirements
        request_path, request_where = path + ("requests", name), where + (_raw_key(raw, "requests"), name)
        overcommit = _overcommit_allowed(name)
        if name not in limits:
            if not overcommit:
                checker.problems.add(
                    "request_over_limit",
                    f"request {request} of {name}: Limit must be set for non overcommitable resources",
                    request_path,
                    request_where,
                    hint=f"an extended resource needs limits.{name}, equal to the request",
                )
            continue
        try:
            wanted, limit = quantity.value_of(request), quantity.value_of(limits[name])
        except quantity.QuantityError:
            continue  # reported as a quantity error already
        if not overcommit and wanted != limit:
            checker.problems.add(
                "request_over_limit",
                f"request {request}: must be equal to {name} limit of {limits[name]}",
                request_path,
                request_where,
                hint="an extended resource's request and limit must be equal",
            )
        elif wanted > limit:
            checker.problems.add(
                "request_over_limit",
                f"request {request}: must be less than or equal to {name} limit of {limits[name]}",
                request_path,
                request_where,
                hint="Kubernetes refuses a request above its limit",
            )


def _overcommit_allowed(name: str) -> bool:
    """helper.IsOvercommitAllowed: native resources (no prefix, or kubernetes.io/), not hugepages."""
    return ("/" not in name or "kubernetes.io/" in name) and not name.startswith("hugepages-")


TYPE_CHECKS: dict[str, Callable] = {
    "PodSpec": _check_pod_spec,
    "ObjectMeta": _check_object_meta,
    "ResourceRequirements": _check_resources,
}


# ---------------------------------------------------------------------------------------------------------------
# helpers

_SNAKE = re.compile(r"_([a-z0-9])")
_CAMEL = re.compile(r"([A-Z])")


def camel(name: str) -> str:
    """``host_network`` -> ``hostNetwork`` (the kubernetes client's to_dict() and Python spellings)."""
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


def snake(name: str) -> str:
    return _CAMEL.sub(lambda m: "_" + m.group(1).lower(), name)


def _raw_key(raw: dict, name: str) -> str:
    return name if name in raw or snake(name) not in raw else snake(name)


def item_segments(spec: k8s_schema.FieldSpec | None, items: list) -> list:
    """The path segment of every item of the list field ``spec``: by key where the list is keyed
    (``containers[name=primary]``), else by index. Items may still carry snake_case keys (``mount_path``); a key
    value that is neither a string nor a number is not used."""
    return _paths.item_segments(spec, items, _input_key)


def _input_key(item: object, key_field: str) -> object:
    if not isinstance(item, dict):
        return None
    value = item.get(key_field) if key_field in item else item.get(snake(key_field))
    return value if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def from_model(value: Any) -> Any:
    """A kubernetes.client model object as Kubernetes JSON (camelCase); anything else unchanged."""
    if type(value).__module__.startswith("kubernetes.") and hasattr(value, "to_dict"):
        from kubernetes.client import ApiClient  # only when the caller passes model objects

        return ApiClient().sanitize_for_serialization(value)
    return value
