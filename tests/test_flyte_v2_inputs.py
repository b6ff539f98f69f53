"""Flyte 2's inputs given as the files a platform has: the backend's config files (``--propeller-config``) carry the
executor's own section, ``executor``, as a scenario's ``propeller.config`` does; a Flyte 2 task spec given with
``--task-template`` renders with flyte-v2 unless ``--rules`` says otherwise (the IDLs' facts are cited below).

Expected values come from Flyte 2's Go code at 6fadb90 (file:line in each test), never from podeval's output:

- executor/pkg/config/config.go:9, :36, :87: the executor registers the flytestdlib section ``executor`` with the
  field ``DefaultK8sServiceAccount`` (json ``defaultK8sServiceAccount``);
- executor/pkg/plugin/task_exec_metadata.go:81-86, :178: the task's run-as service account, else that default;
- flyteplugins/go/tasks/pluginmachinery/flytek8s/pod_helper.go:461-462 (UpdatePod): serviceAccountName is the
  metadata's account when the pod spec sets none;
- flytestdlib/config/viper/collection.go:116-160 (MergeAllConfigs: the files merged in order, viper's MergeConfig),
  flytestdlib/config/viper/viper.go:419-424 (the settings' key ``executor``, lowercased by viper, picks the section)
  and :480-490 (mapstructure with json tags: a field name matched without regard to case).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.cli import main
from engine.inputs.cli_inputs import default_rules, scenario_from_parts

REPO = Path(__file__).resolve().parent.parent

TASK = {"type": "python-task", "container": {"image": "ghcr.io/acme/app:1", "args": ["pyflyte-execute"]}}


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def position(path: Path, text: str) -> str:
    """``file:line:column`` of the first ``text`` in the file (where explain must point)."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if text in line:
            return f"{path}:{number}:{line.index(text) + 1}"
    raise AssertionError(f"{text!r} not in {path}")


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def task_file(tmp_path: Path, **scenario) -> Path:
    return write(tmp_path / "task.yaml", yaml.safe_dump({"task": TASK, **scenario}))


def test_executor_section_of_a_config_file_sets_the_service_account(tmp_path, capsys):
    """executor.defaultK8sServiceAccount (config.go:87) is the pod's serviceAccountName when the task has no run-as
    account (task_exec_metadata.go:81-86, pod_helper.go:461-462); explain names the config file and line."""
    config = write(
        tmp_path / "config.yaml",
        "plugins:\n  k8s:\n    default-cpus: 500m\nexecutor:\n  defaultK8sServiceAccount: flyte-task-runner\n",
    )
    task = task_file(tmp_path)
    code, out, err = run(capsys, "render", "--rules", "flyte-v2", "--task", task, "--propeller-config", config)
    assert code == 0, err
    assert yaml.safe_load(out)["spec"]["serviceAccountName"] == "flyte-task-runner"

    code, out, err = run(
        capsys,
        "explain",
        "--rules",
        "flyte-v2",
        "--task",
        task,
        "--propeller-config",
        config,
        "spec.serviceAccountName",
    )
    assert code == 0, err
    assert f"from {position(config, 'flyte-task-runner')}" in out
    assert "executor-config (rule service-account)" in out


def test_the_task_run_as_account_wins_over_the_executor_default(tmp_path, capsys):
    """resolveServiceAccount (task_exec_metadata.go:81-86): the run-as account (execution.serviceAccount) first."""
    config = write(tmp_path / "config.yaml", "executor:\n  defaultK8sServiceAccount: flyte-task-runner\n")
    task = task_file(tmp_path, execution={"serviceAccount": "team-runner"})
    code, out, err = run(capsys, "render", "--rules", "flyte-v2", "--task", task, "--propeller-config", config)
    assert code == 0, err
    assert yaml.safe_load(out)["spec"]["serviceAccountName"] == "team-runner"


