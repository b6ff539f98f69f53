"""The ``console run`` blocks of a documentation page, run as a reader would run them (docs/policy-authors.md,
docs/migrating-to-flyte-2.md).

A block is a list of commands (``$ ...``; ``# exit N`` after a command for a non-zero exit code), each followed by
lines its output must contain (leading and trailing blanks ignored). ``python file=NAME`` blocks are written into the
working folder first. A block tagged ``requires=MODULE`` runs only where MODULE imports. Commands run in order, in
``work`` (a copy of examples/ and rules/), with this interpreter: ``podeval`` is ``-m engine``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```\s*$", re.DOTALL | re.MULTILINE)


def blocks(page: Path) -> list[tuple[str, dict, str, int]]:
    """(language, attributes, body, line) of each fenced block of ``page``."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        language, info, body = match.group(1), match.group(2).split(), match.group(3)
        attributes = dict(token.split("=", 1) if "=" in token else (token, True) for token in info)
        found.append((language, attributes, body, text.count("\n", 0, match.start()) + 1))
    return found


def run_console_blocks(page: Path, work: Path) -> tuple[int, list[str]]:
    """Run every ``console run`` block of ``page`` in ``work``: (commands run, modules whose blocks were skipped)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    ran, skipped = 0, []
    for language, attributes, body, line in blocks(page):
        if language == "python" and "file" in attributes:
            (work / attributes["file"]).write_text(body)
            continue
        if language != "console" or "run" not in attributes:
            continue
        requires = attributes.get("requires")
        if isinstance(requires, str) and importlib.util.find_spec(requires) is None:
            skipped.append(requires)
            continue
        commands: list[tuple[str, list[str]]] = []
        for text in body.splitlines():
            if text.startswith("$ "):
                commands.append((text[2:], []))
            elif text.strip():
                commands[-1][1].append(text)
        for command, expected in commands:
            command, _, comment = command.partition("#")
            wanted = int(re.search(r"exit (\d+)", comment).group(1)) if "exit" in comment else 0
            argv = shlex.split(command)
            if argv[0] == "podeval":
                argv = [sys.executable, "-m", "engine", *argv[1:]]
            elif argv[0] == "python":
                argv = [sys.executable, *argv[1:]]
            done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False)
            output = done.stdout + done.stderr
            assert done.returncode == wanted, (
                f"{page.name} line {line}: `{command.strip()}` exited {done.returncode}:\n{output}"
            )
            for expected_line in expected:
                assert expected_line.strip() in output, (
                    f"{page.name} line {line}: `{command.strip()}` did not print {expected_line!r}:\n{output}"
                )
            ran += 1
    return ran, skipped
