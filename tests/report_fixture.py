"""A hand-made evaluation result, shaped like engine.evaluate's (contract §4, §6) and loosely like Example 3.

The HTML report is a consumer of the trace; these fakes let its tests pin what it does with inputs the shipped
examples do not produce (a dropped template container, a warning, a key that needs brackets, a pack whose
sources override each other directly), independently of what the flyte-v1 pack decides today.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from engine.render.report_lines import leaf_paths


@dataclass
class FakeEvent:
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.data)


@dataclass
class FakeTrace:
    events: list[FakeEvent]
    owners: dict[str, str]
    sources: list[dict[str, str]]
    rules_name: str = "flyte-v1"

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "rules": {"name": self.rules_name, "digest": "sha256:0000"},
            "sources": self.sources,
            "events": [e.to_dict() for e in self.events],
            "owners": self.owners,
        }

    def explain(self, path: str) -> dict[str, Any]:
        history = [e.to_dict() for e in self.events if e.data["path"] == path]
        candidates: list[dict[str, Any]] = []
        for event in history:
            if event["op"] in ("set", "override", "append"):
                for c in candidates:
                    if c["outcome"] == "won":
                        c["outcome"], c["why"] = "lost", f"overridden by {event['source']} (rule {event['rule']})"
                candidates.append(
                    {
                        "source": event["source"],
                        "value": event["value"],
                        "rule": event["rule"],
                        "outcome": "won",
                        "why": "highest precedence that set it",
                    }
                )
            elif event["op"] == "keep":
                rejected = event["rejected"]
                candidates.append(
                    {
                        "source": rejected["source"],
                        "value": rejected["value"],
                        "rule": event["rule"],
                        "outcome": "lost",
                        "why": event.get("note", ""),
                    }
                )
            elif event["op"] == "drop":
                candidates.append(
                    {
                        "source": event["source"],
                        "value": event.get("value"),
                        "rule": event["rule"],
                        "outcome": "dropped",
                        "why": event.get("note", ""),
                    }
                )
        winner = next((c for c in candidates if c["outcome"] == "won"), {})
        return {
            "path": path,
            "value": winner.get("value"),
            "owner": self.owners.get(path),
            "rule": winner.get("rule"),
            "history": history,
            "candidates": candidates,
        }


@dataclass
class FakeResult:
    pod: dict[str, Any]
    trace: FakeTrace
    warnings: list[FakeEvent] = field(default_factory=list)


@dataclass
class FakeRules:
    name: str
    graph: dict[str, Any]

    def graph_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.graph)


# a pack without steps: each source overrides the ones before it
PRECEDENCE_GRAPH = {
    "nodes": [
        {"id": "k8s-plugin", "label": "K8s plugin config", "doc": "plugins.k8s defaults"},
        {"id": "runtime-template", "label": "runtime PodTemplate", "doc": "default-pod-template-name"},
        {"id": "pod-template-name", "label": "@task pod_template_name", "doc": ""},
        {"id": "compile-time", "label": "@task pod_template", "doc": ""},
        {"id": "task-container", "label": "task container", "doc": ""},
        {"id": "execution-override", "label": "with_overrides(pod_template=)", "doc": ""},
        {"id": "task-metadata", "label": "@task labels/annotations", "doc": ""},
        {"id": "execution", "label": "execution", "doc": ""},
        {"id": "flyte", "label": "set by Flyte", "doc": ""},
    ],
    "edges": [
        ["k8s-plugin", "runtime-template"],
        ["k8s-plugin", "pod-template-name"],
        ["runtime-template", "compile-time"],
        ["pod-template-name", "compile-time"],
        ["runtime-template", "task-container"],
        ["pod-template-name", "task-container"],
        ["compile-time", "execution-override"],
        ["task-container", "execution-override"],
        ["execution-override", "task-metadata"],
        ["task-metadata", "execution"],
        ["execution", "flyte"],
    ],
}


def hand_made(label_1_owner: str = "compile-time") -> tuple[FakeResult, FakeRules]:
    """A Pod like Example 3's, with a dropped container, a value that could not override, a warning and a
    bracketed key."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "annotations": {
                "annotation_1": "value-compile",
                "annotation_2": "value-compile",
                "bar": "value-runtime",
                "baz": "value-plugin",
                "foo": "value-runtime",
                "primary_container_name": "primary",
            },
            "labels": {
                "app.kubernetes.io/name": "demo",
                "label_1": "value-compile",
                "label_2": "value-compile",
                "label_3": "value-runtime",
            },
            "name": "ax9kd5xb4p8r45bpdv7v-n0-0",
            "namespace": "flytesnacks-development",
        },
        "spec": {
            "containers": [
                {
                    "command": ["cmd"],
                    "image": "a.b.c/image:v1",
                    "name": "primary",
                    "terminationMessagePath": "/dev/foo",
                    "terminationMessagePolicy": "FallbackToLogsOnError",
                }
            ],
            "hostNetwork": True,
            "restartPolicy": "Never",
        },
    }
    owner_of = {
        "metadata.annotations.annotation_1": "compile-time",
        "metadata.annotations.annotation_2": "compile-time",
        "metadata.annotations.bar": "runtime-template",
        "metadata.annotations.baz": "k8s-plugin",
        "metadata.annotations.foo": "runtime-template",
        "metadata.annotations.primary_container_name": "flyte",
        'metadata.labels["app.kubernetes.io/name"]': "runtime-template",
        "metadata.labels.label_1": label_1_owner,
        "metadata.labels.label_2": "compile-time",
        "metadata.labels.label_3": "runtime-template",
        "spec.containers[name=primary].terminationMessagePath": "runtime-template",
        "spec.containers[name=primary].terminationMessagePolicy": "flyte",
        "spec.restartPolicy": "flyte",
        "spec.hostNetwork": "compile-time",
        "metadata.name": "execution",
        "metadata.namespace": "execution",
        "apiVersion": "flyte",
        "kind": "flyte",
    }
    owners = {path: owner_of.get(path, "compile-time") for path in leaf_paths(pod)}
    raw: list[dict[str, Any]] = [
        {
            "path": "metadata.labels.label_1",
            "op": "set",
            "source": "k8s-plugin",
            "rule": "labels.default-labels",
            "value": "value-plugin",
        },
        {
            "path": "metadata.labels.label_1",
            "op": "override",
            "source": "runtime-template",
            "rule": "labels.map-merge",
            "value": "value-runtime",
            "previous": "value-plugin",
        },
        {
            "path": "metadata.labels.label_1",
            "op": "override",
            "source": "compile-time",
            "rule": "labels.map-merge",
            "value": "value-compile",
            "previous": "value-runtime",
        },
        {
            "path": "spec.containers[name=default]",
            "op": "drop",
            "source": "runtime-template",
            "rule": "containers.match-template",
            "value": {"name": "default"},
            "note": "template container 'default' was merged into every container, then dropped",
        },
        {"path": "spec.hostNetwork", "op": "set", "source": "compile-time", "rule": "hostNetwork.or", "value": True},
        {
            "path": "spec.hostNetwork",
            "op": "keep",
            "source": "compile-time",
            "rule": "hostNetwork.or",
            "value": True,
            "rejected": {"source": "runtime-template", "value": False},
            "note": "a false never overrides true",
        },
        {
            "path": "spec.restartPolicy",
            "op": "drop",
            "source": "compile-time",
            "rule": "restartPolicy.flyte-never",
            "value": "Always",
            "note": "Flyte always sets restartPolicy: Never",
        },
        {
            "path": "spec.restartPolicy",
            "op": "set",
            "source": "flyte",
            "rule": "restartPolicy.flyte-never",
            "value": "Never",
        },
        {
            "path": "metadata.labels.label_3",
            "op": "warn",
            "source": "runtime-template",
            "rule": "docs.example-3",
            "value": "value-runtime",
            "note": "the docs page drops label_3; FlytePropeller keeps it",
        },
    ]
    events = [FakeEvent({"seq": i + 1, **e}) for i, e in enumerate(raw)]
    sources = [
        {"id": "k8s-plugin", "origin": "propeller.config"},
        {"id": "runtime-template", "origin": "podTemplates[flyte/flyte-template]"},
        {"id": "compile-time", "origin": "task.podTemplate"},
        {"id": "flyte", "origin": "FlytePropeller"},
        {"id": "execution", "origin": "execution"},
    ]
    trace = FakeTrace(events, owners, sources)
    warnings = [e for e in events if e.data["op"] == "warn"]
    return FakeResult(pod, trace, warnings), FakeRules("flyte-v1", PRECEDENCE_GRAPH)
