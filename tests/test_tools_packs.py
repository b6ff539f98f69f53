"""Packs are data: flyte-v1.15 and flyte-docs differ from flyte-v1 only in YAML, and a policy author changes a copy
of a pack (tolerations de-duplicated, two sources swapped, a source added, an option switched off) in YAML alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import engine
from engine.pack.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLE_3 = ROOT / "examples" / "flyte-docs" / "example-3.yaml"
SIDECAR = ROOT / "examples" / "golden" / "compile-time-sidecar.yaml"
TEXT_KEYS = {"doc", "note", "label", "description"}


def _without_text(value):
    if isinstance(value, dict):
        return {k: _without_text(v) for k, v in value.items() if k not in TEXT_KEYS}
    if isinstance(value, list):
        return [_without_text(v) for v in value]
    return value


def _yaml(path: Path):
    return yaml.safe_load(path.read_text())


def _rules(pack: dict):
    return {rule["rule"]: rule for step in pack["steps"] for rule in step["apply"]}


# -- flyte-v1.15 ---------------------------------------------------------------------------------------------------


def test_v1_15_exact_name_matching_applies_to_the_primary_container():
    """Before flyte#6733 a template container named like the primary container shaped it."""
    v1 = engine.evaluate(str(SIDECAR), rules="flyte-v1").pod["spec"]["containers"][0]
    v115 = engine.evaluate(str(SIDECAR), rules="flyte-v1.15").pod["spec"]["containers"][0]
    assert v1["name"] == v115["name"] == "main"
    assert "workingDir" not in v1 and v115["workingDir"] == "/ignored-since-6733"


def test_v1_15_merges_a_magic_template_container_twice():
    """Before flyte#6733 a task container named `primary` got the `primary` template twice: its env appears twice."""
    scenario = {
        "task": {
            "k8sPod": {"podSpec": {"containers": [{"name": "primary", "image": "img"}]}},
            "config": {"primary_container_name": "primary"},
        },
        "execution": {"namespace": "ns", "podName": "p"},
        "propeller": {"config": {"default-pod-template-name": "t"}},
        "podTemplates": [
            {
                "metadata": {"name": "t", "namespace": "ns"},
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "primary", "image": "x", "env": [{"name": "FROM_TEMPLATE", "value": "1"}]}
                        ]
                    }
                },
            }
        ],
    }
    env = {
        pack: [
            e["name"]
            for e in engine.evaluate(scenario, rules=pack).pod["spec"]["containers"][0]["env"]
            if e["name"] == "FROM_TEMPLATE"
        ]
        for pack in ("flyte-v1", "flyte-v1.15")
    }
    assert env == {"flyte-v1": ["FROM_TEMPLATE"], "flyte-v1.15": ["FROM_TEMPLATE", "FROM_TEMPLATE"]}


def test_v1_15_is_flyte_v1_but_for_the_exact_name_parameters_and_the_config_loader():
    pack = _yaml(RULES / "flyte-v1.15" / "pack.yaml")
    assert pack["extends"] == "flyte-v1" and set(pack) == {"name", "extends", "description"}
    # its options are flyte-v1's; only the config loader differs (viper 1.11, before flyte#7013 and #7369)
    plugin_config = _yaml(RULES / "flyte-v1.15" / "plugin-config.yaml")
    assert plugin_config == {
        "options": {},
        "loader": {"lowercase-in-lists": False, "restore-lists": False, "restore-dotted-keys": False},
    }
    assert load_rules("flyte-v1.15").options == load_rules("flyte-v1").options
    # its profiles.yaml is a patch of flyte-v1's pod-spec profile: two parameters of the container rules
    patch = {"params": {"exact_name_skips_primary": False, "exact_name_skips": []}}
    profiles = _yaml(RULES / "flyte-v1.15" / "profiles.yaml")["profiles"]
    assert _without_text(profiles) == {"pod-spec": {"paths": {"containers": patch, "initContainers": patch}}}
    loaded, v1 = load_rules("flyte-v1.15"), load_rules("flyte-v1")
    assert loaded.name == "flyte-v1.15" and set(loaded.profiles) == set(v1.profiles)
    for profile_id, profile in v1.profiles.items():
        patched = loaded.profile(profile_id)
        assert patched.default == profile.default and list(patched.rules) == list(profile.rules), profile_id
        for path, rule in profile.rules.items():
            expected = (
                {**rule.params, **patch["params"]}
                if (profile_id, path) in (("pod-spec", ("containers",)), ("pod-spec", ("initContainers",)))
                else rule.params
            )
            assert (patched.rules[path].id, patched.rules[path].strategy, patched.rules[path].params) == (
                rule.id,
                rule.strategy,
                expected,
            ), (profile_id, path)


