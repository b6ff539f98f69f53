"""`podeval test`: golden cases, strict; field-level diffs with provenance; --update; --junit."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from engine.cli import main

GOLDEN = Path(__file__).resolve().parent.parent / "examples" / "golden"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cases(tmp_path) -> Path:
    target = tmp_path / "golden"
    shutil.copytree(GOLDEN, target)
    return target


def set_field(path: Path, change) -> None:
    pod = yaml.safe_load(path.read_text())
    change(pod)
    path.write_text(yaml.safe_dump(pod, sort_keys=False))


def test_the_sample_layout_passes(capsys):
    code, out, _ = run(capsys, "test", GOLDEN)
    assert code == 0, out
    assert out.strip().endswith("3 cases: 3 passed")


def test_one_wrong_field_fails_with_its_path_and_provenance(cases, capsys):
    golden = cases / "container-task.pod.yaml"
    set_field(golden, lambda pod: pod["metadata"]["labels"].update(team="platform"))
    before = golden.read_text()
    code, out, _ = run(capsys, "test", cases)
    assert code == 1
    assert "FAIL    " in out and "container-task.yaml: 1 field differs from container-task.pod.yaml" in out
    block = out[out.index("  metadata.labels.team\n") :]
    assert 'expected: "platform"' in block and 'actual:   "data"' in block
    # how the actual value came about: the owner and rule, the candidates, the history
    assert "owner: runtime-template (rule runtime-template)" in block
    assert 'lost    k8s-plugin           "platform"' in block
    assert "default-labels are the lowest layer" in block
    assert "history:" in block
    assert golden.read_text() == before, "only --update writes goldens"
    assert "2 passed, 1 failed" in out


def test_a_missing_field_and_an_extra_one_are_both_reported(cases, capsys):
    def change(pod):
        del pod["spec"]["serviceAccountName"]
        pod["spec"]["containers"][0]["workingDir"] = "/app"

    set_field(cases / "container-task.pod.yaml", change)
    code, out, _ = run(capsys, "test", cases / "container-task.yaml")
    assert code == 1 and "2 fields differ" in out
    assert '  spec.serviceAccountName\n    expected: (absent)\n    actual:   "team-a"' in out
    assert '  spec.containers[name=a1b2c3-n0-0].workingDir\n    expected: "/app"\n    actual:   (absent)' in out


def test_a_missing_golden_fails_and_only_update_writes_it(cases, capsys):
    (cases / "container-task.pod.yaml").unlink()
    code, out, _ = run(capsys, "test", cases)
    assert code == 1 and "no golden: expected container-task.pod.yaml" in out
    assert not (cases / "container-task.pod.yaml").exists()
    code, out, _ = run(capsys, "test", "--update", cases)
    assert code == 0 and "container-task.yaml: wrote container-task.pod.yaml" in out and "1 written" in out
    assert yaml.safe_load((cases / "container-task.pod.yaml").read_text()) == yaml.safe_load(
        (GOLDEN / "container-task.pod.yaml").read_text()
    )
    assert run(capsys, "test", cases)[0] == 0


def test_update_rewrites_a_wrong_golden(cases, capsys):
    set_field(cases / "compile-time-sidecar.pod.yaml", lambda pod: pod["spec"].update(hostNetwork=True))
    code, out, _ = run(capsys, "test", "--update", cases)
    assert code == 0 and "compile-time-sidecar.yaml: rewrote compile-time-sidecar.pod.yaml" in out
    assert "2 passed, 1 updated" in out
    name = "compile-time-sidecar.pod.yaml"
    assert (cases / name).read_text() == (GOLDEN / name).read_text()


def test_error_goldens(cases, capsys):
    error_golden = cases / "missing-pod-template.error.yaml"
    error_golden.write_text("code: primary_container_missing\n")
    code, out, _ = run(capsys, "test", cases / "missing-pod-template.yaml")
    assert code == 1 and "expected: error[primary_container_missing]" in out and "pod_template_not_found" in out
    # a case that expects an error but builds a Pod
    shutil.copy(cases / "container-task.yaml", cases / "builds.yaml")
    (cases / "builds.error.yaml").write_text("code: pod_template_not_found\n")
    code, out, _ = run(capsys, "test", cases / "builds.yaml")
    assert code == 1 and "but it builds" in out
    # and one that expects a Pod but Flyte refuses it
    error_golden.unlink()
    shutil.copy(cases / "container-task.pod.yaml", cases / "missing-pod-template.pod.yaml")
    code, out, _ = run(capsys, "test", cases / "missing-pod-template.yaml")
    assert code == 1 and "Flyte would refuse to build it: error[pod_template_not_found]" in out


def test_a_golden_given_by_name_runs_its_case(cases, capsys):
    code, out, _ = run(capsys, "test", cases / "container-task.pod.yaml")
    assert code == 0 and "1 case: 1 passed" in out


def test_an_unusable_scenario_exits_2(cases, capsys):
    (cases / "broken.yaml").write_text("task: {colour: red}\n")
    code, out, _ = run(capsys, "test", cases)
    assert code == 2 and "ERROR   " in out and "broken.yaml" in out and "unknown_key" in out


def test_junit_xml(cases, capsys, tmp_path):
    set_field(cases / "container-task.pod.yaml", lambda pod: pod["metadata"]["labels"].update(team="x"))
    report = tmp_path / "junit.xml"
    code, _, _ = run(capsys, "test", cases, "--junit", report)
    assert code == 1
    root = ET.parse(report).getroot()
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "0")
    testcases = {case.get("name"): case for case in suite.findall("testcase")}
    assert set(testcases) == {"container-task.yaml", "compile-time-sidecar.yaml", "missing-pod-template.yaml"}
    failure = testcases["container-task.yaml"].find("failure")
    assert failure is not None and "metadata.labels.team" in failure.text and "runtime-template" in failure.text
    assert testcases["compile-time-sidecar.yaml"].find("failure") is None


def test_no_cases_is_a_usage_error(tmp_path, capsys):
    code, _, err = run(capsys, "test", tmp_path)
    assert code == 2 and "no_cases" in err


def test_jobs_give_the_same_results_in_the_same_order(cases, capsys, tmp_path):
    """`podeval test --jobs 2` runs the cases in worker processes; what it prints and writes (JUnit too, but
    for the timings) and its exit code are those of one process, failures included."""
    set_field(cases / "container-task.pod.yaml", lambda pod: pod["metadata"]["labels"].update(team="platform"))
    one = run(capsys, "test", cases, "--junit", tmp_path / "one.xml")
    two = run(capsys, "test", cases, "--jobs", "2", "--junit", tmp_path / "two.xml")
    assert one == two and one[0] == 1
    assert "3 cases: 2 passed, 1 failed" in one[1]

    def cases_of(path):
        return [(c.get("name"), [child.tag for child in c]) for c in ET.parse(path).getroot().iter("testcase")]

    assert cases_of(tmp_path / "one.xml") == cases_of(tmp_path / "two.xml")
