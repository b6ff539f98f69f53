"""The trace as Kubernetes managedFields: one Apply entry per source, fieldsV1 as structured-merge-diff writes it."""

from __future__ import annotations

import json

import yaml

import engine
from engine.cli import main
from engine.k8s.paths import Key, parse
from engine.render.managed_fields import to_managed_fields

EXAMPLE_3 = "examples/flyte-docs/example-3.yaml"


def by_manager(result) -> dict:
    entries = to_managed_fields(result)
    for entry in entries:
        assert {k: v for k, v in entry.items() if k not in ("manager", "fieldsV1")} == {
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "operation": "Apply",
        }
    return {entry["manager"]: entry["fieldsV1"] for entry in entries}


def test_example_3(repo_root):
    result = engine.evaluate(str(repo_root / EXAMPLE_3))
    fields = by_manager(result)
    order = [m for m in result.rules.sources if m in fields]
    assert list(fields) == order, "entries come in the pack's source order"
    compile_time = fields["compile-time"]
    assert compile_time["f:metadata"]["f:labels"] == {"f:label_1": {}, "f:label_2": {}}
    primary = compile_time["f:spec"]["f:containers"]['k:{"name":"primary"}']
    assert next(iter(primary)) == "." and primary["f:image"] == {} and primary["f:args"] == {}  # args: atomic
    # the runtime template set a field of the primary container: it co-owns the item and its key
    runtime = fields["runtime-template"]["f:spec"]["f:containers"]['k:{"name":"primary"}']
    assert runtime == {".": {}, "f:name": {}, "f:terminationMessagePath": {}}
    assert fields["runtime-template"]["f:metadata"]["f:labels"] == {"f:label_3": {}}
    assert fields["flyte"]["f:spec"]["f:restartPolicy"] == {}
    assert fields["k8s-plugin"]["f:spec"]["f:affinity"] == {}  # an empty object that was set is a member
    # as the API server does: apiVersion, kind, metadata.name and .namespace are not tracked
    for manager_fields in fields.values():
        assert "f:apiVersion" not in manager_fields and "f:kind" not in manager_fields
        assert not {"f:name", "f:namespace"} & set(manager_fields.get("f:metadata", {}))
    assert "execution" not in fields  # it owns only the name and the namespace


def test_every_owned_leaf_is_in_its_managers_fields(repo_root):
    """Walk each owner path down its manager's fieldsV1: it ends inside the set (coarser only where Kubernetes
    owns a list or struct whole)."""
    result = engine.evaluate(str(repo_root / EXAMPLE_3))
    fields = by_manager(result)
    for text, owner in result.trace.owners.items():
        path = parse(text)
        if path in (("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace")):  # not tracked
            continue
        node, value = fields[owner], result.pod
        for segment in path:
            if node == {} or isinstance(segment, int):
                break  # owned whole here (an atomic list)
            if isinstance(segment, Key):
                value = next(i for i in value if str(i.get(segment.field)) == segment.value)
                element = "k:" + json.dumps({segment.field: value[segment.field]}, separators=(",", ":"))
            else:
                value, element = value[segment], "f:" + segment
            assert element in node, f"{text}: {element} not in {owner}'s fields {list(node)}"
            node = node[element]


def test_atomic_lists_sets_keys_with_defaults_and_atomic_maps():
    scenario = {
        "task": {
            "k8sPod": {
                "podSpec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": "i",
                            "ports": [{"containerPort": 8080}],
                            "env": [{"name": "A", "value": "1"}],
                        }
                    ],
                    "tolerations": [{"key": "task", "operator": "Exists"}],
                    "nodeSelector": {"disk": "ssd"},
                }
            },
            "config": {"primary_container_name": "main"},
        },
        "execution": {"namespace": "ns", "podName": "p"},
        "propeller": {
            "config": {
                "default-tolerations": [{"key": "config", "operator": "Exists"}],
                "default-node-selector": {"zone": "a"},
                "inject-finalizer": True,
            }
        },
    }
    result = engine.evaluate(scenario)
    fields = by_manager(result)
    task, plugin = fields["compile-time"]["f:spec"], fields["k8s-plugin"]["f:spec"]
    # tolerations are atomic (+listType=atomic): both sources that added one co-own the whole list
    assert task["f:tolerations"] == {} and plugin["f:tolerations"] == {}
    # nodeSelector is an atomic map (+mapType=atomic)
    assert task["f:nodeSelector"] == {} and plugin["f:nodeSelector"] == {}
    main_container = task["f:containers"]['k:{"name":"main"}']
    # ports are keyed by containerPort and protocol; a protocol left out is the schema default, TCP
    assert main_container["f:ports"] == {'k:{"containerPort":8080,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}
    assert main_container["f:env"]['k:{"name":"A"}'] == {".": {}, "f:name": {}, "f:value": {}}
    # finalizers are a set (+listType=set): items by value
    assert fields["k8s-plugin"]["f:metadata"]["f:finalizers"] == {'v:"flyte.org/finalizer-k8s"': {}}


def test_cli_trace_managed_fields_is_deterministic(capsys, repo_root):
    outputs = []
    for _ in range(2):
        assert main(["trace", str(repo_root / EXAMPLE_3), "-o", "managed-fields"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    entries = yaml.safe_load(outputs[0])
    assert [e["manager"] for e in entries][:2] == ["k8s-plugin", "compile-time"]
    assert entries[1]["fieldsV1"]["f:spec"]["f:hostNetwork"] == {}
