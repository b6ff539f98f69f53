#!/usr/bin/env python3
"""Generate ``engine/data/k8s_schema.json``: the field table of the Kubernetes Pod types.

For every model type reachable from ``V1PodTemplate`` (PodTemplate, PodTemplateSpec, ObjectMeta,
PodSpec, Container, ... recursively) the table records, per JSON field name::

    {"kind": K, "ptr": bool, "elem": T?, "omitempty": bool, "omitzero"?: true,
     "required"?: true, "embedded"?: "<GoStruct>",
     "list_type"?: "atomic"|"set"|"map", "list_map_keys"?: [..],
     "patch_merge_key"?: "<field>", "patch_strategy"?: "merge"|...,
     "map_type"?: "atomic"|"granular", "struct_type"?: "atomic"|"granular"}

and per type, ``"struct_type"?: "atomic"|"granular"`` (its ``+structType`` marker).

* ``kind``: string | bool | int | float | quantity | intorstring | time | object | list | map | any
* ``elem``: the struct type name for ``object``; the element (type name or scalar kind) for
  ``list`` and ``map``.
* ``ptr``: the Go field is a pointer (``*T``). This is what mergo's zero-value rules depend on,
  and it can only come from the Go source, so it is parsed from k8s.io/api ``core/v1/types.go``
  and k8s.io/apimachinery ``pkg/apis/meta/v1/types.go``.
* ``omitempty`` / ``omitzero``: options of the Go ``json`` tag (how encoding/json prints zeros).
* ``required``: the python client refuses the model without it (OpenAPI ``required``).
* ``embedded``: the field is promoted from an embedded (inline) Go struct, e.g. Probe's
  ``exec``/``httpGet`` come from ``ProbeHandler``, Volume's sources from ``VolumeSource``.
* list fields only, from the markers of the Go doc comment and the struct tags (the identity of a
  list's items, which only the Go source carries): ``list_type`` (``+listType``; absent when the
  field has none), ``list_map_keys`` (the ``+listMapKey`` fields of a ``map`` list, in order),
  ``patch_merge_key`` / ``patch_strategy`` (strategic merge patch's ``patchMergeKey`` /
  ``patchStrategy`` tags).
* map and struct fields, and struct types: ``map_type`` / ``struct_type``, the ``+mapType`` / ``+structType``
  markers (``atomic``: server-side apply owns the map or struct whole, as managedFields show it); left out where
  there is no marker (granular).

Sources of truth:

* the field *set* and JSON names come from the installed ``kubernetes`` python client
  (``openapi_types`` / ``attribute_map`` of ``kubernetes.client.models.V1...``);
* pointer-ness, kinds and json tag options come from the Go structs; the client's type strings
  (``List[V1Container]``, ``Dict[str, str]``, ``object``, ``datetime`` ...) are cross-checked
  against the Go types and any disagreement aborts the run.

Fields present on one side only are reported; Go-only fields are left out of the table (the engine
speaks the client's field set) and listed under ``source.go_only_fields``. A client-only field has no
Go type to take pointer-ness from, so it aborts the run unless ``--allow-client-only`` is given
(then it is listed under ``source.client_only_fields`` and guessed from the client type).

The Go files are third-party code and stay out of the repository. Pass them either as files::

    python tools/gen_k8s_schema.py --core-types /tmp/core_types.go --api-commit <sha> \
        --meta-types /tmp/meta_types.go --apimachinery-commit <sha>

or as git directories (e.g. the bare mirrors of github.com/kubernetes/api and
github.com/kubernetes/apimachinery), read with ``git show`` at a revision::

    python tools/gen_k8s_schema.py --api-git /path/kubernetes+api/repo --api-rev v0.37.0-beta.0 \
        --apimachinery-git /path/kubernetes+apimachinery/repo --apimachinery-rev HEAD
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA_VERSION = 2  # 2: list fields carry list_type / list_map_keys / patch_merge_key / patch_strategy
ROOT_MODEL = "V1PodTemplate"
ROOT_GO = "PodTemplate"
CORE_PATH = "core/v1/types.go"
META_PATH = "pkg/apis/meta/v1/types.go"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "engine" / "data" / "k8s_schema.json"

# Go packages by import alias as used in core/v1/types.go.
CORE, META = "core/v1", "meta/v1"
PKG_ALIASES = {"metav1": META}
GO_IMPORT_PATHS = {
    CORE: "k8s.io/api/core/v1",
    META: "k8s.io/apimachinery/pkg/apis/meta/v1",
}

# Go types with custom JSON marshalling that are leaves for the schema, by (package, name);
# an unqualified name used inside a package resolves against that package first.
SPECIAL = {
    ("resource", "Quantity"): "quantity",
    ("intstr", "IntOrString"): "intorstring",
    (META, "Time"): "time",
    (META, "MicroTime"): "time",
    (META, "FieldsV1"): "any",  # free-form JSON of the managed-fields set
    (META, "Duration"): "string",  # marshals as "1h2m3s"
    ("runtime", "RawExtension"): "any",
    ("types", "UID"): "string",
}
GO_BUILTINS = {
    "string": "string",
    "bool": "bool",
    **{
        t: "int"
        for t in (
            "int",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
        )
    },
    "float32": "float",
    "float64": "float",
}
SCALARS = {"string", "bool", "int", "float", "quantity", "intorstring", "time", "any"}


# --------------------------------------------------------------------------------------------
# Go side


@dataclass
class GoField:
    go_name: str | None  # None for an embedded field
    go_type: str
    json_name: str | None  # None: no json tag (encoding/json uses the Go name)
    json_opts: tuple[str, ...]
    line: int
    # the list markers of the field's doc comment (``+listType=map`` -> {"listType": ["map"]}) and its
    # ``patchStrategy``/``patchMergeKey`` struct tags, by marker name (see LIST_MARKERS)
    markers: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class GoPackage:
    name: str
    structs: dict[str, list[GoField]] = field(default_factory=dict)
    # type X <underlying>, for non-struct X
    named: dict[str, str] = field(default_factory=dict)
    # the markers of a struct's own doc comment (``+structType=atomic`` above ``type LabelSelector struct``)
    struct_markers: dict[str, dict[str, list[str]]] = field(default_factory=dict)


_TYPE_STRUCT = re.compile(r"^type\s+(\w+)\s+struct\s*\{\s*$")
# The markers of a list's identity, read from the doc comment right above a field (``// +listMapKey=protocol``),
# and of a map's or a struct's atomicity (``+mapType=atomic`` above a field, ``+structType=atomic`` above a field or
# a struct type); other markers (``+optional``, ``+k8s:...``) are not read.
LIST_MARKERS = ("listType", "listMapKey", "patchMergeKey", "patchStrategy")
GRANULARITY_MARKERS = ("mapType", "structType")
_MARKER = re.compile(r"^//\s*\+(" + "|".join(LIST_MARKERS + GRANULARITY_MARKERS) + r")=(\S+)\s*$")
_TAG_VALUE = re.compile(r'(?:^|\s)(patchStrategy|patchMergeKey):"([^"]*)"')
_TYPE_NAMED = re.compile(r"^type\s+(\w+)\s*=?\s*(\S+)\s*$")
_JSON_TAG = re.compile(r'(?:^|\s)json:"([^"]*)"')


def _strip_comment(line: str) -> str:
    """Drop a trailing // comment that is outside backquotes and double quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in '`"':
            quote = ch
        elif ch == "/" and line[i : i + 2] == "//":
            return line[:i]
    return line


