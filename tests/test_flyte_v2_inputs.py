"""Flyte 2's inputs given as the files a platform has: the backend's config files (``--propeller-config``) carry the
executor's own section, ``executor``, as a scenario's ``propeller.config`` does.

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

from pathlib import Path

import yaml

from engine.cli import main

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
