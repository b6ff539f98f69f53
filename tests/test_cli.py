"""The `podeval` command: render, explain, trace, graph; exit codes and one-line errors (contract §5)."""

from __future__ import annotations

import gc
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from engine.cli import console, main

EXAMPLE_3 = "examples/flyte-docs/example-3.yaml"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_render_example_3(capsys, repo_root):
    code, out, err = run(capsys, "render", str(repo_root / EXAMPLE_3))
    assert code == 0 and err == ""
    pod = yaml.safe_load(out)
    assert pod["metadata"]["labels"] == {
        "label_1": "value-compile",
        "label_2": "value-compile",
        "label_3": "value-runtime",
    }
    assert [c["name"] for c in pod["spec"]["containers"]] == ["primary"]
    assert pod["spec"]["containers"][0]["terminationMessagePath"] == "/dev/foo"
    assert pod["spec"]["hostNetwork"] is True


def test_render_json_and_trace_file(capsys, repo_root, tmp_path):
    trace_file = tmp_path / "trace.json"
    code, out, _ = run(capsys, "render", str(repo_root / EXAMPLE_3), "-o", "json", "--trace", str(trace_file))
    assert code == 0
    assert json.loads(out)["kind"] == "Pod"
    trace = json.loads(trace_file.read_text())
    assert trace["owners"]["metadata.labels.label_1"] == "compile-time"


def test_the_executable_exits_with_mains_code_and_leaves_the_collector_working(monkeypatch, capsys, repo_root):
    """``podeval`` (the console script) and ``python -m engine`` are ``console``: ``main``'s exit code, after
    ``gc.freeze`` (the final collection has nothing to walk); the collector still runs for what comes after."""
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="podeval")
    assert script.value == "engine.cli:console"
    for argv, expected in (
        (["podeval", "render", str(repo_root / EXAMPLE_3)], 0),
        (["podeval", "render", "nope.yaml"], 2),
    ):
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit) as done:
            console()
        assert done.value.code == expected
        assert gc.isenabled() and gc.get_freeze_count() > 0
        gc.unfreeze()  # give this test process its objects back
    out, err = capsys.readouterr()
    assert "kind: Pod" in out and "nope.yaml" in err


def test_render_reads_stdin(repo_root):
    text = (repo_root / EXAMPLE_3).read_text()
    done = subprocess.run(
        [sys.executable, "-m", "engine", "render", "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=repo_root,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout)["spec"]["hostNetwork"] is True


def test_explain_names_every_candidate(capsys, repo_root):
    code, out, _ = run(capsys, "explain", str(repo_root / EXAMPLE_3), "metadata.labels.label_1")
    assert code == 0
    assert 'value: "value-compile"' in out
    assert "owner: compile-time" in out
    for source, value in (("k8s-plugin", "value-plugin"), ("runtime-template", "value-runtime")):
        line = next(line for line in out.splitlines() if source in line and value in line)
        assert line.split()[0] == "lost"
    won = next(line for line in out.splitlines() if line.strip().startswith("won"))
    assert "compile-time" in won and "value-compile" in won


def test_explain_json(capsys, repo_root):
    code, out, _ = run(capsys, "explain", str(repo_root / EXAMPLE_3), "spec.hostNetwork", "-o", "json")
    data = json.loads(out)
    assert code == 0 and data["value"] is True and data["owner"] == "compile-time"
    lost = [c for c in data["candidates"] if c["outcome"] == "lost"]
    assert lost == [
        {
            "source": "runtime-template",
            "value": False,
            "rule": "runtime-template",
            "outcome": "lost",
            "why": lost[0]["why"],
            "where": lost[0]["where"],
        }
    ]
    assert "overridden by compile-time" in lost[0]["why"]
    lines = (repo_root / EXAMPLE_3).read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.strip() == "hostNetwork: false")
    assert lost[0]["where"].startswith(f"{repo_root / EXAMPLE_3}:{line}:")  # the template's value, in the file


def test_trace_text_and_json(capsys, repo_root):
    code, out, _ = run(capsys, "trace", str(repo_root / EXAMPLE_3))
    assert code == 0 and "owners:" in out and "metadata.labels.label_1: compile-time" in out
    code, out, _ = run(capsys, "trace", str(repo_root / EXAMPLE_3), "-o", "json")
    assert json.loads(out)["version"] == 1


def test_graph_mermaid_dot_json(capsys):
    code, out, _ = run(capsys, "graph")
    assert code == 0 and out.startswith("graph BT")
    for node in ("k8s_plugin", "compile_time", "runtime_template", "pod_template_name"):
        assert node in out
    code, out, _ = run(capsys, "graph", "-o", "dot")
    assert out.startswith('digraph "flyte-v1"')
    code, out, _ = run(capsys, "graph", "-o", "json")
    graph = json.loads(out)
    assert {"k8s-plugin", "compile-time", "runtime-template", "pod-template-name"} <= {n["id"] for n in graph["nodes"]}


@pytest.mark.parametrize(
    "argv, code, words",
    [
        (["render", "missing.yaml"], 2, ["unreadable", "missing.yaml"]),
        (["render"], 2, ["usage"]),
        (["frobnicate"], 2, ["usage"]),
        (["render", EXAMPLE_3, "--rules", "no-such-pack"], 2, ["unknown_rules", "no-such-pack"]),
        (["explain", EXAMPLE_3, "spec..x"], 2, ["invalid_path"]),
    ],
)
def test_errors_are_one_line_with_the_contract_exit_code(capsys, repo_root, monkeypatch, argv, code, words):
    monkeypatch.chdir(repo_root)
    got, out, err = run(capsys, *argv)
    assert got == code
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("podeval: error[")
    for word in words:
        assert word in err


def test_a_missing_named_template_is_exit_3_with_flytes_message(capsys, tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "task: {container: {image: i}, podTemplateName: nope}\nexecution: {namespace: ns, podName: p}\n"
    )
    code, _, err = run(capsys, "render", str(scenario))
    assert code == 3
    assert "PodTemplate 'nope' does not exist" in err and "pod_template_not_found" in err
    assert str(scenario) in err


def test_unknown_scenario_key_names_path_and_position(capsys, tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("task:\n  container: {image: i}\n  podTemplat: {}\n")
    code, _, err = run(capsys, "render", str(scenario))
    assert code == 2
    assert f"{scenario}:3:" in err and "task.podTemplat" in err and "podTemplate" in err


def test_scenario_from_separate_files(capsys, repo_root, tmp_path):
    example = yaml.safe_load((repo_root / EXAMPLE_3).read_text())
    (tmp_path / "task.yaml").write_text(yaml.safe_dump({"task": example["task"]}))
    (tmp_path / "templates.yaml").write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": example["podTemplates"]})
    )
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "flyte-propeller-config"},
        "data": {
            "core.yaml": "propeller: {workers: 4}\n",
            "k8s.yaml": yaml.safe_dump({"plugins": {"k8s": example["propeller"]["config"]}}),
        },
    }
    (tmp_path / "cm.yaml").write_text(yaml.safe_dump(configmap))
    code, out, err = run(
        capsys,
        "render",
        "--task",
        str(tmp_path / "task.yaml"),
        "--pod-templates",
        str(tmp_path / "templates.yaml"),
        "--propeller-config",
        str(tmp_path / "cm.yaml"),
        "--namespace",
        "flytesnacks-development",
    )
    assert code == 0, err
    full = yaml.safe_load(run(capsys, "render", str(repo_root / EXAMPLE_3))[1])
    pod = yaml.safe_load(out)
    assert pod["metadata"]["labels"] == full["metadata"]["labels"]
    assert pod["spec"]["containers"][0]["terminationMessagePath"] == "/dev/foo"


