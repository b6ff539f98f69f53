"""Task template files: ``--task-template FILE`` read whole, as flytectl and pyflyte write them (the protobuf JSON
mapping in JSON or YAML, ``flytectl get task -o json|yaml``, a binary ``.pb``, the ``.tgz`` that ``pyflyte package``
writes), the task picked by name, and which IDL the spec is written in (``TemplateFile.idl``: the command line's
default pack follows it). The TaskTemplate itself is read by ``engine.inputs.task_template``.
"""

from __future__ import annotations

import difflib
import io
import re
from pathlib import Path
from typing import Any, NamedTuple

from ..documents.yamlio import load_documents, read_input
from ..errors import InputError
from .task_template import (
    V2_TASK_DETAILS_TEMPLATE,
    V2_TASK_SPEC_TEMPLATE,
    installed_idls,
    parse_any,
    protobuf_classes,
    spec_class,
    spec_template,
    to_json,
    unwrap,
)


class TemplateFile(NamedTuple):
    """What `read_template_file` read: the TaskTemplate JSON, its yamlio Document (None for the binary forms), its
    path in that document, and the IDL the spec is written in (``flyteidl`` or ``flyteidl2``: the module's
    docstring)."""

    template: dict
    document: Any
    where: tuple
    idl: str


def read_template_file(path: str, task_name: str | None = None, data: bytes | None = None) -> TemplateFile:
    """The TaskTemplate of `--task-template FILE` (``-``: stdin, e.g. `flytectl get task NAME --version V -o yaml |
    podeval render --task-template - ...`); ``data``: the file's bytes, when they were read already."""
    if data is None:
        data = read_input(path)
    if data[:2] == b"\x1f\x8b" or path.endswith((".tgz", ".tar.gz")):
        template, idl = _from_package(path, data, task_name)
        return TemplateFile(template, None, (), idl)
    if path.endswith(".pb") or _binary(data):
        template, idl = _from_binary(path, data)
        _check_name([(template.get("id", {}).get("name", ""), None)], task_name, path)
        return TemplateFile(template, None, (), idl)

    candidates = []  # (template, document, path in the document, IDL)
    for document in load_documents(data, "<stdin>" if path == "-" else path):
        items = document.value if isinstance(document.value, list) else [document.value]
        for index, item in enumerate(items):
            template, prefix = unwrap(item)
            where = ((index,) if isinstance(document.value, list) else ()) + prefix
            candidates.append((template, document, where, prefix))
    if not candidates:
        raise InputError(
            "task_template_invalid",
            "the file holds no TaskTemplate",
            file=path,
            hint="the protobuf JSON of flyteidl.core.TaskTemplate, or flytectl get task -o yaml",
        )
    template, document, where, prefix = _check_name(
        [(_template_name(candidate[0]), candidate) for candidate in candidates], task_name, path
    )
    return TemplateFile(template, document, where, _json_idl(template, prefix))


def _json_idl(template: Any, prefix: tuple) -> str:
    """The IDL of a TaskTemplate in the JSON mapping found at ``prefix`` of its document: flyteidl2's wrappers say
    flyteidl2, flyteidl's (flytectl's `Task`, pyflyte's `TaskSpec`) flyteidl; a bare template is flyteidl2's when
    flyteidl refuses it and flyteidl2 reads it (a field only Flyte 2 has). A template neither reads is flyteidl's
    here: the scenario reports its problem."""
    if prefix in (V2_TASK_SPEC_TEMPLATE, V2_TASK_DETAILS_TEMPLATE):
        return "flyteidl2"
    if prefix or "flyteidl" not in installed_idls():
        return "flyteidl"
    try:
        return parse_any(template)[1]
    except InputError:
        return "flyteidl"


def is_registered_task(path: str | Path) -> bool:
    """Whether a file of a corpus is a registered task rather than a scenario: a `.pb` or pyflyte `.tgz`, or a YAML or
    JSON file whose first document is a TaskTemplate inside flytectl's, pyflyte's or flyte-sdk's wrapper, or a bare
    TaskTemplate with its `id` and `type` (as they print it)."""
    name = str(path)
    if name.endswith((".pb", ".tgz", ".tar.gz")):
        return True
    try:
        documents = load_documents(Path(name).read_bytes(), name)
    except (OSError, InputError):
        return False  # read again as a scenario, which reports the problem
    value, prefix = unwrap(documents[0].value if documents else None)
    return isinstance(value, dict) and "task" not in value and (bool(prefix) or {"id", "type"} <= set(value))


def _template_name(template: Any) -> str:
    task_id = template.get("id") if isinstance(template, dict) else None
    return str(task_id.get("name", "")) if isinstance(task_id, dict) else ""


def _check_name(named: list, task_name: str | None, path: str, *, required: bool = False) -> Any:
    """The one candidate named `task_name` (or the only one, unless `required`): (name, value) pairs in, value out."""
    names = sorted(name for name, _ in named)
    if task_name is None:
        if len(named) == 1 and not required:
            return named[0][1]
        raise InputError(
            "task_name_required",
            f"the file holds {len(named)} task{'s' if len(named) != 1 else ''}: {', '.join(names)}",
            file=path,
            hint="pick one with --task-name NAME (the full task name)",
        )
    chosen = [value for name, value in named if name == task_name]
    if len(chosen) == 1:
        return chosen[0]
    if len(chosen) > 1:
        raise InputError(
            "task_name_required",
            f"the file holds {len(chosen)} tasks named {task_name!r}",
            file=path,
            hint="keep one version in the file (flytectl get task NAME --version V)",
        )
    close = difflib.get_close_matches(task_name, names, n=1)
    raise InputError(
        "task_name_not_found",
        f"no task is named {task_name!r}; the file's tasks: {', '.join(names) or 'none'}",
        file=path,
        hint=f"did you mean {close[0]!r}?" if close else "--task-name takes the full task name, e.g. my_pkg.train.fit",
    )


