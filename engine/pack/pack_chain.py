"""A pack's folder and the packs it ``extends``, walked once: ``read_chain`` reads every file of the chain (the loader
and ``podeval check`` work from it), ``PackChain.merged`` merges a file as ``extends`` does (``merge``: each key as
``pack_format`` declares it), ``merge_pack_files`` merges the chain's pack.yaml files, ``PackLocator`` finds where a
part of the pack is written through the chain.
Also where the shipped packs are (``shipped_rules_dir``, ``shipped_packs``) and how a pack name becomes a folder
(``resolve_pack_folder``).
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from ..documents.yamlio import Document, load_document
from ..errors import InputError, RuleError
from . import pack_format
from .pack_reader import Reader

SHIPPED = Path(__file__).resolve().parent.parent.parent / "rules"


def shipped_rules_dir() -> Path:
    """The folder of the packs installed with podeval."""
    # A wheel has engine/_rules, a checkout or an editable install rules/ beside engine/: both are looked at before
    # importlib.resources, whose import is a tenth of podeval's start-up.
    installed = Path(__file__).resolve().parent.parent / "_rules"
    if installed.is_dir():
        return installed
    if SHIPPED.is_dir():
        return SHIPPED
    try:
        from importlib import resources  # start-up: slow to import, rarely needed

        candidate = Path(str(resources.files("engine").joinpath("_rules")))
        if candidate.is_dir():
            return candidate
    except (ModuleNotFoundError, TypeError):  # pragma: no cover
        pass
    return SHIPPED


def shipped_packs() -> list[str]:
    base = shipped_rules_dir()
    return sorted(p.name for p in base.iterdir() if (p / "pack.yaml").is_file()) if base.is_dir() else []


def _read(path: Path, problems: list) -> tuple[Document | None, bytes]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(RuleError("pack_unreadable", f"cannot read {path}: {exc.strerror}", file=str(path)))
        return None, b""
    try:
        return load_document(data, str(path)), data
    except InputError as exc:  # YAML that does not parse
        problems.append(
            RuleError(
                exc.code, exc.message, file=exc.file, line=exc.line, column=exc.column, path=exc.path, hint=exc.hint
            )
        )
        return None, b""


def resolve_pack_folder(rules: str | Path) -> Path:
    candidate = Path(rules)
    if candidate.is_dir():
        return candidate
    shipped = shipped_rules_dir() / str(rules)
    if shipped.is_dir():
        return shipped
    close = difflib.get_close_matches(str(rules), shipped_packs(), n=1)
    raise RuleError(
        "unknown_rules",
        f"no rule pack {str(rules)!r}: not a folder and not a shipped pack",
        hint=f"did you mean {close[0]!r}?" if close else f"shipped packs: {', '.join(shipped_packs())}",
    )


class PackLayer(NamedTuple):
    """One pack of an ``extends`` chain: its folder and the files it has."""

    folder: Path
    documents: dict  # file name -> Document


class PackChain(NamedTuple):
    """A pack and the packs it extends, every file read once (``read_chain``): the loader and ``podeval check``
    work from it."""

    folder: Path
    layers: list  # PackLayer: the pack first, then the pack it extends, and so on
    digest: str
    problems: list  # what stops the pack from loading, in the order found
    unreadable: list  # of those, the files that cannot be read or parsed

    @property
    def extends(self) -> bool:
        """Does the pack's own pack.yaml extend another pack?"""
        own = self.layers[0].documents.get("pack.yaml") if self.layers else None
        return own is not None and isinstance(own.value, dict) and bool(own.value.get("extends"))

    def plugin_files(self) -> list[str]:
        """The plugin files of the chain (``plugins/<id>.yaml``), the root pack's first, each named once."""
        names: list[str] = []
        for layer in reversed(self.layers):
            names += [name for name in layer.documents if name.startswith(pack_format.PLUGINS_FOLDER + "/")]
        return list(dict.fromkeys(names))

    def merged(
        self, section: pack_format.Section, problems: list, name: str | None = None
    ) -> tuple[Any, Reader | None]:
        """A file of the chain merged as ``extends`` does (root first), and a reader that locates in its files.
        ``name``: the file, for a section that is not one file (a plugin's)."""
        name, key = name or section.file, section.required()[0]
        merged: Any = None
        readers: list = []
        for layer in reversed(self.layers):
            document = layer.documents.get(name)
            if document is None:
                continue
            reader = Reader(layer.folder / name, document, problems)
            if not isinstance(document.value, dict) or not isinstance(
                document.value.get(key), str if section is pack_format.PLUGIN_FILE else dict
            ):
                article = "an" if key[0] in "aeiou" else "a"
                reader.problem("pack_schema", f"{name} must have {article} {key!r} mapping", ())
                continue
            readers.insert(0, reader)
            merged = document.value if merged is None else merge(section, merged, document.value)
        if not readers:
            return None, None
        top = readers[0]
        return merged, Reader(top.path, top.document, problems, tuple((r.path, r.document) for r in readers[1:]))


