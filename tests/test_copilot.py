"""Co-pilot (flytek8s/copilot.go at 89cf9cc): the Pod of a task whose data config is enabled, end to end.

The Go unit tests are ported in tests/conformance/flyte_go/CP*.yaml; these tests cover what they do not: where
co-pilot runs in FlytePropeller's pipeline (after container customization, before UpdatePod and the template
merge), the scenario's forms of the data config, the defaults, the trace, and the errors."""

from __future__ import annotations

import base64
import copy
import json
import sys
from pathlib import Path

import pytest
import yaml

import engine
from engine.cli import main
from engine.errors import FlyteBuildError, InputError
from engine.eval.copilot import command, format_duration, parse_duration

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "container-task-copilot.yaml"
INT = {"type": {"simple": "INTEGER"}}
DEFAULT_COMMAND = [
    "/bin/flyte-copilot",
    "--storage.limits.maxDownloadMBs=0",
    "--logger.level=3",
    "--storage.type=s3",
    "--storage.connection.secret-key=",
    "--storage.connection.access-key=",
    "--storage.connection.auth-type=iam",
    "--storage.connection.region=us-east-1",
    "--storage.connection.endpoint=",
]

needs_flyteidl = pytest.mark.skipif(
    __import__("importlib").util.find_spec("flyteidl") is None,
    reason="needs flyteidl (pip install 'podeval[flyteidl]')",
)


def scenario(**task_extra) -> dict:
    task = {
        "type": "raw-container",
        "container": {"image": "app:1", "dataConfig": {"enabled": True}},
        "interface": {"inputs": {"variables": {"x": INT}}, "outputs": {"variables": {"o": INT}}},
    }
    task.update(task_extra)
    return {"task": task, "execution": {"namespace": "ns", "podName": "p-n0-0"}}


def init(pod: dict, name: str) -> dict:
    return next(c for c in pod["spec"].get("initContainers", []) if c["name"] == name)


# -- Go's time.Duration (config.Duration), as the uploader's --timeout prints it ---------------------------------


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("1h", "1h0m0s"),
        ("90m", "1h30m0s"),
        ("30m", "30m0s"),
        ("45s", "45s"),
        ("1.5s", "1.5s"),
        ("500ms", "500ms"),
        ("1500us", "1.5ms"),
        ("1µs", "1µs"),
        ("0", "0s"),
        ("0s", "0s"),
        ("2h45m30.5s", "2h45m30.5s"),
        ("100ns", "100ns"),
    ],
)
def test_durations_print_as_go_prints_them(text, printed):
    # expected values: Go's time.ParseDuration(text).String()
    assert format_duration(parse_duration(text)) == printed


def test_command_line_follows_copilot_command_args():
    # CopilotCommandArgs: multicontainer, then container, then type, then stow (sorted here) or the connection
    assert command({"type": "s3", "connection": {"region": "us-east-1", "auth-type": "iam"}}, 3) == DEFAULT_COMMAND
    assert command(
        {
            "type": "minio",
            "enable-multicontainer": True,
            "container": "b",
            "stow": {"kind": "s3", "config": {"b": "2", "a": "1"}},
        },
        5,
    ) == [
        "/bin/flyte-copilot",
        "--storage.limits.maxDownloadMBs=0",
        "--logger.level=5",
        "--storage.enable-multicontainer",
        "--storage.container=b",
        "--storage.type=minio",
        "--storage.stow.config",
        "a=1",
        "--storage.stow.config",
        "b=2",
        "--storage.stow.kind=s3",
    ]
    # a stow kind without config (or config without kind) keeps the connection flags
    assert command({"type": "s3", "stow": {"kind": "s3"}}, 3)[-5].startswith("--storage.connection.secret-key=")


# -- the Pod ------------------------------------------------------------------------------------------------------


