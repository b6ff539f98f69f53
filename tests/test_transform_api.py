"""The transform interface (engine.pack.transform_api): a transform sets only the variables it declares."""

from __future__ import annotations

import pytest

from engine.eval.evaluate import Evaluation
from engine.inputs.scenario import load_scenario
from engine.pack.rules import load_rules
from engine.pack.transform_api import TRANSFORMS, Context


def context(rule_id: str) -> Context:
    pack = load_rules("flyte-v1")
    entry = next(e for step in pack.steps for e in step.entries if e.id == rule_id)
    evaluation = Evaluation(pack, load_scenario({"task": {"container": {"image": "x:1"}}}))
    return Context(evaluation, entry, entry.transform)


def test_a_transform_sets_the_variables_it_declares_and_no_other():
    ctx = context("system-labels")
    ctx.set_var("systemLabels", {"a": "b"})
    assert ctx.var("systemLabels") == {"a": "b"}
    with pytest.raises(AssertionError, match="undeclared variable 'primaryContainerName'"):
        ctx.set_var("primaryContainerName", "main")
    with pytest.raises(AssertionError, match="undeclared parameter 'colour'"):
        ctx.param("colour")


def test_a_variable_parameter_names_a_variable_the_rule_sets():
    ctx = context("override-serialization")  # flytekit-serialize with into: overrideK8sPod
    assert TRANSFORMS["flytekit-serialize"].params["into"] == "variable"
    ctx.set_var("overrideK8sPod", {})
    with pytest.raises(AssertionError, match="undeclared variable 'k8sPod'"):
        ctx.set_var("k8sPod", {})
