"""FlytePropeller's config read as FlytePropeller reads it (engine/inputs/propeller_config.py).

Expected values come from Flyte's code and tests at 89cf9cc: flytestdlib config/viper/viper.go (parseViperConfig,
restoreCaseSensitiveArrayKeys flyte#7013, restoreDottedMapKeys / pruneSplitPath flyte#7369) and its tests
(viper_test.go, tests/accessor_test.go with testdata/map_config_nested.yaml and dotted_keys_config.yaml), viper 1.21's
util.go (insensitiviseMap, insensitiveArray) and viper.go (mergeMaps, getSettings), viper 1.11's util.go for the
flyte-v1.15 pack.
"""

from __future__ import annotations

import json

import pytest
import yaml

import engine
from engine.cli import main
from engine.inputs import config_files, viper
from engine.inputs import propeller_config as pc
from engine.inputs.config_positions import ConfigFile
from engine.pack.plugin_options import Loader
from engine.pack.rules import load_rules

V1 = load_rules("flyte-v1")
V115 = load_rules("flyte-v1.15")
TASK = {
    "task": {"type": "python-task", "container": {"image": "img:1"}},
    "execution": {"namespace": "flytesnacks-development", "podName": "abc-n0-0"},
}


def files(*trees, bare=False) -> list:
    return [ConfigFile(tree, f"f{i}.yaml", bare=bare) for i, tree in enumerate(trees)]


def k8s(*trees, pack=V1):
    return pc.load(files(*({"plugins": {"k8s": t}} for t in trees)), pack)


# --- flytestdlib's own tests -----------------------------------------------------------------------------------


def test_nested_maps_written_as_lists_keep_their_case():
    """accessor_test.go NestedMaps on testdata/map_config_nested.yaml: ItemsMap["itemA"]["itemAa"].ID == "abc1"."""
    raw = {
        "My-component": {
            "itemsMap": [
                {
                    "itemA": [
                        {"itemAa": {"id": "abc1", "name": "A b c", "randomValue": "hello world"}},
                        {"itemAb": {"id": "xyz1", "name": "x y z"}},
                    ]
                },
                {"itemB": [{"itemBa": {"id": "abc2", "name": "A b c"}}, {"itemBb": {"id": "xyz2", "name": "x y z"}}]},
            ]
        }
    }
    settings = viper.viper_settings([raw])
    assert settings == {"my-component": {"itemsmap": raw["My-component"]["itemsMap"]}}
    # viper 1.21 alone lowercases inside lists too: flytestdlib's restoring is what keeps the case
    bare = viper.viper_settings([raw], Loader(restore_lists=False, restore_dotted_keys=False))
    assert bare["my-component"]["itemsmap"][0] == {
        "itema": [
            {"itemaa": {"id": "abc1", "name": "A b c", "randomvalue": "hello world"}},
            {"itemab": {"id": "xyz1", "name": "x y z"}},
        ]
    }


def test_dotted_keys_end_to_end():
    """accessor_test.go DottedKeysEndToEnd on testdata/dotted_keys_config.yaml."""
    raw = {
        "dotted-keys": {
            "annotations": {
                "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
                "sidecar.istio.io/inject": "true",
            },
            "plugins": [{"name": "KeepMyCase", "annotations": {"config.path": "/etc/plugin"}}],
        }
    }
    assert viper.viper_settings([raw]) == raw


@pytest.mark.parametrize(
    "raw, expected",
    [
        # viper_test.go Test_restoreDottedMapKeys: siblings sharing a dotted prefix
        (
            {"annotations": {"test.annotation": "true", "test.other": "false"}},
            {"annotations": {"test.annotation": "true", "test.other": "false"}},
        ),
        # case-insensitive recursion into a nested map
        ({"Annotations": {"test.annotation": "true"}}, {"annotations": {"test.annotation": "true"}}),
        # a dotted key with a map value: the raw value, as written
        ({"a.b": {"c.d": "v"}}, {"a.b": {"c.d": "v"}}),
        # dotted and non-dotted siblings at the top level
        ({"a.b": "from-dotted", "a": {"x": "from-non-dotted"}}, {"a.b": "from-dotted", "a": {"x": "from-non-dotted"}}),
        # issue #6166: the safe-to-evict annotation
        (
            {"default-annotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}},
            {"default-annotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"}},
        ),
    ],
)
def test_restore_dotted_map_keys(raw, expected):
    assert viper.viper_settings([raw]) == expected


