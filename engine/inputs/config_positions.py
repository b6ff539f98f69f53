"""A FlytePropeller config file as podeval holds it, and positions in it.

Owns ``ConfigFile`` (one file of FlytePropeller's config folder: its value, the document and ConfigMap key it came
from, the offset of a key written as a block scalar), ``Where`` (a place: file, ConfigMap key, line, column, and how
it prints), ``OptionDocument`` (one option's value located as a document of its own, for the scenario's origins)
and ``Warning_`` (what the user should hear about a file). ``viper`` and ``propeller_config`` use them. Values:
NamedTuples, not dataclasses (a dataclass compiles its methods at import: start-up time of ``podeval render``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..documents.yamlio import Document


class Where(NamedTuple):
    """A place in an input: the file, the ConfigMap key it holds (if any), line and column."""

    file: str | None
    line: int | None = None
    column: int | None = None
    key: str | None = None  # a ConfigMap's data key: "data[k8s.yaml]"
    configmap: str | None = None  # "namespace/name" of the ConfigMap

    #: line and column count from the start of the ConfigMap key's text, not of ``file``
    relative: bool = False

    def text(self) -> str:
        """``file:line:col (ConfigMap ns/name, data[key])``; ``ConfigMap ns/name data[key]:line:col`` (in ``file``)
        when the position counts from the start of the key's text."""
        position = ":".join(str(p) for p in (self.line, self.column) if p is not None)
        configmap = f"ConfigMap {self.configmap}" if self.configmap else None
        if self.relative:
            inner = f"{self.key}:{position}" if position else self.key
            return " ".join(p for p in (configmap, inner, f"(in {self.file})" if self.file else None) if p)
        if not (self.file or self.key):
            return ""  # a dict given to the Python API: nowhere to point
        place = ":".join(p for p in (self.file or "<input>", position) if p)
        inside = ", ".join(p for p in (configmap, self.key) if p)
        return f"{place} ({inside})" if inside else place


class ConfigFile(NamedTuple):
    """One config file, as FlytePropeller's config folder would hold it."""

    value: Any  # the file's mapping, as written
    filename: str | None  # the file errors and warnings point into
    document: Document | None = None  # locates raw paths (of ``value``, after ``prefix``)
    prefix: tuple = ()  # where the value is in ``document``
    key: str | None = None  # the ConfigMap data key
    configmap: str | None = None
    #: lines and columns to add to positions in ``document`` (a ConfigMap key written as a literal block scalar)
    offset: tuple[int, int] | None = None
    #: the file's own position when positions inside it cannot be mapped (a quoted data value)
    fallback: tuple[int, int] | None = None
    #: the file is the bare plugins.k8s section (podeval's shorthand), not a whole config file
    bare: bool = False

    @property
    def name(self) -> str:
        return self.key or self.filename or "<input>"

    def tree(self) -> Any:
        """The file as FlytePropeller's config tree (a bare section wrapped into ``plugins.k8s``)."""
        return {"plugins": {"k8s": self.value}} if self.bare else self.value

    def raw_path(self, tree_path: tuple) -> tuple:
        """A path of ``tree()`` as a path of ``value``."""
        return tuple(tree_path[2:]) if self.bare else tuple(tree_path)

    def written(self, tree_path: tuple) -> tuple:
        """The keys of ``tree()`` as the file writes them along ``tree_path`` (matched without regard to case), as
        far as the file has them."""
        return _follow(self.tree(), tree_path)

    def where(self, tree_path: tuple = (), *, key: bool = True) -> Where:
        """The position of a path of ``tree()`` (keys matched without regard to case, as viper does)."""
        line = column = None
        if self.document is not None:
            path = self.prefix + _follow(self.value, self.raw_path(tree_path))
            found = self.document.locate_key(path) if key else self.document.locate(path)
            if found and self.offset is not None:
                found = (found[0] + self.offset[0], found[1] + self.offset[1])
            elif found and self.fallback is not None:
                found = self.fallback
            if found:
                line, column = found
        return Where(
            self.filename,
            line,
            column,
            f"data[{self.key}]" if self.key else None,
            self.configmap,
            relative=self.key is not None and self.offset is None and self.fallback is None,
        )


def _follow(value: Any, path: tuple) -> tuple:
    """The keys of ``value`` as written along ``path`` (matched without regard to case), as far as they go."""
    out: list = []
    for segment in path:
        if isinstance(value, dict):
            key = (
                segment
                if segment in value
                else next(
                    (
                        k
                        for k in value
                        if isinstance(k, str) and isinstance(segment, str) and k.lower() == segment.lower()
                    ),
                    None,
                )
            )
            if key is None:
                break
            out.append(key)
            value = value[key]
        elif isinstance(value, list) and isinstance(segment, int) and 0 <= segment < len(value):
            out.append(segment)
            value = value[segment]
        else:
            break
    return tuple(out)


class OptionDocument:
    """What ``validate.Problems`` and ``Scenario`` origins need to place a path below one option in its file."""

    def __init__(self, file: ConfigFile, option_path: tuple) -> None:
        self.file = file
        self.option_path = option_path
        self.value = _get(file.tree(), option_path)

    def _locate(self, path: tuple, key: bool) -> tuple[int, int] | None:
        where = self.file.where(self.option_path + tuple(path), key=key)
        return (where.line, where.column) if where.line is not None else None

    def locate(self, path: tuple = ()) -> tuple[int, int] | None:
        return self._locate(tuple(path), False)

    def locate_key(self, path: tuple = ()) -> tuple[int, int] | None:
        return self._locate(tuple(path), True)


def _get(tree: Any, path: tuple) -> Any:
    for segment in _follow(tree, path):
        tree = tree[segment]
    return tree


class Warning_(NamedTuple):
    """Something FlytePropeller does with a file that the user should hear about."""

    message: str
    where: Where
    path: tuple  # the path in the config tree (``plugins.k8s.default-env-vars.MY_VAR``)
    hint: str | None = None
    #: FlytePropeller cannot load such a config: ``load`` raises it (``invalid_type``, exit 2)
    fatal: bool = False
