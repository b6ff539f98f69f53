"""The Ray users' questions of issue 14 as scenarios (examples/plugins/ray-*.yaml): what Flyte v1.16 really does with
the head and worker pod templates of flyte#6396 (nodeSelector), #6229 (tolerations, affinity) and #6198 (runtime
class), and `explain` naming the source of each value.

Each expected value is read from FlytePropeller's code at flyteorg/flyte 89cf9cc (the example's header cites the
lines); the mergo merges of the role templates are also computed by the real mergo through the oracle in
tests/oracle (skipped when Go is not there).
"""

from __future__ import annotations

import sys
from pathlib import Path

import jmespath
import pytest
import yaml

import engine

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oracle.harness import oracle_available, oracle_unavailable_reason, run_oracle, strip_nulls

pytest.importorskip("flyteidl", reason="task.template needs flyteidl (pip install 'podeval[flyteidl]')")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "plugins"
needs_oracle = pytest.mark.skipif(not oracle_available(), reason=oracle_unavailable_reason() or "no oracle")

HEAD = "spec.rayClusterSpec.headGroupSpec.template.spec"
GPU_WORKERS = "spec.rayClusterSpec.workerGroupSpecs[?groupName=='gpu'] | [0].template.spec"
SUBMITTER = "spec.submitterPodTemplate.spec"
REQUIRED_TERMS = "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
# the trace's source of a worker group's k8sPod (rules/flyte-v1/plugins/ray.yaml `sources`)
WORKER_POD_SOURCE = "ray-worker-pod"


def scenario(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / name).read_text())


def evaluate(name: str):
    return engine.evaluate(scenario(name), rules="flyte-v1")


def at(obj: dict, path: str):
    return jmespath.search(path, obj)


def role_template(name: str, role: str) -> dict:
    """A role's k8sPod pod spec as the example gives it (the overlay of MergeOverlayPodSpecOntoBase)."""
    cluster = scenario(name)["task"]["template"]["custom"]["rayCluster"]
    group = cluster["headGroupSpec"] if role == "head" else cluster["workerGroupSpec"][0]
    return group["k8sPod"]["podSpec"]


# --- flyte#6396: a worker group's nodeSelector ----------------------------------------------------------------------

NODE_SELECTOR_6396 = "ray-6396-worker-node-selector.yaml"


def test_6396_worker_group_node_selector_reaches_the_workers():
    obj = evaluate(NODE_SELECTOR_6396).pod
    # MergeOverlayPodSpecOntoBase: maps key by key, the group template's value winning (pod_helper.go:858-861)
    assert at(obj, f"{GPU_WORKERS}.nodeSelector") == {
        "cloud.google.com/gke-nodepool": "gpu-pool",
        "cloud.google.com/gke-accelerator": "nvidia-l4",
    }


def test_6396_task_pod_template_node_selector_reaches_head_and_submitter():
    obj = evaluate(NODE_SELECTOR_6396).pod
    # one ToK8sPodSpec (ray.go:77), copied for the head (:171) and the submitter (:251)
    assert at(obj, f"{HEAD}.nodeSelector") == {"cloud.google.com/gke-nodepool": "cpu-pool"}
    assert at(obj, f"{SUBMITTER}.nodeSelector") == {"cloud.google.com/gke-nodepool": "cpu-pool"}


def test_6396_worker_template_container_named_primary_is_dropped_with_its_gpu():
    result = evaluate(NODE_SELECTOR_6396)
    obj = result.pod
    # renamed ray-worker at ray.go:466 before the merge at :562; pod_helper.go:863-880 keeps base containers only
    assert at(obj, f"{GPU_WORKERS}.containers[*].name") == ["ray-worker"]
    worker = at(obj, f"{GPU_WORKERS}.containers[0].resources")
    assert "nvidia.com/gpu" not in (worker.get("requests") or {}) and "nvidia.com/gpu" not in (
        worker.get("limits") or {}
    )
    assert worker["requests"] == {"cpu": "2", "memory": "8Gi"}  # the task's own
    # the head's container is named ray-head by flytekit (HeadNodeConfig(requests=...)): merged
    assert at(obj, f"{HEAD}.containers[?name=='ray-head'] | [0].resources") == {
        "requests": {"cpu": "4", "memory": "16Gi"},
        "limits": {"cpu": "4", "memory": "16Gi"},
    }
    drops = [e for e in result.trace.events if e.op == "drop" and "workerGroupSpecs" in str(e.path)]
    assert drops, "the dropped template container is a drop event in the trace"


@needs_oracle
def test_6396_node_selector_merge_is_mergos():
    base = {"containers": None, "nodeSelector": {"cloud.google.com/gke-nodepool": "cpu-pool"}}
    overlay = role_template(NODE_SELECTOR_6396, "worker")
    merged = strip_nulls(
        run_oracle(
            [{"mode": "pod", "dst": base, "src": {"containers": None, "nodeSelector": overlay["nodeSelector"]}}]
        )[0]
    )
    assert at(evaluate(NODE_SELECTOR_6396).pod, f"{GPU_WORKERS}.nodeSelector") == merged["nodeSelector"]


