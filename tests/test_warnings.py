"""Inputs that did nothing are said out loud (issue 11, item 9; docs/errors.md "Warnings").

Each warning kind, through the command line: its line on stderr (file:line:col of the input, its path, the facts
the user needs), its ``warn`` event in the trace (op, path, source), and ``-q``, which silences stderr but not the
trace. What FlytePropeller does in each case is read from Flyte's code at 89cf9cc (cited beside each scenario); the
Pod is asserted too, so that a warning never stands in for the behaviour it reports.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

import engine
from engine.cli import main
from engine.render.report_html import render_report

TASK = {"type": "python-task", "container": {"image": "img:1"}}
EXECUTION = {"namespace": "ns", "podName": "pod-1"}


def template(name, namespace, containers, **spec):
    return {
        "apiVersion": "v1",
        "kind": "PodTemplate",
        "metadata": {"name": name, "namespace": namespace},
        "template": {"spec": {"containers": containers, **spec}},
    }


def write(tmp_path, data, name="scenario.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def position(path, text, occurrence=1):
    """1-based line and column of the ``occurrence``-th ``text`` in the file (where the input was written)."""
    with open(path) as file:
        lines = file.read().splitlines()
    found = [(number, line.index(text) + 1) for number, line in enumerate(lines, 1) if text in line]
    return found[occurrence - 1]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- the kinds --------------------------------------------------------------------------------------------------

# getBasePodTemplate (flytek8s/pod_helper.go): without the task's pod_template_name, the default name is looked up
# with PodTemplateStore.LoadOrDefault (pod_template_store.go): the execution namespace, then FlytePropeller's own
# (SetDefaultNamespace(POD_NAMESPACE), controller.go); nil means no merge, and no error.
DEFAULT_NAME_TYPO = {
    "task": TASK,
    "execution": EXECUTION,
    "propeller": {"namespace": "flyte", "config": {"default-pod-template-name": "flyte-templat"}},
    "podTemplates": [
        template("flyte-template", "flyte", [{"name": "default", "image": "tpl", "terminationMessagePath": "/dev/tpl"}])
    ],
}

# The informer watches every namespace (NewSharedInformerFactoryWithOptions without WithNamespace, controller.go),
# but LoadOrDefault only reads the two namespaces above: a template elsewhere is never used.
THIRD_NAMESPACE = {
    "task": TASK,
    "execution": EXECUTION,
    "propeller": {"namespace": "flyte", "config": {"default-pod-template-name": "base"}},
    "podTemplates": [
        template("base", "team-a", [{"name": "default", "image": "tpl", "terminationMessagePath": "/dev/tpl"}])
    ],
}

# MergeBasePodSpecOntoTemplate (pod_helper.go): the merged containers are built from the task's containers only; a
# template container shapes one when it is named default, primary (for the primary container) or like it.
UNMATCHED_CONTAINER = {
    "task": TASK,
    "execution": EXECUTION,
    "propeller": {"namespace": "flyte", "config": {"default-pod-template-name": "base"}},
    "podTemplates": [
        template("base", "flyte", [{"name": "default", "image": "tpl"}, {"name": "sidecar", "image": "side"}])
    ],
}

# flyte#6733 (MergeBasePodSpecOntoTemplate): the name-matching loop skips the primary container
# (`container.Name == primaryContainerName ... continue`): a template container named like it shapes nothing.
NAMED_LIKE_PRIMARY = {
    "task": {
        "type": "python-task",
        "container": {"image": "img:1"},
        "podTemplateName": "base",
        "podTemplate": {"primaryContainerName": "main", "podSpec": {"containers": [{"name": "main"}]}},
    },
    "execution": EXECUTION,
    "propeller": {"namespace": "flyte"},
    "podTemplates": [
        template("base", "flyte", [{"name": "main", "image": "tpl", "terminationMessagePath": "/dev/tpl"}])
    ],
}

# MergeWithBasePodTemplate's node-selector terms (the warning that was there before this item): they are appended
INTERRUPTIBLE_TERMS = {
    "task": TASK,
    "execution": {**EXECUTION, "interruptible": True},
    "propeller": {
        "namespace": "flyte",
        "config": {
            "default-pod-template-name": "base",
            "interruptible-node-selector-requirement": {"key": "spot", "operator": "Exists"},
        },
    },
    "podTemplates": [
        template(
            "base",
            "flyte",
            [{"name": "default", "image": "tpl"}],
            affinity={
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [{"matchExpressions": [{"key": "pool", "operator": "Exists"}]}]
                    }
                }
            },
        )
    ],
}

TERMS = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"

KINDS = {
    "default-name-matches-nothing": (
        DEFAULT_NAME_TYPO,
        "propeller.config.default-pod-template-name",
        "k8s-plugin",
        ("flyte-templat", 1),
        [
            "'flyte-templat' matches no PodTemplate",
            "namespace 'ns' (the execution's), then 'flyte' (its own)",
            "merges no runtime template",
            "did you mean 'flyte-template'?",
        ],
    ),
    "template-in-a-third-namespace": (
        THIRD_NAMESPACE,
        "propeller.config.default-pod-template-name",
        "k8s-plugin",
        ("base", 1),
        [
            "'base' matches no PodTemplate",
            "namespace 'ns' (the execution's), then 'flyte' (its own)",
            "a PodTemplate 'base' is in namespace 'team-a', where FlytePropeller does not look",
        ],
    ),
    "template-container-matches-nothing": (
        UNMATCHED_CONTAINER,
        "podTemplates[0].template.spec.containers[name=sidecar]",
        "runtime-template",
        ("name: sidecar", 1),
        ["PodTemplate flyte/base", "template container 'sidecar'", "Flyte ignores it", "matches no task container"],
    ),
    "template-container-named-like-the-primary": (
        NAMED_LIKE_PRIMARY,
        "podTemplates[0].template.spec.containers[name=main]",
        "pod-template-name",
        ("name: main", 2),
        ["PodTemplate flyte/base", "template container 'main'", "Flyte ignores it", "flyte#6733"],
    ),
    "template-node-selector-terms": (INTERRUPTIBLE_TERMS, TERMS, "runtime-template", None, ["Kubernetes ORs"]),
}


@pytest.mark.parametrize("kind", KINDS)
def test_each_warning_is_one_line_on_stderr_a_warn_event_and_quiet_with_q(kind, capsys, tmp_path):
    data, path, source, written, facts = KINDS[kind]
    scenario = write(tmp_path, data)
    code, out, err = run(capsys, "render", scenario)
    assert code == 0 and yaml.safe_load(out)["kind"] == "Pod"
    [line] = err.splitlines()
    # errors' format: podeval: warning: FILE:LINE:COL: PATH: MESSAGE; the input's own line when it has one
    where = f"{scenario}:{':'.join(map(str, position(scenario, *written)))}" if written else scenario
    assert line.startswith(f"podeval: warning: {where}: {path}: "), line
    for fact in facts:
        assert fact in line

    code, out, _ = run(capsys, "trace", scenario, "-o", "json", "-q")
    warns = [e for e in json.loads(out)["events"] if e["op"] == "warn"]
    assert [(e["op"], e["path"], e["source"]) for e in warns] == [("warn", path, source)]

    trace_file = tmp_path / "trace.json"
    code, out, err = run(capsys, "render", scenario, "-q", "--trace", trace_file)
    assert code == 0 and out and err == ""
    events = json.loads(trace_file.read_text())["events"]
    assert [(e["path"], e["source"]) for e in events if e["op"] == "warn"] == [(path, source)]
    assert run(capsys, "explain", scenario, "metadata.name", "--quiet")[2] == ""


@pytest.mark.parametrize(
    "command",
    [
        ("render",),
        ("explain", "spec.containers[name=pod-1].image"),
        ("trace",),
        ("trace", "-o", "json"),
        ("render", "--html", "REPORT"),
    ],
)
def test_every_command_prints_each_warning_once(command, capsys, tmp_path):
    scenario = write(tmp_path, UNMATCHED_CONTAINER)
    argv = [str(tmp_path / "r.html") if a == "REPORT" else a for a in command]
    code, _, err = run(capsys, argv[0], scenario, *argv[1:])
    assert code == 0
    assert len(err.splitlines()) == 1 and err.count("podeval: warning:") == 1
    assert run(capsys, argv[0], scenario, *argv[1:], "-q")[2] == ""


# --- what each warning says, and what Flyte does -----------------------------------------------------------------


def test_an_unmatched_default_name_merges_nothing():
    result = engine.evaluate(DEFAULT_NAME_TYPO)
    [container] = result.pod["spec"]["containers"]
    assert container["image"] == "img:1" and "terminationMessagePath" not in container
    assert "runtime-template" not in {s["id"] for s in result.trace.sources}
    [warning] = result.warnings
    assert warning.value == "flyte-templat"
    # the same evaluation without a trace keeps the warning (render without --trace prints it)
    assert [{**w.to_dict(), "seq": warning.seq} for w in engine.evaluate(DEFAULT_NAME_TYPO, trace=False).warnings] == [
        warning.to_dict()
    ]


def test_a_template_in_a_third_namespace_is_not_used_and_in_the_looked_in_namespace_it_is():
    result = engine.evaluate(THIRD_NAMESPACE)
    assert "terminationMessagePath" not in result.pod["spec"]["containers"][0]
    [warning] = result.warnings
    assert "did you mean" not in warning.note  # nothing close in 'ns' or 'flyte'
    assert "neither namespace has any PodTemplate" in warning.note
    moved = {
        **THIRD_NAMESPACE,
        "podTemplates": [
            template("base", "ns", [{"name": "default", "image": "tpl", "terminationMessagePath": "/dev/tpl"}])
        ],
    }
    result = engine.evaluate(moved)
    assert result.pod["spec"]["containers"][0]["terminationMessagePath"] == "/dev/tpl" and result.warnings == []


def test_no_pod_templates_at_all_says_so():
    [warning] = engine.evaluate(
        {"task": TASK, "execution": EXECUTION, "propeller": {"config": {"default-pod-template-name": "base"}}}
    ).warnings
    assert "the scenario has no PodTemplates at all" in warning.note


def test_an_unmatched_template_container_is_not_in_the_pod_and_the_drop_stays_in_the_trace():
    result = engine.evaluate(UNMATCHED_CONTAINER)
    assert [c["name"] for c in result.pod["spec"]["containers"]] == ["pod-1"]
    assert result.pod["spec"]["containers"][0]["image"] == "img:1"
    drops = [e.path_text for e in result.trace.events if e.op == "drop"]
    assert "spec.containers[name=sidecar]" in drops  # the trace's own fact (contract §4); the warning names the input
    [warning] = result.warnings
    assert warning.value == {"name": "sidecar", "image": "side"}


def test_a_template_container_named_like_the_primary_is_ignored_flyte_6733():
    result = engine.evaluate(NAMED_LIKE_PRIMARY)
    [container] = result.pod["spec"]["containers"]
    assert container["name"] == "main" and "terminationMessagePath" not in container
    [warning] = result.warnings
    assert warning.path_text == "podTemplates[0].template.spec.containers[name=main]"


def test_role_containers_without_a_container_to_shape_are_not_warned_about():
    # 'default-init' applies to every init container the task has; with none it simply has nothing to shape
    data = {
        **UNMATCHED_CONTAINER,
        "podTemplates": [
            template(
                "base",
                "flyte",
                [{"name": "default", "image": "tpl"}],
                initContainers=[{"name": "default-init", "image": "i"}],
            )
        ],
    }
    result = engine.evaluate(data)
    assert result.warnings == []
    assert any(e.op == "drop" and e.path_text == "spec.initContainers[name=default-init]" for e in result.trace.events)
    # any other init container of the template does nothing as well, and is said
    data["podTemplates"][0]["template"]["spec"]["initContainers"].append({"name": "warmup", "image": "w"})
    [warning] = engine.evaluate(data).warnings
    assert warning.path_text == "podTemplates[0].template.spec.initContainers[name=warmup]"
    assert "initContainers" not in engine.evaluate(data).pod["spec"]


def test_a_missing_pod_template_name_is_flytes_error_with_the_nearest_name_not_a_warning(capsys, tmp_path):
    # getBasePodTemplate: a named template LoadOrDefault cannot find is BadTaskSpecification "PodTemplate '%s' does
    # not exist": the task fails, so this is exit 3, and the hint carries what a warning would have said
    data = {
        **THIRD_NAMESPACE,
        "task": {**TASK, "podTemplateName": "bse"},
        "podTemplates": THIRD_NAMESPACE["podTemplates"]
        + [template("base", "flyte", [{"name": "default"}]), template("bse", "team-b", [{"name": "default"}])],
    }
    scenario = write(tmp_path, data)
    code, out, err = run(capsys, "render", scenario)
    assert code == 3 and out == ""
    [line] = err.splitlines()
    line_number, _ = position(scenario, "podTemplateName: bse")
    assert line.startswith(f"podeval: error[pod_template_not_found]: {scenario}:{line_number}:")
    assert "PodTemplate 'bse' does not exist" in line
    assert "a PodTemplate 'bse' is in namespace 'team-b', where FlytePropeller does not look" in line
    assert "did you mean 'base'?" in line and "warning" not in line


def test_warnings_of_separate_files_are_located_in_the_file_of_each_input(capsys, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("plugins:\n  k8s:\n    default-pod-template-name: basse\n")
    templates = tmp_path / "templates.yaml"
    templates.write_text(yaml.safe_dump_all([template("base", "flyte", [{"name": "default"}])]))
    task = tmp_path / "task.yaml"
    task.write_text(yaml.safe_dump(TASK))
    code, _, err = run(
        capsys,
        "render",
        "--task",
        task,
        "--pod-templates",
        templates,
        "--propeller-config",
        config,
        "--namespace",
        "ns",
    )
    assert code == 0
    assert err.startswith(f"podeval: warning: {config}:3:32: propeller.config.default-pod-template-name: ")
    assert "did you mean 'base'?" in err
    config.write_text("plugins:\n  k8s:\n    default-pod-template-name: base\n")
    templates.write_text(yaml.safe_dump_all([template("base", "flyte", [{"name": "default"}, {"name": "noop"}])]))
    code, _, err = run(
        capsys,
        "render",
        "--task",
        task,
        "--pod-templates",
        templates,
        "--propeller-config",
        config,
        "--namespace",
        "ns",
    )
    line, column = position(str(templates), "name: noop")
    assert err.startswith(
        f"podeval: warning: {templates}:{line}:{column}: podTemplates[0].template.spec.containers[name=noop]: "
    )


def test_a_folder_render_prints_each_files_warnings_unless_quiet(capsys, tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    typo = write(folder, DEFAULT_NAME_TYPO, "typo.yaml")
    write(folder, {"task": TASK, "execution": EXECUTION}, "clean.yaml")
    code, _, err = run(capsys, "render", folder, "--out", tmp_path / "pods", "--jobs", "1")
    assert code == 0
    warnings = [line for line in err.splitlines() if line.startswith("podeval: warning:")]
    assert len(warnings) == 1 and warnings[0].startswith(f"podeval: warning: {typo}:")
    code, _, err = run(capsys, "render", folder, "--out", tmp_path / "pods", "--jobs", "1", "-q")
    assert "warning" not in err and "2 scenarios" in err


def test_the_html_report_lists_a_warned_input_once_under_warnings_with_its_location(tmp_path):
    scenario = write(tmp_path, UNMATCHED_CONTAINER)
    html = render_report(result := engine.evaluate(scenario), result.rules)
    no_effect = html[html.index('id="no-effect-heading"') : html.index('id="warnings-heading"')]
    warnings = html[html.index('id="warnings-heading"') : html.index("</section>", html.index('id="warnings-heading"'))]
    assert "sidecar" not in no_effect
    line, column = position(scenario, "name: sidecar")
    assert f"{scenario}:{line}:{column}" in warnings
    assert re.search(r"podTemplates\[0\]\.template\.spec\.containers\[name=sidecar\]", warnings)


def test_flytes_refusal_is_located_in_the_task_file_it_came_from(capsys, tmp_path):
    # the same locator serves warnings and exit-3 errors of scenarios assembled from separate files
    task = tmp_path / "task.yaml"
    task.write_text(yaml.safe_dump({**TASK, "podTemplateName": "gpu"}))
    code, out, err = run(capsys, "render", "--task", task, "--namespace", "ns")
    line, column = position(str(task), "gpu")
    assert code == 3 and out == ""
    assert err.startswith(f"podeval: error[pod_template_not_found]: {task}:{line}:{column}: task.podTemplateName: ")
