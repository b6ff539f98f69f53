"""`podeval check`: every problem of a pack at once, with file:line:col and rule id; exit 0 / 1 / 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from engine.cli import main
from engine.pack.pack_chain import shipped_packs
from engine.pack.pack_schema import SCHEMA_FILE
from engine.tools import check as check_module
from engine.tools.check import check_pack

RULES = Path(__file__).resolve().parent.parent / "rules"


def copy_pack(tmp_path: Path, name: str = "flyte-v1") -> Path:
    target = tmp_path / name
    shutil.copytree(RULES / name, target)
    return target


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=200))


def step(data: dict, step_id: str) -> dict:
    return next(s for s in data["steps"] if s["id"] == step_id)


def rule(data: dict, rule_id: str) -> dict:
    return next(r for s in data["steps"] for r in s["apply"] if r["rule"] == rule_id)


def line_of(path: Path, text: str) -> int:
    lines = path.read_text().splitlines()
    found = [number for number, line in enumerate(lines, 1) if text in line]
    assert len(found) == 1, f"{text!r} is on lines {found}"
    return found[0]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def minimal_pack(tmp_path: Path, steps: list | None = None, sources: list | None = None) -> Path:
    folder = tmp_path / "mini"
    folder.mkdir()
    (folder / "pack.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "mini",
                "sources": sources or [{"id": "task-container"}, {"id": "flyte"}],
                "steps": steps
                or [
                    {
                        "id": "build",
                        "uses": ["task-container"],
                        "apply": [
                            {
                                "rule": "image",
                                "source": "task-container",
                                "layer": {
                                    "at": "spec.containers",
                                    "select": "[{name: 'main', image: task.container.image}]",
                                },
                            }
                        ],
                    },
                    {
                        "id": "defaults",
                        "after": ["build"],
                        "uses": ["flyte"],
                        "apply": [
                            {
                                "rule": "restart-policy",
                                "source": "flyte",
                                "layer": {"at": "spec.restartPolicy", "value": "Never", "position": "under"},
                            }
                        ],
                    },
                ],
            },
            sort_keys=False,
        )
    )
    (folder / "profiles.yaml").write_text("profiles:\n  mergo: {default: mergo}\n")
    (folder / "plugin-config.yaml").write_text("options: {}\n")
    return folder


# --------------------------------------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once_with_position_and_rule(tmp_path, capsys):
    pack = copy_pack(tmp_path)
    edit(
        pack / "profiles.yaml",
        lambda d: d["profiles"]["pod-spec"]["paths"]["containers"].update(strategy="template-containerz"),
    )
    edit(
        pack / "pack.yaml",
        lambda d: (
            rule(d, "require-primary-container").update(transform="require-primary-containr"),
            rule(d, "default-labels").update(when='config."default-labels" ||'),
            rule(d, "namespace").update(colour="blue"),
            step(d, "build-raw-pod").update(after=["object-metadata"]),  # a cycle
        ),
    )
    report = check_pack(pack)
    assert report.exit_code == 1
    by_code = {f.code: f for f in report.findings}
    assert {"unknown_strategy", "unknown_transform", "jmespath_invalid", "pack_unknown_key", "cycle"} <= set(by_code)

    strategy = by_code["unknown_strategy"]
    assert strategy.file == str(pack / "profiles.yaml") and strategy.rule == "pod-spec:containers"
    assert strategy.line == line_of(pack / "profiles.yaml", "template-containerz") and strategy.column
    assert "template-containers" in strategy.hint
    transform = by_code["unknown_transform"]
    assert (transform.rule, transform.line) == (
        "require-primary-container",
        line_of(pack / "pack.yaml", "require-primary-containr"),
    )
    jmespath = by_code["jmespath_invalid"]
    assert jmespath.rule == "default-labels" and jmespath.path.endswith(".when")
    unknown = by_code["pack_unknown_key"]
    assert unknown.rule == "namespace" and unknown.line == line_of(pack / "pack.yaml", "colour")
    assert "object-metadata" in by_code["cycle"].message

    code, out, _ = run(capsys, "check", "--rules", str(pack))
    assert code == 1
    assert f"{pack / 'profiles.yaml'}:{strategy.line}:{strategy.column}: unknown_strategy" in out
    assert "[rule require-primary-container]" in out and out.strip().endswith("problems")


def test_graph_problems_unused_source_disconnected_step_unordered_writers(tmp_path):
    pack = copy_pack(tmp_path)

    def change(d):
        d["sources"].append({"id": "nobody-uses-me", "label": "an orphan"})
        d["steps"].append(
            {
                "id": "team-labels",
                "uses": ["k8s-plugin"],
                "apply": [
                    {
                        "rule": "team-label",
                        "source": "k8s-plugin",
                        "layer": {"at": "metadata.labels.team", "value": "ml", "position": "over"},
                    }
                ],
            }
        )

    edit(pack / "pack.yaml", change)
    report = check_pack(pack)
    codes = {f.code: f for f in report.findings}
    assert codes["unused_source"].rule == "nobody-uses-me"
    assert codes["unused_source"].line == line_of(pack / "pack.yaml", "id: nobody-uses-me")
    assert codes["disconnected_step"].rule == "team-labels"
    writers = [f for f in report.findings if f.code == "unordered_writers"]
    assert writers and all("team-labels" in f.message for f in writers)
    assert any("default-labels" in f.message or "task-labels" in f.message for f in writers)
    assert any(f.line == line_of(pack / "pack.yaml", "at: metadata.labels.team") for f in writers)

    # ordering the step is the tie-break: the findings about it go away
    edit(pack / "pack.yaml", lambda d: step(d, "team-labels").update(after=["object-metadata"]))
    codes = {f.code for f in check_pack(pack).findings}
    assert "unordered_writers" not in codes and "disconnected_step" not in codes


def test_a_variable_read_must_be_set_by_an_earlier_transform(tmp_path, capsys):
    pack = copy_pack(tmp_path)

    def change(d):
        rule(d, "primary-container-annotation")["layer"]["select"] = "vars.primaryContainerNam"
        rule(d, "default-security-context")["layer"]["at"] = "spec.containers[name=$systemLabels].securityContext"

    edit(pack / "pack.yaml", change)
    report = check_pack(pack)
    found = {f.code: f for f in report.findings if f.code in ("unknown_variable", "variable_set_later")}
    unknown = found["unknown_variable"]
    assert unknown.rule == "primary-container-annotation" and unknown.path.endswith(".layer.select")
    assert unknown.line == line_of(pack / "pack.yaml", "vars.primaryContainerNam") and unknown.column
    assert "'primaryContainerNam'" in unknown.message and unknown.hint == "did you mean 'primaryContainerName'?"
    later = found["variable_set_later"]  # system-labels sets it, in object-metadata: after update-pod
    assert later.rule == "default-security-context" and later.line == line_of(pack / "pack.yaml", "$systemLabels")
    assert "'system-labels'" in later.message and "object-metadata" in later.message
    code, out, _ = run(capsys, "check", "--rules", str(pack))
    assert code == 1 and f"pack.yaml:{unknown.line}:{unknown.column}: unknown_variable" in out


def test_a_variable_parameter_declares_what_the_rule_sets(tmp_path):
    pack = copy_pack(tmp_path)
    edit(pack / "pack.yaml", lambda d: rule(d, "flytekit-serialization")["params"].update(into="k8sPodTarget"))
    report = check_pack(pack)
    unknown = [f for f in report.findings if f.code == "unknown_variable"]
    assert unknown and {f.rule for f in unknown} == {
        "k8s-pod-target",
        "container-target",
        "container-target.array-node",
        "container-target.termination-message-policy",
        "container-target.image-pull-policy",
    }
    assert all("'k8sPod'" in f.message for f in unknown)


def test_transforms_count_as_writers_once_they_declare_writes(tmp_path, monkeypatch):
    folder = minimal_pack(
        tmp_path,
        steps=[
            {
                "id": "a",
                "uses": ["flyte"],
                "apply": [{"rule": "check-primary", "source": "flyte", "transform": "require-primary-container"}],
            },
            {
                "id": "b",
                "uses": ["flyte"],
                "apply": [
                    {
                        "rule": "containers",
                        "source": "flyte",
                        "layer": {"at": "spec.containers[name=$primaryContainerName]", "value": {"name": "x"}},
                    }
                ],
            },
        ],
    )
    assert "unordered_writers" not in {f.code for f in check_pack(folder).findings}
    from engine.pack.transform_api import TRANSFORMS

    monkeypatch.setattr(TRANSFORMS["require-primary-container"], "writes", ("spec.containers",), raising=False)
    assert "unordered_writers" in {f.code for f in check_pack(folder).findings}


def test_a_clean_pack_exits_0(tmp_path, capsys):
    folder = minimal_pack(tmp_path)
    code, out, _ = run(capsys, "check", "--rules", str(folder))
    assert (code, out) == (0, "mini: ok\n")


def test_fields_no_rule_reads_are_reported_in_the_scenario(tmp_path, capsys):
    folder = minimal_pack(tmp_path)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "task:\n  container: {image: x:1, args: [a]}\n  labels: {team: ml}\nexecution:\n  namespace: ns\n"
    )
    report = check_pack(folder, [scenario])
    uncovered = sorted((f.path, f.line) for f in report.findings if f.code == "uncovered_field")
    # task.container.image is read; its args are not; task.labels and execution are read by no rule at all
    assert uncovered == [("execution", 5), ("task.container.args", 2), ("task.labels", 3)]
    assert all(f.file == str(scenario) for f in report.findings)
    code, out, _ = run(capsys, "check", "--rules", str(folder), str(scenario))
    assert code == 1 and f"{scenario}:3:" in out and "task.labels" in out

    covered = tmp_path / "covered.yaml"
    covered.write_text("task: {container: {image: x:1}}\n")
    assert check_pack(folder, [covered]).exit_code == 0


def test_what_a_rule_reads_whole_covers_everything_below_it(tmp_path):
    """A pod spec a rule selects whole is covered to its last field: the profile's default strategy merges it."""
    folder = minimal_pack(
        tmp_path,
        sources=[{"id": "task-container"}],
        steps=[
            {
                "id": "build",
                "uses": ["task-container"],
                "apply": [
                    {
                        "rule": "spec",
                        "source": "task-container",
                        "layer": {"at": "spec", "select": "task.k8sPod.podSpec"},
                    },
                    {
                        "rule": "config",
                        "source": "task-container",
                        "when": "task.config",
                        "layer": {"at": "metadata.annotations", "value": {}},
                    },
                ],
            }
        ],
    )
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "task:\n  config: {primary_container_name: a}\n"
        "  k8sPod:\n    podSpec: {hostIPC: true, containers: [{name: a, image: b}]}\n"
        "    metadata: {labels: {a: b}}\n"
    )
    report = check_pack(folder, [scenario])
    assert [(f.code, f.path) for f in report.findings] == [("uncovered_field", "task.k8sPod.metadata")]


