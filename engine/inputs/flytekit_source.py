"""Build a scenario's `task` from a real flytekit task: import the user's module, serialize with flytekit itself.

`scenario_from_flytekit` is the `--flytekit module:task` input adapter (the `podeval[flytekit]` extra). It runs
flytekit's own translator (`get_serializable`, what `pyflyte register` and `pyflyte package` call), so the task
arrives in the registered view: `k8sPod` + `config` for a task with a pod template, `container` otherwise, with
`podTemplateName`, task labels and annotations, `interruptible` and `extendedResources` from its metadata. podeval's
own compile-time serialization (`engine.serialize_pod_template`) is then not involved; the differential test
(`tests/test_flytekit_differential.py`) checks that both agree. The TaskTemplate becomes the scenario's task through
the converter that `--task-template` uses (`engine.inputs.task_template.task_view`).

flytekit is imported inside the functions: it is an optional dependency, and importing it takes seconds.
"""

from __future__ import annotations

import difflib
import importlib
import os
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ..errors import InputError
from .task_template import task_view, to_json

# The settings flytekit serializes with. Project, domain and version only feed the task id, which this adapter
# does not emit; they are set because parts of flytekit expect them.
_PROJECT, _DOMAIN, _VERSION = "project", "domain", "version"

_INSTALL_HINT = "pip install 'podeval[flytekit]'"


def scenario_from_flytekit(
    ref: Any,
    *,
    image: str | None = None,
    default_image: str | None = None,
    env: dict | None = None,
) -> dict:
    """The partial scenario `{"task": {...}}` for the flytekit task `ref` (`package.module:task` or `path/file.py:task`,
    or the task object itself, as the pytest plugin's `podeval.render(flytekit=...)` passes it).

    `image` is pyflyte's `--image`: the serialization default image, which a task without `container_image` and
    every pod-template sidecar without an image get. `default_image` is the fallback when `image` is None; when both
    are None it is flytekit's own default (`DefaultImages.default_image()`, `cr.flyte.org/flyteorg/flytekit:py3.x-
    <flytekit version>`), as with `pyflyte register` without `--image`. `env` is `SerializationSettings.env`
    (pyflyte's `--env`), put before the task's own environment.
    """
    try:
        from flytekit.core.base_task import PythonTask  # optional extra, slow to import
    except ImportError:
        raise InputError(
            "flytekit_missing", f"--flytekit {ref} needs flytekit, which is not installed", hint=_INSTALL_HINT
        ) from None

    entity = load_entity(ref) if isinstance(ref, str) else ref
    if not isinstance(ref, str):
        ref = getattr(entity, "name", None) or type(entity).__name__
    if not isinstance(entity, PythonTask):
        raise InputError(
            "flytekit_not_a_task",
            f"{ref} is a {type(entity).__name__}, not a flytekit task",
            hint="name a @task function or a task object such as a ContainerTask; workflows are not rendered",
        )
    template = _serialize(entity, ref, image=image or default_image, env=env)
    return {"task": _task_section(template)}


def load_entity(ref: str, *, what: str = "flytekit") -> Any:
    """Import the module of `ref` and return its attribute, the way pyflyte (and flyte-sdk's `flyte run`) find a
    module from a path. `what` names the SDK in the error codes (`flytekit_import_failed`, `flyte_sdk_...`)."""
    prefix = what.replace("-", "_")
    module_ref, sep, name = ref.rpartition(":")
    if not sep or not module_ref or not name:
        raise InputError(
            f"{prefix}_ref_invalid",
            f"{ref!r} is not MODULE:TASK",
            hint="e.g. my_project.workflows.train:train_task or src/train.py:train_task",
        )
    if module_ref.endswith(".py") or os.sep in module_ref or "/" in module_ref:
        module_name, root = _module_of_file(Path(module_ref), prefix)
    else:
        module_name, root = module_ref, Path.cwd()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 (the user's module may raise anything while importing)
        raise InputError(
            f"{prefix}_import_failed",
            f"cannot import {module_name}: {type(error).__name__}: {error}",
            file=module_ref if module_ref.endswith(".py") else None,
            hint=f"run from the project root, or check that `python -c 'import {module_name}'` works",
        ) from None
    if not hasattr(module, name):
        candidates = sorted(n for n in vars(module) if not n.startswith("_"))
        nearest = difflib.get_close_matches(name, candidates, n=1)
        raise InputError(
            f"{prefix}_task_not_found",
            f"module {module_name} has no {name!r}",
            hint=f"did you mean {nearest[0]!r}?" if nearest else None,
        )
    return getattr(module, name)


def _module_of_file(path: Path, prefix: str = "flytekit") -> tuple[str, Path]:
    """The dotted module name of a file, and the folder to import it from: the first parent without __init__.py.

    pyflyte does the same (`_find_project_root`), so the task-module in the pyflyte-execute args matches.
    """
    path = path.resolve()
    if not path.is_file():
        raise InputError(f"{prefix}_import_failed", f"no such file: {path}", file=str(path))
    parts = [path.stem]
    root = path.parent
    while (root / "__init__.py").is_file():
        parts.insert(0, root.name)
        root = root.parent
    return ".".join(parts), root


def _serialize(entity: Any, ref: str, *, image: str | None, env: dict | None) -> Any:
    """flytekit's TaskTemplate model for the task, built by flytekit's translator."""
    from flytekit.configuration import DefaultImages, Image, ImageConfig, SerializationSettings  # optional extra
    from flytekit.tools.translator import get_serializable  # optional extra, slow to import

    try:
        default = Image.look_up_image_info("default", image or DefaultImages.default_image())
        settings = SerializationSettings(
            image_config=ImageConfig.create_from(default_image=default),
            project=_PROJECT,
            domain=_DOMAIN,
            version=_VERSION,
            env=dict(env) if env else None,
        )
        return get_serializable(OrderedDict(), settings, entity).template
    except Exception as error:  # noqa: BLE001 (flytekit raises ValueError, AssertionError, AttributeError...)
        raise InputError(
            "flytekit_serialization_failed",
            f"flytekit could not serialize {ref}: {type(error).__name__}: {error}",
            hint="the same error would stop `pyflyte register`",
        ) from None


def _task_section(template: Any) -> dict:
    """A flytekit TaskTemplate model as the scenario's `task` (registered view): its protobuf, converted as every
    registered TaskTemplate is (engine/inputs/task_template.py). The id is left out: its project, domain and version are
    this adapter's placeholders, not a registration's."""
    message = template.to_flyte_idl()
    message.ClearField("id")
    return task_view(to_json(message))