def test_several_config_files_merge_and_the_key_case_does_not_matter(tmp_path, capsys):
    """The files merge in order (collection.go:116-160): the later file's value wins; viper lowercases ``Executor``
    and its keys, and mapstructure matches ``DefaultK8sServiceAccount`` to the field (viper.go:419-424, :480-490).
    A file holding only the executor section is one of the config folder's files."""
    first = write(tmp_path / "a.yaml", "plugins:\n  k8s: {}\nexecutor:\n  defaultK8sServiceAccount: first\n")
    second = write(tmp_path / "b.yaml", "# Flyte 2's executor\nExecutor:\n  DefaultK8sServiceAccount: second\n")
    task = task_file(tmp_path)
    argv = ["--rules", "flyte-v2", "--task", task, "--propeller-config", first, "--propeller-config", second]
    code, out, err = run(capsys, "explain", *argv, "spec.serviceAccountName")
    assert code == 0, err
    assert 'value: "second"' in out
    assert f"from {position(second, 'second')}" in out


def test_executor_section_of_a_configmap_names_the_key_and_line(tmp_path, capsys):
    """A ConfigMap's files are the config folder's files (``--config /etc/flyte/config/*``): the executor section in
    its own key is read like the others, and explain names the ConfigMap, the key and the line."""
    configmap = write(
        tmp_path / "configmap.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flyte-backend-config, namespace: flyte}\ndata:\n"
        "  executor.yaml: |\n    executor:\n      defaultK8sServiceAccount: from-configmap\n"
        "  k8s.yaml: |\n    plugins:\n      k8s:\n        default-cpus: 500m\n",
    )
    task = task_file(tmp_path)
    code, out, err = run(
        capsys,
        "explain",
        "--rules",
        "flyte-v2",
        "--task",
        task,
        "--propeller-config",
        configmap,
        "spec.serviceAccountName",
    )
    assert code == 0, err
    assert 'value: "from-configmap"' in out
    assert (
        f"from {position(configmap, 'from-configmap')} (ConfigMap flyte/flyte-backend-config, data[executor.yaml])"
        in out
    )


def test_an_unknown_executor_key_is_reported_at_its_line(tmp_path, capsys):
    """The scenario form refuses an executor key the section does not have (config.go:40-105), with a hint; a
    config file's key is reported the same way, at its file and line."""
    config = write(tmp_path / "config.yaml", "executor:\n  defaultK8sServiceAcount: flyte-task-runner\n")
    code, _, err = run(
        capsys, "render", "--rules", "flyte-v2", "--task", task_file(tmp_path), "--propeller-config", config
    )
    assert code == 2
    assert f"{config}:2:3" in err and "defaultK8sServiceAcount" in err and "defaultK8sServiceAccount" in err


def test_diff_of_two_config_files_shows_the_executor_section(tmp_path, capsys):
    """`podeval diff --propeller-config A --propeller-config B`: each side's files are the whole config, executor
    section included."""
    old = write(tmp_path / "old.yaml", "executor:\n  defaultK8sServiceAccount: old-runner\n")
    new = write(tmp_path / "new.yaml", "executor:\n  defaultK8sServiceAccount: new-runner\n")
    scenario = write(tmp_path / "s.yaml", yaml.safe_dump({"task": TASK, "execution": {"podName": "p1"}}))
    code, out, err = run(
        capsys, "diff", "--rules", "flyte-v2", "--propeller-config", old, "--propeller-config", new, scenario
    )
    assert code == 0, err
    assert "spec.serviceAccountName" in out and '"old-runner"' in out and '"new-runner"' in out


def test_migrate_report_reads_the_platform_config_executor_section(tmp_path, capsys):
    """`podeval migrate-report --propeller-config FILE`: on Flyte 2 the task gains the executor's default service
    account. FlytePropeller v1 has no such option: the account is the execution's only (89cf9cc
    flytek8s/pod_helper.go:283-284, flytepropeller/pkg/controller/nodes/node_exec_context.go:101-103)."""
    config = write(tmp_path / "config.yaml", "executor:\n  defaultK8sServiceAccount: flyte-task-runner\n")
    scenario = write(tmp_path / "s.yaml", yaml.safe_dump({"task": TASK, "execution": {"podName": "p1"}}))
    code, out, err = run(capsys, "migrate-report", "--propeller-config", config, scenario)
    assert code == 0, err
    assert "spec.serviceAccountName" in out and '"flyte-task-runner"' in out


