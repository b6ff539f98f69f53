"""The Pod FlytePropeller builds, then what the API server will refuse in it (engine.k8s.apiserver, issue 11 items 6, 7
and the --pod-templates half of 3).

The corpus (tests/bad_inputs/cases.yaml) runs each kind of violation through `podeval render`; here: the library's
``result.problems``, the other commands (explain, render --out, test, diff), a scenario assembled from several
files, and --pod-templates manifests as `helm template` and `kubectl get -o yaml` print them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

import engine
from engine.cli import main

CORPUS = Path(__file__).resolve().parent / "bad_inputs"

SIDECAR_WITHOUT_LIMIT = CORPUS / "pod-spec-sidecar-request-without-limit.yaml"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


# ------------------------------------------------------------------------------------------------ the library


def test_result_problems_carry_the_path_in_the_pod_the_owner_and_the_input_location():
    result = engine.evaluate(str(CORPUS / "pod-spec-node-selector-value.yaml"))
    assert result.pod["spec"]["nodeSelector"] == {"node.kubernetes.io/instance-type": "p3 2xlarge"}  # as built
    [problem] = result.problems
    assert isinstance(problem, engine.PodRefusedError) and isinstance(problem, engine.FlyteBuildError)
    assert problem.exit_code == 3
    assert problem.to_dict() == {
        "code": "invalid_label",
        "message": problem.message,
        "exit_code": 3,
        "path": 'spec.nodeSelector["node.kubernetes.io/instance-type"]',
        "file": str(CORPUS / "pod-spec-node-selector-value.yaml"),
        "line": 6,
        "column": 56,
        "hint": problem.hint,
        "rule": "k8s-pod-target",
        "source": "compile-time",
        "inputPath": 'task.podTemplate.podSpec.nodeSelector["node.kubernetes.io/instance-type"]',
    }


def test_a_valid_pod_has_no_problems(repo_root):
    assert engine.evaluate(str(repo_root / "examples/flyte-docs/example-3.yaml")).problems == []


def test_problems_are_attributed_without_the_trace_too():
    """`render` evaluates without the trace; the owners of violations are found all the same."""
    traced = engine.evaluate(str(CORPUS / "label-key-two-slashes.yaml")).problems
    untraced = engine.evaluate(str(CORPUS / "label-key-two-slashes.yaml"), trace=False).problems
    assert [p.to_dict() for p in untraced] == [p.to_dict() for p in traced]
    assert (traced[0].source, traced[0].rule, traced[0].input_path) == (
        "task-metadata",
        "task-labels",
        'task.labels["example.com/team/name"]',
    )


def test_a_value_flytepropeller_wrote_itself_is_attributed_to_flytepropeller():
    # flytek8s/container_helper.go adjustResourceRequirement: a sidecar's missing cpu limit is written as 0
    result = engine.evaluate(str(SIDECAR_WITHOUT_LIMIT))
    sidecar = next(c for c in result.pod["spec"]["containers"] if c["name"] == "sidecar")
    assert sidecar["resources"] == {"limits": {"cpu": "0", "memory": "0"}, "requests": {"cpu": "500m", "memory": "0"}}
    [problem] = result.problems
    assert problem.code == "request_over_limit"
    assert problem.message.startswith("request 500m: must be less than or equal to cpu limit of 0")


def test_the_task_pod_spec_is_checked_as_flyte_decodes_it_and_podtemplates_whole():
    spec = {"containers": [{"name": "Main_1", "image": "img:1"}]}
    scenario = {"task": {"k8sPod": {"podSpec": spec}, "config": {"primary_container_name": "Main_1"}}}
    engine.load_scenario(scenario)  # FlytePropeller decodes it: not an input error
    template = {"kind": "PodTemplate", "metadata": {"name": "t"}, "template": {"spec": spec}}
    with pytest.raises(engine.InputError) as info:  # the API server would not have stored this PodTemplate
        engine.load_scenario({"podTemplates": [template]})
    assert (info.value.code, info.value.path) == (
        "invalid_name",
        "podTemplates[0].template.spec.containers[name=Main_1].name",
    )


def test_extended_resources_need_a_limit_equal_to_the_request():
    """ValidateResourceRequirements: requests of resources that cannot be overcommitted equal their limits."""

    def problems(resources):
        template = {
            "kind": "PodTemplate",
            "metadata": {"name": "t"},
            "template": {"spec": {"containers": [{"name": "default", "resources": resources}]}},
        }
        try:
            engine.load_scenario({"podTemplates": [template]})
        except engine.InputError as error:
            return [(p.code, p.message) for p in error.problems]
        return []

    assert problems({"requests": {"nvidia.com/gpu": 1}, "limits": {"nvidia.com/gpu": 1}}) == []
    assert problems({"requests": {"cpu": "1", "example.com/fpga": "1"}, "limits": {"example.com/fpga": "2"}}) == [
        ("request_over_limit", "request 1: must be equal to example.com/fpga limit of 2")
    ]
    assert problems({"requests": {"nvidia.com/gpu": "1"}}) == [
        ("request_over_limit", "request 1 of nvidia.com/gpu: Limit must be set for non overcommitable resources")
    ]
    assert problems({"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}) == [
        ("request_over_limit", "request 2Gi: must be less than or equal to memory limit of 1Gi")
    ]


# --------------------------------------------------------------------------------------------- the commands


def test_render_prints_the_pod_then_every_violation(capsys):
    code, out, err = run(capsys, "render", CORPUS / "pod-spec-duplicate-container-names.yaml")
    assert code == 3
    names = [c["name"] for c in yaml.safe_load(out)["spec"]["containers"]]
    assert names == ["primary", "helper", "primary"]  # Flyte builds it so
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("podeval: error[duplicate_name]: ")


def test_explain_and_trace_report_the_violations_too(capsys):
    code, out, err = run(
        capsys, "explain", CORPUS / "pod-spec-invalid-container-name.yaml", "spec.containers[name=Primary_1].name"
    )
    assert code == 3
    assert "owner: compile-time" in out
    assert "error[invalid_name]" in err
    code, out, err = run(capsys, "trace", CORPUS / "pod-spec-invalid-container-name.yaml")
    assert code == 3 and "events:" in out and "error[invalid_name]" in err


def test_render_folder_writes_refused_pods_and_counts_them_as_exit_3(tmp_path, capsys):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "bad.yaml").write_text((CORPUS / "pod-spec-node-selector-value.yaml").read_text())
    write(folder, "good.yaml", "task: {container: {image: img:1}}\n")
    out = tmp_path / "pods"
    code, _, err = run(capsys, "render", folder, "--out", out, "--jobs", "1")
    assert code == 3
    assert yaml.safe_load((out / "bad.pod.yaml").read_text())["kind"] == "Pod"
    assert (out / "good.pod.yaml").exists()
    assert "error[invalid_label]" in err and "1 exit 0, 1 exit 3" in err


def test_golden_test_expects_the_first_violation_as_the_error(tmp_path, capsys):
    scenario = tmp_path / "case.yaml"
    scenario.write_text((CORPUS / "pod-spec-invalid-volume-name.yaml").read_text())
    code, out, _ = run(capsys, "test", "--update", scenario)
    assert code == 0
    golden = yaml.safe_load((tmp_path / "case.error.yaml").read_text())
    assert (golden["code"], golden["path"]) == ("invalid_name", "spec.volumes[name=my_volume].name")
    code, out, _ = run(capsys, "test", scenario)
    assert code == 0 and "1 passed" in out


def test_a_scenario_from_several_files_locates_the_violation_in_its_file(tmp_path, capsys):
    task = write(
        tmp_path,
        "task.yaml",
        """
        container: {image: img:1}
        labels:
          team: machine learning
    """,
    )
    code, out, err = run(capsys, "render", "--task", task, "--namespace", "flytesnacks-development")
    assert code == 3 and yaml.safe_load(out)["metadata"]["labels"]["team"] == "machine learning"
    assert f"{task}:3:9: metadata.labels.team: invalid label value" in err
    assert "from task.labels.team" in err


# ------------------------------------------------------------------------------- Flyte's own refusals (item 7)


@pytest.mark.parametrize(
    "text, code",
    [
        ("", "empty_scenario"),
        ("# only a comment\n", "empty_scenario"),
        ("execution: {namespace: ns}\n", "missing_task"),
    ],
)
def test_a_scenario_without_a_task_is_unusable_input(text, code):
    with pytest.raises(engine.InputError) as info:
        engine.evaluate(text)
    assert info.value.code == code


def test_an_empty_task_file_is_named(tmp_path, capsys):
    empty = write(tmp_path, "task.yaml", "# nothing yet\n")
    code, out, err = run(capsys, "render", "--task", empty)
    assert code == 2 and out == ""
    assert err.startswith(f"podeval: error[empty_scenario]: {empty}: {empty} is empty")


def test_a_task_without_container_or_pod_spec_is_refused_by_build_raw_pod():
    with pytest.raises(engine.FlyteBuildError) as info:
        engine.evaluate({"task": {"type": "python-task", "podTemplateName": "x"}})
    # flytek8s/pod_helper.go BuildRawPod, the default case of the target switch
    assert info.value.message == "invalid TaskSpecification, unable to determine Pod configuration"
    assert info.value.code == "no_task_target" and info.value.exit_code == 3


def test_a_field_under_both_spellings_is_refused_at_any_depth():
    spec = {
        "containers": [
            {
                "name": "p",
                "image": "i",
                "env": [{"name": "A", "value": "1", "valueFrom": {"fieldRef": {"fieldPath": "x", "field_path": "y"}}}],
            }
        ]
    }
    with pytest.raises(engine.InputError) as info:
        engine.load_scenario({"task": {"k8sPod": {"podSpec": spec}, "config": {"primary_container_name": "p"}}})
    assert [(p.code, p.path) for p in info.value.problems] == [
        ("duplicate_key", "task.k8sPod.podSpec.containers[name=p].env[name=A].valueFrom.fieldRef.fieldPath")
    ]
    assert "as 'fieldPath' and as 'field_path'" in info.value.message


# ---------------------------------------------------------------------------- --pod-templates manifests (item 3)

HELM_OUTPUT = """
---
# Source: flyte-core/templates/propeller/configmap.yaml
---
apiVersion: v1
kind: ConfigMap
metadata: {name: flyte-propeller-config, namespace: flyte}
data: {k8s.yaml: "plugins: {k8s: {}}"}
---
apiVersion: v1
kind: PodTemplate
metadata: {name: base, namespace: flyte}
template:
  spec:
    containers: [{name: default, image: img:1}]
    tolerations: [{key: pool, operator: Equal, value: batch, effect: NoSchedule}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: flytepropeller, namespace: flyte}
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: PodTemplate
    metadata: {name: gpu, namespace: flyte}
    template: {spec: {containers: [{name: default, image: img:1}]}}
  - apiVersion: v1
    kind: Service
    metadata: {name: flyteadmin}
