"""The API server's own checks of a Pod's parts beyond types (ValidatePodSpec, ValidateObjectMeta,
ValidateResourceRequirements ...), one registry keyed by type name: ``validate.K8sChecker`` runs ``TYPE_CHECKS[type]``
on each object of that type it has decoded, where its context asks for Kubernetes' validation (``semantic``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import k8s_schema, quantity, spelling
from . import paths as _paths
from .spelling import lazy_item_segments, snake


def _check_pod_spec(checker: Any, spec: dict, path: tuple, where: tuple, raw: dict) -> None:
    seen: dict[str, tuple] = {}
    for field in ("containers", "initContainers", "ephemeralContainers"):
        items = spec.get(field) or []
        raw_items = raw.get(field) or raw.get(snake(field)) or []
        raw_key = field if field in raw else snake(field)
        for segment, index, item in zip(
            lazy_item_segments(k8s_schema.field("PodSpec", field), items), range(len(items)), items
        ):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str) or not name:
                continue
            item_path = path + (field, segment, "name")
            item_where = where + (raw_key, index, "name") if index < len(raw_items) else where
            checker.name(name, "container name", item_path, item_where)
            if name in seen:
                first = _paths.render(seen[name])
                checker.problems.add(
                    "duplicate_name",
                    f"container name {json.dumps(name)} is used twice (first at {first})",
                    item_path,
                    item_where,
                    hint="container names must be unique across containers and initContainers; "
                    "Kubernetes refuses the Pod",
                )
            else:
                seen[name] = path + (field, segment)
    volume_names: dict[str, tuple] = {}
    volumes = spec.get("volumes") or []
    volumes_spec = k8s_schema.field("PodSpec", "volumes")
    for segment, index, volume in zip(lazy_item_segments(volumes_spec, volumes), range(len(volumes)), volumes):
        name = volume.get("name") if isinstance(volume, dict) else None
        if not isinstance(name, str) or not name:
            continue
        volume_path = path + ("volumes", segment, "name")
        volume_where = where + ("volumes", index, "name")
        checker.name(name, "volume name", volume_path, volume_where)
        if name in volume_names:
            checker.problems.add(
                "duplicate_name",
                f"volume name {json.dumps(name)} is used twice (first at {_paths.render(volume_names[name])})",
                volume_path,
                volume_where,
                hint="volume names must be unique; Kubernetes refuses the Pod",
            )
        else:
            volume_names[name] = path + ("volumes", segment)
    if "nodeSelector" in spec:
        checker.labels(
            spec["nodeSelector"],
            path + ("nodeSelector",),
            where + (spelling.raw_key(raw, "nodeSelector"),),
            what="nodeSelector",
        )
    _check_volume_mounts(checker, spec, volume_names, path, where, raw)


def _check_volume_mounts(checker: Any, spec: dict, volumes: dict, path: tuple, where: tuple, raw: dict) -> None:
    """validateVolumeMounts: every mount names a volume of the pod (``Not found``)."""
    for field in ("containers", "initContainers", "ephemeralContainers"):
        items = spec.get(field) or []
        raw_key = field if field in raw else snake(field)
        list_spec = k8s_schema.field("PodSpec", field)
        mounts_spec = k8s_schema.field(list_spec.elem, "volumeMounts") if list_spec is not None else None
        for segment, index, item in zip(lazy_item_segments(list_spec, items), range(len(items)), items):
            mounts = item.get("volumeMounts") if isinstance(item, dict) else None
            if not isinstance(mounts, list):
                continue
            mounts_path = path + (field, segment, "volumeMounts")
            for mount_segment, mount_index, mount in zip(
                lazy_item_segments(mounts_spec, mounts), range(len(mounts)), mounts
            ):
                name = mount.get("name") if isinstance(mount, dict) else None
                if not isinstance(name, str) or not name or name in volumes:
                    continue
                known = ", ".join(sorted(volumes)) or "none"
                checker.problems.add(
                    "volume_not_found",
                    f"volumeMount names the volume {json.dumps(name)}, which "
                    f"is not in the pod's volumes (Not found; volumes: {known})",
                    mounts_path + (mount_segment, "name"),
                    where + (raw_key, index, "volumeMounts", mount_index, "name"),
                    hint="add the volume to the pod spec's volumes, or fix the name",
                )


def _check_object_meta(checker: Any, meta: dict, path: tuple, where: tuple, raw: dict) -> None:
    if "labels" in meta:
        checker.labels(meta["labels"], path + ("labels",), where + (spelling.raw_key(raw, "labels"),))
    if "annotations" in meta:
        checker.annotations(
            meta["annotations"], path + ("annotations",), where + (spelling.raw_key(raw, "annotations"),)
        )


def _check_resources(checker: Any, resources: dict, path: tuple, where: tuple, raw: dict) -> None:
    for field in ("requests", "limits"):
        checker.resource_list(resources.get(field) or {}, path + (field,), where + (spelling.raw_key(raw, field),))
    limits = resources.get("limits") or {}
    for name, request in (resources.get("requests") or {}).items():  # ValidateResourceRequirements
        request_path, request_where = path + ("requests", name), where + (spelling.raw_key(raw, "requests"), name)
        overcommit = _overcommit_allowed(name)
        if name not in limits:
            if not overcommit:
                checker.problems.add(
                    "request_over_limit",
                    f"request {request} of {name}: Limit must be set for non overcommitable resources",
                    request_path,
                    request_where,
                    hint=f"an extended resource needs limits.{name}, equal to the request",
                )
            continue
        try:
            wanted, limit = quantity.value_of(request), quantity.value_of(limits[name])
        except quantity.QuantityError:
            continue  # reported as a quantity error already
        if not overcommit and wanted != limit:
            checker.problems.add(
                "request_over_limit",
                f"request {request}: must be equal to {name} limit of {limits[name]}",
                request_path,
                request_where,
                hint="an extended resource's request and limit must be equal",
            )
        elif wanted > limit:
            checker.problems.add(
                "request_over_limit",
                f"request {request}: must be less than or equal to {name} limit of {limits[name]}",
                request_path,
                request_where,
                hint="Kubernetes refuses a request above its limit",
            )


def _overcommit_allowed(name: str) -> bool:
    """helper.IsOvercommitAllowed: native resources (no prefix, or kubernetes.io/), not hugepages."""
    return ("/" not in name or "kubernetes.io/" in name) and not name.startswith("hugepages-")


TYPE_CHECKS: dict[str, Callable] = {
    "PodSpec": _check_pod_spec,
    "ObjectMeta": _check_object_meta,
    "ResourceRequirements": _check_resources,
}
