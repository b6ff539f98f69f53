"""The scenario: everything that decides one task Pod (contract §2), loaded, validated and normalised.

Accepted forms: a file path (YAML or JSON, ``-`` for stdin), YAML text, a dict, or ``kubernetes.client`` model
objects wherever a Kubernetes object is expected. Normalisation, so that the engine sees one shape only:

* scenario keys in snake_case become camelCase (``pod_template_name`` -> ``podTemplateName``);
* Kubernetes objects get their JSON field names (``to_dict()``'s ``host_network`` -> ``hostNetwork``), model
  objects are serialised as the API client would; numbers a protobuf Struct made doubles (``30.0``) become integers;
* an env map ``{K: V}`` becomes ``[{name: K, value: V}]``;
* ``propeller.config`` may be the whole ``plugins: {k8s: {...}}`` document;
* ``podTemplates`` may be a ``kind: List`` (``kubectl get podtemplates -o yaml``) or a single PodTemplate.

Validation reads the whole input and reports every problem together (``validate.Problems``): unknown keys with the
nearest known one, wrong types, Kubernetes objects checked as Flyte and Kubernetes check them (``validate``), and
contradictions (``task.podTemplate`` with ``task.k8sPod``, a k8sPod without ``primary_container_name``, a
PodTemplate without a name or of the wrong kind, duplicate names). docs/errors.md lists every error code.
"""

from __future__ import annotations

import difflib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..documents.yamlio import Document, load_document
from ..errors import InputError
from ..k8s import k8s_schema
from ..k8s import paths as _paths
from ..k8s.validate import (
    Context,
    K8sChecker,
    Problems,
    TooManyProblems,
    camel,
    describe,
    dns1123_label_problems,
    dns1123_subdomain_problems,
    from_model,
    snake,
    type_hint,
)
from ..pack import plugin_options
from .task_template import TEMPLATE_PARTS

# The shape of a scenario. A dict is a mapping with known keys; a string names a leaf kind (``_Normaliser.leaf``):
#   str bool int strlist map labels annotations resources quantity env any enum:<a|b> namespace
#   authoring:<decoder> (PodTemplate authoring view)   podspec:<decoder> (a pod spec Flyte decodes)
#   podtemplates   config
_RESOURCES = {"requests": "resources", "limits": "resources"}
_EXTENDED_RESOURCES = {
    "gpuAccelerator": {"device": "str", "partitionSize": "str", "unpartitioned": "bool"},
    "sharedMemory": {"mountName": "str", "mountPath": "str", "sizeLimit": "quantity"},
}
TASK_TYPES = ("python-task", "container", "raw-container", "sidecar")
# flyteidl core.DataLoadingConfig in protobuf's JSON mapping: co-pilot (engine/eval/copilot.py)
_DATA_CONFIG = {
    "enabled": "bool",
    "inputPath": "str",
    "outputPath": "str",
    "format": "enum:JSON|YAML|PROTO",
    "ioStrategy": {
        "downloadMode": "enum:DOWNLOAD_EAGER|DOWNLOAD_STREAM|DO_NOT_DOWNLOAD",
        "uploadMode": "enum:UPLOAD_ON_EXIT|UPLOAD_EAGER|DO_NOT_UPLOAD",
    },
}
# flyteidl core.TypedInterface: the variables (name -> Variable) are checked by flyteidl when co-pilot encodes them
_INTERFACE = {"inputs": {"variables": "variables"}, "outputs": {"variables": "variables"}}
# flytestdlib's storage and logger sections of FlytePropeller's configuration (storage/config.go, logger/config.go)
_STORAGE = {
    "type": "str",
    "container": "str",
    "enable-multicontainer": "bool",
    "connection": {
        "endpoint": "str",
        "auth-type": "str",
        "access-key": "str",
        "secret-key": "str",
        "region": "str",
        "disable-ssl": "bool",
    },
    "stow": {"kind": "str", "config": "map"},
    "cache": "any",
    "limits": "any",
    "defaultHttpClient": "any",
    "signedUrl": "any",
}
SCENARIO_SHAPE: dict = {
    "task": {
        "type": "enum:" + "|".join(TASK_TYPES),
        "id": {"project": "str", "domain": "str", "name": "str", "version": "str"},
        "container": {
            "image": "str",
            "command": "strlist",
            "args": "strlist",
            "env": "env",
            "resources": _RESOURCES,
            "dataConfig": _DATA_CONFIG,
        },
        "interface": _INTERFACE,
        "podTemplate": "authoring:authoring",
        "k8sPod": {
            "metadata": {"labels": "labels", "annotations": "annotations"},
            "podSpec": "podspec:registered",
            "dataConfig": _DATA_CONFIG,
        },
        "config": "map",
        "podTemplateName": "str",
        "labels": "labels",
        "annotations": "annotations",
        "interruptible": "bool",
        "extendedResources": _EXTENDED_RESOURCES,
        "defaultImage": "str",
        "template": "tasktemplate",  # the registered flyteidl TaskTemplate (engine/inputs/task_template.py)
        "custom": "any",  # TaskTemplate.custom, kept for plugins
    },
    "execution": {
        "namespace": "namespace",
        "podName": "str",
        "id": {"project": "str", "domain": "str", "name": "str"},
        "nodeId": "str",
        "workflow": "str",  # extension: the workflow id (project:domain:name), for the workflow-name label
        "attempt": "int",
        "serviceAccount": "str",
        "interruptible": "bool",
        "labels": "labels",
        "annotations": "annotations",
        "envVars": "map",
        "platformResources": _RESOURCES,
        "inputPath": "str",  # the execution's data locations, for co-pilot's command lines (engine/eval/copilot.py)
        "outputPrefix": "str",
        "rawOutputDataPrefix": "str",
        "overrides": {
            "resources": _RESOURCES,
            "containerImage": "str",
            "podTemplate": "authoring:override",
            "extendedResources": _EXTENDED_RESOURCES,
        },
    },
    "propeller": {
        "namespace": "namespace",
        "config": "config",
        "env": "map",
        "configSource": "any",
        "storage": _STORAGE,
        "logger": {"level": "int", "show-source": "any", "mute": "any", "formatter": "any"},
    },
    "podTemplates": "podtemplates",
    "cluster": "any",
}
# The authoring view of a PodTemplate: @task(pod_template=PodTemplate(...)), with_overrides(pod_template=...)
_AUTHORING = {"primaryContainerName": "str", "labels": "labels", "annotations": "annotations", "podSpec": "podspec"}
PRIMARY_CONTAINER_DEFAULT_NAME = "primary"  # flytekit's PodTemplate default
_RESOURCE_LIST = k8s_schema.FieldSpec(kind="map", ptr=False, elem="quantity")
_BOOL = k8s_schema.FieldSpec(kind="bool", ptr=False)
_INT = k8s_schema.FieldSpec(kind="int", ptr=False)