@needs_flyteidl
def test_example_pod_and_trace():
    result = engine.evaluate(str(EXAMPLE))
    spec = result.pod["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["flyte-copilot-uploader", "flyte-copilot-downloader"]
    uploader, downloader = spec["initContainers"]
    assert uploader["restartPolicy"] == "Always" and "restartPolicy" not in downloader
    assert uploader["image"] == downloader["image"] == "cr.flyte.org/flyteorg/flytecopilot:v1.16.8"
    assert uploader["args"][:3] == ["sidecar", "--timeout", "30m0s"]
    assert spec["terminationGracePeriodSeconds"] == 1800
    assert "--storage.container=my-s3-bucket" in downloader["command"]
    assert "--storage.connection.region=us-east-2" in downloader["command"]
    assert "--storage.connection.auth-type=iam" in downloader["command"]  # flytestdlib's default, kept
    assert downloader["args"][:9] == [
        "download",
        "--from-remote",
        "s3://my-s3-bucket/metadata/propeller/flytesnacks-development-f6a1b2c3d4e5f6a7b8c9/n0/data/inputs.pb",
        "--to-output-prefix",
        "s3://my-s3-bucket/metadata/propeller/flytesnacks-development-f6a1b2c3d4e5f6a7b8c9/n0/data/0",
        "--to-local-dir",
        "/var/inputs",
        "--format",
        "JSON",
    ]
    assert spec["volumes"] == [{"name": "flyte-inputs", "emptyDir": {}}, {"name": "flyte-outputs", "emptyDir": {}}]
    primary = spec["containers"][0]
    assert primary["volumeMounts"] == [
        {"name": "flyte-inputs", "mountPath": "/var/inputs"},
        {"name": "flyte-outputs", "mountPath": "/var/outputs"},
    ]
    assert primary["securityContext"] == {"capabilities": {}}
    # the trace: co-pilot is a source of its own
    assert any(s["id"] == "co-pilot" for s in result.trace.sources)
    owners = result.trace.owners
    assert owners["spec.initContainers[name=flyte-copilot-uploader].image"] == "co-pilot"
    assert owners["spec.terminationGracePeriodSeconds"] == "co-pilot"
    assert (
        owners["spec.containers[name=f6a1b2c3d4e5f6a7b8c9-n0-0].volumeMounts[mountPath=/var/outputs].mountPath"]
        == "co-pilot"
    )
    graph = engine.load_rules("flyte-v1").graph  # a source node of the DAG, feeding the co-pilot step
    assert graph.has_edge("co-pilot", "add-co-pilot") and graph.has_edge("add-co-pilot", "update-pod")


@needs_flyteidl
def test_interface_argument_decodes_to_the_task_interface():
    from flyteidl.core import interface_pb2
    from google.protobuf import json_format

    pod = engine.evaluate(str(EXAMPLE)).pod
    uploader = init(pod, "flyte-copilot-uploader")
    decoded = interface_pb2.TypedInterface.FromString(base64.b64decode(uploader["args"][-1]))
    interface = engine.load_scenario(str(EXAMPLE)).data["task"]["interface"]
    assert json_format.MessageToDict(decoded) == interface
    downloader = init(pod, "flyte-copilot-downloader")
    inputs = interface_pb2.VariableMap.FromString(base64.b64decode(downloader["args"][-1]))
    assert json_format.MessageToDict(inputs) == interface["inputs"]


@needs_flyteidl
def test_placeholders_and_defaults_when_the_execution_gives_no_locations():
    result = engine.evaluate(scenario())
    downloader = init(result.pod, "flyte-copilot-downloader")
    uploader = init(result.pod, "flyte-copilot-uploader")
    assert downloader["args"][2] == "{{.Input}}" and downloader["args"][4] == "{{.OutputPrefix}}"
    assert uploader["args"][4] == "{{.RawOutputDataPrefix}}" and uploader["args"][6] == "{{.OutputPrefix}}"
    assert downloader["command"] == DEFAULT_COMMAND  # flytestdlib's storage and logger defaults
    # FlytePropeller's co-pilot defaults (flytek8s/config/config.go)
    assert downloader["resources"] == {
        "limits": {"cpu": "500m", "memory": "128Mi"},
        "requests": {"cpu": "500m", "memory": "128Mi"},
    }
    assert downloader["volumeMounts"] == [{"name": "flyte-inputs", "mountPath": "/var/flyte/inputs"}]
    assert uploader["args"][2] == "1h0m0s" and result.pod["spec"]["terminationGracePeriodSeconds"] == 3600
    notes = " ".join(e.note or "" for e in result.trace.events if e.rule == "co-pilot-pod")
    for placeholder in ("{{.Input}}", "{{.OutputPrefix}}", "{{.RawOutputDataPrefix}}"):
        assert f"placeholder {placeholder}" in notes


@needs_flyteidl
def test_partial_co_pilot_section_keeps_the_other_defaults():
    data = scenario()
    data["propeller"] = {"config": {"co-pilot": {"image": "my/copilot:1", "name": "cp-"}}}
    pod = engine.evaluate(data).pod
    uploader = init(pod, "cp-uploader")
    assert uploader["image"] == "my/copilot:1"
    assert uploader["resources"]["limits"] == {"cpu": "500m", "memory": "128Mi"}
    assert uploader["volumeMounts"] == [{"name": "flyte-outputs", "mountPath": "/var/flyte/outputs"}]


@needs_flyteidl
def test_storage_and_logger_from_a_whole_config_document():
    data = scenario()
    data["propeller"] = {
        "config": {
            "plugins": {"k8s": {}},
            "logger": {"level": 5},
            "storage": {"type": "minio", "connection": {"endpoint": "http://minio:9000"}},
        }
    }
    command_line = init(engine.evaluate(data).pod, "flyte-copilot-downloader")["command"]
    assert "--logger.level=5" in command_line and "--storage.type=minio" in command_line
    assert "--storage.connection.endpoint=http://minio:9000" in command_line
    assert "--storage.connection.region=us-east-1" in command_line


@needs_flyteidl
def test_default_security_context_no_longer_applies_to_a_co_pilot_primary():
    data = scenario()
    data["propeller"] = {"config": {"default-security-context": {"runAsUser": 1000}}}
    assert engine.evaluate(data).pod["spec"]["containers"][0]["securityContext"] == {"capabilities": {}}
    data["task"]["container"]["dataConfig"]["enabled"] = False
    assert engine.evaluate(data).pod["spec"]["containers"][0]["securityContext"] == {"runAsUser": 1000}


@needs_flyteidl
def test_co_pilot_runs_after_customization_and_before_the_template_merge():
    data = scenario()
    data["execution"]["envVars"] = {"E": "1"}
    data["propeller"] = {"namespace": "flyte", "config": {"default-pod-template-name": "t"}}
    data["podTemplates"] = [
        {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": {"name": "t", "namespace": "flyte"},
            "template": {
                "spec": {
                    "containers": [{"name": "default", "image": "x"}],
                    "initContainers": [
                        {"name": "primary-init", "env": [{"name": "P", "value": "1"}]},
                        {"name": "default-init", "env": [{"name": "D", "value": "1"}]},
                    ],
                }
            },
        }
    ]
    pod = engine.evaluate(data).pod
    # no Flyte env vars on co-pilot's containers (added after AddFlyteCustomizationsToContainer); the template's
    # default-init reaches both, its primary-init only the downloader (AddCoPilotToPod's primaryInitContainerName)
    assert init(pod, "flyte-copilot-downloader")["env"] == [{"name": "D", "value": "1"}, {"name": "P", "value": "1"}]
    assert init(pod, "flyte-copilot-uploader")["env"] == [{"name": "D", "value": "1"}]
    assert {"name": "E", "value": "1"} in pod["spec"]["containers"][0]["env"]


@needs_flyteidl
def test_task_init_containers_sit_between_the_uploader_and_the_downloader():
    data = scenario()
    data["task"] = {
        **data["task"],
        "type": "sidecar",
        "k8sPod": {
            "podSpec": {
                "containers": [{"name": "main", "image": "app:1"}],
                "initContainers": [{"name": "setup", "image": "s"}],
            },
            "dataConfig": {"enabled": True, "outputPath": "/out"},
        },
        "config": {"primary_container_name": "main"},
    }
    del data["task"]["container"]
    pod = engine.evaluate(data).pod
    assert [c["name"] for c in pod["spec"]["initContainers"]] == [
        "flyte-copilot-uploader",
        "setup",
        "flyte-copilot-downloader",
    ]
    assert pod["spec"]["containers"][0]["volumeMounts"][1] == {"name": "flyte-outputs", "mountPath": "/out"}


@needs_flyteidl
def test_the_k8s_pod_target_reads_its_own_data_config_only():
    data = scenario()
    data["task"] = {
        **data["task"],
        "type": "sidecar",
        "config": {"primary_container_name": "main"},
        "k8sPod": {"podSpec": {"containers": [{"name": "main", "image": "app:1"}]}},
    }
    # the container's data config is not the K8sPod target's (taskTemplate.GetContainer() is nil)
    assert "initContainers" not in engine.evaluate(data).pod["spec"]


@needs_flyteidl
def test_a_container_task_with_a_pod_template_carries_its_data_config():
    data = scenario()
    data["task"]["podTemplate"] = {"primaryContainerName": "primary", "podSpec": {"containers": [{"name": "primary"}]}}
    pod = engine.evaluate(data).pod  # flytekit puts the ContainerTask's data config on the K8sPod target
    assert [c["name"] for c in pod["spec"]["initContainers"]] == ["flyte-copilot-uploader", "flyte-copilot-downloader"]
    assert pod["spec"]["containers"][0]["name"] == "primary"


def test_disabled_or_absent_data_config_adds_nothing():
    for data_config in ({"enabled": False, "inputPath": "/in"}, None):
        data = scenario()
        data["task"]["container"].pop("dataConfig")
        if data_config is not None:
            data["task"]["container"]["dataConfig"] = data_config
        pod = engine.evaluate(data).pod
        assert "initContainers" not in pod["spec"] and "volumes" not in pod["spec"]
        assert "securityContext" not in pod["spec"]["containers"][0]


def test_enabled_without_interface_warns_and_adds_no_container():
    data = scenario()
    del data["task"]["interface"]
    result = engine.evaluate(data)
    assert "initContainers" not in result.pod["spec"]
    assert result.pod["spec"]["containers"][0]["securityContext"] == {"capabilities": {}}
    assert any("no co-pilot container" in (w.note or "") for w in result.warnings)


def test_invalid_cpu_is_flytes_refusal():
    data = scenario()
    data["propeller"] = {"config": {"co-pilot": {"memory": "lots"}}}
    with pytest.raises(FlyteBuildError) as error:
        engine.evaluate(data)
    assert error.value.code == "co_pilot_invalid_quantity" and error.value.path == "propeller.config.co-pilot.memory"


def test_without_flyteidl_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "flyteidl.core", None)
    with pytest.raises(InputError) as error:
        engine.evaluate(scenario())
    assert error.value.code == "flyteidl_missing" and "podeval[flyteidl]" in error.value.hint