def parse_go(text: str, pkg_name: str) -> GoPackage:
    """Parse the top-level ``type X struct {...}`` and ``type X Y`` declarations of a Go file.

    Deliberately small: k8s API type files are gofmt'ed, declare one type per ``type`` line, close
    structs with a ``}`` in column 0 and have no nested struct literals (checked).
    """
    pkg = GoPackage(pkg_name)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    lines = text.splitlines()
    i = 0
    type_markers: dict[str, list[str]] = {}  # of the top-level doc comment being read
    while i < len(lines):
        raw_line = lines[i].strip()
        line = _strip_comment(lines[i]).rstrip()
        i += 1
        if raw_line.startswith("//"):
            if mm := _MARKER.match(raw_line):
                type_markers.setdefault(mm.group(1), []).append(mm.group(2))
            continue
        doc_markers, type_markers = type_markers, {}
        if line.startswith("type ("):
            raise SystemExit(f"{pkg_name}:{i}: grouped type declarations are not supported")
        m = _TYPE_STRUCT.match(line)
        if m:
            name, fields = m.group(1), []
            pkg.struct_markers[name] = doc_markers
            markers: dict[str, list[str]] = {}  # of the doc comment being read
            while i < len(lines):
                raw = lines[i]
                i += 1
                if raw.startswith("}"):
                    break
                if mm := _MARKER.match(raw.strip()):
                    markers.setdefault(mm.group(1), []).append(mm.group(2))
                body = _strip_comment(raw).strip()
                if not body:
                    if not raw.strip():  # a blank line ends a doc comment
                        markers = {}
                    continue
                fields.append(_parse_field(body, pkg_name, i, markers))
                markers = {}
            else:
                raise SystemExit(f"{pkg_name}: unterminated struct {name}")
            pkg.structs[name] = fields
            continue
        m = _TYPE_NAMED.match(line)
        if m and not line.rstrip().endswith("{"):
            pkg.named[m.group(1)] = m.group(2)
    return pkg


