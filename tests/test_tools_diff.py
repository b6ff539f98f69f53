"""`podeval diff`: which Pods and fields change between two packs, configs or PodTemplate sets, and why."""

from __future__ import annotations

import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from engine.cli import main
from engine.k8s.diff import MISSING, diff_values
from engine.k8s.paths import Key
from engine.pack.rules import load_rules
from engine.tools import corpus as diff_module
from engine.tools.corpus import Side, run_corpus

ROOT = Path(__file__).resolve().parent.parent
DOCS_EXAMPLES = ROOT / "examples" / "flyte-docs"
CONTAINER_TASK = ROOT / "examples" / "golden" / "container-task.yaml"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def corpus(tmp_path: Path, count: int) -> Path:
    folder = tmp_path / "corpus"
    (folder / "nested").mkdir(parents=True)
    base = yaml.safe_load(CONTAINER_TASK.read_text())
    for index in range(count):
        base["execution"]["podName"] = f"pod-{index:03d}-n0-0"
        target = folder / ("nested" if index % 2 else ".") / f"s{index:03d}.yaml"
        target.write_text(yaml.safe_dump(base))
    (folder / "s000.pod.yaml").write_text("kind: Pod\n")  # a golden: not a scenario
    return folder


def test_docs_pack_against_flyte_v1_shows_the_docs_page_errors(capsys):
    code, out, err = run(capsys, "diff", "--rules", "flyte-v1", "--rules", "flyte-docs", DOCS_EXAMPLES)
    assert code == 0 and err == ""
    example_3 = out[out.index("example-3.yaml") :]
    # Example 3: the page prints label_1/annotation_1 value-plugin; FlytePropeller keeps the compile-time value
    assert (
        "~ metadata.labels.label_1\n"
        '      flyte-v1    "value-compile"  [compile-time / rule k8s-pod-target]\n'
        '      flyte-docs  "value-plugin"  [k8s-plugin / rule default-labels]'
    ) in example_3
    assert "~ metadata.annotations.annotation_1" in example_3
    # the page lists the template's `default` container beside `primary`; FlytePropeller merges it into primary
    assert "+ spec.containers[name=default]" in example_3
    assert "- spec.containers[name=primary].terminationMessagePath" in example_3
    assert "flyte-v1 -> flyte-docs" in out
    assert run(capsys, "diff", "--rules", "flyte-v1", "--rules", "flyte-docs", "--exit-code", DOCS_EXAMPLES)[0] == 1


def test_docs_examples_1_and_2(capsys):
    code, out, _ = run(capsys, "diff", "--rules", "flyte-v1", "--rules", "flyte-docs", DOCS_EXAMPLES / "example-1.yaml")
    # Example 1: the page prints foo: overridden-value; the runtime template's initial-value beats default-annotations
    assert code == 0 and '~ metadata.annotations.foo\n      flyte-v1    "initial-value"' in out
    assert '"overridden-value"  [k8s-plugin / rule default-annotations]' in out
    code, out, _ = run(capsys, "diff", "--rules", "flyte-v1", "--rules", "flyte-docs", DOCS_EXAMPLES / "example-2.yaml")
    # Example 2: the page lists two containers (default, primary); FlytePropeller builds one
    assert code == 0 and "+ spec.containers[name=default]" in out


def test_two_propeller_configs(tmp_path, capsys):
    folder = corpus(tmp_path, 4)
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    config = {"plugins": {"k8s": {"default-pod-template-name": "flyte-template", "default-labels": {"team": "x"}}}}
    old.write_text(yaml.safe_dump(config))
    config["plugins"]["k8s"]["scheduler-name"] = "volcano"
    config["plugins"]["k8s"]["default-tolerations"] = []
    new.write_text(yaml.safe_dump(config))
    code, out, _ = run(capsys, "diff", "--propeller-config", old, "--propeller-config", new, folder, "--exit-code")
    assert code == 1
    assert out.count("~ ") == 4 and "s000.pod.yaml" not in out
    assert (
        '+ spec.schedulerName\n      old.yaml  (absent)\n      new.yaml  "volcano"  [k8s-plugin / rule scheduler-name]'
    ) in out
    assert "4 scenarios: 4 changed, 0 unchanged (old.yaml -> new.yaml)" in out


