"""`podeval explain --rules flyte-v2` names where a rule is written: a rule flyte-v2 inherits from flyte-v1 at its
line in rules/flyte-v1/, a rule flyte-v2 adds or patches at its line in rules/flyte-v2/ (``extends``: the nearest
pack of the chain that writes it, engine.pack.pack_chain.PackLocator).

The values are Flyte 2's (flyteplugins/go/tasks/pluginmachinery/flytek8s at 6fadb90, cited in each test); the places
are read from the pack files themselves, so the test follows them when lines move.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "flyte-v2"


def explain(capsys, monkeypatch, example: str, field: str) -> str:
    monkeypatch.chdir(REPO)  # the example's path as the docs type it; pack files relative to the project
    code = main(["explain", "--rules", "flyte-v2", f"examples/flyte-v2/{example}.yaml", field])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def rule_line(pack: str, rule: str) -> str | None:
    """``rules/<pack>/pack.yaml:LINE:COL`` of the rule's ``- rule: <id>`` entry, None when the file has none."""
    path = Path("rules") / pack / "pack.yaml"
    for number, line in enumerate((REPO / path).read_text().splitlines(), start=1):
        if line.strip() == f"- rule: {rule}":
            return f"{path}:{number}:{line.index('rule:') + 1}"
    return None


def option_default_line(pack: str, option: str) -> str:
    """``rules/<pack>/plugin-config.yaml:LINE:COL`` of the option's ``default`` value (flow mapping on one line)."""
    path = Path("rules") / pack / "plugin-config.yaml"
    for number, line in enumerate((REPO / path).read_text().splitlines(), start=1):
        if line.strip().startswith(f"{option}:"):
            return f"{path}:{number}:{line.index('default: ') + len('default: ') + 1}"
    raise AssertionError(f"{option} not in {path}")


def test_an_inherited_rule_is_shown_at_its_line_in_flyte_v1(capsys, monkeypatch):
    """restartPolicy Never (UpdatePod, pod_helper.go:455-456 at 6fadb90) is flyte-v1's rule restart-policy, which
    flyte-v2 neither adds nor patches: explain names rules/flyte-v1/pack.yaml and the rule's line."""
    assert rule_line("flyte-v2", "restart-policy") is None  # inherited, not patched
    out = explain(capsys, monkeypatch, "executor", "spec.restartPolicy")
    assert 'value: "Never"' in out
    assert f"from {rule_line('flyte-v1', 'restart-policy')} (rule restart-policy)" in out
    assert "rules/flyte-v2/pack.yaml (rule restart-policy)" not in out


def test_a_flyte_v2_rule_is_shown_at_its_line_in_flyte_v2(capsys, monkeypatch):
    """enableServiceLinks false (BuildRawPod, pod_helper.go:574-575 at 6fadb90) is flyte-v2's own rule."""
    out = explain(capsys, monkeypatch, "executor", "spec.enableServiceLinks")
    assert "value: false" in out
    assert f"from {rule_line('flyte-v2', 'enable-service-links')} (rule enable-service-links)" in out


def test_a_rule_flyte_v2_patched_is_shown_at_the_patch(capsys, monkeypatch):
    """flyte-v2 patches flyte-v1's interruptible-node-affinity (ApplyInterruptibleNodeAffinity, pod_helper.go:180 at
    6fadb90, through AddRequiredNodeSelectorRequirements, :97-139): the trace places its value at the patch."""
    assert rule_line("flyte-v1", "interruptible-node-affinity") is not None
    patch = rule_line("flyte-v2", "interruptible-node-affinity")
    assert patch is not None
    monkeypatch.chdir(REPO)
    assert main(["trace", "--rules", "flyte-v2", "examples/flyte-v2/executor.yaml"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "/ interruptible-node-affinity]" in line]
    assert lines and all(line.endswith(f"@ {patch} (rule interruptible-node-affinity)") for line in lines)


def test_an_inherited_option_default_is_shown_in_flyte_v1s_plugin_config(capsys, monkeypatch):
    """default-cpus 1000m (flytek8s/config/config.go:29 at 6fadb90) is flyte-v1's option, which flyte-v2 does not
    redeclare: the primary's cpu request is placed at its default in rules/flyte-v1/plugin-config.yaml."""
    flyte_v2_options = yaml.safe_load((REPO / "rules/flyte-v2/plugin-config.yaml").read_text())["options"]
    assert "default-cpus" not in flyte_v2_options
    out = explain(capsys, monkeypatch, "template-resources", "spec.containers[0].resources.requests.cpu")
    assert 'value: "1"' in out
    assert f"from {option_default_line('flyte-v1', 'default-cpus')} (built-in default of default-cpus)" in out


@pytest.mark.parametrize("rules", ["flyte-v2", "flyte-v1.15", "flyte-docs"])
def test_no_value_of_a_pack_that_extends_is_placed_without_a_line(rules, capsys, monkeypatch):
    """Every value a pack supplies is placed at a line, whichever pack of the chain writes it."""
    monkeypatch.chdir(REPO)
    assert main(["trace", "--rules", rules, "examples/flyte-v2/executor.yaml"]) == 0
    out = capsys.readouterr().out
    placed = [line.rsplit(" @ ", 1)[1] for line in out.splitlines() if " @ rules/" in line]
    assert placed
    assert all(".yaml:" in where for where in placed), placed
