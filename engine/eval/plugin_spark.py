"""The Spark plugin's steps that are not a layer (flyteplugins/go/tasks/plugins/k8s/spark/spark.go at flyteorg/flyte
89cf9cc): the SparkJob's checks, the task's sparkConf with Flyte's features and core limits, a role pod as the
``SparkPodSpec`` createSparkPodSpec makes of it (a subset: everything else is a ``drop`` event), the role's primary
container name, and the SparkApplication fields read from sparkConf. ``rules/flyte-v1/plugins/spark.yaml`` says
where each one runs."""

from __future__ import annotations

import json
import re
from typing import Any

from ..k8s import paths as _paths
from ..k8s.tree import Node, plain
from ..pack.transform_api import Context, transform
from .plugins import PlaceContext

#: SparkPodSpec field <- the built pod's PodSpec field (createSparkPodSpec, spark.go:176-190; priorityClassName is set
#: by createDriverSpec/createExecutorSpec, :239 and :294)
POD_FIELDS = {
    "affinity": "affinity",
    "securityContext": "podSecurityContext",
    "dnsConfig": "dnsConfig",
    "tolerations": "tolerations",
    "schedulerName": "schedulerName",
    "nodeSelector": "nodeSelector",
    "hostNetwork": "hostNetwork",
    "priorityClassName": "priorityClassName",
}
#: SparkPodSpec field <- the primary container's field
PRIMARY_FIELDS = {"image": "image", "env": "env", "securityContext": "securityContext"}
#: SparkPodSpec field <- the pod's metadata field (the role steps layer the labels and annotations as
#: createSparkPodSpec unions them, :153-168)
METADATA_FIELDS = {"labels": "labels", "annotations": "annotations"}
#: written through a pointer to the pod's own field (&podSpec.SchedulerName, &podSpec.HostNetwork, &container.Image):
#: present in the object even at the zero value
ALWAYS_SET = {"schedulerName": "", "hostNetwork": False, "image": ""}
#: written with strPtr (:608-613): absent when empty
OMITTED_WHEN_EMPTY = ("priorityClassName",)

#: featureRegex (spark.go:36): the sparkConf keys that switch a plugins.spark feature on
FEATURE = re.compile(r"^spark.((flyteorg)|(flyte)).(.+).enabled$")
#: getApplicationType (:372-384): SparkJob.applicationType (by name or number, as jsonpb reads it) -> the CRD's
APPLICATION_TYPES = {"PYTHON": "Python", "JAVA": "Java", "SCALA": "Scala", "R": "R"}
APPLICATION_TYPE_NUMBERS = {0: "PYTHON", 1: "JAVA", 2: "SCALA", 3: "R"}
#: strconv.ParseInt(s, 10, 32)
INT32 = re.compile(r"^[+-]?[0-9]+$")
#: SparkJob fields (flyteidl plugins/spark.proto) and the JSON type jsonpb requires of each
_STRING_FIELDS = ("mainApplicationFile", "mainClass", "executorPath", "databricksToken", "databricksInstance")
_MAP_FIELDS = ("sparkConf", "hadoopConf")
_OBJECT_FIELDS = ("databricksConf", "driverPod", "executorPod")
_PROTO_NAMES = {
    "application_type": "applicationType",
    "main_application_file": "mainApplicationFile",
    "main_class": "mainClass",
    "spark_conf": "sparkConf",
    "hadoop_conf": "hadoopConf",
    "executor_path": "executorPath",
    "databricks_conf": "databricksConf",
    "databricks_token": "databricksToken",
    "databricks_instance": "databricksInstance",
    "driver_pod": "driverPod",
    "executor_pod": "executorPod",
}

DROP_NOTE = (
    "createSparkPodSpec copies only the primary container's image, env and securityContext and the pod's affinity, "
    "tolerations, nodeSelector, schedulerName, hostNetwork, securityContext, dnsConfig and priorityClassName into "
    "the {role}'s SparkPodSpec (spark.go:145-192): FlytePropeller drops this"
)


