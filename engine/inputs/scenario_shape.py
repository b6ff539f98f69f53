"""The shape of a scenario: its keys, the kind of each leaf, where Kubernetes objects sit and how each is checked
(``_CONTEXTS``), and ``raw_path``, which follows a normalised path back to the keys and indices as written
(snake_case keys, a registered task's template parts).
"""

from __future__ import annotations

from typing import Any

from ..k8s import k8s_schema
from ..k8s import paths as _paths
from ..k8s.validate import (
    Context,
    camel,
    snake,
)
from .task_template import TEMPLATE_PARTS, unwrap

# The shape of a scenario. A dict is a mapping with known keys; a string names a leaf kind (``Normaliser.leaf``):
#   str bool int strlist map labels annotations resources quantity env any enum:<a|b> namespace
#   authoring:<decoder> (PodTemplate authoring view)   podspec:<decoder> (a pod spec Flyte decodes)
#   podtemplates   config
_RESOURCES = {"requests": "resources", "limits": "resources"}
# flyteidl2 core.GPUAccelerator.DeviceClass (flyteidl2/core/tasks.proto:55-80 at flyteorg/flyte 6fadb90)
DEVICE_CLASSES = ("NVIDIA_GPU", "GOOGLE_TPU", "AMAZON_NEURON", "AMD_GPU", "HABANA_GAUDI")
# Flyte 2's executor section of the backend's configuration (executor/pkg/config/config.go at 6fadb90): only
# defaultK8sServiceAccount shapes the Pod; the others are accepted as written
EXECUTOR_SECTION = {
    "defaultK8sServiceAccount": "str",
    **dict.fromkeys(
        (
            "metricsBindAddress",
            "healthProbeBindAddress",
            "leaderElect",
            "metricsSecure",
            "webhookCertPath",
            "webhookCertName",
            "webhookCertKey",
            "metricsCertPath",
            "metricsCertName",
            "metricsCertKey",
            "enableHTTP2",
            "EventsServiceURL",
            "cacheServiceURL",
            "cluster",
            "maxSystemFailures",
            "maxConcurrentReconciles",
            "requeueDuration",
            "gc",
        ),
        "any",
    ),
}
_EXTENDED_RESOURCES = {
    # deviceClass: flyteidl2's GPUAccelerator.DeviceClass (Flyte 2; FlytePropeller v1 has no device classes)
    "gpuAccelerator": {
        "device": "str",
        "partitionSize": "str",
        "unpartitioned": "bool",
        "deviceClass": "enum:" + "|".join(DEVICE_CLASSES),
    },
    "sharedMemory": {"mountName": "str", "mountPath": "str", "sizeLimit": "quantity"},
}
#: the pod plugin's task types; the other plugins' are their packs' (``plugins/<id>.yaml`` ``task-types``), checked
#: when the scenario is evaluated (``engine.eval.evaluate``). "python" is flyte-sdk's task type, registered to the pod
#: plugin on Flyte 2 (pod/plugin.go:28, :413@6fadb90); on Flyte v1 the pod plugin is the default plugin (IsDefault,
#: pod/plugin.go:264-297@89cf9cc), so it builds that type too
TASK_TYPES = ("python-task", "container", "raw-container", "sidecar", "python")
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
        "type": "str",
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
        "taskTypeVersion": "int",  # TaskTemplate.task_type_version: which message a plugin reads custom as
    },
    "execution": {
        "namespace": "namespace",
        "podName": "str",
        "id": {"project": "str", "domain": "str", "name": "str"},
        "nodeId": "str",
        "workflow": "str",  # extension: the workflow id (project:domain:name), for the workflow-name label
        "attempt": "int",
        # map tasks (extension): subtask arrayIndex of the map node; its own retry attempt; for the legacy k8s-array
        # plugin its position among the subtasks launched (after cache hits), default arrayIndex
        "arrayIndex": "int",
        "arrayAttempt": "int",
        "arrayExecutionIndex": "int",
        "serviceAccount": "str",
        "interruptible": "bool",
        "labels": "labels",
        "annotations": "annotations",
        "envVars": "map",
        "platformResources": _RESOURCES,
        "inputPath": "str",  # the execution's data locations, for co-pilot's command lines (engine/eval/copilot.py)
        "outputPrefix": "str",
        "rawOutputDataPrefix": "str",
        "runOutputBase": "str",  # Flyte 2: the run's output base (TaskAction spec.runOutputBase, env _U_RUN_BASE)
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
        "plugins": "any",  # the other plugins' sections of a whole config document, as the normaliser lifts them
        "storage": _STORAGE,
        "logger": {"level": "int", "show-source": "any", "mute": "any", "formatter": "any"},
        "executor": EXECUTOR_SECTION,  # Flyte 2's executor section (flyte-v2 pack)
    },
    "podTemplates": "podtemplates",
    "cluster": "any",
}
# The sections of a whole config document as ``propeller.config`` that become ``propeller.<section>`` unless the
# scenario gives that (``scenario_normalise.lift_config_sections``): storage.yaml and logger.yaml of FlytePropeller's
# ConfigMap (co-pilot's command line reads them), Flyte 2's executor section
LIFTED_CONFIG_SECTIONS = ("storage", "logger", "executor")
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
            if key is None and tuple(out) == ("propeller",) and segment == "plugins":
                config = node.get("config")  # a plugin's section, lifted from propeller.config.plugins
                if isinstance(config, dict) and isinstance(config.get("plugins"), dict):
                    out.append("config")
                    node, key = config, "plugins"
            if key is None and tuple(out) == ("propeller",) and segment in LIFTED_CONFIG_SECTIONS:
                config = node.get("config")  # a section lifted from the whole config document propeller.config
                if isinstance(config, dict) and segment in config:
                    out.append("config")
                    node, key = config, segment
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
        return ("task", "template") + unwrap(task["template"])[1] + TEMPLATE_PARTS[path[1]] + path[2:]
    return path