# Keys that are easy to put in the wrong place: a hint better than "did you mean".
_MISPLACED = {
    ("task", "k8sPod", "primaryContainerName"): "the registered task keeps it in task.config.primary_container_name",
    ("task", "k8sPod", "config"): "TaskTemplate.config is task.config, beside task.k8sPod",
    ("task", "primaryContainerName"): "it belongs to the pod template: task.podTemplate.primaryContainerName",
    ("task", "podSpec"): "a pod spec goes in task.podTemplate.podSpec (or task.k8sPod.podSpec)",
}

# What refuses a type error in each kind of Kubernetes object (for the message).
_POD_TEMPLATE_REFUSAL = "the API server refuses such a PodTemplate, so it cannot be in the cluster"
# What the task brings (its pod specs, labels, container) is checked here only as far as Flyte decodes it (types,
# field names): FlytePropeller builds a Pod from a container name or a label value the API server refuses, and the
# API server refuses that Pod. Those checks run on the rendered Pod (engine.k8s.apiserver), not here (semantic=False).
# PodTemplates exist only once the API server accepted them: checked whole here.
_CONTEXTS = {
    "registered": Context(decoder="registered", explain="pod.spec", semantic=False),
    "authoring": Context(decoder="authoring", explain="pod.spec", semantic=False),
    "override": Context(decoder="override", explain="pod.spec", semantic=False),
    "podTemplate": Context(refused_by=_POD_TEMPLATE_REFUSAL, explain="podtemplate"),
    "scenario": Context(),
    "task": Context(semantic=False),
}


