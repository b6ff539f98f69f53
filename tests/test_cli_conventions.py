"""The command line fits the habits kubectl and helm give people (issue 13, items 1 to 3): one test per convention,
each through ``engine.cli.main`` (or a subprocess where a shell's stdin or script matters).

Item 3, provenance down to the file line: every trace event and every candidate of ``explain`` names where its value
was written (the input file and line:column, the ConfigMap and its data key, the cluster object and its
resourceVersion, or the pack's own file); values print as written and as the Pod renders them; the trace's
``sources`` lists every source that contributed, in pack order; no rule id is ever missing. Expected lines are found
in the example files by their text, never written down as numbers.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import engine
from engine import __version__
from engine.cli import build_parser, main
from engine.k8s import paths
from engine.render.report_html import render_report
from engine.render.text import format_explain

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_3 = str(REPO / "examples/flyte-docs/example-3.yaml")
TASK = "task:\n  container: {image: img:1}\n"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _nested(tmp_path: Path) -> Path:
    """A folder with a scenario two levels down, and files that are not scenarios."""
    deep = tmp_path / "corpus" / "team" / "gpu"
    deep.mkdir(parents=True)
    (deep / "train.yaml").write_text(TASK + "execution: {namespace: ns, podName: train-pod}\n")
    (tmp_path / "corpus" / "README.md").write_text("not a scenario\n")
    (tmp_path / "corpus" / ".hidden.yaml").write_text(TASK)
    (tmp_path / "corpus" / "team" / "old.pod.yaml").write_text("kind: Pod\n")
    return tmp_path / "corpus"


# --- item 1: kubectl/helm conventions ----------------------------------------------------------------------------


def test_version_prints_the_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"podeval {__version__}"


def test_bare_podeval_prints_the_help_and_exits_0(capsys):
    code, out, err = run(capsys)
    assert code == 0 and err == ""
    assert out.startswith("usage: podeval") and "render" in out and "explain" in out


def test_help_command_prints_a_commands_help(capsys):
    code, out, _ = run(capsys, "help", "render")
    assert code == 0
    code_flag, out_flag, _ = run(capsys, "render", "--help")
    assert code_flag == 0 and out == out_flag and "--out DIR" in out
    code, out, _ = run(capsys, "help")
    assert code == 0 and out.startswith("usage: podeval")


def test_n_is_the_namespace(capsys):
    code, out, _ = run(capsys, "render", EXAMPLE_3, "-n", "team-b")
    assert code == 0 and yaml.safe_load(out)["metadata"]["namespace"] == "team-b"


def test_every_option_has_help_text_and_a_metavar_of_the_shared_vocabulary():
    vocabulary = {"FILE", "DIR", "N", "NAME", "NAMESPACE", "RULES", "SCENARIO", "SOURCE", "PATH", "CONTEXT", "IMAGE"}
    vocabulary |= {"MODULE:TASK", "SHELL", "COMMAND"}
    for name, parser in _subcommands(build_parser()).items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"podeval {name} {action.option_strings or action.dest}: no help text"
            takes_value = action.nargs != 0
            if takes_value and not action.choices:
                assert action.metavar in vocabulary, f"podeval {name} {action.dest}: metavar {action.metavar!r}"


def test_the_same_positional_name_for_scenarios_in_every_command():
    commands = _subcommands(build_parser())
    for name in ("render", "explain", "trace", "scenario", "check", "test", "diff"):
        positionals = [a for a in commands[name]._actions if not a.option_strings]
        assert positionals[0].dest == "scenarios" and positionals[0].metavar == "SCENARIO", name


def test_positionals_may_come_after_options(capsys):
    code, out, _ = run(capsys, "explain", EXAMPLE_3, "-n", "team-b", "metadata.namespace", "-o", "json")
    assert code == 0 and json.loads(out)["value"] == "team-b"
    example_1 = str(REPO / "examples/flyte-docs/example-1.yaml")
    code, out, _ = run(capsys, "render", example_1, "-q", EXAMPLE_3)
    assert code == 0 and len(list(yaml.safe_load_all(out))) == 2
    code, _, err = run(capsys, "render", EXAMPLE_3, "--no-such-option")
    assert code == 2 and "unrecognized arguments: --no-such-option" in err


def test_dash_is_stdin():
    done = subprocess.run(
        [sys.executable, "-m", "engine", "explain", "-", "spec.hostNetwork", "-o", "json"],
        input=Path(EXAMPLE_3).read_text(),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["value"] is True


@pytest.mark.parametrize("argument", ["a: b", "scenarios/", "no-such.yaml"])
def test_a_path_is_a_path_and_a_missing_one_is_exit_2_naming_it(capsys, tmp_path, monkeypatch, argument):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "render", argument)
    assert code == 2 and out == ""
    assert f"cannot read {argument}: No such file or directory" in err
    assert "unknown key" not in err and "expected a mapping" not in err  # never read as inline YAML


@pytest.mark.parametrize(
    "argv",
    [
        ["render"],
        ["trace"],
        ["scenario"],
        ["explain", "@", "metadata.name"],
        ["check"],
        ["test", "--update"],
        ["diff", "--rules", "flyte-v1", "--rules", "flyte-docs"],
    ],
    ids=lambda argv: argv[0],
)
def test_every_scenario_command_walks_folders_recursively(capsys, tmp_path, argv):
    folder = _nested(tmp_path)
    args = [str(folder) if a == "@" else a for a in argv]
    if "@" not in argv:
        args.append(str(folder))
    code, out, err = run(capsys, *args)
    assert code == 0, err
    if argv[0] == "test":
        assert (folder / "team" / "gpu" / "train.pod.yaml").exists()
    elif argv[0] in ("render", "explain", "trace", "scenario"):
        assert "train-pod" in out or "img:1" in out
    elif argv[0] == "diff":
        assert "1 scenario:" in out
    assert ".hidden" not in out + err and "README" not in out + err  # not taken, and said only with -v


def test_verbose_says_which_files_were_skipped(capsys, tmp_path):
    folder = _nested(tmp_path)
    code, _, err = run(capsys, "render", folder, "-v")
    assert code == 0
    assert f"skipped {folder / 'README.md'}: not .yaml, .yml, .json" in err
    assert f"skipped {folder / '.hidden.yaml'}: a hidden file" in err
    assert f"skipped {folder / 'team' / 'old.pod.yaml'}: a golden of podeval test" in err
    code, _, err = run(capsys, "test", folder, "--update", "-v")
    assert code == 0 and "skipped" in err and "README.md" in err


def test_render_file_out_dir_writes_into_dir(capsys, tmp_path):
    code, out, _ = run(capsys, "render", EXAMPLE_3, "--out", tmp_path / "pods")
    assert code == 0 and out == ""
    single = yaml.safe_load(run(capsys, "render", EXAMPLE_3)[1])
    assert yaml.safe_load((tmp_path / "pods" / "example-3.pod.yaml").read_text()) == single
    folder = _nested(tmp_path)
    code, _, _ = run(capsys, "render", folder, "--out", tmp_path / "nested")
    assert code == 0 and (tmp_path / "nested" / "team" / "gpu" / "train.pod.yaml").exists()


@pytest.mark.parametrize("command", ["render", "explain", "trace", "scenario", "test", "diff"])
def test_the_separate_file_flags_work_for_every_scenario_command(capsys, tmp_path, command):
    task = tmp_path / "task.yaml"
    task.write_text(TASK + "execution: {podName: my-pod}\n")
    templates = tmp_path / "templates.yaml"
    templates.write_text(
        "apiVersion: v1\nkind: PodTemplate\nmetadata: {name: base, namespace: team-c}\n"
        "template:\n  metadata: {labels: {from-template: 'yes'}}\n"
        "  spec: {containers: [{name: default, image: tmpl:1}]}\n"
    )
    config = tmp_path / "config.yaml"
    config.write_text("plugins:\n  k8s:\n    default-pod-template-name: base\n")
    parts = ["--task", task, "-n", "team-c", "--pod-templates", templates, "--propeller-config", config]
    if command in ("render", "trace", "scenario"):
        code, out, err = run(capsys, command, *parts)
        assert code == 0, err
        assert "team-c" in out and ("from-template" in out or command == "scenario")
    elif command == "explain":
        code, out, err = run(capsys, "explain", *parts, "metadata.labels.from-template")
        assert code == 0, err
        assert '"yes"' in out and "runtime-template" in out
    else:  # test and diff lay the separate files over each scenario of the corpus
        (tmp_path / "corpus").mkdir()
        (tmp_path / "corpus" / "case.yaml").write_text(TASK + "execution: {podName: my-pod}\n")
        if command == "test":
            code, out, err = run(capsys, "test", tmp_path / "corpus", "--update", "--task", task, "-n", "team-c")
            golden = yaml.safe_load((tmp_path / "corpus" / "case.pod.yaml").read_text())
            assert code == 0 and golden["metadata"]["namespace"] == "team-c", err
        else:  # diff: two --pod-templates are its sides; -n (the namespace the templates live in) is laid over
            newer = tmp_path / "newer.yaml"
            newer.write_text(templates.read_text().replace("'yes'", "'no'"))
            code, out, err = run(
                capsys, "diff", tmp_path / "corpus", "-n", "team-c", "--propeller-config", config,
                "--pod-templates", templates, "--pod-templates", newer,
            )  # fmt: skip
            assert code == 0 and "1 changed" in out, out + err
            assert "metadata.labels.from-template" in out and '"yes"' in out and '"no"' in out


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_shell_completion_by_shtab(capsys, shell):
    code, out, _ = run(capsys, "completion", shell)
    assert code == 0
    assert "shtab" in out and "--propeller-config" in out and "explain" in out
    if shell == "bash":
        checked = subprocess.run(["bash", "-n"], input=out, capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stderr
    else:
        assert out.startswith("#compdef podeval")


@pytest.mark.parametrize(
    "argv",
    [
        ["render", EXAMPLE_3, "--trace", "@/trace.json"],
        ["render", EXAMPLE_3, "--html", "@/report.html"],
        ["render", EXAMPLE_3, "--out", "@/pods"],
        ["test", str(REPO / "examples/golden"), "--junit", "@/junit.xml"],
        [
            "diff",
            "--rules",
            "flyte-v1",
            "--rules",
            "flyte-docs",
            str(REPO / "examples/flyte-docs"),
            "--html",
            "@/d.html",
        ],
    ],
    ids=["trace", "html", "out", "junit", "diff-html"],
)
@pytest.mark.parametrize("where", ["missing-folder", "under-a-file"])
def test_an_output_that_cannot_be_written_is_exit_2_before_anything_is_printed(capsys, tmp_path, argv, where):
    if where == "missing-folder":
        base, reason = tmp_path / "no-such-folder", "No such file or directory"
    else:
        base, reason = tmp_path / "a-file", "Not a directory"
        base.write_text("")
    args = [a.replace("@", str(base)) for a in argv]
    target = next(a for a in args if a.startswith(str(base)))
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert target in err and reason in err and "internal error" not in err


def test_counts_agree_with_their_nouns(capsys, tmp_path):
    _, _, err = run(capsys, "render", EXAMPLE_3, "--out", tmp_path / "one")
    assert "1 scenario in" in err
    _, _, err = run(capsys, "render", REPO / "examples/flyte-docs", "--out", tmp_path / "three", "-j", "1")
    assert "3 scenarios in" in err
    (tmp_path / "case.yaml").write_text(TASK)
    _, out, _ = run(capsys, "test", tmp_path / "case.yaml", "--update")
    assert "1 case:" in out


# --- item 2: paths users type ------------------------------------------------------------------------------------


def test_explain_an_index_is_resolved_to_the_key_it_addresses_and_said_so(capsys):
    code, out, _ = run(capsys, "explain", EXAMPLE_3, "spec.containers[0].image")
    assert code == 0
    assert out.splitlines()[0] == "note: containers[0] is containers[name=primary]"
    assert "spec.containers[name=primary].image" in out
    assert "owner: compile-time" in out
    won = next(line for line in out.splitlines() if line.strip().startswith("won"))
    assert "a.b.c/image:v1" in won


def test_explain_a_bare_value_in_brackets_is_the_items_key(capsys):
    code, out, _ = run(capsys, "explain", EXAMPLE_3, "spec.containers[primary].image", "-o", "json")
    data = json.loads(out)
    assert code == 0 and data["path"] == "spec.containers[name=primary].image" and data["owner"] == "compile-time"
    assert data["notes"] == ["containers[primary] is read as containers[name=primary]"]
    code, keyed, _ = run(capsys, "explain", EXAMPLE_3, "spec.containers[name=primary].image", "-o", "json")
    assert {k: v for k, v in data.items() if k not in ("asked", "notes")} == json.loads(keyed)


def test_a_path_that_addresses_nothing_lists_the_nearest_paths(capsys):
    code, out, err = run(capsys, "explain", EXAMPLE_3, "spec.contaners[name=primary].image")
    assert code == 2 and out == ""
    assert "error[unknown_path]" in err and "spec.containers[name=primary].image" in err
    code, _, err = run(capsys, "explain", EXAMPLE_3, "spec.containers[name=main].image")
    assert code == 2 and "nearest paths it has: spec.containers[name=primary].image" in err
    code, out, _ = run(capsys, "explain", EXAMPLE_3, "spec.dnsPolicy")  # a field nobody set is still a field
    assert code == 0 and "not in the Pod" in out


def test_the_path_syntax_is_in_the_help_and_the_readme(capsys):
    _, out, _ = run(capsys, "explain", "--help")
    readme = (REPO / "README.md").read_text()
    for form in ("spec.containers[name=primary].image", "spec.containers[primary].image", "spec.containers[0].image"):
        assert form in out and form in readme


# ----------------------------------------------------------------------------------------------------
# item 3: provenance down to the file line

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml")) + sorted((ROOT / "examples" / "flyte-docs").glob("*.yaml"))
EXAMPLE_3 = ROOT / "examples" / "flyte-docs" / "example-3.yaml"
PLACE = re.compile(r"^\S+:\d+:\d+( \(.+\))?$")


def position(path: Path, line_text: str, value: str) -> str:
    """``file:line:col`` of ``value`` on the first line of ``path`` that contains ``line_text``."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line_text in line:
            return f"{path}:{number}:{line.index(value, line.index(line_text)) + 1}"
    raise AssertionError(f"{line_text!r} is not in {path}")


