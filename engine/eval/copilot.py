"""Co-pilot: what FlytePropeller adds to the Pod of a task whose data config is enabled (flytek8s/copilot.go).

A raw-container task (flytekit's ``ContainerTask``) registers a ``DataLoadingConfig`` on its container (or on its
K8sPod target). ``ApplyFlytePodConfiguration`` (flytek8s/pod_helper.go) then calls, after the containers were
customized and the primary container was found, and before ``UpdatePod`` and the runtime template merge:

* ``AddCoPilotToContainer``: the primary container gets a (possibly empty) securityContext with capabilities, and
  mounts of the input and output volumes;
* ``AddCoPilotToPod``: the volumes, the ``downloader`` init container (inputs) and the ``uploader`` native sidecar
  (an init container with ``restartPolicy: Always``, put first; outputs), and the termination grace period. The
  downloader's name is the primary *init* container name the template merge uses for ``primary-init``.

Their command lines (``CopilotCommandArgs``, ``DownloadCommandArgs``, ``SidecarCommandArgs``) carry FlytePropeller's
storage and logger configuration, the execution's input and output locations and the task's interface, as
protobuf bytes in base64: flyteidl's own classes encode it (``podeval[flyteidl]``), never a hand-written encoder.
"""

from __future__ import annotations

import base64
import re
from fractions import Fraction
from typing import Any

from ..errors import InputError
from ..k8s import paths as _paths
from ..k8s import quantity
from ..k8s.tree import wrap
from ..pack.transform_api import Context, transform

DOWNLOADER = "downloader"  # flyteDownloaderContainerName
UPLOADER = "uploader"  # flyteSidecarContainerName
INSTALL_HINT = "pip install 'podeval[flyteidl]' (or 'podeval[flytekit]', which brings it)"
# resource.ErrFormatWrong, what resource.ParseQuantity returns for text that is not a quantity
_QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
_FORMATS = ("JSON", "YAML", "PROTO")  # core.DataLoadingConfig_LiteralMapFormat, by number


def _enabled(data_config: Any) -> bool:
    return isinstance(data_config, dict) and bool(data_config.get("enabled"))


def _variables(interface: Any, side: str) -> dict:
    """``iFace.GetInputs().GetVariables()`` (or outputs): co-pilot acts on a side only when it has a variable."""
    if not isinstance(interface, dict):
        return {}
    return ((interface.get(side) or {}).get("variables")) or {}


def _path(data_config: dict, key: str, default: str) -> str:
    """``pilot.GetInputPath()`` (or output) when set, else the co-pilot section's default path."""
    return data_config.get(key) or default


# ---------------------------------------------------------------------------------------------------------------
# Go's time.Duration, as flytestdlib's config.Duration reads it (time.ParseDuration) and Go prints it (String)

_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(value: Any) -> int:
    """Nanoseconds of a Go duration string (``1h``, ``90m``, ``1.5s``) or of a number (config.Duration's
    UnmarshalJSON takes a number as nanoseconds)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    text = str(value)
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    if body == "0":
        return 0
    total, position = Fraction(0), 0
    while position < len(body):
        match = _DURATION_PART.match(body, position)
        if not match or match.group(1) in ("", "."):
            raise ValueError(f"invalid duration {text!r}")
        total += Fraction(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if not body:
        raise ValueError(f"invalid duration {text!r}")
    return sign * int(total)


def format_duration(nanoseconds: int) -> str:
    """Go's ``time.Duration.String()``: ``1h0m0s``, ``30s``, ``1.5s``, ``500ms``, ``0s``."""
    if nanoseconds == 0:
        return "0s"
    sign = "-" if nanoseconds < 0 else ""
    n = abs(nanoseconds)
    if n < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if n >= size or unit == "ns":
                return sign + _fraction_text(n, size) + unit
    seconds_text = _fraction_text(n % 60_000_000_000, 1_000_000_000) + "s"
    minutes = n // 60_000_000_000
    if minutes == 0:
        return sign + seconds_text
    hours, minutes = divmod(minutes, 60)
    if hours == 0:
        return f"{sign}{minutes}m{seconds_text}"
    return f"{sign}{hours}h{minutes}m{seconds_text}"