@dataclass
class Scenario:
    """A validated, normalised scenario. ``data`` is plain JSON-like data; ``document`` locates its parts."""

    data: dict
    filename: str | None = None
    document: Document | None = None
    #: for a scenario assembled from several files (the CLI's ``--task``, ``--pod-templates`` ...): the raw dict and
    #: where each part came from (``load_scenario``'s ``origins``)
    raw: Any = field(default=None, repr=False)
    origins: dict | None = field(default=None, repr=False)
    #: how ``propeller.config`` was read from FlytePropeller's config files, when the CLI read them
    #: (``engine.inputs.propeller_config.Loaded``: each option's file and position, the loader's warnings)
    config_origin: Any = None

    def locate(self, path: tuple) -> tuple[int | None, int | None]:
        """``(line, column)`` in the file of a path of the normalised scenario (keyed list items, camelCase keys,
        the unwrapped ``propeller.config``), or of its nearest ancestor; ``(None, None)`` without a file."""
        if self.document is None:
            return None, None
        found = self.document.locate(raw_path(self.document.value, tuple(path)))
        return found if found else (None, None)

    def where(self, path: tuple) -> tuple[str | None, int | None, int | None]:
        """``(file, line, column)`` of a path of the normalised scenario, in the file that part came from."""
        if self.document is not None or not self.origins:
            return (self.filename, *self.locate(path))
        where = raw_path(self.raw, tuple(path))
        for length in range(len(where), -1, -1):  # the longest part that holds the path
            origin = self.origins.get(tuple(where[:length]))
            if origin is not None:
                filename, document, prefix = origin
                found = document.locate(tuple(prefix) + tuple(where[length:])) if document is not None else None
                return (filename, *(found or (None, None)))
        return self.filename, None, None


def raw_path(raw: Any, path: tuple) -> tuple:
    """The keys and indices, as written in the file, of a normalised path (as far as they can be followed)."""
    path = _template_path(raw, tuple(path))
    out: list = []
    node = raw
    for segment in path:
        if isinstance(segment, str) and isinstance(node, dict):
            key = (
                segment
                if segment in node
                else next((k for k in node if isinstance(k, str) and camel(k) == segment), None)
            )
            if key is None and tuple(out) == ("propeller", "config") and isinstance(node.get("plugins"), dict):
                k8s = node["plugins"].get("k8s")
                if isinstance(k8s, dict) and segment in k8s:
                    out += ["plugins", "k8s"]
                    node, key = k8s, segment
            if key is None:
                break
            out.append(key)
            node = node[key]
        elif isinstance(segment, _paths.Key) and isinstance(node, dict) and segment.value in node:
            out.append(segment.value)  # an env map {NAME: value}
            node = node[segment.value]
        elif isinstance(segment, _paths.Key) and isinstance(node, list):
            seen = 0
            for index, item in enumerate(node):
                if isinstance(item, dict) and segment.matches(item, lambda i, f: i.get(f, i.get(snake(f)))):
                    seen += 1
                    if seen == segment.occurrence:
                        out.append(index)
                        node = item
                        break
            else:
                break
        elif isinstance(segment, int) and isinstance(node, dict) and out[-1:] == ["podTemplates"]:
            items = node.get("items") if node.get("kind") == "List" else [node]
            if not isinstance(items, list) or segment >= len(items):
                break
            out += ["items", segment] if node.get("kind") == "List" else []
            node = items[segment]
        elif isinstance(segment, int) and isinstance(node, list) and 0 <= segment < len(node):
            out.append(segment)
            node = node[segment]
        else:
            break
    return tuple(out)


def _template_path(raw: Any, path: tuple) -> tuple:
    """A path of the task view of a scenario that gives `task.template`, as the path inside that template."""
    task = raw.get("task") if isinstance(raw, dict) and path[:1] == ("task",) else None
    if (
        isinstance(task, dict)
        and "template" in task
        and len(path) >= 2
        and path[1] not in task
        and path[1] in TEMPLATE_PARTS
    ):
        from .task_template import unwrap

        return ("task", "template") + unwrap(task["template"])[1] + TEMPLATE_PARTS[path[1]] + path[2:]
    return path