def spark_job(custom: Any) -> dict:
    """``task.custom`` as a SparkJob in its JSON mapping (proto field names read as their JSON names)."""
    return {_PROTO_NAMES.get(key, key): value for key, value in (custom or {}).items()}


# ---------------------------------------------------------------------------------------------------------------
# The SparkJob


@transform("spark-job", custom="expression")
def check_spark_job(ctx: Context) -> None:
    """BuildResource (spark.go:68-76): ``custom`` decodes into a SparkJob (utils.UnmarshalStructToPb: jsonpb, unknown
    keys ignored) and names ``mainApplicationFile`` or ``mainClass`` (validateSparkJob). Go prints the Struct with
    ``%v`` (its protobuf text form); podeval prints it as JSON."""
    custom = ctx.param("custom")
    if custom is None:
        ctx.fail(
            "spark_job_invalid",
            "[BadTaskSpecification] invalid TaskSpecification [<nil>], failed to unmarshal, caused by: nil Struct "
            "object passed",
            path=("task", "custom"),
            hint="a Spark task carries its SparkJob in custom (flytekitplugins-spark writes it)",
        )
    shown = json.dumps(custom, sort_keys=True)
    job = spark_job(custom) if isinstance(custom, dict) else None
    problem = _decode_problem(job)
    if problem is not None:
        field_name, what = problem
        ctx.fail(
            "spark_job_invalid",
            f"[BadTaskSpecification] invalid TaskSpecification [{shown}], failed to unmarshal, caused by: "
            f"Failed to unmarshal json obj into proto: {what}",
            path=("task", "custom", *((field_name,) if field_name else ())),
        )
    if not (job.get("mainApplicationFile") or job.get("mainClass")):
        ctx.fail(
            "spark_main_missing",
            f"[BadTaskSpecification] invalid TaskSpecification [{shown}]., caused by: either MainApplicationFile or "
            "MainClass must be set",
            path=("task", "custom"),
            hint="set mainApplicationFile (flytekit writes local://<entrypoint>) or mainClass",
        )


def _decode_problem(job: dict | None) -> tuple[str, str] | None:
    """What jsonpb refuses in a SparkJob: a field of the wrong JSON type or an unknown enum name."""
    if job is None:
        return "", "the custom is not a JSON object"
    for name in _STRING_FIELDS:
        if job.get(name) is not None and not isinstance(job[name], str):
            return name, f"field {name}: expected a string, got {json.dumps(job[name])}"
    for name in _MAP_FIELDS:
        value = job.get(name)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            return name, f"field {name}: expected a map of strings, got {json.dumps(value)}"
    for name in _OBJECT_FIELDS:
        if job.get(name) is not None and not isinstance(job[name], dict):
            return name, f"field {name}: expected an object, got {json.dumps(job[name])}"
    kind = job.get("applicationType")
    if kind is not None and kind not in APPLICATION_TYPES and not _whole_number(kind):
        return "applicationType", f"unknown value {json.dumps(kind)} for enum flyteidl.plugins.SparkApplication.Type"
    return None


def _whole_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()


@transform("spark-application-type", writes=("spec.type",), application_type="expression")
def application_type(ctx: Context) -> None:
    """getApplicationType (spark.go:372-384): PYTHON/JAVA/SCALA/R -> Python/Java/Scala/R; the zero value (PYTHON,
    which flytekit omits) and any other number are Python."""
    given = ctx.param("application_type")
    name = APPLICATION_TYPE_NUMBERS.get(int(given)) if _whole_number(given) else given
    ctx.set(("spec", "type"), ctx.node(APPLICATION_TYPES.get(name, "Python")))


# ---------------------------------------------------------------------------------------------------------------
# sparkConf


