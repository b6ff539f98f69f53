"""The scenario: everything that decides one task Pod (contract §2), loaded, validated and normalised.

Accepted forms: a file path (YAML or JSON, ``-`` for stdin), YAML text, a dict, or ``kubernetes.client`` model
objects wherever a Kubernetes object is expected. Normalisation, so that the engine sees one shape only:

* scenario keys in snake_case become camelCase (``pod_template_name`` -> ``podTemplateName``);
* Kubernetes objects get their JSON field names (``to_dict()``'s ``host_network`` -> ``hostNetwork``), model
  objects are serialised as the API client would; numbers a protobuf Struct made doubles (``30.0``) become integers;
* an env map ``{K: V}`` becomes ``[{name: K, value: V}]``;
* ``propeller.config`` may be the whole ``plugins: {k8s: {...}}`` document;
* ``podTemplates`` may be a ``kind: List`` (``kubectl get podtemplates -o yaml``) or a single PodTemplate.

Validation reads the whole input and reports every problem together (``validate.Problems``): unknown keys with the
nearest known one, wrong types, Kubernetes objects checked as Flyte and Kubernetes check them (``validate``), and
contradictions (``task.podTemplate`` with ``task.k8sPod``, a k8sPod without ``primary_container_name``, a
PodTemplate without a name or of the wrong kind, duplicate names). docs/errors.md lists every error code.

This module loads a scenario (``load_scenario``) and holds it (``Scenario``); the scenario's shape and ``raw_path``
are ``scenario_shape``'s, the one normalising pass ``scenario_normalise``'s (its template steps
``scenario_templates``').
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..documents.yamlio import Document, load_document, read_input
from ..errors import InputError
from ..k8s.validate import (
    Context,
    K8sChecker,
    Problems,
    TooManyProblems,
)
from .scenario_normalise import Normaliser, lift_config_sections
from .scenario_shape import SCENARIO_SHAPE, raw_path


class Scenario:
    """A validated, normalised scenario. ``data`` is plain JSON-like data; ``document`` locates its parts."""

    def __init__(
        self,
        data: dict,
        filename: str | None = None,
        document: Document | None = None,
        raw: Any = None,
        origins: dict | None = None,
        config_origin: Any = None,
    ) -> None:
        self.data = data
        self.filename = filename
        self.document = document
        #: for a scenario assembled from several files (the CLI's ``--task``, ``--pod-templates`` ...): the raw dict
        #: and where each part came from (``load_scenario``'s ``origins``)
        self.raw = raw
        self.origins = origins
        #: how ``propeller.config`` was read from FlytePropeller's config files, when the CLI read them
        #: (``engine.inputs.propeller_config.Loaded``: each option's file and position, the loader's warnings)
        self.config_origin = config_origin

    def locate(self, path: tuple) -> tuple[int | None, int | None]:
        """``(line, column)`` in the file of a path of the normalised scenario (keyed list items, camelCase keys,
        the unwrapped ``propeller.config``), or of its nearest ancestor; ``(None, None)`` without a file."""
        if self.document is None:
            return None, None
        found = self.document.locate(raw_path(self.document.value, tuple(path)))
        return found if found else (None, None)

    def where(self, path: tuple) -> tuple[str | None, int | None, int | None]:
        """``(file, line, column)`` of a path of the normalised scenario, in the file that part came from."""
        if self.document is not None or not self.origins:
            return (self.filename, *self.locate(path))
        where = raw_path(self.raw, tuple(path))
        for length in range(len(where), -1, -1):  # the longest part that holds the path
            origin = self.origins.get(tuple(where[:length]))
            if origin is not None:
                filename, document, prefix = origin
                found = document.locate(tuple(prefix) + tuple(where[length:])) if document is not None else None
                return (filename, *(found or (None, None)))
        return self.filename, None, None


def to_plain_k8s(value: Any, type_name: str) -> Any:
    """A Kubernetes object (dict, snake_case dict or model) as Kubernetes JSON; raises InputError on problems.

    Only field names and types are checked (no Kubernetes name or label validation): callers pass pod specs that
    Flyte's own functions take, not objects bound for the API server."""
    problems = Problems()
    checker = K8sChecker(problems, Context(semantic=False))
    try:
        result = checker.object(value, type_name, (), ())
    except TooManyProblems:
        result = None
    problems.raise_all()
    return result


def load_scenario(source: Any, *, filename: str | None = None, origins: dict | None = None) -> Scenario:
    """Read and normalise a scenario from a path, ``-`` (stdin), YAML/JSON text, a dict or a Scenario.

    ``origins``, for a dict assembled from several files: which file each part came from, so that problems carry
    file:line:col -- ``{("task",): (filename, document, ("task",)), ("podTemplates", 0): (filename, document, ())}``
    (a part's raw path in the dict -> its file, its ``yamlio.Document`` and its path in that document)."""
    if isinstance(source, Scenario):
        return source
    document: Document | None = None
    if isinstance(source, Path) or (isinstance(source, str) and (source == "-" or _looks_like_path(source))):
        data = read_input(str(source))
        filename = filename or ("<stdin>" if str(source) == "-" else str(source))
        document = load_document(data, filename)
        raw = document.value
    elif isinstance(source, (str, bytes)):
        filename = filename or "<string>"
        document = load_document(source, filename)
        raw = document.value
    elif isinstance(source, dict):
        raw = source
    else:
        raise InputError(
            "invalid_scenario",
            f"cannot read a scenario from {type(source).__name__}",
            hint="pass a path, YAML text, a dict or an engine.Scenario",
        )
    if raw is None:
        raw = {}
    normaliser = Normaliser(filename, document, origins)
    data: dict = {}
    try:
        data = normaliser.shape(raw, SCENARIO_SHAPE, (), ())
        lift_config_sections(normaliser, data, raw)
        if not normaliser.problems.items:
            normaliser.contradictions(data, raw)
    except TooManyProblems:
        pass
    normaliser.problems.raise_all()
    if origins and document is None:
        return Scenario(data, filename, document, raw=raw, origins=origins)
    return Scenario(data, filename, document)


def _looks_like_path(text: str) -> bool:
    if "\n" in text or len(text) > 4096:
        return False
    return text.endswith((".yaml", ".yml", ".json")) or Path(text).is_file()