def test_flyte_v1_covers_the_docs_examples(repo_root):
    examples = sorted((repo_root / "examples" / "flyte-docs").glob("*.yaml"))
    report = check_pack("flyte-v1", examples)
    assert [f for f in report.findings if f.code == "uncovered_field"] == []


def test_unreadable_pack_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, "check", "--rules", str(tmp_path / "nope"))
    assert code == 2 and "unknown_rules" in err
    pack = copy_pack(tmp_path)
    (pack / "pack.yaml").write_text("name: [unclosed\n")
    code, out, _ = run(capsys, "check", "--rules", str(pack))
    code, out, err = run(capsys, "check", "--rules", str(pack))
    assert code == 2 and out == "" and "yaml_syntax" in err and "cannot be checked" in err


def test_json_output(tmp_path, capsys):
    pack = copy_pack(tmp_path)
    edit(pack / "profiles.yaml", lambda d: d["profiles"]["mergo"].update(default="mergoo"))
    code, out, _ = run(capsys, "check", "--rules", str(pack), "-o", "json")
    data = json.loads(out)
    assert code == 1 and data["exitCode"] == 1
    problem = next(p for p in data["problems"] if p["code"] == "unknown_strategy")
    assert problem["file"].endswith("profiles.yaml") and problem["line"] and problem["rule"] == "mergo"


