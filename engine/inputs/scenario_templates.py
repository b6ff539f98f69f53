"""The scenario's templates, checked and normalised: a registered task's ``task.template`` (a flyteidl TaskTemplate,
each part checked where it is in the template), the PodTemplate authoring view (``@task(pod_template=...)``) and
the cluster's PodTemplates (``podTemplates``: a list, a ``kind: List`` or a single PodTemplate).

``TemplateParts`` holds these steps of the scenario's one pass; ``scenario_normalise.Normaliser`` is the pass.
"""

from __future__ import annotations

import json
from typing import Any

from ..k8s import paths as _paths
from ..k8s.validate import (
    Context,
    K8sChecker,
    camel,
    describe,
    dns1123_label_problems,
    dns1123_subdomain_problems,
    from_model,
)
from .scenario_shape import (
    _AUTHORING,
    _CONTEXTS,
    _POD_TEMPLATE_REFUSAL,
    PRIMARY_CONTAINER_DEFAULT_NAME,
    SCENARIO_SHAPE,
    raw_path,
)
from .task_template import TEMPLATE_PARTS, TemplateProblem, parse_template, task_view, unwrap


class TemplateParts:
    """The steps of ``Normaliser`` that read templates (its ``error``, ``shape``, ``checker`` ... are the pass's)."""

    def task_template(self, value: Any, path: tuple, where: tuple) -> dict:
        """`task.template`: a flyteidl TaskTemplate, parsed by protobuf, as the task view (engine/inputs/task_template.py);
        each part is then checked where it is in the template."""
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
