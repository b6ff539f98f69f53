"""`podeval explain SCENARIO PATH --without SOURCE`: the field as it is, and as it would be without a source."""

from __future__ import annotations

import json

from engine.cli import main

EXAMPLE_3 = "examples/flyte-docs/example-3.yaml"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_without_the_compile_time_template_the_runtime_value_wins(capsys, repo_root):
    code, out, _ = run(capsys, "explain", repo_root / EXAMPLE_3, "metadata.labels.label_1", "--without", "compile-time")
    assert code == 0
    actual, what_if = out.split("what if compile-time was absent:\n")
    assert actual.startswith("actual (every source):\n  metadata.labels.label_1\n")
    assert 'value: "value-compile"' in actual and "owner: compile-time (rule k8s-pod-target)" in actual
    assert 'value: "value-runtime"' in what_if and "owner: runtime-template (rule runtime-template)" in what_if
    assert "compile-time" not in what_if.split("=>")[0]  # the absent source plays no part in the history
    assert '=> without compile-time: "value-compile" becomes "value-runtime"' in what_if


def test_a_field_that_only_the_absent_source_sets_disappears(capsys, repo_root):
    code, out, _ = run(capsys, "explain", repo_root / EXAMPLE_3, "metadata.annotations.baz", "--without", "k8s-plugin")
    assert code == 0
    assert 'value: "value-plugin"' in out
    assert "  metadata.annotations.baz\n    not in the Pod" in out.split("what if")[1]
    assert '=> without k8s-plugin: "value-plugin" becomes (absent)' in out


def test_two_sources_and_json(capsys, repo_root):
    code, out, _ = run(
        capsys,
        "explain",
        repo_root / EXAMPLE_3,
        "spec.hostNetwork",
        "--without",
        "compile-time",
        "--without",
        "k8s-plugin",
        "-o",
        "json",
    )
    data = json.loads(out)
    assert code == 0 and data["without"] == ["compile-time", "k8s-plugin"]
    assert (data["actual"]["value"], data["actual"]["owner"]) == (True, "compile-time")
    # the runtime template's hostNetwork: false is a zero value: the field is not in the Pod at all
    assert data["whatIf"]["present"] is False


def test_a_what_if_flyte_would_refuse(capsys, repo_root, tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        (repo_root / "examples/golden/missing-pod-template.yaml")
        .read_text()
        .replace("  podTemplateName: gpu-template\n", "")
    )
    code, out, _ = run(capsys, "explain", scenario, "spec.restartPolicy", "--without", "task-container")
    assert code == 0 and "Flyte would refuse to build the Pod: error[" in out


def test_an_unknown_source_is_a_usage_error(capsys, repo_root):
    code, _, err = run(capsys, "explain", repo_root / EXAMPLE_3, "spec.hostNetwork", "--without", "compiletime")
    assert code == 2 and "unknown_source" in err and "compile-time" in err