# -- flyte-docs ----------------------------------------------------------------------------------------------------

#: the docs page: the K8s plugin configuration overrides the task's pod and the templates
DOCS_OVER = {
    "default-tolerations",
    "interruptible-tolerations",
    "scheduler-name",
    "default-node-selector",
    "default-affinity",
    "default-pod-security-context",
    "default-pod-dns-config",
    "default-security-context",
    "default-labels",
    "default-annotations",
}
#: the docs page: lists append, template containers included
DOCS_PROFILE = {"runtime-template", "pod-template-name"}


def test_flyte_docs_is_flyte_v1_with_the_docs_page_s_precedence():
    """flyte-docs patches flyte-v1 by rule id (extends): the same steps and rules in the same order, with only the
    docs page's precedence changed."""
    v1, docs = engine.load_rules("flyte-v1"), engine.load_rules("flyte-docs")
    assert [s.id for s in docs.steps] == [s.id for s in v1.steps]
    for v1_step, docs_step in zip(v1.steps, docs.steps):
        assert [e.id for e in docs_step.entries] == [e.id for e in v1_step.entries]
        for v1_entry, docs_entry in zip(v1_step.entries, docs_step.entries):
            if docs_entry.id in DOCS_OVER:
                assert (v1_entry.position, docs_entry.position) == ("under", "over"), docs_entry.id
            elif docs_entry.id in DOCS_PROFILE:
                assert (v1_entry.params["profile"], docs_entry.params["profile"]) == ("pod-spec", "docs-pod-spec")
            else:
                assert (docs_entry.kind, docs_entry.position, docs_entry.at, docs_entry.source) == (
                    v1_entry.kind,
                    v1_entry.position,
                    v1_entry.at,
                    v1_entry.source,
                ), docs_entry.id
    assert set(_yaml(RULES / "flyte-docs" / "profiles.yaml")["profiles"]) == {"docs-pod-spec"}
    assert len((RULES / "flyte-docs" / "pack.yaml").read_text().splitlines()) < 80  # a patch, not a copy


def test_flyte_docs_example_3_is_what_the_page_prints_where_the_page_is_consistent():
    pod = engine.evaluate(str(EXAMPLE_3), rules="flyte-docs").pod
    assert pod["metadata"]["labels"]["label_1"] == "value-plugin"
    assert pod["metadata"]["annotations"]["annotation_1"] == "value-plugin"
    assert [c["name"] for c in pod["spec"]["containers"]] == ["default", "primary"]


# -- a policy author's edits, YAML only -----------------------------------------------------------------------------


@pytest.fixture
def pack(tmp_path) -> Path:
    target = tmp_path / "my-pack"
    shutil.copytree(RULES / "flyte-v1", target)
    return target


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=200))


def scenario(**sections) -> dict:
    """Example 3, with whole sections replaced."""
    data = yaml.safe_load(EXAMPLE_3.read_text())
    data.update(sections)
    return data


def test_deduplicate_tolerations_by_key(pack):
    both = scenario(
        propeller={
            "namespace": "flyte",
            "config": {
                "default-pod-template-name": "flyte-template",
                "default-tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
            },
        }
    )
    both["task"]["podTemplate"]["podSpec"]["tolerations"] = [{"key": "gpu", "operator": "Equal", "value": "a100"}]
    assert [t["key"] for t in engine.evaluate(both, rules=str(pack)).pod["spec"]["tolerations"]] == ["gpu", "gpu"]

    def change(profiles):
        profiles["profiles"]["tolerations"] = {"default": {"strategy": "dedupe-by-key", "params": {"keys": ["key"]}}}
        profiles["profiles"]["pod-spec"]["paths"]["tolerations"] = {
            "strategy": "dedupe-by-key",
            "params": {"keys": ["key"]},
        }

    edit(pack / "profiles.yaml", change)
    edit(
        pack / "pack.yaml",
        lambda d: [
            _rules(d)[r]["layer"].update(profile="tolerations")
            for r in ("default-tolerations", "interruptible-tolerations")
        ],
    )
    result = engine.evaluate(both, rules=str(pack))
    assert result.pod["spec"]["tolerations"] == [{"key": "gpu", "operator": "Equal", "value": "a100"}]
    dropped = [e for e in result.trace.events if e.op == "drop" and e.path[:2] == ("spec", "tolerations")]
    assert dropped and dropped[0].source == "k8s-plugin" and "same key" in dropped[0].note


