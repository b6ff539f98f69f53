"""Bad inputs: every case of tests/bad_inputs/cases.yaml through the CLI, one line each, the contract's exit code.

The corpus format is described at the top of cases.yaml. Besides the corpus: the docs page's example through a real
subprocess (the acceptance check of the issue), several problems of one file reported together, every error code
documented in docs/errors.md, FlytePropeller's config checked against the pack's options, and the checks agreeing
with the kubernetes client's own (pydantic) models. Hostile inputs are timed in benchmarks/hostile_render.py, not
here (no timing assertions in tests).
"""

from __future__ import annotations

import importlib.util
import random
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

import engine
from engine.cli import main
from engine.inputs.scenario import load_scenario, to_plain_k8s
from engine.k8s import validate
from engine.pack import plugin_options

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "bad_inputs"
ERRORS_DOC = ROOT / "docs" / "errors.md"
MiB = 1024 * 1024


# ------------------------------------------------------------------------------------------- hostile generators


def billion_laughs() -> bytes:
    lines = ['lol: &l0 "lol"']
    for level in range(1, 10):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 10)}]")
    return ("\n".join(lines) + "\ntask: {labels: *l9}\n").encode()


def alias_flood() -> bytes:
    return (
        "task: {container: {image: &i img:1}}\nexecution: {labels: {a: x}}\ncluster: ["
        + ", ".join(["*i"] * 5000)
        + "]\n"
    ).encode()


def deep_flow_nesting() -> bytes:
    return ("task: " + "[" * 10_000 + "]" * 10_000 + "\n").encode()


def deep_block_nesting() -> bytes:
    return ("task:\n" + "".join("  " * (level + 1) + f"k{level}:\n" for level in range(100))).encode()


def huge_document() -> bytes:
    return ("task:\n  labels:\n" + "".join(f"    k{i}: {'v' * 60}\n" for i in range(90_000))).encode()


def binary_garbage() -> bytes:
    return random.Random(0).randbytes(64 * 1024)


def nul_bytes() -> bytes:
    return b"task: {}\n" + b"\0" * MiB


def duplicate_key_late() -> bytes:
    keys = "".join(f"    k{i}: v{i}\n" for i in range(90_000))
    return f"task:\n  labels:\n{keys}    k7: again\n".encode()


def latin1_text() -> bytes:
    return ("task:\n  labels:\n" + "".join(f"    k{i}: café\n" for i in range(50_000))).encode("latin-1")


def many_bad_labels() -> bytes:
    labels = "".join(f"    k{i}: v {i}\n" for i in range(90_000))
    return f"task: {{container: {{image: img:1}}}}\nexecution:\n  labels:\n{labels}".encode()


def many_unknown_keys() -> bytes:
    return "".join(f"k{i}: {i}\n" for i in range(90_000)).encode()


GENERATORS = {
    fn.__name__: fn
    for fn in (
        billion_laughs,
        alias_flood,
        deep_flow_nesting,
        deep_block_nesting,
        huge_document,
        binary_garbage,
        nul_bytes,
        duplicate_key_late,
        latin1_text,
        many_bad_labels,
        many_unknown_keys,
    )
}


# ------------------------------------------------------------------------------------------------------ corpus


def _cases() -> list:
    cases = yaml.safe_load((CORPUS / "cases.yaml").read_text())["cases"]
    params = []
    for case in cases:
        name = case.get("generate") or Path(case["input"]).stem
        if case.get("args"):
            name += "--" + Path(case["args"][-1]).name
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if case.get("xfail") else []
        if case.get("requires") and importlib.util.find_spec(case["requires"]) is None:  # an optional extra
            marks.append(
                pytest.mark.skip(reason=f"needs {case['requires']} (pip install 'podeval[{case['requires']}]')")
            )
        params.append(pytest.param(case, id=name, marks=marks))
    return params


CASES = _cases()