def _binary(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return b"\x00" in data[:4096]


def _from_binary(path: str, data: bytes, member: str | None = None) -> tuple[dict, str]:
    """A binary protobuf: the `flyteidl.admin.TaskSpec` pyflyte writes (NN_name_1.pb), flyteidl2's `task.TaskSpec`
    (flyte-sdk), or a bare TaskTemplate. flyteidl2's messages extend flyteidl's with the same field numbers: what
    flyteidl reads without an unknown field is read by flyteidl, anything else by flyteidl2. With the IDL it is
    written in: flyteidl2's when flyteidl could not read it whole, or when it is a `TaskSpec` with fields only
    flyteidl2's has (flyte-sdk always sets `short_name`)."""
    idls = installed_idls()
    protobuf_classes(f"--task-template {path}")  # raises flyteidl_missing when neither is installed
    for idl in idls:
        message, template = _binary_template(path, data, member, idl)
        if template is not None and (idl == idls[-1] or not _unknown_fields(template)):
            declined = idl == "flyteidl2" and "flyteidl" in idls  # flyteidl met fields it does not know
            v2 = declined or (message is not template and _v2_task_spec(message))
            return to_json(template), "flyteidl2" if v2 else "flyteidl"
    raise InputError(
        "task_template_invalid",
        f"{f'{path}[{member}]' if member else path} is not a flyteidl TaskSpec or TaskTemplate",
        file=path,
        hint="pyflyte package and pyflyte serialize write each task as NN_<task name>_1.pb; flyte-sdk a "
        "flyteidl2 TaskSpec",
    )


def _unknown_fields(message: Any) -> bool:
    """Whether protobuf kept fields of `message` (or of a message inside it) that its class does not know."""
    from google.protobuf.unknown_fields import UnknownFieldSet  # optional extra (flyteidl or flyteidl2)

    if len(UnknownFieldSet(message)):
        return True
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            if field.message_type.fields_by_name["value"].message_type is None:
                continue
            items: Any = value.values()
        else:
            items = value if _repeated(field) else [value]
        if any(_unknown_fields(item) for item in items):
            return True
    return False


def _repeated(field: Any) -> bool:
    return field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED


def _v2_task_spec(message: Any) -> bool:
    """Whether a `TaskSpec` is flyteidl2's: it has a field flyteidl's admin `TaskSpec` has not (flyteidl2's fields
    3-5, `short_name`, `environment`, `documentation`; both have the template as field 1), as flyteidl2 reads it,
    or as fields flyteidl does not know."""
    from google.protobuf.unknown_fields import UnknownFieldSet  # optional extra (flyteidl or flyteidl2)

    names = {field.name for field, _ in message.ListFields()}
    return bool(names & {"short_name", "environment", "documentation"}) or len(UnknownFieldSet(message)) > 0


def _binary_template(path: str, data: bytes, member: str | None, idl: str) -> tuple[Any, Any]:
    """The message `idl` reads from `data` (a TaskSpec or a bare TaskTemplate) and the TaskTemplate in it, or
    (None, None)."""
    _, tasks_pb2, task_pb2 = protobuf_classes(f"--task-template {path}", idl)
    from google.protobuf.message import DecodeError  # optional extra (flyteidl or flyteidl2)

    where = f"{path}[{member}]" if member else path
    if re.search(r"_[23]\.pb$", member or path):
        kind = "workflow" if (member or path).endswith("_2.pb") else "launch plan"
        raise InputError(
            "task_template_invalid",
            f"{where} is a {kind}, not a task",
            file=path,
            hint="pyflyte writes each task as NN_<task name>_1.pb",
        )
    for cls in (spec_class(task_pb2), tasks_pb2.TaskTemplate):
        message = cls()
        try:
            message.ParseFromString(data)
        except DecodeError:
            continue
        template = message if cls is tasks_pb2.TaskTemplate else spec_template(message)
        if template.type and template.WhichOneof("target") in ("container", "k8s_pod", None):
            return message, template
    return None, None


def _from_package(path: str, data: bytes, task_name: str | None) -> tuple[dict, str]:
    """The task named `task_name` in a `pyflyte package` archive (a gzipped tar of NN_<name>_1.pb TaskSpecs), with
    its IDL."""
    import gzip  # start-up: only for a pyflyte package archive
    import tarfile  # start-up: only for a pyflyte package archive

    named = []
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for member in archive.getmembers():
                if member.isfile() and re.search(r"_1\.pb$", member.name):
                    handle = archive.extractfile(member)
                    template, idl = _from_binary(path, handle.read() if handle else b"", member.name)
                    named.append((_template_name(template), (template, idl)))
    except (tarfile.TarError, gzip.BadGzipFile, EOFError, OSError) as exc:
        raise InputError(
            "task_template_invalid",
            f"{path} is not a pyflyte package (a .tgz): {exc}",
            file=path,
            hint="pyflyte package --output flyte-package.tgz",
        ) from None
    if not named:
        raise InputError(
            "task_template_invalid",
            f"{path} holds no task (no NN_<name>_1.pb file)",
            file=path,
            hint="pyflyte package writes one NN_<task name>_1.pb per task",
        )
    return _check_name(named, task_name, path, required=True)
