"""The registered task: a flyteidl `core.TaskTemplate`, read as flyteidl reads it, as the scenario's `task`.

One converter for every way a TaskTemplate comes in: `task.template` in a scenario, `--task-template FILE` (the
protobuf JSON mapping in JSON or YAML, `flytectl get task -o json|yaml`, the binary `.pb` and the `.tgz` that
`pyflyte package` writes) and `--flytekit module:task` (flytekit's own serialization). The JSON forms are parsed by
protobuf's `json_format` into flyteidl's classes, so they mean what they mean to flyteidl: whole numbers written as
floats (`2.0`), enum names, omitted zero values, snake_case or lowerCamelCase field names.

Flyte 2's task specs are flyteidl2's (`flyteidl2.core.TaskTemplate`, wrapped in a `flyteidl2.task.TaskSpec` as
flyte-sdk serializes it): the same messages with the same field numbers and names, plus fields only Flyte 2 has
(`gpuAccelerator.deviceClass`, `reusePolicy`, ...). A JSON template is read by flyteidl, and by flyteidl2 when
flyteidl refuses it (or is not installed); a binary one by flyteidl, and by flyteidl2 when flyteidl finds fields it
does not know (it would drop Flyte 2's fields without a word) or is not installed. flyteidl2's `VariableMap` is a
list of {key, value} entries where flyteidl's is a map (the same on the wire, not in JSON): the task view takes
both. `read_template_file` also says which IDL a spec is written in (`TemplateFile.idl`, the command line's default
pack follows it): flyteidl2's when it comes in flyteidl2's wrappers (`TaskSpec`, `TaskDetails`; in binary, a
`TaskSpec` with fields flyteidl's has not) or when flyteidl refuses it and flyteidl2 reads it; flyteidl's otherwise
(without flyteidl installed, a bare template cannot be told apart and counts as flyteidl's).

`TEMPLATE_PARTS` is the mapping from the scenario's task view to the TaskTemplate fields (docs/scenario.md shows it
as a table). flyteidl and flyteidl2 are imported inside the functions: they are the `podeval[flyteidl]` and
`podeval[flyte-sdk]` extras (flytekit brings flyteidl, flyte-sdk brings flyteidl2).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from ..errors import InputError

INSTALL_HINT = (
    "pip install 'podeval[flyteidl]' (or 'podeval[flytekit]', which brings it; Flyte 2: 'podeval[flyte-sdk]')"
)
# The protobuf packages a TaskTemplate is read with: (core module, wrapper module, the wrapper's TaskSpec class), in
# the order JSON is tried. flyteidl2's TaskTemplate extends flyteidl's with the same field numbers and JSON names.
IDLS: dict[str, tuple[str, str]] = {
    "flyteidl": ("flyteidl.core.tasks_pb2", "flyteidl.admin.task_pb2"),
    "flyteidl2": ("flyteidl2.core.tasks_pb2", "flyteidl2.task.task_definition_pb2"),
}

# The scenario's task view, key by key: where its value is in the TaskTemplate (JSON mapping field names).
TEMPLATE_PARTS: dict[str, tuple[str, ...]] = {
    "type": ("type",),
    "id": ("id",),
    "container": ("container",),
    "k8sPod": ("k8sPod",),
    "config": ("config",),
    "podTemplateName": ("metadata", "podTemplateName"),
    "labels": ("metadata", "metadata", "labels"),
    "annotations": ("metadata", "metadata", "annotations"),
    "interruptible": ("metadata", "interruptible"),
    "extendedResources": ("extendedResources",),
    "custom": ("custom",),
    "taskTypeVersion": ("taskTypeVersion",),
    "interface": ("interface",),
}
# The id parts FlytePropeller puts into FLYTE_INTERNAL_TASK_* (GetExecutionEnvVars) and the task-name label.
_ID_PARTS = ("project", "domain", "name", "version")
# The placeholders `pyflyte package` / `pyflyte serialize` leave in the id for `flytectl register` to fill
# (flytekit/configuration/__init__.py: PROJECT_PLACEHOLDER, DOMAIN_PLACEHOLDER, VERSION_PLACEHOLDER).
_PLACEHOLDER = re.compile(r"\{\{\s*registration\.\w+\s*\}\}")
# Where the TaskTemplate is inside the admin wrappers flytectl and pyflyte write.
_ADMIN_TASK_TEMPLATE = ("closure", "compiledTask", "template")  # flytectl get task: flyteidl.admin.Task
_TASK_SPEC_TEMPLATE = ("template",)  # pyflyte package / serialize: flyteidl.admin.TaskSpec
V2_TASK_SPEC_TEMPLATE = ("taskTemplate",)  # flyte-sdk (flyte.extras.serialize, deploy): flyteidl2.task.TaskSpec
V2_TASK_DETAILS_TEMPLATE = ("spec", "taskTemplate")  # Flyte 2's TaskService GetTaskDetails: flyteidl2.task.TaskDetails


def installed_idls() -> list[str]:
    """The IDL packages installed, in the order a JSON TaskTemplate is tried (``IDLS``)."""
    found = []
    for idl, (core, _) in IDLS.items():
        try:
            _import(core)
        except ImportError:
            continue
        found.append(idl)
    return found


def _import(dotted: str) -> Any:
    """`from package import module`: refused when the package is blocked (None in sys.modules) too."""
    import importlib  # start-up: only when a TaskTemplate is read

    importlib.import_module(dotted.rpartition(".")[0])  # optional extras (flyteidl, flyteidl2)
    return importlib.import_module(dotted)  # optional extras (flyteidl, flyteidl2)


def protobuf_classes(what: str, idl: str | None = None) -> tuple[Any, Any, Any]:
    """(json_format, core tasks_pb2, the wrapper module: admin task_pb2 or flyteidl2's task_definition_pb2) of the IDL
    ``idl`` (default: the first installed), or an input error naming the extra to install."""
    idls = [idl] if idl else installed_idls()
    try:
        if not idls:
            raise ImportError(what)
        core, wrapper = IDLS[idls[0]]
        tasks_pb2, task_pb2 = _import(core), _import(wrapper)
        from google.protobuf import json_format  # optional extra (flyteidl or flyteidl2 bring protobuf)
    except ImportError:
        raise InputError(
            "flyteidl_missing", f"{what} needs the flyteidl package, which is not installed", hint=INSTALL_HINT
        ) from None
    return json_format, tasks_pb2, task_pb2


def spec_class(task_pb2: Any) -> Any:
    """The wrapper TaskSpec of an IDL: flyteidl.admin.TaskSpec (`template`) or flyteidl2.task.TaskSpec
    (`task_template`), both with the TaskTemplate as field 1."""
    return task_pb2.TaskSpec


def spec_template(message: Any) -> Any:
    return message.task_template if hasattr(message, "task_template") else message.template


# -- the JSON mapping ---------------------------------------------------------------------------------------------


class TemplateProblem(InputError):
    """A TaskTemplate podeval cannot use; ``where`` is the path of the culprit in the template (as written)."""

    def __init__(self, code: str, message: str, where: tuple, *, hint: str | None = None, key: bool = False):
        super().__init__(code, message, hint=hint)
        self.where, self.key = where, key


def parse_template(value: Any) -> dict:
    """The TaskTemplate JSON `value`, parsed by protobuf into flyteidl's TaskTemplate (flyteidl2's when flyteidl
    refuses a field only flyteidl2 has, or is not installed) and printed back in the canonical JSON mapping
    (lowerCamelCase, enum names, zero values omitted, Struct numbers as floats). Raises TemplateProblem, located at
    the field protobuf refuses."""
    return parse_any(value)[0]


def parse_any(value: Any) -> tuple[dict, str]:
    """``parse_template``, and the IDL that read the template."""
    idls = installed_idls()
    if not idls:
        protobuf_classes("task.template")  # raises flyteidl_missing
    first: TemplateProblem | None = None
    for idl in idls:
        try:
            return _parse(value, idl), idl
        except TemplateProblem as problem:
            if first is None:
                first = problem
            elif first.code == "unknown_key" and first.where and _knows(idl, first.where):
                raise  # flyteidl refused a Flyte 2 field: flyteidl2's problem is the one that matters
    assert first is not None
    raise first


def _knows(idl: str, where: tuple) -> bool:
    """Whether the TaskTemplate field at `where` (a path of JSON field names, list indexes and map keys left out of
    the message walk) is a field of `idl`'s TaskTemplate."""
    _, tasks_pb2, _ = protobuf_classes("task.template", idl)
    descriptor = tasks_pb2.TaskTemplate.DESCRIPTOR
    for key in where:
        if not isinstance(key, str) or descriptor is None:
            continue
        fields = {f.json_name: f for f in descriptor.fields} | {f.name: f for f in descriptor.fields}
        field = fields.get(key)
        if field is None:
            return False
        descriptor = field.message_type
        if descriptor is not None and descriptor.GetOptions().map_entry:
            descriptor = descriptor.fields_by_name["value"].message_type
    return True


