"""Golden Pods with podeval's pytest plugin (docs/golden-pods.md): each test renders the Pod Flyte would build and
compares it with the snapshot stored beside this file (__snapshots__/test_golden_pods/*.pod.yaml).

    pytest                      # compare
    pytest --snapshot-update    # write or rewrite the snapshots, then review them like code
"""

import pytest

import engine


def test_one_scenario_file(podeval, pod_snapshot):
    # a scenario: the task, the execution, FlytePropeller's config and the cluster's PodTemplates in one file
    assert podeval.render("scenario.yaml") == pod_snapshot


def test_the_files_you_already_have(podeval, pod_snapshot):
    # the same separate inputs as `podeval render --task ... --pod-templates ... --propeller-config ... -n ...`
    result = podeval.render(
        task="task.yaml",
        pod_templates="pod-templates.yaml",
        propeller_config="propeller-config.yaml",
        namespace="etl-production",
    )
    assert result == pod_snapshot


def test_a_registered_task(podeval, pod_snapshot):
    # a TaskTemplate as registered (`flytectl get task -o yaml`), under the cluster's PodTemplates and config
    result = podeval.render(
        task_template="task-template.yaml",
        pod_templates="pod-templates.yaml",
        propeller_config="propeller-config.yaml",
        namespace="etl-production",
    )
    assert result == pod_snapshot


def test_a_flytekit_task(podeval, pod_snapshot):
    pytest.importorskip("flytekit")  # the podeval[flytekit] extra
    from flytekit_tasks import build_report

    result = podeval.render(flytekit=build_report, propeller_config="propeller-config.yaml", namespace="reports")
    assert result == pod_snapshot


def test_one_field_and_who_set_it(podeval):
    # no snapshot: a plain assertion on one field, and on its owner in the trace
    result = podeval.render("scenario.yaml")
    primary = result.pod["spec"]["containers"][0]
    assert primary["terminationMessagePolicy"] == "FallbackToLogsOnError"
    assert result.trace.explain("spec.securityContext.runAsUser")["owner"] == "runtime-template"


def test_a_task_flyte_refuses(podeval):
    # a scenario as a dict; a PodTemplate that does not exist: FlytePropeller refuses the task (exit 3 on the CLI)
    scenario = {
        "task": {"container": {"image": "ghcr.io/acme/etl:1.4"}, "podTemplateName": "no-such-template"},
        "execution": {"namespace": "etl-production"},
    }
    with pytest.raises(engine.PodevalError) as refused:
        podeval.render(scenario)
    assert refused.value.code == "pod_template_not_found"
