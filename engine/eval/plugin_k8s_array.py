"""The legacy map task's plugin (task type ``container_array``, FlytePropeller's k8s-array plugin): the steps of
``launchSubtask`` (flyteplugins/go/tasks/plugins/array/k8s/subtask.go at flyteorg/flyte 89cf9cc) that are not a plain
layer, on the subtask's Pod (rules/flyte-v1/plugins/k8s-array.yaml declares them, in order):

* ``k8s-array-namespace``: addMetadata's namespace (``:53-63``): ``plugins.k8s-array namespaceTemplate`` with
  ``{{.namespace}}`` (a case-insensitive regular expression, whose ``.`` matches any character) replaced by the
  execution's namespace, the template itself when it has no such placeholder, else the execution's namespace;
* ``k8s-array-index-env``: ``FLYTE_K8S_ARRAY_INDEX`` and ``BATCH_JOB_ARRAY_INDEX_VAR_NAME`` appended to the task
  container, found as getTaskContainerIndex finds it (``:172-189``, ``:326-344``), with its refusals.
"""

from __future__ import annotations

import re

from ..k8s import paths as _paths
from ..k8s.tree import Node, plain, wrap
from ..pack.transform_api import Context, transform
from .map_tasks import ARRAY_INDEX_VAR, JOB_INDEX_VAR

#: subtask.go namespaceRegex: regexp.MustCompile("(?i){{.namespace}}(?i)")
_NAMESPACE_PLACEHOLDER = re.compile(r"(?i){{.namespace}}")
#: flytek8s.PrimaryContainerKey
_PRIMARY_CONTAINER_KEY = "primary_container_name"


@transform("k8s-array-namespace", writes=("metadata.namespace",), template="expression", namespace="expression")
def k8s_array_namespace(ctx: Context) -> None:
    """addMetadata: the subtask's namespace from ``namespaceTemplate``, else the execution's."""
    template = ctx.param("template") or ""
    namespace = ctx.param("namespace") or ""
    if template:
        namespace = _NAMESPACE_PLACEHOLDER.sub(lambda _: namespace, template)
    ctx.set(("metadata", "namespace"), ctx.node(namespace))
    if ctx.tracing:
        ctx.emit("set", ("metadata", "namespace"), value=namespace)


@transform("k8s-array-index-env", writes=("spec.containers",), index="expression", required=("index",))
def k8s_array_index_env(ctx: Context) -> None:
    """launchSubtask: the subtask's index (the original one, before cache hits were left out) and the name of the
    variable that holds it, appended to the env of the task container: the one the ``primary_container_name``
    annotation names, else the only container. FlytePropeller refuses a Pod with no containers, several
    containers and no annotation, or an annotation naming none of them."""
    containers = ctx.get(("spec", "containers"))
    items = list(containers.value) if containers is not None and isinstance(containers.value, list) else []
    if not items:
        ctx.fail(
            "no_containers",
            "[CMD_TEMPLATE_FAILED] No containers found in podSpec., caused by: <nil>",
            path=("spec", "containers"),
            hint="the k8s-array plugin needs the subtask's Pod to have a container",
        )
    annotations = plain(ctx.get(("metadata", "annotations"))) or {}
    names = [plain(item).get("name") for item in items]
    if _PRIMARY_CONTAINER_KEY not in annotations:
        if len(items) != 1:
            ctx.fail(
                "primary_container_key_missing",
                "[POD_TEMPLATE_FAILED] Expected a specified primary container key when building an array job with "
                "a K8sPod spec target",
                path=("metadata", "annotations"),
                hint=f"the Pod has the containers {names} and no primary_container_name annotation",
            )
        index = 0
    else:
        primary = annotations[_PRIMARY_CONTAINER_KEY]
        if primary not in names:
            ctx.fail(
                "primary_container_not_found",
                "[POD_TEMPLATE_FAILED] Couldn't find any container matching the primary container key when building "
                "an array job with a K8sPod spec target",
                path=("metadata", "annotations", _PRIMARY_CONTAINER_KEY),
                hint=f"the annotation names {primary!r}; the Pod's containers are {names}",
            )
        index = names.index(primary)
    env = [
        {"name": ARRAY_INDEX_VAR, "value": str(ctx.param("index"))},
        {"name": JOB_INDEX_VAR, "value": ARRAY_INDEX_VAR},
    ]
    container = items[index]
    children = dict(container.value)
    current = list(children["env"].value) if "env" in children and isinstance(children["env"].value, list) else []
    seen = [plain(node).get("name") for node in current]
    path = ("spec", "containers", _paths.Key("name", names[index]))
    for item in env:
        current.append(wrap(item, ctx.source, ctx.rule))
        if ctx.tracing:
            occurrence = seen.count(item["name"]) + 1
            seen.append(item["name"])
            ctx.emit("append", path + ("env", _paths.Key("name", item["name"], occurrence)), value=item)
    children["env"] = ctx.node(current)
    items[index] = Node(children, container.source, container.rule)
    ctx.set(("spec", "containers"), Node(items, containers.source, containers.rule))
