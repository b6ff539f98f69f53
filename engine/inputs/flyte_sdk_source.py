"""Build a scenario's `task` from a real flyte-sdk (Flyte 2) task: import the user's module, serialize with flyte-sdk.

`scenario_from_flyte_sdk` is the `--flyte-sdk module:task` input adapter (the `podeval[flyte-sdk]` extra, the `flyte`
package). It runs flyte-sdk's own offline serializer (`flyte.extras.serialize`, which calls `translate_task_to_wire`,
the function `flyte deploy` and `flyte run` use), so the task arrives as Flyte 2 registers it: a flyteidl2
`TaskTemplate` with the `k8s_pod` target and `config.primary_container_name` for a task with a `flyte.PodTemplate`
(`_get_k8s_pod` in flyte/_internal/runtime/task_serde.py: the template's image wins, command and args are the
task's, the task's resources merged over the template's, the task env before the template env), the `container`
target otherwise, `metadata.pod_template_name` for a string pod template, and `extended_resources` with the GPU
accelerator and its device class. The TaskTemplate becomes the scenario's task through the converter every
registered TaskTemplate goes through (`engine.inputs.task_template.task_view`).

flyte-sdk is imported inside the functions: it is an optional dependency.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from .flytekit_source import load_entity
from .task_template import task_view, to_json

_INSTALL_HINT = "pip install 'podeval[flyte-sdk]'"
# The version flyte-sdk stamps into the spec; it only feeds the task id (which is left out) and the entrypoint args.
_VERSION = "podeval"


def scenario_from_flyte_sdk(ref: Any, *, image: str | None = None) -> dict:
    """The partial scenario `{"task": {...}}` for the flyte-sdk task `ref` (`package.module:task`,
    `path/file.py:task`, or the task object itself).

    `image` is the image `flyte deploy` resolved for the task's environment (its image cache): without it the task's
    own `image` is used, as `flyte.extras.serialize` does (a `flyte.Image` built from layers is named by its hash).
    """
    template = template_from_flyte_sdk(ref, image=image)
    return {"task": task_view(to_json(template))}


def template_from_flyte_sdk(ref: Any, *, image: str | None = None) -> Any:
    """flyte-sdk's flyteidl2 `TaskTemplate` message for the task `ref` (its id cleared: its project, domain and
    version are this adapter's placeholders, not a deployment's)."""
    try:
        from flyte._task import TaskTemplate  # optional extra (flyte-sdk)
    except ImportError:
        raise InputError(
            "flyte_sdk_missing",
            f"--flyte-sdk {ref} needs flyte-sdk (the flyte package), which is not installed",
            hint=_INSTALL_HINT,
        ) from None
    entity = load_entity(ref, what="flyte-sdk") if isinstance(ref, str) else ref
    name = ref if isinstance(ref, str) else getattr(entity, "name", None) or type(entity).__name__
    if not isinstance(entity, TaskTemplate):
        raise InputError(
            "flyte_sdk_not_a_task",
            f"{name} is a {type(entity).__name__}, not a flyte-sdk task",
            hint="name a function decorated with @env.task (env = flyte.TaskEnvironment(...)), or its "
            "task.override(...)",
        )
    message = _serialize(entity, name, image=image)
    message.ClearField("id")
    return message


def _serialize(entity: Any, name: str, *, image: str | None) -> Any:
    """flyte-sdk's TaskTemplate for the task, built by flyte-sdk's offline serializer."""
    import pathlib  # start-up: only with --flyte-sdk

    from flyte.extras import serialize  # optional extra (flyte-sdk)
    from flyte.models import SerializationContext  # optional extra (flyte-sdk)

    try:
        cache = None
        if image:
            from flyte._internal.image_cache import ImageCache  # optional extra (flyte-sdk)

            cache = ImageCache(image_lookup={entity.parent_env_name: image})
        context = SerializationContext(version=_VERSION, image_cache=cache, root_dir=pathlib.Path.cwd())
        return serialize(entity, context).task_template
    except Exception as error:  # noqa: BLE001 (flyte-sdk raises ValueError, RuntimeUserError, ...)
        raise InputError(
            "flyte_sdk_serialization_failed",
            f"flyte-sdk could not serialize {name}: {type(error).__name__}: {error}",
            hint="the same error would stop `flyte deploy`",
        ) from None
