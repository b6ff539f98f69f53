"""The Ray plugin's steps that are not a layer (flyteplugins/go/tasks/plugins/k8s/ray/ray.go at flyteorg/flyte
89cf9cc); ``rules/flyte-v1/plugins/ray.yaml`` says where each one runs."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import yaml

from ..k8s import quantity
from ..k8s.tree import Node, plain, wrap
from ..pack.transform_api import Context, transform
from .plugins import to_k8s_resources

#: ray.go: where Ray keeps its state and logs, and the volume injectLogsSidecar adds for it
RAY_STATE_MOUNT_PATH = "/tmp/ray"
RAY_STATE_VOLUME = "system-ray-state"

#: flyteidl plugins.AutoscalerOptions.UpscalingMode -> kuberay's UpscalingMode (buildAutoscalerOptions)
_UPSCALING_MODES = {
    "UPSCALING_MODE_DEFAULT": "Default",
    "UPSCALING_MODE_CONSERVATIVE": "Conservative",
    "UPSCALING_MODE_AGGRESSIVE": "Aggressive",
}


@transform("ray-logs-sidecar", writes=("spec.containers", "spec.volumes"), sidecar="expression")
def ray_logs_sidecar(ctx: Context) -> None:
    """injectLogsSidecar: the head mounts ``/tmp/ray`` (a new ``system-ray-state`` emptyDir unless it mounts that path
    already), and ``plugins.ray logsSidecar`` is appended with the same mount, read-only (replacing any of its own
    mounts at that path)."""
    sidecar = ctx.param("sidecar")
    if not isinstance(sidecar, dict):
        return
    primary = ctx.var("primaryContainerName")
    containers = plain(ctx.get(("spec", "containers"))) or []
    index = next((i for i, c in enumerate(containers) if (c or {}).get("name") == primary), None)
    if index is None:
        return
    head = containers[index]
    mount = next((m for m in head.get("volumeMounts") or [] if m.get("mountPath") == RAY_STATE_MOUNT_PATH), None)
    if mount is None:
        volumes = plain(ctx.get(("spec", "volumes"))) or []
        volume = {"name": RAY_STATE_VOLUME, "emptyDir": {}}
        ctx.set(("spec", "volumes"), wrap([*volumes, volume], ctx.source, ctx.rule))
        ctx.emit("append", ("spec", "volumes", len(volumes)), value=volume)
        mount = {"name": RAY_STATE_VOLUME, "mountPath": RAY_STATE_MOUNT_PATH}
        head = {**head, "volumeMounts": [*(head.get("volumeMounts") or []), mount]}
        containers[index] = head
    read_only = {**mount, "readOnly": True}
    own = list(sidecar.get("volumeMounts") or [])
    if any(m.get("mountPath") == RAY_STATE_MOUNT_PATH for m in own):
        own = [read_only if m.get("mountPath") == RAY_STATE_MOUNT_PATH else m for m in own]
    else:
        own.append(read_only)
    added = {**sidecar, "volumeMounts": own}
    node = ctx.get(("spec", "containers"))
    items = list(node.value)
    items[index] = wrap(head, ctx.source, ctx.rule) if head is not containers[index] or mount else items[index]
    items.append(wrap(added, ctx.source, ctx.rule))
    ctx.set(("spec", "containers"), Node(items, node.source, node.rule))
    ctx.emit("append", ("spec", "containers", len(items) - 1), value=added)


@transform("ray-autoscaler-options", writes=("spec.rayClusterSpec.autoscalerOptions",), options="expression")
def ray_autoscaler_options(ctx: Context) -> None:
    """buildAutoscalerOptions: idleTimeoutSeconds when > 0, upscalingMode unless unspecified, image when non-empty,
    resources (ToK8sResourceRequirements: always an object) and env."""
    options = ctx.param("options") or {}
    built: dict[str, Any] = {}
    idle = int(float(options.get("idleTimeoutSeconds") or 0))
    if idle > 0:
        built["idleTimeoutSeconds"] = idle
    mode = _UPSCALING_MODES.get(str(options.get("upscalingMode") or ""))
    if mode is not None:
        built["upscalingMode"] = mode
    if options.get("image"):
        built["image"] = options["image"]
    try:
        built["resources"] = to_k8s_resources(options.get("resources"))
    except quantity.QuantityError:
        built["resources"] = {}  # buildAutoscalerOptions ignores the conversion's error: no resources
    built["env"] = [{"name": kv.get("key", ""), "value": kv.get("value", "")} for kv in options.get("env") or []]
    at = ("spec", "rayClusterSpec", "autoscalerOptions")
    ctx.set(at, wrap(built, ctx.source, ctx.rule))
    ctx.emit("set", at, value=built)


@transform("ray-runtime-env", writes=("spec.runtimeEnvYAML",), yaml="expression", base64_json="expression")
def ray_runtime_env(ctx: Context) -> None:
    """runtimeEnvYAML: the task's runtimeEnvYaml, else its deprecated base64-JSON runtimeEnv converted to YAML
    (convertBase64RuntimeEnvToYaml); a runtimeEnv that does not decode fails the task."""
    text = ctx.param("yaml") or ""
    encoded = ctx.param("base64_json") or ""
    if encoded and not text:
        try:
            decoded = json.loads(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError) as error:
            ctx.fail(
                "ray_runtime_env",
                f"{error}",
                path=("task", "custom", "runtimeEnv"),
                hint="runtimeEnv is base64 of a JSON object; flytekit writes runtimeEnvYaml instead",
            )
            return
        # sigs.k8s.io/yaml's Marshal: JSON's object as YAML with sorted keys
        text = yaml.safe_dump(decoded, default_flow_style=False, sort_keys=True)
    if text:
        at = ("spec", "runtimeEnvYAML")
        ctx.set(at, Node(text, ctx.source, ctx.rule))
        ctx.emit("set", at, value=text)


@transform("ray-entrypoint", writes=("spec.entrypoint",), args="expression")
def ray_entrypoint(ctx: Context) -> None:
    """The RayJob's entrypoint: the primary container's args (before the head and workers emptied theirs) joined by
    spaces, each empty arg written ``''``."""
    args = ctx.param("args") or []
    text = " ".join("''" if arg == "" else str(arg) for arg in args)
    if text:
        at = ("spec", "entrypoint")
        ctx.set(at, Node(text, ctx.source, ctx.rule))
        ctx.emit("set", at, value=text)