class _Normaliser:
    """One pass over the raw scenario: the normalised data, and every problem on the way (in ``problems``)."""

    def __init__(self, filename: str | None, document: Document | None, origins: dict | None = None) -> None:
        self.problems = Problems(filename, document, origins)
        self.checkers = {name: K8sChecker(self.problems, context) for name, context in _CONTEXTS.items()}

    def error(
        self,
        code: str,
        message: str,
        path: tuple,
        where: tuple,
        *,
        hint: str | None = None,
        build: bool = False,
        key: bool = False,
    ) -> None:
        self.problems.add(code, message, path, where, hint=hint, build=build, key=key)

    # -- scenario structure -------------------------------------------------------------------------------------
    def shape(self, value: Any, shape: Any, path: tuple, where: tuple) -> Any:
        if not isinstance(shape, dict):
            return self.leaf(value, shape, path, where)
        if not isinstance(value, dict):
            self.error(
                "invalid_type",
                f"expected a mapping, got {describe(value)}",
                path,
                where,
                hint="write key: value pairs"
                if path
                else "a scenario is a mapping with task, execution, propeller and podTemplates",
            )
            return {}
        result = {}
        for key, item in value.items():
            name = camel(key) if isinstance(key, str) else key
            if name not in shape:
                self.unknown(key, shape, path, where)
                continue
            if name in result:
                self.error(
                    "duplicate_key",
                    f"{key!r} is given twice (also as {name!r})",
                    path + (name,),
                    where + (key,),
                    hint="keep one spelling: camelCase",
                    key=True,
                )
                continue
            result[name] = self.shape(item, shape[name], path + (name,), where + (key,))
        if path == ("task",) and "template" in result:
            return self.registered_task(result, value, where)
        return result

    def unknown(self, key: Any, known: Any, path: tuple, where: tuple) -> None:
        name = camel(key) if isinstance(key, str) else str(key)
        hint = _MISPLACED.get(path + (name,))
        if hint is None:
            close = difflib.get_close_matches(name, sorted(known), n=1) or difflib.get_close_matches(
                name, sorted(known), n=1, cutoff=0.4
            )
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(known))}"
        self.error("unknown_key", f"unknown key {str(key)!r}", path + (str(key),), where + (key,), hint=hint, key=True)

    def leaf(self, value: Any, kind: str, path: tuple, where: tuple) -> Any:
        """A value of one of the scenario schema's leaf kinds, checked and normalised."""
        if value is None:
            return None
        if kind in ("str", "bool", "int") or kind.startswith("enum:") or kind == "namespace":
            return self.scalar_leaf(value, kind, path, where)
        return self.structured_leaf(value, kind, path, where)

    def scalar_leaf(self, value: Any, kind: str, path: tuple, where: tuple) -> Any:
        if kind == "str":
            if not isinstance(value, str):
                self.type_error(value, "a string", path, where, hint=_quote_hint(value))
                return None
            return value
        if kind == "bool":
            if not isinstance(value, bool):
                self.type_error(value, "true or false", path, where, hint=type_hint(_BOOL, value))
                return None
            return value
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                self.type_error(value, "a whole number (0 or more)", path, where, hint=type_hint(_INT, value))
                return None
            return value
        if kind.startswith("enum:"):
            choices = kind[5:].split("|")
            if value not in choices:
                close = difflib.get_close_matches(str(value), choices, n=1)
                self.error(
                    "invalid_value",
                    f"expected one of {', '.join(choices)}, got {describe(value)}",
                    path,
                    where,
                    hint=f"did you mean {close[0]!r}?" if close else "podeval models these task types",
                )
                return None
            return value
        if kind == "namespace":
            if not isinstance(value, str):
                self.type_error(value, "a string", path, where, hint=_quote_hint(value))
                return None
            problems = dns1123_label_problems(value)
            if problems:
                self.error(
                    "invalid_name",
                    f"invalid namespace {json.dumps(value)}: {'; '.join(problems)}",
                    path,
                    where,
                    hint="a namespace name is a DNS-1123 label",
                )
            return value
        raise AssertionError(f"not a scalar leaf kind: {kind}")

    def structured_leaf(self, value: Any, kind: str, path: tuple, where: tuple) -> Any:
        if kind == "strlist":
            return self.string_list(value, path, where)
        if kind in ("map", "labels", "annotations"):
            return self.string_map(value, kind, path, where)
        if kind == "resources":
            return self.quantities(value, path, where)
        if kind == "quantity":
            return self.checkers["scenario"].scalar(value, _RESOURCE_LIST, "", path, where, (), element=True)
        if kind == "env":
            return self.env(value, path, where)
        if kind.startswith("authoring:"):
            return self.authoring(value, kind[10:], path, where)
        if kind.startswith("podspec:"):
            return self.checkers[kind[8:]].object(value, "PodSpec", path, where)
        if kind == "podtemplates":
            return self.pod_templates(value, path, where)
        if kind == "tasktemplate":
            return self.task_template(value, path, where)
        if kind == "variables":  # an interface's variables: names are the task's, never renamed
            if not isinstance(value, dict) or not all(isinstance(item, dict) for item in value.values()):
                self.type_error(
                    value,
                    "a mapping of variable names to flyteidl Variables",
                    path,
                    where,
                    hint="inputs: {variables: {x: {type: {simple: INTEGER}}}}",
                )
                return {}
            return _plain(value)
        if kind == "config":
            return self.config(value, path, where)
        return _plain(value)

    def checker(self, path: tuple) -> K8sChecker:
        """The task's own parts (and the override's pod template) are checked on the rendered Pod."""
        task_part = path[:1] == ("task",) or path[:3] == ("execution", "overrides", "podTemplate")
        return self.checkers["task" if task_part else "scenario"]

    def type_error(self, value: Any, wanted: str, path: tuple, where: tuple, hint: str | None = None) -> None:
        self.error(
            "invalid_type",
            f"expected {wanted}, got {describe(value)}",
            path,
            where,
            hint=hint or "docs/scenario.md shows the scenario's shape",
        )

    def string_list(self, value: Any, path: tuple, where: tuple) -> list | None:
        if not isinstance(value, list):
            hint = f"did you mean {json.dumps([value], ensure_ascii=False)}?" if isinstance(value, str) else None
            self.type_error(value, "a list of strings", path, where, hint=hint)
            return None
        result = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.type_error(item, "a string", path + (index,), where + (index,), hint=_quote_hint(item))
                continue
            result.append(item)
        return result

    def string_map(self, value: Any, kind: str, path: tuple, where: tuple) -> dict:
        if isinstance(value, list) and all(isinstance(item, dict) and len(item) == 1 for item in value):
            self.type_error(
                value,
                "a mapping of strings",
                path,
                where,
                hint="write it as a mapping (key: value), not as a list of single-key mappings",
            )
            return {}
        if not isinstance(value, dict):
            self.type_error(value, "a mapping of strings", path, where, hint="write key: value pairs")
            return {}
        result = {}
        for key, item in value.items():
            if item is None:
                item = ""
            if not isinstance(item, str):
                self.type_error(item, "a string", path + (str(key),), where + (key,), hint=_quote_hint(item))
                continue
            result[str(key)] = item
        checker = self.checker(path)
        if not checker.context.semantic:
            return result
        if kind == "labels":
            checker.labels(result, path, where)
        elif kind == "annotations":
            checker.annotations(result, path, where)
        return result

    def quantities(self, value: Any, path: tuple, where: tuple) -> dict:
        """A resource list (``{cpu: 500m, memory: 1Gi}``): quantities, none negative."""
        checker = self.checker(path)
        result = checker.field(value, _RESOURCE_LIST, "ResourceRequirements", path, where, (str(path[-1]),))
        if isinstance(result, dict) and checker.context.semantic:
            checker.resource_list(result, path, where)
        return result

    def env(self, value: Any, path: tuple, where: tuple) -> list:
        if isinstance(value, dict):
            result = []
            for key, item in value.items():
                if isinstance(item, (dict, list)):
                    self.type_error(item, "a string", path + (_paths.Key("name", str(key)),), where + (key,))
                    continue
                result.append({"name": str(key), "value": _string(item)})
            return result
        if isinstance(value, list):
            return self.checker(path).field(
                value, k8s_schema.field("Container", "env"), "Container", path, where, ("env",)
            )
        self.type_error(value, "a list of env vars or a {NAME: value} mapping", path, where)
        return []

    # -- the registered task ------------------------------------------------------------------------------------
    def task_template(self, value: Any, path: tuple, where: tuple) -> dict:
        """`task.template`: a flyteidl TaskTemplate, parsed by protobuf, as the task view (engine/inputs/task_template.py);
        each part is then checked where it is in the template."""
        from .task_template import TemplateProblem, parse_template, task_view, unwrap

        value, prefix = unwrap(value)
        try:
            view_parts = task_view(parse_template(value))
        except TemplateProblem as problem:
            inside = raw_path(value, problem.where)
            self.error(
                problem.code,
                problem.message,
                path + prefix + inside,
                where + prefix + inside,
                hint=problem.hint,
                key=problem.key,
            )
            return {}
        view = {}
        for name, item in view_parts.items():
            view[name] = self.template_part(
                item, SCENARIO_SHAPE["task"][name], value, TEMPLATE_PARTS[name], path + prefix, where + prefix
            )
        return view

    def template_part(self, item: Any, shape: Any, template: Any, inside: tuple, path: tuple, where: tuple) -> Any:
        """A part of the task view, checked at its place in the template (`inside`: its JSON-mapping field path,
        followed in the raw template, where the fields may be snake_case)."""
        if isinstance(shape, dict) and isinstance(item, dict):
            return {
                key: self.template_part(sub, shape[key], template, inside + (key,), path, where)
                for key, sub in item.items()
                if key in shape
            }
        raw = raw_path(template, inside)
        raw += inside[len(raw) :]  # a part the template does not spell out (a default): at its nearest ancestor
        return self.shape(item, shape, path + raw, where + raw)

    def registered_task(self, task: dict, raw: dict, where: tuple) -> dict:
        """The task of a scenario with `task.template`: the template's view; only `task.id` may stand beside it
        (pyflyte package leaves `{{ registration.* }}` placeholders in the template's id)."""
        others = [name for name in task if name not in ("template", "id")]
        if others:
            key = next(k for k in raw if isinstance(k, str) and camel(k) == others[0])
            self.error(
                "exclusive_keys",
                f"task.template and task.{others[0]} both give the task: give one",
                ("task", others[0]),
                where + (key,),
                key=True,
                hint="task.template is the registered TaskTemplate, with its container or pod spec, config "
                "and metadata; only task.id may stand beside it",
            )
            return {}
        view = dict(task["template"] or {})
        if "id" in task:
            view["id"] = task["id"]
        return view

    # -- pod specs and PodTemplates -----------------------------------------------------------------------------
    def authoring(self, value: Any, decoder: str, path: tuple, where: tuple) -> dict:
        """A PodTemplate as written in Python (flytekit's PodTemplate): its pod spec is checked where flytekit's
        client models and FlytePropeller's decoder check it."""
        value = from_model(value)
        if not isinstance(value, dict):
            self.type_error(value, "a mapping (primaryContainerName, labels, annotations, podSpec)", path, where)
            return {}
        primary_key = next((k for k in value if isinstance(k, str) and camel(k) == "primaryContainerName"), None)
        primary = (
            value.get(primary_key, PRIMARY_CONTAINER_DEFAULT_NAME) if primary_key else PRIMARY_CONTAINER_DEFAULT_NAME
        )
        if primary_key is not None and primary in (None, ""):
            self.error(
                "primary_container_name_empty",
                "A primary container name cannot be undefined",
                path + ("primaryContainerName",),
                where + (primary_key,),
                hint="flytekit's PodTemplate refuses an empty primary_container_name; leave it out for "
                f"{PRIMARY_CONTAINER_DEFAULT_NAME!r}",
            )
        result = {}
        for key, item in value.items():
            name = camel(key) if isinstance(key, str) else key
            if name not in _AUTHORING:
                self.unknown(key, _AUTHORING, path, where)
                continue
            if name == "podSpec":
                if item is not None:
                    context = _CONTEXTS[decoder]
                    checker = K8sChecker(
                        self.problems,
                        Context(
                            decoder=context.decoder,
                            explain=context.explain,
                            primary=primary if isinstance(primary, str) else None,
                            semantic=context.semantic,
                        ),
                    )
                    result[name] = checker.object(item, "PodSpec", path + (name,), where + (key,))
                continue
            result[name] = self.leaf(item, _AUTHORING[name], path + (name,), where + (key,))
        return result

    def pod_templates(self, value: Any, path: tuple, where: tuple) -> list:
        result: list = []
        seen: dict = {}
        for item, item_where in self.pod_template_items(value, path, where):
            item_path = path + (len(result),)
            template = self.pod_template(item, item_path, item_where)
            if template is None:
                continue
            metadata = template.get("metadata") or {}
            identity = (metadata.get("namespace") or "", metadata.get("name"))
            if identity[1] and identity in seen:
                self.error(
                    "duplicate_name",
                    f"PodTemplate {'/'.join(filter(None, identity))} is given twice "
                    f"(first at {_paths.render(seen[identity])})",
                    item_path + ("metadata", "name"),
                    item_where + ("metadata", "name"),
                    hint="the cluster holds one PodTemplate per namespace and name",
                )
            seen.setdefault(identity, item_path)
            result.append(template)
        return result

    def pod_template_items(self, value: Any, path: tuple, where: tuple) -> list:
        """(item, where) of every PodTemplate in a list, a ``kind: List`` (nested too) or a single object."""
        value = from_model(value)
        if isinstance(value, dict) and value.get("kind") == "List":
            value, where = value.get("items") or [], where + ("items",)
        elif isinstance(value, dict):
            return [(value, where)]
        if not isinstance(value, list):
            self.type_error(value, "a list of PodTemplates (or a kind: List)", path, where)
            return []
        items = []
        for index, item in enumerate(value):
            item = from_model(item)
            if isinstance(item, dict) and item.get("kind") == "List":
                items.extend(self.pod_template_items(item, path, where + (index,)))
            else:
                items.append((item, where + (index,)))
        return items

    def pod_template(self, item: Any, path: tuple, where: tuple) -> dict | None:
        if not isinstance(item, dict):
            self.type_error(item, "a PodTemplate (a mapping)", path, where)
            return None
        kind = item.get("kind", "PodTemplate")
        if kind != "PodTemplate":
            self.error(
                "wrong_kind",
                f"expected kind PodTemplate, got {describe(kind)}",
                path + ("kind",),
                where + ("kind",),
                hint="only PodTemplate objects are runtime templates"
                + (" (a Pod's spec goes under template.spec)" if kind == "Pod" else ""),
            )
            return None
        api_version = item.get("apiVersion", item.get("api_version", "v1"))
        if api_version != "v1":
            self.error(
                "wrong_kind",
                f"expected apiVersion v1, got {describe(api_version)}",
                path + ("apiVersion",),
                where + ("apiVersion" if "apiVersion" in item else "api_version",),
                hint="PodTemplate is in the core API group: apiVersion: v1",
            )
        template = self.checkers["podTemplate"].object(item, "PodTemplate", path, where)
        metadata = template.get("metadata") or {}
        meta_where = where + ("metadata",)
        name = metadata.get("name")
        if not name:
            self.error(
                "missing_name",
                "a PodTemplate needs metadata.name",
                path + ("metadata", "name"),
                meta_where,
                hint="FlytePropeller finds runtime templates by name",
            )
        elif isinstance(name, str) and dns1123_subdomain_problems(name):
            self.error(
                "invalid_name",
                f"invalid PodTemplate name {json.dumps(name)}: {'; '.join(dns1123_subdomain_problems(name))}",
                path + ("metadata", "name"),
                meta_where + ("name",),
                hint="the API server refuses it",
            )
        namespace = metadata.get("namespace")
        if isinstance(namespace, str) and namespace and dns1123_label_problems(namespace):
            self.error(
                "invalid_name",
                f"invalid namespace {json.dumps(namespace)}: {'; '.join(dns1123_label_problems(namespace))}",
                path + ("metadata", "namespace"),
                meta_where + ("namespace",),
                hint="a namespace name is a DNS-1123 label",
            )
        spec = (template.get("template") or {}).get("spec") or {}
        if not spec.get("containers"):
            self.error(
                "missing_field",
                "a PodTemplate's template.spec.containers must list at least one container; " + _POD_TEMPLATE_REFUSAL,
                path + ("template", "spec", "containers"),
                where + ("template",) if "template" in item else where,
                hint="Flyte uses containers named default and primary; any other name (e.g. noop) is dropped",
            )
        return template

    def config(self, value: Any, path: tuple, where: tuple) -> dict:
        """FlytePropeller's plugins.k8s section (or the whole config document holding it). Option names and values
        are checked against the rule pack's options when the pack is known (``plugin_options.check_plugin_config``)."""
        value, inside = plugin_options.section(value)
        where = where + inside
        if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
            self.type_error(value, "the plugins.k8s mapping of FlytePropeller's configuration", path, where)
            return {}
        return _plain(value)

    # -- contradictions -----------------------------------------------------------------------------------------
    def contradictions(self, data: dict, raw: Any) -> None:
        task = data.get("task") or {}
        task_where = raw_path(raw, ("task",))
        if "podTemplate" in task and "k8sPod" in task:
            self.error(
                "exclusive_keys",
                "task.podTemplate and task.k8sPod are two views of one thing: give one",
                ("task", "k8sPod"),
                raw_path(raw, ("task", "k8sPod")),
                key=True,
                hint="podTemplate is @task(pod_template=...) as written; k8sPod is the registered "
                "TaskTemplate.k8s_pod flytekit makes of it",
            )
        elif "k8sPod" in task:
            k8s_pod = task.get("k8sPod") or {}
            if k8s_pod.get("podSpec") is None:
                self.error(
                    "k8s_pod_without_pod_spec",
                    "Pod tasks with task type version > 1 should specify their "
                    "target as a K8sPod with a defined pod spec",
                    ("task", "k8sPod", "podSpec"),
                    raw_path(raw, ("task", "k8sPod")),
                    build=True,
                    hint="FlytePropeller fails the task (BadTaskSpecification); add task.k8sPod.podSpec",
                )
            elif "primary_container_name" not in (task.get("config") or {}):
                config = task.get("config") or {}
                shown = "map[" + " ".join(f"{k}:{v}" for k, v in sorted(config.items())) + "]"
                self.error(
                    "primary_container_name_missing",
                    f"invalid TaskSpecification, config missing [primary_container_name] key in [{shown}]",
                    ("task", "config"),
                    raw_path(raw, ("task", "config")) if "config" in task else task_where + ("k8sPod",),
                    build=True,
                    key="config" in task,
                    hint="FlytePropeller fails the task (BadTaskSpecification): set "
                    "task.config.primary_container_name (flytekit sets it from "
                    "PodTemplate.primary_container_name)",
                )


