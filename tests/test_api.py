"""The library API of contract §6: names, shapes and the promises about inputs."""

from __future__ import annotations

import copy

import pytest

import engine

EXAMPLE_3 = "examples/flyte-docs/example-3.yaml"


def test_public_names_are_pinned():
    assert sorted(engine.__all__) == [
        "Event",
        "FlyteBuildError",
        "InputError",
        "PodRefusedError",
        "PodevalError",
        "Result",
        "RuleError",
        "RulePack",
        "Scenario",
        "Trace",
        "__version__",
        "evaluate",
        "load_rules",
        "load_scenario",
        "merge_overlay_pod_spec_onto_base",
        "merge_pod_spec_onto_template",
        "serialize_pod_template",
    ]
    for name in engine.__all__:
        assert hasattr(engine, name), name


def test_error_tree_and_exit_codes():
    assert issubclass(engine.InputError, engine.PodevalError)
    assert issubclass(engine.RuleError, engine.InputError)
    assert issubclass(engine.FlyteBuildError, engine.PodevalError)
    assert not issubclass(engine.FlyteBuildError, engine.InputError)
    assert (engine.InputError("x", "m").exit_code, engine.FlyteBuildError("x", "m").exit_code) == (2, 3)


def test_evaluate_accepts_path_dict_text_and_scenario(repo_root):
    text = (repo_root / EXAMPLE_3).read_text()
    import yaml

    by_path = engine.evaluate(str(repo_root / EXAMPLE_3)).pod
    assert engine.evaluate(yaml.safe_load(text)).pod == by_path
    assert engine.evaluate(text).pod == by_path
    assert engine.evaluate(engine.load_scenario(str(repo_root / EXAMPLE_3))).pod == by_path


def test_compiled_pack_is_reused(repo_root):
    rules = engine.load_rules("flyte-v1")
    assert engine.load_rules("flyte-v1") is rules
    result = engine.evaluate(str(repo_root / EXAMPLE_3), rules=rules)
    assert result.trace.to_dict()["rules"] == {"name": "flyte-v1", "digest": rules.digest}
    assert rules.digest.startswith("sha256:")


def test_result_shapes(repo_root):
    result = engine.evaluate(str(repo_root / EXAMPLE_3))
    assert list(result.pod) == ["apiVersion", "kind", "metadata", "spec"]
    trace = result.trace.to_dict()
    assert set(trace) == {"version", "rules", "sources", "events", "owners", "ownerRules", "configOrigins"}
    assert trace["configOrigins"]["default-labels"] == [
        {"option": "default-labels", "origin": f"{repo_root / EXAMPLE_3}:39:5"}
    ]
    assert {s["id"] for s in trace["sources"]} >= {"compile-time", "runtime-template"}
    [runtime] = [s for s in trace["sources"] if s["id"] == "runtime-template"]
    assert runtime["origin"] == "podTemplates[flyte/flyte-template]" and runtime["label"] == "runtime PodTemplate"
    assert [e["seq"] for e in trace["events"]] == list(range(1, len(trace["events"]) + 1))
    assert all(e["op"] in ("set", "override", "keep", "append", "drop", "warn", "error") for e in trace["events"])
    assert result.warnings == [e for e in result.trace.events if e.op == "warn"]


def test_to_k8s_gives_a_v1pod(repo_root):
    pod = engine.evaluate(str(repo_root / EXAMPLE_3)).to_k8s()
    assert type(pod).__name__ == "V1Pod"
    assert pod.spec.host_network is True
    assert pod.metadata.labels["label_1"] == "value-compile"


def test_inputs_are_never_mutated(repo_root):
    import yaml

    scenario = yaml.safe_load((repo_root / EXAMPLE_3).read_text())
    before = copy.deepcopy(scenario)
    engine.evaluate(scenario)
    assert scenario == before
    template = {"containers": [{"name": "default", "env": [{"name": "A", "value": "1"}]}]}
    base = {"containers": [{"name": "x", "env": [{"name": "B", "value": "2"}]}]}
    snapshot = copy.deepcopy((template, base))
    engine.merge_pod_spec_onto_template(template, base, "x")
    assert (template, base) == snapshot


def test_kubernetes_client_objects_are_accepted():
    from kubernetes import client

    template = client.V1PodTemplate(
        metadata=client.V1ObjectMeta(name="flyte-template", namespace="flyte"),
        template=client.V1PodTemplateSpec(
            spec=client.V1PodSpec(
                containers=[client.V1Container(name="default", termination_message_path="/dev/foo")], host_network=True
            )
        ),
    )
    result = engine.evaluate(
        {
            "task": {"container": {"image": "img:1"}},
            "execution": {"namespace": "ns", "podName": "pod-1"},
            "propeller": {"config": {"default-pod-template-name": "flyte-template"}},
            "podTemplates": [template],
        }
    )
    assert result.pod["spec"]["hostNetwork"] is True
    assert result.pod["spec"]["containers"][0]["terminationMessagePath"] == "/dev/foo"


def test_merge_pod_spec_onto_template_refuses_a_nil_spec():
    with pytest.raises(engine.FlyteBuildError) as error:
        engine.merge_pod_spec_onto_template(None, {}, "")
    assert error.value.code == "nil_pod_spec"


def test_same_inputs_give_identical_output(repo_root):
    import json

    first = engine.evaluate(str(repo_root / EXAMPLE_3))
    second = engine.evaluate(str(repo_root / EXAMPLE_3))
    assert json.dumps(first.pod) == json.dumps(second.pod)
    assert json.dumps(first.trace.to_dict()) == json.dumps(second.trace.to_dict())


def test_ci_runs_the_lowest_kubernetes_client_the_pins_allow():
    """pyproject's lower bound of the kubernetes client is the version .ci/run installs in its second venv, so the
    whole suite runs on the lowest and (in the main venv) the newest client podeval allows."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    pin = re.search(r'"kubernetes>=([0-9.]+),<(\d+)"', (root / "pyproject.toml").read_text())
    assert pin, "pyproject.toml pins kubernetes to a range"
    lowest = re.search(r"^K8S_LOWEST=([0-9.]+)$", (root / ".ci" / "run").read_text(), re.MULTILINE)
    assert lowest, ".ci/run installs the lowest client in a venv of its own"
    assert lowest.group(1).split(".")[0] == pin.group(1).split(".")[0] and lowest.group(1).endswith(".0.0")