def podeval(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_event_names_the_file_and_line_of_its_value(example):
    trace = engine.evaluate(example).trace.to_dict()
    for event in trace["events"]:
        assert PLACE.match(event.get("where") or ""), event
        if "previous" in event:
            assert PLACE.match(event.get("previousWhere") or ""), event
        if "rejected" in event:
            assert PLACE.match(event["rejected"].get("where") or ""), event


def test_each_candidate_names_where_it_was_written():
    trace = engine.evaluate(EXAMPLE_3).trace
    candidates = {c["source"]: c for c in trace.explain("metadata.labels.label_1")["candidates"]}
    assert candidates["compile-time"]["outcome"] == "won"
    assert candidates["compile-time"]["where"] == position(EXAMPLE_3, "labels: {label_1: value-compile", "value")
    assert candidates["runtime-template"]["where"] == position(EXAMPLE_3, "labels: {label_1: value-runtime", "value")
    assert candidates["k8s-plugin"]["where"] == position(EXAMPLE_3, "default-labels: {label_1", "value")


def test_a_value_the_pack_supplies_names_the_pack_file_and_the_rule():
    trace = engine.evaluate(EXAMPLE_3).trace
    [candidate] = trace.explain("spec.restartPolicy")["candidates"]
    pack = ROOT / "rules" / "flyte-v1" / "pack.yaml"
    line = position(pack, "rule: restart-policy", "rule").split(":", 1)[1]
    assert candidate["where"] == f"rules/flyte-v1/pack.yaml:{line} (rule restart-policy)"


def test_a_value_is_shown_as_written_and_as_rendered():
    """The k8s-plugin candidate of the cpu request is the built-in default "1000m" that the Pod prints as "1"."""
    explanation = engine.evaluate(EXAMPLE_3).trace.explain("spec.containers[name=primary].resources.requests.cpu")
    [candidate] = explanation["candidates"]
    assert (explanation["value"], candidate["value"], candidate["rendered"]) == ("1", "1000m", "1")
    config = ROOT / "rules" / "flyte-v1" / "plugin-config.yaml"
    line = position(config, "default-cpus:", "1000m").split(":", 1)[1]
    assert candidate["where"] == f"rules/flyte-v1/plugin-config.yaml:{line} (built-in default of default-cpus)"
    text = format_explain(explanation)
    assert '"1000m" -> "1"' in text and f"from rules/flyte-v1/plugin-config.yaml:{line}" in text


def test_a_value_written_alike_is_not_shown_twice():
    explanation = engine.evaluate(EXAMPLE_3).trace.explain("metadata.labels.label_1")
    assert all("rendered" not in c for c in explanation["candidates"])


def test_a_configmap_key_is_named_with_its_data_key(tmp_path):
    configmap = tmp_path / "propeller-cm.yaml"
    configmap.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flyte-propeller-config, namespace: flyte}\n"
        "data:\n  k8s.yaml: |\n    plugins:\n      k8s:\n        default-cpus: 500m\n"
    )
    trace = tmp_path / "trace.json"
    done = podeval("render", str(EXAMPLE_3), "--propeller-config", str(configmap), "--trace", str(trace), "-o", "json")
    assert done.returncode == 0, done.stderr
    [event] = [
        e
        for e in json.loads(trace.read_text())["events"]
        if e["path"] == "spec.containers[name=primary].resources.requests.cpu"
    ]
    assert event["value"] == "500m"
    assert event["where"] == f"{configmap}:8:23 (ConfigMap flyte/flyte-propeller-config, data[k8s.yaml])"


