"""flytekit's compile-time serialization of ``@task(pod_template=PodTemplate(...))``, written for podeval.

What flytekit 1.16 does (``_serialize_pod_spec`` in flytekit/core/utils.py, flytekit 1.16.31):

* the primary container is looked up by name; if the template has none, an empty one is appended **last**;
* every container with the primary's name gets: the template image if it has one, else the task image;
  command and args from the task, unconditionally; the task's resources replace the whole block, but only when
  the task has any request or limit; env = the task env (settings env updated by the task env) followed by the
  template's env, duplicates kept; every other field of the template container is kept;
* every other container only gets its image defaulted to the serialization default image when it has none;
* init containers and every pod-level field pass through untouched;
* the result is the K8sPod target: ``{"podSpec", "metadata": {labels, annotations}, "config":
  {"primary_container_name": ...}}``. The user's template is never mutated (flytekit deep-copies since #2899).
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import InputError
from .scenario import to_plain_k8s
from .scenario_shape import PRIMARY_CONTAINER_DEFAULT_NAME


def serialize_pod_template(
    pod_template: Any, container: Any, *, default_image: str | None = None, normalised: bool = False
) -> dict:
    """The registered K8sPod flytekit builds from a PodTemplate (authoring view, Kubernetes JSON) and the task
    container (``{image, command, args, env, resources}``).

    ``normalised``: the pod spec comes from a loaded ``Scenario`` (already checked and Kubernetes JSON), so it is
    not checked and deep-copied again (a fifth of a large evaluation); only what flytekit changes is copied."""
    pod_template = dict(pod_template or {})
    container = dict(container or {})
    primary_name = pod_template.get("primaryContainerName", PRIMARY_CONTAINER_DEFAULT_NAME)
    if not primary_name:
        raise InputError(
            "primary_container_name_empty",
            "A primary container name cannot be undefined",
            path="task.podTemplate.primaryContainerName",
            hint="flytekit's PodTemplate refuses an empty primary_container_name",
        )
    if normalised:
        pod_spec = dict(pod_template.get("podSpec") or {})  # the containers are copied below, the rest is read
    else:
        pod_spec = copy.deepcopy(to_plain_k8s(pod_template.get("podSpec") or {}, "PodSpec"))
    containers = list(pod_spec.get("containers") or [])
    if not any(c.get("name") == primary_name for c in containers):
        containers.append({"name": primary_name})
    task_env = _env_list(container.get("env"))
    task_resources = container.get("resources") or {}
    requests = dict(task_resources.get("requests") or {})
    limits = dict(task_resources.get("limits") or {})
    serialized = []
    for item in containers:
        item = dict(item)
        if item.get("name") == primary_name:
            if not item.get("image"):
                item["image"] = container.get("image")
            item["command"] = list(container.get("command") or [])
            args = container.get("args")
            if args is None:
                item.pop("args", None)
            else:
                item["args"] = list(args)
            if requests or limits:
                item["resources"] = {"limits": limits, "requests": requests}
            item["env"] = task_env + list(item.get("env") or [])
        elif not item.get("image"):
            if not default_image:
                raise InputError(
                    "image_required",
                    "An image is required for PythonAutoContainer tasks",
                    path=f"task.podTemplate.podSpec.containers[name={item.get('name')}].image",
                    hint="give the sidecar an image, or set task.defaultImage (flytekit's default image)",
                )
            item["image"] = default_image
        serialized.append(_drop_none(item))
    pod_spec["containers"] = serialized
    metadata: dict = {}
    if pod_template.get("labels"):
        metadata["labels"] = dict(pod_template["labels"])
    if pod_template.get("annotations"):
        metadata["annotations"] = dict(pod_template["annotations"])
    return {"podSpec": pod_spec, "metadata": metadata, "config": {"primary_container_name": primary_name}}


def _env_list(env: Any) -> list:
    if env is None:
        return []
    if isinstance(env, dict):
        return [{"name": str(k), "value": "" if v is None else str(v)} for k, v in env.items()]
    return [dict(item) for item in env]


def _drop_none(item: dict) -> dict:
    return {k: v for k, v in item.items() if v is not None}
