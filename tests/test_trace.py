"""The trace (contract §4): keep events carry the losers, drop events name inputs without effect, paths by key."""

from __future__ import annotations

import engine
from engine.k8s import paths


def scenario(config=None, template_spec=None, task=None):
    data = {
        "task": task or {"container": {"image": "img:1"}},
        "execution": {"namespace": "ns", "podName": "pod-1"},
        "propeller": {"config": {"default-pod-template-name": "flyte-template", **(config or {})}},
    }
    if template_spec is not None:
        data["podTemplates"] = [
            {
                "apiVersion": "v1",
                "kind": "PodTemplate",
                "metadata": {"name": "flyte-template", "namespace": "flyte"},
                "template": {"spec": template_spec},
            }
        ]
    return data


def events(result, op, path=None):
    return [e.to_dict() for e in result.trace.events if e.op == op and (path is None or e.path_text == path)]


def test_config_false_losing_to_a_template_true_is_a_keep_event_with_the_loser():
    result = engine.evaluate(
        scenario(
            {"enable-host-networking-pod": False}, {"containers": [{"name": "noop", "image": "x"}], "hostNetwork": True}
        )
    )
    assert result.pod["spec"]["hostNetwork"] is True
    assert result.trace.owners["spec.hostNetwork"] == "runtime-template"
    # in mergo's terms the template is dst and the pod built so far is src: src's false never overrides dst's true
    [event] = events(result, "keep", "spec.hostNetwork")
    assert event["source"] == "runtime-template" and event["value"] is True
    assert event["rejected"] == {"source": "k8s-plugin", "value": False}
    assert "zero value" in event["note"]
    explanation = result.trace.explain("spec.hostNetwork")
    assert {(c["source"], c["value"], c["outcome"]) for c in explanation["candidates"]} == {
        ("runtime-template", True, "won"),
        ("k8s-plugin", False, "lost"),
    }


def test_a_task_true_keeps_against_a_template_false_and_the_event_says_why():
    task = {
        "podTemplate": {"podSpec": {"containers": [{"name": "primary"}], "hostNetwork": True}},
        "container": {"image": "i"},
    }
    result = engine.evaluate(
        scenario(None, {"containers": [{"name": "noop", "image": "x"}], "hostNetwork": False}, task)
    )
    [event] = events(result, "override", "spec.hostNetwork")
    assert event["source"] == "compile-time" and event["value"] is True
    assert event["previous"] is False and event["previousSource"] == "runtime-template"
    assert "lies under the task's pod" in event["note"]


def test_unmatched_template_container_and_template_restart_policy_are_dropped():
    result = engine.evaluate(
        scenario(
            None,
            {
                "containers": [{"name": "noop", "image": "x"}, {"name": "default", "image": "d"}],
                "restartPolicy": "Always",
            },
        )
    )
    assert [c["name"] for c in result.pod["spec"]["containers"]] == ["pod-1"]
    assert result.pod["spec"]["restartPolicy"] == "Never"
    dropped = {e["path"]: e for e in events(result, "drop")}
    assert "spec.containers[name=noop]" in dropped
    assert "never adds a container" in dropped["spec.containers[name=noop]"]["note"]
    assert dropped["spec.restartPolicy"]["value"] == "Always"
    assert dropped["spec.restartPolicy"]["source"] == "runtime-template"


def test_a_template_container_named_like_the_primary_is_dropped_flyte_6733():
    task = {
        "podTemplate": {"podSpec": {"containers": [{"name": "main"}]}, "primaryContainerName": "main"},
        "container": {"image": "i"},
    }
    result = engine.evaluate(
        scenario(None, {"containers": [{"name": "main", "image": "x", "terminationMessagePath": "/dev/x"}]}, task)
    )
    assert "terminationMessagePath" not in result.pod["spec"]["containers"][0]
    [event] = events(result, "drop", "spec.containers[name=main]")
    assert "6733" in event["note"]


def test_a_missing_default_template_is_no_merge_and_the_trace_says_so():
    result = engine.evaluate(scenario())
    [event] = events(result, "warn")  # Flyte says nothing (getBasePodTemplate: LoadOrDefault returns nil): podeval does
    assert event["source"] == "k8s-plugin" and event["path"] == "propeller.config.default-pod-template-name"
    assert "merges no runtime template" in event["note"]
    assert "runtime-template" not in {s["id"] for s in result.trace.sources}


def test_keyed_list_items_are_addressed_by_key_and_repeats_by_occurrence():
    task = {"container": {"image": "i", "env": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}}
    result = engine.evaluate(scenario(None, None, task))
    assert result.trace.owners["spec.containers[name=pod-1].env[name=A].value"] == "task-container"
    assert "spec.containers[name=pod-1].env[name=A#2].value" in result.trace.owners
    assert all("[0]" not in path for path in result.trace.owners if "containers" in path and "env" in path)


