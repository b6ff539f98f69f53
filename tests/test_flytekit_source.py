"""`scenario_from_flytekit` without flytekit: a clear input error naming the extra to install (the rest of the
adapter is tested against real flytekit tasks in test_flytekit_differential.py)."""

from __future__ import annotations

import sys

import pytest

from engine.errors import InputError
from engine.inputs.flytekit_source import scenario_from_flytekit


def test_without_flytekit__flytekit_missing(monkeypatch):
    for name in ("flytekit", "flytekit.core", "flytekit.core.base_task"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails, installed or not

    with pytest.raises(InputError) as caught:
        scenario_from_flytekit("my_project.workflows:train")

    assert caught.value.code == "flytekit_missing"
    assert caught.value.exit_code == 2
    assert caught.value.hint == "pip install 'podeval[flytekit]'"