def _lift_config_sections(normaliser: _Normaliser, data: dict, raw: Any) -> None:
    """A whole FlytePropeller config document as ``propeller.config`` also holds its ``storage`` and ``logger``
    sections (storage.yaml, logger.yaml of its ConfigMap): they become ``propeller.storage`` / ``propeller.logger``
    unless those are given (co-pilot's command line reads them)."""
    propeller = raw.get("propeller") if isinstance(raw, dict) else None
    config = propeller.get("config") if isinstance(propeller, dict) else None
    if not isinstance(config, dict) or not isinstance(config.get("plugins"), dict):
        return
    for section, shape in (("storage", _STORAGE), ("logger", SCENARIO_SHAPE["propeller"]["logger"])):
        if section in config and section not in (data.get("propeller") or {}):
            where = raw_path(raw, ("propeller",)) + ("config", section)
            data.setdefault("propeller", {})[section] = normaliser.shape(
                config[section], shape, ("propeller", section), where
            )


def _quote_hint(value: Any) -> str | None:
    if isinstance(value, bool):
        return f'quote it: "{str(value).lower()}"'
    if isinstance(value, (int, float)):
        return f'quote it: "{value}"'
    return None


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _plain(value: Any) -> Any:
    value = from_model(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def to_plain_k8s(value: Any, type_name: str) -> Any:
    """A Kubernetes object (dict, snake_case dict or model) as Kubernetes JSON; raises InputError on problems.

    Only field names and types are checked (no Kubernetes name or label validation): callers pass pod specs that
    Flyte's own functions take, not objects bound for the API server."""
    problems = Problems()
    checker = K8sChecker(problems, Context(semantic=False))
    try:
        result = checker.object(value, type_name, (), ())
    except TooManyProblems:
        result = None
    problems.raise_all()
    return result


def load_scenario(source: Any, *, filename: str | None = None, origins: dict | None = None) -> Scenario:
    """Read and normalise a scenario from a path, ``-`` (stdin), YAML/JSON text, a dict or a Scenario.

    ``origins``, for a dict assembled from several files: which file each part came from, so that problems carry
    file:line:col -- ``{("task",): (filename, document, ("task",)), ("podTemplates", 0): (filename, document, ())}``
    (a part's raw path in the dict -> its file, its ``yamlio.Document`` and its path in that document)."""
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
                raise InputError(
                    "unreadable", f"cannot read {path}: {exc.strerror or exc}", file=str(path), hint="check the path"
                ) from None
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
        raise InputError(
            "invalid_scenario",
            f"cannot read a scenario from {type(source).__name__}",
            hint="pass a path, YAML text, a dict or an engine.Scenario",
        )
    if raw is None:
        raw = {}
    normaliser = _Normaliser(filename, document, origins)
    data: dict = {}
    try:
        data = normaliser.shape(raw, SCENARIO_SHAPE, (), ())
        _lift_config_sections(normaliser, data, raw)
        if not normaliser.problems.items:
            normaliser.contradictions(data, raw)
    except TooManyProblems:
        pass
    normaliser.problems.raise_all()
    if origins and document is None:
        return Scenario(data, filename, document, raw=raw, origins=origins)
    return Scenario(data, filename, document)


def _looks_like_path(text: str) -> bool:
    if "\n" in text or len(text) > 4096:
        return False
    return text.endswith((".yaml", ".yml", ".json")) or Path(text).is_file()