def read_chain(rules: str | Path) -> PackChain:
    """Walk a pack's ``extends`` chain once, reading every file of it (raises ``unknown_rules`` for the pack)."""
    folder = resolve_pack_folder(rules)
    problems: list = []
    unreadable: list = []
    layers: list = []
    digest = hashlib.sha256()
    current: Path | None = folder
    while current is not None:
        if any(layer.folder == current for layer in layers):
            problems.append(
                RuleError(
                    "cycle", "packs extend each other in a cycle: " + " -> ".join(str(layer.folder) for layer in layers)
                )
            )
            break
        layer = PackLayer(current, {})
        layers.append(layer)
        for name in pack_format.pack_files(current):
            path = current / name
            if name != "pack.yaml" and not path.exists():
                continue
            failed: list = []
            document, data = _read(path, failed)
            problems += failed
            unreadable += failed
            if document is not None:
                layer.documents[name] = document
                digest.update(str(len(layers)).encode() + name.encode() + b"\0" + data + b"\0")
        current = _parent(layer, problems)
    if not problems:
        for name in pack_format.PACK_FILES:
            if not any(name in layer.documents for layer in layers):
                problems.append(
                    RuleError(
                        "pack_unreadable",
                        f"the pack has no {name} (nor does a pack it extends)",
                        file=str(folder / name),
                    )
                )
    return PackChain(folder, layers, "sha256:" + digest.hexdigest(), problems, unreadable)


def _parent(layer: PackLayer, problems: list) -> Path | None:
    """The folder of the pack ``layer`` extends (None: none, or it cannot be found: a problem)."""
    document = layer.documents.get("pack.yaml")
    name = document.value.get("extends") if document is not None and isinstance(document.value, dict) else None
    if not name:
        return None
    try:
        return resolve_pack_folder(name)
    except RuleError as exc:
        problems.append(exc)
        return None


def merge_pack_files(chain: PackChain, problems: list) -> tuple[dict, Reader] | None:
    """The pack.yaml files of the chain merged (root first): sources and steps patched by id, rules by rule id."""
    pack_doc: dict = {}
    reader: Reader | None = None
    for layer in reversed(chain.layers):
        document = layer.documents["pack.yaml"]
        if not isinstance(document.value, dict):
            continue
        layer_reader = Reader(layer.folder / "pack.yaml", document, problems)
        if not layer_reader.keys(document.value, (), pack_format.PACK_FILE, required=()):
            return None
        if "steps" in document.value or reader is None:
            reader = layer_reader
        pack_doc = merge(pack_format.PACK_FILE, pack_doc, document.value)
    if reader is None:
        problems.append(RuleError("pack_schema", "pack.yaml must be a mapping", file=str(chain.folder / "pack.yaml")))
        return None
    missing = [key for key in pack_format.PACK_FILE.required() if key not in pack_doc]
    for key in missing:
        reader.problem("pack_missing_key", f"missing required key {key!r}", ())
    return None if missing else (pack_doc, reader)