def test_a_cluster_object_is_named_with_its_resource_version():
    scenario = {
        "task": {"container": {"image": "img:1"}},
        "execution": {"namespace": "ns", "podName": "p"},
        "propeller": {"config": {"default-pod-template-name": "t"}},
        "podTemplates": [
            {
                "apiVersion": "v1",
                "kind": "PodTemplate",
                "metadata": {"name": "t", "namespace": "ns", "resourceVersion": "42"},
                "template": {"metadata": {"labels": {"team": "ml"}}, "spec": {"containers": [{"name": "default"}]}},
            }
        ],
    }
    [candidate] = engine.evaluate(scenario).trace.explain("metadata.labels.team")["candidates"]
    assert candidate["where"] == "PodTemplate ns/t resourceVersion 42 template.metadata.labels.team"


def test_sources_lists_every_source_that_contributed_in_pack_order():
    result = engine.evaluate(EXAMPLE_3)
    trace = result.trace.to_dict()
    listed = [s["id"] for s in trace["sources"]]
    contributed = {e["source"] for e in trace["events"]}
    assert contributed <= set(listed)
    assert {"k8s-plugin", "compile-time", "runtime-template", "execution", "flyte"} <= set(listed)
    assert listed == [s for s in result.rules.sources if s in listed]  # the pack's order
    for source in trace["sources"]:
        assert source["label"] and source["origin"], source


