"""Every command of the README runs as written on a fresh clone (issue 13, item 6).

Each ``sh`` block's commands (continuation lines joined, comments dropped) run in a copy of ``examples/`` beside
the clone's ``rules/`` and ``tests/real_inputs/``, as a newcomer would run them from the clone's root: ``podeval``
is this interpreter's ``-m engine``, ``pytest`` its ``-m pytest``. A command must exit 0, or 1 where it is a check
that reports findings (``podeval check``, ``podeval test``, ``podeval diff``), and never print a traceback. The
first block (set up a venv, run this suite) is CI's own job and is not run here. Blocks tagged ``sh cluster`` need
a cluster: without one (``KUBECONFIG`` pointed at nothing) each must be exit 2 with one ``error[...]`` line. The
``python`` block runs as a script from the clone's root.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
_BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```\s*$", re.DOTALL | re.MULTILINE)
#: commands whose exit 1 means "a check found something", not a failure
CHECKS = ("podeval check", "podeval test", "podeval diff")


def _blocks() -> list[tuple[str, list[str], str, int]]:
    text = README.read_text(encoding="utf-8")
    return [
        (m.group(1), m.group(2).split(), m.group(3), text.count("\n", 0, m.start()) + 1) for m in _BLOCK.finditer(text)
    ]


def _commands(body: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", body)
    commands = []
    for line in joined.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()  # a comment, whole line or trailing
        if line:
            commands.append(line)
    return commands


def _shell_blocks():
    found = []
    for index, (language, tags, body, line) in enumerate(b for b in _blocks() if b[0] == "sh"):
        if index == 0:
            continue  # the setup and the test suite itself: what CI runs
        for command in _commands(body):
            found.append(pytest.param(command, "cluster" in tags, id=f"line{line}:{command[:60]}"))
    return found


def test_the_readme_starts_with_the_two_commands():
    first = next(b for b in _blocks() if b[0] == "sh")
    assert first[3] <= 4, "the README starts with its two commands"
    commands = _commands(first[2])
    assert len(commands) == 2
    assert commands[0].endswith("podeval render examples/flyte-docs/example-3.yaml")
    assert commands[1] == ".venv/bin/python -m pytest"


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """The parts of a fresh clone the commands read, with examples/ copied (commands write beside it)."""
    root = tmp_path_factory.mktemp("clone")
    shutil.copytree(ROOT / "examples", root / "examples", ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    (root / "rules").symlink_to(ROOT / "rules")
    (root / "tests").mkdir()
    (root / "tests" / "real_inputs").symlink_to(ROOT / "tests" / "real_inputs")
    return root


def _argv(command: str) -> str:
    python = shlex.quote(sys.executable)
    command = re.sub(r"(^|\|\s*)podeval\b", lambda m: f"{m.group(1)}{python} -m engine", command)
    return re.sub(r"(^|\|\s*)pytest\b", lambda m: f"{m.group(1)}{python} -m pytest -p no:cacheprovider", command)


@pytest.mark.parametrize("command, needs_cluster", _shell_blocks())
def test_each_readme_command_runs_as_written(clone, command, needs_cluster):
    if "--flytekit" in command:
        pytest.importorskip("flytekit")
    if "--flyte-sdk" in command:
        pytest.importorskip("flyte", reason="flyte-sdk is not installed: pip install 'podeval[flyte-sdk]'")
    if ("--flyte-sdk" in command or "migrate-report" in command) and not (ROOT / "rules" / "flyte-v2").is_dir():
        pytest.skip("renders with the flyte-v2 pack, which is not in this tree")
    env = dict(os.environ, KUBECONFIG=str(clone / "no-kubeconfig"), PYTHONPATH=str(ROOT))
    env.pop("PODEVAL_CACHE_DIR", None)
    proc = subprocess.run(
        _argv(command), check=False, shell=True, cwd=clone, env=env, capture_output=True, text=True, timeout=600
    )
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, output[-3000:]
    if needs_cluster:
        assert proc.returncode == 2, output[-3000:]
        assert re.search(r"^podeval: error\[\w+\]: ", proc.stderr, re.MULTILINE), proc.stderr
        return
    allowed = (0, 1) if command.startswith(CHECKS) else (0,)
    assert proc.returncode in allowed, f"exit {proc.returncode}:\n{output[-3000:]}"


def test_the_python_example_runs():
    body = next(b[2] for b in _blocks() if b[0] == "python")
    proc = subprocess.run(
        [sys.executable, "-c", body],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
