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

The walk is here (``K8sChecker``, with the ``Context`` that decides what a problem means); its parts are beside it:
``problems.py`` (problems collected and raised together), ``names.py`` (name and label rules), ``describe.py``
(words for values, types and Go's decode errors), ``pod_checks.py`` (the per-type checks), ``spelling.py``
(camelCase and snake_case, client models). Types and fields come from the walker (``walker.py``).
"""

from __future__ import annotations

import difflib
import json
from typing import Any, NamedTuple

from . import k8s_schema, quantity
from . import paths as _paths
from .describe import article, describe, expected, go_decode_error, shorten, type_hint
from .names import (
    ANNOTATIONS_MAX_BYTES,
    dns1123_label_problems,
    dns1123_subdomain_problems,
    label_value_problems,
    qualified_name_problems,
    suggest_dns1123_label,
)
from .pod_checks import TYPE_CHECKS
from .problems import MAX_PROBLEMS, Problems, TooManyProblems, raise_together
from .spelling import camel, from_model, lazy_item_segments, snake
from .walker import PYTHON_TYPES, type_table

# The checker's parts, as the modules that read Kubernetes objects import them (with the checker, from here).
__all__ = [
    "MAX_PROBLEMS",
    "Context",
    "K8sChecker",
    "Problems",
    "TooManyProblems",
    "camel",
    "describe",
    "dns1123_label_problems",
    "dns1123_subdomain_problems",
    "expected",
    "from_model",
    "raise_together",
    "snake",
    "type_hint",
]


class Context(NamedTuple):
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


_NO_FIELDS: dict = {}


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
        table = type_table(type_name)
        fields = table.fields if table is not None else _NO_FIELDS
        if not isinstance(value, dict):
            spec = k8s_schema.FieldSpec(kind="object", ptr=False, elem=type_name)
            self.type_error(value, spec, path, where, go, struct=parent or "")
            return {}
        result: dict = {}
        spelled: dict = {}
        for key, item in value.items():
            name = key if key in fields else camel(str(key))
            slot = fields.get(name)
            if slot is None:
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
            if type(item) in slot.python_types:  # a plain scalar of the right type: nothing to check or convert
                result[name] = item
                continue
            result[name] = self.field(item, slot.spec, type_name, path + (name,), where + (key,), go + (name,))
        if self.context.semantic:
            self.required(result, type_name, table.required if table is not None else _NO_FIELDS, path, where, go)
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
            elem_types = () if spec.elem_is_type else PYTHON_TYPES.get(spec.elem or "string", ())
            for segment, index, item in zip(lazy_item_segments(spec, items), range(len(items)), items):
                if type(item) in elem_types:  # a plain scalar of the right type
                    result.append(item)
                    continue
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
            elem_types = () if spec.elem_is_type else PYTHON_TYPES.get(spec.elem or "string", ())
            for key, item in value.items():
                key = str(key)
                if type(item) in elem_types:  # a plain scalar of the right type
                    result_map[key] = item
                    continue
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
        path = _paths.resolved(path)
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
        """``fields``: the type's required fields (``TypeTable.required``), by JSON name."""
        for name in fields:
            if result.get(name) not in (None, ""):
                continue  # the API server's Required() tests a string's length: "" is missing too
            if type_name == "PodSpec" and name == "containers":
                continue  # flytekit adds the primary; FlytePropeller's own check names it; PodTemplates: scenario.py
            explain = self.explain((*go, name))
            self.problems.add(
                "missing_field",
                f"{article(type_name)} needs {name!r}{self.refusal() or '; Kubernetes refuses the object without it'}",
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