@transform("spark-conf-task", writes=("spec.sparkConf",), conf="expression", features="expression")
def spark_conf_task(ctx: Context) -> None:
    """getSparkConfig (spark.go:103-110, addConfig :345-369): each key of the task's sparkConf over the config so
    far; a key ``spark.flyte.<name>.enabled`` / ``spark.flyteorg.<name>.enabled`` whose value is ``true`` (any case,
    spaces trimmed) brings the ``spark-config`` of the first ``plugins.spark features`` entry named ``<name>``
    instead (``spark-plugin``), and stays as written when no feature has that name. Go walks the map in random
    order; podeval in the task's order (the results differ only when a feature writes a key the task sets too)."""
    conf = ctx.param("conf") or {}
    features = ctx.param("features") or []
    if not isinstance(conf, dict):
        return
    current = ctx.get(("spec", "sparkConf"))
    entries = dict(current.value) if current is not None and isinstance(current.value, dict) else {}
    for key, value in conf.items():
        match = FEATURE.match(key)
        feature = None
        if match and str(value).strip().lower() == "true":
            feature = next((f for f in features if isinstance(f, dict) and f.get("name") == match.group(4)), None)
        if feature is None:
            entries[key] = ctx.node(value)
            ctx.emit("set", ("spec", "sparkConf", key), value=value, previous=_previous(current, key))
            continue
        for feature_key, feature_value in (feature.get("spark-config") or {}).items():
            entries[feature_key] = ctx.node(feature_value, source="spark-plugin")
            ctx.emit(
                "set",
                ("spec", "sparkConf", feature_key),
                source="spark-plugin",
                value=feature_value,
                previous=_previous(current, feature_key),
                note=f'plugins.spark feature {feature.get("name")!r}, switched on by the task\'s {key}: "{value}"',
            )
    ctx.set(("spec", "sparkConf"), Node(entries, current.source if current else ctx.source, ctx.rule))


def _previous(current: Node | None, key: str) -> Any:
    if current is None or not isinstance(current.value, dict) or key not in current.value:
        return None
    return current.value[key].value


@transform("spark-limit-cores", writes=("spec.sparkConf",))
def spark_limit_cores(ctx: Context) -> None:
    """getSparkConfig (spark.go:112-129): ``spark.kubernetes.<role>.limit.cores``, when unset or empty, is
    ``spark.kubernetes.<role>.request.cores``, else ``spark.<role>.cores`` (the value keeps its source)."""
    current = ctx.get(("spec", "sparkConf"))
    entries = dict(current.value) if current is not None and isinstance(current.value, dict) else {}
    for role in ("driver", "executor"):
        limit = f"spark.kubernetes.{role}.limit.cores"
        if _text(entries.get(limit)):
            continue
        for origin in (f"spark.kubernetes.{role}.request.cores", f"spark.{role}.cores"):
            found = entries.get(origin)
            if _text(found):
                entries[limit] = Node(found.value, found.source, ctx.rule)
                ctx.emit(
                    "set",
                    ("spec", "sparkConf", limit),
                    source=found.source,
                    value=found.value,
                    note=f"copied from {origin}",
                )
                break
    if entries:
        ctx.set(("spec", "sparkConf"), Node(entries, current.source if current else ctx.source, ctx.rule))


def _text(node: Node | None) -> str:
    return "" if node is None or node.value is None else str(node.value)


@transform("spark-conf-value", writes=("spec",), key="value", at="value", kind="value", required=("key", "at", "kind"))
def spark_conf_value(ctx: Context) -> None:
    """A SparkApplication field read from the merged sparkConf, with the source of the sparkConf entry:
    ``kind: int`` is intPtr(strconv.ParseInt(v, 10, 32)) (absent when it does not parse, or is 0: intPtr(0) is
    nil, spark.go:615-620); ``string`` is strPtr(v) (absent when empty); ``present`` is written whenever the key is
    there, even empty (``spark.batchScheduler``, :332-334)."""
    conf = ctx.get(("spec", "sparkConf"))
    key, kind = str(ctx.param("key")), ctx.param("kind")
    found = conf.value.get(key) if conf is not None and isinstance(conf.value, dict) else None
    if found is None:
        return
    text = "" if found.value is None else str(found.value)
    at = tuple(_paths.parse(str(ctx.param("at"))))
    if kind == "int":
        if not INT32.match(text) or not -(2**31) <= int(text) < 2**31 or int(text) == 0:
            return
        value: Any = int(text)
    elif kind == "string":
        if not text:
            return
        value = text
    else:
        value = text
    ctx.set(at, Node(value, found.source, ctx.rule))
    ctx.emit("set", at, source=found.source, value=value, note=f"from sparkConf {key}")