def _parse_field(body: str, pkg_name: str, lineno: int, markers: dict[str, list[str]]) -> GoField:
    tag = ""
    if "`" in body:
        decl, _, rest = body.partition("`")
        tag = rest.rpartition("`")[0]
    else:
        decl = body
    parts = decl.split()
    if "struct" in parts or "struct{" in decl or "func(" in decl:
        raise SystemExit(f"{pkg_name}:{lineno}: unsupported field declaration {body!r}")
    if len(parts) == 1:
        go_name, go_type = None, parts[0]
    elif len(parts) == 2 and "," not in parts[0]:
        go_name, go_type = parts
    else:
        raise SystemExit(f"{pkg_name}:{lineno}: unsupported field declaration {body!r}")
    markers = dict(markers)
    for tag_name, value in _TAG_VALUE.findall(tag):
        # the struct tag is what strategic merge patch reads; a doc-comment marker saying otherwise is an error
        marked = markers.get(tag_name)
        if marked is not None and marked != [value]:
            raise SystemExit(f"{pkg_name}:{lineno}: +{tag_name}={marked} disagrees with the tag {tag_name}:{value!r}")
        markers[tag_name] = [value]
    m = _JSON_TAG.search(tag)
    if m:
        json_name, *opts = m.group(1).split(",")
        return GoField(go_name, go_type, json_name, tuple(o for o in opts if o), lineno, markers)
    return GoField(go_name, go_type, None, (), lineno, markers)


@dataclass(frozen=True)
class GoTypeInfo:
    kind: str
    ptr: bool
    elem: str | None = None  # struct type name or scalar kind
    elem_ptr: bool = False  # []*T / map[K]*T
    go_type: str = ""


