"""Self-test of the mergo oracle: real mergo behaves as the Flyte merge spec says.

Each test states one claim of the spec (mergo.Merge with WithOverride and
WithAppendSlice, dst = template, src = task) with concrete values and checks
it against the real library through tests/oracle/bin/mergo-oracle.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oracle.harness import (
    OracleError,
    container_cases,
    oracle_available,
    oracle_unavailable_reason,
    pod_cases,
    run_oracle,
)

pytestmark = pytest.mark.skipif(
    not oracle_available(),
    reason=f"mergo oracle unavailable ({oracle_unavailable_reason()}); "
    "needs Debian golang-go and golang-github-imdario-mergo-dev, then tests/oracle/build.sh",
)


def merge_pod(dst: dict, src: dict) -> dict:
    return run_oracle([{"mode": "pod", "dst": dst, "src": src}])[0]


def merge_container(dst: dict, src: dict) -> dict:
    return run_oracle([{"mode": "container", "dst": dst, "src": src}])[0]


# --- claims from the brief -------------------------------------------------


def test_plain_bool_false_does_not_override_true():
    out = merge_pod({"containers": [], "hostNetwork": True}, {"containers": [], "hostNetwork": False})
    assert out["hostNetwork"] is True


def test_nil_pointer_bool_takes_src_false():
    out = merge_pod({"containers": []}, {"containers": [], "automountServiceAccountToken": False})
    assert out["automountServiceAccountToken"] is False


def test_pointer_int_zero_does_not_override_nonzero():
    out = merge_pod({"containers": [], "priority": 5}, {"containers": [], "priority": 0})
    assert out["priority"] == 5


def test_map_entry_src_empty_string_wins():
    out = merge_pod({"containers": [], "nodeSelector": {"a": "tmpl"}}, {"containers": [], "nodeSelector": {"a": ""}})
    assert out["nodeSelector"] == {"a": ""}


def test_tolerations_appended_dst_then_src():
    t_dst = {"key": "a", "operator": "Exists", "effect": "NoSchedule"}
    t_src = {"key": "a", "operator": "Exists", "effect": "NoSchedule"}  # identical: still appended
    t_src2 = {"key": "b", "operator": "Equal", "value": "x", "tolerationSeconds": 0}
    out = merge_pod({"containers": [], "tolerations": [t_dst]}, {"containers": [], "tolerations": [t_src, t_src2]})
    assert out["tolerations"] == [t_dst, t_src, t_src2]


def test_container_command_appended():
    out = merge_container({"name": "c", "command": ["tmpl", "x"]}, {"name": "c", "command": ["task"]})
    assert out["command"] == ["tmpl", "x", "task"]


# --- further claims of the spec ---------------------------------------------


def test_both_pointers_non_nil_false_does_not_override_true():
    out = merge_pod({"containers": [], "enableServiceLinks": True}, {"containers": [], "enableServiceLinks": False})
    assert out["enableServiceLinks"] is True


def test_both_pointers_non_nil_true_overrides_false():
    out = merge_pod(
        {"containers": [], "shareProcessNamespace": False}, {"containers": [], "shareProcessNamespace": True}
    )
    assert out["shareProcessNamespace"] is True


def test_nil_pointer_int_takes_src_zero_and_nil_src_keeps_dst():
    out = merge_pod(
        {"containers": [], "activeDeadlineSeconds": 7},
        {"containers": [], "priority": 0, "terminationGracePeriodSeconds": 0},
    )
    assert out["priority"] == 0
    assert out["terminationGracePeriodSeconds"] == 0
    assert out["activeDeadlineSeconds"] == 7


def test_empty_string_does_not_override_but_nonempty_does():
    out = merge_pod(
        {"containers": [], "schedulerName": "tmpl", "nodeName": "n1"},
        {"containers": [], "schedulerName": "", "nodeName": "n2"},
    )
    assert out["schedulerName"] == "tmpl"
    assert out["nodeName"] == "n2"


def test_pointer_string_empty_in_src_is_kept_when_dst_nil_and_ignored_when_dst_set():
    # nil dst takes src's pointer even to ""; both set: "" does not override.
    assert merge_pod({"containers": []}, {"containers": [], "runtimeClassName": ""})["runtimeClassName"] == ""
    out = merge_pod({"containers": [], "runtimeClassName": "gvisor"}, {"containers": [], "runtimeClassName": ""})
    assert out["runtimeClassName"] == "gvisor"


def test_maps_merge_keywise():
    out = merge_pod(
        {"containers": [], "nodeSelector": {"a": "1", "b": "2"}},
        {"containers": [], "nodeSelector": {"b": "3", "c": ""}},
    )
    assert out["nodeSelector"] == {"a": "1", "b": "3", "c": ""}


def test_nested_struct_pointers_merge_fieldwise():
    out = merge_pod(
        {"containers": [], "securityContext": {"runAsUser": 1000, "runAsNonRoot": True, "supplementalGroups": [1]}},
        {
            "containers": [],
            "securityContext": {"runAsUser": 0, "runAsNonRoot": False, "fsGroup": 0, "supplementalGroups": [2]},
        },
    )
    assert out["securityContext"] == {
        "runAsUser": 1000,
        "runAsNonRoot": True,
        "fsGroup": 0,
        "supplementalGroups": [1, 2],
    }


def test_pod_containers_and_volumes_appended_not_merged_by_name():
    out = merge_pod(
        {
            "containers": [{"name": "main", "image": "tmpl"}],
            "volumes": [{"name": "v", "emptyDir": {"sizeLimit": "1Gi"}}],
        },
        {
            "containers": [{"name": "main", "image": "task"}],
            "volumes": [{"name": "v", "emptyDir": {"sizeLimit": "2Gi"}}],
        },
    )
    assert [c["image"] for c in out["containers"]] == ["tmpl", "task"]
    assert out["volumes"] == [
        {"name": "v", "emptyDir": {"sizeLimit": "1Gi"}},
        {"name": "v", "emptyDir": {"sizeLimit": "2Gi"}},
    ]


def test_container_resources_merge_keywise_and_env_appended():
    out = merge_container(
        {"name": "c", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}, "env": [{"name": "A", "value": "t"}]},
        {
            "name": "",
            "resources": {"limits": {"cpu": "500m"}, "requests": {"cpu": "250m"}},
            "env": [{"name": "A", "value": "s"}],
        },
    )
    assert out["name"] == "c"
    assert out["resources"] == {"limits": {"cpu": "500m", "memory": "1Gi"}, "requests": {"cpu": "250m"}}
    assert out["env"] == [{"name": "A", "value": "t"}, {"name": "A", "value": "s"}]


def test_container_security_context_pointer_merge():
    out = merge_container(
        {"name": "c", "securityContext": {"privileged": True, "runAsUser": 5}},
        {"name": "c", "securityContext": {"privileged": False, "readOnlyRootFilesystem": False, "runAsUser": 0}},
    )
    assert out["securityContext"] == {"privileged": True, "runAsUser": 5, "readOnlyRootFilesystem": False}


def test_batch_results_in_order():
    cases = [
        {"mode": "pod", "dst": {"containers": [], "hostname": "a"}, "src": {"containers": [], "hostname": "b"}},
        {"mode": "container", "dst": {"name": "x"}, "src": {"name": "y", "tty": True}},
    ]
    out = run_oracle(cases)
    assert out[0]["hostname"] == "b"
    assert out[1]["name"] == "y" and out[1]["tty"] is True


# --- the oracle refuses what it cannot model --------------------------------


@pytest.mark.parametrize(
    "case",
    [
        {"mode": "pod", "dst": {"containers": []}, "src": {"containers": [], "hostAliases": []}},
        {"mode": "container", "dst": {"name": "c", "lifecycle": {}}, "src": {"name": "c"}},
        {"mode": "pod", "dst": {"containers": []}, "src": {"containers": []}, "primary": "main"},
        {
            "mode": "template",
            "dst": {"containers": [{"name": "primary", "livenessProbe": {"httpGet": {}}}]},
            "src": {"containers": []},
            "primary": "main",
        },
        {"mode": "pod", "dst": {"containers": [], "hostNetwork": "true"}, "src": {"containers": []}},
        {"mode": "pod", "dst": {"containers": []}, "src": {"containers": []}, "extra": 1},
        {"mode": "deployment", "dst": {}, "src": {}},
    ],
)
def test_oracle_rejects_unknown_fields_and_wrong_kinds(case):
    with pytest.raises(OracleError):
        run_oracle([case])


# --- the strategies only produce what the oracle accepts ---------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(pod_cases(), container_cases()), min_size=1, max_size=25))
def test_generated_cases_are_accepted(cases):
    out = run_oracle(cases)
    assert len(out) == len(cases)