def test_prune_split_path():
    """viper_test.go Test_pruneSplitPath: siblings stay, an emptied chain goes, a diverging path is left alone."""
    m = {"test": {"annotation": "v1", "other": "v2"}}
    viper._prune(m, ["test", "annotation"])
    assert m == {"test": {"other": "v2"}}
    m = {"a": {"b": {"c": "v"}}}
    viper._prune(m, ["a", "b", "c"])
    assert m == {}
    m = {"a": "scalar"}
    viper._prune(m, ["a", "b"])
    assert m == {"a": "scalar"}


# --- viper's merge of several files --------------------------------------------------------------------------


def test_files_merge_maps_key_by_key_the_later_wins_and_a_list_replaces():
    loaded = k8s(
        {"default-labels": {"a": "1", "b": "1"}, "default-tolerations": [{"key": "x"}], "default-cpus": "1"},
        {"default-labels": {"b": "2"}, "default-tolerations": [{"key": "y"}]},
    )
    assert loaded.k8s == {
        "default-labels": {"a": "1", "b": "2"},
        "default-tolerations": [{"key": "y"}],
        "default-cpus": "1",
    }
    assert [f.filename for f in loaded.origins["default-labels"]] == ["f0.yaml", "f1.yaml"]
    assert [f.filename for f in loaded.origins["default-cpus"]] == ["f0.yaml"]
    assert [f.filename for f in loaded.origins["default-tolerations"]] == ["f1.yaml"]


def test_a_mapping_is_never_replaced_by_a_value_that_is_not_one():
    """viper mergeMaps: tgt is a map, src is not -> "Could not cast sv to map[string]any", the map stays."""
    loaded = k8s({"default-labels": {"a": "1"}}, {"default-labels": "oops"})
    assert loaded.k8s == {"default-labels": {"a": "1"}}
    [warning] = loaded.warnings
    assert "ignores this value" in warning.message and warning.where.file == "f1.yaml"


def test_an_earlier_files_scalar_comes_back_over_a_later_list():
    """restoreCaseSensitiveArrayKeys runs file after file and replaces a list of the merged settings by the file's
    value of that key, whatever its type: the first file's scalar replaces the second file's list, and the second
    file then finds no list to restore."""
    assert viper.viper_settings([{"a": {"k": "s"}}, {"a": {"k": [1]}}]) == {"a": {"k": "s"}}


def test_empty_maps_and_nulls_disappear_and_empty_lists_stay():
    """getSettings rebuilds the tree from leaf keys: an empty map has none, a null is skipped (Get returns nil)."""
    assert viper.viper_settings([{"a": {"m": {}, "n": None, "l": []}}]) == {"a": {"l": []}}


# --- key case: what FlytePropeller does with the Pod's keys, and what podeval says --------------------------