class GoUniverse:
    def __init__(self, packages: dict[str, GoPackage]):
        self.packages = packages

    def _qualify(self, name: str, pkg: str) -> tuple[str, str]:
        if "." in name:
            alias, _, bare = name.partition(".")
            return PKG_ALIASES.get(alias, alias), bare
        return pkg, name

    def struct(self, pkg: str, name: str) -> list[GoField] | None:
        p = self.packages.get(pkg)
        return p.structs.get(name) if p else None

    def resolve(self, go_type: str, pkg: str) -> GoTypeInfo:
        """Map a Go type expression to (kind, ptr, elem)."""
        ptr = go_type.startswith("*")
        t = go_type.lstrip("*")
        kind, elem, elem_ptr, _ = self._resolve_bare(t, pkg)
        return GoTypeInfo(kind, ptr, elem, elem_ptr, go_type)

    def _resolve_bare(self, t: str, pkg: str) -> tuple[str, str | None, bool, str | None]:
        if t == "[]byte":
            return "string", None, False, None  # base64 string in JSON
        if t.startswith("[]"):
            inner = t[2:]
            ek, eelem, _, _ = self._resolve_bare(inner.lstrip("*"), pkg)
            return "list", self._elem_name(ek, eelem), inner.startswith("*"), None
        if t.startswith("map["):
            depth, j = 0, 3
            for j in range(3, len(t)):
                depth += {"[": 1, "]": -1}.get(t[j], 0)
                if depth == 0:
                    break
            inner = t[j + 1 :]
            ek, eelem, _, _ = self._resolve_bare(inner.lstrip("*"), pkg)
            return "map", self._elem_name(ek, eelem), inner.startswith("*"), None
        if t in ("interface{}", "any"):
            return "any", None, False, None
        if t in GO_BUILTINS:
            return GO_BUILTINS[t], None, False, None
        qpkg, bare = self._qualify(t, pkg)
        if (qpkg, bare) in SPECIAL:
            return SPECIAL[(qpkg, bare)], None, False, None
        p = self.packages.get(qpkg)
        if p is None:
            raise SystemExit(f"unknown Go type {t!r} (package {qpkg!r} not loaded, not special-cased)")
        if bare in p.structs:
            return "object", bare, False, qpkg
        if bare in p.named:
            under = p.named[bare]
            if under.startswith("*"):
                raise SystemExit(f"named pointer type {bare} = {under} is not supported")
            return self._resolve_bare(under, qpkg)
        raise SystemExit(f"unknown Go type {t!r} in package {qpkg}")

    @staticmethod
    def _elem_name(kind: str, elem: str | None) -> str:
        if kind == "object":
            assert elem
            return elem
        if kind in SCALARS:
            return kind
        raise SystemExit(f"nested {kind} as list/map element is not supported")

    def struct_fields(self, pkg: str, name: str) -> dict[str, tuple[GoField, GoTypeInfo, str | None, str]]:
        """JSON name -> (field, type info, embedded-from, package the Go type is written in).

        Embedded structs without a json name are flattened, as encoding/json does.
        """
        fields = self.struct(pkg, name)
        if fields is None:
            raise SystemExit(f"Go struct {pkg}.{name} not found")
        out: dict[str, tuple[GoField, GoTypeInfo, str | None, str]] = {}
        for f in fields:
            if f.json_name == "-":
                continue
            if f.go_name is not None and not f.go_name[0].isupper():
                continue  # unexported
            if f.go_name is None and not f.json_name:
                qpkg, bare = self._qualify(f.go_type.lstrip("*"), pkg)
                for jn, (ef, einfo, via, epkg) in self.struct_fields(qpkg, bare).items():
                    out.setdefault(jn, (ef, einfo, via or bare, epkg))
                continue
            go_name = f.go_name or self._qualify(f.go_type.lstrip("*"), pkg)[1]
            out[f.json_name or go_name] = (f, self.resolve(f.go_type, pkg), None, pkg)
        return out


# --------------------------------------------------------------------------------------------
# python client side


def client_info() -> dict:
    import kubernetes
    from kubernetes import client

    report = client.Configuration().to_debug_report()
    m = re.search(r"Version of the API:\s*(\S+)", report)
    api = m.group(1) if m else None
    return {"version": kubernetes.__version__, "api": api}


