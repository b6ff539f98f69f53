"""The one typed walk over the Kubernetes schema: where a value sits, and what the Go types say about it there.

Every part of podeval that descends into a Pod by its types uses this module: the merge (``engine.eval.strategies``,
``engine.eval.evaluate``), validation (``engine.k8s.validate``), the Pod's output (``engine.eval.output``) and the
managedFields export (``engine.render.managed_fields``). None of them looks a field up by name in ``k8s_schema``
while it walks; they step from ``Slot`` to ``Slot``.

A ``Slot`` is a place in an object, independent of the value in it: a field of a struct (``PodSpec.containers``), the
items of a list (``PodSpec.containers[]``) or the entries of a map (``ObjectMeta.labels{}``). It carries what the
walkers need, resolved once per type (``TypeTable``, built on first use and kept): the field's ``FieldSpec``, its
kind, its struct type (for an object; for a list or map of structs, the element's), the slot of its items or entries,
and the Kubernetes identity of the place (list type and key fields, atomic maps and structs). A place the schema
does not know (an unknown field, anything inside ``any``) is ``UNKNOWN``: its items and entries are strings.

A ``Position`` is a Slot with the path that reached it (printed-path segments, and the schema path with ``*`` for a
map entry and ``[]`` for a list item, by which merge profiles name places): the merge walks Positions.
"""

from __future__ import annotations

from typing import NamedTuple

from . import k8s_schema, paths
from .k8s_schema import FieldSpec

__all__ = ["UNKNOWN", "Position", "Slot", "TypeTable", "position", "root", "type_table"]


class Slot:
    """A place in a Kubernetes object: a struct's field, a list's items or a map's entries (see the module
    docstring). ``spec`` is None where the schema does not know the place."""

    __slots__ = (
        "_entry",
        "_item",
        "_table",
        "atomic",
        "elem_is_type",
        "kind",
        "list_keys",
        "name",
        "omitempty",
        "omitzero",
        "ptr",
        "python_types",
        "spec",
        "type_name",
    )

    def __init__(self, spec: FieldSpec | None, name: str = "", atomic: bool = False) -> None:
        self.spec = spec
        self.name = name
        self.kind = spec.kind if spec is not None else None
        self.ptr = spec.ptr if spec is not None else False
        self.omitempty = spec.omitempty if spec is not None else True
        self.omitzero = spec.omitzero if spec is not None else False
        self.elem_is_type = spec is not None and spec.elem_is_type
        #: a plain Go scalar (string, bool, int, float): the Python types that are valid values of it as they are
        #: (decoding, output and merge may take a short way for those); empty for every other kind
        self.python_types = PYTHON_TYPES.get(self.kind, ())
        #: the struct type of an object, or of a list's items / a map's entries
        self.type_name = spec.elem if self.elem_is_type else None
        #: the fields that identify a list's items in paths (``paths.list_keys``); empty: items by index
        self.list_keys = paths.list_keys(spec)
        #: Kubernetes owns it whole: an atomic list (or one without ``+listType``), map or struct
        self.atomic = atomic
        self._item: Slot | None = None
        self._entry: Slot | None = None
        self._table: TypeTable | None | bool = False  # not looked up yet

    @property
    def type(self) -> TypeTable | None:
        """The table of ``type_name`` (None for a scalar, or a name the schema does not have)."""
        table = self._table
        if table is False:
            table = self._table = type_table(self.type_name) if self.type_name else None
        return table  # type: ignore[return-value]

    def field(self, name: str) -> Slot:
        """The slot of a struct's field (``UNKNOWN`` if the struct has none of that name, or this is no struct)."""
        table = self.type
        return table.fields.get(name, UNKNOWN) if table is not None else UNKNOWN

    @property
    def item(self) -> Slot:
        """The slot of a list's items: a struct of the element type, or the element's scalar kind."""
        if self._item is None:
            self._item = self._element(omitempty=False)
        return self._item

    @property
    def entry(self) -> Slot:
        """The slot of a map's entries."""
        if self._entry is None:
            self._entry = self._element(omitempty=True)
        return self._entry

    def _element(self, *, omitempty: bool) -> Slot:
        type_name = self.type_name
        if type_name is not None:
            return struct_slot(type_name, omitempty=omitempty)
        kind = (self.spec.elem if self.spec is not None else None) or "string"
        return _scalar_slot(kind, omitempty)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Slot({self.name or self.kind!r}, {self.type_name!r})"


#: the Python types that are valid values of a plain Go scalar kind as they are
PYTHON_TYPES: dict[str | None, tuple[type, ...]] = {
    "string": (str,),
    "bool": (bool,),
    "int": (int,),
    "float": (int, float),
}


class TypeTable:
    """A struct type's fields, each as a Slot, in Go declaration order; ``required``: the fields the API requires,
    by JSON name, in the same order; ``atomic``: ``+structType=atomic``."""

    __slots__ = ("atomic", "fields", "name", "required")

    def __init__(self, name: str) -> None:
        self.name = name
        self.atomic = k8s_schema.struct_atomic(name)
        self.fields = {
            field_name: Slot(spec, field_name, _atomic(name, field_name, spec))
            for field_name, spec in k8s_schema.fields(name).items()
        }
        self.required = {field_name: slot.spec for field_name, slot in self.fields.items() if slot.spec.required}