def test_named_template_origin_and_namespace_fallback():
    data = scenario(
        None,
        {"containers": [{"name": "noop", "image": "x"}]},
        {"container": {"image": "i"}, "podTemplateName": "flyte-template"},
    )
    data["podTemplates"].append(
        {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": {"name": "flyte-template", "namespace": "ns"},
            "template": {"spec": {"containers": [{"name": "noop", "image": "y"}]}},
        }
    )
    result = engine.evaluate(data)
    assert {"id": "pod-template-name", "origin": "podTemplates[ns/flyte-template]"} in result.trace.sources
    data["podTemplates"].pop()
    result = engine.evaluate(data)
    assert {"id": "pod-template-name", "origin": "podTemplates[flyte/flyte-template]"} in result.trace.sources


def test_container_image_override_is_applied_last():
    data = scenario(
        None,
        None,
        {
            "podTemplate": {"podSpec": {"containers": [{"name": "primary", "image": "tpl"}]}},
            "container": {"image": "task"},
        },
    )
    data["execution"]["overrides"] = {"containerImage": "override:1"}
    result = engine.evaluate(data)
    assert result.pod["spec"]["containers"][0]["image"] == "override:1"
    assert result.trace.owners["spec.containers[name=primary].image"] == "execution"


def test_execution_override_pod_template_replaces_the_task_pod_spec():
    data = scenario(
        None,
        None,
        {
            "podTemplate": {"podSpec": {"containers": [{"name": "primary"}], "tolerations": [{"key": "task"}]}},
            "container": {"image": "task"},
        },
    )
    data["execution"]["overrides"] = {
        "podTemplate": {
            "primaryContainerName": "main",
            "labels": {"l": "a"},
            "podSpec": {"containers": [{"name": "main"}]},
        }
    }
    result = engine.evaluate(data)
    assert [c["name"] for c in result.pod["spec"]["containers"]] == ["main"]
    assert "tolerations" not in result.pod["spec"]
    assert result.pod["metadata"]["labels"]["l"] == "a"
    assert result.pod["metadata"]["annotations"]["primary_container_name"] == "main"
    assert any(e["path"] == "spec" and e["op"] == "drop" for e in events(result, "drop"))


def test_primary_container_annotation_rules():
    single = engine.evaluate(scenario()).pod["metadata"]["annotations"]
    assert single["primary_container_name"] == "pod-1"
    two = {
        "podTemplate": {"podSpec": {"containers": [{"name": "primary"}, {"name": "side", "image": "s"}]}},
        "container": {"image": "i"},
    }
    assert "primary_container_name" not in engine.evaluate(scenario(None, None, two)).pod["metadata"]["annotations"]
    raw = {"type": "raw-container", "container": {"image": "i"}}
    assert "primary_container_name" not in engine.evaluate(scenario(None, None, raw)).pod["metadata"]["annotations"]
    sidecar = dict(two, type="sidecar")
    assert (
        engine.evaluate(scenario(None, None, sidecar)).pod["metadata"]["annotations"]["primary_container_name"]
        == "primary"
    )


def test_warnings_are_recorded_without_a_trace():
    data = scenario(
        {"interruptible-node-selector-requirement": {"key": "spot", "operator": "Exists"}},
        {
            "containers": [{"name": "noop", "image": "x"}],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [{"matchExpressions": [{"key": "pool", "operator": "Exists"}]}]
                    }
                }
            },
        },
    )
    data["execution"]["interruptible"] = True
    traced, untraced = engine.evaluate(data), engine.evaluate(data, trace=False)
    assert untraced.pod == traced.pod
    assert [w.to_dict() for w in untraced.warnings] == [
        {**w.to_dict(), "seq": seq} for seq, w in enumerate(traced.warnings, 1)
    ]
    assert len(untraced.warnings) == 2  # the OR'ed node-selector terms; the template container noop
    assert untraced.trace.owners == {} and all(e.op == "warn" for e in untraced.trace.events)


def test_owner_and_rule_is_explains_owner_and_rule_without_locating_the_trace():
    """``podeval diff`` asks every changed field's owner and rule of ``Trace.owner_and_rule``, which reads them off
    the events; ``explain`` gives the same two, after locating every event in the inputs."""
    result = engine.evaluate(
        scenario(
            {"default-cpus": "500m", "default-env-vars": {"A": "1"}},
            {"containers": [{"name": "default", "image": "tmpl", "env": [{"name": "B", "value": "2"}]}]},
        )
    )
    fields = sorted(result.trace.owners) + ["spec", "spec.containers", "spec.hostNetwork"]
    answers = [result.trace.owner_and_rule(paths.parse(field)) for field in fields]
    assert result.trace.provenance is not None  # nothing was located
    assert any(owner == "runtime-template" for owner, _ in answers)
    for field, answer in zip(fields, answers):
        explained = result.trace.explain(field)
        assert answer == (explained["owner"], explained["rule"]), field
