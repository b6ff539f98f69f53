"""Write the static TaskTemplate fixtures of this folder with flytekit itself (see README.md). Run from the
repository root with flytekit installed: `.venv/bin/python tests/task_templates/generate.py`."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml
from flyteidl.admin import task_pb2
from google.protobuf.json_format import MessageToDict, MessageToJson

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
IMAGE = "docker.io/xyz:some-git-hash"
# flytectl get task prints the admin Task of a registered task: flytectl register has replaced pyflyte's
# {{ registration.* }} placeholders with these.
REGISTRATION = {"project": "flytesnacks", "domain": "development", "version": "v1"}


def package(output: Path) -> None:
    """`pyflyte package` of the registered-task module, as a user runs it."""
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pyflyte"),
            "--pkgs",
            "flytekit_tasks.registered",
            "package",
            "--image",
            IMAGE,
            "--output",
            str(output),
            "-f",
        ],
        cwd=TESTS,
        check=True,
        capture_output=True,
    )


def registered(spec: task_pb2.TaskSpec) -> task_pb2.Task:
    """The admin Task flytectl get task prints for this TaskSpec once registered."""
    task = task_pb2.Task()
    task.id.CopyFrom(spec.template.id)
    for key, value in REGISTRATION.items():
        setattr(task.id, key, value)
    task.closure.compiled_task.template.CopyFrom(spec.template)
    task.closure.compiled_task.template.id.CopyFrom(task.id)
    task.closure.created_at.FromJsonString("2026-01-01T00:00:00Z")
    return task


def fixtures(package_path: Path) -> dict:
    """{file name: its bytes} of every fixture but the package, from the package at `package_path`."""
    specs = {}
    with tarfile.open(package_path) as archive:
        for member in archive.getmembers():
            if member.name.endswith("_1.pb"):
                spec = task_pb2.TaskSpec()
                spec.ParseFromString(archive.extractfile(member).read())
                specs[spec.template.id.name.rsplit(".", 1)[-1]] = spec
    a100 = MessageToDict(specs["a100_partition"].template)
    return {
        # the TaskSpec file pyflyte wrote, as it is
        "interruptible_with_metadata_1.pb": specs["interruptible_with_metadata"].SerializeToString(),
        # MessageToJson of the TaskTemplate (lowerCamelCase), in JSON and in YAML
        "resources_only.json": (MessageToJson(specs["resources_only"].template) + "\n").encode(),
        "plain_container_task.json": (MessageToJson(specs["plain_container_task"].template) + "\n").encode(),
        "a100_partition.yaml": yaml.safe_dump(a100, sort_keys=False).encode(),
        # flytectl get task -o json / -o yaml
        "flytectl-get-task.json": (MessageToJson(registered(specs["t4_with_shared_memory"])) + "\n").encode(),
        "flytectl-get-task.yaml": yaml.safe_dump(
            json.loads(MessageToJson(registered(specs["pod_template_and_name"]))), sort_keys=False
        ).encode(),
    }


def main() -> None:
    package_path = HERE / "flyte-package.tgz"
    package(package_path)
    for name, data in fixtures(package_path).items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