def test_no_rule_is_none_for_a_list_a_config_option_filled(tmp_path):
    """``diff`` named the owner of a whole ``env`` list with ``rule None``: a map or list field's rule is the
    rule of the leaves below it."""
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text("default-cpus: 500m\n")
    new.write_text("default-cpus: 500m\ndefault-env-vars:\n  - {FOO: bar}\n")
    done = podeval("diff", "--propeller-config", str(old), "--propeller-config", str(new), str(EXAMPLE_3), "-o", "json")
    assert "None" not in done.stdout and "null" not in done.stdout.split('"summary"')[0], done.stdout
    text = podeval("diff", "--propeller-config", str(old), "--propeller-config", str(new), str(EXAMPLE_3)).stdout
    assert "[k8s-plugin / rule default-env-vars]" in text and "rule None" not in text


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_field_and_its_ancestors_have_a_rule(example):
    result = engine.evaluate(example)
    trace = result.trace
    seen = set()
    for leaf in trace.owners:
        segments = paths.parse(leaf)
        for end in range(1, len(segments) + 1):
            prefix = paths.render(segments[:end])
            if prefix in seen:
                continue
            seen.add(prefix)
            explanation = trace.explain(prefix)
            if explanation["present"]:
                assert explanation["rule"], (prefix, explanation)
                assert all(c["rule"] for c in explanation["candidates"]), (prefix, explanation)