def test_two_pod_template_sets(tmp_path, capsys):
    old, new = tmp_path / "old" / "templates.yaml", tmp_path / "new" / "templates.yaml"
    old.parent.mkdir()
    new.parent.mkdir()
    templates = yaml.safe_load(CONTAINER_TASK.read_text())["podTemplates"]
    old.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": templates}))
    templates[0]["template"]["spec"]["containers"][0]["terminationMessagePath"] = "/dev/new"
    new.write_text(yaml.safe_dump_all(templates))
    code, out, _ = run(capsys, "diff", "--pod-templates", old, "--pod-templates", new, CONTAINER_TASK, "-o", "json")
    assert code == 0
    data = json.loads(out)
    assert data["old"] == str(old) and data["new"] == str(new)
    (pod,) = data["pods"]
    assert pod["status"] == "changed" and pod["file"] == str(CONTAINER_TASK)
    (change,) = pod["changes"]
    assert change == {
        "path": "spec.containers[name=a1b2c3-n0-0].terminationMessagePath",
        "change": "changed",
        "old": "/dev/termination-log",
        "oldOwner": "runtime-template",
        "oldRule": "runtime-template",
        "new": "/dev/new",
        "newOwner": "runtime-template",
        "newRule": "runtime-template",
    }
    assert data["summary"]["changed"] == 1
    assert data["summary"]["fields"] == {"spec.containers[name=*].terminationMessagePath": 1}  # keys left out


def test_nothing_changed(capsys, tmp_path):
    folder = corpus(tmp_path, 3)
    code, out, _ = run(capsys, "diff", "--rules", "flyte-v1", "--rules", "flyte-v1.15", folder, "--exit-code")
    assert code == 0 and out.strip() == "3 scenarios: 0 changed, 3 unchanged (flyte-v1 -> flyte-v1.15)"


def test_a_build_that_fails_on_one_side(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    data = yaml.safe_load(CONTAINER_TASK.read_text())
    data["task"]["podTemplateName"] = "flyte-template"
    scenario.write_text(yaml.safe_dump(data))
    other = tmp_path / "templates.yaml"
    other.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "PodTemplate",
                "metadata": {"name": "other", "namespace": "flyte"},
                "template": {"spec": {"containers": [{"name": "default", "image": "x"}]}},
            }
        )
    )
    original = tmp_path / "original.yaml"
    original.write_text(yaml.safe_dump(data["podTemplates"][0]))
    code, out, _ = run(capsys, "diff", "--pod-templates", original, "--pod-templates", other, scenario)
    assert code == 0
    assert "original.yaml: builds the Pod" in out and "templates.yaml: error[pod_template_not_found]" in out


def test_usage_errors(capsys):
    assert run(capsys, "diff", "--rules", "flyte-v1", DOCS_EXAMPLES)[0] == 2
    code, _, err = run(capsys, "diff", "--rules", "a", "--rules", "b", "--rules", "c", DOCS_EXAMPLES)
    assert code == 2 and "at most twice" in err


def test_an_unreadable_scenario_is_reported_and_exits_2(tmp_path, capsys):
    folder = corpus(tmp_path, 2)
    (folder / "broken.yaml").write_text("task: {colour: red}\n")
    code, out, _ = run(capsys, "diff", "--rules", "flyte-v1", "--rules", "flyte-docs", folder)
    assert code == 2 and "! " in out and "broken.yaml: cannot be evaluated: error[unknown_key]" in out
    assert "1 could not be evaluated" in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _sides():
    return Side("flyte-v1", load_rules("flyte-v1")), Side("flyte-docs", load_rules("flyte-docs"))


