"""Provenance down to the file line (issue 13, item 3): every trace event and every candidate of ``explain`` names
where its value was written (the input file and line:column, the ConfigMap and its data key, the cluster object
and its resourceVersion, or the pack's own file); values print as written and as the Pod renders them; the trace's
``sources`` lists every source that contributed, in pack order; no rule id is ever missing.

Expected lines are found in the example files by their text, never written down as numbers.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from engine.k8s import paths
from engine.render.report_html import render_report
from engine.render.text import format_explain

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml")) + sorted((ROOT / "examples" / "flyte-docs").glob("*.yaml"))
EXAMPLE_3 = ROOT / "examples" / "flyte-docs" / "example-3.yaml"
PLACE = re.compile(r"^\S+:\d+:\d+( \(.+\))?$")


def position(path: Path, line_text: str, value: str) -> str:
    """``file:line:col`` of ``value`` on the first line of ``path`` that contains ``line_text``."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line_text in line:
            return f"{path}:{number}:{line.index(value, line.index(line_text)) + 1}"
    raise AssertionError(f"{line_text!r} is not in {path}")


def podeval(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_event_names_the_file_and_line_of_its_value(example):
    trace = engine.evaluate(example).trace.to_dict()
    for event in trace["events"]:
        assert PLACE.match(event.get("where") or ""), event
        if "previous" in event:
            assert PLACE.match(event.get("previousWhere") or ""), event
        if "rejected" in event:
            assert PLACE.match(event["rejected"].get("where") or ""), event


def test_each_candidate_names_where_it_was_written():
    trace = engine.evaluate(EXAMPLE_3).trace
    candidates = {c["source"]: c for c in trace.explain("metadata.labels.label_1")["candidates"]}
    assert candidates["compile-time"]["outcome"] == "won"
    assert candidates["compile-time"]["where"] == position(EXAMPLE_3, "labels: {label_1: value-compile", "value")
    assert candidates["runtime-template"]["where"] == position(EXAMPLE_3, "labels: {label_1: value-runtime", "value")
    assert candidates["k8s-plugin"]["where"] == position(EXAMPLE_3, "default-labels: {label_1", "value")


def test_a_value_the_pack_supplies_names_the_pack_file_and_the_rule():
    trace = engine.evaluate(EXAMPLE_3).trace
    [candidate] = trace.explain("spec.restartPolicy")["candidates"]
    pack = ROOT / "rules" / "flyte-v1" / "pack.yaml"
    line = position(pack, "rule: restart-policy", "rule").split(":", 1)[1]
    assert candidate["where"] == f"rules/flyte-v1/pack.yaml:{line} (rule restart-policy)"


def test_a_value_is_shown_as_written_and_as_rendered():
    """The k8s-plugin candidate of the cpu request is the built-in default "1000m" that the Pod prints as "1"."""
    explanation = engine.evaluate(EXAMPLE_3).trace.explain("spec.containers[name=primary].resources.requests.cpu")
    [candidate] = explanation["candidates"]
    assert (explanation["value"], candidate["value"], candidate["rendered"]) == ("1", "1000m", "1")
    config = ROOT / "rules" / "flyte-v1" / "plugin-config.yaml"
    line = position(config, "default-cpus:", "1000m").split(":", 1)[1]
    assert candidate["where"] == f"rules/flyte-v1/plugin-config.yaml:{line} (built-in default of default-cpus)"
    text = format_explain(explanation)
    assert '"1000m" -> "1"' in text and f"from rules/flyte-v1/plugin-config.yaml:{line}" in text


def test_a_value_written_alike_is_not_shown_twice():
    explanation = engine.evaluate(EXAMPLE_3).trace.explain("metadata.labels.label_1")
    assert all("rendered" not in c for c in explanation["candidates"])


def test_a_configmap_key_is_named_with_its_data_key(tmp_path):
    configmap = tmp_path / "propeller-cm.yaml"
    configmap.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flyte-propeller-config, namespace: flyte}\n"
        "data:\n  k8s.yaml: |\n    plugins:\n      k8s:\n        default-cpus: 500m\n"
    )
    trace = tmp_path / "trace.json"
    done = podeval("render", str(EXAMPLE_3), "--propeller-config", str(configmap), "--trace", str(trace), "-o", "json")
    assert done.returncode == 0, done.stderr
    [event] = [
        e
        for e in json.loads(trace.read_text())["events"]
        if e["path"] == "spec.containers[name=primary].resources.requests.cpu"
    ]
    assert event["value"] == "500m"
    assert event["where"] == f"{configmap}:8:23 (ConfigMap flyte/flyte-propeller-config, data[k8s.yaml])"


