"""A scenario that sets every plugin option at once renders, and explain names the option behind each field."""

from __future__ import annotations

import pytest

import engine

SCENARIO = "examples/every-option.yaml"


@pytest.fixture(scope="module")
def result(repo_root):
    return engine.evaluate(str(repo_root / SCENARIO))


@pytest.mark.parametrize(
    "path, owner, rule",
    [
        ("spec.schedulerName", "k8s-plugin", "scheduler-name"),
        ("spec.nodeSelector.pool", "k8s-plugin", "default-node-selector"),
        ("spec.nodeSelector.lifecycle", "k8s-plugin", "interruptible-node-selector"),
        (
            "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
            "k8s-plugin",
            "default-affinity",
        ),
        (
            (
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                ".matchExpressions[0].key"
            ),
            "k8s-plugin",
            "interruptible-node-affinity",
        ),
        (
            (
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                ".matchExpressions[1].key"
            ),
            "k8s-plugin",
            "gpu-accelerator",
        ),
        ("spec.securityContext.fsGroup", "k8s-plugin", "default-pod-security-context"),
        (
            "spec.containers[name=primary].securityContext.allowPrivilegeEscalation",
            "k8s-plugin",
            "default-security-context",
        ),
        ("spec.dnsConfig.options[0].name", "k8s-plugin", "default-pod-dns-config"),
        ("spec.tolerations[0].key", "runtime-template", "runtime-template"),
        ("spec.tolerations[1].key", "k8s-plugin", "resource-tolerations"),
        ("spec.tolerations[2].key", "k8s-plugin", "interruptible-tolerations"),
        ("spec.tolerations[3].key", "k8s-plugin", "default-tolerations"),
        ("spec.tolerations[4].key", "k8s-plugin", "gpu-accelerator"),
        ("spec.containers[name=primary].env[name=REGION].value", "k8s-plugin", "default-env-vars"),
        ("spec.containers[name=primary].env[name=CLUSTER].value", "k8s-plugin", "default-env-vars-from-env"),
        ("spec.containers[name=sidecar].envFrom[0].secretRef.name", "k8s-plugin", "default-env-from"),
        ("spec.containers[name=primary].env[name=FLYTE_INTERNAL_EXECUTION_ID].value", "flyte", "flyte-execution-env"),
        ("spec.containers[name=primary].env[name=EXEC_ENV].value", "execution", "execution-env-vars"),
        ("metadata.annotations.cost-center", "k8s-plugin", "default-annotations"),
        ("metadata.labels.node-id", "flyte", "system-labels.apply"),
        ("metadata.finalizers[0]", "k8s-plugin", "inject-finalizer"),
        ("spec.volumes[name=shm].emptyDir.medium", "compile-time", "shared-memory"),
    ],
)
def test_explain_names_the_option_behind_the_field(result, path, owner, rule):
    explanation = result.trace.explain(path)
    assert explanation["present"], path
    assert explanation["owner"] == owner
    assert explanation["rule"] == rule


def test_default_cpus_is_named_for_an_init_containers_cpu(result):
    explanation = result.trace.explain("spec.containers[name=primary].resources.limits.cpu")
    assert explanation["value"] == "2"
    init = result.trace.explain("spec.initContainers[name=fetch].resources.requests.cpu")
    assert init["value"] == "500m" and init["owner"] == "k8s-plugin"
    assert any("default-cpus" in (event.get("note") or "") for event in init["history"])


def test_enable_host_networking_pod_false_is_in_the_history(result):
    explanation = result.trace.explain("spec.hostNetwork")
    assert not explanation["present"]  # false is the zero value: omitted from the Pod
    assert any(event["rule"] == "enable-host-networking-pod" for event in explanation["history"])


def test_every_leaf_has_one_owner(result):
    def leaves(value, prefix=""):
        if isinstance(value, dict) and value:
            for key, item in value.items():
                yield from leaves(item, f"{prefix}.{key}" if prefix else key)
        elif isinstance(value, list) and value:
            for item in value:
                yield from leaves(item, prefix)
        else:
            yield prefix

    count = sum(1 for _ in leaves(result.pod))
    assert count == len(result.trace.owners)