# -- the default pack follows the task spec given with --task-template ----------------------------------------------
#
# Which IDL a spec is written in is the proto's: flyteidl2's TaskSpec (flyteidl2/task/task_definition.proto:168-186 at
# 6fadb90: task_template = 1, default_inputs = 2, short_name = 3, environment = 4, documentation = 5) and TaskDetails
# (:195-204, spec = 3) against flyteidl's admin TaskSpec (89cf9cc flyteidl/protos/flyteidl/admin/task.proto:55-61:
# template = 1, description = 2 only); GPUAccelerator.device_class exists in flyteidl2 only
# (flyteidl2/core/tasks.proto:55-80 at 6fadb90). flyte-sdk 2.12.1 always sets short_name
# (flyte/_internal/runtime/task_serde.py translate_task_to_wire).

TASK_TEMPLATES = Path(__file__).resolve().parent / "task_templates"


def v2_template(*, device_class: bool) -> Any:
    from flyteidl2.core import tasks_pb2

    template = tasks_pb2.TaskTemplate(type="python")
    template.id.name = "train.fit"
    template.container.image = "ghcr.io/acme/app:1"
    template.container.args.extend(["a0"])
    if device_class:
        template.extended_resources.gpu_accelerator.device = "tpu-v5p-slice"
        template.extended_resources.gpu_accelerator.device_class = tasks_pb2.GPUAccelerator.GOOGLE_TPU
    return template


def v2_spec_file(tmp_path: Path, form: str) -> Path:
    """A Flyte 2 task spec in one of the forms --task-template reads."""
    from flyteidl2.task import task_definition_pb2
    from google.protobuf import json_format

    if form == "task-spec.pb":  # as flyte-sdk writes it: with short_name, the template has no Flyte 2 field
        message: Any = task_definition_pb2.TaskSpec(task_template=v2_template(device_class=False), short_name="fit")
    elif form == "template-device-class.pb":  # a bare template with a Flyte 2 field
        message = v2_template(device_class=True)
    elif form in ("task-spec.json", "task-spec.yaml"):  # flyteidl2's wrapper, whatever the template holds
        message = task_definition_pb2.TaskSpec(task_template=v2_template(device_class=False))
    elif form == "task-details.json":
        message = task_definition_pb2.TaskDetails(spec={"task_template": v2_template(device_class=False)})
    else:  # template-device-class.json: a bare template flyteidl refuses (deviceClass)
        message = v2_template(device_class=True)
    path = tmp_path / form
    if form.endswith(".pb"):
        path.write_bytes(message.SerializeToString())
    elif form.endswith(".yaml"):
        path.write_text(yaml.safe_dump(json_format.MessageToDict(message)))
    else:
        path.write_text(json_format.MessageToJson(message))
    return path


def pack_of(capsys, *argv) -> str:
    """The pack `podeval trace` evaluated with (its first line: ``rules NAME DIGEST``)."""
    code, out, err = run(capsys, "trace", *argv, "-n", "ns")
    assert code == 0, err
    return out.split()[1]


V2_FORMS = [
    "task-spec.json",
    "task-spec.yaml",
    "task-details.json",
    "template-device-class.json",
    "task-spec.pb",
    "template-device-class.pb",
]


@pytest.mark.parametrize("form", V2_FORMS)
def test_a_flyte_2_task_spec_renders_with_flyte_v2_by_default(tmp_path, capsys, form):
    pytest.importorskip("flyteidl2", reason="flyteidl2 (podeval[flyte-sdk]) reads Flyte 2 task specs")
    pytest.importorskip("flyteidl", reason="a bare template is told apart from flyteidl's with flyteidl")
    assert pack_of(capsys, "--task-template", v2_spec_file(tmp_path, form)) == "flyte-v2"


@pytest.mark.parametrize(
    ("name", "task_name"),
    [
        ("plain_container_task.json", None),  # a bare flyteidl TaskTemplate
        ("resources_only.json", None),
        ("flytectl-get-task.yaml", None),  # flytectl get task: flyteidl.admin.Task
        ("interruptible_with_metadata_1.pb", None),  # pyflyte serialize: flyteidl.admin.TaskSpec
        ("flyte-package.tgz", "plain_container_task"),  # pyflyte package
    ],
)
def test_a_flyteidl_task_template_stays_flyte_v1(name, task_name):
    pytest.importorskip("flyteidl", reason="flyteidl (podeval[flyteidl]) reads registered v1 tasks")
    args = argparse.Namespace(task_template=str(TASK_TEMPLATES / name), task_name=task_name, task=None, flytekit=None)
    assert default_rules(args) == "flyte-v1"


