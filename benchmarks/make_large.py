"""Writes benchmarks/scenarios/large.yaml, the benchmark's large realistic scenario (b).

A GPU training task of an ML platform team: 3 containers (the trainer, a metrics exporter, a log shipper) and 2 init
containers (data fetch, cache warm-up) with 30 env vars each, 10 volumes with their mounts, node and pod
(anti-)affinity, 8 tolerations, 40 labels across the task, its pod template, the execution and the plugin config, a
runtime PodTemplate with `default`, `primary` and `default-init` containers, and every FlytePropeller K8s plugin
option that shapes a Pod. The file is committed; this script documents how it was made and re-makes it:

    .venv/bin/python benchmarks/make_large.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.documents.yamlio import dump_yaml

OUT = Path(__file__).resolve().parent / "scenarios" / "large.yaml"

VOLUMES = [
    ("training-data", {"persistentVolumeClaim": {"claimName": "training-data-pvc", "readOnly": True}}, "/data"),
    ("model-output", {"persistentVolumeClaim": {"claimName": "model-output-pvc"}}, "/output"),
    ("scratch", {"emptyDir": {"sizeLimit": "50Gi"}}, "/scratch"),
    ("dshm", {"emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}}, "/dev/shm"),
    ("app-config", {"configMap": {"name": "trainer-config", "defaultMode": 420}}, "/etc/trainer"),
    ("credentials", {"secret": {"secretName": "gcs-credentials", "defaultMode": 256}}, "/var/secrets/gcs"),
    (
        "ca-bundle",
        {"configMap": {"name": "corp-ca-bundle", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        "/etc/ssl/corp",
    ),
    (
        "podinfo",
        {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
        "/etc/podinfo",
    ),
    (
        "token",
        {
            "projected": {
                "sources": [{"serviceAccountToken": {"audience": "vault", "expirationSeconds": 3600, "path": "token"}}]
            }
        },
        "/var/run/secrets/vault",
    ),
    ("cache", {"hostPath": {"path": "/mnt/nvme/cache", "type": "DirectoryOrCreate"}}, "/cache"),
]


def env(prefix: str, count: int = 30) -> list:
    items = []
    for index in range(count):
        name = f"{prefix}_VAR_{index:02d}"
        if index % 10 == 7:
            items.append({"name": name, "valueFrom": {"secretKeyRef": {"name": "app-secrets", "key": name.lower()}}})
        elif index % 10 == 8:
            items.append({"name": name, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
        else:
            items.append({"name": name, "value": f"{prefix.lower()}-value-{index}"})
    return items


def mounts(names: list) -> list:
    by_name = {name: path for name, _, path in VOLUMES}
    return [
        {
            "name": name,
            "mountPath": by_name[name],
            **({"readOnly": True} if name in ("app-config", "credentials", "ca-bundle") else {}),
        }
        for name in names
    ]


def resources(cpu: str, memory: str, gpu: str | None = None) -> dict:
    requests = {"cpu": cpu, "memory": memory}
    limits = {"cpu": cpu, "memory": memory}
    if gpu:
        requests["gpu"] = limits["gpu"] = gpu
    return {"requests": requests, "limits": limits}


def toleration(key: str, value: str | None = None, effect: str = "NoSchedule") -> dict:
    if value is None:
        return {"key": key, "operator": "Exists", "effect": effect}
    return {"key": key, "operator": "Equal", "value": value, "effect": effect}


def labels(prefix: str, count: int) -> dict:
    return {f"{prefix}.example.com/label-{index:02d}": f"{prefix}-{index}" for index in range(count)}


ALL = [name for name, _, _ in VOLUMES]

scenario = {
    "task": {
        "type": "python-task",
        "id": {
            "project": "ml-platform",
            "domain": "production",
            "name": "training.pipelines.train_model",
            "version": "v42-4f1c2ab",
        },
        "container": {
            "image": "ghcr.io/acme/trainer:2024.11.3",
            "args": [
                "pyflyte-execute",
                "--inputs",
                "{{.input}}",
                "--output-prefix",
                "{{.outputPrefix}}",
                "--raw-output-data-prefix",
                "{{.rawOutputDataPrefix}}",
                "--resolver",
                "flytekit.core.python_auto_container.default_task_resolver",
                "--",
                "task-module",
                "training.pipelines",
                "task-name",
                "train_model",
            ],
            "env": {"FLYTE_SDK_LOGGING_LEVEL": "20", "PYTHONUNBUFFERED": "1"},
            "resources": resources("8", "64Gi", "2"),
        },
        "podTemplate": {
            "primaryContainerName": "trainer",
            "labels": labels("team", 15),
            "annotations": {
                "prometheus.io/scrape": "true",
                "prometheus.io/port": "9090",
                "acme.com/cost-center": "ml-research",
            },
            "podSpec": {
                "initContainers": [
                    {
                        "name": "fetch-data",
                        "image": "ghcr.io/acme/data-fetcher:1.8.0",
                        "command": ["fetch", "--dest", "/data"],
                        "env": env("FETCH"),
                        "volumeMounts": mounts(["training-data", "scratch", "credentials", "ca-bundle"]),
                        "resources": resources("2", "4Gi"),
                    },
                    {
                        "name": "warm-cache",
                        "image": "ghcr.io/acme/cache-warmer:0.4.1",
                        "command": ["warm", "/cache"],
                        "env": env("WARM"),
                        "volumeMounts": mounts(["cache", "scratch", "app-config"]),
                        "resources": resources("1", "2Gi"),
                    },
                ],
                "containers": [
                    {
                        "name": "trainer",
                        "image": "ghcr.io/acme/trainer:2024.11.3",
                        "env": env("TRAIN"),
                        "ports": [
                            {"name": "metrics", "containerPort": 9090},
                            {"name": "tensorboard", "containerPort": 6006},
                        ],
                        "volumeMounts": mounts(ALL),
                        "resources": {"limits": {"nvidia.com/gpu": "2"}},
                        "securityContext": {"runAsUser": 1000, "allowPrivilegeEscalation": False},
                    },
                    {
                        "name": "metrics-exporter",
                        "image": "ghcr.io/acme/metrics-exporter:3.2.0",
                        "args": ["--port", "9100"],
                        "env": env("METRICS"),
                        "ports": [{"name": "exporter", "containerPort": 9100}],
                        "volumeMounts": mounts(["podinfo", "scratch"]),
                        "resources": resources("250m", "256Mi"),
                        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 9100}, "periodSeconds": 10},
                    },
                    {
                        "name": "log-shipper",
                        "image": "docker.io/fluent/fluent-bit:3.1",
                        "env": env("LOGS"),
                        "volumeMounts": mounts(["scratch", "model-output", "token"]),
                        "resources": resources("100m", "128Mi"),
                    },
                ],
                "volumes": [{"name": name, **source} for name, source, _ in VOLUMES],
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {
                                    "matchExpressions": [
                                        {
                                            "key": "node.kubernetes.io/instance-type",
                                            "operator": "In",
                                            "values": ["a2-highgpu-2g", "a2-highgpu-4g"],
                                        },
                                        {
                                            "key": "topology.kubernetes.io/zone",
                                            "operator": "In",
                                            "values": ["us-central1-a", "us-central1-b"],
                                        },
                                    ]
                                }
                            ]
                        },
                        "preferredDuringSchedulingIgnoredDuringExecution": [
                            {
                                "weight": 50,
                                "preference": {"matchExpressions": [{"key": "acme.com/nvme", "operator": "Exists"}]},
                            }
                        ],
                    },
                    "podAntiAffinity": {
                        "preferredDuringSchedulingIgnoredDuringExecution": [
                            {
                                "weight": 100,
                                "podAffinityTerm": {
                                    "labelSelector": {"matchLabels": {"team.example.com/label-00": "team-0"}},
                                    "topologyKey": "kubernetes.io/hostname",
                                },
                            }
                        ]
                    },
                },
                "tolerations": [
                    toleration("nvidia.com/gpu"),
                    toleration("acme.com/dedicated", "ml"),
                    toleration("acme.com/preemptible", "true", "NoExecute"),
                ],
                "nodeSelector": {"acme.com/pool": "gpu-training"},
                "priorityClassName": "ml-high",
                "terminationGracePeriodSeconds": 120,
            },
        },
        "labels": labels("task", 8),
        "annotations": {"acme.com/owner": "ml-research@acme.com"},
        "interruptible": True,
        "extendedResources": {"gpuAccelerator": {"device": "nvidia-tesla-a100"}},
    },
    "execution": {
        "namespace": "ml-platform-production",
        "podName": "a8k2x9vq4m7n3p5r6t1w-n2-0",
        "id": {"project": "ml-platform", "domain": "production", "name": "a8k2x9vq4m7n3p5r6t1w"},
        "nodeId": "n2",
        "attempt": 1,
        "serviceAccount": "ml-training",
        "interruptible": True,
        "labels": labels("run", 7),
        "annotations": {"acme.com/triggered-by": "scheduler"},
        "envVars": {"RUN_TAG": "nightly", "EXPERIMENT": "resnet-sweep-17"},
        "platformResources": {
            "requests": {"cpu": "500m", "memory": "1Gi"},
            "limits": {"cpu": "32", "memory": "256Gi", "nvidia.com/gpu": "8"},
        },
        "overrides": {"resources": {"requests": {"memory": "96Gi"}, "limits": {"memory": "96Gi"}}},
    },
    "propeller": {
        "namespace": "flyte",
        "env": {"CLUSTER_NAME": "gke-ml-prod-1", "REGION": "us-central1"},
        "config": {
            "default-pod-template-name": "flyte-template",
            "default-labels": labels("platform", 10),
            "default-annotations": {
                "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
                "acme.com/managed-by": "flyte",
            },
            "enable-host-networking-pod": False,
            "image-pull-policy": "IfNotPresent",
            "default-cpus": "500m",
            "default-memory": "1Gi",
            "gpu-resource-name": "nvidia.com/gpu",
            "default-env-vars": {"AWS_REGION": "us-central1", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:4317"},
            "default-env-vars-from-env": {"CLUSTER": "CLUSTER_NAME", "REGION": "REGION"},
            "default-env-from-configmaps": ["flyte-defaults"],
            "default-env-from-secrets": ["flyte-secrets"],
            "resource-tolerations": {"nvidia.com/gpu": [toleration("nvidia.com/gpu", "present")]},
            "interruptible-tolerations": [toleration("cloud.google.com/gke-spot", "true")],
            "default-tolerations": [toleration("acme.com/flyte", "true")],
            "scheduler-name": "default-scheduler",
            "default-node-selector": {"acme.com/managed": "true"},
            "interruptible-node-selector": {"cloud.google.com/gke-spot": "true"},
            "interruptible-node-selector-requirement": {
                "key": "cloud.google.com/gke-spot",
                "operator": "In",
                "values": ["true"],
            },
            "non-interruptible-node-selector-requirement": {
                "key": "cloud.google.com/gke-spot",
                "operator": "DoesNotExist",
            },
            "default-affinity": {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 1,
                            "preference": {"matchExpressions": [{"key": "acme.com/flyte-pool", "operator": "Exists"}]},
                        }
                    ]
                }
            },
            "default-pod-security-context": {"runAsNonRoot": True, "fsGroup": 2000},
            "default-security-context": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True},
            "default-pod-dns-config": {"options": [{"name": "ndots", "value": "2"}]},
            "gpu-device-node-label": "cloud.google.com/gke-accelerator",
            "gpu-partition-size-node-label": "cloud.google.com/gke-gpu-partition-size",
            "gpu-unpartitioned-node-selector-requirement": {
                "key": "cloud.google.com/gke-gpu-partition-size",
                "operator": "DoesNotExist",
            },
            "gpu-unpartitioned-toleration": toleration("cloud.google.com/gke-gpu-partition-size", "unpartitioned"),
            "add-tolerations-for-extended-resources": ["nvidia.com/gpu"],
            "inject-finalizer": True,
        },
    },
    "podTemplates": [
        {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": {"name": "flyte-template", "namespace": "flyte", "resourceVersion": "918273"},
            "template": {
                "metadata": {
                    "labels": {"acme.com/tier": "batch", "acme.com/billing": "ml"},
                    "annotations": {"sidecar.istio.io/inject": "false"},
                },
                "spec": {
                    "initContainers": [
                        {
                            "name": "default-init",
                            "image": "busybox:1.36",
                            "resources": {"requests": {"ephemeral-storage": "1Gi"}},
                        }
                    ],
                    "containers": [
                        {
                            "name": "default",
                            "image": "docker.io/rwgrim/docker-noop",
                            "terminationMessagePath": "/dev/termination-log",
                            "terminationMessagePolicy": "FallbackToLogsOnError",
                            "env": [{"name": "TEMPLATE_DEFAULT", "value": "1"}],
                            "resources": {
                                "requests": {"ephemeral-storage": "2Gi"},
                                "limits": {"ephemeral-storage": "4Gi"},
                            },
                        },
                        {
                            "name": "primary",
                            "image": "docker.io/rwgrim/docker-noop",
                            "env": [{"name": "TEMPLATE_PRIMARY", "value": "1"}],
                            "volumeMounts": [{"name": "platform-certs", "mountPath": "/etc/platform"}],
                            "lifecycle": {"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 5"]}}},
                        },
                    ],
                    "volumes": [{"name": "platform-certs", "secret": {"secretName": "platform-certs"}}],
                    "tolerations": [toleration("acme.com/batch", "true")],
                    "imagePullSecrets": [{"name": "ghcr-pull"}],
                    "dnsPolicy": "ClusterFirst",
                    "hostNetwork": False,
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": {"name": "flyte-template", "namespace": "ml-platform-staging"},
            "template": {"spec": {"containers": [{"name": "default", "image": "docker.io/rwgrim/docker-noop"}]}},
        },
    ],
}

HEADER = """\
# Benchmark scenario (b): a large, realistic task Pod. Generated by benchmarks/make_large.py (re-run it to
# re-make this file); committed so that every run measures the same input. See benchmarks/README.md.
"""

if __name__ == "__main__":
    OUT.write_text(HEADER + dump_yaml(scenario))
    print(f"wrote {OUT}")
