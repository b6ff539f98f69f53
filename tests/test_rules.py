"""Rule packs: compiled once, validated with positions, a deterministic DAG, registries resolved at load."""

from __future__ import annotations

import shutil

import pytest
import yaml

import engine
from engine.pack.rules import collect_problems, load_rules


@pytest.fixture
def pack_copy(tmp_path, repo_root):
    folder = tmp_path / "pack"
    shutil.copytree(repo_root / "rules" / "flyte-v1", folder)
    return folder


def edit(folder, name, fn):
    path = folder / name
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_flyte_v1_graph_has_the_docs_nodes_and_flytes_steps_in_order():
    pack = load_rules("flyte-v1")
    assert {"k8s-plugin", "compile-time", "runtime-template", "pod-template-name"} <= set(pack.sources)
    steps = [step.id for step in pack.steps]
    assert steps == [
        "array-node-context",
        "build-raw-pod",
        "pod-template-override",
        "resolve-runtime-template",
        "customize-containers",
        "require-primary-container",
        "add-co-pilot",
        "update-pod",
        "merge-runtime-template",
        "extended-resources",
        "container-image-override",
        "extended-resource-tolerations",
        "pod-plugin",
        "object-metadata",
    ]
    # the task side is built and customized before it is laid onto the runtime template
    assert steps.index("update-pod") < steps.index("merge-runtime-template")
    assert pack.order == sorted(pack.order, key=pack.order.index)  # a list, computed once
    assert load_rules("flyte-v1").order == pack.order


def test_topological_order_breaks_ties_lexicographically():
    pack = load_rules("flyte-v1")
    # among nodes that are ready at the same time, the smallest name goes first: the sources (which have no
    # predecessors) keep their name order, and every node comes after everything it depends on
    sources = [node for node in pack.order if node in pack.sources]
    assert sources == sorted(sources)
    position = {node: index for index, node in enumerate(pack.order)}
    assert all(position[a] < position[b] for a, b in pack.graph.edges)


def test_a_cycle_is_an_error_that_names_it(pack_copy):
    def add_cycle(data):
        for step in data["steps"]:
            if step["id"] == "build-raw-pod":
                step["after"] = ["object-metadata"]

    edit(pack_copy, "pack.yaml", add_cycle)
    with pytest.raises(engine.RuleError) as error:
        load_rules(str(pack_copy))
    assert error.value.code == "cycle"
    assert "build-raw-pod" in error.value.message and "object-metadata" in error.value.message


def test_unknown_strategy_transform_and_bad_jmespath_are_reported_together_with_positions(pack_copy):
    def break_profiles(data):
        data["profiles"]["pod-spec"]["paths"]["containers"]["strategy"] = "template-containerz"

    def break_pack(data):
        build_raw_pod = next(step for step in data["steps"] if step["id"] == "build-raw-pod")
        build_raw_pod["apply"][0]["transform"] = "flytekit-serialise"
        build_raw_pod["apply"][1]["when"] = "vars.k8sPod ||"

    edit(pack_copy, "profiles.yaml", break_profiles)
    edit(pack_copy, "pack.yaml", break_pack)
    pack, problems = collect_problems(str(pack_copy))
    assert pack is None
    codes = {p.code: p for p in problems}
    assert {"unknown_strategy", "unknown_transform", "jmespath_invalid"} <= set(codes)
    assert "template-containers" in codes["unknown_strategy"].hint
    assert "flytekit-serialize" in codes["unknown_transform"].hint
    for problem in codes.values():
        assert problem.file and problem.line and problem.column
    assert codes["unknown_transform"].rule == "flytekit-serialization"


def test_unknown_source_and_unknown_key_suggest_the_right_one(pack_copy):
    def break_pack(data):
        data["steps"][0]["apply"][0]["source"] = "compile-tme"
        data["steps"][0]["aply"] = []

    edit(pack_copy, "pack.yaml", break_pack)
    _, problems = collect_problems(str(pack_copy))
    hints = {p.code: p.hint for p in problems}
    assert "compile-time" in hints["unknown_source"]
    assert "apply" in hints["pack_unknown_key"]