---
"""


def test_pod_templates_from_a_helm_manifest(tmp_path, capsys):
    manifest = write(tmp_path, "chart.yaml", HELM_OUTPUT)
    scenario = write(
        tmp_path,
        "s.yaml",
        """
        task: {container: {image: img:1}}
        execution: {namespace: flytesnacks-development}
        propeller: {config: {default-pod-template-name: base}}
    """,
    )
    code, out, err = run(capsys, "render", scenario, "--pod-templates", manifest)
    assert code == 0 and err == ""
    assert yaml.safe_load(out)["spec"]["tolerations"] == [
        {"effect": "NoSchedule", "key": "pool", "operator": "Equal", "value": "batch"}
    ]
    code, out, err = run(capsys, "scenario", scenario, "--pod-templates", manifest, "-v")
    assert code == 0
    assert [t["metadata"]["name"] for t in yaml.safe_load(out)["podTemplates"]] == ["base", "gpu"]
    assert err == (
        f"podeval: --pod-templates {manifest}: took 2 PodTemplates; ignored 3 objects of other kinds "
        "(ConfigMap 1, Deployment 1, Service 1); skipped 2 empty documents\n"
    )


def test_diff_reads_pod_template_manifests(tmp_path, capsys):
    old = write(tmp_path, "old.yaml", HELM_OUTPUT)
    new = write(tmp_path, "new.yaml", HELM_OUTPUT.replace("value: batch", "value: online"))
    scenario = write(
        tmp_path,
        "s.yaml",
        """
        task: {container: {image: img:1}}
        execution: {namespace: flytesnacks-development}
        propeller: {config: {default-pod-template-name: base}}
    """,
    )
    code, out, _ = run(capsys, "diff", scenario, "--pod-templates", old, "--pod-templates", new, "--exit-code")
    assert code == 1
    assert "spec.tolerations[0].value" in out