def client_model(name: str):
    from kubernetes.client import models

    return getattr(models, name, None)


_LIST = re.compile(r"^(?:List|list)\[(.+)\]$")
_DICT = re.compile(r"^(?:Dict\[str,\s*(.+)\]|dict\(str,\s*(.+)\))$")


def parse_client_type(t: str) -> tuple[str, str | None]:
    """``List[V1Container]`` -> ("list", "V1Container"); ``Dict[str, str]`` -> ("map", "str")."""
    t = t.strip()
    if m := _LIST.match(t):
        return "list", m.group(1).strip()
    if m := _DICT.match(t):
        return "map", (m.group(1) or m.group(2)).strip()
    return "leaf", t


# Which Go-derived kinds each client leaf type string may stand for.
CLIENT_LEAF_KINDS = {
    "str": {"string", "quantity", "intorstring"},
    "bool": {"bool"},
    "int": {"int"},
    "float": {"float"},
    "datetime": {"time"},
    "object": {"intorstring", "any", "quantity"},
}


def _is_model(client_t: str) -> bool:
    return client_t not in CLIENT_LEAF_KINDS and re.match(r"^[A-Z]\w*$", client_t) is not None


def _client_leaf_ok(client_t: str, kind: str) -> bool:
    if _is_model(client_t):
        # which model it is gets checked by the caller (names may differ: CoreV1ResourceClaim)
        return kind == "object"
    return kind in CLIENT_LEAF_KINDS.get(client_t, set())


def client_agrees(client_t: str, info: GoTypeInfo) -> bool:
    shape, inner = parse_client_type(client_t)
    if shape in ("list", "map"):
        if info.kind != shape or inner is None or info.elem is None:
            return False
        return _client_leaf_ok(inner, info.elem if info.elem in SCALARS else "object")
    return _client_leaf_ok(client_t, info.kind)


def client_model_ref(client_t: str) -> str | None:
    """The model class a client type string refers to, if any."""
    shape, inner = parse_client_type(client_t)
    ref = inner if shape != "leaf" else client_t
    return ref if ref and _is_model(ref) else None


def model_type_name(client_name: str) -> str:
    return re.sub(r"^V\d+(?:(?:alpha|beta)\d+)?", "", client_name)


def client_required(model) -> set[str]:
    """Python attribute names the client refuses to construct the model without."""
    req: set[str] = set()
    mf = getattr(model, "model_fields", None)
    if mf:  # pydantic-based client (>= 35)
        for py, info in mf.items():
            if info.is_required():
                req.add(py)
        return req
    import inspect  # legacy client: setters raise ValueError on None

    src = inspect.getsource(model)
    req.update(re.findall(r"client_side_validation and (\w+) is None", src))
    return req


def guess_from_client(client_t: str) -> GoTypeInfo:
    shape, inner = parse_client_type(client_t)
    leaf = {
        "str": "string",
        "bool": "bool",
        "int": "int",
        "float": "float",
        "datetime": "time",
        "object": "any",
    }
    if shape in ("list", "map"):
        assert inner is not None
        return GoTypeInfo(shape, False, leaf.get(inner) or model_type_name(inner), go_type="?")
    if client_t in leaf:
        return GoTypeInfo(leaf[client_t], False, go_type="?")
    return GoTypeInfo("object", True, model_type_name(client_t), go_type="?")


# --------------------------------------------------------------------------------------------
# generation