def test_a_progress_bar_on_a_terminal_for_a_large_corpus(tmp_path):
    folder = corpus(tmp_path, 51)
    err, out = _Terminal(), io.StringIO()
    summary = run_corpus([str(folder)], *_sides(), out=out, err=err)
    assert summary.scenarios == 51 and summary.changed == 51
    assert "[##############################] 51/51 (51 changed)" in err.getvalue()
    small = corpus(tmp_path / "small", 50)
    err = _Terminal()
    run_corpus([str(small)], *_sides(), out=io.StringIO(), err=err)
    assert err.getvalue() == ""
    not_a_terminal = io.StringIO()
    run_corpus([str(folder)], *_sides(), out=io.StringIO(), err=not_a_terminal)
    assert not_a_terminal.getvalue() == ""


def test_the_corpus_is_streamed(tmp_path, monkeypatch):
    """Each Pod's record is written before the next scenario is evaluated, and no record is kept."""
    folder = corpus(tmp_path, 5)
    out = io.StringIO()
    written_before: list[int] = []
    real = diff_module.diff_scenario

    def spy(path, old, new, load=None):
        written_before.append(sum(line.startswith("~ ") for line in out.getvalue().splitlines()))
        return real(path, old, new, load)

    monkeypatch.setattr(diff_module, "diff_scenario", spy)
    files = diff_module.corpus_files([str(folder)])
    assert iter(files) is files  # a generator: the corpus is walked lazily
    summary = run_corpus([str(folder)], *_sides(), out=out, err=io.StringIO())
    assert written_before == [0, 1, 2, 3, 4]
    assert not hasattr(summary, "records") and summary.changed == 5


def test_json_output_is_one_document_streamed(tmp_path):
    folder = corpus(tmp_path, 3)
    out = io.StringIO()
    run_corpus([str(folder)], *_sides(), output="json", out=out, err=io.StringIO())
    data = json.loads(out.getvalue())
    assert [Path(p["file"]).name for p in data["pods"]] == ["s000.yaml", "s002.yaml", "s001.yaml"]
    assert data["summary"]["scenarios"] == 3


def test_diff_values_keyed_items_by_key_and_subtrees_whole():
    old = {
        "spec": {
            "containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}],
            "tolerations": [{"key": "x"}],
        }
    }
    new = {
        "spec": {
            "containers": [{"name": "a", "image": "9"}, {"name": "c", "image": "3"}],
            "tolerations": [{"key": "x"}, {"key": "y"}],
        }
    }
    changes = [(c.path, c.old, c.new) for c in diff_values(old, new)]
    assert changes == [
        (("spec", "containers", Key("name", "a"), "image"), "1", "9"),
        (("spec", "containers", Key("name", "b")), {"name": "b", "image": "2"}, MISSING),
        (("spec", "containers", Key("name", "c")), MISSING, {"name": "c", "image": "3"}),
        (("spec", "tolerations", 1), MISSING, {"key": "y"}),
    ]
    reordered = {"spec": {"containers": list(reversed(old["spec"]["containers"])), "tolerations": [{"key": "x"}]}}
    assert [c.path for c in diff_values(old, reordered)] == [("spec", "containers")]
    assert list(diff_values({"a": True}, {"a": 1}))  # a type change is a change


