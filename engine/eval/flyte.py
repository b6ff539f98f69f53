"""Flyte's own Go functions as library calls, driven by a rule pack: for tools and tests that need one step of
FlytePropeller without a whole evaluation.

``apply_accelerator_device_class_pod_template`` is Flyte 2's ``applyAcceleratorDeviceClassPodTemplate``
(flytek8s/pod_helper.go:1121-1155 at 6fadb90): the device class's PodTemplate spec under the pod spec, by the
``flyte-v2`` pack's ``pod-spec`` profile.

``merge_pod_spec_onto_template`` is ``MergeBasePodSpecOntoTemplate`` (flytek8s/pod_helper.go at 89cf9cc): the
task's pod spec merged onto a PodTemplate's, container by container, by the pack's ``pod-spec`` merge profile
(the same rules the evaluation applies at its runtime-template step). The Go oracle (tests/oracle) checks it.
"""

from __future__ import annotations

from typing import Any

from ..errors import FlyteBuildError
from ..inputs.scenario import to_plain_k8s
from ..k8s.paths import render
from ..k8s.tree import plain, wrap
from ..k8s.walker import Position, root
from ..pack.rules import load_rules
from .strategies import Merger


def merge_pod_spec_onto_template(
    template_spec: Any,
    base_spec: Any,
    primary_container_name: str,
    primary_init_container_name: str = "",
    *,
    rules: Any = None,
    warnings: list | None = None,
) -> dict:
    """Flyte's MergeBasePodSpecOntoTemplate as a pure function over Kubernetes-JSON dicts, driven by the pack's
    ``pod-spec`` merge profile. Raises FlyteBuildError where Flyte errors (a nil spec). ``warnings``, a list,
    receives the warnings (``{"path", "source", "value", "note"}``: values leaked between containers)."""
    if template_spec is None or base_spec is None:
        raise FlyteBuildError(
            "nil_pod_spec",
            "neither the templatePodSpec or the basePodSpec can be nil",
            hint="pass a pod spec dict (it may be empty) for both",
        )
    pack = load_rules(rules or "flyte-v1")
    profile = pack.profile("pod-spec")

    def warn(
        path: tuple, source: str, rule: str, *, value: Any = None, note: str | None = None, in_lower: bool = False
    ) -> None:
        if warnings is not None:
            warnings.append({"path": render(path), "source": source, "value": value, "note": note})

    merger = Merger(
        profile.rules,
        profile.default,
        incoming_is_higher=False,
        rule_id=profile.id,
        emit_event=None,
        variables={
            "primaryContainerName": primary_container_name or "",
            "primaryInitContainerName": primary_init_container_name or "",
        },
        warn_event=warn,
    )
    at = Position((), (), root("PodSpec"))
    merged = merger.merge(
        at,
        wrap(to_plain_k8s(template_spec, "PodSpec"), "template", ""),
        wrap(to_plain_k8s(base_spec, "PodSpec"), "base", ""),
    )
    result = plain(merged) or {}
    for field in ("containers", "initContainers"):
        if result.get(field) is None:
            result.pop(field, None)
    return result


def merge_overlay_pod_spec_onto_base(base_spec: Any, overlay_spec: Any, *, rules: Any = None) -> dict:
    """Flyte's MergeOverlayPodSpecOntoBase (flytek8s/pod_helper.go at 89cf9cc, used by the Ray and Spark plugins for
    a role's pod template) as a pure function over Kubernetes-JSON dicts, driven by the pack's ``overlay-pod-spec``
    merge profile: mergo of the overlay onto the base, then the base's containers and init containers only, each
    merged with the overlay's containers of the same name. Raises FlyteBuildError where Flyte errors (a nil spec)."""
    if base_spec is None or overlay_spec is None:
        raise FlyteBuildError(
            "nil_pod_spec",
            "neither the basePodSpec or the overlayPodSpec can be nil",
            hint="pass a pod spec dict (it may be empty) for both",
        )
    profile = load_rules(rules or "flyte-v1").profile("overlay-pod-spec")
    merger = Merger(
        profile.rules, profile.default, incoming_is_higher=True, rule_id=profile.id, emit_event=None, variables={}
    )
    merged = merger.merge(
        Position((), (), root("PodSpec")),
        wrap(to_plain_k8s(base_spec, "PodSpec"), "base", ""),
        wrap(to_plain_k8s(overlay_spec, "PodSpec"), "overlay", ""),
    )
    return plain(merged) or {}


def apply_accelerator_device_class_pod_template(
    pod_spec: Any,
    extended_resources: Any,
    primary_container_name: str,
    primary_init_container_name: str = "",
    *,
    config: dict | None = None,
    rules: Any = "flyte-v2",
    warnings: list | None = None,
) -> Any:
    """Flyte 2's applyAcceleratorDeviceClassPodTemplate over Kubernetes-JSON dicts: with no accelerator in
    ``extended_resources`` (``{gpuAccelerator: {deviceClass, ...}}``), or no ``pod-template`` for its device class in
    ``config`` (FlytePropeller's plugins.k8s options as set, ``accelerator-device-classes`` keys upper-cased), the pod
    spec unchanged; else the pod spec merged onto the template's spec (MergeBasePodSpecOntoTemplate)."""
    from .flyte2 import device_class_of, device_classes  # start-up: Flyte 2's steps only for Flyte 2's function

    accelerator = (extended_resources or {}).get("gpuAccelerator")
    if accelerator is None:
        return pod_spec
    chosen = device_classes((config or {}).get("accelerator-device-classes")).get(device_class_of(accelerator))
    template = chosen.get("pod-template") if isinstance(chosen, dict) else None
    if template is None:
        return pod_spec
    spec = (template.get("template") or {}).get("spec") or {}
    return merge_pod_spec_onto_template(
        spec, pod_spec, primary_container_name, primary_init_container_name, rules=rules, warnings=warnings
    )