# ---------------------------------------------------------------------------------------------------------------
# The role pods


@transform("spark-primary-container", sets=("primaryContainerName",), name="expression", origin="value")
def spark_primary_container(ctx: Context) -> None:
    """createDriverSpec/createExecutorSpec (spark.go:223-231, :276-284): a non-empty ``primaryContainerName`` of the
    role's K8sPod replaces the primary container's name (flytekit always writes one, ``primary`` by default), and
    the built pod must have a container of that name (flytek8s.GetContainer). A container-target task's container is
    named after the execution, so a role pod template on a task without a task pod template fails (flyte PR
    #6363)."""
    name = ctx.param("name")
    primary = str(name) if name else ctx.var("primaryContainerName")
    containers = plain(ctx.get(("spec", "containers"))) or []
    names = [(c or {}).get("name") for c in containers]
    if primary not in names:
        ctx.fail(
            "primary_container_missing",
            f"[BadTaskSpecification] invalid TaskSpecification, container [{primary}] not defined",
            path=tuple(str(ctx.param("origin") or "task.custom").split(".")),
            hint=f"the built pod's containers are {', '.join(repr(n) for n in names) or 'none'}: the role pod "
            "template's primaryContainerName must name one of them (give the task a pod_template whose primary "
            "container has that name)",
        )
    ctx.set_var("primaryContainerName", primary)


@transform(
    "spark-pod-spec",
    writes=("spec",),
    service_account="expression",
    max_attempts="expression",
    application="value",
    required=("service_account", "max_attempts"),
)
def spark_pod_spec(ctx: PlaceContext) -> None:
    """createSparkPodSpec (spark.go:145-192) with createDriverSpec/createExecutorSpec's service account and priority
    class (:238-239, :286-294): the role's pod becomes a SparkPodSpec at ``at``. Kept, with their sources: the
    primary container's image, env (+ ``FLYTE_MAX_ATTEMPTS``) and securityContext, the pod's labels, annotations,
    affinity, tolerations, nodeSelector, schedulerName, hostNetwork, securityContext (``podSecurityContext``),
    dnsConfig and priorityClassName. ``serviceAccount`` is the execution's (or ``spark``), never the pod's. Every
    other part of the pod is a ``drop`` event at the role pod's path under ``at``. With ``application: true`` (the
    executor) the primary container's image and args are also the application's ``spec.image`` and
    ``spec.arguments`` (createSparkApplication, :317-318)."""
    at = ctx.at
    role = str(at[-1]) if at else "role"
    document = ctx.pod_document()
    primary = ctx.pod.vars.get("primaryContainerName")
    spec = _child(document, "spec")
    metadata = _child(document, "metadata")
    containers = _child(spec, "containers")
    container = next(
        (c for c in (containers.value if containers is not None else []) if _name(c) == primary),
        None,
    )
    primary_key = _paths.Key("name", str(primary))

    def relocate(path: tuple) -> tuple:
        if path[:1] == ("spec",) and len(path) > 1 and path[1] in POD_FIELDS:
            return (*at, POD_FIELDS[path[1]], *path[2:])
        if path[:3] == ("spec", "containers", primary_key) and len(path) > 3 and path[3] in PRIMARY_FIELDS:
            return (*at, PRIMARY_FIELDS[path[3]], *path[4:])
        if path[:1] == ("metadata",) and len(path) > 1 and path[1] in METADATA_FIELDS:
            return (*at, METADATA_FIELDS[path[1]], *path[2:])
        return at + path

    ctx.adopt_events(at, relocate)

    fields: dict[str, Node] = {}
    for pod_field, spark_field in POD_FIELDS.items():
        node = _child(spec, pod_field)
        if node is not None and node.value is not None:
            if spark_field in OMITTED_WHEN_EMPTY and node.value == "":
                continue
            fields[spark_field] = node
        elif spark_field in ALWAYS_SET:
            fields[spark_field] = ctx.node(ALWAYS_SET[spark_field])
    for meta_field, spark_field in METADATA_FIELDS.items():
        node = _child(metadata, meta_field)
        if node is not None and node.value:
            fields[spark_field] = node
    for container_field, spark_field in PRIMARY_FIELDS.items():
        node = _child(container, container_field)
        if node is not None and node.value is not None:
            fields[spark_field] = node
        elif spark_field in ALWAYS_SET:
            fields[spark_field] = ctx.node(ALWAYS_SET[spark_field])
    attempts = str(ctx.param("max_attempts"))
    env = _child(container, "env")
    items = list(env.value) if env is not None and isinstance(env.value, list) else []
    flyte_env = Node({"name": ctx.node("FLYTE_MAX_ATTEMPTS"), "value": ctx.node(attempts)}, ctx.source, ctx.rule)
    fields["env"] = Node([*items, flyte_env], env.source if env is not None else ctx.source, ctx.rule)
    account = str(ctx.param("service_account"))
    fields["serviceAccount"] = ctx.node(account, source="execution" if account != "spark" else "flyte")

    current = ctx.get(at)
    merged = dict(current.value) if current is not None and isinstance(current.value, dict) else {}
    merged.update(fields)
    ctx.set(at, Node(merged, ctx.source, ctx.rule))
    if ctx.tracing:
        ctx.emit(
            "set",
            (*at, "env", _paths.Key("name", "FLYTE_MAX_ATTEMPTS"), "value"),
            value=attempts,
            note="GetMaxAttempts(): the task's retries + 1",
        )
        ctx.emit(
            "set",
            (*at, "serviceAccount"),
            source=fields["serviceAccount"].source,
            value=account,
            note='the execution\'s service account, else "spark" (serviceAccountName, spark.go:137-143); '
            "the pod's serviceAccountName is not read",
        )
        _emit_drops(ctx, at, role, spec, metadata, container, primary_key)
    if ctx.param("application"):
        for field_name, target in (("image", "image"), ("args", "arguments")):
            node = _child(container, field_name)
            if node is not None and node.value not in (None, []):
                ctx.set(("spec", target), node)
                ctx.emit(
                    "set",
                    ("spec", target),
                    source=node.source,
                    value=node,
                    note=f"the executor's primary container's {field_name} (createSparkApplication)",
                )
            elif field_name == "image":
                ctx.set(("spec", "image"), ctx.node(""))