class PackLocator:
    """Where the parts of a pack are written, through its ``extends`` chain: the nearest pack whose file has the part.
    So a rule, source, step or option a pack inherits is its parent's (file and position), and one it patched is the
    patch's. ``layers``: (folder, the ``Document`` of a file name in it, or None), the pack first."""

    def __init__(self, layers: list[tuple[Path, Callable[[str], Document | None]]]) -> None:
        self.layers = layers

    @classmethod
    def of_chain(cls, chain: PackChain) -> PackLocator:
        return cls([(layer.folder, layer.documents.get) for layer in chain.layers])

    def find(self, file_name: str, predicate: Callable[[Any], tuple | None]) -> tuple[str | None, Any, tuple]:
        """(the file, its Document, the path in it) of the nearest file ``file_name`` where ``predicate(value)``
        gives a path; (None, None, ()) when none does."""
        for folder, document_of in self.layers:
            document = document_of(file_name)
            if document is None:
                continue
            where = predicate(document.value)
            if where is not None:
                return str(folder / file_name), document, where
        return None, None, ()

    def step(self, step_id: str, *extra: Any) -> tuple:
        def predicate(value: Any) -> tuple | None:
            for index, step in enumerate((value or {}).get("steps") or [] if isinstance(value, dict) else []):
                if isinstance(step, dict) and step.get("id") == step_id:
                    return ("steps", index) + extra
            return None

        return self.find("pack.yaml", predicate)

    def rule(self, rule_id: str, *extra: Any) -> tuple:
        def predicate(value: Any) -> tuple | None:
            for index, step in enumerate((value or {}).get("steps") or [] if isinstance(value, dict) else []):
                for position, rule in enumerate(step.get("apply") or [] if isinstance(step, dict) else []):
                    if isinstance(rule, dict) and rule.get("rule") == rule_id:
                        return ("steps", index, "apply", position) + extra
            return None

        return self.find("pack.yaml", predicate)

    def source(self, source_id: str) -> tuple:
        def predicate(value: Any) -> tuple | None:
            for index, source in enumerate((value or {}).get("sources") or [] if isinstance(value, dict) else []):
                if isinstance(source, dict) and source.get("id") == source_id:
                    return ("sources", index, "id")
            return None

        return self.find("pack.yaml", predicate)

    def option(self, name: str, file_name: str = pack_format.PLUGIN_CONFIG_FILE.file, at: tuple = ()) -> tuple:
        """An option of plugin-config.yaml (or of a plugin file's ``at``: ``("config", "options")``): options
        replace the parent's by name, whole, so the nearest file that has it has all of it."""

        def predicate(value: Any) -> tuple | None:
            options = _get(value, at + ("options",))
            return at + ("options", name) if isinstance(options, dict) and name in options else None

        return self.find(file_name, predicate)

    def plugin_rule(self, file_name: str, rule_id: str) -> tuple:
        """The mapping ``rule: <rule_id>`` anywhere in a plugin file (its shared pod's, roles' and own steps)."""
        return self.find(file_name, lambda value: _rule_path(value, (), rule_id))


def _get(value: Any, path: tuple) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _rule_path(value: Any, at: tuple, rule_id: str) -> tuple | None:
    if isinstance(value, dict):
        if value.get("rule") == rule_id:
            return at
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _rule_path(item, at + (key,), rule_id)
        if found is not None:
            return found
    return None


# ----------------------------------------------------------------------------------------------------------------
# extends: each key merged as pack_format declares it


def merge(section: pack_format.Section, parent: Any, child: Any) -> Any:
    """``child``, a value of ``section`` in a pack that extends another, laid over ``parent``, the same value in
    the parent (both plain data, neither changed)."""
    if not isinstance(parent, dict) and section.shorthand and parent is not None and not section.replaces(child):
        parent = {section.shorthand: parent}
    if not isinstance(parent, dict) or not isinstance(child, dict) or section.replaces(child):
        return child
    merged = dict(parent)
    for name, value in child.items():
        key = section.key(name)
        if key is not None and key.merge == pack_format.NOT_INHERITED:
            continue
        merged[name] = _merge_key(key, merged[name], value) if name in merged else value
    for key in section.keys:
        if key.merge == pack_format.NOT_INHERITED:
            merged.pop(key.name, None)
    return merged


def _merge_key(key: pack_format.Key | None, parent: Any, child: Any) -> Any:
    mode = key.merge if key is not None else pack_format.KEY_BY_KEY
    if mode == pack_format.KEY_BY_KEY:
        return (
            merge(pack_format.SECTIONS[key.of], parent, child) if key is not None and key.of else _deep(parent, child)
        )
    if mode == pack_format.BY_ID and isinstance(parent, list) and isinstance(child, list):
        return _by_id(pack_format.SECTIONS[key.of], parent, child)
    if (
        mode in (pack_format.BY_NAME, pack_format.REPLACE_BY_NAME)
        and isinstance(parent, dict)
        and isinstance(child, dict)
    ):
        if mode == pack_format.REPLACE_BY_NAME:
            return {**parent, **child}
        section = pack_format.SECTIONS[key.of]
        return {
            **parent,
            **{name: merge(section, parent[name], value) if name in parent else value for name, value in child.items()},
        }
    return child


def _by_id(section: pack_format.Section, parent: list, child: list) -> list:
    """An item of the child with an id the parent has is merged into it, in place; a new one is added at the end."""
    merged = [dict(item) if isinstance(item, dict) else item for item in parent]
    index = {item.get(section.id_key): position for position, item in enumerate(merged) if isinstance(item, dict)}
    for item in child:
        if isinstance(item, dict) and item.get(section.id_key) in index:
            position = index[item[section.id_key]]
            merged[position] = merge(section, merged[position], item)
        else:
            merged.append(item)
    return merged


def _deep(parent: Any, child: Any) -> Any:
    if not isinstance(parent, dict) or not isinstance(child, dict):
        return child
    merged = dict(parent)
    for key, value in child.items():
        merged[key] = _deep(merged[key], value) if key in merged else value
    return merged