def test_6396_explain_names_the_worker_pod_template():
    result = evaluate(NODE_SELECTOR_6396)
    path = (
        "spec.rayClusterSpec.workerGroupSpecs[groupName=gpu].template.spec.nodeSelector"
        '["cloud.google.com/gke-accelerator"]'
    )
    assert result.trace.explain(path)["owner"] == WORKER_POD_SOURCE
    nodepool = path.replace("gke-accelerator", "gke-nodepool")
    story = result.trace.explain(nodepool)
    assert story["owner"] == WORKER_POD_SOURCE
    assert {c["value"] for c in story["candidates"]} >= {"cpu-pool", "gpu-pool"}  # the task's value lost


# --- flyte#6229: tolerations and affinity of the head and worker pod templates -------------------------------------

TOLERATIONS_6229 = "ray-6229-tolerations-affinity.yaml"
INTERRUPTIBLE_TOLERATION = {"key": "x/flyte", "value": "interruptible", "operator": "Equal", "effect": "NoSchedule"}
INTERRUPTIBLE_TERM = {"matchExpressions": [{"key": "x/interruptible", "operator": "In", "values": ["true"]}]}
GPU_TERM = {"matchExpressions": [{"key": "node-pool", "operator": "In", "values": ["gpu"]}]}


@pytest.mark.parametrize("role", [HEAD, GPU_WORKERS])
def test_6229_role_tolerations_are_appended_after_flytes(role):
    obj = evaluate(TOLERATIONS_6229).pod
    assert at(obj, f"{role}.tolerations") == [INTERRUPTIBLE_TOLERATION, GPU_TOLERATION]


@pytest.mark.parametrize("role", [HEAD, GPU_WORKERS])
def test_6229_role_affinity_becomes_an_alternative_term(role):
    """The template's required term is appended to the interruptible one: ORed, it no longer requires GPU nodes."""
    obj = evaluate(TOLERATIONS_6229).pod
    assert at(obj, f"{role}.{REQUIRED_TERMS}") == [INTERRUPTIBLE_TERM, GPU_TERM]


def test_6229_submitter_keeps_the_task_pod():
    obj = evaluate(TOLERATIONS_6229).pod
    assert at(obj, f"{SUBMITTER}.tolerations") == [INTERRUPTIBLE_TOLERATION]
    assert at(obj, f"{SUBMITTER}.{REQUIRED_TERMS}") == [INTERRUPTIBLE_TERM]


@needs_oracle
@pytest.mark.parametrize("role", ["head", "worker"])
def test_6229_merge_is_mergos(role):
    """The real mergo (WithOverride, WithAppendSlice) on the interruptible task pod's scheduling fields and the
    role template gives what podeval renders."""
    overlay = role_template(TOLERATIONS_6229, role)
    base = {
        "containers": None,
        "tolerations": [INTERRUPTIBLE_TOLERATION],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [INTERRUPTIBLE_TERM]}
            }
        },
    }
    src = {"containers": None, "tolerations": overlay["tolerations"], "affinity": overlay["affinity"]}
    merged = strip_nulls(run_oracle([{"mode": "pod", "dst": base, "src": src}])[0])
    obj = evaluate(TOLERATIONS_6229).pod
    spec = HEAD if role == "head" else GPU_WORKERS
    assert at(obj, f"{spec}.tolerations") == merged["tolerations"]
    assert at(obj, f"{spec}.affinity") == merged["affinity"]


# --- flyte#6198: runtime class of the head and worker pod templates ------------------------------------------------

RUNTIME_CLASS_6198 = "ray-6198-runtime-class.yaml"


def test_6198_runtime_class_on_head_and_workers_only():
    obj = evaluate(RUNTIME_CLASS_6198).pod
    assert at(obj, f"{HEAD}.runtimeClassName") == "nvidia"
    assert at(obj, f"{GPU_WORKERS}.runtimeClassName") == "nvidia"
    assert at(obj, f"{SUBMITTER}.runtimeClassName") is None


def test_6198_worker_gpu_and_its_toleration():
    obj = evaluate(RUNTIME_CLASS_6198).pod
    # the template container is named ray-worker: merged key by key (pod_helper.go:866-872)
    resources = at(obj, f"{GPU_WORKERS}.containers[?name=='ray-worker'] | [0].resources")
    assert resources["requests"]["nvidia.com/gpu"] == "1" and resources["limits"]["nvidia.com/gpu"] == "1"
    # AddTolerationsForExtendedResources after the merge (ray.go:567) sees the GPU; the head's (ray.go:436) does not
    assert GPU_TOLERATION in (at(obj, f"{GPU_WORKERS}.tolerations") or [])
    assert GPU_TOLERATION not in (at(obj, f"{HEAD}.tolerations") or [])
    assert GPU_TOLERATION not in (at(obj, f"{SUBMITTER}.tolerations") or [])


def test_6198_explain_names_the_worker_pod_template():
    result = evaluate(RUNTIME_CLASS_6198)
    story = result.trace.explain("spec.rayClusterSpec.workerGroupSpecs[groupName=gpu].template.spec.runtimeClassName")
    assert story["value"] == "nvidia"
    assert story["owner"] == WORKER_POD_SOURCE