def _fraction_text(n: int, size: int) -> str:
    whole, rest = divmod(n, size)
    if not rest:
        return str(whole)
    digits = str(rest).rjust(len(str(size)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


# ---------------------------------------------------------------------------------------------------------------
# The command lines


def command(storage: dict, logger_level: int) -> list[str]:
    """``CopilotCommandArgs(storage.GetConfig())``: the co-pilot binary with FlytePropeller's own storage and logger
    settings. Go ranges over the stow config map in random order; podeval sorts the keys."""
    commands = ["/bin/flyte-copilot", "--storage.limits.maxDownloadMBs=0", f"--logger.level={logger_level}"]
    if storage.get("enable-multicontainer"):
        commands.append("--storage.enable-multicontainer")
    if storage.get("container"):
        commands.append(f"--storage.container={storage['container']}")
    commands.append(f"--storage.type={storage.get('type', '')}")
    stow = storage.get("stow") or {}
    if stow.get("config") and stow.get("kind"):
        for key in sorted(stow["config"]):
            commands += ["--storage.stow.config", f"{key}={_go_text(stow['config'][key])}"]
        return commands + [f"--storage.stow.kind={stow['kind']}"]
    connection = storage.get("connection") or {}
    return commands + [
        f"--storage.connection.{key}={_go_text(connection.get(key, ''))}"
        for key in ("secret-key", "access-key", "auth-type", "region", "endpoint")
    ]


def _go_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def encode(message: str, value: dict, where: tuple) -> str:
    """``base64(proto.Marshal(value))`` for a flyteidl ``TypedInterface`` or ``VariableMap`` given in protobuf's
    JSON mapping. Go marshals map entries in random order; podeval sorts them (deterministic serialization)."""
    try:
        from flyteidl.core import interface_pb2  # optional extra (flyteidl)
        from google.protobuf import json_format  # optional extra (flyteidl)
    except ImportError:
        raise InputError(
            "flyteidl_missing",
            "co-pilot's command lines carry the task's interface as protobuf, "
            "which needs the flyteidl package, not installed",
            path=_paths.render(where),
            hint=INSTALL_HINT,
        ) from None
    try:
        parsed = json_format.ParseDict(value, getattr(interface_pb2, message)())
    except json_format.ParseError as exc:
        raise InputError(
            "invalid_interface",
            f"the task's interface is not a flyteidl {message}: {exc}",
            path=_paths.render(where),
            hint="write it in protobuf's JSON mapping, as flytectl prints "
            "it: inputs: {variables: {x: {type: {simple: INTEGER}}}}",
        ) from None
    return base64.b64encode(parsed.SerializeToString(deterministic=True)).decode()


def _parse_quantity(ctx: Context, value: Any, option: str) -> str:
    """``resource.ParseQuantity(cfg.CPU)``: a value FlytePropeller cannot parse fails the task at Pod build time.
    The error is at the co-pilot option (the parameter ``config_option``), field ``option``."""
    section = ctx.param("config_option")
    text = _go_text(value)
    try:
        if not text:
            raise quantity.QuantityError("empty")
        return quantity.canonical(text)
    except quantity.QuantityError:
        ctx.fail(
            "co_pilot_invalid_quantity",
            _QUANTITY_ERROR,
            path=("propeller", "config") + ((section, option) if section else ()),
            hint=f"co-pilot {option} is {text!r}: FlytePropeller loads it but fails every co-pilot task when it "
            "builds the Pod (FlyteCoPilotContainer)",
        )
    return text


# ---------------------------------------------------------------------------------------------------------------
# The transforms


@transform(
    "co-pilot-container",
    writes=("spec.containers",),
    data_config="expression",
    interface="expression",
    config="expression",
    origin="value",
)
def co_pilot_container(ctx: Context) -> None:
    """AddCoPilotToContainer: nothing unless the data config is enabled; then the primary container's
    securityContext and its capabilities are made non-nil (so default-security-context no longer applies), and
    the input (output) volume is mounted at the data config's path, else the default one, when the interface has
    an input (output) variable."""
    data_config = ctx.param("data_config")
    if not _enabled(data_config):
        return
    cfg = ctx.param("config") or {}
    interface = ctx.param("interface")
    ctx.add_source(ctx.param("origin", ctx.source))
    container_path = ("spec", "containers", _paths.Key("name", str(ctx.var("primaryContainerName") or "")))
    context = ctx.get(container_path + ("securityContext",))
    if context is None:
        ctx.set(container_path + ("securityContext",), ctx.node({"capabilities": ctx.node({})}))
        if ctx.tracing:
            ctx.emit(
                "set",
                container_path + ("securityContext",),
                value={"capabilities": {}},
                note="AddCoPilotToContainer makes the securityContext and its "
                "capabilities non-nil: default-security-context no longer applies to this container",
            )
    elif not isinstance(context.value, dict) or context.value.get("capabilities") is None:
        ctx.set(container_path + ("securityContext", "capabilities"), ctx.node({}))
        if ctx.tracing:
            ctx.emit(
                "set",
                container_path + ("securityContext", "capabilities"),
                value={},
                note="AddCoPilotToContainer makes the capabilities non-nil",
            )
    for side, key, default, volume in (
        ("inputs", "inputPath", "default-input-path", "input-vol-name"),
        ("outputs", "outputPath", "default-output-path", "output-vol-name"),
    ):
        if not _variables(interface, side):
            continue
        mount = {"name": cfg.get(volume, ""), "mountPath": _path(data_config, key, cfg.get(default, ""))}
        _append(
            ctx,
            container_path + ("volumeMounts",),
            mount,
            "mountPath",
            note=None if data_config.get(key) else f"dataConfig.{key} is not set: co-pilot's {default}",
        )


@transform(
    "co-pilot-pod",
    writes=("spec.initContainers", "spec.volumes", "spec.terminationGracePeriodSeconds"),
    sets=("primaryInitContainerName",),
    data_config="expression",
    interface="expression",
    config="expression",
    storage="expression",
    logger_level="expression",
    input_path="expression",
    output_prefix="expression",
    raw_output_prefix="expression",
    resources="expression",
    placeholders="value",
    origin="value",
    config_option="value",
)
def co_pilot_pod(ctx: Context) -> None:
    """AddCoPilotToPod: nothing unless the data config is enabled. With input variables: the input volume
    (emptyDir, sized by the execution's storage override) and the downloader, appended to the init containers;
    it becomes the primary init container. With output variables: the output volume, the uploader, put first
    among the init containers as a native sidecar, and terminationGracePeriodSeconds = the co-pilot timeout."""
    data_config = ctx.param("data_config")
    if not _enabled(data_config):
        return
    interface = ctx.param("interface")
    inputs, outputs = _variables(interface, "inputs"), _variables(interface, "outputs")
    if not inputs and not outputs:
        ctx.emit(
            "warn",
            ("spec", "initContainers"),
            value=data_config,
            note="the data config is enabled but the task's interface has no input or output variable "
            f"({'no task.interface given' if interface is None else 'empty'}): FlytePropeller adds no "
            "co-pilot container",
        )
        return
    cfg = ctx.param("config") or {}
    placeholders = ctx.param("placeholders") or {}
    locations = {}
    for name in ("input_path", "output_prefix", "raw_output_prefix"):
        given = ctx.param(name)
        locations[name] = given if given else placeholders.get(name, "")
        if not given and ctx.tracing:
            ctx.emit(
                "set",
                ("spec", "initContainers"),
                value=locations[name],
                note=f"the execution's {name.replace('_', ' ')} is not given: the placeholder "
                f"{locations[name]} stands for the location FlytePropeller passes",
            )
    storage = ctx.param("storage") or {}
    image_command = command(storage, ctx.param("logger_level"))
    cpu = _parse_quantity(ctx, cfg.get("cpu"), "cpu")
    memory = _parse_quantity(ctx, cfg.get("memory"), "memory")
    size = _storage_size(ctx.param("resources"))
    ctx.add_source(ctx.param("origin", ctx.source))

    def container(name: str, args: list, mount: dict) -> dict:  # FlyteCoPilotContainer
        return {
            "name": cfg.get("name", "") + name,
            "image": cfg.get("image", ""),
            "command": list(image_command),
            "args": args,
            "workingDir": "/",
            "resources": {"limits": {"cpu": cpu, "memory": memory}, "requests": {"cpu": cpu, "memory": memory}},
            "volumeMounts": [mount],
            "terminationMessagePolicy": "FallbackToLogsOnError",
            "imagePullPolicy": "IfNotPresent",
        }

    if inputs:
        in_path = _path(data_config, "inputPath", cfg.get("default-input-path", ""))
        _append(ctx, ("spec", "volumes"), _volume(cfg.get("input-vol-name", ""), size), "name")
        args = [
            "download",
            "--from-remote",
            locations["input_path"],
            "--to-output-prefix",
            locations["output_prefix"],
            "--to-local-dir",
            in_path,
            "--format",
            _format(data_config.get("format")),
            "--input-interface",
            encode("VariableMap", (interface or {}).get("inputs") or {}, ("task", "interface", "inputs")),
        ]
        downloader = container(DOWNLOADER, args, {"name": cfg.get("input-vol-name", ""), "mountPath": in_path})
        _append(
            ctx,
            ("spec", "initContainers"),
            downloader,
            "name",
            note="the downloader: the primary init container (a template's primary-init applies to it)",
        )
        ctx.set_var("primaryInitContainerName", downloader["name"])
    if outputs:
        out_path = _path(data_config, "outputPath", cfg.get("default-output-path", ""))
        _append(ctx, ("spec", "volumes"), _volume(cfg.get("output-vol-name", ""), size), "name")
        timeout = parse_duration(cfg.get("timeout") or 0)
        args = [
            "sidecar",
            "--timeout",
            format_duration(timeout),
            "--to-raw-output",
            locations["raw_output_prefix"],
            "--to-output-prefix",
            locations["output_prefix"],
            "--from-local-dir",
            out_path,
            "--interface",
            encode("TypedInterface", interface or {}, ("task", "interface")),
        ]
        uploader = container(UPLOADER, args, {"name": cfg.get("output-vol-name", ""), "mountPath": out_path})
        uploader["restartPolicy"] = "Always"
        current = ctx.get(("spec", "initContainers"))
        node = wrap(uploader, ctx.source, ctx.rule)
        ctx.set(("spec", "initContainers"), ctx.node([node] + (list(current.value) if current else [])))
        grace = int(Fraction(timeout, 1_000_000_000))  # int64(cfg.Timeout.Duration.Seconds()): truncated
        ctx.set(("spec", "terminationGracePeriodSeconds"), ctx.node(grace))
        if ctx.tracing:
            ctx.emit(
                "append",
                ("spec", "initContainers", _paths.Key("name", uploader["name"])),
                value=uploader,
                note="the uploader, a native sidecar (restartPolicy: Always), is put first so that it watches "
                "the primary container from the start (AddCoPilotToPod)",
            )
            ctx.emit(
                "set",
                ("spec", "terminationGracePeriodSeconds"),
                value=grace,
                note="the co-pilot timeout, so that the uploader can finish",
            )


def _append(ctx: Context, at: tuple, value: dict, key: str, note: str | None = None) -> None:
    current = ctx.get(at)
    items = (list(current.value) if current else []) + [wrap(value, ctx.source, ctx.rule)]
    ctx.set(at, ctx.node(items))
    if ctx.tracing:
        ctx.emit("append", at + (_paths.Key(key, str(value[key])),), value=value, note=note)


def _volume(name: str, size: str | None) -> dict:
    """DataVolume: an emptyDir volume (default medium), with the size limit when there is one."""
    return {"name": name, "emptyDir": {"sizeLimit": size} if size is not None else {}}


def _storage_size(resources: Any) -> str | None:
    """CalculateStorageSize(overrides.resources): the `storage` limit, else the `storage` request, else none."""
    for kind in ("limits", "requests"):
        value = ((resources or {}).get(kind) or {}).get("storage")
        if value is not None:
            return quantity.to_text(value)
    return None


def _format(value: Any) -> str:
    """``format.String()``: the enum's name; protobuf's JSON mapping takes the name or the number."""
    if value is None or value == "":
        return _FORMATS[0]
    if isinstance(value, int) and not isinstance(value, bool):
        return _FORMATS[value] if 0 <= value < len(_FORMATS) else str(value)
    return str(value)