def _parse(value: Any, idl: str) -> dict:
    json_format, tasks_pb2, _ = protobuf_classes("task.template", idl)
    if not isinstance(value, dict):
        raise TemplateProblem(
            "task_template_invalid",
            f"expected a TaskTemplate (a mapping), got {_describe(value)}",
            (),
            hint="the protobuf JSON mapping of flyteidl.core.TaskTemplate, as flytectl prints it",
        )
    try:
        message = json_format.ParseDict(value, tasks_pb2.TaskTemplate())
    except json_format.ParseError as error:
        raise _locate(value, tasks_pb2.TaskTemplate, json_format, str(error)) from None
    return to_json(message)


def to_json(message: Any) -> dict:
    """A protobuf message in its canonical JSON mapping, every mapping's keys sorted: protobuf maps and Structs
    (labels, config, the pod spec) have no order, and the trace must not depend on the order they come out in."""
    from google.protobuf import json_format  # optional extra (flyteidl)

    return _sorted(json_format.MessageToDict(message))


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def _locate(value: Any, cls: Any, json_format: Any, text: str, where: tuple = ()) -> TemplateProblem:
    """The field of `value` (a JSON object for the message class `cls`) that protobuf refuses: each field is parsed
    alone by json_format, and the search goes down into the message fields that fail."""
    return _find(value, cls, json_format, where) or TemplateProblem(
        "task_template_invalid", _clean(text), where, hint="flyteidl's JSON parser refuses it"
    )