def render_with(tmp_path, capsys, text: str, *args: str):
    task = tmp_path / "task.yaml"
    task.write_text(yaml.safe_dump(TASK))
    config = tmp_path / "k8s.yaml"
    config.write_text(text)
    code = main(["render", str(task), "-o", "json", "--propeller-config", str(config), *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else None, captured.err


def test_a_mapping_key_is_lowercased_with_a_warning_at_the_key(tmp_path, capsys):
    code, pod, err = render_with(
        tmp_path, capsys, "plugins:\n  k8s:\n    default-env-vars:\n      MY_VAR: one\n    default-labels: {Team: ml}\n"
    )
    assert code == 0
    assert pod["spec"]["containers"][0]["env"] == [{"name": "my_var", "value": "one"}]
    assert pod["metadata"]["labels"] == {"team": "ml"}
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        f"podeval: warning: {tmp_path / 'k8s.yaml'}:4:7: propeller.config.default-env-vars.MY_VAR: "
        "FlytePropeller reads the key 'MY_VAR' of default-env-vars as 'my_var'"
    )
    assert "default-env-vars: [{MY_VAR: ...}]" in lines[0]
    assert f"{tmp_path / 'k8s.yaml'}:5:22: " in lines[1] and "'Team' of default-labels as 'team'" in lines[1]


def test_the_list_form_and_dotted_keys_keep_their_case(tmp_path, capsys):
    code, pod, err = render_with(
        tmp_path,
        capsys,
        "plugins:\n  k8s:\n    default-env-vars:\n      - MY_VAR: one\n    default-labels: {example.com/Name: x}\n",
    )
    assert code == 0 and err == ""
    assert pod["spec"]["containers"][0]["env"] == [{"name": "MY_VAR", "value": "one"}]
    assert pod["metadata"]["labels"] == {"example.com/Name": "x"}


def test_struct_fields_are_matched_without_regard_to_case(tmp_path, capsys):
    """viper lowercases runAsUser; mapstructure matches it to the json tag anyway (MatchName: strings.EqualFold)."""
    code, pod, err = render_with(
        tmp_path,
        capsys,
        "plugins:\n  k8s:\n    Default-Pod-Security-Context:\n"
        "      runAsUser: 1000\n      sysctls: [{name: Net.Core, value: '1'}]\n",
    )
    assert code == 0 and err == ""
    assert pod["spec"]["securityContext"] == {"runAsUser": 1000, "sysctls": [{"name": "Net.Core", "value": "1"}]}


def test_the_older_viper_of_flyte_v1_15_keeps_lists_as_written_and_splits_dotted_keys():
    """viper 1.11 (flytestdlib before flyte#7013): insensitiviseMap does not enter lists; nothing is restored."""
    loaded = k8s({"default-env-vars": [{"MY_VAR": "one", "a.b": "2"}], "default-labels": {"Team": "ml"}}, pack=V115)
    assert loaded.k8s == {"default-env-vars": [{"MY_VAR": "one", "a.b": "2"}], "default-labels": {"team": "ml"}}
    assert viper.viper_settings([{"labels": {"example.com/name": "x"}}], V115.loader) == {
        "labels": {"example": {"com/name": "x"}}
    }


def test_flyte_v1_15_refuses_a_dotted_key_in_a_mapping(tmp_path):
    """The split key is a mapping where FlytePropeller wants a string: it cannot load the config."""
    config = tmp_path / "k8s.yaml"
    config.write_text("plugins:\n  k8s:\n    default-labels: {example.com/name: x}\n")
    with pytest.raises(engine.InputError) as error:
        pc.load(config_files.read_files([str(config)], pack=V115), V115)
    assert error.value.code == "invalid_type" and (error.value.file, error.value.line) == (str(config), 3)
    assert error.value.path == 'propeller.config.default-labels["example.com/name"]'
    assert "viper splits the key 'example.com/name' of default-labels on its dots" in error.value.message
    assert "default-labels: [{example.com/name: ...}]" in error.value.hint
    assert pc.load(config_files.read_files([str(config)], pack=V1), V1).k8s == {
        "default-labels": {"example.com/name": "x"}
    }


# --- the files a user has ---------------------------------------------------------------------------------------


def configmap(name, data, namespace="flyte"):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}, "data": data}


def test_a_configmap_is_read_in_name_order_and_other_keys_are_not_files(tmp_path):
    path = tmp_path / "cm.yaml"
    path.write_text(
        yaml.safe_dump(
            configmap(
                "flyte-propeller-config",
                {
                    "k8s.yaml": "plugins:\n  k8s:\n    default-cpus: 100m\n",
                    "copilot.yaml": "plugins:\n  k8s:\n    default-cpus: 2\n    co-pilot: {name: x}\n",
                    "README": "not: [yaml",
                },
            )
        )
    )
    loaded = pc.load(config_files.read_files([str(path)], pack=V1), V1)
    assert [f.key for f in loaded.files] == ["copilot.yaml", "k8s.yaml"]
    assert loaded.k8s == {"default-cpus": "100m", "co-pilot": {"name": "x"}}


def test_a_manifest_with_several_plugin_configmaps_needs_a_name(tmp_path, capsys):
    path = tmp_path / "all.yaml"
    documents = [
        None,
        configmap("a-config", {"k8s.yaml": "plugins: {k8s: {default-cpus: 1}}"}),
        None,
        configmap("b-config", {"k8s.yaml": "plugins: {k8s: {default-cpus: 2}}"}),
        configmap("other", {"x.yaml": "storage: {}"}),
    ]
    path.write_text(yaml.safe_dump_all(documents))
    with pytest.raises(engine.InputError) as error:
        config_files.read_files([str(path)], pack=V1)
    assert error.value.code == "several_configmaps"
    assert "flyte/a-config (line 3), flyte/b-config (line 12)" in error.value.message
    assert "--propeller-configmap" in error.value.hint
    [chosen] = config_files.read_files([str(path)], configmap="b-config", pack=V1)
    assert chosen.configmap == "flyte/b-config"
    with pytest.raises(engine.InputError) as error:
        config_files.read_files([str(path)], configmap="c-config", pack=V1)
    assert (
        error.value.code == "configmap_not_found"
        and "flyte/a-config, flyte/b-config, flyte/other" in error.value.message
    )


def test_a_kubectl_list_of_configmaps(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n"
        "    name: flyte-propeller-config\n    namespace: flyte\n  data:\n    k8s.yaml: |\n"
        "      plugins:\n        k8s:\n          default-memory: 1Gi\n"
    )
    loaded = pc.load(config_files.read_files([str(path)], pack=V1), V1)
    assert loaded.k8s == {"default-memory": "1Gi"}
    assert (
        loaded.option_where("default-memory").text()
        == f"{path}:13:11 (ConfigMap flyte/flyte-propeller-config, data[k8s.yaml])"
    )