def test_swap_the_precedence_of_two_sources(pack):
    """default-labels over the pod's labels instead of under: the K8s plugin now beats the compile-time template."""
    assert engine.evaluate(str(EXAMPLE_3), rules=str(pack)).pod["metadata"]["labels"]["label_1"] == "value-compile"
    edit(pack / "pack.yaml", lambda d: _rules(d)["default-labels"]["layer"].update(position="over"))
    result = engine.evaluate(str(EXAMPLE_3), rules=str(pack))
    assert result.pod["metadata"]["labels"]["label_1"] == "value-plugin"
    assert result.trace.owners["metadata.labels.label_1"] == "k8s-plugin"


def test_add_a_team_wide_template_under_the_runtime_one(pack):
    select = "podTemplates[?metadata.name=='team-defaults'] | [0]"

    def change(d):
        d["sources"].append(
            {"id": "team-template", "label": "team PodTemplate", "origin": "podTemplates (team-defaults)"}
        )
        step = next(s for s in d["steps"] if s["id"] == "merge-runtime-template")
        step["uses"].append("team-template")
        step["apply"].append(
            {
                "rule": "team-template",
                "source": "team-template",
                "when": select,
                "transform": "merge-onto-template",
                "params": {"template": select, "profile": "pod-spec", "metadata_profile": "mergo"},
            }
        )

    edit(pack / "pack.yaml", change)
    data = scenario()
    data["podTemplates"].append(
        {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": {"name": "team-defaults", "namespace": "flyte"},
            "template": {
                "metadata": {"labels": {"label_3": "team", "team": "ml"}},
                "spec": {"containers": [{"name": "noop", "image": "noop"}], "priorityClassName": "team-ml"},
            },
        }
    )
    result = engine.evaluate(data, rules=str(pack))
    labels = result.pod["metadata"]["labels"]
    assert (labels["label_3"], labels["team"]) == ("value-runtime", "ml"), "the runtime template wins over the team's"
    assert result.pod["spec"]["priorityClassName"] == "team-ml"
    assert result.trace.owners["metadata.labels.team"] == "team-template"
    assert "team-template" in {n["id"] for n in load_rules(str(pack)).graph_dict()["nodes"]}
    assert engine.evaluate(str(EXAMPLE_3), rules=str(pack)).pod == engine.evaluate(str(EXAMPLE_3)).pod


def test_switch_an_option_off(pack):
    """The built-in safe-to-evict annotation (a FlytePropeller default) and exact-name container matching, off."""
    plain = yaml.safe_load(SIDECAR.read_text())
    before = engine.evaluate(plain, rules=str(pack)).pod
    assert before["metadata"]["annotations"]["cluster-autoscaler.kubernetes.io/safe-to-evict"] == "false"
    edit(pack / "plugin-config.yaml", lambda d: d["options"]["default-annotations"].pop("default"))
    edit(
        pack / "profiles.yaml",
        lambda d: d["profiles"]["pod-spec"]["paths"]["containers"]["params"].update(exact_name=False),
    )
    plain["podTemplates"][0]["template"]["spec"]["containers"].append(
        {"name": "sidecar", "image": "x", "workingDir": "/from-template"}
    )
    after = engine.evaluate(plain, rules=str(pack)).pod
    assert "annotations" not in after["metadata"]
    assert "workingDir" not in after["spec"]["containers"][1]
    assert engine.evaluate(plain, rules="flyte-v1").pod["spec"]["containers"][1]["workingDir"] == "/from-template"
