"""Which files are scenarios: the one file selection of every command that takes scenario files and folders.

Files are taken as given; folders are walked recursively, in sorted order, skipping hidden entries, ``podeval
test``'s goldens (``*.pod.yaml``, ``*.error.yaml``) and files that are not YAML or JSON. It lives in the inputs layer,
apart from the corpus tools, so that ``podeval render FILE`` does not import the worker pool to look at its argument.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

#: files that hold expected results, not scenarios (``podeval test``'s goldens: the Pod, or the expected error)
POD_SUFFIX = ".pod.yaml"
ERROR_SUFFIX = ".error.yaml"
GOLDEN_SUFFIXES = (POD_SUFFIX, ERROR_SUFFIX)
SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")


def corpus_files(
    inputs: Iterable[str | Path], skipped: Callable[[Path, str], None] | None = None, *, tasks: bool = False
) -> Iterator[Path]:
    """Scenario files of a corpus, lazily: files as given, folders walked in sorted order (hidden entries and
    ``podeval test`` goldens skipped). ``skipped(path, why)``, when given, hears of every file of a folder that is
    not taken (``podeval ... -v`` prints them). ``tasks``: the corpus is of tasks, and a registered task's file
    (a TaskTemplate) is one too (``podeval migrate-report``)."""
    for entry in inputs:
        root = Path(entry)
        if not root.is_dir():
            yield root
            continue
        for folder, dirs, files in os.walk(root):
            for name in dirs if skipped is not None else ():
                if name.startswith("."):
                    skipped(Path(folder) / name, "a hidden folder")
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                why = _not_a_scenario(name)
                if why:
                    if skipped is not None:
                        skipped(Path(folder) / name, why)
                    continue
                yield Path(folder) / name


def _not_a_scenario(name: str) -> str:
    """Why a file of a folder is not a scenario (empty when it is one)."""
    if name.startswith("."):
        return "a hidden file"
    if name.endswith(GOLDEN_SUFFIXES):
        return "a golden of podeval test"
    if not name.endswith(SCENARIO_SUFFIXES):
        return "not " + ", ".join(SCENARIO_SUFFIXES)
    return ""