def run_cli(argv: list, capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(CORPUS)  # inputs and --rules folders are relative to the corpus
    if "generate" in case:
        source = tmp_path / f"{case['generate']}.yaml"
        source.write_bytes(GENERATORS[case["generate"]]())
        source = str(source)
    else:
        source = case["input"]
    code, out, err = run_cli(["render", source, *case.get("args", [])], capsys)
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == case["exit"], err
    lines = err.splitlines()
    if case.get("pod"):  # the API server refuses the Pod FlytePropeller builds: the Pod, then every violation
        assert yaml.safe_load(out)["kind"] == "Pod"
        assert lines and all(line.startswith("podeval: error[") for line in lines), err
    else:
        assert out == ""
        assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith(f"podeval: error[{case['code']}]: "), line
    if "path" in case:
        assert f": {case['path']}: " in line, line
    if case.get("located", True):
        assert re.search(r"\.yaml:\d+:\d+: ", line), f"no file:line:col in {line}"
    assert "(hint: " in line, f"no hint in {line}"
    for words in case.get("contains", []):
        assert words in line, f"{words!r} not in {line}"
    if "from" in case:
        assert f"from {case['from']}" in line, line


def test_the_corpus_is_big_enough_and_every_input_file_is_a_case():
    inputs = {case.values[0].get("input") for case in CASES}
    inputs |= {arg for case in CASES for arg in case.values[0].get("args", []) if arg.endswith(".yaml")}
    files = {path.name for path in CORPUS.glob("*.yaml")} - {"cases.yaml"}
    assert files <= inputs, f"files without a case: {sorted(files - inputs)}"
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_hostile_input_is_refused_in_bounded_memory(name, tmp_path):
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(GENERATORS[name]())
    tracemalloc.start()
    try:
        with pytest.raises(engine.PodevalError) as error:
            load_scenario(str(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.value.exit_code == 2
    assert peak < 200 * MiB, f"{name}: {peak / MiB:.0f} MiB of Python allocations"


# ------------------------------------------------------------------------------------------------ acceptance


def test_docs_example_with_command_echo_prints_one_line_naming_the_path():
    """The issue's "done" check, through a real process: one line, the keyed path, exit 3, no traceback."""
    completed = subprocess.run(
        [sys.executable, "-m", "engine", "render", str(CORPUS / "docs-example-command-echo.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 3
    assert completed.stdout == ""
    lines = completed.stderr.splitlines()
    assert len(lines) == 1, completed.stderr
    assert "task.podTemplate.podSpec.containers[name=primary].command" in lines[0]
    assert "docs-example-command-echo.yaml:15:20:" in lines[0]


def test_debug_shows_the_traceback(capsys):
    with pytest.raises(engine.FlyteBuildError):
        main(["--debug", "render", str(CORPUS / "docs-example-command-echo.yaml")])


# ------------------------------------------------------------------------------------------------ the library


def test_several_problems_are_raised_together_first_input_problems():
    text = """
task:
  container: {image: img:1, args: [pyflyte-execute]}
  podTemplate:
    podSpec:
      containers:
        - {name: primary, command: echo}
      tolerations: [{value: 1}]
execution: {labels: {team: a b}}
"""
    with pytest.raises(engine.InputError) as info:
        load_scenario(text)
    error = info.value
    assert error.code == "invalid_label"  # an input podeval cannot use wins over what Flyte would refuse
    assert [(p.code, p.path) for p in error.problems] == [
        ("invalid_label", "execution.labels.team"),
        ("pod_spec_decode", "task.podTemplate.podSpec.containers[name=primary].command"),
        ("pod_spec_decode", "task.podTemplate.podSpec.tolerations[0].value"),
    ]
    assert [p.exit_code for p in error.problems] == [2, 3, 3]
    assert (error.line, error.column) == (9, 28)
    assert "2 more problems" in error.message


def test_problems_are_capped():
    text = "".join(f"k{i}: 1\n" for i in range(1000))
    with pytest.raises(engine.InputError) as info:
        load_scenario(text)
    assert len(info.value.problems) == validate.MAX_PROBLEMS
    assert "19+ more problems" in info.value.message


def test_kubernetes_client_objects_are_checked_too():
    from kubernetes.client import V1Container, V1PodSpec, V1Toleration

    spec = V1PodSpec(
        containers=[V1Container(name="primary", image="img:1")], tolerations=[V1Toleration(key="k", operator="Exists")]
    )
    scenario = {"task": {"k8sPod": {"podSpec": spec}, "config": {"primary_container_name": "primary"}}}
    assert load_scenario(scenario).data["task"]["k8sPod"]["podSpec"]["tolerations"] == [
        {"key": "k", "operator": "Exists"}
    ]
    bad = V1PodSpec(containers=[V1Container(name="Primary", image="img:1")])
    result = engine.evaluate({"task": {"k8sPod": {"podSpec": bad}, "config": {"primary_container_name": "Primary"}}})
    [problem] = result.problems  # FlytePropeller builds the Pod; the API server refuses the name
    assert (problem.code, problem.path, problem.exit_code) == ("invalid_name", "spec.containers[name=Primary].name", 3)
    assert problem.input_path == "task.k8sPod.podSpec.containers[name=Primary].name"
    assert (problem.source, problem.rule) == ("compile-time", "k8s-pod-target")


def test_snake_case_dicts_and_struct_doubles_are_normalised():
    spec = {
        "containers": [{"name": "primary", "image_pull_policy": "Always", "ports": [{"container_port": 8080.0}]}],
        "termination_grace_period_seconds": 30.0,
    }
    assert to_plain_k8s(spec, "PodSpec") == {
        "containers": [{"name": "primary", "imagePullPolicy": "Always", "ports": [{"containerPort": 8080}]}],
        "terminationGracePeriodSeconds": 30,
    }


def test_a_scenario_assembled_from_several_files_locates_problems_in_each():
    from engine.documents.yamlio import load_document

    task = load_document("task:\n  container: {image: i, command: echo}\n", "task.yaml")
    templates = load_document(
        "kind: List\nitems:\n- kind: PodTemplate\n  metadata: {name: t}\n"
        "  template: {spec: {containers: [{name: default, image: x}]}}\n"
        "- kind: PodTemplate\n  metadata: {namespace: flyte}\n"
        "  template: {spec: {containers: [{name: default, image: x}]}}\n",
        "templates.yaml",
    )
    scenario = {"task": task.value["task"], "podTemplates": templates.value["items"]}
    origins = {("task",): ("task.yaml", task, ("task",)), ("podTemplates",): ("templates.yaml", templates, ("items",))}
    with pytest.raises(engine.InputError) as info:
        load_scenario(scenario, origins=origins)
    assert [(p.file, p.line, p.column, p.path) for p in info.value.problems] == [
        ("task.yaml", 2, 34, "task.container.command"),
        ("templates.yaml", 7, 13, "podTemplates[1].metadata.name"),
    ]


def test_scenario_locate_follows_normalised_paths_back_to_the_file():
    text = """propeller:
  config:
    plugins:
      k8s:
        default-labels: {a: b}
task:
  pod_template_name: x
  container:
    image: i
    env:
      - {name: A, value: "1"}
      - {name: B, value: "2"}
"""
    scenario = load_scenario(text)
    assert scenario.locate(("propeller", "config", "default-labels")) == (5, 25)
    assert scenario.locate(("task", "podTemplateName")) == (7, 22)
    assert scenario.locate(engine.k8s.paths.parse("task.container.env[name=B].value")) == (12, 26)


# ------------------------------------------------------------------------------- FlytePropeller's configuration


def _config_problems(config: dict, options: dict) -> list:
    scenario = load_scenario({"propeller": {"config": config}})
    try:
        plugin_options.check_plugin_config(scenario, options)
    except engine.PodevalError as error:
        return [(p.code, p.path) for p in error.problems]
    return []


def test_plugin_config_values_are_checked_against_the_packs_option_types():
    options = engine.load_rules("flyte-v1").options
    assert (
        _config_problems(
            {
                "default-pod-template-name": "t",
                "default-labels": [{"a": "b"}],
                "enable-host-networking-pod": False,
                "default-tolerations": [],
            },
            options,
        )
        == []
    )
    assert _config_problems(
        {
            "enable-host-networking-pod": "yes",
            "default-tolerations": {"key": "k"},
            "default-pod-template-resync": "soon",
            "default-node-selector": "x",
        },
        options,
    ) == [
        ("invalid_type", "propeller.config.enable-host-networking-pod"),
        ("invalid_type", "propeller.config.default-pod-template-resync"),
        ("invalid_type", "propeller.config.default-node-selector"),
    ]


def test_plugin_config_options_that_name_a_kubernetes_type_are_checked_as_that_type():
    options = {
        "default-tolerations": SimpleNamespace(type="list", k8s="Toleration"),
        "default-affinity": SimpleNamespace(type="object", k8s="Affinity"),
        "default-labels": SimpleNamespace(type="map", k8s="labels"),
        "resource-tolerations": SimpleNamespace(type="map", k8s="list:Toleration"),
    }
    # values FlytePropeller cannot decode even weakly (a list where a string is wanted); `value: 1` would be read
    # as "1" and is accepted (tests/test_plugin_options.py)
    config = {
        "default-tolerations": [{"key": "gpu", "value": [1]}],
        "default-affinity": {"nodeAfinity": {}},
        "default-labels": {"team": "a b"},
        "resource-tolerations": {"nvidia.com/gpu": [{"effect": {"a": 2}}]},
    }
    assert _config_problems(config, options) == [
        ("invalid_type", "propeller.config.default-tolerations[0].value"),
        ("unknown_key", "propeller.config.default-affinity.nodeAfinity"),
        ("invalid_label", "propeller.config.default-labels.team"),
        ("invalid_type", 'propeller.config.resource-tolerations["nvidia.com/gpu"][0].effect'),
    ]


# ------------------------------------------------------------------ agreement with the kubernetes client's models

# (pod spec, the path podeval reports); each must also be refused by the client's pydantic model V1PodSpec
CLIENT_AGREES = [
    ({"containers": [{"name": "p", "command": "echo"}]}, "containers[name=p].command"),
    ({"containers": [{"name": "p"}], "tolerations": [{"value": 1}]}, "tolerations[0].value"),
    ({"containers": [{"name": "p"}], "hostNetwork": "true"}, "hostNetwork"),
    (
        {"containers": [{"name": "p", "ports": [{"containerPort": "80"}]}]},
        "containers[name=p].ports[containerPort=80].containerPort",
    ),
    ({"containers": [{"name": "p"}], "nodeSelector": {"a": 1}}, "nodeSelector.a"),
    ({"containers": [{"name": "p", "env": [{"value": "x"}]}]}, "containers[name=p].env[0].name"),
    ({"containers": [{"name": "p", "bogus": 1}]}, "containers[name=p].bogus"),
    ({"containers": {"name": "p"}}, "containers"),
    ({"containers": [{"name": "p"}], "affinity": []}, "affinity"),
    ({"containers": [{"name": "p"}], "securityContext": {"runAsUser": "0"}}, "securityContext.runAsUser"),
]


API_SERVER_REFUSES = {"containers[name=p].env[0].name"}


@pytest.mark.parametrize("spec, path", CLIENT_AGREES, ids=[p for _, p in CLIENT_AGREES])
def test_podeval_refuses_what_the_kubernetes_client_refuses(spec, path):
    pydantic = pytest.importorskip("pydantic")
    from kubernetes.client import V1PodSpec

    if not issubclass(V1PodSpec, pydantic.BaseModel):
        pytest.skip("this kubernetes client does not validate types (kubernetes < 37)")
    with pytest.raises(pydantic.ValidationError):
        V1PodSpec.model_validate(spec)
    scenario = {"task": {"k8sPod": {"podSpec": spec}, "config": {"primary_container_name": "p"}}}
    if path in API_SERVER_REFUSES:  # Go decodes it; the API server refuses the Pod FlytePropeller builds from it
        assert [p.path for p in engine.evaluate(scenario).problems] == ["spec." + path]
        return
    with pytest.raises(engine.PodevalError) as info:
        load_scenario(scenario)
    assert info.value.path == "task.k8sPod.podSpec." + path


def test_what_the_client_accepts_podeval_accepts_except_numeric_quantities():
    """The one intended difference: Go (FlytePropeller, the API server) reads `cpu: 1` as a quantity; the client
    wants a string."""
    pydantic = pytest.importorskip("pydantic")
    from kubernetes.client import V1PodSpec

    if not issubclass(V1PodSpec, pydantic.BaseModel):
        pytest.skip("this kubernetes client does not validate types (kubernetes < 37)")
    spec = {
        "containers": [
            {
                "name": "p",
                "image": "i",
                "command": ["a"],
                "ports": [{"containerPort": 80}],
                "resources": {"limits": {"cpu": "1"}},
            }
        ],
        "tolerations": [{"key": "k", "value": "1"}],
        "hostNetwork": True,
        "nodeSelector": {"a": "b"},
    }
    V1PodSpec.model_validate(spec)
    load_scenario({"task": {"k8sPod": {"podSpec": spec}, "config": {"primary_container_name": "p"}}})
    numeric = {"containers": [{"name": "p", "resources": {"limits": {"cpu": 1}}}]}
    load_scenario({"task": {"k8sPod": {"podSpec": numeric}, "config": {"primary_container_name": "p"}}})


# ---------------------------------------------------------------------------------------------- documentation


def documented_codes() -> set:
    """The codes in the first column of docs/errors.md's tables."""
    cells = re.findall(r"^\| (`[^|]*) \|", ERRORS_DOC.read_text(), re.MULTILINE)
    return {code for cell in cells for code in re.findall(r"`([a-z0-9_]+)`", cell)}


def test_every_code_in_the_corpus_is_documented():
    codes = {case.values[0]["code"] for case in CASES}
    assert codes - documented_codes() == set()


def test_every_code_the_validation_raises_is_documented():
    source = "".join(
        (ROOT / "engine" / name).read_text()
        for name in (
            "k8s/validate.py",
            "inputs/scenario.py",
            "inputs/scenario_normalise.py",
            "inputs/scenario_templates.py",
            "k8s/apiserver.py",
            "inputs/podtemplate_files.py",
            "eval/evaluate.py",
            "eval/transforms.py",
            "eval/containers.py",
            "eval/placement.py",
            "pack/plugin_options.py",
        )
    )
    raised = set(re.findall(r'(?:add|error|fail|Error)\(\s*"([a-z0-9_]+)"', source))
    assert raised and raised - documented_codes() == set()