def _emit_drops(
    ctx: PlaceContext,
    at: tuple,
    role: str,
    spec: Node | None,
    metadata: Node | None,
    container: Node | None,
    primary_key: _paths.Key,
) -> None:
    note = DROP_NOTE.format(role=role)
    for name, node in _items(metadata):
        if name not in METADATA_FIELDS:
            ctx.emit("drop", (*at, "metadata", name), source=node.source, value=node, note=note)
    for name, node in _items(spec):
        if name in POD_FIELDS or name == "containers":
            continue
        ctx.emit("drop", (*at, "spec", name), source=node.source, value=node, note=note)
    containers = _child(spec, "containers")
    for item in containers.value if containers is not None and isinstance(containers.value, list) else []:
        if item is container:
            continue
        ctx.emit(
            "drop",
            (*at, "spec", "containers", _paths.Key("name", str(_name(item)))),
            source=item.source,
            value=item,
            note=note,
        )
    for name, node in _items(container):
        if name in PRIMARY_FIELDS or name == "name":
            continue
        what = note
        if name == "args" and role == "executor":
            continue  # the application's spec.arguments
        if name == "resources":
            what = note + "; the driver's and executor's cores and memory come from sparkConf only (flyte#6348)"
        ctx.emit("drop", (*at, "spec", "containers", primary_key, name), source=node.source, value=node, note=what)


def _child(node: Node | None, name: str) -> Node | None:
    if node is None or not isinstance(node.value, dict):
        return None
    return node.value.get(name)


def _items(node: Node | None) -> list[tuple[str, Node]]:
    if node is None or not isinstance(node.value, dict):
        return []
    return [
        (name, child)
        for name, child in node.value.items()
        if child is not None and child.value not in (None, "", [], {})
    ]


def _name(container: Node | None) -> Any:
    child = _child(container, "name")
    return None if child is None else child.value