@pytest.mark.parametrize("pack", shipped_packs())
def test_shipped_packs_pass_the_schema(pack):
    """The schema and the loader agree on every shipped file: no schema finding on a pack that loads."""
    report = check_pack(pack)
    assert report.fatal == []
    assert [f for f in report.findings if f.code.startswith(("pack_", "unknown_", "jmespath"))] == []


def test_the_schema_tells_the_three_files_apart_for_editors():
    """What an editor does with the whole file (no per-file $ref): dispatch on the top-level key."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))
    for name in ("pack.yaml", "profiles.yaml", "plugin-config.yaml"):
        assert list(validator.iter_errors(yaml.safe_load((RULES / "flyte-v1" / name).read_text()))) == []
    assert list(validator.iter_errors({"profiles": {"p": {"default": "no-such-strategy"}}}))
    assert list(validator.iter_errors({"options": {"x": {"type": "colour"}}}))
    assert list(validator.iter_errors({"name": "p", "sources": [], "steps": [{"id": "s"}]}))


def test_overlap_of_at_paths():
    from engine.k8s.paths import parse

    overlap = check_module._overlap
    assert overlap(parse("metadata.labels"), parse("metadata.labels.team"))
    assert not overlap(parse("metadata.labels"), parse("metadata.annotations"))
    assert overlap(parse("spec.containers[name=$primaryContainerName].image"), parse("spec.containers[name=a]"))
    assert not overlap(parse("spec.containers[name=a].image"), parse("spec.containers[name=b].image"))


def test_flyte_v1_covers_the_plugin_examples(repo_root):
    """A plugin's rules are reads too: its steps read task.custom and its config section (propeller.plugins)."""
    examples = sorted((repo_root / "examples" / "plugins").glob("*.yaml"))
    report = check_pack("flyte-v1", examples)
    assert examples and report.findings == []


def test_an_unused_plugin_section_key_is_uncovered(repo_root, tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "task:\n  type: dask\n  container: {image: x:1, args: [a]}\n  custom: {}\n"
        "execution: {namespace: ns, podName: p}\n"
        "propeller:\n  config:\n    plugins:\n      dask: {logs: {kubernetes-enabled: true}, nothing: 1}\n"
    )
    report = check_pack("flyte-v1", [scenario])
    # logs: an option that does not shape the object (declared, so covered); nothing: no rule reads it
    assert [(f.code, f.path) for f in report.findings] == [("uncovered_field", "propeller.plugins.dask.nothing")]