def test_a_pack_can_extend_another_and_override_one_profile(tmp_path):
    child = tmp_path / "child"
    child.mkdir()
    (child / "pack.yaml").write_text("extends: flyte-v1\nname: child\n")
    (child / "profiles.yaml").write_text(
        "profiles:\n  pod-spec:\n    default: mergo\n    paths:\n      containers:\n        strategy: append\n"
    )
    pack = load_rules(str(child))
    assert pack.name == "child"
    assert [s.id for s in pack.steps] == [s.id for s in load_rules("flyte-v1").steps]
    assert pack.profile("pod-spec").rules[("containers",)].strategy.__name__ == "append"
    assert pack.profile("mergo").default.strategy.__name__ == "mergo"


def test_evaluation_does_not_recompile(monkeypatch, repo_root):
    rules = load_rules("flyte-v1")
    import jmespath

    def boom(*args, **kwargs):  # pragma: no cover - only called if something recompiles
        raise AssertionError("JMESPath compiled during an evaluation")

    monkeypatch.setattr(jmespath, "compile", boom)
    engine.evaluate(str(repo_root / "examples/flyte-docs/example-3.yaml"), rules=rules)


def test_the_compiled_pack_cache_round_trips_and_keeps_networkx_off_a_warm_render(tmp_path, repo_root):
    """The first run compiles (with networkx) and caches the pack; the next one loads it without networkx."""
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, PODEVAL_CACHE_DIR=str(tmp_path / "cache"))
    probe = (
        "import sys, json, engine; r = engine.evaluate('examples/flyte-docs/example-3.yaml'); "
        "print(json.dumps({'networkx': 'networkx' in sys.modules, 'pod': r.pod}))"
    )
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", probe], cwd=repo_root, env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(2)
    ]
    assert runs[0]["networkx"] is True  # compiled: the DAG is sorted with networkx
    assert runs[1]["networkx"] is False  # from the cache
    assert runs[0]["pod"] == runs[1]["pod"]
    assert any((tmp_path / "cache").rglob("*")), "nothing was cached"


def _runs(probe: str, cwd, cache, times: int) -> list:
    """``probe`` (Python printing one JSON value) run ``times`` in fresh processes sharing the pack cache ``cache``."""
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, PODEVAL_CACHE_DIR=str(cache))
    return [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", probe], cwd=cwd, env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(times)
    ]


def test_a_warm_pod_render_imports_no_deferred_module_and_makes_no_dataclass(tmp_path, repo_root):
    """Start-up time (docs/architecture.md, "Start-up"): from the cache, a Pod's evaluation imports none of the modules
    engine/eval/__init__.py defers (the plugins', Flyte 2's) and no engine module on its way defines a dataclass (each
    compiles its methods at import)."""
    probe = (
        "import sys, json, engine; from engine.eval import DEFERRED; "
        "r = engine.evaluate('examples/flyte-docs/example-3.yaml'); "
        "print(json.dumps({'deferred': [m for m in DEFERRED if 'engine.eval.' + m in sys.modules], "
        "'dataclasses': sorted(f'{n}.{k}' for n, m in list(sys.modules.items()) if n.startswith('engine') "
        "for k, v in vars(m).items() if hasattr(v, '__dataclass_fields__') and v.__module__ == n), 'pod': r.pod}))"
    )
    compiled, cached = _runs(probe, repo_root, tmp_path / "cache", 2)
    assert cached["deferred"] == [] and cached["dataclasses"] == []
    assert compiled["deferred"]  # compiling checks every name: the deferred modules were imported
    assert cached["pod"] == compiled["pod"]