def test_explicit_rules_win_over_the_spec(tmp_path, capsys):
    pytest.importorskip("flyteidl2", reason="flyteidl2 (podeval[flyte-sdk]) reads Flyte 2 task specs")
    pytest.importorskip("flyteidl", reason="flyteidl (podeval[flyteidl]) reads registered v1 tasks")
    v2_spec = v2_spec_file(tmp_path, "task-spec.json")
    assert pack_of(capsys, "--rules", "flyte-v1", "--task-template", v2_spec) == "flyte-v1"
    v1_template = TASK_TEMPLATES / "plain_container_task.json"
    assert pack_of(capsys, "--rules", "flyte-v2", "--task-template", v1_template) == "flyte-v2"
    assert pack_of(capsys, "--task-template", v1_template) == "flyte-v1"


def test_a_flyte_2_task_spec_on_stdin_is_read_once(tmp_path):
    """`flyte get task ... -o json | podeval render --task-template -`: the spec decides the pack and is the task."""
    pytest.importorskip("flyteidl2", reason="flyteidl2 (podeval[flyte-sdk]) reads Flyte 2 task specs")
    spec = v2_spec_file(tmp_path, "task-spec.json").read_text()
    done = subprocess.run(
        [sys.executable, "-m", "engine", "render", "--task-template", "-", "-n", "ns"],
        input=spec, capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pod = yaml.safe_load(done.stdout)
    assert pod["spec"]["enableServiceLinks"] is False  # BuildRawPod at 6fadb90 (flytek8s/pod_helper.go:574-575)
    assert pod["spec"]["containers"][0]["image"] == "ghcr.io/acme/app:1"


def test_scenario_from_parts_follows_the_spec_too(tmp_path):
    """The Python API's default is the command line's (`scenario_from_parts` without ``rules``)."""
    pytest.importorskip("flyteidl2", reason="flyteidl2 (podeval[flyte-sdk]) reads Flyte 2 task specs")
    path = v2_spec_file(tmp_path, "task-details.json")
    args = argparse.Namespace(task_template=str(path), task_name=None)
    assert default_rules(args) == "flyte-v2"
    assert scenario_from_parts(task_template=str(path), namespace="ns").data["task"]["container"]["image"] == (
        "ghcr.io/acme/app:1"
    )


def test_diff_without_rules_takes_the_pack_the_spec_asks_for(tmp_path, capsys):
    """`podeval diff --propeller-config A --propeller-config B --task-template SPEC`: both sides take the pack render
    would, flyte-v2 for a Flyte 2 spec, so the executor section's change shows (flyte-v1 does not read it)."""
    pytest.importorskip("flyteidl2", reason="flyteidl2 (podeval[flyte-sdk]) reads Flyte 2 task specs")
    old = write(tmp_path / "old.yaml", "executor:\n  defaultK8sServiceAccount: old-runner\n")
    new = write(tmp_path / "new.yaml", "executor:\n  defaultK8sServiceAccount: new-runner\n")
    scenario = write(tmp_path / "s.yaml", yaml.safe_dump({"execution": {"podName": "p1"}}))
    spec = v2_spec_file(tmp_path, "task-spec.json")
    argv = ["diff", "--propeller-config", old, "--propeller-config", new, "--task-template", spec, scenario]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "spec.serviceAccountName" in out and '"new-runner"' in out
    code, out, err = run(capsys, *argv, "--rules", "flyte-v1")
    assert code == 0, err
    assert "spec.serviceAccountName" not in out


def test_a_whole_config_document_in_the_scenario_lifts_sections_in_any_case():
    """viper reads top-level keys without regard to case and mapstructure matches a section's keys to its struct's
    fields the same way: ``Executor: {DefaultK8sServiceAccount: ...}`` in a scenario's whole config document is the
    executor section (executor/pkg/config/config.go at 6fadb90), as it is when read from a config file."""
    import engine

    data = {
        "task": {"container": {"image": "app:1"}},
        "execution": {"namespace": "ns", "podName": "p-n0-0"},
        "propeller": {"config": {"plugins": {"k8s": {}}, "Executor": {"DefaultK8sServiceAccount": "my-sa"}}},
    }
    assert engine.evaluate(data, rules="flyte-v2").pod["spec"]["serviceAccountName"] == "my-sa"
