"""Flyte's container matching, Go's memory included, against the Go oracle (tests/oracle, mode ``template``).

The oracle runs the project's own Go transcription of MergeBasePodSpecOntoTemplate (flytek8s/pod_helper.go at
89cf9cc) with the real mergo on Go structs: the template's ``primary`` container, merged into two task containers
(the primary one by role, a sidecar named ``primary`` by exact name), shares its pointers and maps between them, so
a value merged for one shows in the other. podeval's ``merge_pod_spec_onto_template`` must print exactly what the
oracle prints, aliasing cases included, and warn exactly where the oracle's output differs from the same merge with
every template container copied first (``isolate``: not Flyte, the counterfactual).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oracle.harness import (
    oracle_available,
    oracle_unavailable_reason,
    printed_by_go,
    printed_by_podeval,
    run_oracle,
    template_cases,
)

import engine
from engine.k8s import paths

pytestmark = pytest.mark.skipif(not oracle_available(), reason=oracle_unavailable_reason() or "no oracle")

BATCH = 20
EXAMPLES = 100  # 2,000 cases


def merged_by_podeval(case: dict, warnings: list | None = None) -> dict:
    merged = engine.merge_pod_spec_onto_template(
        case["dst"], case["src"], case["primary"], case["primaryInit"], warnings=warnings
    )
    return printed_by_podeval(merged, "PodSpec")


def _check(cases: list[dict]) -> int:
    """Compare a batch; return how many cases alias (Flyte's output differs from the isolated merge)."""
    flyte = run_oracle(cases)
    isolated = run_oracle([{**case, "isolate": True} for case in cases])
    aliased = 0
    for case, want, alone in zip(cases, flyte, isolated):
        warnings: list = []
        got = merged_by_podeval(case, warnings)
        assert got == printed_by_go(want), f"case={case!r}"
        leaks = printed_by_go(want) != printed_by_go(alone)
        aliased += leaks
        # the leaks are warned at the leaked leaf, inside a container (a template container that shaped nothing is
        # warned at the container itself: an input without effect, not a leak)
        leaked = [w for w in warnings if len(paths.parse(w["path"])) > 2]
        assert bool(leaked) == leaks, f"warnings={warnings!r}\ncase={case!r}"
    return aliased


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(template_cases(), min_size=BATCH, max_size=BATCH))
def test_merge_base_pod_spec_onto_template_equals_go(cases):
    _check(cases)


def test_aliasing_occurs_in_the_fuzz():
    """The generator is biased to aliasing: it must produce batches that leak, or the differential tests nothing
    (hypothesis.find raises NoSuchExample when none of its tries aliases)."""
    found = find(
        st.lists(template_cases(), min_size=BATCH, max_size=BATCH),
        lambda cases: _check(cases) > 0,
        # generation only: shrinking the batch that aliases would rerun the oracle hundreds of times
        settings=settings(
            max_examples=200,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.generate],
        ),
    )
    assert _check(found) > 0