def test_a_plugin_task_from_the_cache_is_the_compiled_one(tmp_path, repo_root):
    """The cache keeps each plugin on its own and reads it when a task of its type is evaluated: the object is the
    one the freshly compiled pack builds, and the plugin's module (its transforms and functions) is imported then."""
    probe = (
        "import sys, json, engine; "
        "objects = [engine.evaluate(f'examples/plugins/{name}').pod for name in "
        "('ray-gpu-workers.yaml', 'pytorch-primary-container.yaml', 'spark-4378-pod-template-tolerations.yaml')]; "
        "print(json.dumps({'objects': objects, 'kubeflow': 'engine.eval.plugin_kubeflow' in sys.modules}))"
    )
    compiled, cached = _runs(probe, repo_root, tmp_path / "cache", 2)
    assert cached == compiled and cached["kubeflow"] is True
    assert [o["kind"] for o in cached["objects"]] == ["RayJob", "PyTorchJob", "SparkApplication"]


def test_an_expression_calling_a_deferred_function_imports_its_module(repo_root):
    """A JMESPath function of a deferred module (plugin_kubeflow's) is found by an expression compiled before anything
    imported that module: compile_expression imports the deferred modules first (engine.pack.registry)."""
    probe = (
        "import sys, json, jmespath, engine; from engine.pack.expressions import compile_expression; "
        "before = 'engine.eval.plugin_kubeflow' in sys.modules; "
        "closure = compile_expression(jmespath.compile('kubeflow_restart_policy(`1`)').parsed); "
        "print(json.dumps([before, closure({}), 'engine.eval.plugin_kubeflow' in sys.modules]))"
    )
    # RestartPolicy 1 is RESTART_POLICY_ON_FAILURE (flyteidl/protos/flyteidl/plugins/common.proto:11@89cf9cc), which
    # ParseRestartPolicy maps to kubeflowv1.RestartPolicyOnFailure, "OnFailure"
    # (flyteplugins/go/tasks/plugins/k8s/kfoperators/common/common_operator.go:255-261@89cf9cc)
    assert _runs(probe, repo_root, repo_root / ".no-cache", 1) == [[False, "OnFailure", True]]


def test_every_module_that_registers_a_name_is_imported_or_deferred(repo_root):
    """A module of engine/eval that registers a strategy, transform or function is imported by engine/eval/__init__.py
    or named in its DEFERRED (not both), so that its names are found."""
    import ast

    from engine.eval import DEFERRED

    folder = repo_root / "engine" / "eval"
    registering = {
        path.stem
        for path in folder.glob("*.py")
        if any(mark in path.read_text() for mark in ("@transform(", "register_strategy(", "@function("))
    }
    imported = {
        alias.name
        for node in ast.walk(ast.parse((folder / "__init__.py").read_text()))
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None
        for alias in node.names
    }
    assert registering == (imported & registering) | set(DEFERRED)
    assert not imported & set(DEFERRED)


def test_a_plugin_the_cache_cannot_read_is_compiled_again(tmp_path, monkeypatch, repo_root):
    """The cache only saves time: a plugin whose pickle is corrupt is taken from the pack compiled again."""
    import pickle

    from engine.pack import pack_cache
    from engine.pack.pack_model import RulePack

    monkeypatch.setenv("PODEVAL_CACHE_DIR", str(tmp_path))
    folder = str((repo_root / "rules" / "flyte-v1").resolve())
    pack, problems = collect_problems(folder)
    assert not problems
    pack_cache.store(folder, pack)
    [path] = tmp_path.glob("pack-*.pickle")
    body, plugins = pickle.loads(path.read_bytes())
    plugins["ray"] = b"not a pickle"
    with open(path, "wb") as out:
        pack_cache._Pickler(out).dump((body, plugins))
    compiled = []
    loaded = pack_cache.load(folder, RulePack, lambda: compiled.append(folder) or pack)
    assert loaded.plugin_for("spark").id == "spark" and compiled == []  # read from its own pickle
    assert loaded.plugin_for("ray") is pack.plugins["ray"] and compiled == [folder]
