"""podeval's pod-level merge against the real mergo (tests/oracle): the differential oracle of issue 3.

Hypothesis generates runtime-template and task pod specs over the fields the Go mirror has; podeval's
``merge_pod_spec_onto_template`` (driven by the flyte-v1 pack's ``pod-spec`` profile) must print exactly what
``mergo.Merge(template, task, WithOverride, WithAppendSlice)`` prints, through Go's encoding/json.

Flyte matches containers (MergeBasePodSpecOntoTemplate is Flyte code, not mergo), so the pod-level comparison
leaves ``containers``/``initContainers`` out, and a second test checks the container merge through Flyte's own
path: a template ``default`` container merged with mergo into each task container. The whole function, container
matching and aliasing included, is compared in test_aliasing_differential.py. Each example carries a batch of cases, so that one oracle process checks many (2,000+ per test).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oracle.harness import (
    containers,
    oracle_available,
    oracle_unavailable_reason,
    pod_specs,
    printed_by_go,
    printed_by_podeval,
    run_oracle,
)

import engine

pytestmark = pytest.mark.skipif(not oracle_available(), reason=oracle_unavailable_reason() or "no oracle")

BATCH = 20
EXAMPLES = 110  # 2,200 cases per test


def _without_containers(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if k not in ("containers", "initContainers")}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(pod_specs(), pod_specs()), min_size=BATCH, max_size=BATCH))
def test_pod_level_merge_equals_mergo(pairs):
    cases = [{"mode": "pod", "dst": template, "src": base} for template, base in pairs]
    expected = run_oracle(cases)
    for (template, base), oracle_result in zip(pairs, expected):
        ours = engine.merge_pod_spec_onto_template(template, base, "")
        want = _without_containers(printed_by_go(oracle_result))
        got = _without_containers(printed_by_podeval(ours, "PodSpec"))
        assert got == want, f"template={template!r}\nbase={base!r}"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(containers(), containers()), min_size=BATCH, max_size=BATCH))
def test_default_template_container_merge_equals_mergo(pairs):
    cases, inputs = [], []
    for template_container, task_container in pairs:
        template_container = {**template_container, "name": "default"}
        task_container = {**task_container, "name": "task"}
        inputs.append((template_container, task_container))
        cases.append({"mode": "container", "dst": template_container, "src": task_container})
    expected = run_oracle(cases)
    for (template_container, task_container), oracle_result in zip(inputs, expected):
        merged = engine.merge_pod_spec_onto_template(
            {"containers": [template_container]}, {"containers": [task_container]}, ""
        )
        got = printed_by_podeval(merged["containers"][0], "Container")
        want = printed_by_go(oracle_result)
        assert got == want, f"template={template_container!r}\ntask={task_container!r}"