def test_the_html_report_line_names_where_its_value_came_from():
    result = engine.evaluate(EXAMPLE_3)
    html = render_report(result, result.rules)
    expected = position(EXAMPLE_3, "labels: {label_1: value-compile", "value")
    assert f'data-line="metadata.labels.label_1" data-owner="compile-time" data-where="{expected}"' in html
    buttons = re.findall(r'<button type="button" class="field"[^>]*>', html)
    assert buttons and all("data-where=" in b for b in buttons), [b for b in buttons if "data-where=" not in b]


#: rules that compute a value from their inputs (the shard key from the execution id): it is placed at the input
#: it was built from, whose text is not the value
COMPUTED = {"system-labels.apply"}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_a_value_placed_in_the_scenario_file_is_written_there(example):
    """Where a string value is placed in the example's own file, the file has that value at that line and column
    (quoted or not); values from other sources' inputs are not taken for it."""
    lines = example.read_text().splitlines()
    trace = engine.evaluate(example).trace.to_dict()
    checked = 0
    for event in trace["events"]:
        places = [(event.get("where"), event.get("value"))]
        places.append((event.get("previousWhere"), event.get("previous")))
        places.append(((event.get("rejected") or {}).get("where"), (event.get("rejected") or {}).get("value")))
        for where, value in places:
            found = re.fullmatch(r"(.+):(\d+):(\d+)", where or "")
            if event["rule"] in COMPUTED or not found or found[1] != str(example) or not isinstance(value, str):
                continue
            text = lines[int(found[2]) - 1][int(found[3]) - 1 :]
            assert text.startswith((value, json.dumps(value), f"'{value}")), (event, text)
            checked += 1
    assert checked > 0


@pytest.mark.parametrize(
    "argv",
    [
        ["render", EXAMPLE_3, "--out", "{out}"],
        ["test", EXAMPLE_3],
        ["diff", "--rules", "flyte-v1", "--rules", "flyte-v2", EXAMPLE_3],
        ["migrate-report", EXAMPLE_3],
    ],
    ids=["render", "test", "diff", "migrate-report"],
)
@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_every_jobs_option_refuses_what_is_not_a_count_of_processes(capsys, tmp_path, argv, jobs):
    """``-j/--jobs`` is one option (``cli_args.add_jobs_option``) for every command that takes it: anything but a
    whole number of at least 1 is a usage error (exit 2) naming the option, before any scenario is read."""
    code, out, err = run(capsys, *[str(a).replace("{out}", str(tmp_path / "out")) for a in argv], "--jobs", jobs)
    assert code == 2
    assert out == ""
    assert "argument -j/--jobs" in err
    assert ("at least 1 process" if jobs != "two" else "expected a whole number of processes") in err
    assert not (tmp_path / "out").exists()