def _find(value: Any, cls: Any, json_format: Any, where: tuple) -> TemplateProblem | None:
    descriptor = cls.DESCRIPTOR
    if not isinstance(value, dict):
        return TemplateProblem(
            "task_template_invalid",
            f"expected a mapping ({descriptor.full_name}), got {_describe(value)}",
            where,
            hint="a protobuf message is a JSON object: key: value pairs",
        )
    fields = {f.json_name: f for f in descriptor.fields} | {f.name: f for f in descriptor.fields}
    for key, item in value.items():
        field = fields.get(key)
        if field is None:
            names = sorted(f.json_name for f in descriptor.fields)
            close = difflib.get_close_matches(str(key), names, n=1)
            return TemplateProblem(
                "unknown_key",
                f"{descriptor.full_name} has no field {str(key)!r}",
                where + (key,),
                key=True,
                hint=f"did you mean {close[0]!r}?"
                if close
                else f"its fields: {', '.join(names)} (a field of a newer flyteidl? upgrade the flyteidl package)",
            )
        try:
            json_format.ParseDict({key: item}, cls())
        except json_format.ParseError as error:
            enum = field.enum_type
            hint = f"one of {', '.join(enum.values_by_name)}" if enum else "flyteidl's JSON parser refuses it"
            return _find_inside(field, key, item, cls, json_format, where) or TemplateProblem(
                "task_template_invalid", _clean(str(error)), where + (key,), hint=hint
            )
    return None


