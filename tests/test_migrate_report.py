"""`podeval migrate-report --from RULES --to RULES`: per task, the fields whose value changes with both explains, and
the kinds of change counted by task (text, JSON, JUnit, HTML).

The expected changes are Flyte facts, each shown by a pack's own explain and cited there: flyte#6733 (FlytePropeller
v1.16 skips a runtime-template container named like a custom primary; v1.15, the `flyte-v1.15` pack, merges it), and
the docs page's Example 3 (the page prints `default-labels` winning; FlytePropeller keeps the compile-time label:
docs/errata.md).
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from engine.cli import main
from engine.tools.migration import general_path, kind_of, topic_of

ROOT = Path(__file__).resolve().parent.parent
SIDECAR = ROOT / "examples" / "golden" / "compile-time-sidecar.yaml"  # a runtime-template container named `main`
GOLDEN_PODS = ROOT / "examples" / "golden-pods"
EXAMPLE_3 = ROOT / "examples" / "flyte-docs" / "example-3.yaml"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def corpus(tmp_path: Path, copies: int) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for index in range(copies):
        shutil.copy(SIDECAR, folder / f"sidecar-{index}.yaml")
    shutil.copy(GOLDEN_PODS / "task-template.yaml", folder / "registered.yaml")  # a registered task, unchanged
    return folder


def test_each_task_lists_its_changes_with_both_explains(capsys):
    code, out, err = run(capsys, "migrate-report", "--from", "flyte-v1", "--to", "flyte-v1.15", SIDECAR)
    assert (code, err) == (0, "")
    assert f"~ {SIDECAR}: 1 field change on flyte-v1.15\n" in out
    assert "  + spec.containers[name=main].workingDir  [gain container fields (flyte-v1.15: runtime-template)]" in out
    # flyte-v1's explain says why the field is absent there (flyte#6733), flyte-v1.15's who sets it
    assert "is skipped: only 'default'/'primary' shape the primary container (flyte#6733)" in out
    assert 'flyte-v1.15  "/ignored-since-6733"\n' in out
    assert "why: set by runtime-template (rule runtime-template)" in out


def test_summary_counts_tasks_per_kind_once(tmp_path, capsys):
    folder = corpus(tmp_path, 3)
    code, out, _ = run(capsys, "migrate-report", "--from", "flyte-v1", "--to", "flyte-v1.15", folder)
    assert code == 0
    assert "4 tasks: 3 change on flyte-v1.15, 1 unchanged (flyte-v1 -> flyte-v1.15)" in out
    assert "kinds of change:\n       3 tasks gain container fields (flyte-v1.15: runtime-template)\n" in out
    assert run(capsys, "migrate-report", "--from", "flyte-v1", "--to", "flyte-v1.15", "--exit-code", folder)[0] == 1


def test_a_change_of_source_names_both(capsys):
    code, out, _ = run(capsys, "migrate-report", "--from", "flyte-v1", "--to", "flyte-docs", EXAMPLE_3)
    assert code == 0
    assert (
        "  ~ metadata.labels.label_1  [change labels (flyte-v1: compile-time, rule k8s-pod-target -> "
        "flyte-docs: k8s-plugin, rule default-labels)]\n"
        '      flyte-v1    "value-compile"\n'
    ) in out


def test_json_has_both_explains_and_the_summary(tmp_path, capsys):
    folder = corpus(tmp_path, 2)
    code, out, _ = run(capsys, "migrate-report", "--from", "flyte-v1", "--to", "flyte-v1.15", "-o", "json", folder)
    assert code == 0
    data = json.loads(out)
    assert (data["from"], data["to"]) == ("flyte-v1", "flyte-v1.15")
    [task, *_] = [t for t in data["tasks"] if t["status"] == "changed"]
    [change] = task["changes"]
    assert change["path"] == "spec.containers[name=main].workingDir" and change["change"] == "added"
    assert change["explain"]["from"]["present"] is False
    assert change["explain"]["to"]["value"] == change["new"] == "/ignored-since-6733"
    assert change["explain"]["to"]["owner"] == "runtime-template"
    assert task["kinds"] == [change["kind"]]
    assert data["summary"]["kinds"] == [{"kind": change["kind"], "tasks": 2}]
    assert data["summary"]["fields"] == [{"path": "spec.containers[name=*].workingDir", "tasks": 2}]
    assert (data["summary"]["tasks"], data["summary"]["changed"], data["summary"]["unchanged"]) == (3, 2, 1)


def test_jobs_give_the_same_report(tmp_path, capsys):
    folder = corpus(tmp_path, 3)
    argv = ["migrate-report", "--from", "flyte-v1", "--to", "flyte-v1.15", "-o", "json", folder]
    assert run(capsys, *argv)[1] == run(capsys, *argv, "--jobs", "2")[1]


def test_junit_and_html(tmp_path, capsys):
    folder = corpus(tmp_path, 2)
    junit, html = tmp_path / "report.xml", tmp_path / "report.html"
    argv = ["migrate-report", "--from", "flyte-v1", "--to", "flyte-v1.15", folder, "--junit", junit, "--html", html]
    assert run(capsys, *argv)[0] == 0
    suite = ET.parse(junit).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "2", "0")
    failure = suite.find("testcase[@name='sidecar-0.yaml']/failure")
    assert "gain container fields (flyte-v1.15: runtime-template)" in failure.get("message")
    assert "spec.containers[name=main].workingDir" in failure.text
    page = html.read_text()
    assert "Kinds of change" in page and "gain container fields (flyte-v1.15: runtime-template)" in page
    assert "2 of 3 Pods changed" in page
    assert "<li><code>" + str(folder / "registered.yaml") + "</code></li>" in page  # the unchanged Pod, by name


def test_registered_tasks_with_the_platforms_files(capsys):
    code, out, err = run(
        capsys,
        "migrate-report",
        "--from",
        "flyte-v1",
        "--to",
        "flyte-v1.15",
        GOLDEN_PODS / "task-template.yaml",
        "--pod-templates",
        GOLDEN_PODS / "pod-templates.yaml",
        "--propeller-config",
        GOLDEN_PODS / "propeller-config.yaml",
        "-n",
        "etl-production",
    )
    assert (code, err) == (0, "")
    assert "1 task: 0 change on flyte-v1.15, 1 unchanged" in out


def test_a_file_that_is_neither_is_reported_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("plugins: {k8s: {}}\n")
    code, out, _ = run(capsys, "migrate-report", "--from", "flyte-v1", "--to", "flyte-v1.15", bad)
    assert code == 2 and out.startswith(f"! {bad}: cannot be evaluated: error[unknown_key]")


def test_unknown_pack_is_exit_2(capsys):
    code, _, err = run(capsys, "migrate-report", "--from", "flyte-v1", "--to", "no-such-pack", SIDECAR)
    assert code == 2 and "no-such-pack" in err


@pytest.mark.parametrize(
    ("path", "topic"),
    [
        ("spec.containers[name=primary].resources.requests.cpu", "container resources"),
        ('spec.containers[name=primary].resources.limits["nvidia.com/gpu"]', "container resources"),
        ("spec.initContainers[name=init].resources.limits.cpu", "init-container resources"),
        ("spec.containers[name=primary].env[name=_F_PN]", "container env vars"),
        ("spec.tolerations[2]", "tolerations"),
        ("spec.enableServiceLinks", "enableServiceLinks"),
        ("metadata.labels.organization", "labels"),
        ("spec.containers[name=main].workingDir", "container fields"),
        ("status.phase", "status.phase"),  # no pattern: the general path
    ],
)
def test_topics_by_path_pattern(path, topic):
    assert topic_of(path) == topic


def test_kinds_by_verb_and_source():
    change = {"path": "spec.tolerations[1]", "change": "added", "newOwner": "k8s-plugin", "newRule": "gpu-tolerations"}
    assert kind_of(change, "v1", "v2") == "gain tolerations (v2: k8s-plugin, rule gpu-tolerations)"
    change = {"path": "spec.containers[name=a].resources.requests.cpu", "change": "removed", "oldOwner": "t"}
    assert kind_of(change, "v1", "v2") == "lose container resources (v1: t)"
    change = {"path": "spec.dnsConfig", "change": "changed", "oldOwner": "k8s-plugin", "newOwner": "k8s-plugin"}
    assert kind_of(change, "v1", "v2") == "change a DNS config (both: k8s-plugin)"
    assert general_path("spec.containers[name=a].env[name=X].value") == "spec.containers[name=*].env[name=*].value"
