"""The scenario's one pass: every key checked against the scenario's shape (``scenario_shape``), each leaf checked and
normalised by its kind, Kubernetes objects checked as Flyte and Kubernetes check them, the templates by
``scenario_templates``, then the contradictions between parts; every problem collected on the way.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from ..documents.yamlio import Document
from ..k8s import k8s_schema
from ..k8s import paths as _paths
from ..k8s.validate import (
    K8sChecker,
    Problems,
    camel,
    describe,
    dns1123_label_problems,
    from_model,
    type_hint,
)
from ..pack import plugin_options
from .propeller_config import struct_keys, weakly_typed
from .scenario_shape import (
    _BOOL,
    _CONTEXTS,
    _INT,
    _MISPLACED,
    _RESOURCE_LIST,
    LIFTED_CONFIG_SECTIONS,
    SCENARIO_SHAPE,
    raw_path,
)
from .scenario_templates import TemplateParts


class Normaliser(TemplateParts):
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


def lift_config_sections(normaliser: Normaliser, data: dict, raw: Any) -> None:
    """A whole FlytePropeller config document as ``propeller.config`` also holds its ``storage`` and ``logger``
    sections (storage.yaml, logger.yaml of its ConfigMap): they become ``propeller.storage`` / ``propeller.logger``
    unless those are given (co-pilot's command line reads them), and Flyte 2's ``executor`` section becomes
    ``propeller.executor`` the same way; its other plugins' sections (viper: keys without regard to case) become
    ``propeller.plugins.<section>``."""
    propeller = raw.get("propeller") if isinstance(raw, dict) else None
    config = propeller.get("config") if isinstance(propeller, dict) else None
    if not isinstance(config, dict) or not isinstance(config.get("plugins"), dict):
        return
    others = {
        name: _plain(value)
        for name, value in config["plugins"].items()
        if isinstance(name, str) and name.lower() != "k8s" and isinstance(value, dict)
    }
    if others:  # the other plugins' sections (plugins.ray, plugins.spark ...): read by their plugins' packs
        data.setdefault("propeller", {})["plugins"] = {name.lower(): value for name, value in others.items()}
    for section in LIFTED_CONFIG_SECTIONS:
        # viper reads a top-level key without regard to case (``Executor:``); of two spellings of one section podeval
        # takes the last written (viper keeps whichever its map iteration sets last)
        key = next((k for k in reversed(list(config)) if isinstance(k, str) and k.lower() == section), None)
        if key is not None and section not in (data.get("propeller") or {}):
            where = raw_path(raw, ("propeller",)) + ("config", key)
            shape = SCENARIO_SHAPE["propeller"][section]
            # mapstructure matches the section's keys to its struct's fields without regard to case, and decodes
            # its values weakly (a bool where a string is wanted ...)
            data.setdefault("propeller", {})[section] = normaliser.shape(
                weakly_typed(struct_keys(config[key], shape), shape), shape, ("propeller", section), where
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