def _find_inside(field: Any, key: str, item: Any, cls: Any, json_format: Any, where: tuple) -> Any:
    """The problem inside a message-valued field (single, repeated or a map of messages), or None."""
    message_type = field.message_type
    if message_type is None or message_type.full_name.startswith("google.protobuf."):
        return None  # a scalar, an enum or a well-known type (Struct, Duration, ...): the field's value is wrong
    holder = getattr(cls(), field.name)
    if message_type.GetOptions().map_entry:
        if message_type.fields_by_name["value"].message_type is None or not isinstance(item, dict):
            return None
        elements = [((key, map_key), element, type(holder[str(map_key)])) for map_key, element in item.items()]
    elif field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED:
        if not isinstance(item, list):
            return None
        element_cls = type(holder.add())
        elements = [((key, index), element, element_cls) for index, element in enumerate(item)]
    else:
        elements = [((key,), item, type(holder))]
    for sub, element, element_cls in elements:
        problem = _find(element, element_cls, json_format, where + sub)
        if problem is not None:
            return problem
    return None


def _clean(text: str) -> str:
    """protobuf's message without its "Failed to parse x field: " chain and its trailing "at X.y"."""
    text = re.sub(r"^(Failed to parse \w+ field: )+", "", text.strip())
    text = re.sub(r'\s*at "?[\w.\[\]]*"?\.*$', "", text)
    return text.rstrip(".") or "not a valid TaskTemplate"


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {value!r}"
    return "nothing" if value is None else f"the {type(value).__name__} {value!r}"


# -- the scenario's task view -------------------------------------------------------------------------------------


def task_view(template: dict) -> dict:
    """The canonical TaskTemplate JSON (`parse_template`'s result) as the scenario's `task` (the registered view).

    Flyte reads: the target (`container`, or `k8sPod` with `config.primary_container_name`: BuildRawPod in
    flytek8s/pod_helper.go), `metadata.podTemplateName` (the runtime PodTemplate), `metadata.metadata` labels and
    annotations, `metadata.interruptible`, `extendedResources`, `type` and `id`. `custom` and `taskTypeVersion` are
    kept for plugins."""
    if template.get("type") == "sidecar" and template.get("taskTypeVersion", 0) < 2:
        # plugins/k8s/pod/plugin.go BuildResource: versions 0 and 1 of a sidecar task keep the pod spec in `custom`
        # (a SidecarJob, or the pod spec itself) and skip BuildRawPod; podeval models the K8sPod target only
        raise TemplateProblem(
            "task_template_unsupported",
            f"a sidecar task of task_type_version {template.get('taskTypeVersion', 0)} "
            "keeps its pod spec in custom, which podeval does not model",
            ("taskTypeVersion",),
            hint="re-register the task with a current flytekit (pod_template=...): it writes the K8sPod target",
        )
    task: dict[str, Any] = {}
    if "type" in template:
        task["type"] = template["type"]
    task_id = template.get("id") or {}
    # pyflyte package / serialize leave project, domain and version empty or as `{{ registration.* }}` placeholders
    # that flytectl register fills: such an id is not the one FlytePropeller sees, so it is not used.
    if all(task_id.get(part) and not _PLACEHOLDER.search(str(task_id[part])) for part in _ID_PARTS):
        task["id"] = {part: task_id[part] for part in _ID_PARTS}
    if "k8sPod" in template:
        k8s_pod = template["k8sPod"]
        object_metadata = k8s_pod.get("metadata") or {}
        pod: dict[str, Any] = {
            "metadata": {
                key: dict(object_metadata[key]) for key in ("labels", "annotations") if object_metadata.get(key)
            }
        }
        if "podSpec" in k8s_pod:  # without it FlytePropeller fails the task (the scenario says so)
            pod["podSpec"] = k8s_pod["podSpec"]
        if isinstance(k8s_pod.get("dataConfig"), dict):  # co-pilot (ApplyFlytePodConfiguration reads the K8sPod's)
            pod["dataConfig"] = dict(k8s_pod["dataConfig"])
        task["k8sPod"] = pod
    elif "container" in template:
        task["container"] = _container(template["container"])
        if isinstance(template["container"].get("dataConfig"), dict):  # co-pilot's data config (copilot.go)
            task["container"]["dataConfig"] = dict(template["container"]["dataConfig"])
    data_config = any("dataConfig" in (task.get(target) or {}) for target in ("container", "k8sPod"))
    if data_config and isinstance(template.get("interface"), dict):  # only co-pilot's command lines read it
        task["interface"] = {
            side: {"variables": _variables((template["interface"].get(side) or {}).get("variables"))}
            for side in ("inputs", "outputs")
            if side in template["interface"]
        }
    if template.get("config"):
        task["config"] = dict(template["config"])
    metadata = template.get("metadata") or {}
    if metadata.get("podTemplateName"):
        task["podTemplateName"] = metadata["podTemplateName"]
    object_metadata = metadata.get("metadata") or {}
    for key in ("labels", "annotations"):
        if object_metadata.get(key):
            task[key] = dict(object_metadata[key])
    if "interruptible" in metadata:  # the oneof is set (false included)
        task["interruptible"] = bool(metadata["interruptible"])
    if template.get("extendedResources"):
        task["extendedResources"] = template["extendedResources"]
    if "custom" in template:
        task["custom"] = template["custom"]
    if template.get("taskTypeVersion"):  # which message a plugin reads custom as (Kubeflow: 0 or 1)
        task["taskTypeVersion"] = int(template["taskTypeVersion"])
    return task


