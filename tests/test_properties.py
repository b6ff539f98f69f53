"""Properties of evaluation over generated valid scenarios (tests/strategies_scenarios.py):

* evaluation raises nothing but podeval's own errors, each with a code docs/errors.md documents;
* a Pod built from valid inputs is one the API server accepts (no false alarm from engine.k8s.apiserver), but for the
  refusals FlytePropeller's own steps cause (a zero limit on a sidecar, volumes appended twice);
* the output (Pod and trace) is byte-identical across runs, and across processes with different PYTHONHASHSEEDs;
* the inputs -- dicts, and kubernetes.client objects -- are unchanged after evaluation;
* every leaf of the Pod has exactly one owner in the trace, and no owner points outside the Pod.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.documents.yamlio import dump_yaml
from engine.k8s import apiserver, k8s_schema, paths
from tests.strategies_scenarios import scenarios
from tests.test_bad_inputs import documented_codes

ROOT = Path(__file__).resolve().parents[1]
RULES = engine.load_rules("flyte-v1")
DOCUMENTED = documented_codes()
SETTINGS = settings(
    max_examples=int(os.environ.get("PODEVAL_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def evaluate(scenario):
    """The result, or None when podeval raised one of its own documented errors."""
    try:
        return engine.evaluate(scenario, rules=RULES)
    except engine.PodevalError as error:
        assert error.code in DOCUMENTED, f"undocumented error code {error.code!r}: {error}"
        assert error.exit_code in (2, 3), error
        return None


def output(result) -> str:
    return dump_yaml(result.pod) + json.dumps(result.trace.to_dict(), ensure_ascii=False)


@SETTINGS
@given(scenarios(refusals=True))
def test_evaluation_raises_only_documented_errors(scenario):
    result = evaluate(scenario)
    if result is not None:
        assert result.pod["kind"] == "Pod"


@SETTINGS
@given(scenarios())
def test_valid_scenarios_are_never_refused_as_input(scenario):
    """A generated scenario is valid input: podeval may only report what Flyte would refuse (exit 3)."""
    try:
        engine.evaluate(scenario, rules=RULES)
    except engine.PodevalError as error:
        assert error.exit_code == 3, error


@SETTINGS
@given(scenarios())
def test_valid_scenarios_give_pods_the_api_server_accepts(scenario):
    """The checks on the rendered Pod (engine.k8s.apiserver) find nothing in Pods built from valid inputs -- no false
    alarm from what FlytePropeller adds (system labels, env vars ...) -- except what FlytePropeller's own steps
    make of valid inputs, each attributed to its source and rule."""
    result = evaluate(scenario)
    if result is None:
        return
    # Refusals valid inputs do lead to, as FlytePropeller builds the Pod: a secondary container with a request and
    # no limit (or the reverse) gets an explicit zero for the other (adjustResourceRequirement,
    # flytek8s/container_helper.go); the runtime template's volumes are appended to the task's, a name in both is
    # then there twice (mergo WithAppendSlice)
    for problem in result.problems:
        assert problem.source and problem.rule, str(problem)
    others = [
        p
        for p in result.problems
        if not (p.code == "request_over_limit" and apiserver.ZERO_WRITTEN in p.message)
        and not (p.code == "duplicate_name" and p.path.startswith("spec.volumes["))
    ]
    assert others == [], [str(p) for p in others]


@SETTINGS
@given(scenarios())
def test_output_is_the_same_on_every_run(scenario):
    first = evaluate(scenario)
    if first is None:
        return
    assert output(engine.evaluate(copy.deepcopy(scenario), rules=RULES)) == output(first)
    assert output(engine.evaluate(scenario, rules="flyte-v1")) == output(first)


_RENDER_ALL = """
import json, sys
import engine
from engine.documents.yamlio import dump_yaml
for path in sys.argv[1:]:
    try:
        result = engine.evaluate(path)
    except engine.PodevalError as error:
        sys.stdout.write(f"error {error.code} {error}\\n")
        continue
    sys.stdout.write(dump_yaml(result.pod))
    sys.stdout.write(json.dumps(result.trace.to_dict(), ensure_ascii=False) + "\\n")