def test_scenario_keys_are_checked():
    data = scenario()
    data["task"]["container"]["dataConfig"]["format"] = "XML"
    with pytest.raises(InputError) as error:
        engine.load_scenario(copy.deepcopy(data))
    assert error.value.path == "task.container.dataConfig.format"
    data = scenario()
    data["task"]["interface"]["inputs"]["variables"] = ["x"]
    with pytest.raises(InputError) as error:
        engine.load_scenario(data)
    assert error.value.path == "task.interface.inputs.variables"


# What flytekit 1.16.31 registers for the ContainerTask of examples/container-task-copilot.yaml (get_serializable,
# then MessageToDict of the TaskTemplate; metadata and id left out): co-pilot's keys come from it unchanged.
REGISTERED = {
    "type": "raw-container",
    "interface": {
        "inputs": {
            "variables": {
                "a": {"type": {"simple": "FLOAT"}, "description": "a"},
                "b": {"type": {"simple": "FLOAT"}, "description": "b"},
            }
        },
        "outputs": {
            "variables": {
                "area": {"type": {"simple": "FLOAT"}, "description": "area"},
                "metadata": {"type": {"simple": "STRING"}, "description": "metadata"},
            }
        },
    },
    "container": {
        "image": "ghcr.io/flyteorg/rawcontainers-shell:v2",
        "command": ["./calculate-ellipse-area.sh", "{{.inputs.a}}", "{{.inputs.b}}", "/var/outputs"],
        "resources": {},
        "dataConfig": {"enabled": True, "inputPath": "/var/inputs", "outputPath": "/var/outputs"},
    },
}