def test_render_writes_the_html_report(capsys, repo_root, tmp_path):
    report = tmp_path / "report.html"
    code, out, _ = run(capsys, "render", str(repo_root / EXAMPLE_3), "--html", str(report))
    assert code == 0 and out.startswith("apiVersion: v1")
    html = report.read_text()
    assert html.lstrip().lower().startswith("<!doctype html>") and "metadata.labels.label_1" in html


def test_render_a_folder_streams_every_pod_to_out(capsys, repo_root, tmp_path):
    source = tmp_path / "scenarios"
    source.mkdir()
    for name in ("example-1", "example-2", "example-3"):
        (source / f"{name}.yaml").write_text((repo_root / f"examples/flyte-docs/{name}.yaml").read_text())
    (source / "broken.yaml").write_text(
        "task: {container: {image: i}, podTemplateName: nope}\nexecution: {namespace: ns, podName: p}\n"
    )
    code, _, err = run(capsys, "render", str(source), "--out", str(tmp_path / "pods"), "--jobs", "1")
    assert code == 3  # the worst exit code seen
    assert sorted(p.name for p in (tmp_path / "pods").iterdir()) == [
        "example-1.pod.yaml",
        "example-2.pod.yaml",
        "example-3.pod.yaml",
    ]
    single = yaml.safe_load(run(capsys, "render", str(repo_root / EXAMPLE_3))[1])
    assert yaml.safe_load((tmp_path / "pods" / "example-3.pod.yaml").read_text()) == single
    assert "error[pod_template_not_found]" in err and "broken.yaml" in err


def test_render_a_folder_without_out_prints_each_pod_after_its_source(capsys, repo_root):
    code, out, _ = run(capsys, "render", str(repo_root / "examples/flyte-docs"))
    assert code == 0
    pods = list(yaml.safe_load_all(out))
    assert [pod["kind"] for pod in pods] == ["Pod", "Pod", "Pod"]
    sources = [line.split("# Source: ")[1] for line in out.splitlines() if line.startswith("# Source: ")]
    assert [Path(s).name for s in sources] == ["example-1.yaml", "example-2.yaml", "example-3.yaml"]


def test_a_problem_in_a_separate_file_is_reported_at_its_position(capsys, tmp_path):
    (tmp_path / "task.yaml").write_text("task:\n  container: {image: i}\nexecution: {namespace: ns, podName: p}\n")
    (tmp_path / "templates.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: PodTemplate\n  metadata: {name: t, namespace: ns}\n"
        "  template:\n    spec:\n      containers:\n      - name: default\n        command: echo\n"
    )
    code, _, err = run(
        capsys, "render", "--task", str(tmp_path / "task.yaml"), "--pod-templates", str(tmp_path / "templates.yaml")
    )
    assert code == 2
    assert f"{tmp_path / 'templates.yaml'}:11:" in err and "command" in err
