"""Which files are scenarios: the one file selection of every command that takes scenario files and folders.

Files are taken as given; folders are walked recursively, in sorted order, skipping hidden entries, ``podeval
test``'s goldens (``*.pod.yaml``, ``*.error.yaml``), files that are not YAML or JSON, and files that are one of
podeval's other inputs (the separate-file flags: PodTemplates, a FlytePropeller config, a TaskTemplate, a task's
part) rather than a scenario: a file with none of a scenario's sections at its top level and the top level of one
of those. It lives in the inputs layer,
apart from the corpus tools, so that ``podeval render FILE`` does not import the worker pool to look at its argument.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

#: files that hold expected results, not scenarios (``podeval test``'s goldens: the Pod, or the expected error)
POD_SUFFIX = ".pod.yaml"
ERROR_SUFFIX = ".error.yaml"
GOLDEN_SUFFIXES = (POD_SUFFIX, ERROR_SUFFIX)
SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")
#: a scenario's top-level sections (contract §2)
SCENARIO_SECTIONS = frozenset({"task", "execution", "propeller", "podTemplates", "cluster"})
_TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_$][\w.$-]*)\s*:", re.MULTILINE)


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
                why = _not_a_scenario(name) or _another_input(Path(folder) / name, tasks=tasks)
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


def _another_input(path: Path, *, tasks: bool = False) -> str:
    """Why a YAML or JSON file of a folder is one of podeval's other inputs and not a scenario (empty when it may be a
    scenario): its top level has no scenario section and is that of PodTemplates or another Kubernetes object
    (``--pod-templates``), a FlytePropeller config file (``--propeller-config``), a registered TaskTemplate
    (``--task-template``) or a task's part of a scenario (``--task``). Anything else stays a scenario, so a
    scenario with a misspelt section is still read and refused with its error."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    if path.name.endswith(".json"):
        try:
            document = json.loads(text)
        except ValueError:
            return ""  # read, and refused with its error, as a scenario
        keys = {key for key in document if isinstance(key, str)} if isinstance(document, dict) else set()
    else:
        keys = set(_TOP_LEVEL_KEY.findall(text))
    if not keys or keys & SCENARIO_SECTIONS:
        return ""
    if {"apiVersion", "kind"} <= keys:
        return "a Kubernetes object, not a scenario (an input of --pod-templates or --propeller-config)"
    if "plugins" in keys:
        return "a FlytePropeller config file, not a scenario (an input of --propeller-config)"
    if {"id", "type"} <= keys:
        return "" if tasks else "a registered TaskTemplate, not a scenario (an input of --task-template)"
    if keys & {"container", "k8sPod", "podTemplate"}:
        return "a task's part of a scenario, not a scenario (an input of --task)"
    return ""