@needs_flyteidl
def test_a_registered_container_task_gives_the_examples_co_pilot():
    from engine.inputs.task_template import task_view

    task = task_view(REGISTERED)  # the converter of registered tasks (--task-template, --flytekit)
    assert task["interface"] == REGISTERED["interface"]
    assert task["container"]["dataConfig"] == REGISTERED["container"]["dataConfig"]
    example = engine.load_scenario(str(EXAMPLE)).data
    data = copy.deepcopy(example)
    data["task"] = {
        "type": "raw-container",
        "interface": task["interface"],
        "container": {
            "image": REGISTERED["container"]["image"],
            "command": REGISTERED["container"]["command"],
            "dataConfig": task["container"]["dataConfig"],
        },
    }
    assert engine.evaluate(data).pod == engine.evaluate(example).pod
    data["task"] = {"template": REGISTERED}
    assert engine.evaluate(data).pod == engine.evaluate(example).pod
    pod_target = task_view({"k8sPod": {"podSpec": {"containers": []}, "dataConfig": {"enabled": True}}})
    assert pod_target["k8sPod"]["dataConfig"] == {"enabled": True}
    assert "dataConfig" not in task_view({"container": {"image": "x"}})["container"]


def test_an_unknown_co_pilot_field_is_ignored_with_a_warning():
    data = scenario()
    del data["task"]["interface"]
    data["propeller"] = {"config": {"co-pilot": {"imag": "x", "cpu": "1"}}}
    result = engine.evaluate(data)  # FlytePropeller decodes its config non-strictly
    warnings = [w for w in result.warnings if w.path == ("propeller", "config", "co-pilot", "imag")]
    assert len(warnings) == 1 and "did you mean 'image'?" in warnings[0].note


