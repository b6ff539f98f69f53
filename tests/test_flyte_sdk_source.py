"""`--flyte-sdk` without flyte-sdk: a clear input error naming the extra to install; and the pack it renders with
(the adapter itself is tested against real flyte-sdk tasks in test_flyte_sdk_differential.py)."""

from __future__ import annotations

import argparse
import sys

import pytest

from engine.cli import main
from engine.errors import InputError
from engine.inputs.cli_inputs import default_rules
from engine.inputs.flyte_sdk_source import scenario_from_flyte_sdk


def test_without_flyte_sdk__flyte_sdk_missing(monkeypatch):
    for name in ("flyte", "flyte._task"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails, installed or not

    with pytest.raises(InputError) as caught:
        scenario_from_flyte_sdk("my_project.train:fit")

    assert caught.value.code == "flyte_sdk_missing"
    assert caught.value.exit_code == 2
    assert caught.value.hint == "pip install 'podeval[flyte-sdk]'"


def test_without_flyte_sdk_the_cli_says_so(monkeypatch, capsys):
    for name in ("flyte", "flyte._task"):
        monkeypatch.setitem(sys.modules, name, None)
    assert main(["render", "--flyte-sdk", "my_project.train:fit", "--rules", "flyte-v1"]) == 2
    assert "error[flyte_sdk_missing]" in capsys.readouterr().err


def test_flyte_sdk_renders_with_flyte_v2_unless_rules_say_otherwise():
    assert default_rules(argparse.Namespace(flyte_sdk="m:t")) == "flyte-v2"
    assert default_rules(argparse.Namespace(flyte_sdk=None)) == "flyte-v1"
    assert default_rules(argparse.Namespace()) == "flyte-v1"


def test_flyte_sdk_and_flytekit_both_give_the_task(capsys):
    assert main(["render", "--flyte-sdk", "a:b", "--flytekit", "c:d"]) == 2
    assert "--flytekit and --flyte-sdk both give the task: give one" in capsys.readouterr().err
