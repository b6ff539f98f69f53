"""The flyte-v2 pack (Flyte 2's backend, flyteorg/flyte main at 6fadb90) on the shipped examples/flyte-v2 scenarios.

Each expected value comes from Flyte 2's Go code (file:line@6fadb90 in each test's docstring, paths under
flyteplugins/go/tasks/pluginmachinery/flytek8s unless said) or its tests, never from podeval's own output. The
Go tests themselves are ported in tests/conformance/flyte_v2; these tests check the facts docs/flyte-v2.md states
on the examples it walks through, the docs' DAG pictures, and the v1 -> v2 diff over examples/.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import engine

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "flyte-v2"
TERMS = ("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")


@functools.cache
def v2(name: str) -> engine.Result:
    return engine.evaluate(EXAMPLES / f"{name}.yaml", rules="flyte-v2")


@functools.cache
def v1(name: str) -> engine.Result:
    return engine.evaluate(EXAMPLES / f"{name}.yaml", rules="flyte-v1")


def terms(result: engine.Result) -> list:
    value = result.pod["spec"]
    for field in TERMS:
        value = (value or {}).get(field)
    return value or []


def primary(result: engine.Result) -> dict:
    return result.pod["spec"]["containers"][0]


def env(container: dict) -> dict:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container.get("env") or []}


def test_tpu_device_class_renames_gpu_and_sets_limit_equal_to_request():
    """SanitizeGPUResourceRequirements (container_helper.go:134-149) renames gpu to the class's resource-name
    (GOOGLE_TPU: google.com/tpu, config/config.go:126-130); ApplyResourceOverrides (:181-189) adjusts every
    accelerator resource, and for the primary container (MergeExistingResources) the unset limit is the request
    (AdjustOrDefaultResource :73-87)."""
    resources = primary(v2("tpu-device-class"))["resources"]
    assert resources["requests"]["google.com/tpu"] == "4"
    assert resources["limits"]["google.com/tpu"] == "4"
    assert "gpu" not in resources["requests"] and "nvidia.com/gpu" not in resources["requests"]
    # flyte-v1 renames gpu to gpu-resource-name (nvidia.com/gpu) whatever the accelerator, and fills only its limit
    assert primary(v1("tpu-device-class"))["resources"]["requests"]["nvidia.com/gpu"] == "4"
    assert primary(v1("tpu-device-class"))["resources"]["limits"]["nvidia.com/gpu"] == "4"


def test_tpu_device_class_labels_and_normalised_device():
    """getAcceleratorConfig (pod_helper.go:321-369): GOOGLE_TPU's device-node-label and partition-size-node-label;
    GetNormalizedAcceleratorDevice (utils.go:104-110) with the built-in V5P -> tpu-v5p-slice (config/config.go:95);
    ApplyGPUNodeSelectors (pod_helper.go:371-450): requirement and NoSchedule toleration for each."""
    result = v2("tpu-device-class")
    assert terms(result) == [
        {
            "matchExpressions": [
                {"key": "cloud.google.com/gke-tpu-accelerator", "operator": "In", "values": ["tpu-v5p-slice"]},
                {"key": "cloud.google.com/gke-tpu-topology", "operator": "In", "values": ["2x2x2"]},
            ]
        }
    ]
    assert result.pod["spec"]["tolerations"] == [
        {"key": "cloud.google.com/gke-tpu-accelerator", "operator": "Equal", "value": "tpu-v5p-slice",
         "effect": "NoSchedule"},
        {"key": "cloud.google.com/gke-tpu-topology", "operator": "Equal", "value": "2x2x2", "effect": "NoSchedule"},
    ]  # fmt: skip
    # 2x2x2 is not a MIG size (^(\d+)g\.\d+gb$, pod_helper.go:66): no slices label
    assert "platform.union.ai/gpu-partition-slices" not in result.pod["metadata"]["labels"]


def test_unpartitioned_device_class_fields_fall_back_field_by_field():
    """A configured accelerator-device-classes replaces the built-in classes (flytestdlib decodes with ZeroFields);
    NVIDIA_GPU's unset device-node-label falls back to the global gpu-device-node-label, its
    unpartitioned-node-selector-requirement and unpartitioned-toleration replace the DoesNotExist default
    (pod_helper.go:339-361, :419-430); the lower-case key nvidia_gpu is upper-cased (config/config.go:389-395); the
    device A100 is normalised by the built-in accelerator-devices (config/config.go:73)."""
    result = v2("unpartitioned-device-class")
    assert terms(result) == [
        {
            "matchExpressions": [
                {"key": "nvidia.com/gpu.product", "operator": "In", "values": ["nvidia-tesla-a100"]},
                {"key": "nvidia.com/mig.capable", "operator": "NotIn", "values": ["true"]},
            ]
        }
    ]
    assert result.pod["spec"]["tolerations"][-1] == {
        "key": "nvidia.com/gpu.whole",
        "operator": "Exists",
        "effect": "NoSchedule",
    }


def test_device_class_pod_template_precedence():
    """applyAcceleratorDeviceClassPodTemplate (pod_helper.go:679, :1121-1155) merges the task's pod onto the device
    class's template spec, and MergeWithBasePodTemplate (:685) that result onto the runtime template: base <
    device class < task (TestToK8sPodDeviceClass, pod_helper_test.go:2297-2414). Only the spec is read (:1143)."""
    result = v2("device-class-pod-template")
    spec = result.pod["spec"]
    assert spec["schedulerName"] == "gpu-scheduler"  # device class over the runtime template
    assert spec["priorityClassName"] == "task-priority"  # the task over the device class
    assert spec["dnsPolicy"] == "ClusterFirst"  # the runtime template's own
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true", "pool": "gpu", "team": "ml"}
    keys = [toleration["key"] for toleration in spec["tolerations"]]
    assert {"base", "nvidia.com/gpu"} <= set(keys)
    assert "from-device-class" not in result.pod["metadata"].get("labels", {})
    assert env(primary(result))["NCCL_DEBUG"] == "INFO"


def test_device_class_pod_template_is_visible_in_explain():
    """explain names the device class's template as the owner of schedulerName and the runtime template's value
    as lost to it: the precedence of issue 15's item 5."""
    explained = v2("device-class-pod-template").trace.explain("spec.schedulerName")
    assert explained["owner"] == "device-class-template"
    outcomes = {c["source"]: (c["value"], c["outcome"]) for c in explained["candidates"]}
    assert outcomes["device-class-template"] == ("gpu-scheduler", "won")
    assert outcomes["pod-template-name"][0] == "base-scheduler"
    assert outcomes["pod-template-name"][1] != "won"