"""


@settings(
    max_examples=1,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(scenarios(), min_size=4, max_size=4))
def test_output_is_the_same_under_any_hash_seed(tmp_path, batch):
    files = []
    for index, scenario in enumerate(batch):
        path = tmp_path / f"scenario-{index}.yaml"
        path.write_text(dump_yaml(scenario))
        files.append(str(path))
    outputs = set()
    for seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        completed = subprocess.run(
            [sys.executable, "-c", _RENDER_ALL, *files],
            capture_output=True,
            env=env,
            cwd=ROOT,
            timeout=300,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr.decode()
        outputs.add(completed.stdout)
    assert len(outputs) == 1


@SETTINGS
@given(scenarios())
def test_dict_inputs_are_unchanged(scenario):
    before = copy.deepcopy(scenario)
    evaluate(scenario)
    assert scenario == before


@SETTINGS
@given(scenarios())
def test_a_normalised_scenario_normalises_to_itself(scenario):
    """The CLI assembles parts onto a loaded scenario's data and loads it again."""
    once = engine.load_scenario(scenario).data
    assert engine.load_scenario(copy.deepcopy(once)).data == once


def _as_client_objects(scenario: dict) -> dict:
    """The scenario with its Kubernetes objects as kubernetes.client models (pod specs, PodTemplates)."""
    from kubernetes.client import V1PodSpec, V1PodTemplate

    def quantities_as_text(value):
        if isinstance(value, dict):
            return {
                k: (
                    str(v)
                    if k in ("cpu", "memory", "ephemeral-storage", "gpu") and not isinstance(v, dict)
                    else quantities_as_text(v)
                )
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [quantities_as_text(v) for v in value]
        return value

    def model(cls, data):
        if hasattr(cls, "from_dict"):  # kubernetes >= 37: pydantic models
            return cls.from_dict(data)
        from kubernetes.client import ApiClient  # older clients build models through the deserializer

        return ApiClient()._ApiClient__deserialize(data, cls.__name__)

    result = copy.deepcopy(scenario)
    task = result["task"]
    for view in ("podTemplate", "k8sPod"):
        if view in task:
            task[view]["podSpec"] = model(V1PodSpec, quantities_as_text(task[view]["podSpec"]))
    result["podTemplates"] = [model(V1PodTemplate, quantities_as_text(t)) for t in result["podTemplates"]]
    return result


@SETTINGS
@given(scenarios())
def test_kubernetes_client_inputs_are_unchanged(scenario):
    with_objects = _as_client_objects(scenario)
    task = with_objects["task"]
    objects = [task[view]["podSpec"] for view in ("podTemplate", "k8sPod") if view in task]
    objects += with_objects["podTemplates"]
    before = [obj.to_dict() for obj in objects]
    evaluate(with_objects)
    assert [obj.to_dict() for obj in objects] == before


def leaves(value, path=()):
    """The printed path of every leaf of a Pod: scalars, and empty objects and lists kept in the output."""
    if isinstance(value, dict):
        if not value and path:
            yield paths.render(path)
        for key, item in value.items():
            yield from leaves(item, path + (key,))
    elif isinstance(value, list):
        if not value:
            yield paths.render(path)
        segments = paths.item_segments(k8s_schema.field_at(path), value)
        for segment, item in zip(segments, value):
            yield from leaves(item, path + (segment,))
    else:
        yield paths.render(path)


@SETTINGS
@given(scenarios())
def test_every_leaf_of_the_pod_has_exactly_one_owner(scenario):
    result = evaluate(scenario)
    if result is None:
        return
    pod = {key: value for key, value in result.pod.items() if key not in ("apiVersion", "kind")}
    found = list(leaves(pod))
    assert len(found) == len(set(found)), "two leaves print the same path"
    owners = {path: owner for path, owner in result.trace.owners.items() if path not in ("apiVersion", "kind")}
    assert sorted(set(found) - set(owners)) == [], "leaves without an owner"
    assert sorted(set(owners) - set(found)) == [], "owners of paths that are not leaves of the Pod"
    sources = set(RULES.sources)
    assert set(owners.values()) <= sources


def test_an_env_var_named_like_an_occurrence_has_its_own_path():
    scenario = {
        "task": {
            "k8sPod": {
                "podSpec": {
                    "containers": [
                        {
                            "name": "primary",
                            "image": "img:1",
                            "env": [
                                {"name": "FOO", "value": "1"},
                                {"name": "FOO", "value": "2"},
                                {"name": "FOO#2", "value": "3"},
                            ],
                        }
                    ]
                }
            },
            "config": {"primary_container_name": "primary"},
        }
    }
    result = engine.evaluate(scenario, rules=RULES)
    found = list(leaves({"spec": result.pod["spec"]}))
    assert len(found) == len(set(found))