def test_several_files_merge_in_the_order_given(tmp_path, capsys):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("plugins: {k8s: {default-labels: {a: '1'}, scheduler-name: one}}\n")
    second.write_text("default-labels: {b: '2'}\nscheduler-name: two\n")  # the bare plugins.k8s section
    task = tmp_path / "task.yaml"
    task.write_text(yaml.safe_dump(TASK))
    assert (
        main(["render", str(task), "-o", "json", "--propeller-config", str(first), "--propeller-config", str(second)])
        == 0
    )
    pod = json.loads(capsys.readouterr().out)
    assert pod["metadata"]["labels"] == {"a": "1", "b": "2"} and pod["spec"]["schedulerName"] == "two"


def test_an_unknown_option_in_a_configmap_warns_at_its_key_and_strict_refuses_it(tmp_path, capsys):
    path = tmp_path / "cm.yaml"
    path.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flyte-propeller-config, namespace: flyte}\n"
        "data:\n  k8s.yaml: |\n    plugins:\n      k8s:\n        default-cpu: 2\n"
        "      spark: {spark-config-default: {}}\n"
    )
    task = tmp_path / "task.yaml"
    task.write_text(yaml.safe_dump(TASK))
    assert main(["render", str(task), "--propeller-config", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith(
        f"podeval: warning: {path}:8:9 (ConfigMap flyte/flyte-propeller-config, data[k8s.yaml]): "
        "propeller.config.default-cpu: FlytePropeller ignores the unknown K8s plugin option "
        "'default-cpu'"
    ), err
    assert "did you mean 'default-cpus'?" in err and err.count("\n") == 1  # the spark section is no one's concern
    assert main(["render", str(task), "--strict", "--propeller-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"podeval: error[unknown_option]: {path}:8:9: propeller.config.default-cpu: ")


def test_a_yaml_error_inside_a_configmap_key_is_placed_in_the_manifest(tmp_path):
    path = tmp_path / "cm.yaml"
    path.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flyte-propeller-config}\n"
        "data:\n  k8s.yaml: |\n    plugins:\n      k8s:\n        default-labels: {a: [}\n"
    )
    with pytest.raises(engine.InputError) as error:
        config_files.read_files([str(path)], pack=V1)
    assert error.value.code == "yaml_syntax" and error.value.line == 8
    assert error.value.path.startswith("data[k8s.yaml]")


def test_cluster_reads_the_configmap_with_the_same_loader():
    from engine.inputs.cluster import _k8s_plugin_config

    keys, loaded = _k8s_plugin_config(
        {
            "k8s.yaml": "plugins:\n  k8s:\n    default-labels: {Team: ml}\n",
            "z.yaml": "plugins:\n  k8s:\n    default-labels: {owner: x}\n",
        },
        "flyte",
        "flyte-propeller-config",
        label="cluster ctx",
    )
    assert keys == ["k8s.yaml", "z.yaml"]
    assert loaded.k8s == {"default-labels": {"team": "ml", "owner": "x"}}
    [warning] = loaded.warnings
    assert warning.where.text() == "ConfigMap flyte/flyte-propeller-config data[k8s.yaml]:3:22 (in cluster ctx)"


def test_a_bad_value_in_a_configmap_is_reported_at_its_line_in_the_manifest(tmp_path, capsys):
    path = tmp_path / "cm.yaml"
    path.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flyte-propeller-config}\ndata:\n"
        "  k8s.yaml: |\n    plugins:\n      k8s:\n        enable-host-networking-pod: maybe\n"
    )
    task = tmp_path / "task.yaml"
    task.write_text(yaml.safe_dump(TASK))
    assert main(["render", str(task), "--propeller-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"podeval: error[invalid_type]: {path}:8:37: propeller.config.enable-host-networking-pod: ")


def test_cluster_config_errors_name_the_configmap_key():
    from engine.inputs.cluster import _k8s_plugin_config

    _, loaded = _k8s_plugin_config(
        {"k8s.yaml": "plugins:\n  k8s:\n    enable-host-networking-pod: maybe\n"},
        "flyte",
        "flyte-propeller-config",
        label="cluster ctx",
    )
    scenario = engine.load_scenario({**TASK, "propeller": {"config": loaded.k8s}})
    scenario.config_origin = loaded
    with pytest.raises(engine.InputError) as error:
        engine.evaluate(scenario)
    assert error.value.location == "cluster ctx ConfigMap flyte/flyte-propeller-config data[k8s.yaml]:3:33"
