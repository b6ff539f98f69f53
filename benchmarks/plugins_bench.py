"""Section 4 of benchmarks/run.py: each plugin's evaluation against the pod plugin's on the same task pod.

For every scenario of ``examples/plugins/`` whose task a plugin builds, the scenario as it is (the plugin's object)
and the same task as a pod-plugin task (type ``python-task``, no ``custom``, only ``plugins.k8s``) are evaluated
in-process with the trace, interleaved. A plugin object holds several pods (Ray: head, each worker group,
submitter), so the figure compared with the target (issue 14: no plugin evaluation more than 2x the pod plugin's
for the same pod spec size) is the plugin's time per pod template it holds over the pod plugin's time.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import engine
from engine.documents.yamlio import load_document

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_EXAMPLES = ROOT / "examples" / "plugins"


def as_pod_task(scenario: dict) -> dict:
    """The same task for the pod plugin: the template's type python-task, no custom, only plugins.k8s."""
    pod = copy.deepcopy(scenario)
    template = pod["task"].get("template") or pod["task"]
    template["type"] = "python-task"
    template.pop("custom", None)
    config = (pod.get("propeller") or {}).get("config")
    if isinstance(config, dict) and isinstance(config.get("plugins"), dict):
        pod["propeller"]["config"] = config["plugins"].get("k8s") or {}
    return pod


def pod_templates(value: Any) -> int:
    """How many pod templates (a mapping with a ``spec.containers`` list) an object holds."""
    if isinstance(value, dict):
        here = int(isinstance(value.get("spec"), dict) and isinstance(value["spec"].get("containers"), list))
        return here + sum(pod_templates(v) for k, v in value.items() if k != "spec" or not here)
    if isinstance(value, list):
        return sum(pod_templates(v) for v in value)
    return 0


def _median_seconds(fn, rounds: int, seconds: float) -> float:
    samples = []
    for _ in range(rounds):
        count, start = 0, time.perf_counter()
        while True:
            fn()
            count += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        samples.append(elapsed / count)
    return sorted(samples)[len(samples) // 2]


def plugin_runs(args, figure, section) -> None:
    section("4. Plugins: each plugin's object against the pod plugin's Pod for the same task, with trace")
    pack = engine.load_rules("flyte-v1")
    for path in sorted(PLUGIN_EXAMPLES.glob("*.yaml")):
        scenario = load_document(path.read_bytes(), str(path)).value
        task = (scenario or {}).get("task") or {}
        task_type = (task.get("template") or task).get("type")
        if pack.plugin_for(task_type) is None:
            continue
        pod_scenario = as_pod_task(scenario)
        try:
            result = engine.evaluate(scenario, rules=pack)
        except engine.FlyteBuildError:
            continue  # an example of a refusal (Spark's flyte PR #6363): no object to time
        # the pods the object holds: its PodTemplateSpecs (Ray), or one per role when the plugin reshapes its pods
        # into something else (Spark's SparkPodSpecs, built by one pipeline run each)
        pods = max(1, pod_templates(result.pod.get("spec")) or len(pack.plugin_for(task_type).roles))
        plugin_s = _median_seconds(lambda s=scenario: engine.evaluate(s, rules=pack), args.rounds, args.seconds)
        pod_s = _median_seconds(lambda s=pod_scenario: engine.evaluate(s, rules=pack), args.rounds, args.seconds)
        ratio = plugin_s / pods / pod_s
        figure(
            f"plugins.{path.stem}",
            f"{path.stem} ({task_type}, {pods} pods) per pod / pod plugin",
            ratio,
            "x",
            "<= 2x",
            ratio <= 2,
            f"{plugin_s * 1e3:,.1f} ms for the object, {pod_s * 1e3:,.1f} ms for the Pod",
        )
