"""Flyte's container aliasing (MergeBasePodSpecOntoTemplate shares a template container's pointers and maps between
the task containers it shapes): the leaked values of examples/aliasing.yaml and of small cases, each checked
against the Go oracle (tests/oracle, mode ``template``), and the warnings that name both containers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oracle.harness import oracle_available, oracle_unavailable_reason, run_oracle, strip_nulls
from test_aliasing_differential import merged_by_podeval, printed_by_go

import engine
from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "aliasing.yaml"
needs_oracle = pytest.mark.skipif(not oracle_available(), reason=oracle_unavailable_reason() or "no oracle")

#: examples/aliasing.yaml: what leaks where (container, field path, value)
LEAKED = [
    ("main", ("securityContext", "runAsUser"), 999),
    ("main", ("securityContext", "capabilities", "add"), ["CHOWN"]),
    ("main", ("livenessProbe", "exec", "command"), ["pg_isready"]),
    ("primary", ("livenessProbe", "initialDelaySeconds"), 30),
]


def _at(container: dict, path: tuple):
    for name in path:
        container = container[name]
    return container


def _containers(pod_spec: dict) -> dict:
    return {c["name"]: c for c in pod_spec.get("containers") or []}


@needs_oracle
def test_leaked_values_of_the_example_are_what_go_builds():
    scenario = yaml.safe_load(EXAMPLE.read_text())
    fields = ("name", "securityContext", "livenessProbe")  # Flyte's steps before the merge do not touch these

    def spec(containers: list) -> dict:
        return {"containers": [{k: v for k, v in c.items() if k in fields} for c in containers]}

    go = run_oracle(
        [
            {
                "mode": "template",
                "primary": "main",
                "primaryInit": "",
                "dst": spec(scenario["podTemplates"][0]["template"]["spec"]["containers"]),
                "src": spec(scenario["task"]["podTemplate"]["podSpec"]["containers"]),
            }
        ]
    )[0]
    pod = engine.evaluate(str(EXAMPLE)).pod
    for name, path, value in LEAKED:
        assert _at(_containers(go)[name], path) == value, (name, path)
        assert _at(_containers(pod["spec"])[name], path) == value, (name, path)
    # the container's own values lost to the leak
    assert _containers(pod["spec"])["main"]["securityContext"]["runAsUser"] != 1000


def test_each_leaked_value_is_a_warning_naming_both_containers():
    result = engine.evaluate(str(EXAMPLE), trace=False)  # warnings are recorded without the trace too
    warned = {warning.path_text: warning for warning in result.warnings}
    assert sorted(warned) == sorted(f"spec.containers[name={name}]." + ".".join(path) for name, path, _ in LEAKED)
    for name, path, value in LEAKED:
        warning = warned[f"spec.containers[name={name}]." + ".".join(path)]
        other = "primary" if name == "main" else "main"
        assert f"container {name!r} gets this value from container {other!r}" in warning.note
        assert "MergeBasePodSpecOntoTemplate" in warning.note and warning.value == value


def test_warnings_reach_stderr(capsys):
    assert main(["render", str(EXAMPLE)]) == 0
    err = capsys.readouterr().err
    assert err.count(f"podeval: warning: {EXAMPLE}: spec.containers[name=") == len(LEAKED)
    assert (
        "spec.containers[name=main].securityContext.runAsUser: container 'main' gets this value from "
        "container 'primary'" in err
    )


def test_trace_records_the_warnings_and_the_leaked_owner():
    result = engine.evaluate(str(EXAMPLE))
    events = [e for e in result.trace.to_dict()["events"] if e["op"] == "warn"]
    assert {e["path"] for e in events} >= {"spec.containers[name=main].securityContext.runAsUser"}
    explained = result.trace.explain("spec.containers[name=main].securityContext.runAsUser")
    assert explained["value"] == 999


def test_a_sidecar_with_another_name_shares_nothing():
    text = EXAMPLE.read_text().replace(
        "- name: primary\n          image: docker.io/library/postgres",
        "- name: db\n          image: docker.io/library/postgres",
    )
    result = engine.evaluate(text)
    assert not result.warnings
    containers = _containers(result.pod["spec"])
    assert containers["main"]["securityContext"] == {"runAsUser": 1000, "runAsNonRoot": True}
    assert containers["db"]["securityContext"] == {"runAsUser": 999, "capabilities": {"add": ["CHOWN"]}}


# --- small cases, each through the oracle ------------------------------------------------------------------------

CASES = {
    # no `default`: the sidecar takes the template's `primary` container as a shallow copy and writes into its
    # pointee and its map; `main`, DeepCopied from it afterwards, reads them
    "shallow-copy-then-deep-copy": (
        {
            "containers": [
                {"name": "primary", "securityContext": {"runAsUser": 7}, "resources": {"limits": {"cpu": "1"}}}
            ]
        },
        {
            "containers": [
                {
                    "name": "primary",
                    "securityContext": {"runAsNonRoot": True},
                    "resources": {"limits": {"memory": "1Gi"}},
                },
                {"name": "main", "securityContext": {"privileged": True}},
            ]
        },
        "main",
        "",
        [("main", ("securityContext", "runAsNonRoot"), True), ("main", ("resources", "limits", "memory"), "1Gi")],
    ),
    # `main` first: a DeepCopy for it, then the sidecar writes into the template only: nothing shows
    "deep-copy-first-leaks-nothing": (
        {"containers": [{"name": "primary", "securityContext": {"runAsUser": 7}}]},
        {"containers": [{"name": "main"}, {"name": "primary", "securityContext": {"runAsNonRoot": True}}]},
        "main",
        "",
        [],
    ),
    # init containers: the template's `primary-init` shapes the primary init container and one named primary-init
    "init-containers": (
        {
            "containers": [],
            "initContainers": [
                {"name": "default-init", "image": "noop"},
                {"name": "primary-init", "startupProbe": {"periodSeconds": 5}},
            ],
        },
        {
            "containers": [],
            "initContainers": [
                {"name": "downloader", "startupProbe": {"failureThreshold": 3}},
                {"name": "primary-init", "startupProbe": {"exec": {"command": ["true"]}}},
            ],
        },
        "",
        "downloader",
        [
            ("downloader", ("startupProbe", "exec", "command"), ["true"]),
            ("primary-init", ("startupProbe", "failureThreshold"), 3),
        ],
    ),
}


@needs_oracle
@pytest.mark.parametrize("name", sorted(CASES))
def test_small_cases_against_go(name):
    template, base, primary, primary_init, leaked = CASES[name]
    case = {"mode": "template", "dst": template, "src": base, "primary": primary, "primaryInit": primary_init}
    go = strip_nulls(run_oracle([case])[0])
    assert merged_by_podeval(case) == printed_by_go(go)
    warnings: list = []
    ours = engine.merge_pod_spec_onto_template(template, base, primary, primary_init, warnings=warnings)
    field = "initContainers" if base.get("initContainers") else "containers"
    go_items, our_items = _named(go, field), _named(ours, field)
    for container, path, value in leaked:
        assert _at(go_items[container], path) == value
        assert _at(our_items[container], path) == value
    assert sorted(w["path"] for w in warnings) == sorted(
        f"{field}[name={container}]." + ".".join(path) for container, path, _ in leaked
    )


def _named(spec: dict, field: str) -> dict:
    return {c["name"]: c for c in spec.get(field) or []}
