"""The scenario: everything that decides one task Pod (contract §2), loaded, validated and normalised.

Accepted forms: a file path (YAML or JSON, ``-`` for stdin), YAML text, a dict, or ``kubernetes.client`` model
objects wherever a Kubernetes object is expected. Normalisation, so that the engine sees one shape only:

* scenario keys in snake_case become camelCase (``pod_template_name`` -> ``podTemplateName``);
* Kubernetes objects get their JSON field names (``to_dict()``'s ``host_network`` -> ``hostNetwork``), model
  objects are serialised as the API client would;
* an env map ``{K: V}`` becomes ``[{name: K, value: V}]``;
* ``propeller.config`` may be the whole ``plugins: {k8s: {...}}`` document;
* ``podTemplates`` may be a ``kind: List`` (``kubectl get podtemplates -o yaml``) or a single PodTemplate.

Unknown keys are errors that name the path, the file position and the nearest known key.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import k8s_schema
from . import paths as _paths
from .errors import InputError
from .yamlio import Document, load_document

# The shape of a scenario. A dict is a mapping with known keys; a string names a leaf kind:
#   str bool int map (of strings) any   k8s:<Type> (a Kubernetes object)   env (list or map of env vars)
#   resources ({requests, limits} of quantities)
_RESOURCES = {"requests": "quantities", "limits": "quantities"}
_POD_TEMPLATE_AUTHORING = {"primaryContainerName": "str", "labels": "map", "annotations": "map",
                           "podSpec": "k8s:PodSpec"}
_EXTENDED_RESOURCES = {
    "gpuAccelerator": {"device": "str", "partitionSize": "str", "unpartitioned": "bool"},
    "sharedMemory": {"mountName": "str", "mountPath": "str", "sizeLimit": "str"},
}
SCENARIO_SHAPE: dict = {
    "task": {
        "type": "str",
        "id": {"project": "str", "domain": "str", "name": "str", "version": "str"},
        "container": {"image": "str", "command": "strlist", "args": "strlist", "env": "env",
                      "resources": _RESOURCES},
        "podTemplate": _POD_TEMPLATE_AUTHORING,
        "k8sPod": {"metadata": {"labels": "map", "annotations": "map"}, "podSpec": "k8s:PodSpec",
                   "primaryContainerName": "str"},
        "config": "map",
        "podTemplateName": "str",
        "labels": "map",
        "annotations": "map",
        "interruptible": "bool",
        "extendedResources": _EXTENDED_RESOURCES,
        "defaultImage": "str",
    },
    "execution": {
        "namespace": "str",
        "podName": "str",
        "id": {"project": "str", "domain": "str", "name": "str"},
        "nodeId": "str",
        "attempt": "int",
        "serviceAccount": "str",
        "interruptible": "bool",
        "labels": "map",
        "annotations": "map",
        "envVars": "map",
        "platformResources": _RESOURCES,
        "overrides": {
            "resources": _RESOURCES,
            "containerImage": "str",
            "podTemplate": _POD_TEMPLATE_AUTHORING,
            "extendedResources": _EXTENDED_RESOURCES,
        },
    },
    "propeller": {"namespace": "str", "config": "any", "env": "map", "configSource": "any"},
    "podTemplates": "podtemplates",
    "cluster": "any",
}

_SNAKE = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), name)


@dataclass
class Scenario:
    """A validated, normalised scenario. ``data`` is plain JSON-like data; ``document`` locates its parts."""

    data: dict
    filename: str | None = None
    document: Document | None = None

    def locate(self, path: tuple) -> tuple[int | None, int | None]:
        if self.document is None:
            return None, None
        found = self.document.locate(path)
        return found if found else (None, None)


class _Normaliser:
    def __init__(self, filename: str | None, document: Document | None) -> None:
        self.filename = filename
        self.document = document
        self.problems: list[InputError] = []

    def error(self, code: str, message: str, path: tuple, hint: str | None = None,
              original: tuple | None = None) -> None:
        line = column = None
        if self.document is not None:
            found = self.document.locate(original if original is not None else path)
            if found:
                line, column = found
        self.problems.append(InputError(code, message, path=_paths.render(path) or None, file=self.filename,
                                        line=line, column=column, hint=hint))

    # -- scenario structure -------------------------------------------------------------------------------------
    def shape(self, value: Any, shape: Any, path: tuple, original: tuple) -> Any:
        if isinstance(shape, dict):
            if not isinstance(value, dict):
                self.error("invalid_type", f"expected a mapping, got {_describe(value)}", path, original=original)
                return {}
            result = {}
            for key, item in value.items():
                name = camel(key) if isinstance(key, str) else key
                if name not in shape:
                    close = difflib.get_close_matches(str(name), sorted(shape), n=1)
                    self.error("unknown_key", f"unknown key {key!r}", path + (key,),
                               hint=f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(shape))}",
                               original=original + (key,))
                    continue
                result[name] = self.shape(item, shape[name], path + (name,), original + (key,))
            return result
        return self.leaf(value, shape, path, original)

    def leaf(self, value: Any, kind: str, path: tuple, original: tuple) -> Any:
        if value is None:
            return None
        if kind == "str":
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                self.error("invalid_type", f"expected a string, got {_describe(value)}", path, original=original)
                return None
            return value if isinstance(value, str) else str(value)
        if kind == "bool":
            if not isinstance(value, bool):
                self.error("invalid_type", f"expected true or false, got {_describe(value)}", path, original=original)
                return None
            return value
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                self.error("invalid_type", f"expected an integer, got {_describe(value)}", path, original=original)
                return None
            return value
        if kind == "strlist":
            if isinstance(value, str):
                self.error("invalid_type", f"expected a list of strings, got {_describe(value)}", path,
                           hint=f"did you mean [{value!r}]?", original=original)
                return None
            if not isinstance(value, list):
                self.error("invalid_type", f"expected a list of strings, got {_describe(value)}", path, original=original)
                return None
            return [str(v) if not isinstance(v, str) else v for v in value]
        if kind == "map":
            if not isinstance(value, dict):
                self.error("invalid_type", f"expected a mapping of strings, got {_describe(value)}", path,
                           original=original)
                return {}
            result = {}
            for key, item in value.items():
                if isinstance(item, (dict, list)):
                    self.error("invalid_type", f"expected a string value, got {_describe(item)}", path + (key,),
                               original=original + (key,))
                    continue
                result[str(key)] = _string(item)
            return result
        if kind == "quantities":
            if not isinstance(value, dict):
                self.error("invalid_type", f"expected a mapping of resource quantities, got {_describe(value)}", path,
                           original=original)
                return {}
            return {str(k): _quantity_text(v) for k, v in value.items()}
        if kind == "env":
            return self.env(value, path, original)
        if kind.startswith("k8s:"):
            return self.k8s(value, kind[4:], path, original)
        if kind == "podtemplates":
            return self.pod_templates(value, path, original)
        return _plain(value)

    def env(self, value: Any, path: tuple, original: tuple) -> list:
        if isinstance(value, dict):
            return [{"name": str(k), "value": _string(v)} for k, v in value.items()]
        if isinstance(value, list):
            return [self.k8s(item, "EnvVar", path + (index,), original + (index,)) for index, item in enumerate(value)]
        self.error("invalid_type", f"expected a list of env vars or a {{NAME: value}} map, got {_describe(value)}", path,
                   original=original)
        return []

    def pod_templates(self, value: Any, path: tuple, original: tuple) -> list:
        if isinstance(value, dict) and value.get("kind") == "List":
            value = value.get("items") or []
            original = original + ("items",)
        elif isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            self.error("invalid_type", f"expected a list of PodTemplates, got {_describe(value)}", path, original=original)
            return []
        result = []
        for index, item in enumerate(value):
            item = _from_model(item)
            if isinstance(item, dict) and item.get("kind") == "List":
                result.extend(self.pod_templates(item, path + (index,), original + (index,)))
                continue
            if not isinstance(item, dict):
                self.error("invalid_type", f"expected a PodTemplate, got {_describe(item)}", path + (index,),
                           original=original + (index,))
                continue
            kind = item.get("kind", "PodTemplate")
            if kind != "PodTemplate":
                self.error("wrong_kind", f"expected kind PodTemplate, got {kind!r}", path + (index, "kind"),
                           original=original + (index, "kind"), hint="only PodTemplate objects are runtime templates")
                continue
            template = self.k8s(item, "PodTemplate", path + (index,), original + (index,))
            name = (template.get("metadata") or {}).get("name")
            if not name:
                self.error("missing_name", "a PodTemplate needs metadata.name", path + (index, "metadata"),
                           original=original + (index,), hint="FlytePropeller finds runtime templates by name")
            result.append(template)
        return result

    # -- Kubernetes objects -------------------------------------------------------------------------------------
    def k8s(self, value: Any, type_name: str, path: tuple, original: tuple) -> Any:
        value = _from_model(value)
        fields = k8s_schema.fields(type_name)
        if not fields:
            return _plain(value)
        if not isinstance(value, dict):
            self.error("invalid_type", f"expected a {type_name} object, got {_describe(value)}", path, original=original)
            return {}
        result: dict = {}
        for key, item in value.items():
            name = key if key in fields else camel(str(key))
            if name not in fields:
                close = difflib.get_close_matches(str(key), list(fields), n=1)
                self.error("unknown_key", f"unknown field {key!r} of {type_name}", path + (key,),
                           hint=f"did you mean {close[0]!r}?" if close else None, original=original + (key,))
                continue
            if item is None:
                continue
            result[name] = self.k8s_field(item, fields[name], path + (name,), original + (key,))
        return result

    def k8s_field(self, value: Any, spec: k8s_schema.FieldSpec, path: tuple, original: tuple) -> Any:
        kind = spec.kind
        if kind == "object":
            return self.k8s(value, spec.elem, path, original)
        if kind == "list":
            if not isinstance(value, list):
                hint = f"did you mean [{value!r}]?" if isinstance(value, (str, int)) else None
                self.error("invalid_type", f"expected a list, got {_describe(value)}", path, hint=hint, original=original)
                return []
            items = []
            for index, item in enumerate(value):
                if spec.elem_is_type:
                    items.append(self.k8s(item, spec.elem, path + (index,), original + (index,)))
                else:
                    items.append(self.k8s_scalar(item, spec.elem or "string", path + (index,), original + (index,)))
            return items
        if kind == "map":
            if not isinstance(value, dict):
                self.error("invalid_type", f"expected a mapping, got {_describe(value)}", path, original=original)
                return {}
            if spec.elem_is_type:
                return {str(k): self.k8s(v, spec.elem, path + (k,), original + (k,)) for k, v in value.items()}
            return {str(k): self.k8s_scalar(v, spec.elem or "string", path + (k,), original + (k,))
                    for k, v in value.items()}
        return self.k8s_scalar(value, kind, path, original)

    def k8s_scalar(self, value: Any, kind: str, path: tuple, original: tuple) -> Any:
        if kind == "string":
            if not isinstance(value, str):
                hint = f"did you mean {str(value).lower() if isinstance(value, bool) else value!s:}?" if isinstance(
                    value, (int, float, bool)) else None
                self.error("invalid_type", f"expected a string, got {_describe(value)}", path,
                           hint=f"quote it: \"{value}\"" if hint else None, original=original)
                return str(value)
            return value
        if kind == "bool":
            if not isinstance(value, bool):
                self.error("invalid_type", f"expected true or false, got {_describe(value)}", path, original=original)
            return value
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                self.error("invalid_type", f"expected an integer, got {_describe(value)}", path, original=original)
            return value
        if kind == "quantity":
            return _quantity_text(value)
        if kind == "intorstring":
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                self.error("invalid_type", f"expected an integer or a string, got {_describe(value)}", path,
                           original=original)
            return value
        return _plain(value)


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _quantity_text(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return value


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _from_model(value: Any) -> Any:
    """A kubernetes.client model object as Kubernetes JSON (camelCase); anything else unchanged."""
    if type(value).__module__.startswith("kubernetes.") and hasattr(value, "to_dict"):
        from kubernetes.client import ApiClient  # only when the caller passes model objects

        return ApiClient().sanitize_for_serialization(value)
    return value


def _plain(value: Any) -> Any:
    value = _from_model(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def to_plain_k8s(value: Any, type_name: str) -> Any:
    """A Kubernetes object (dict, snake_case dict or model) as Kubernetes JSON; raises InputError on problems."""
    normaliser = _Normaliser(None, None)
    result = normaliser.k8s(value, type_name, (), ())
    _raise(normaliser.problems)
    return result


def _raise(problems: list[InputError]) -> None:
    if not problems:
        return
    first = problems[0]
    if len(problems) > 1:
        others = "; ".join(str(p) for p in problems[1:4])
        more = f" (and {len(problems) - 1} more: {others}{' ...' if len(problems) > 4 else ''})"
        raise InputError(first.code, first.message + more, path=first.path, file=first.file, line=first.line,
                         column=first.column, hint=first.hint)
    raise first


def _normalise_config(config: Any) -> Any:
    if isinstance(config, dict) and "plugins" in config and isinstance(config["plugins"], dict):
        k8s = config["plugins"].get("k8s")
        return k8s if isinstance(k8s, dict) else {}
    return config


def load_scenario(source: Any, *, filename: str | None = None) -> Scenario:
    """Read and normalise a scenario from a path, ``-`` (stdin), YAML/JSON text, a dict or a Scenario."""
    if isinstance(source, Scenario):
        return source
    document: Document | None = None
    if isinstance(source, Path) or (isinstance(source, str) and (source == "-" or _looks_like_path(source))):
        if str(source) == "-":
            data = sys.stdin.buffer.read()
            filename = filename or "<stdin>"
        else:
            path = Path(source)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise InputError("unreadable", f"cannot read {path}: {exc.strerror or exc}", file=str(path),
                                 hint="check the path") from None
            filename = filename or str(path)
        document = load_document(data, filename)
        raw = document.value
    elif isinstance(source, (str, bytes)):
        filename = filename or "<string>"
        document = load_document(source, filename)
        raw = document.value
    elif isinstance(source, dict):
        raw = source
    else:
        raise InputError("invalid_scenario", f"cannot read a scenario from {type(source).__name__}",
                         hint="pass a path, YAML text, a dict or an engine.Scenario")
    if raw is None:
        raw = {}
    normaliser = _Normaliser(filename, document)
    data = normaliser.shape(raw, SCENARIO_SHAPE, (), ())
    propeller = data.get("propeller")
    if isinstance(propeller, dict) and "config" in propeller:
        config = _normalise_config(propeller.get("config"))
        if config is not None and not isinstance(config, dict):
            normaliser.error("invalid_type", "expected the plugins.k8s mapping of FlytePropeller's config",
                             ("propeller", "config"))
            config = {}
        propeller["config"] = config or {}
    _raise(normaliser.problems)
    return Scenario(data, filename, document)


def _looks_like_path(text: str) -> bool:
    if "\n" in text or len(text) > 4096:
        return False
    return text.endswith((".yaml", ".yml", ".json")) or Path(text).is_file()
