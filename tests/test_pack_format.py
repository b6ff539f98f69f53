"""The declaration of the rule-pack format (engine/pack/pack_format.py) drives the loader, `podeval check`, the shipped
JSON Schema, the guide's reference tables and the `extends` merge; profiles are patched by id like steps."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
import yaml

import engine
from engine.pack import pack_chain, pack_format, pack_schema
from engine.pack.pack_chain import read_chain
from engine.pack.plugin_options import Loader
from engine.pack.rules import collect_problems, load_rules, registries
from engine.tools.check import check_pack

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=200))


def _line_of(path: Path, text: str) -> int:
    found = [number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    assert len(found) == 1, f"{text!r} is on lines {found}"
    return found[0]


# -- what is generated from the declaration is current ---------------------------------------------------------


def test_the_shipped_schema_is_generated_from_the_declaration():
    """Regenerate with `python tools/gen_pack_format.py` after changing the declaration, a strategy or a transform."""
    assert pack_schema.SCHEMA_FILE.read_text(encoding="utf-8") == pack_schema.schema_text(
        pack_schema.json_schema(registries())
    ), "run: python tools/gen_pack_format.py"
    assert pack_schema.json_schema(registries())["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_guide_s_reference_tables_are_generated_from_the_declaration():
    text = pack_schema.GUIDE.read_text(encoding="utf-8")
    assert pack_schema.guide_with_reference(text) == text, "run: python tools/gen_pack_format.py"
    for section in pack_format.SECTIONS.values():
        for key in section.keys:
            assert f"| `{key.name}` |" in text, (section.name, key.name)


def test_the_generator_script_prints_what_it_writes(capsys):
    import runpy
    import sys

    script = str(ROOT / "tools" / "gen_pack_format.py")
    argv = sys.argv
    try:
        sys.argv = [script, "--json-schema"]
        with pytest.raises(SystemExit) as exit_code:
            runpy.run_path(script, run_name="__main__")
    finally:
        sys.argv = argv
    assert exit_code.value.code == 0
    assert json.loads(capsys.readouterr().out) == pack_schema.json_schema(registries())


def test_the_loader_section_names_the_loader_s_fields():
    """plugin-config.yaml `loader` keys are the Loader's fields, dashed; their defaults are the Loader's."""
    fields = {name: Loader._field_defaults[name] for name in Loader._fields}  # a NamedTuple: every field has one
    assert {key.name.replace("-", "_"): key.default for key in pack_format.LOADER.keys} == fields


def test_every_section_is_reachable_from_a_file_and_every_reference_resolves():
    files = [s for s in pack_format.SECTIONS.values() if s.file]
    assert sorted(s.file for s in files) == sorted([*pack_format.PACK_FILES, "plugins/<id>.yaml"])
    reached, todo = set(), [s.name for s in files]
    while todo:
        name = todo.pop()
        reached.add(name)
        todo += [k.of for k in pack_format.SECTIONS[name].keys if k.of and k.of not in reached]
    assert reached == set(pack_format.SECTIONS)
    schema = json.dumps(pack_schema.json_schema(registries()))
    for ref in {part.split('"')[0] for part in schema.split('"$ref": "#/$defs/')[1:]}:
        assert ref in pack_schema.json_schema(registries())["$defs"], ref


# -- the declaration drives `podeval check` and the loader -----------------------------------------------------

#: where a key of each section is, in a copy of flyte-v1 (file, path to a mapping of that section)
PLACES = {
    "packFile": ("pack.yaml", ()),
    "source": ("pack.yaml", ("sources", 0)),
    "step": ("pack.yaml", ("steps", 0)),
    "rule": ("pack.yaml", ("steps", 0, "apply", 0)),
    "layer": ("pack.yaml", ("steps", "*", "apply", "*", "layer")),  # the first layer
    "profilesFile": ("profiles.yaml", ()),
    "profile": ("profiles.yaml", ("profiles", "pod-spec")),
    "strategyRule": ("profiles.yaml", ("profiles", "pod-spec", "paths", "containers")),
    "pluginConfigFile": ("plugin-config.yaml", ()),
    "loader": ("plugin-config.yaml", ("loader",)),
    "option": ("plugin-config.yaml", ("options", "default-annotations")),
    "pluginFile": ("plugins/ray.yaml", ()),
    "pluginConfig": ("plugins/ray.yaml", ("config",)),
    "podBuild": ("plugins/ray.yaml", ("shared",)),
    "role": ("plugins/ray.yaml", ("roles", 0)),
}


def test_every_section_has_a_place_in_the_bad_key_test():
    assert set(PLACES) == set(pack_format.SECTIONS)


@pytest.mark.parametrize("section", sorted(PLACES))
def test_a_bad_key_in_each_section_is_reported_with_its_position_and_a_hint(tmp_path, section):
    file_name, where = PLACES[section]
    pack = tmp_path / "pack"
    shutil.copytree(RULES / "flyte-v1", pack)
    key = min(pack_format.SECTIONS[section].names)
    typo = key + "x"

    def find(node, path):
        if not path:
            return node
        if path[0] == "*":
            return next((found for item in node if (found := find(item, path[1:])) is not None), None)
        return (
            find(node[path[0]], path[1:])
            if isinstance(node, dict) and path[0] in node or isinstance(node, list)
            else None
        )

    def change(data):
        node = find(data, where)
        assert isinstance(node, dict)
        node[typo] = "blue"

    _edit(pack / file_name, change)
    findings = [f for f in check_pack(pack).findings if f.code == "pack_unknown_key"]
    assert len(findings) == 1, findings
    found = findings[0]
    assert found.file == str(pack / file_name) and found.line == _line_of(pack / file_name, f"{typo}:")
    assert found.column and f"did you mean {key!r}?" == found.hint
    # the loader refuses it too, at the same line (but a profiles.yaml's or plugin-config.yaml's own keys: it
    # reads only `profiles`, `options` and `loader` there, and leaves the rest to `podeval check`, as it always did)
    _, problems = collect_problems(pack)
    expected = [] if section in ("profilesFile", "pluginConfigFile") else [(found.file, found.line)]
    assert [(p.file, p.line) for p in problems if p.code == "pack_unknown_key"] == expected


# -- extends: one walk, one merge ------------------------------------------------------------------------------


def test_the_extends_chain_is_read_once_for_check_and_loader(tmp_path, monkeypatch):
    from engine.pack import pack_chain

    reads = []
    original = pack_chain._read
    monkeypatch.setattr(pack_chain, "_read", lambda path, problems: reads.append(path) or original(path, problems))
    report = check_pack("flyte-v1.15")
    assert report.exit_code == 0 and report.pack.name == "flyte-v1.15"
    assert sorted(map(str, reads)) == sorted({str(p) for p in reads})  # each file once
    plugin_files = sum(len(pack_format.plugin_files(RULES / name)) for name in ("flyte-v1", "flyte-v1.15"))
    assert len(reads) == 6 + plugin_files  # the three files of each pack, and flyte-v1's plugins/*.yaml


def test_read_chain_walks_the_pack_and_its_parents():
    chain = read_chain("flyte-docs")
    assert [layer.folder.name for layer in chain.layers] == ["flyte-docs", "flyte-v1"]
    assert chain.extends and chain.problems == [] and chain.digest.startswith("sha256:")
    assert set(chain.layers[0].documents) == {"pack.yaml", "profiles.yaml"}


def test_a_cycle_of_packs_is_a_problem(tmp_path):
    for name, parent in (("a", "b"), ("b", "a")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pack.yaml").write_text(f"name: {name}\nextends: {tmp_path / parent}\n")
    pack, problems = collect_problems(tmp_path / "a")
    assert pack is None and [p.code for p in problems] == ["cycle"]


def test_merge_patches_steps_by_id_and_rules_by_rule_id_without_changing_its_inputs():
    parent = {
        "name": "p",
        "sources": [{"id": "a", "label": "A"}],
        "steps": [
            {
                "id": "s",
                "after": ["x"],
                "apply": [
                    {"rule": "r", "source": "a", "layer": {"at": "spec", "value": {"k": 1}, "position": "under"}}
                ],
            }
        ],
    }
    child = {
        "name": "c",
        "extends": "p",
        "sources": [{"id": "a", "doc": "d"}, {"id": "b"}],
        "steps": [
            {
                "id": "s",
                "after": ["y"],
                "apply": [
                    {"rule": "r", "layer": {"position": "over", "value": {"j": 2}}},
                    {"rule": "n", "source": "b"},
                ],
            }
        ],
    }
    before = copy.deepcopy((parent, child))
    merged = pack_chain.merge(pack_format.PACK_FILE, parent, child)
    assert (parent, child) == before
    assert merged == {
        "name": "c",
        "sources": [{"id": "a", "label": "A", "doc": "d"}, {"id": "b"}],
        "steps": [
            {
                "id": "s",
                "after": ["y"],
                "apply": [
                    {
                        "rule": "r",
                        "source": "a",
                        "layer": {"at": "spec", "value": {"k": 1, "j": 2}, "position": "over"},
                    },
                    {"rule": "n", "source": "b"},
                ],
            }
        ],
    }


# -- profiles are patched by id ----------------------------------------------------------------------------------


def _child(tmp_path: Path, profiles: str) -> Path:
    child = tmp_path / "child"
    child.mkdir()
    (child / "pack.yaml").write_text("name: child\nextends: flyte-v1\n")
    (child / "profiles.yaml").write_text(profiles)
    return child


def test_a_pack_that_extends_flyte_v1_patches_one_profile_rule(tmp_path):
    child = _child(
        tmp_path,
        "profiles:\n  pod-spec:\n    paths:\n      containers:\n        params: {exact_name_skips_primary: false}\n",
    )
    v1, pack = load_rules("flyte-v1"), load_rules(str(child))
    patched, original = pack.profile("pod-spec"), v1.profile("pod-spec")
    rule = patched.rules[("containers",)]
    assert rule.params == {**original.rules[("containers",)].params, "exact_name_skips_primary": False}
    assert (rule.id, rule.strategy, rule.note) == (
        original.rules[("containers",)].id,
        original.rules[("containers",)].strategy,
        original.rules[("containers",)].note,
    )
    assert patched.default == original.default
    assert {path: r for path, r in patched.rules.items() if path != ("containers",)} == {
        path: r for path, r in original.rules.items() if path != ("containers",)
    }
    assert check_pack(child).exit_code == 0

    # what the patch changes is what flyte-v1.15 changes for task containers: exact names match the primary too
    scenario = {
        "task": {
            "k8sPod": {"podSpec": {"containers": [{"name": "main", "image": "img"}]}},
            "config": {"primary_container_name": "main"},
        },
        "execution": {"namespace": "ns", "podName": "p"},
        "propeller": {"config": {"default-pod-template-name": "t"}},
        "podTemplates": [
            {
                "metadata": {"name": "t", "namespace": "ns"},
                "template": {"spec": {"containers": [{"name": "main", "image": "x", "workingDir": "/by-name"}]}},
            }
        ],
    }
    work_dirs = {
        rules: engine.evaluate(scenario, rules=rules).pod["spec"]["containers"][0].get("workingDir")
        for rules in ("flyte-v1", "flyte-v1.15", str(child))
    }
    assert work_dirs == {"flyte-v1": None, "flyte-v1.15": "/by-name", str(child): "/by-name"}


def test_a_profile_rule_that_names_a_strategy_replaces_the_parent_s_whole(tmp_path):
    child = _child(
        tmp_path,
        "profiles:\n  pod-spec:\n    paths:\n      containers: append\n"
        "      initContainers: {strategy: append, note: appended}\n",
    )
    profile = load_rules(str(child)).profile("pod-spec")
    assert [
        (r.strategy.__name__, r.params, r.note)
        for r in (profile.rules[("containers",)], profile.rules[("initContainers",)])
    ] == [("append", {}, None), ("append", {}, "appended")]


def test_a_patch_needs_something_to_patch(tmp_path):
    """A new profile needs its default, a new path its strategy: each reported where it is written."""
    child = _child(
        tmp_path,
        "profiles:\n  pod-spec:\n    paths:\n      hostNetwork:\n        params: {lost: drop}\n"
        "  brand-new:\n    paths: {}\n",
    )
    _, problems = collect_problems(child)
    found = sorted((p.code, p.path, p.file, p.line) for p in problems if p.code == "pack_missing_key")
    profiles = str(child / "profiles.yaml")
    assert found == [
        ("pack_missing_key", "profiles.brand-new", profiles, 7),  # located at its value, as every loader problem
        ("pack_missing_key", "profiles.pod-spec.paths.hostNetwork", profiles, 5),
    ]
    assert {p.message for p in problems if p.code == "pack_missing_key"} == {
        "missing required key 'default'",
        "missing required key 'strategy'",
    }


def test_check_holds_a_pack_that_extends_none_to_whole_profiles(tmp_path):
    folder = tmp_path / "alone"
    shutil.copytree(RULES / "flyte-v1", folder)
    _edit(folder / "profiles.yaml", lambda d: d["profiles"]["force"].pop("default"))
    missing = [f for f in check_pack(folder).findings if f.code == "pack_missing_key"]
    assert [(f.path, f.file) for f in missing] == [("profiles.force", str(folder / "profiles.yaml"))]
