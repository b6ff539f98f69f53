"""Warnings: what podeval says beside the Pod, on stderr, one line each, in the format of its errors.

A warning is a trace event with op ``warn`` (``Result.warnings``; recorded with or without a trace): an input that
did nothing and that Flyte ignores without a word (a ``default-pod-template-name`` that matches no PodTemplate, a
template container that matches no task container), or a Flyte behaviour that surprises (a template's node-selector
terms OR'ed in). The list of warnings is in docs/errors.md. This module only prints them:

    podeval: warning: FILE:LINE:COLUMN: PATH: MESSAGE

The path of a warning about an input is the input's (``propeller.config.default-pod-template-name``,
``podTemplates[0].template.spec.containers[name=noop]``), located in the file that input came from; the path of a
warning about the Pod is the Pod's, and the line names the scenario's file.
"""

from __future__ import annotations

from typing import IO, Any

from ..eval.evaluate import INPUT_SECTIONS


def location(event: Any, scenario: Any) -> str:
    """``file:line:col`` of the warning's input (the parts that are known), or the scenario's file, or ``""``."""
    if getattr(event, "where", None):  # the step that warned knew the place (a config key, a ConfigMap key)
        return event.where
    file = line = column = None
    if event.path and event.path[0] in INPUT_SECTIONS:
        file, line, column = scenario.where(event.path)
    file = file or scenario.filename
    if not file:
        return ""
    parts = [file]
    if line is not None:
        parts += [str(line)] + ([str(column)] if column is not None else [])
    return ":".join(parts)


def format_warning(event: Any, scenario: Any) -> str:
    head = [part for part in (location(event, scenario), event.path_text) if part]
    return "podeval: warning: " + ": ".join([*head, event.note or "(no message)"])


def write_warnings(result: Any, stream: IO[str], *, quiet: bool = False) -> None:
    """Every warning of the evaluation, once, unless ``quiet`` (``-q``); they stay in the trace either way."""
    if quiet:
        return
    for event in result.warnings:
        stream.write(format_warning(event, result.scenario) + "\n")
