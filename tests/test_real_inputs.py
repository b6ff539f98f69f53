"""podeval on Flyte's own deployment files (tests/real_inputs/, flyteorg/flyte v1.16.8; README there).

Each test passes a whole file as a platform engineer has it (`--propeller-config MANIFEST`) and checks the fields the
file sets. Expected values come from the files and from FlytePropeller's code at 89cf9cc:
- default-cpus / default-memory are the requests of a container without resources, and the limits default to them
  (flytek8s/container_helper.go ApplyResourceOverrides: resolvePlatformDefaults, then AdjustOrDefaultResource); the
  built-in defaults are 1000m and 1024Mi (flytek8s/config/config.go defaultCPURequest, defaultMemoryRequest);
- default-env-vars, written as a list of single-key maps, keep their case (flytestdlib viper.go sliceToMapHook and
  restoreCaseSensitiveArrayKeys) and are appended to the container's env (flytek8s/k8s_resource_adds.go
  DecorateEnvVars; podeval sorts them by name where Go ranges over a map);
- the ConfigMap's files are read in name order and merged (flytestdlib config/files/finder.go FindConfigFiles,
  config/viper/collection.go MergeAllConfigs): copilot.yaml, which sorts before k8s.yaml, sets plugins.k8s too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from engine.cli import main

REAL = Path(__file__).parent / "real_inputs"
TASK = {
    "task": {"type": "python-task", "container": {"image": "ghcr.io/org/train:v1", "args": ["pyflyte-execute"]}},
    "execution": {"namespace": "flytesnacks-development", "podName": "abc-n0-0"},
}


def render(tmp_path, capsys, *args: str) -> tuple[int, dict | None, str]:
    task = tmp_path / "task.yaml"
    task.write_text(yaml.safe_dump(TASK))
    code = main(["render", str(task), "-o", "json", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else None, captured.err


def primary(pod: dict) -> dict:
    [container] = pod["spec"]["containers"]
    return container


@pytest.mark.parametrize("name", ["eks-flyte_helm_generated.yaml", "gcp-flyte_helm_generated.yaml"])
def test_flyte_core_manifests_set_100m_and_100mi(tmp_path, capsys, name):
    """k8s.yaml of flyte-propeller-config: default-cpus 100m, default-memory 100Mi, default-env-vars []."""
    code, pod, err = render(tmp_path, capsys, "--propeller-config", str(REAL / name))
    assert code == 0 and err == "", err
    resources = primary(pod)["resources"]
    assert resources == {"requests": {"cpu": "100m", "memory": "100Mi"}, "limits": {"cpu": "100m", "memory": "100Mi"}}
    assert "env" not in primary(pod)


def test_sandbox_manifest_skips_empty_documents_and_sets_env_and_200mi(tmp_path, capsys):
    """deployment/sandbox: 4 empty documents; k8s.yaml sets default-memory 200Mi and three FLYTE_AWS_* env vars in
    list form, whose case FlytePropeller keeps."""
    code, pod, err = render(tmp_path, capsys, "--propeller-config", str(REAL / "sandbox-flyte_helm_generated.yaml"))
    assert code == 0 and err == "", err
    container = primary(pod)
    assert container["resources"]["requests"] == {"cpu": "100m", "memory": "200Mi"}
    assert container["resources"]["limits"] == {"cpu": "100m", "memory": "200Mi"}
    assert container["env"] == [
        {"name": "FLYTE_AWS_ACCESS_KEY_ID", "value": "minio"},
        {"name": "FLYTE_AWS_ENDPOINT", "value": "http://minio.flyte:9000"},
        {"name": "FLYTE_AWS_SECRET_ACCESS_KEY", "value": "miniostorage"},
    ]


def test_sandbox_bundled_merges_the_files_of_flyte_sandbox_config(tmp_path, capsys):
    """flyte-binary's flyte-sandbox-config: 001-plugins.yaml (co-pilot) and 100-inline-config.yaml (env vars) both
    carry plugins.k8s; no default-cpus, so FlytePropeller's built-in 1000m / 1024Mi apply (task_resources in the same
    file is flyteadmin's setting, which reaches the Pod as the execution's platform resources, not through here)."""
    code, pod, err = render(tmp_path, capsys, "--propeller-config", str(REAL / "sandbox-bundled-complete.yaml"))
    assert code == 0 and err == "", err
    container = primary(pod)
    assert container["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert {e["name"]: e["value"] for e in container["env"]} == {
        "FLYTE_AWS_ENDPOINT": "http://flyte-sandbox-minio.flyte:9000",
        "FLYTE_AWS_ACCESS_KEY_ID": "minio",
        "FLYTE_AWS_SECRET_ACCESS_KEY": "miniostorage",
        "FLYTE_PLATFORM_URL": "flyte-sandbox-grpc.flyte:8089",
        "FLYTE_PLATFORM_INSECURE": "true",
    }


def test_explain_names_the_configmap_key_and_the_line_in_the_manifest(tmp_path, capsys):
    task = tmp_path / "task.yaml"
    task.write_text(yaml.safe_dump(TASK))
    manifest = REAL / "eks-flyte_helm_generated.yaml"
    code = main(
        [
            "explain",
            str(task),
            "--propeller-config",
            str(manifest),
            "spec.containers[name=abc-n0-0].resources.requests.cpu",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    line = next(i for i, text in enumerate(manifest.read_text().splitlines(), 1) if "default-cpus: 100m" in text)
    assert f"default-cpus: {manifest}:{line}:9 (ConfigMap flyte/flyte-propeller-config, data[k8s.yaml])" in out
    assert "gpu-resource-name: built-in default" in out


def test_the_trace_names_every_option_of_the_configmap(tmp_path, capsys):
    trace = tmp_path / "trace.json"
    code, _, err = render(
        tmp_path, capsys, "--propeller-config", str(REAL / "sandbox-bundled-complete.yaml"), "--trace", str(trace)
    )
    assert code == 0, err
    [source] = [s for s in json.loads(trace.read_text())["sources"] if s["id"] == "k8s-plugin"]
    assert source["origin"].endswith(
        "(ConfigMap flyte/flyte-sandbox-config) data[001-plugins.yaml, 100-inline-config.yaml]"
    )
    assert source["options"]["co-pilot"].endswith("(ConfigMap flyte/flyte-sandbox-config, data[001-plugins.yaml])")
    assert source["options"]["default-env-vars"].endswith(
        "(ConfigMap flyte/flyte-sandbox-config, data[100-inline-config.yaml])"
    )


def test_a_helm_values_file_gets_the_path_of_its_plugin_section(tmp_path, capsys):
    code, pod, err = render(tmp_path, capsys, "--propeller-config", str(REAL / "flyte-core-values.yaml"))
    assert code == 2 and pod is None
    assert err.startswith("podeval: error[helm_values]: ")
    lines = (REAL / "flyte-core-values.yaml").read_text().splitlines()
    section = lines.index("  k8s:")  # configmap.k8s, then its plugins.k8s
    line = lines.index("      k8s:", section) + 1
    assert f"flyte-core-values.yaml:{line}:7: " in err
    assert "its K8s plugin section is at configmap.k8s.plugins.k8s, configmap.copilot.plugins.k8s" in err
    assert "helm template" in err


def test_a_single_configmap_taken_out_of_the_manifest_gives_the_same_pod(tmp_path, capsys):
    """The issue's report: the ConfigMap alone must give the Pod the whole manifest gives (every key merged)."""
    documents = list(yaml.safe_load_all((REAL / "eks-flyte_helm_generated.yaml").read_text()))
    [configmap] = [
        d for d in documents if d and d["kind"] == "ConfigMap" and d["metadata"]["name"] == "flyte-propeller-config"
    ]
    single = tmp_path / "flyte-propeller-config.yaml"
    single.write_text(yaml.safe_dump(configmap))
    _, from_manifest, _ = render(tmp_path, capsys, "--propeller-config", str(REAL / "eks-flyte_helm_generated.yaml"))
    _, from_configmap, _ = render(tmp_path, capsys, "--propeller-config", str(single))
    assert from_configmap == from_manifest
    assert primary(from_configmap)["resources"]["requests"] == {"cpu": "100m", "memory": "100Mi"}