@needs_flyteidl
def test_storage_and_logger_files_of_propeller_configmap_reach_the_co_pilot_command(tmp_path, capsys):
    """--propeller-config with FlytePropeller's ConfigMap: its storage.yaml and logger.yaml are files of the same config
    folder (flytestdlib's storage and logger sections), so co-pilot's command line carries them, as it does when the
    scenario's propeller.config holds the whole document. viper lowercases keys (``maxDownloadMBs``); the storage
    struct's fields are matched without regard to case (mapstructure)."""
    task = tmp_path / "task.yaml"
    task.write_text(yaml.safe_dump(scenario()))
    files = {
        "k8s.yaml": "plugins:\n  k8s:\n    co-pilot:\n      image: copilot:1\n",
        "logger.yaml": "logger:\n  level: 5\n  show-source: true\n",
        "storage.yaml": "storage:\n  type: minio\n  container: my-bucket\n  connection:\n"
        "    endpoint: http://minio:9000\n  limits:\n    maxDownloadMBs: 10\n",
    }
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "flyte-propeller-config"}, "data": files}
    config = tmp_path / "configmap.yaml"
    config.write_text(yaml.safe_dump(configmap))
    assert main(["render", str(task), "-o", "json", "--propeller-config", str(config)]) == 0
    command_line = init(json.loads(capsys.readouterr().out), "flyte-copilot-downloader")["command"]
    for expected in (
        "--logger.level=5",
        "--storage.container=my-bucket",
        "--storage.type=minio",
        "--storage.connection.endpoint=http://minio:9000",
        "--storage.connection.region=us-east-1",  # flytestdlib's default: the file does not set it
    ):
        assert expected in command_line
    whole = scenario()  # the same files as one config document in the scenario
    whole["propeller"] = {"config": {}}
    for text in files.values():
        whole["propeller"]["config"].update(yaml.safe_load(text))
    assert init(engine.evaluate(whole).pod, "flyte-copilot-downloader")["command"] == command_line

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**configmap, "data": {**files, "logger.yaml": "logger:\n  level: loud\n"}}))
    assert main(["render", str(task), "--propeller-config", str(bad)]) == 2
    assert "propeller.logger.level: expected a whole number" in capsys.readouterr().err


@needs_flyteidl
def test_the_storage_section_is_decoded_weakly_as_mapstructure_does():
    """flytestdlib decodes its sections with WeaklyTypedInput (config/viper/viper.go:476 at 89cf9cc): a bool in
    ``stow.config`` (``map[string]string``, storage/config.go:90-93) becomes "1", the string "true" where a bool is
    wanted is true (flyte's sandbox manifest writes ``disable_ssl: true``)."""
    data = scenario()
    data["propeller"] = {
        "config": {
            "plugins": {"k8s": {}},
            "storage": {
                "type": "stow",
                "enable-multicontainer": "true",
                "stow": {"kind": "s3", "config": {"disable_ssl": True, "region": "us-east-1"}},
            },
        }
    }
    command_line = init(engine.evaluate(data).pod, "flyte-copilot-downloader")["command"]
    assert "--storage.enable-multicontainer" in command_line
    at = command_line.index("disable_ssl=1")
    assert command_line[at - 1] == "--storage.stow.config"