def read_go(path: str | None, git_dir: str | None, rev: str | None, in_repo: str) -> tuple[str, dict]:
    if git_dir:
        rev = rev or "HEAD"
        commit = subprocess.run(
            ["git", "-C", git_dir, "rev-parse", f"{rev}^{{commit}}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        text = subprocess.run(
            ["git", "-C", git_dir, "show", f"{commit}:{in_repo}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        date = subprocess.run(
            ["git", "-C", git_dir, "show", "-s", "--format=%cI", commit],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        src = {"commit": commit, "path": in_repo}
        if rev == "HEAD":
            branch = subprocess.run(
                ["git", "-C", git_dir, "rev-parse", "--abbrev-ref", "HEAD"],
                check=False,
                capture_output=True,
                text=True,
            ).stdout.strip()
            if branch and branch != "HEAD":
                src["ref"] = branch
        elif rev != commit:
            src["ref"] = rev
        if date:
            src["date"] = date
        return text, src
    if not path:
        raise SystemExit(f"need the path of {in_repo} (or a git dir)")
    return Path(path).read_text(), {"path": in_repo}


def generate(core_text: str, meta_text: str, allow_client_only: bool = False) -> tuple[dict, dict]:
    go = GoUniverse({CORE: parse_go(core_text, CORE), META: parse_go(meta_text, META)})
    types: dict[str, dict] = {}
    go_only: dict[str, list[str]] = {}
    client_only: dict[str, list[str]] = {}
    problems: list[str] = []
    client_of: dict[str, str] = {}  # schema type name -> client model name
    pkg_of: dict[str, str] = {}  # schema type name -> Go package

    # (schema type name = Go struct name, Go package, client model name)
    queue: list[tuple[str, str, str]] = [(ROOT_GO, CORE, ROOT_MODEL)]
    while queue:
        tname, gpkg, cname = queue.pop(0)
        if tname in client_of:
            if client_of[tname] != cname or pkg_of[tname] != gpkg:
                problems.append(f"type {tname}: reached as {pkg_of[tname]}/{client_of[tname]} and as {gpkg}/{cname}")
            continue
        client_of[tname], pkg_of[tname] = cname, gpkg
        model = client_model(cname)
        if model is None:
            problems.append(f"client model {cname} (Go {gpkg}.{tname}) not found")
            continue
        gofields = go.struct_fields(gpkg, tname)
        otypes: dict[str, str] = dict(model.openapi_types)
        amap: dict[str, str] = dict(model.attribute_map)
        required = {amap[p] for p in client_required(model) if p in amap}
        client_by_json = {amap[p]: otypes[p] for p in otypes}

        out: dict[str, dict] = {}
        # Go declaration order (= encoding/json output order), then client-only extras.
        for jn, (gf, info, via, _) in gofields.items():
            if jn not in client_by_json:
                go_only.setdefault(tname, []).append(jn)
                continue
            ct = client_by_json[jn]
            if not client_agrees(ct, info):
                problems.append(f"{tname}.{jn}: client type {ct!r} vs Go {info.go_type!r} ({info.kind}/{info.elem})")
                continue
            out[jn] = _entry(info, gf.json_opts, jn in required, via)
            if info.kind == "list":
                out[jn] |= _list_identity(gf.markers, f"{tname}.{jn}", problems)
            elif info.kind in ("map", "object"):
                marker, key = ("mapType", "map_type") if info.kind == "map" else ("structType", "struct_type")
                out[jn] |= _granularity(gf.markers, marker, key, f"{tname}.{jn}", problems)
            ref = client_model_ref(ct)
            if ref:
                assert info.elem is not None
                queue.append(
                    (
                        info.elem,
                        _pkg_for(
                            go,
                            info.elem,
                            go_pkg_of_field(gofields, jn, gpkg),
                            gf.go_type,
                        ),
                        ref,
                    )
                )
        for jn, ct in client_by_json.items():
            if jn in gofields:
                continue
            client_only.setdefault(tname, []).append(jn)
            if not allow_client_only:
                problems.append(f"{tname}.{jn}: in the client ({ct!r}) but not in the Go struct")
                continue
            info = guess_from_client(ct)
            out[jn] = _entry(info, ("omitempty",), jn in required, None) | {"guessed": True}
            ref = client_model_ref(ct)
            if ref:
                queue.append((model_type_name(ref), gpkg, ref))
        types[tname] = {
            "go": f"{GO_IMPORT_PATHS[gpkg]}.{tname}",
            "client": cname,
            **_granularity(
                go.packages[gpkg].struct_markers.get(tname, {}), "structType", "struct_type", tname, problems
            ),
            "fields": out,
        }

    if problems:
        raise SystemExit("schema generation failed:\n  " + "\n  ".join(problems))
    return types, {"go_only_fields": go_only, "client_only_fields": client_only}


def go_pkg_of_field(gofields: dict, jn: str, default: str) -> str:
    """Package whose namespace the field's Go type is written in (promoted fields: the embedded one)."""
    return gofields[jn][3]


def _entry(info: GoTypeInfo, opts: tuple[str, ...], required: bool, via: str | None) -> dict:
    e: dict = {"kind": info.kind, "ptr": info.ptr}
    if info.elem is not None:
        e["elem"] = info.elem
    if info.elem_ptr:
        e["elem_ptr"] = True
    e["omitempty"] = "omitempty" in opts
    if "omitzero" in opts:
        e["omitzero"] = True
    if required:
        e["required"] = True
    if via:
        e["embedded"] = via
    return e


LIST_TYPES = ("atomic", "set", "map")


def _list_identity(markers: dict[str, list[str]], where: str, problems: list[str]) -> dict:
    """How Kubernetes identifies the items of a list field, from its markers:

    * ``list_type``: ``+listType`` (``atomic`` | ``set`` | ``map``); left out when the field has no marker
      (server-side apply then treats the list as atomic);
    * ``list_map_keys``: the ``+listMapKey`` fields of a ``map`` list, in declaration order;
    * ``patch_merge_key`` / ``patch_strategy``: the ``patchMergeKey`` / ``patchStrategy`` of strategic merge
      patch (``kubectl apply``'s older identity), which some lists carry without a ``+listType``.
    """
    out: dict = {}
    list_type = markers.get("listType", [])
    keys = markers.get("listMapKey", [])
    if len(list_type) > 1 or (list_type and list_type[0] not in LIST_TYPES):
        problems.append(f"{where}: unknown +listType {list_type}")
    elif list_type:
        out["list_type"] = list_type[0]
    if (out.get("list_type") == "map") != bool(keys):
        problems.append(f"{where}: +listType={list_type} with +listMapKey={keys}")
    elif keys:
        out["list_map_keys"] = keys
    for marker, name in (("patchMergeKey", "patch_merge_key"), ("patchStrategy", "patch_strategy")):
        values = markers.get(marker, [])
        if len(values) > 1:
            problems.append(f"{where}: several +{marker} {values}")
        elif values:
            out[name] = values[0]
    return out


GRANULARITIES = ("atomic", "granular")


def _granularity(markers: dict[str, list[str]], marker: str, key: str, where: str, problems: list[str]) -> dict:
    """Whether server-side apply owns a map or a struct whole: ``+mapType`` of a map field, ``+structType`` of a
    struct type or of a field that holds one (the field's marker wins), as ``{key: "atomic" | "granular"}``; empty
    without a marker (granular, the default)."""
    values = markers.get(marker, [])
    if len(values) > 1 or (values and values[0] not in GRANULARITIES):
        problems.append(f"{where}: +{marker}={values}")
        return {}
    return {key: values[0]} if values else {}


def _pkg_for(go: GoUniverse, type_name: str, from_pkg: str, go_type: str) -> str:
    """Package holding struct ``type_name`` referenced from ``from_pkg`` by ``go_type``."""
    m = re.search(r"(\w+)\.\w+$", go_type)
    if m and m.group(1) in PKG_ALIASES:
        return PKG_ALIASES[m.group(1)]
    if go.struct(from_pkg, type_name) is not None:
        return from_pkg
    raise SystemExit(f"cannot find Go struct {type_name} (from {from_pkg} via {go_type})")


def dump(doc: dict) -> str:
    """JSON with one line per field (diff-friendly), types sorted, fields in Go order."""
    head = {k: v for k, v in doc.items() if k != "types"}
    lines = ["{"]
    for k, v in head.items():
        body = json.dumps(v, indent=2, sort_keys=False)
        lines.append(f"  {json.dumps(k)}: " + body.replace("\n", "\n  ") + ",")
    lines.append('  "types": {')
    tnames = sorted(doc["types"])
    for ti, tn in enumerate(tnames):
        t = doc["types"][tn]
        lines.append(f"    {json.dumps(tn)}: {{")
        for k, v in t.items():
            if k != "fields":
                lines.append(f"      {json.dumps(k)}: {json.dumps(v)},")
        lines.append('      "fields": {')
        fnames = list(t["fields"])
        for fi, fn in enumerate(fnames):
            comma = "," if fi < len(fnames) - 1 else ""
            lines.append(f"        {json.dumps(fn)}: {json.dumps(t['fields'][fn], separators=(', ', ': '))}{comma}")
        lines.append("      }")
        lines.append("    }" + ("," if ti < len(tnames) - 1 else ""))
    lines.append("  }")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == doc
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--core-types", help=f"path of k8s.io/api {CORE_PATH}")
    ap.add_argument(
        "--api-commit",
        help="k8s.io/api commit the --core-types file is from (recorded)",
    )
    ap.add_argument(
        "--api-git",
        help="git dir of github.com/kubernetes/api (instead of --core-types)",
    )
    ap.add_argument("--api-rev", help="revision to read from --api-git (default HEAD)")
    ap.add_argument("--meta-types", help=f"path of k8s.io/apimachinery {META_PATH}")
    ap.add_argument(
        "--apimachinery-commit",
        help="k8s.io/apimachinery commit of --meta-types (recorded)",
    )
    ap.add_argument("--apimachinery-git", help="git dir of github.com/kubernetes/apimachinery")
    ap.add_argument(
        "--apimachinery-rev",
        help="revision to read from --apimachinery-git (default HEAD)",
    )
    ap.add_argument(
        "--allow-client-only",
        action="store_true",
        help="keep client fields missing in Go (guessed)",
    )
    ap.add_argument(
        "-o",
        "--out",
        default=str(DEFAULT_OUT),
        help="output JSON (default: %(default)s)",
    )
    ap.add_argument(
        "--check",
        action="store_true",
        help="fail if --out differs from what would be written",
    )
    args = ap.parse_args(argv)

    core_text, api_src = read_go(args.core_types, args.api_git, args.api_rev, CORE_PATH)
    meta_text, am_src = read_go(args.meta_types, args.apimachinery_git, args.apimachinery_rev, META_PATH)
    if args.api_commit:
        api_src["commit"] = args.api_commit
    if args.apimachinery_commit:
        am_src["commit"] = args.apimachinery_commit
    for what, src in (("k8s.io/api", api_src), ("k8s.io/apimachinery", am_src)):
        if "commit" not in src:
            print(f"warning: no commit recorded for {what}", file=sys.stderr)

    types, diffs = generate(core_text, meta_text, args.allow_client_only)
    doc = {
        "version": SCHEMA_VERSION,
        "source": {
            "generator": "tools/gen_k8s_schema.py",
            "root": ROOT_MODEL,
            "kubernetes_client": client_info(),
            "k8s.io/api": api_src,
            "k8s.io/apimachinery": am_src,
            **diffs,
        },
        "types": types,
    }
    text = dump(doc)
    out = Path(args.out)
    if args.check:
        if not out.exists() or out.read_text() != text:
            print(f"{out} is out of date", file=sys.stderr)
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    nfields = sum(len(t["fields"]) for t in types.values())
    print(
        f"wrote {out}: {len(types)} types, {nfields} fields, {len(text)} bytes",
        file=sys.stderr,
    )
    for k, v in diffs.items():
        if v:
            print(f"{k}: {json.dumps(v)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