def _variables(variables: Any) -> dict:
    """A VariableMap's variables by name: flyteidl's map, or flyteidl2's list of {key, value} entries."""
    if isinstance(variables, list):
        return {entry.get("key", ""): entry.get("value") or {} for entry in variables if isinstance(entry, dict)}
    return dict(variables or {})


def _container(container: dict) -> dict:
    """TaskTemplate.container as the scenario's `task.container`: env pairs as env vars, resource entries as a
    resource list named as flytekit names them (`_sanitize_resource_name`: the enum name, lower case, `_` -> `-`)."""
    result: dict[str, Any] = {
        "image": container.get("image", ""),
        "command": list(container.get("command") or []),
        "args": list(container.get("args") or []),
        "env": [{"name": pair.get("key", ""), "value": pair.get("value", "")} for pair in container.get("env") or []],
    }
    resources = {}
    for kind in ("requests", "limits"):
        entries = (container.get("resources") or {}).get(kind) or []
        if entries:
            resources[kind] = {
                entry.get("name", "UNKNOWN").lower().replace("_", "-"): entry.get("value", "") for entry in entries
            }
    if resources:
        result["resources"] = resources
    return result


def unwrap(value: Any) -> tuple[Any, tuple]:
    """The TaskTemplate inside an admin `Task` (flytectl get task) or `TaskSpec` (pyflyte's files), or a flyteidl2
    `TaskSpec` (flyte-sdk) or `TaskDetails` (Flyte 2's task service), with its path."""
    if isinstance(value, dict) and "type" not in value:
        for prefix in (_ADMIN_TASK_TEMPLATE, _TASK_SPEC_TEMPLATE, V2_TASK_SPEC_TEMPLATE, V2_TASK_DETAILS_TEMPLATE):
            node: Any = value
            for key in prefix:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, dict):
                return node, prefix
    return value, ()


# -- files: JSON or YAML, the binary .pb, the pyflyte package .tgz -----------------------------------------------