def test_diff_writes_the_html_report_of_the_changed_pods(tmp_path, repo_root):
    from engine.cli import main

    report = tmp_path / "diff.html"
    code = main(
        [
            "diff",
            "--rules",
            "flyte-v1",
            "--rules",
            "flyte-docs",
            str(repo_root / "examples/flyte-docs"),
            "--html",
            str(report),
        ]
    )
    assert code == 0
    html = report.read_text()
    assert "example-3.yaml" in html and "label_1" in html and "value-plugin" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_jobs_give_the_same_output_in_the_same_order(tmp_path, capsys):
    """`--jobs 2` diffs in worker processes; the records come back in corpus order, so the output (text and JSON)
    and the exit code are those of one process. A changed Pod and an unreadable file are among them."""
    folder = corpus(tmp_path, 9)
    (folder / "nested" / "broken.yaml").write_text("task: [\n")
    for name in ("example-1.yaml", "example-3.yaml"):
        shutil.copy(DOCS_EXAMPLES / name, folder / name)
    argv = ("diff", "--rules", "flyte-v1", "--rules", "flyte-docs", folder)
    for output in ("text", "json"):
        one = run(capsys, *argv, "-o", output)
        two = run(capsys, *argv, "-o", output, "--jobs", "2")
        assert one == two
        assert one[0] == 2  # the unreadable file
    summary = json.loads(two[1])["summary"]
    assert (summary["scenarios"], summary["unreadable"]) == (12, 1) and summary["changed"] >= 1


def test_jobs_with_html_report_the_changed_pods(tmp_path, capsys):
    report = tmp_path / "report.html"
    code, _, _ = run(
        capsys, "diff", "--rules", "flyte-v1", "--rules", "flyte-docs", DOCS_EXAMPLES, "--jobs", "2", "--html", report
    )
    assert code == 0
    html = report.read_text()
    assert "example-3.yaml" in html


def test_jobs_must_be_a_positive_number(capsys):
    for bad in ("0", "two"):
        code, _, err = run(capsys, "diff", "--rules", "flyte-v1", "--rules", "flyte-docs", DOCS_EXAMPLES, "--jobs", bad)
        assert code == 2 and "error[usage]" in err and "--jobs" in err


def test_junit_one_testcase_per_scenario(tmp_path, capsys):
    """`--junit FILE`, written by podeval test's writer: an unchanged Pod passes, a changed one fails with the
    text report's lines for it (fields, old and new values, source and rule), an unreadable scenario errs; the same
    with worker processes."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(DOCS_EXAMPLES / "example-3.yaml", folder / "example-3.yaml")
    shutil.copy(CONTAINER_TASK.with_name("missing-pod-template.yaml"), folder)  # refused alike on both sides
    (folder / "broken.yaml").write_text("task: {colour: red}\n")
    argv = ("diff", "--rules", "flyte-v1", "--rules", "flyte-docs", folder)
    code, out, _ = run(capsys, *argv, "--junit", tmp_path / "one.xml")
    assert code == 2  # the unreadable file; the report is written all the same
    assert run(capsys, *argv, "--junit", tmp_path / "two.xml", "--jobs", "2")[:2] == (code, out)

    def testcases(report: Path) -> dict:
        suite = ET.parse(report).getroot().find("testsuite")
        assert (suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("errors")) == (
            "podeval diff",
            "3",
            "1",
            "1",
        )
        return {case.get("name"): case for case in suite.findall("testcase")}

    one, two = testcases(tmp_path / "one.xml"), testcases(tmp_path / "two.xml")
    for cases in (one, two):
        unchanged = cases["missing-pod-template.yaml"]
        assert unchanged.find("failure") is None and unchanged.find("error") is None
        failure = cases["example-3.yaml"].find("failure")
        assert failure.get("message") == "5 fields changed"
        assert (
            "~ metadata.labels.label_1\n"
            '      flyte-v1    "value-compile"  [compile-time / rule k8s-pod-target]\n'
            '      flyte-docs  "value-plugin"  [k8s-plugin / rule default-labels]'
        ) in failure.text
        error = cases["broken.yaml"].find("error")
        assert "error[unknown_key]" in error.get("message")
    assert {n: c.find("failure").text for n, c in one.items() if c.find("failure") is not None} == {
        n: c.find("failure").text for n, c in two.items() if c.find("failure") is not None
    }
