"""Registered tasks as input: a flyteidl TaskTemplate given as `--task-template FILE` or `task.template`.

The static fixtures of tests/task_templates/ were written once by flytekit (README there); the tests on them need
only the flyteidl package. Expected values come from FlytePropeller's code at 89cf9cc, cited beside each.
test_task_template_flytekit.py renders every flytekit test task both ways (registered and --flytekit).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from engine.cli import main
from engine.errors import InputError

FIXTURES = Path(__file__).resolve().parent / "task_templates"
EXECUTION = {
    "namespace": "flytesnacks-development",
    "podName": "a1b2c3-n0-0",
    "id": {"project": "flytesnacks", "domain": "development", "name": "a1b2c3"},
    "nodeId": "n0",
}


# the runtime PodTemplate interruptible_with_metadata names (metadata.podTemplateName)
GPU_TEMPLATE = {
    "apiVersion": "v1",
    "kind": "PodTemplate",
    "metadata": {"name": "gpu-template", "namespace": "flytesnacks-development"},
    "template": {"spec": {"containers": [{"name": "default", "image": "x"}]}},
}

# the one pod_template_and_name names
BASE_TEMPLATE = {
    "apiVersion": "v1",
    "kind": "PodTemplate",
    "metadata": {"name": "base-template", "namespace": "flytesnacks-development"},
    "template": {
        "spec": {"containers": [{"name": "default", "image": "x", "env": [{"name": "FROM_RUNTIME", "value": "1"}]}]}
    },
}


def render(capsys, *args: str) -> tuple[int, dict | None, str]:
    code = main(["render", *args])
    out, err = capsys.readouterr()
    return code, (yaml.safe_load(out) if out else None), err


def scenario_file(tmp_path: Path, **parts) -> str:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump({"execution": EXECUTION, **parts}))
    return str(path)


def env_of(container: dict) -> dict:
    return {item["name"]: item.get("value") for item in container.get("env") or []}


def test_without_flyteidl__flyteidl_missing(monkeypatch, capsys):
    for name in ("flyteidl", "flyteidl.core", "flyteidl.admin", "flyteidl2", "flyteidl2.core", "flyteidl2.task"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails, installed or not (flyteidl2: flyte-sdk's)

    code, pod, err = render(capsys, "--task-template", str(FIXTURES / "resources_only.json"), "--namespace", "ns")

    assert (code, pod) == (2, None)
    assert err.startswith("podeval: error[flyteidl_missing]: ")
    assert "pip install 'podeval[flyteidl]'" in err


pytest.importorskip("flyteidl", reason="flyteidl is not installed: pip install 'podeval[flyteidl]'")


def test_flytectl_get_task_json__admin_task_with_its_id(tmp_path, capsys):
    code, pod, err = render(
        capsys, scenario_file(tmp_path), "--task-template", str(FIXTURES / "flytectl-get-task.json")
    )

    assert code == 0, err
    (container,) = pod["spec"]["containers"]
    env = env_of(container)
    # GetExecutionEnvVars (flytek8s/k8s_resource_adds.go): the task execution's TaskId is the registered id
    assert [env[f"FLYTE_INTERNAL_TASK_{part}"] for part in ("PROJECT", "DOMAIN", "NAME", "VERSION")] == [
        "flytesnacks",
        "development",
        "flytekit_tasks.registered.t4_with_shared_memory",
        "v1",
    ]
    # ApplySharedMemory (pod_helper.go): flytekit's shared_memory=True gives no size, the volume gets a zero SizeLimit
    assert pod["spec"]["volumes"] == [
        {"name": "flyte-shared-memory", "emptyDir": {"medium": "Memory", "sizeLimit": "0"}}
    ]
    assert container["volumeMounts"] == [{"name": "flyte-shared-memory", "mountPath": "/dev/shm"}]
    # ApplyGPUNodeSelectors (pod_helper.go): the device toleration on the default gpu-device-node-label
    assert {
        "key": "k8s.amazonaws.com/accelerator",
        "operator": "Equal",
        "value": "nvidia-tesla-t4",
        "effect": "NoSchedule",
    } in pod["spec"]["tolerations"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"


def test_flytectl_get_task_yaml__pod_template_name_and_pod_spec(tmp_path, capsys):
    scenario = scenario_file(tmp_path, podTemplates=[BASE_TEMPLATE])

    code, pod, err = render(capsys, scenario, "--task-template", str(FIXTURES / "flytectl-get-task.yaml"))

    assert code == 0, err
    (container,) = pod["spec"]["containers"]
    # BuildRawPod (pod_helper.go): the K8sPod's spec, primary named by config.primary_container_name
    assert (container["name"], container["image"]) == ("main", "ghcr.io/org/main:2")
    assert pod["spec"]["nodeSelector"] == {"a": "b"}
    assert pod["metadata"]["annotations"]["primary_container_name"] == "main"
    # metadata.podTemplateName names the runtime PodTemplate; its `default` container is merged into every
    # container (MergeBasePodSpecOntoTemplate)
    assert env_of(container)["FROM_RUNTIME"] == "1"


def test_json_mapping__container_resources_and_env(tmp_path, capsys):
    code, pod, err = render(capsys, scenario_file(tmp_path), "--task-template", str(FIXTURES / "resources_only.json"))

    assert code == 0, err
    (container,) = pod["spec"]["containers"]
    # BuildRawContainer (container_helper.go): the container is named after the pod; ToK8sResourceRequirements maps
    # CPU, MEMORY, EPHEMERAL_STORAGE to their names and GPU to the gpu-resource-name (default nvidia.com/gpu)
    assert container["name"] == "a1b2c3-n0-0"
    # ApplyResourceOverrides -> adjustResourceRequirement (AdjustOrDefaultResource): an ephemeral-storage limit
    # without a request gives the request the limit
    assert container["resources"]["requests"] == {
        "cpu": "1",
        "memory": "2Gi",
        "nvidia.com/gpu": "1",
        "ephemeral-storage": "10Gi",
    }
    assert container["resources"]["limits"] == {
        "cpu": "2",
        "memory": "4Gi",
        "nvidia.com/gpu": "1",
        "ephemeral-storage": "10Gi",
    }
    assert env_of(container)["MODE"] == "train"
    # pyflyte left the id without project, domain and version (flytectl register fills them): no task id is used
    assert "FLYTE_INTERNAL_TASK_NAME" not in env_of(container)


def test_yaml_mapping__partitioned_accelerator_and_shared_memory_size(tmp_path, capsys):
    code, pod, err = render(capsys, scenario_file(tmp_path), "--task-template", str(FIXTURES / "a100_partition.yaml"))

    assert code == 0, err
    spec = pod["spec"]
    # ApplyGPUNodeSelectors: device and partition size, each a required node selector term and a toleration
    assert spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"] == [
        {
            "matchExpressions": [
                {"key": "k8s.amazonaws.com/accelerator", "operator": "In", "values": ["nvidia-tesla-a100"]},
                {"key": "k8s.amazonaws.com/gpu-partition-size", "operator": "In", "values": ["1g.5gb"]},
            ]
        }
    ]
    assert spec["tolerations"] == [
        {"key": "gpu", "operator": "Exists"},
        {
            "key": "k8s.amazonaws.com/accelerator",
            "operator": "Equal",
            "value": "nvidia-tesla-a100",
            "effect": "NoSchedule",
        },
        {"key": "k8s.amazonaws.com/gpu-partition-size", "operator": "Equal", "value": "1g.5gb", "effect": "NoSchedule"},
    ]
    assert spec["volumes"] == [{"name": "flyte-shared-memory", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}}]


def test_binary_task_spec__interruptible_labels_annotations(tmp_path, capsys):
    config = {"interruptible-tolerations": [{"key": "spot", "operator": "Exists"}]}
    scenario = scenario_file(tmp_path, propeller={"config": config}, podTemplates=[GPU_TEMPLATE])

    code, pod, err = render(capsys, scenario, "--task-template", str(FIXTURES / "interruptible_with_metadata_1.pb"))

    assert code == 0, err
    # task metadata labels and annotations (TaskMetadata.metadata), the interruptible system label, and the
    # interruptible tolerations (ApplyFlytePodConfiguration -> UpdatePod: IsInterruptible)
    assert pod["metadata"]["labels"]["team"] == "ml"
    assert pod["metadata"]["labels"]["interruptible"] == "true"
    assert pod["metadata"]["annotations"]["example.com/owner"] == "ml-platform"
    assert {"key": "spot", "operator": "Exists"} in pod["spec"]["tolerations"]


def test_bare_task_template_pb(tmp_path, capsys):
    from flyteidl.admin import task_pb2

    spec = task_pb2.TaskSpec()
    spec.ParseFromString((FIXTURES / "interruptible_with_metadata_1.pb").read_bytes())
    bare = tmp_path / "template.pb"
    bare.write_bytes(spec.template.SerializeToString())

    scenario = scenario_file(tmp_path, podTemplates=[GPU_TEMPLATE])
    from_spec = render(capsys, scenario, "--task-template", str(FIXTURES / "interruptible_with_metadata_1.pb"))
    from_bare = render(capsys, scenario, "--task-template", str(bare))

    assert from_spec[0] == 0 and from_spec == from_bare


def test_package_tgz__task_name_picks_the_task(capsys):
    code, pod, err = render(
        capsys,
        "--task-template",
        str(FIXTURES / "flyte-package.tgz"),
        "--task-name",
        "plain_container_task",
        "--namespace",
        "ns",
    )

    assert code == 0, err
    (container,) = pod["spec"]["containers"]
    assert container["image"] == "ghcr.io/org/tool:3"
    assert container["command"] == ["tool", "run", "--x", "{{.inputs.x}}"]
    assert container["resources"]["requests"]["cpu"] == "500m"
    assert container["resources"]["limits"]["memory"] == "2Gi"


@pytest.mark.parametrize(
    ("task_name", "code", "shown"),
    [
        (None, "task_name_required", "flytekit_tasks.registered.a100_partition, "),
        (
            "flytekit_tasks.registered.a100_partitio",
            "task_name_not_found",
            "did you mean 'flytekit_tasks.registered.a100_partition'?",
        ),
    ],
)
def test_package_tgz__task_name_missing_or_wrong_lists_the_names(capsys, task_name, code, shown):
    args = ["--task-template", str(FIXTURES / "flyte-package.tgz"), "--namespace", "ns"]
    exit_code, pod, err = render(capsys, *args, *(["--task-name", task_name] if task_name else []))

    assert (exit_code, pod) == (2, None)
    assert err.startswith(f"podeval: error[{code}]: ")
    assert shown in err and "plain_container_task" in err


def test_scenario_task_template_is_the_cli_input(tmp_path, capsys):
    task = yaml.safe_load((FIXTURES / "flytectl-get-task.yaml").read_text())
    inline = scenario_file(
        tmp_path, task={"template": task["closure"]["compiledTask"]["template"]}, podTemplates=[BASE_TEMPLATE]
    )
    execution = tmp_path / "execution.yaml"
    execution.write_text(yaml.safe_dump({"execution": EXECUTION, "podTemplates": [BASE_TEMPLATE]}))

    from_scenario = render(capsys, inline)
    from_cli = render(capsys, str(execution), "--task-template", str(FIXTURES / "flytectl-get-task.yaml"))

    assert from_scenario[0] == 0 and from_scenario == from_cli


def test_task_id_beside_the_template_overrides_an_incomplete_id(tmp_path, capsys):
    template = yaml.safe_load((FIXTURES / "a100_partition.yaml").read_text())
    task_id = {"project": "flytesnacks", "domain": "development", "name": "train", "version": "v7"}

    code, pod, err = render(capsys, scenario_file(tmp_path, task={"template": template, "id": task_id}))

    assert code == 0, err
    assert env_of(pod["spec"]["containers"][0])["FLYTE_INTERNAL_TASK_VERSION"] == "v7"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("text", "code", "where", "shown"),
    [
        # an unknown field, at its key, with the nearest field
        (
            "task:\n  template:\n    type: python-task\n    contaner: {image: img}\n",
            "unknown_key",
            "contaner",
            "task.template.contaner: flyteidl.core.TaskTemplate has no field 'contaner' (hint: did you mean 'container'?)",
        ),
        # an enum name protobuf does not know, inside a repeated message
        (
            (
                "task:\n  template:\n    type: python-task\n    container:\n      image: img\n      resources:\n"
                "        requests: [{name: CPUU, value: '1'}]\n"
            ),
            "task_template_invalid",
            "CPUU",
            "task.template.container.resources.requests[0].name: Invalid enum value CPUU",
        ),
        # a number where protobuf wants a string
        (
            "task:\n  template:\n    type: python-task\n    container: {image: img, env: [{key: A, value: 1}]}\n",
            "task_template_invalid",
            "1}",
            "task.template.container.env[0].value: expected string",
        ),
        # a Kubernetes problem in the pod spec, located through snake_case proto field names
        (
            (
                "task:\n  template:\n    type: python-task\n    config: {primary_container_name: p}\n    k8s_pod:\n"
                "      pod_spec:\n        containers: [{name: p, image: i, resources: {limits: {cpu: 1 core}}}]\n"
            ),
            "pod_spec_decode",
            "1 core",
            "task.template.k8s_pod.pod_spec.containers[name=p].resources.limits.cpu",
        ),
        # a legacy sidecar task (plugins/k8s/pod/plugin.go: task_type_version 0 and 1 read the pod spec from custom)
        (
            "task:\n  template:\n    type: sidecar\n    task_type_version: 1\n    custom: {containers: []}\n",
            "task_template_unsupported",
            "1\n",
            "task.template.task_type_version: a sidecar task of task_type_version 1",
        ),
        # the template together with an authoring key
        (
            "task:\n  podTemplate: {podSpec: {containers: []}}\n  template: {type: python-task, container: {image: i}}\n",
            "exclusive_keys",
            "podTemplate",
            "task.template and task.podTemplate both give the task",
        ),
    ],
)
def test_template_errors_point_into_the_template(tmp_path, capsys, text, code, where, shown):
    """`where`: the text at the reported line:col."""
    exit_code, pod, err = render(capsys, write(tmp_path, text))
    before = text[: text.index(where)].split("\n")
    where = f"{len(before)}:{len(before[-1]) + 1}"

    assert (exit_code, pod) == (3 if code == "pod_spec_decode" else 2, None)
    assert err.startswith(f"podeval: error[{code}]: {tmp_path / 'scenario.yaml'}:{where}: "), err
    assert shown in err


def test_whole_numbers_as_floats_and_omitted_zero_values_read_as_flyteidl_reads_them(tmp_path, capsys):
    text = (
        "task:\n  template:\n    type: python-task\n    taskTypeVersion: 2.0\n    metadata: {retries: {}}\n"
        "    config: {primary_container_name: p}\n    k8sPod:\n      podSpec:\n"
        "        terminationGracePeriodSeconds: 30.0\n        containers: [{name: p, image: i}]\n"
    )

    code, pod, err = render(capsys, write(tmp_path, text), "--namespace", "ns")

    assert code == 0, err
    assert pod["spec"]["terminationGracePeriodSeconds"] == 30


def test_a_workflow_pb_is_not_a_task(tmp_path, capsys):
    workflow = tmp_path / "01_my_wf_2.pb"
    workflow.write_bytes(b"\n\x00")

    code, pod, err = render(capsys, "--task-template", str(workflow), "--namespace", "ns")

    assert (code, pod) == (2, None)
    assert err.startswith("podeval: error[task_template_invalid]: ") and "is a workflow, not a task" in err


@pytest.mark.parametrize("args", [["--task-name", "x"], ["--task", "t.yaml", "--task-template", "t.json"]])
def test_cli_usage(capsys, args):
    code, pod, err = render(capsys, *args)

    assert (code, pod) == (2, None)
    assert err.startswith("podeval: error[usage]: ")


def test_read_template_file_error_is_an_input_error():
    from engine.inputs.task_template_files import read_template_file

    with pytest.raises(InputError) as caught:
        read_template_file(str(FIXTURES / "missing.json"))
    assert caught.value.code == "unreadable"


def test_flytectl_list_of_tasks__task_name_picks_one(tmp_path, capsys):
    """`flytectl get task -o yaml` of several tasks prints a list; --task-name picks one, its errors point into it."""
    tasks = [
        yaml.safe_load((FIXTURES / name).read_text()) for name in ("flytectl-get-task.yaml", "flytectl-get-task.json")
    ]
    listing = tmp_path / "tasks.yaml"
    listing.write_text(yaml.safe_dump(tasks, sort_keys=False))
    name = "flytekit_tasks.registered.t4_with_shared_memory"
    scenario = scenario_file(tmp_path, podTemplates=[BASE_TEMPLATE])

    picked = render(capsys, scenario, "--task-template", str(listing), "--task-name", name)
    alone = render(capsys, scenario, "--task-template", str(FIXTURES / "flytectl-get-task.json"))
    missing = render(capsys, scenario, "--task-template", str(listing))

    assert picked[0] == 0 and picked == alone
    assert missing[0] == 2 and missing[2].startswith("podeval: error[task_name_required]: ")
    assert f"the file holds 2 tasks: flytekit_tasks.registered.pod_template_and_name, {name}" in missing[2]


def test_errors_in_a_list_point_into_the_picked_task(tmp_path, capsys):
    task = yaml.safe_load((FIXTURES / "flytectl-get-task.json").read_text())
    task["closure"]["compiledTask"]["template"]["container"]["image"] = 7
    listing = tmp_path / "tasks.yaml"
    listing.write_text(yaml.safe_dump([task], sort_keys=False))
    line = next(number for number, text in enumerate(listing.read_text().splitlines(), 1) if "image: 7" in text)

    code, pod, err = render(capsys, "--task-template", str(listing), "--namespace", "ns")

    assert (code, pod) == (2, None)
    assert err.startswith(f"podeval: error[task_template_invalid]: {listing}:{line}:"), err
    assert "task.template.container.image: expected string" in err


def test_podeval_scenario_prints_the_task_view(capsys):
    code = main(["scenario", "--task-template", str(FIXTURES / "resources_only.json"), "--namespace", "ns"])
    out, err = capsys.readouterr()

    assert code == 0, err
    task = yaml.safe_load(out)["task"]
    assert task["type"] == "python-task" and "id" not in task
    assert task["container"]["resources"]["limits"]["ephemeral-storage"] == "10Gi"
    assert task["container"]["env"] == [{"name": "MODE", "value": "train"}]


def test_task_template_from_stdin(tmp_path, capsys, monkeypatch):
    """`flytectl get task NAME --version V -o yaml | podeval render --task-template - ...`"""
    import io

    scenario = scenario_file(tmp_path, podTemplates=[BASE_TEMPLATE])
    from_file = render(capsys, scenario, "--task-template", str(FIXTURES / "flytectl-get-task.yaml"))
    stdin = io.TextIOWrapper(io.BytesIO((FIXTURES / "flytectl-get-task.yaml").read_bytes()))
    monkeypatch.setattr(sys, "stdin", stdin)

    from_stdin = render(capsys, scenario, "--task-template", "-")

    assert from_file[0] == 0 and from_stdin == from_file
