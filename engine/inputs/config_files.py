"""The files a user has that hold FlytePropeller's configuration, as the list of config files FlytePropeller reads
(``engine.inputs.propeller_config.load`` merges them): a config file (a whole config document, or the bare
``plugins.k8s`` section), a ConfigMap (its keys that end in ``.yaml``, as ``--config /etc/flyte/config/*.yaml``
reads them), a ``helm template`` manifest or a ``kubectl get -o yaml`` List holding one, each value with its
position in the file.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from ..documents.yamlio import Document, format_path, load_document, load_documents
from ..errors import InputError
from .config_positions import ConfigFile

#: Flyte's charts start FlytePropeller with ``--config /etc/flyte/config/*.yaml`` (flyte-binary: ``config.d/*.yaml``):
#: the ConfigMap keys that end so are its config files; other keys are not read
CONFIG_GLOB_SUFFIX = ".yaml"
#: top-level sections that make a file a whole config file (not podeval's shorthand, the bare plugins.k8s section):
#: the plugins, and Flyte 2's executor section (a file of its own is one of the config folder's files)
WHOLE_CONFIG_SECTIONS = ("plugins", "executor")
#: sections that make a file a whole config file when they are all it has: flytestdlib's storage and logger
#: (storage.yaml, logger.yaml of FlytePropeller's ConfigMap; a Helm values file has a ``storage`` key among others)
STDLIB_ONLY_SECTIONS = ("storage", "logger")


def _is_configmap(value: Any) -> bool:
    return isinstance(value, dict) and value.get("kind") == "ConfigMap"


def _has_plugins(text: Any) -> bool:
    return isinstance(text, str) and re.search(r"^plugins\s*:", text, re.MULTILINE) is not None


def _configmap_name(value: dict) -> str:
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    name, namespace = metadata.get("name"), metadata.get("namespace")
    return f"{namespace}/{name}" if namespace else str(name)


def _objects(document: Document) -> list[tuple[Any, tuple]]:
    """The objects of a document: itself, or the items of a ``kind: List``."""
    value = document.value
    if isinstance(value, dict) and value.get("kind") == "List" and isinstance(value.get("items"), list):
        return [(item, ("items", index)) for index, item in enumerate(value["items"])]
    return [(value, ())]


def read_files(
    paths: list[str], *, configmap: str | None = None, pack: Any = None, read: Any = None
) -> list[ConfigFile]:
    """The config files FlytePropeller would load for the inputs given as ``--propeller-config`` (in that order).

    Each input is a config file, a ConfigMap (every ``data`` key a file, in name order), or a stream of documents
    (``helm template`` output, a ``kubectl get -o yaml`` List): empty documents are skipped, and the one ConfigMap
    whose files carry a ``plugins:`` section is taken (``configmap``, a name or namespace/name, picks one)."""
    files: list[ConfigFile] = []
    options = getattr(pack, "options", None) or {}
    for path in paths:
        data = read(path) if read is not None else Path(path).read_bytes()
        documents = [d for d in load_documents(data, path) if d.value is not None]
        maps = [(d, obj, where) for d in documents for obj, where in _objects(d) if _is_configmap(obj)]
        if maps:
            files.extend(_configmap_files(path, maps, configmap))
            continue
        plain = [d for d in documents if not (isinstance(d.value, dict) and "kind" in d.value)]
        if not plain:
            raise InputError(
                "propeller_config_missing",
                f"{path} holds no ConfigMap and no config document",
                file=path,
                hint="pass FlytePropeller's ConfigMap, a manifest holding it, or a config file (plugins: {k8s: ...})",
            )
        if len(plain) > 1:
            line, column = plain[1].locate() or (None, None)
            raise InputError(
                "yaml_syntax",
                f"{path} holds {len(plain)} config documents and no ConfigMap",
                file=path,
                line=line,
                column=column,
                hint="FlytePropeller reads one document per config file: split them into files",
            )
        files.append(_plain_file(path, plain[0], options))
    return files


def _plain_file(path: str, document: Document, options: dict) -> ConfigFile:
    value = document.value
    if not isinstance(value, dict):
        line, column = document.locate() or (None, None)
        raise InputError(
            "invalid_type",
            f"expected FlytePropeller's config (a mapping), got {type(value).__name__}",
            file=path,
            line=line,
            column=column,
            hint="plugins: {k8s: {default-cpus: 500m, ...}}",
        )
    keys = [k for k in value if isinstance(k, str)]
    if any(k.lower() in WHOLE_CONFIG_SECTIONS for k in keys) or (
        keys and all(k.lower() in STDLIB_ONLY_SECTIONS for k in keys)
    ):
        return ConfigFile(value, path, document)
    if any(k.lower() in options for k in keys) or not options:
        return ConfigFile(value, path, document, bare=True)  # podeval's shorthand: the plugins.k8s section itself
    nested = sorted(_plugin_sections(value, ()), key=lambda p: p[-1] != "k8s")  # flyte-core: configmap.k8s first
    if nested:
        shown = ", ".join(format_path(p + ("plugins", "k8s")) for p in nested)
        line, column = document.locate_key(nested[0] + ("plugins", "k8s")) or (None, None)
        raise InputError(
            "helm_values",
            f"{path} looks like a Helm chart's values file, not FlytePropeller's config: its K8s "
            f"plugin section is at {shown}",
            file=path,
            line=line,
            column=column,
            hint="render the chart (helm template ... > manifest.yaml) and pass the manifest, or pass the section "
            f"itself: the value of {format_path(nested[0])} is a config file",
        )
    close = [difflib.get_close_matches(k, sorted(options), n=1) for k in keys]
    suggestion = next((f"did you mean {c[0]!r} for {k!r}?" for k, c in zip(keys, close, strict=True) if c), None)
    line, column = document.locate() or (None, None)
    raise InputError(
        "propeller_config_missing",
        f"{path} has no plugins section and no K8s plugin option (top-level keys: {', '.join(keys) or 'none'})",
        file=path,
        line=line,
        column=column,
        hint=suggestion or "FlytePropeller's K8s plugin options live under plugins: {k8s: ...}",
    )


def _plugin_sections(value: Any, path: tuple, depth: int = 0) -> list[tuple]:
    """Paths of mappings holding ``plugins: {k8s: {...}}`` inside a document (a Helm values file's ``configmap.k8s``)."""
    found: list[tuple] = []
    if not isinstance(value, dict) or depth > 8:
        return found
    plugins = value.get("plugins")
    if path and isinstance(plugins, dict) and isinstance(plugins.get("k8s"), dict):
        found.append(path)
    for key, item in value.items():
        if isinstance(key, str) and isinstance(item, dict):
            found.extend(_plugin_sections(item, path + (key,), depth + 1))
    return found


def _configmap_files(path: str, maps: list, wanted: str | None) -> list[ConfigFile]:
    names = [_configmap_name(obj) for _, obj, _ in maps]
    first = maps[0][0].locate(maps[0][2]) if maps else None
    line, column = first or (None, None)  # errors about the choice point at the first ConfigMap
    if wanted:
        chosen = [m for m, name in zip(maps, names, strict=True) if wanted in (name, name.split("/")[-1])]
        if not chosen:
            raise InputError(
                "configmap_not_found",
                f"{path} has no ConfigMap {wanted!r} (ConfigMaps: {', '.join(names) or 'none'})",
                file=path,
                line=line,
                column=column,
                hint="name one of them with --propeller-configmap",
            )
    else:
        chosen = [m for m in maps if any(_has_plugins(t) for t in ((m[1].get("data") or {}).values()))]
        if not chosen:
            raise InputError(
                "propeller_config_missing",
                f"no ConfigMap of {path} has a file with a plugins section (ConfigMaps: {', '.join(names)})",
                file=path,
                line=line,
                column=column,
                hint="FlytePropeller's ConfigMap is flyte-propeller-config (flyte-core) or "
                "flyte-binary-config / flyte-sandbox-config (flyte-binary)",
            )
    if len(chosen) > 1:
        shown = ", ".join(
            _configmap_name(obj) + (f" (line {d.locate(where)[0]})" if d.locate(where) else "")
            for d, obj, where in chosen
        )
        line, column = chosen[0][0].locate(chosen[0][2]) or (None, None)
        raise InputError(
            "several_configmaps",
            f"{path} holds {len(chosen)} ConfigMaps with a plugins section: {shown}",
            file=path,
            line=line,
            column=column,
            hint="pick FlytePropeller's with --propeller-configmap NAME",
        )
    document, obj, where = chosen[0]
    return configmap_files(
        obj.get("data") or {},
        filename=path,
        configmap=_configmap_name(obj),
        document=document,
        prefix=where + ("data",),
    )


def configmap_files(
    data: Any,
    *,
    filename: str | None,
    configmap: str | None,
    document: Document | None = None,
    prefix: tuple = ("data",),
    label: str | None = None,
) -> list[ConfigFile]:
    """The files of a ConfigMap's ``data``, in name order (as ``filepath.Glob`` lists the mounted folder), each
    parsed as FlytePropeller parses it. ``document``/``prefix`` locate ``data`` in the file it was read from."""
    if not isinstance(data, dict):
        return []
    files = []
    for key in sorted(data, key=lambda k: str(k).encode()):  # Go's sort.Strings: byte order
        if not str(key).endswith(CONFIG_GLOB_SUFFIX):
            continue  # not matched by --config /etc/flyte/config/*.yaml
        text = data[key]
        key_where = document.locate_key(prefix + (key,)) if document is not None else None
        if not isinstance(text, str):
            raise InputError(
                "invalid_type",
                f"a ConfigMap's data values are strings, got {type(text).__name__}",
                file=label or filename,
                path=f"data[{key}]",
                line=key_where[0] if key_where else None,
                column=key_where[1] if key_where else None,
                hint="write the file's text as a block: k8s.yaml: |",
            )
        offset = _block_offset(document, prefix + (key,), text) if document is not None else None
        inner_name = label or filename
        try:
            inner = load_document(text, inner_name or "<configmap>")
        except InputError as error:
            if offset is not None and error.line is not None:
                error.line, error.column = error.line + offset[0], (error.column or 0) + offset[1]
            error.path = f"data[{key}]" + (f".{error.path}" if error.path else "")
            raise
        value = inner.value if inner.value is not None else {}
        if not isinstance(value, dict):
            raise InputError(
                "invalid_type",
                f"the file {key!r} of ConfigMap {configmap} is not a mapping",
                file=inner_name,
                path=f"data[{key}]",
                hint="FlytePropeller fails at start: a config file is a mapping of sections",
            )
        fallback = key_where if offset is None else None
        files.append(
            ConfigFile(
                value, inner_name, inner, (), key=str(key), configmap=configmap, offset=offset, fallback=fallback
            )
        )
    return files


def _block_offset(document: Document, path: tuple, text: str) -> tuple[int, int] | None:
    """When a data value is a literal block scalar (``k8s.yaml: |``, as helm and kubectl write it), the lines and
    columns to add to a position inside the value to get its position in the file; None otherwise."""
    found = document.locate(path)
    source = getattr(document, "text", None)
    if not found or source is None:
        return None
    lines = source.splitlines()
    line0 = found[0] - 1
    if line0 >= len(lines) or not lines[line0][found[1] - 1 :].lstrip().startswith("|"):
        return None
    inner = text.splitlines()
    first = next((i for i, t in enumerate(inner) if t.strip()), None)
    if first is None or line0 + 1 + first >= len(lines):
        return None
    outer = lines[line0 + 1 + first]
    indent = len(outer) - len(outer.lstrip(" ")) - (len(inner[first]) - len(inner[first].lstrip(" ")))
    if indent < 0 or outer[indent:] != inner[first]:
        return None
    return line0 + 1, indent