def test_accelerator_devices_configured_map_and_mig_label():
    """GetNormalizedAcceleratorDevice looks up strings.ToUpper(device) (utils.go:106): "h100" finds the configured
    H100; parseMigSlices (pod_helper.go:66-77, :698-705) labels 1g.10gb with 1."""
    result = v2("accelerator-devices")
    assert terms(result)[0]["matchExpressions"][0]["values"] == ["nvidia-h100-80gb-hbm3"]
    assert result.pod["metadata"]["labels"]["platform.union.ai/gpu-partition-slices"] == "1"


def test_executor_metadata_labels_env_and_service_account():
    """NewTaskExecutionMetadata (executor/pkg/plugin/task_exec_metadata.go:89-180): labels injected over the
    TaskAction's; the task env vars ACTION_NAME, RUN_NAME, _U_RUN_BASE, _U_ORG_NAME win over run env vars
    (:120-130); the service account from executor.defaultK8sServiceAccount (:178, exe/config/config.go:87); the
    pod name <TaskAction name>-<retry> (:190-192, actions/k8s/client.go:992-998). addObjectMetadata applies no
    task-level labels (executor/pkg/plugin/k8s/plugin_manager.go:79-103). The VSCode probe: pod/plugin.go:126-154."""
    result = v2("executor")
    labels = result.pod["metadata"]["labels"]
    assert labels["flyte.org/managed"] == "true"
    assert labels["run"] == "rdev01" and labels["action"] == "a4" and labels["attempt"] == "2"
    assert labels["task-name"] == "wf.dev_box"
    assert labels["team"] == "platform" and labels["platform"] == "flyte"
    assert "cost-center" not in labels
    assert v1("executor").pod["metadata"]["labels"]["cost-center"] == "42"  # flyte-v1 applies task labels
    variables = env(primary(result))
    assert variables["RUN_NAME"] == "rdev01"
    assert variables["LOG_LEVEL"] == "debug"
    assert variables["_U_RUN_BASE"] == "s3://flyte-data/flytesnacks/development/rdev01"
    assert variables["_F_PN"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert result.pod["spec"]["serviceAccountName"] == "flyte-task-runner"
    assert primary(result)["readinessProbe"]["httpGet"]["port"] == 6060


def test_template_resources_do_not_reach_the_primary_on_flyte_2():
    """v1's ExtractContainerResourcesFromPodTemplate (89cf9cc container_helper.go:314-362) is gone at 6fadb90: the
    primary's cpu/memory are default-cpus/default-memory (1000m, 1024Mi: config/config.go:29-30) before the
    template merge, which keeps the task's non-empty values; ephemeral-storage, unset on the task, is merged in."""
    resources = primary(v2("template-resources"))["resources"]
    assert resources["requests"] == {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "10Gi"}
    assert primary(v1("template-resources"))["resources"]["requests"]["cpu"] == "2"
    assert v2("template-resources").pod["spec"]["enableServiceLinks"] is False


def test_every_example_evaluates_under_both_packs():
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for rules in ("flyte-v1", "flyte-v2"):
            assert engine.evaluate(path, rules=rules).pod["kind"] == "Pod", (path.name, rules)


def test_diff_of_the_two_packs_over_examples():
    """`podeval diff --rules flyte-v1 --rules flyte-v2 examples/` (the README's command) runs and reports the
    differences the docs explain: enableServiceLinks, the device class's resource, the template resources."""
    done = subprocess.run(
        [sys.executable, "-m", "engine", "diff", "--rules", "flyte-v1", "--rules", "flyte-v2", "-o", "json",
         "examples/"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr  # exit 0: no --exit-code, and every file of examples/ evaluates
    report = json.loads(done.stdout)
    text = json.dumps(report)
    assert "spec.enableServiceLinks" in text
    assert "google.com/tpu" in text
    assert "Traceback" not in done.stderr


# --- the DAG pictures of docs/flyte-v2.md ---------------------------------------------------------------------------


@pytest.mark.parametrize("rules", ["flyte-v1", "flyte-v2"])
def test_docs_graph_is_the_packs_graph(rules):
    """docs/flyte-v2.md embeds `podeval graph --rules R` (mermaid) for both packs; this keeps them current."""
    text = (REPO / "docs" / "flyte-v2.md").read_text(encoding="utf-8")
    match = re.search(
        rf"<!-- graph {rules}: begin -->\n```mermaid\n(.*?)```\n<!-- graph {rules}: end -->", text, re.DOTALL
    )
    assert match, f"docs/flyte-v2.md has no graph block for {rules}"
    done = subprocess.run(
        [sys.executable, "-m", "engine", "graph", "--rules", rules],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert match.group(1) == done.stdout, f"regenerate: podeval graph --rules {rules}"


def test_the_pack_is_a_patch_of_flyte_v1():
    pack = yaml.safe_load((REPO / "rules" / "flyte-v2" / "pack.yaml").read_text())
    assert pack["extends"] == "flyte-v1"


def test_co_pilot_under_flyte_v2_warns_that_it_is_not_modelled():
    """Flyte 2's co-pilot (flytek8s/copilot.go at 6fadb90: CopilotCommandArgs without connection flags,
    --file-input-layout, the storage-config Secret) is not modelled: the evaluation says so where the data config is."""
    result = engine.evaluate(REPO / "examples" / "container-task-copilot.yaml", rules="flyte-v2")
    notes = [w for w in result.warnings if "co-pilot" in str(w)]
    assert notes, result.warnings
    assert "not modelled" in str(notes[0])
    assert engine.evaluate(REPO / "examples" / "container-task-copilot.yaml", rules="flyte-v1").warnings == []