def test_a_cluster_object_is_named_with_its_resource_version():
    scenario = {
        "task": {"container": {"image": "img:1"}},
        "execution": {"namespace": "ns", "podName": "p"},
        "propeller": {"config": {"default-pod-template-name": "t"}},
        "podTemplates": [
            {
                "apiVersion": "v1",
                "kind": "PodTemplate",
                "metadata": {"name": "t", "namespace": "ns", "resourceVersion": "42"},
                "template": {"metadata": {"labels": {"team": "ml"}}, "spec": {"containers": [{"name": "default"}]}},
            }
        ],
    }
    [candidate] = engine.evaluate(scenario).trace.explain("metadata.labels.team")["candidates"]
    assert candidate["where"] == "PodTemplate ns/t resourceVersion 42 template.metadata.labels.team"


def test_sources_lists_every_source_that_contributed_in_pack_order():
    result = engine.evaluate(EXAMPLE_3)
    trace = result.trace.to_dict()
    listed = [s["id"] for s in trace["sources"]]
    contributed = {e["source"] for e in trace["events"]}
    assert contributed <= set(listed)
    assert {"k8s-plugin", "compile-time", "runtime-template", "execution", "flyte"} <= set(listed)
    assert listed == [s for s in result.rules.sources if s in listed]  # the pack's order
    for source in trace["sources"]:
        assert source["label"] and source["origin"], source


def test_no_rule_is_none_for_a_list_a_config_option_filled(tmp_path):
    """``diff`` named the owner of a whole ``env`` list with ``rule None``: a map or list field's rule is the
    rule of the leaves below it."""
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text("default-cpus: 500m\n")
    new.write_text("default-cpus: 500m\ndefault-env-vars:\n  - {FOO: bar}\n")
    done = podeval("diff", "--propeller-config", str(old), "--propeller-config", str(new), str(EXAMPLE_3), "-o", "json")
    assert "None" not in done.stdout and "null" not in done.stdout.split('"summary"')[0], done.stdout
    text = podeval("diff", "--propeller-config", str(old), "--propeller-config", str(new), str(EXAMPLE_3)).stdout
    assert "[k8s-plugin / rule default-env-vars]" in text and "rule None" not in text


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_field_and_its_ancestors_have_a_rule(example):
    result = engine.evaluate(example)
    trace = result.trace
    seen = set()
    for leaf in trace.owners:
        segments = paths.parse(leaf)
        for end in range(1, len(segments) + 1):
            prefix = paths.render(segments[:end])
            if prefix in seen:
                continue
            seen.add(prefix)
            explanation = trace.explain(prefix)
            if explanation["present"]:
                assert explanation["rule"], (prefix, explanation)
                assert all(c["rule"] for c in explanation["candidates"]), (prefix, explanation)


def test_the_html_report_line_names_where_its_value_came_from():
    result = engine.evaluate(EXAMPLE_3)
    html = render_report(result, result.rules)
    expected = position(EXAMPLE_3, "labels: {label_1: value-compile", "value")
    assert f'data-line="metadata.labels.label_1" data-owner="compile-time" data-where="{expected}"' in html
    buttons = re.findall(r'<button type="button" class="field"[^>]*>', html)
    assert buttons and all("data-where=" in b for b in buttons), [b for b in buttons if "data-where=" not in b]


#: rules that compute a value from their inputs (the shard key from the execution id): it is placed at the input
#: it was built from, whose text is not the value
COMPUTED = {"system-labels.apply"}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_a_value_placed_in_the_scenario_file_is_written_there(example):
    """Where a string value is placed in the example's own file, the file has that value at that line and column
    (quoted or not); values from other sources' inputs are not taken for it."""
    lines = example.read_text().splitlines()
    trace = engine.evaluate(example).trace.to_dict()
    checked = 0
    for event in trace["events"]:
        places = [(event.get("where"), event.get("value"))]
        places.append((event.get("previousWhere"), event.get("previous")))
        places.append(((event.get("rejected") or {}).get("where"), (event.get("rejected") or {}).get("value")))
        for where, value in places:
            found = re.fullmatch(r"(.+):(\d+):(\d+)", where or "")
            if event["rule"] in COMPUTED or not found or found[1] != str(example) or not isinstance(value, str):
                continue
            text = lines[int(found[2]) - 1][int(found[3]) - 1 :]
            assert text.startswith((value, json.dumps(value), f"'{value}")), (event, text)
            checked += 1
    assert checked > 0
