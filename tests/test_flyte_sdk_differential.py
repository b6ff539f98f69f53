"""flyte-sdk (Flyte 2) tasks as input: `--flyte-sdk module:task` serializes through flyte-sdk's own code, and the
facts below follow from that code, not from podeval's output.

Each expectation cites flyte-sdk 2.12.1 (`flyte/_internal/runtime/task_serde.py`, `flyte/_task.py`,
`flyte/_task_environment.py`, `flyte/_internal/runtime/resources_serde.py`) and is written by hand for the tasks of
tests/flyte_sdk_tasks/tasks.py. The registered forms (`--task-template` with flyteidl2's TaskSpec as JSON and as
binary) must give the same task as `--flyte-sdk`.

Needs flyte-sdk (`pip install 'podeval[flyte-sdk]'`); skipped without it.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

import engine
from engine.cli import main
from engine.errors import InputError
from engine.inputs.cli_inputs import scenario_from_parts
from engine.inputs.flyte_sdk_source import scenario_from_flyte_sdk, template_from_flyte_sdk

pytest.importorskip("flyte", reason="flyte-sdk is not installed: pip install 'podeval[flyte-sdk]'")

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))
tasks = importlib.import_module("flyte_sdk_tasks.tasks")
MODULE = "flyte_sdk_tasks.tasks"


def task_of(name: str) -> dict:
    return scenario_from_flyte_sdk(f"{MODULE}:{name}")["task"]


def containers(task: dict) -> dict:
    return {c["name"]: c for c in task["k8sPod"]["podSpec"]["containers"]}


def primary(task: dict) -> dict:
    return containers(task)[task["config"]["primary_container_name"]]


# -- which level's pod template: the lowest that sets one, never a merge -------------------------------------------


def test_environment_template_reaches_a_task_without_its_own():
    # _task_environment.py:392 `pod_template=pod_template or self.pod_template`
    task = task_of("env_level")
    assert task["k8sPod"]["metadata"]["labels"] == {"level": "env", "env-only": "yes"}
    assert task["k8sPod"]["podSpec"]["nodeSelector"] == {"pool": "env"}
    assert set(containers(task)) == {"primary", "sidecar"}


def test_task_template_replaces_the_environments_whole():
    # the task's PodTemplate object replaces the environment's: nothing of the environment's template is left
    task = task_of("task_level")
    assert task["k8sPod"]["metadata"] == {"labels": {"level": "task"}}  # no env-only label, no annotations
    assert task["k8sPod"]["podSpec"]["nodeSelector"] == {"pool": "task"}
    assert "tolerations" not in task["k8sPod"]["podSpec"]
    assert set(containers(task)) == {"main"}  # the environment's sidecar is gone
    # task_serde.py get_proto_task: config["primary_container_name"] = the template's primary_container_name
    assert task["config"] == {"primary_container_name": "main"}


def test_override_template_replaces_the_tasks():
    # _task.py override: `pod_template = pod_template or self.pod_template`; resources replaced as a whole object
    task = task_of("overridden")
    assert task["k8sPod"]["metadata"] == {"labels": {"level": "override"}}
    assert task["k8sPod"]["podSpec"]["nodeSelector"] == {"pool": "override"}
    assert primary(task)["resources"]["requests"] == {"memory": "8Gi"}  # no cpu from the environment's Resources


def test_a_string_template_is_the_pod_template_name_and_the_container_target():
    # task_serde.py: `pod_template_name=task.pod_template if isinstance(str)`; no k8s_pod, no config key
    for name, template_name in (("named_template", "gpu-workers"), ("named_override", "big-nodes")):
        task = task_of(name)
        assert task["podTemplateName"] == template_name
        assert "k8sPod" not in task and "config" not in task
        assert task["container"]["image"] == "ghcr.io/acme/app:1"


# -- the primary container: image, command, resources, env ---------------------------------------------------------


def test_template_image_wins_else_the_tasks():
    # _get_k8s_pod: `if container.image is None: container.image = primary_container.image`
    assert primary(task_of("env_level"))["image"] == "ghcr.io/acme/template:1"
    assert primary(task_of("task_level"))["image"] == "ghcr.io/acme/app:1"
    # sidecars keep their own image, untouched
    assert containers(task_of("env_level"))["sidecar"] == {"name": "sidecar", "image": "ghcr.io/acme/sidecar:1"}


def test_command_is_the_tasks_and_empty():
    # _get_urun_container: `command=[]`; _get_k8s_pod: `container.command = list(primary_container.command)`
    container = primary(task_of("env_level"))
    assert container["command"] == []
    mod, module, instance, name = container["args"][-4:]  # DefaultTaskResolver's loader args: module from root_dir
    assert (mod, instance, name) == ("mod", "instance", "env_level") and module.endswith(MODULE)


def test_task_resources_merged_over_the_templates_task_keys_win():
    # _get_k8s_pod: merged_requests = {**existing.requests, **task requests}; template-only keys kept
    resources = primary(task_of("env_level"))["resources"]
    assert resources["requests"] == {"cpu": "1", "memory": "2Gi", "smarter-devices/fuse": "1"}
    assert resources["limits"] == {"smarter-devices/fuse": "1"}


def test_without_task_resources_the_templates_stay():
    # the merge runs only `if len(limits) > 0 or len(requests) > 0`
    resources = primary(task_of("template_resources"))["resources"]
    assert resources == {
        "requests": {"cpu": "500m", "smarter-devices/fuse": "1"},
        "limits": {"smarter-devices/fuse": "1"},
    }


def test_task_env_before_template_env_duplicates_kept():
    # _get_k8s_pod: container.env = [task env] + (container.env or [])
    assert primary(task_of("env_level"))["env"] == [
        {"name": "MODE", "value": "task"},
        {"name": "MODE", "value": "template"},
        {"name": "FROM_TEMPLATE", "value": "env"},
    ]
    # no task env: the template's as it is
    assert primary(task_of("template_resources"))["env"][0] == {"name": "MODE", "value": "template"}


def test_a_template_with_labels_only_gets_the_primary_container():
    # _get_k8s_pod: no pod_spec / no containers -> _clone_with_primary (flyte/_pod.py)
    task = task_of("labels_template")
    assert task["k8sPod"]["metadata"] == {"labels": {"queue": "batch"}}
    assert [c["name"] for c in task["k8sPod"]["podSpec"]["containers"]] == ["primary"]
    assert primary(task)["image"] == "ghcr.io/acme/bare:1"


# -- accelerators: the SDK's device names and classes --------------------------------------------------------------

ACCELERATORS = {
    # task: (GPUAccelerator as the JSON mapping prints it, the gpu request); resources_serde.py ACCELERATOR_DEVICE_MAP
    # and _DeviceClassToProto; NVIDIA_GPU is the enum's zero, left out of the JSON mapping
    "a100": ({"device": "nvidia-tesla-a100"}, "1"),
    "h100_string": ({"device": "nvidia-tesla-h100"}, "2"),
    "a100_mig": ({"device": "nvidia-tesla-a100", "partitionSize": "1g.5gb"}, "1"),
    "tpu": ({"device": "tpu-v5p-slice", "partitionSize": "2x2x1", "deviceClass": "GOOGLE_TPU"}, "1"),
    "neuron": ({"device": "Inf2", "deviceClass": "AMAZON_NEURON"}, "1"),  # not in the SDK's map: as given
    "amd": ({"device": "MI300X", "deviceClass": "AMD_GPU"}, "1"),
    "gaudi": ({"device": "Gaudi1", "deviceClass": "HABANA_GAUDI"}, "1"),
}


@pytest.mark.parametrize("name", sorted(ACCELERATORS))
def test_accelerator_device_and_class(name):
    accelerator, count = ACCELERATORS[name]
    task = task_of(name)
    assert task["extendedResources"] == {"gpuAccelerator": accelerator}
    # resources_serde.py: the GPU count is the generic GPU resource, a request only
    assert task["container"]["resources"] == {"requests": {**({"cpu": "4"} if name == "a100" else {}), "gpu": count}}


def test_a_bare_gpu_count_has_no_accelerator():
    # _get_gpu_extended_resource_entry: `isinstance(resources.gpu, int)` -> None
    task = task_of("any_gpu")
    assert "extendedResources" not in task
    assert task["container"]["resources"] == {"requests": {"gpu": "1"}}


def test_extended_resources_stay_beside_a_pod_template():
    # get_proto_task: extended_resources=get_proto_extended_resources(task.resources) for every target
    task = task_of("tpu_with_template")
    assert task["extendedResources"]["gpuAccelerator"]["deviceClass"] == "GOOGLE_TPU"
    assert primary(task)["resources"]["requests"] == {"gpu": "1"}
    task = task_of("gpu_override")
    assert task["extendedResources"] == {"gpuAccelerator": {"device": "nvidia-tesla-t4"}}
    assert primary(task)["resources"]["requests"] == {"cpu": "2", "gpu": "1", "smarter-devices/fuse": "1"}


# -- the registered forms: flyteidl2 TaskSpec as JSON and binary ---------------------------------------------------


@pytest.mark.parametrize("name", ["env_level", "tpu", "tpu_with_template", "named_template"])
@pytest.mark.parametrize("form", ["json", "yaml", "binary"])
def test_registered_task_spec_reads_as_the_sdk_task(tmp_path, capsys, name, form):
    from flyteidl2.task import task_definition_pb2
    from google.protobuf import json_format

    spec = task_definition_pb2.TaskSpec(task_template=template_from_flyte_sdk(f"{MODULE}:{name}"))
    if form == "binary":
        path = tmp_path / "task.pb"
        path.write_bytes(spec.SerializeToString())
    else:
        path = tmp_path / f"task.{form}"
        path.write_text(json_format.MessageToJson(spec))  # JSON is YAML too

    via_file = scenario_from_parts(task_template=str(path), namespace="ns", rules="flyte-v1")
    via_sdk = scenario_from_parts(flyte_sdk=f"{MODULE}:{name}", namespace="ns", rules="flyte-v1")
    assert via_file.data["task"] == via_sdk.data["task"]


def test_a_flyte2_field_in_a_json_template_is_read_by_flyteidl2(tmp_path):
    template = {
        "type": "python",
        "container": {"image": "a:1", "resources": {"requests": [{"name": "GPU", "value": "1"}]}},
        "extendedResources": {"gpuAccelerator": {"device": "tpu-v5p-slice", "deviceClass": "GOOGLE_TPU"}},
    }
    scenario = scenario_from_parts({"task": {"template": template}}, namespace="ns", rules="flyte-v1")
    assert scenario.data["task"]["extendedResources"]["gpuAccelerator"]["deviceClass"] == "GOOGLE_TPU"


def test_a_field_neither_idl_knows_is_flyteidls_error():
    template = {"type": "python", "container": {"image": "a:1"}, "extendedResources": {"gpuAcelerator": {}}}
    with pytest.raises(InputError) as caught:
        scenario_from_parts({"task": {"template": template}}, namespace="ns", rules="flyte-v1")
    assert caught.value.code == "unknown_key"
    assert "did you mean 'gpuAccelerator'" in caught.value.hint


def test_a_wrong_value_in_a_flyte2_field_is_flyteidl2s_error():
    template = {"type": "python", "extendedResources": {"gpuAccelerator": {"deviceClass": "NVIDIA_TPU"}}}
    with pytest.raises(InputError) as caught:
        scenario_from_parts({"task": {"template": template}}, namespace="ns", rules="flyte-v1")
    assert caught.value.path == "task.template.extendedResources.gpuAccelerator.deviceClass"
    assert "GOOGLE_TPU" in caught.value.hint


# -- the command line ----------------------------------------------------------------------------------------------


def test_cli_renders_the_sdk_task(capsys, monkeypatch):
    monkeypatch.chdir(TESTS_DIR)
    code = main(["render", "--flyte-sdk", "flyte_sdk_tasks/tasks.py:task_level", "--rules", "flyte-v1", "-n", "ns"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "image: ghcr.io/acme/app:1" in out and "name: main" in out


def test_cli_image_is_the_environments_resolved_image(capsys, monkeypatch):
    # task_serde.lookup_image_in_cache: the image cache's entry for the task's environment
    monkeypatch.chdir(TESTS_DIR)
    task = scenario_from_flyte_sdk("flyte_sdk_tasks/tasks.py:a100", image="registry.local/gpu:built")["task"]
    assert task["container"]["image"] == "registry.local/gpu:built"


@pytest.mark.parametrize(
    ("ref", "code"),
    [
        (f"{MODULE}:not_a_task", "flyte_sdk_not_a_task"),
        (f"{MODULE}:env_levl", "flyte_sdk_task_not_found"),
        ("no_such_module_xyz:task", "flyte_sdk_import_failed"),
        ("just-a-name", "flyte_sdk_ref_invalid"),
    ],
)
def test_bad_references_are_input_errors(ref, code, capsys):
    assert main(["render", "--flyte-sdk", ref, "--rules", "flyte-v1"]) == 2
    assert f"error[{code}]" in capsys.readouterr().err


def test_flyte_v2_renders_the_sdk_task_with_flyte2s_resource_names():
    """Under flyte-v2 (when the pack is there): the TPU's generic `gpu` request becomes the class's resource with a
    limit equal to the request (container_helper.go SanitizeGPUResourceRequirements and ApplyResourceOverrides at
    6fadb90; the GOOGLE_TPU class's resource is google.com/tpu, config/config.go:121-139)."""
    try:
        rules = engine.load_rules("flyte-v2")
    except InputError:
        pytest.skip("the flyte-v2 pack is not in this tree")
    result = engine.evaluate(scenario_from_parts(flyte_sdk=f"{MODULE}:tpu", namespace="ns"), rules=rules)
    [container] = result.pod["spec"]["containers"]
    assert container["resources"]["requests"]["google.com/tpu"] == "1"
    assert container["resources"]["limits"]["google.com/tpu"] == "1"
    assert "nvidia.com/gpu" not in container["resources"]["requests"]
