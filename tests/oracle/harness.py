"""Python side of podeval's mergo differential oracle.

The oracle is a small Go program (``mergo_oracle/main.go``) that runs
FlytePropeller's ``mergo.Merge(dst, src, mergo.WithOverride,
mergo.WithAppendSlice)`` with the real mergo library on Go structs mirroring a
subset of ``k8s.io/api`` core/v1, and (mode ``template``,
``mergo_oracle/template.go``) FlytePropeller's MergeBasePodSpecOntoTemplate
over the same structs, with Go's pointer semantics.  This module

* finds (and, when Go and mergo are installed, builds) the binary:
  :func:`oracle_available`, :func:`oracle_unavailable_reason`;
* runs a whole batch of cases in one process: :func:`run_oracle`;
* provides hypothesis strategies :func:`pod_specs` and :func:`containers`
  that generate JSON dicts with exactly the fields of the Go mirror and the
  right kinds, biased towards colliding keys and zero values, which is where
  mergo's rules bite.

Output conventions of the oracle that a comparison must expect (they are what
Go's encoding/json does with the k8s tags, not oracle quirks):

* ``omitempty`` drops ``false``/``0``/``""`` plain fields, nil pointers and
  empty lists/maps; a non-nil pointer to a zero value is kept
  (``"automountServiceAccountToken": false``).
* Fields without ``omitempty`` are always emitted: ``containers`` (``null``
  when nil), ``nodeSelectorTerms``, container/env/volume ``name``,
  ``mountPath``, ``containerPort``, requirement ``key``/``operator``.  The
  strategies always include these keys so that inputs round-trip unchanged.
* ``Container.resources`` is a struct, so it is always emitted (``{}`` when
  empty).

:func:`strip_nulls` removes the ``null`` values, if the side being compared
with represents "nil" by absence.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ORACLE_DIR = Path(__file__).resolve().parent
BUILD_SCRIPT = ORACLE_DIR / "build.sh"
SOURCE = ORACLE_DIR / "mergo_oracle" / "main.go"
SOURCES = (SOURCE, ORACLE_DIR / "mergo_oracle" / "template.go")
DEFAULT_BINARY = ORACLE_DIR / "bin" / "mergo-oracle"
# PODEVAL_MERGO_ORACLE may name a prebuilt binary; it is then used as is.
BINARY = Path(os.environ.get("PODEVAL_MERGO_ORACLE", DEFAULT_BINARY))

MODES = ("pod", "container", "template")


class OracleError(RuntimeError):
    """The oracle binary rejected its input or failed."""


_state: dict[str, Any] = {"checked": False, "available": False, "reason": ""}


def _binary_is_fresh() -> bool:
    if not (BINARY.is_file() and os.access(BINARY, os.X_OK)):
        return False
    try:
        return all(BINARY.stat().st_mtime >= source.stat().st_mtime for source in SOURCES)
    except FileNotFoundError:  # source absent: trust an explicitly given binary
        return True


def _check() -> None:
    if _state["checked"]:
        return
    _state["checked"] = True
    if _binary_is_fresh():
        _state["available"] = True
        return
    if BINARY != DEFAULT_BINARY:
        _state["reason"] = f"mergo oracle binary {BINARY} (from PODEVAL_MERGO_ORACLE) is missing or not executable"
        return
    if shutil.which("bash") is None or not BUILD_SCRIPT.is_file():
        _state["reason"] = f"mergo oracle binary {BINARY} missing and {BUILD_SCRIPT} cannot run"
        return
    proc = subprocess.run(["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode == 0 and _binary_is_fresh():
        _state["available"] = True
    else:
        msg = (proc.stderr or proc.stdout).strip().splitlines()
        _state["reason"] = "mergo oracle could not be built: " + (msg[-1] if msg else f"exit {proc.returncode}")


def oracle_available() -> bool:
    """True if the oracle binary exists and is up to date with its source.

    If it is missing or stale, tries once per process to build it with
    ``build.sh`` (offline; needs Debian's golang-go and
    golang-github-imdario-mergo-dev).
    """
    _check()
    return bool(_state["available"])


def oracle_unavailable_reason() -> str:
    """Why :func:`oracle_available` is False (empty string if it is True)."""
    _check()
    return "" if _state["available"] else str(_state["reason"])


def run_oracle(cases: list[dict], *, timeout: float = 300) -> list[dict]:
    """Merge every case with real mergo in one oracle process.

    Each case is ``{"mode": "pod"|"container", "dst": {...}, "src": {...}}``;
    ``dst`` is the template side (merged into), ``src`` the task side.  Mode
    ``template`` (MergeBasePodSpecOntoTemplate: ``dst`` the template's pod
    spec, ``src`` the task's) also takes ``"primary"`` and ``"primaryInit"``
    (container names) and ``"isolate": true`` (not Flyte: every template
    container copied before use, the counterfactual without aliasing).
    Returns the merged ``dst`` of each case, in order.  Raises
    :class:`OracleError` if the oracle rejects any case (unknown field, wrong
    kind, bad mode) or is unavailable.
    """
    if not cases:
        return []
    if not oracle_available():
        raise OracleError(oracle_unavailable_reason())
    for i, case in enumerate(cases):
        if case.get("mode") not in MODES:
            raise OracleError(f"case {i}: mode must be one of {MODES}, got {case.get('mode')!r}")
    proc = subprocess.run(
        [str(BINARY)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise OracleError(proc.stderr.strip() or f"mergo-oracle exited {proc.returncode}")
    results = json.loads(proc.stdout)
    if not isinstance(results, list) or len(results) != len(cases):
        raise OracleError(f"mergo-oracle returned {type(results).__name__} for {len(cases)} cases")
    return results


def printed_by_go(result: Any) -> Any:
    """What the oracle printed, as compared: nulls stripped, and ``resources: {}`` (which Go prints for every
    container, podeval only when set) dropped."""
    return drop_empty_resources(strip_nulls(result))


def printed_by_podeval(value: dict, type_name: str) -> Any:
    """A Kubernetes object as podeval prints it (Go's encoding/json: omitempty, pointers kept, structs always),
    ``resources: {}`` dropped as in ``printed_by_go``."""
    from engine.eval.output import render_node
    from engine.k8s.tree import wrap

    return drop_empty_resources(render_node(wrap(value, "x", ""), type_name, (), None))


def drop_empty_resources(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: drop_empty_resources(v) for k, v in value.items() if not (k == "resources" and v == {})}
    if isinstance(value, list):
        return [drop_empty_resources(v) for v in value]
    return value


def strip_nulls(obj: Any) -> Any:
    """Recursively drop dict entries whose value is ``None``.

    In the oracle's output ``null`` only comes from nil slices/pointers in
    fields without ``omitempty`` (e.g. ``"containers": null``).
    """
    if isinstance(obj, dict):
        return {k: strip_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [strip_nulls(v) for v in obj]
    return obj


# ---------------------------------------------------------------------------
# Hypothesis strategies.  Small alphabets and short lists so that map keys and
# names collide between dst and src often.
# ---------------------------------------------------------------------------

_short = st.sampled_from(["", "a", "b", "c"])  # includes "" (zero value)
_nonempty_short = st.sampled_from(["a", "b", "c"])
_words = st.sampled_from(["", "x", "y", "z", "always", "Never"])
_bools = st.booleans()  # plain bool: explicit false allowed
_ptr_bools = st.booleans()  # value of a *bool when present
_ptr_int64 = st.sampled_from([0, 1, 2, 30, 1000, -1])  # value of a *int64 when present
_ptr_int32 = st.sampled_from([0, 1, 5, 100, -10])
_int32 = st.sampled_from([0, 1, 80, 8080])
_quantity = st.sampled_from(["0", "1", "2", "500m", "250m", "100M", "1Gi", "2Gi", "3Mi", "64Mi"])
_list_max = 2


def _small_list(elem: st.SearchStrategy, max_size: int = _list_max) -> st.SearchStrategy:
    return st.lists(elem, max_size=max_size)


def _obj(
    required: dict[str, st.SearchStrategy] | None = None, optional: dict[str, st.SearchStrategy] | None = None
) -> st.SearchStrategy:
    return st.fixed_dictionaries(required or {}, optional=optional or {})


def _string_map() -> st.SearchStrategy:
    # "" values on purpose: mergo lets src's "" win inside a map.
    return st.dictionaries(_short, _short, max_size=3)


def _resource_list() -> st.SearchStrategy:
    return st.dictionaries(st.sampled_from(["cpu", "memory", "nvidia.com/gpu"]), _quantity, max_size=3)


def _volumes() -> st.SearchStrategy:
    empty_dir = _obj(optional={"medium": st.sampled_from(["", "Memory"]), "sizeLimit": _quantity})
    config_map = _obj(optional={"name": _short})
    return _obj({"name": _short}, {"emptyDir": empty_dir, "configMap": config_map})


def _pod_security_context() -> st.SearchStrategy:
    return _obj(
        optional={
            "runAsUser": _ptr_int64,
            "runAsGroup": _ptr_int64,
            "runAsNonRoot": _ptr_bools,
            "fsGroup": _ptr_int64,
            "supplementalGroups": _small_list(_ptr_int64),
        }
    )


def _affinity() -> st.SearchStrategy:
    requirement = _obj(
        {"key": _short, "operator": st.sampled_from(["In", "NotIn", "Exists", ""])},
        {"values": _small_list(_short)},
    )
    term = _obj(optional={"matchExpressions": _small_list(requirement)})
    node_selector = _obj({"nodeSelectorTerms": _small_list(term)})
    node_affinity = _obj(optional={"requiredDuringSchedulingIgnoredDuringExecution": node_selector})
    return _obj(optional={"nodeAffinity": node_affinity})


def _toleration() -> st.SearchStrategy:
    return _obj(
        optional={
            "key": _short,
            "operator": st.sampled_from(["", "Equal", "Exists"]),
            "value": _short,
            "effect": st.sampled_from(["", "NoSchedule", "NoExecute"]),
            "tolerationSeconds": _ptr_int64,
        }
    )


def _dns_config() -> st.SearchStrategy:
    option = _obj(optional={"name": _short, "value": _short})
    return _obj(
        optional={
            "nameservers": _small_list(_short),
            "searches": _small_list(_short),
            "options": _small_list(option),
        }
    )


def _container_security_context() -> st.SearchStrategy:
    capabilities = _obj(optional={"add": _small_list(_nonempty_short), "drop": _small_list(_nonempty_short)})
    return _obj(
        optional={
            "capabilities": capabilities,
            "runAsGroup": _ptr_int64,
            "privileged": _ptr_bools,
            "runAsUser": _ptr_int64,
            "runAsNonRoot": _ptr_bools,
            "allowPrivilegeEscalation": _ptr_bools,
            "readOnlyRootFilesystem": _ptr_bools,
        }
    )


def _probe() -> st.SearchStrategy:
    exec_action = _obj(optional={"command": _small_list(_words)})
    grpc = _obj({"port": _int32, "service": _short})  # service: a *string without omitempty
    return _obj(
        optional={
            "exec": exec_action,
            "grpc": grpc,
            "initialDelaySeconds": _int32,
            "periodSeconds": _ptr_int32,
            "failureThreshold": _ptr_int32,
            "terminationGracePeriodSeconds": _ptr_int64,
        }
    )


def containers(names: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """JSON dicts for the Go mirror of core/v1 Container.

    ``names`` overrides the strategy for ``name`` (always present, as in k8s
    JSON); by default a small alphabet including "" so names collide.
    """
    port = _obj({"containerPort": _int32}, {"name": _short, "protocol": st.sampled_from(["", "TCP", "UDP"])})
    env = _obj({"name": _short}, {"value": _short})
    mount = _obj({"name": _short, "mountPath": st.sampled_from(["", "/a", "/b"])}, {"readOnly": _bools})
    resources = _obj(optional={"limits": _resource_list(), "requests": _resource_list()})
    return _obj(
        {"name": names if names is not None else _short},
        {
            "image": _words,
            "command": _small_list(_words),
            "args": _small_list(_words),
            "workingDir": _words,
            "ports": _small_list(port),
            "env": _small_list(env),
            "resources": resources,
            "volumeMounts": _small_list(mount),
            "terminationMessagePath": _words,
            "terminationMessagePolicy": st.sampled_from(["", "File", "FallbackToLogsOnError"]),
            "restartPolicy": st.sampled_from(["", "Always"]),
            "livenessProbe": _probe(),
            "readinessProbe": _probe(),
            "startupProbe": _probe(),
            "imagePullPolicy": st.sampled_from(["", "Always", "IfNotPresent", "Never"]),
            "securityContext": _container_security_context(),
            "stdin": _bools,
            "tty": _bools,
        },
    )


def pod_specs(container_names: st.SearchStrategy | None = None, max_containers: int = _list_max) -> st.SearchStrategy:
    """JSON dicts for the Go mirror of core/v1 PodSpec.

    ``containers`` is always present (it has no omitempty in k8s);
    ``container_names`` is passed on to :func:`containers` for both
    ``containers`` and ``initContainers``.
    """
    ctr = containers(container_names)
    return _obj(
        {"containers": st.lists(ctr, max_size=max_containers)},
        {
            "volumes": _small_list(_volumes()),
            "initContainers": st.lists(ctr, max_size=max_containers),
            "restartPolicy": st.sampled_from(["", "Always", "OnFailure", "Never"]),
            "terminationGracePeriodSeconds": _ptr_int64,
            "activeDeadlineSeconds": _ptr_int64,
            "dnsPolicy": st.sampled_from(["", "ClusterFirst", "Default"]),
            "nodeSelector": _string_map(),
            "serviceAccountName": _short,
            "automountServiceAccountToken": _ptr_bools,
            "nodeName": _short,
            "hostNetwork": _bools,
            "hostPID": _bools,
            "hostIPC": _bools,
            "shareProcessNamespace": _ptr_bools,
            "securityContext": _pod_security_context(),
            "imagePullSecrets": _small_list(_obj(optional={"name": _short})),
            "hostname": _short,
            "subdomain": _short,
            "affinity": _affinity(),
            "schedulerName": _short,
            "tolerations": _small_list(_toleration()),
            "priorityClassName": _short,
            "priority": _ptr_int32,
            "dnsConfig": _dns_config(),
            "runtimeClassName": _short,
            "enableServiceLinks": _ptr_bools,
        },
    )


def pod_cases() -> st.SearchStrategy:
    """A ``{"mode": "pod", "dst": ..., "src": ...}`` case."""
    return st.builds(lambda d, s: {"mode": "pod", "dst": d, "src": s}, pod_specs(), pod_specs())


def container_cases() -> st.SearchStrategy:
    """A ``{"mode": "container", "dst": ..., "src": ...}`` case."""
    return st.builds(lambda d, s: {"mode": "container", "dst": d, "src": s}, containers(), containers())


# ---------------------------------------------------------------------------
# MergeBasePodSpecOntoTemplate cases (mode "template"), biased to aliasing: the
# template has `default` and `primary` (`default-init`, `primary-init`)
# containers, the task a sidecar literally named `primary` (`primary-init`)
# beside a primary container of another name, and the containers carry the
# fields Go shares through pointers and maps (securityContext, probes,
# resources, restartPolicy).
# ---------------------------------------------------------------------------


def _pointer_containers(names: st.SearchStrategy) -> st.SearchStrategy:
    """Containers with only the fields that live behind pointers and maps (and one list, command)."""
    resources = _obj(optional={"limits": _resource_list(), "requests": _resource_list()})
    return _obj(
        {"name": names},
        {
            "command": _small_list(_words),
            "resources": resources,
            "restartPolicy": st.sampled_from(["", "Always"]),
            "livenessProbe": _probe(),
            "readinessProbe": _probe(),
            "startupProbe": _probe(),
            "securityContext": _container_security_context(),
        },
    )


def _template_side(names: list[str], init_names: list[str]) -> st.SearchStrategy:
    def ctr(pool: list[str]) -> st.SearchStrategy:
        name = st.sampled_from(pool)
        return st.one_of(_pointer_containers(name), containers(name))

    return _obj(
        {"containers": st.lists(ctr(names), max_size=3)},
        {
            "initContainers": st.lists(ctr(init_names), max_size=3),
            "restartPolicy": st.sampled_from(["", "Never"]),
            "nodeSelector": _string_map(),
            "hostNetwork": _bools,
        },
    )


def template_cases() -> st.SearchStrategy:
    """A ``{"mode": "template", ...}`` case: a runtime template's pod spec, a task's, the primary names."""
    template = _template_side(["default", "primary", "main", "sidecar"], ["default-init", "primary-init", "init"])
    task = _template_side(["main", "primary", "sidecar", "default"], ["init", "primary-init", "default-init"])
    return st.builds(
        lambda d, s, p, pi: {"mode": "template", "dst": d, "src": s, "primary": p, "primaryInit": pi},
        template,
        task,
        st.sampled_from(["main", "primary", "sidecar"]),
        st.sampled_from(["", "init", "primary-init"]),
    )


# ---------------------------------------------------------------------------------------------------------------
# strconv-oracle: Go's scalar conversions (strconv_oracle/main.go, standard library only, built by build.sh)

STRCONV_SOURCE = ORACLE_DIR / "strconv_oracle" / "main.go"
STRCONV_BINARY = ORACLE_DIR / "bin" / "strconv-oracle"
_strconv_state: dict[str, Any] = {"checked": False, "reason": ""}


def _strconv_fresh() -> bool:
    return (
        STRCONV_BINARY.is_file()
        and os.access(STRCONV_BINARY, os.X_OK)
        and STRCONV_BINARY.stat().st_mtime >= STRCONV_SOURCE.stat().st_mtime
    )


def strconv_oracle_unavailable_reason() -> str:
    """ "" when strconv-oracle is built and current (built once per process with build.sh if not), else why not."""
    if not _strconv_state["checked"]:
        _strconv_state["checked"] = True
        if not _strconv_fresh():
            if shutil.which("go") is None:
                _strconv_state["reason"] = "strconv-oracle needs the Go toolchain (apt-get install -y golang-go)"
            else:
                proc = subprocess.run(
                    ["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=600, check=False
                )
                if not _strconv_fresh():
                    lines = (proc.stderr or proc.stdout).strip().splitlines()
                    _strconv_state["reason"] = "strconv-oracle could not be built: " + (lines[-1] if lines else "?")
    return str(_strconv_state["reason"])


def run_strconv_oracle(requests: list[dict]) -> list[dict]:
    """Go's answer to each request (``{"op": "int"|"duration", "s": ...}`` or ``{"op": "float", "f": ...}``), in
    order: ``{"ok": bool, "value": str}``."""
    if strconv_oracle_unavailable_reason():
        raise OracleError(strconv_oracle_unavailable_reason())
    proc = subprocess.run(
        [str(STRCONV_BINARY)],
        input="".join(json.dumps(request) + "\n" for request in requests),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise OracleError(proc.stderr.strip() or f"strconv-oracle exited {proc.returncode}")
    return [json.loads(line) for line in proc.stdout.splitlines()]
