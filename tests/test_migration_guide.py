"""Every command of docs/migrating-to-flyte-2.md runs and prints what the page shows (``console run`` blocks,
tests/console_docs.py), in a copy of examples/ and rules/. A block that needs flyte-sdk says so (``requires=flyte``)
and is skipped without it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from console_docs import run_console_blocks

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "migrating-to-flyte-2.md"


def test_every_command_of_the_guide_runs(tmp_path):
    if not (ROOT / "rules" / "flyte-v2").is_dir():
        pytest.skip("the flyte-v2 pack is not in this tree")
    work = tmp_path / "work"
    work.mkdir()
    for folder in ("examples", "rules"):
        shutil.copytree(ROOT / folder, work / folder, ignore=shutil.ignore_patterns("__pycache__"))
    ran, skipped = run_console_blocks(GUIDE, work)
    assert ran >= 6 + (0 if skipped else 1)
