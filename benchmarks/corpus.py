"""The benchmark corpus: N generated scenarios written to a folder, one YAML file each, streamed.

Scenarios are generated from a seed, so a corpus is the same on every machine. The mix is meant to look like a
platform team's folder of golden scenarios, not like N copies of one file:

* 35% ``pod-template``: a python task with ``@task(pod_template=...)`` (1-3 containers, 0-2 init containers, a few
  env vars, labels, volumes), a runtime PodTemplate most of the time;
* 30% ``container``: a plain python/container task (container target), the plugin config doing the work;
* 20% ``k8s-pod``: a registered task with ``k8sPod`` and ``config.primary_container_name`` (sidecar-style);
* 10% ``overrides``: with ``with_overrides(...)`` (resources, image, a pod template override);
*  5% ``large``: the shape of benchmarks/scenarios/large.yaml with every count drawn between half and full size.

Each scenario sets a random subset of the plugin options (always at least the runtime template name when a
template exists). About 1% name a PodTemplate that does not exist (Flyte refuses: exit 3), as real folders of
failing cases do.

    .venv/bin/python benchmarks/corpus.py DIR [--count N] [--seed S] [--first I]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import yaml

_Dumper = getattr(yaml, "CSafeDumper", None) or yaml.SafeDumper

FAMILIES = (("pod-template", 35), ("container", 30), ("k8s-pod", 20), ("overrides", 10), ("large", 5))
IMAGES = (
    "ghcr.io/acme/app:1.4.2",
    "ghcr.io/flyteorg/flytekit:py3.11-1.16.0",
    "python:3.11-slim",
    "registry.example.com/ml/trainer:2024.11",
    "docker.io/library/busybox:1.36",
)
TEAMS = ("ml-platform", "data-eng", "search", "ads", "risk", "forecasting")


def _env(rng: random.Random, prefix: str, count: int) -> list:
    return [{"name": f"{prefix}_{index}", "value": f"v{rng.randrange(1000)}"} for index in range(count)]


def _labels(rng: random.Random, prefix: str, count: int) -> dict:
    return {f"{prefix}/l{index}": f"{rng.choice(TEAMS)}-{index}" for index in range(count)}


def _resources(rng: random.Random, gpu: bool = False) -> dict:
    cpu = rng.choice(("250m", "500m", "1", "2", "4", 1, 2))
    memory = rng.choice(("256Mi", "512Mi", "1Gi", "4Gi", "16Gi"))
    out: dict = {"requests": {"cpu": cpu, "memory": memory}}
    if rng.random() < 0.6:
        out["limits"] = {"cpu": cpu, "memory": memory}
    if gpu:
        out.setdefault("limits", {})["gpu"] = "1"
    return out


def _container(rng: random.Random, name: str, env_count: int, mounts: list) -> dict:
    container: dict = {"name": name, "image": rng.choice(IMAGES)}
    if rng.random() < 0.5:
        container["command"] = ["python", "-m", f"app.{name.replace('-', '_')}"]
    if env_count:
        container["env"] = _env(rng, name.upper().replace("-", "_"), env_count)
    if mounts:
        container["volumeMounts"] = mounts
    if rng.random() < 0.7:
        container["resources"] = _resources(rng)
    return container


def _volumes(rng: random.Random, count: int) -> tuple[list, list]:
    volumes, mounts = [], []
    for index in range(count):
        kind = rng.choice(("emptyDir", "configMap", "secret", "pvc"))
        source = {
            "emptyDir": {"emptyDir": {}},
            "configMap": {"configMap": {"name": f"cm-{index}"}},
            "secret": {"secret": {"secretName": f"secret-{index}"}},
            "pvc": {"persistentVolumeClaim": {"claimName": f"pvc-{index}"}},
        }[kind]
        volumes.append({"name": f"vol-{index}", **source})
        mounts.append({"name": f"vol-{index}", "mountPath": f"/mnt/vol-{index}"})
    return volumes, mounts


def _toleration(rng: random.Random, key: str) -> dict:
    if rng.random() < 0.5:
        return {"key": key, "operator": "Exists", "effect": "NoSchedule"}
    return {"key": key, "operator": "Equal", "value": "true", "effect": rng.choice(("NoSchedule", "NoExecute"))}


def _plugin_config(rng: random.Random, template: bool) -> dict:
    config: dict = {}
    if template:
        config["default-pod-template-name"] = "flyte-template"
    options = {
        "default-labels": lambda: _labels(rng, "platform.acme.com", rng.randint(1, 6)),
        "default-annotations": lambda: {
            "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
            "acme.com/managed-by": "flyte",
        },
        "default-env-vars": lambda: {f"DEFAULT_{i}": f"d{i}" for i in range(rng.randint(1, 5))},
        "default-tolerations": lambda: [_toleration(rng, "acme.com/flyte")],
        "interruptible-tolerations": lambda: [_toleration(rng, "cloud.google.com/gke-spot")],
        "interruptible-node-selector-requirement": lambda: {
            "key": "cloud.google.com/gke-spot",
            "operator": "In",
            "values": ["true"],
        },
        "non-interruptible-node-selector-requirement": lambda: {
            "key": "cloud.google.com/gke-spot",
            "operator": "DoesNotExist",
        },
        "default-node-selector": lambda: {"acme.com/pool": rng.choice(("cpu", "gpu", "highmem"))},
        "scheduler-name": lambda: "default-scheduler",
        "default-cpus": lambda: rng.choice(("500m", "1", "2")),
        "default-memory": lambda: rng.choice(("512Mi", "1Gi", "2Gi")),
        "default-pod-security-context": lambda: {"runAsNonRoot": True, "fsGroup": 2000},
        "default-security-context": lambda: {"allowPrivilegeEscalation": False},
        "enable-host-networking-pod": lambda: rng.random() < 0.3,
        "image-pull-policy": lambda: rng.choice(("IfNotPresent", "Always")),
        "default-env-from-configmaps": lambda: ["flyte-defaults"],
        "resource-tolerations": lambda: {"nvidia.com/gpu": [_toleration(rng, "nvidia.com/gpu")]},
    }
    for name in rng.sample(sorted(options), rng.randint(0, len(options))):
        config[name] = options[name]()
    return config


def _runtime_template(rng: random.Random) -> dict:
    containers = [
        {"name": "default", "image": "docker.io/rwgrim/docker-noop", "terminationMessagePath": "/dev/termination-log"}
    ]
    if rng.random() < 0.5:
        containers.append(
            {
                "name": "primary",
                "image": "docker.io/rwgrim/docker-noop",
                "env": [{"name": "TEMPLATE_PRIMARY", "value": "1"}],
            }
        )
    spec: dict = {"containers": containers}
    if rng.random() < 0.5:
        spec["tolerations"] = [_toleration(rng, "acme.com/batch")]
    if rng.random() < 0.5:
        spec["hostNetwork"] = False
    metadata = {"labels": _labels(rng, "tpl.acme.com", rng.randint(0, 4))}
    return {
        "apiVersion": "v1",
        "kind": "PodTemplate",
        "metadata": {"name": "flyte-template", "namespace": "flyte"},
        "template": {"metadata": metadata, "spec": spec},
    }


def _execution(rng: random.Random, index: int) -> dict:
    name = f"f{index:08x}{rng.randrange(16**8):08x}"
    execution: dict = {"namespace": f"{rng.choice(TEAMS)}-development", "podName": f"{name}-n0-0"}
    if rng.random() < 0.6:
        execution.update(
            id={"project": rng.choice(TEAMS), "domain": "development", "name": name},
            nodeId="n0",
            attempt=rng.randint(0, 2),
        )
    if rng.random() < 0.3:
        execution["interruptible"] = rng.random() < 0.5
    if rng.random() < 0.4:
        execution["labels"] = _labels(rng, "run.acme.com", rng.randint(1, 4))
    if rng.random() < 0.3:
        execution["envVars"] = {"RUN_TAG": "nightly"}
    return execution


def _task_container(rng: random.Random) -> dict:
    return {
        "image": rng.choice(IMAGES),
        "args": ["pyflyte-execute", "--inputs", "{{.input}}", "--output-prefix", "{{.outputPrefix}}"],
        "resources": _resources(rng),
    }


def _pod_spec(
    rng: random.Random, primary: str, containers: int, inits: int, env: int, volumes: int, tolerations: int
) -> dict:
    vols, mounts = _volumes(rng, volumes)
    names = [primary] + [f"sidecar-{i}" for i in range(1, containers)]
    spec: dict = {"containers": [_container(rng, name, env, mounts) for name in names]}
    if inits:
        spec["initContainers"] = [_container(rng, f"init-{i}", env, mounts[:1]) for i in range(inits)]
    if vols:
        spec["volumes"] = vols
    if tolerations:
        spec["tolerations"] = [_toleration(rng, f"acme.com/t{i}") for i in range(tolerations)]
    if rng.random() < 0.3:
        spec["nodeSelector"] = {"acme.com/pool": "batch"}
    return spec


def scenario(index: int, seed: int = 0) -> tuple[str, dict]:
    """The ``index``-th scenario of the corpus: (family, scenario)."""
    rng = random.Random(seed * 1_000_003 + index)
    family = rng.choices([f for f, _ in FAMILIES], weights=[w for _, w in FAMILIES])[0]
    template = rng.random() < 0.7
    data: dict = {
        "task": {"type": "python-task"},
        "execution": _execution(rng, index),
        "propeller": {"namespace": "flyte", "config": _plugin_config(rng, template)},
    }
    if template:
        data["podTemplates"] = [_runtime_template(rng)]
    task = data["task"]
    if family == "container":
        task["container"] = _task_container(rng)
        if rng.random() < 0.3:
            task["type"] = "container"
    elif family in ("pod-template", "overrides", "large"):
        big = family == "large"
        task["container"] = _task_container(rng)
        task["podTemplate"] = {
            "primaryContainerName": "primary",
            "labels": _labels(rng, "team.acme.com", rng.randint(15, 20) if big else rng.randint(0, 5)),
            "podSpec": _pod_spec(
                rng,
                "primary",
                rng.randint(2, 3) if big else rng.randint(1, 3),
                rng.randint(1, 2) if big else rng.randint(0, 2),
                rng.randint(15, 30) if big else rng.randint(0, 6),
                rng.randint(5, 10) if big else rng.randint(0, 3),
                rng.randint(4, 8) if big else rng.randint(0, 2),
            ),
        }
        if big:
            task["labels"] = _labels(rng, "task.acme.com", rng.randint(4, 8))
            task["interruptible"] = True
    else:  # k8s-pod
        primary = rng.choice(("main", "primary", "app"))
        task["type"] = "sidecar"
        task["k8sPod"] = {
            "metadata": {"labels": _labels(rng, "app.acme.com", rng.randint(0, 4))},
            "podSpec": _pod_spec(
                rng,
                primary,
                rng.randint(1, 3),
                rng.randint(0, 1),
                rng.randint(0, 6),
                rng.randint(0, 3),
                rng.randint(0, 2),
            ),
        }
        task["config"] = {"primary_container_name": primary}
    if family == "overrides":
        overrides: dict = {"resources": {"limits": {"memory": rng.choice(("2Gi", "8Gi"))}}}
        if rng.random() < 0.5:
            overrides["containerImage"] = rng.choice(IMAGES)
        if rng.random() < 0.3:
            overrides["podTemplate"] = {
                "primaryContainerName": "primary",
                "labels": {"override": "yes"},
                "podSpec": {"containers": [{"name": "primary"}]},
            }
        data["execution"]["overrides"] = overrides
    if rng.random() < 0.01:
        task["podTemplateName"] = "no-such-template"  # Flyte refuses to build this Pod (exit 3)
    return family, data


def file_name(index: int) -> str:
    return f"s{index:05d}.yaml"


def write_corpus(folder: Path, count: int, seed: int = 0, first: int = 0) -> int:
    """Write scenarios ``first`` .. ``first + count - 1`` to ``folder`` (created); returns the bytes written."""
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for index in range(first, first + count):
        family, data = scenario(index, seed)
        text = f"# benchmark corpus, seed {seed}, scenario {index} ({family})\n" + yaml.dump(
            data, Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=1 << 20
        )
        path = folder / file_name(index)
        path.write_text(text)
        total += len(text)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--first", type=int, default=0, help="index of the first scenario (to split the work)")
    args = parser.parse_args(argv)
    size = write_corpus(args.folder, args.count, args.seed, args.first)
    print(f"wrote {args.count} scenarios ({size / 1e6:.1f} MB) to {args.folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