def _atomic(type_name: str, field_name: str, spec: FieldSpec) -> bool:
    if spec.kind == "list":
        return spec.list_type not in ("map", "set")
    if spec.kind == "map":
        return k8s_schema.map_atomic(type_name, field_name)
    if spec.kind == "object" and spec.elem:
        return spec.struct_type == "atomic" if spec.struct_type else k8s_schema.struct_atomic(spec.elem)
    return False


_TABLES: dict[str, TypeTable | None] = {}
_STRUCT_SLOTS: dict[tuple[str, bool], Slot] = {}
_SCALAR_SLOTS: dict[tuple[str, bool], Slot] = {}


def type_table(name: str) -> TypeTable | None:
    """The table of a struct type, resolved on first use; None for a name the schema does not have."""
    try:
        return _TABLES[name]
    except KeyError:
        table = TypeTable(name) if k8s_schema.has_type(name) else None
        _TABLES[name] = table
        return table


def struct_slot(type_name: str, *, omitempty: bool = True) -> Slot:
    """The slot of an object of a struct type (a list item, a map entry, a document's root)."""
    key = (type_name, omitempty)
    slot = _STRUCT_SLOTS.get(key)
    if slot is None:
        spec = FieldSpec(kind="object", ptr=False, elem=type_name, omitempty=omitempty)
        slot = _STRUCT_SLOTS[key] = Slot(spec, atomic=k8s_schema.struct_atomic(type_name))
    return slot


def _scalar_slot(kind: str, omitempty: bool) -> Slot:
    key = (kind, omitempty)
    slot = _SCALAR_SLOTS.get(key)
    if slot is None:
        slot = _SCALAR_SLOTS[key] = Slot(FieldSpec(kind=kind, ptr=False, omitempty=omitempty))
    return slot


def root(type_name: str | None) -> Slot:
    """The slot of a document of ``type_name`` (``PodTemplateSpec``, ``PodSpec``); ``UNKNOWN`` for None or a name
    the schema does not have."""
    if type_name is None or type_table(type_name) is None:
        return UNKNOWN
    return struct_slot(type_name)


#: a place the schema does not know: its fields are unknown too, its items and entries strings
UNKNOWN = Slot(None)


_new = tuple.__new__  # a Position from its fields without NamedTuple's __new__: the merge makes one per node


class Position(NamedTuple):
    """Where a walk is: ``path`` (printed-path segments from where the walk started), ``schema`` (field names,
    ``*`` for a map entry, ``[]`` for a list item: how merge profiles name places) and the ``slot``."""

    path: tuple
    schema: tuple
    slot: Slot

    @property
    def spec(self) -> FieldSpec | None:
        return self.slot.spec

    @property
    def type_name(self) -> str | None:
        return self.slot.type_name

    def child(self, name: str) -> Position:
        """A struct's field."""
        return _new(Position, (self.path + (name,), self.schema + (name,), self.slot.field(name)))

    def entry(self, key: str) -> Position:
        """A map's entry."""
        return _new(Position, (self.path + (key,), self.schema + ("*",), self.slot.entry))

    def item(self, segment: paths.Segment) -> Position:
        """A list's item, by its path segment (``paths.item_segments``)."""
        return _new(Position, (self.path + (segment,), self.schema + ("[]",), self.slot.item))

    def step(self, segment: paths.Segment) -> Position:
        """One segment further, whatever it is: a field or a map key (a ``str``: an entry where this is a map), or
        a list item (a ``Key`` or an index)."""
        if not isinstance(segment, str):
            return self.item(segment)
        if self.slot.kind == "map":
            return self.entry(segment)
        return self.child(segment)


def position(root_type: str | None, path: tuple, *, schema_from_here: bool = True) -> Position:
    """The position a path of segments reaches from a document of ``root_type``. With ``schema_from_here`` the
    schema path starts empty at the end of ``path`` (a layer applied at ``path`` is merged with profile paths
    relative to it)."""
    key = (root_type, path, schema_from_here)
    found = _POSITIONS.get(key)
    if found is None:
        if len(_POSITIONS) >= _POSITIONS_KEPT:  # bounded: a path holds list keys (container names) from the inputs
            _POSITIONS.clear()
        found = _POSITIONS[key] = _position(root_type, path, schema_from_here)
    return found


#: positions by (root type, path, schema_from_here): a layer's path is walked once, not at every evaluation
#: (Positions are immutable, their Slots resolved once per type)
_POSITIONS: dict[tuple, Position] = {}
_POSITIONS_KEPT = 4096


def _position(root_type: str | None, path: tuple, schema_from_here: bool) -> Position:
    at = Position((), (), root(root_type))
    for segment in path:
        at = at.step(segment)
    return Position(at.path, (), at.slot) if schema_from_here else at
