"""A registered task renders as the same task given through `--flytekit module:task`: same Pod, same trace.

Every task of tests/flytekit_tasks/ (pod templates, resources, accelerators, shared memory, pod_template_name,
container tasks) is packaged by flytekit's own `pyflyte package`, and each TaskTemplate is rendered in every form
the Flyte tools write: the package .tgz with --task-name, its binary .pb (an admin TaskSpec), the TaskTemplate's
protobuf JSON (MessageToJson) in JSON and in YAML, and the admin Task shape of `flytectl get task`. Each must give
exactly the Pod and the trace of `--flytekit module:task` for the same task, with the same image.

Needs flytekit (`pip install 'podeval[flytekit]'`); skipped without it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from engine.cli import main

pytest.importorskip("flytekit", reason="flytekit is not installed: pip install 'podeval[flytekit]'")

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))  # so the tasks' module is `flytekit_tasks.*`, as in their pyflyte args

IMAGE = "docker.io/xyz:some-git-hash"
NAMESPACE = "flytesnacks-development"
# module:task for --flytekit -> the task name pyflyte registers (a ContainerTask keeps its own name)
TASKS = {
    "flytekit_tasks.tasks:sidecars_and_init": "flytekit_tasks.tasks.sidecars_and_init",
    "flytekit_tasks.tasks:pod_template_name_only": "flytekit_tasks.tasks.pod_template_name_only",
    "flytekit_tasks.tasks:resources_with_gpu": "flytekit_tasks.tasks.resources_with_gpu",
    "flytekit_tasks.tasks:template_resources_kept": "flytekit_tasks.tasks.template_resources_kept",
    "flytekit_tasks.tasks:environment": "flytekit_tasks.tasks.environment",
    "flytekit_tasks.tasks:pod_template_metadata": "flytekit_tasks.tasks.pod_template_metadata",
    "flytekit_tasks.tasks:template_image_wins": "flytekit_tasks.tasks.template_image_wins",
    "flytekit_tasks.tasks:task_labels_and_annotations": "flytekit_tasks.tasks.task_labels_and_annotations",
    "flytekit_tasks.tasks:container_task_with_pod_template": "container_task_with_pod_template",
    "flytekit_tasks.registered:resources_only": "flytekit_tasks.registered.resources_only",
    "flytekit_tasks.registered:t4_with_shared_memory": "flytekit_tasks.registered.t4_with_shared_memory",
    "flytekit_tasks.registered:a100_partition": "flytekit_tasks.registered.a100_partition",
    "flytekit_tasks.registered:interruptible_with_metadata": "flytekit_tasks.registered.interruptible_with_metadata",
    "flytekit_tasks.registered:pod_template_and_name": "flytekit_tasks.registered.pod_template_and_name",
    "flytekit_tasks.registered:plain_container_task": "plain_container_task",
}


def _runtime_template(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PodTemplate",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "template": {
            "spec": {"containers": [{"name": "default", "image": "x", "env": [{"name": "RUNTIME", "value": name}]}]}
        },
    }


# An execution with its identity, the runtime PodTemplates the tasks name, and plugin options that the task
# metadata turns on (interruptible tolerations, GPU settings).
SCENARIO = {
    "execution": {
        "namespace": NAMESPACE,
        "podName": "a1b2c3-n0-0",
        "nodeId": "n0",
        "id": {"project": "flytesnacks", "domain": "development", "name": "a1b2c3"},
    },
    "propeller": {
        "config": {
            "interruptible-tolerations": [{"key": "spot", "operator": "Exists"}],
            "gpu-device-node-label": "gpu.example.com/device",
        }
    },
    "podTemplates": [_runtime_template("gpu-template"), _runtime_template("base-template")],
}


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> dict:
    """`pyflyte package` of tests/flytekit_tasks: {task name: (the .tgz, the TaskSpec's bytes)}."""
    folder = tmp_path_factory.mktemp("package")
    output = folder / "flyte-package.tgz"
    pyflyte = Path(sys.executable).parent / "pyflyte"
    subprocess.run(
        [str(pyflyte), "--pkgs", "flytekit_tasks", "package", "--image", IMAGE, "--output", str(output)],
        cwd=TESTS_DIR,
        check=True,
        capture_output=True,
    )
    specs = {}
    with tarfile.open(output) as archive:
        for member in archive.getmembers():
            if member.name.endswith("_1.pb"):
                from flyteidl.admin import task_pb2

                data = archive.extractfile(member).read()
                spec = task_pb2.TaskSpec()
                spec.ParseFromString(data)
                specs[spec.template.id.name] = (output, data, spec, member.name)
    return specs


def _forms(folder: Path, packaged: tuple, name: str) -> dict:
    """Every form of the TaskTemplate the Flyte tools write, as --task-template arguments."""
    from flyteidl.admin import task_pb2
    from google.protobuf.json_format import MessageToDict, MessageToJson

    output, data, spec, member = packaged
    (folder / member).write_bytes(data)
    (folder / "template.json").write_text(MessageToJson(spec.template))
    (folder / "template.yaml").write_text(yaml.safe_dump(MessageToDict(spec.template)))
    task = task_pb2.Task()
    task.id.CopyFrom(spec.template.id)
    task.closure.compiled_task.template.CopyFrom(spec.template)
    (folder / "flytectl-get-task.json").write_text(MessageToJson(task))
    return {
        "tgz": [str(output), "--task-name", name],
        "pb": [str(folder / member)],
        "json": [str(folder / "template.json")],
        "yaml": [str(folder / "template.yaml")],
        "flytectl": [str(folder / "flytectl-get-task.json")],
    }


def _render(capsys, folder: Path, *args: str) -> tuple[str, dict]:
    trace = folder / "trace.json"
    code = main(["render", str(folder / "scenario.yaml"), "--trace", str(trace), *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, _without_places(json.loads(trace.read_text()))


def _without_places(trace: dict) -> dict:
    """The trace without where each value was written: each form of the task is its own file, so the places of the
    task's values differ by form while everything else must not."""
    for event in trace["events"]:
        assert "where" in event, event
        event.pop("where")
        event.pop("previousWhere", None)
        if isinstance(event.get("rejected"), dict):
            event["rejected"].pop("where", None)
    return trace


@pytest.mark.parametrize("ref", sorted(TASKS))
def test_registered_task_renders_as_the_flytekit_task(ref, package, tmp_path, capsys):
    name = TASKS[ref]
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(SCENARIO))
    forms = _forms(tmp_path, package[name], name)

    expected_pod, expected_trace = _render(capsys, tmp_path, "--flytekit", ref, "--image", IMAGE)

    for form, args in forms.items():
        pod, trace = _render(capsys, tmp_path, "--task-template", *args)
        assert pod == expected_pod, form
        assert trace == expected_trace, form
    for marker in MARKERS.get(ref, ()):  # the scenario does exercise what the task's metadata asks for
        assert marker in expected_pod, marker


MARKERS = {
    "flytekit_tasks.registered:interruptible_with_metadata": ["key: spot", "value: gpu-template", "team: ml"],
    "flytekit_tasks.registered:t4_with_shared_memory": ["gpu.example.com/device", "/dev/shm"],
    "flytekit_tasks.registered:pod_template_and_name": ["value: base-template", "name: main"],
    "flytekit_tasks.tasks:pod_template_name_only": ["value: gpu-template"],
}


def test_the_set_is_every_task_of_the_package(package):
    assert sorted(package) == sorted(TASKS.values())


def _without_runtime(value):
    """A fixture's content with flytekit's version (TaskMetadata.runtime) left out: another 1.16 may write it."""
    if isinstance(value, dict):
        return {key: _without_runtime(item) for key, item in value.items() if key != "runtime"}
    if isinstance(value, list):
        return [_without_runtime(item) for item in value]
    return value


def test_static_fixtures_are_what_flytekit_writes(tmp_path):
    """tests/task_templates/ (used without flytekit) still holds what its generator makes of today's tasks."""
    import importlib.util

    from flyteidl.admin import task_pb2
    from google.protobuf.json_format import MessageToDict

    spec = importlib.util.spec_from_file_location(
        "task_templates_generate", TESTS_DIR / "task_templates" / "generate.py"
    )
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    package_path = tmp_path / "flyte-package.tgz"
    generate.package(package_path)

    def content(name: str, data: bytes):
        if name.endswith(".pb"):
            spec = task_pb2.TaskSpec()
            spec.ParseFromString(data)
            return _without_runtime(MessageToDict(spec))
        return _without_runtime(yaml.safe_load(data))

    for name, data in generate.fixtures(package_path).items():
        assert content(name, data) == content(name, (generate.HERE / name).read_bytes()), name
    with tarfile.open(package_path) as fresh, tarfile.open(generate.HERE / "flyte-package.tgz") as kept:
        assert {m.name: content(m.name, fresh.extractfile(m).read()) for m in fresh.getmembers()} == {
            m.name: content(m.name, kept.extractfile(m).read()) for m in kept.getmembers()
        }
