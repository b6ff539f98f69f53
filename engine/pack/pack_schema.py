"""What the declaration of the pack format (``engine.pack.pack_format``) generates besides the loader's checks: the
JSON Schema of the three pack files (``json_schema``, with the strategy and transform registries' names and
parameters; shipped as ``engine/data/pack.schema.json`` for ``podeval check`` and editors) and the reference tables
of docs/policy-authors.md (``reference``, between marker comments), and ``write``, which regenerates both
(``python tools/gen_pack_format.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

from .pack_format import PLUGINS_FOLDER, SECTIONS, Key, Section

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "data" / "pack.schema.json"
SCHEMA_ID = "https://podeval.dev/schemas/pack.schema.json"
GUIDE = Path(__file__).resolve().parent.parent.parent / "docs" / "policy-authors.md"
BEGIN, END = "<!-- pack-format:begin (generated: python tools/gen_pack_format.py) -->", "<!-- pack-format:end -->"


# ----------------------------------------------------------------------------------------------------------------
# JSON Schema


def _ref(name: str, patch: bool) -> dict:
    section = SECTIONS[name]
    suffix = "Patch" if patch and section.patch else ""
    base = "strategySpec" if section.shorthand else name
    return {"$ref": f"#/$defs/{base}{suffix}"}


_SCALARS = {
    "id": {"type": "string", "minLength": 1},
    "text": {"type": "string"},
    "path": {"type": "string"},
    "jmespath": {"type": "string", "format": "jmespath"},
    "bool": {"type": "boolean"},
    "any": {},
    "mapping": {"type": "object"},
}


def _key_schema(key: Key, patch: bool, registries: dict) -> dict:
    if key.type in _SCALARS:
        schema = dict(_SCALARS[key.type])
    elif key.type == "ids":
        schema = {"type": "array", "items": dict(_SCALARS["id"])}
    elif key.type == "enum":
        schema = {"enum": list(key.values)}
    elif key.type == "strategy":
        schema = {"$ref": "#/$defs/strategyName"}
    elif key.type == "transform":
        schema = {"enum": sorted(registries["transform"])}
    elif key.type == "section":
        schema = _ref(key.of, patch)
    elif key.type == "list":
        schema = {"type": "array", "items": _ref(key.of, patch)}
    elif key.type == "map":
        schema = {"type": "object", "additionalProperties": _ref(key.of, patch)}
    else:  # pragma: no cover - a declaration error, caught by the tests
        raise ValueError(f"unknown key type {key.type!r}")
    return {**schema, "description": key.doc}


def _params_schema(kind: str, registries: dict) -> list:
    """One if/then per strategy or transform: its ``params`` are its declared parameters (expressions: JMESPath)."""
    found = []
    for name, declared in sorted(registries[kind].items()):
        params = getattr(declared, "params", declared)  # a transform's declaration, or a strategy's param names
        required = tuple(getattr(declared, "required", ()))
        kinds = params if isinstance(params, dict) else dict.fromkeys(params, "")
        properties = {p: dict(_PARAM_KINDS.get(kinds[p], {})) for p in sorted(kinds)}
        schema: dict = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            schema["required"] = list(required)
        found.append(
            {
                "if": {"properties": {kind: {"const": name}}, "required": [kind]},
                "then": {"properties": {"params": schema}, **({"required": ["params"]} if required else {})},
            }
        )
    return found


#: the schema of a parameter by its kind (engine.pack.transform_api.PARAM_KINDS)
_PARAM_KINDS = {"expression": _SCALARS["jmespath"], "variable": {"type": "string", "description": "a variable it sets"}}


def _section_schema(section: Section, patch: bool, registries: dict) -> dict:
    schema: dict = {"description": f"{section.title}: {section.doc}", "type": "object"}
    if section.schema_patch_if:  # the file says whether it is a patch: its list items follow
        schema["properties"] = {
            k.name: ({"type": "array", "description": k.doc} if k.type == "list" else _key_schema(k, False, registries))
            for k in section.keys
        }
        schema["additionalProperties"] = False
        lists = [k for k in section.keys if k.type == "list"]
        schema["if"] = {"not": {"required": [section.schema_patch_if]}}
        schema["then"] = {
            "required": list(section.required()),
            "properties": {k.name: {"items": _ref(k.of, False)} for k in lists},
        }
        schema["else"] = {
            "required": list(section.required(patch=True)),
            "properties": {k.name: {"items": _ref(k.of, True)} for k in lists},
        }
        return schema
    schema["properties"] = {k.name: _key_schema(k, patch, registries) for k in section.keys}
    required = section.required(patch=patch)
    if required:
        schema["required"] = list(required)
    schema["additionalProperties"] = False
    if section.one_of and not patch:
        schema["oneOf"] = [{"required": [name]} for name in section.one_of]
        schema["x-message"] = section.one_of_message
    if section.params_of and not patch:
        schema["allOf"] = _params_schema(section.params_of, registries)
    return schema


def json_schema(found: dict) -> dict:
    """The pack schema (JSON Schema draft 2020-12), with the registries' strategies and transforms (``found``:
    ``engine.pack.rules.registries()``; this module is below the registries and does not import them)."""
    defs: dict = {}
    for section in SECTIONS.values():
        defs[section.name] = _section_schema(section, False, found)
        if section.patch and not section.schema_patch_if:
            defs[section.name + "Patch"] = _section_schema(section, True, found)
        if section.shorthand:
            for suffix in ("", "Patch") if section.patch else ("",):
                defs["strategySpec" + suffix] = {
                    "description": f"{section.title}: a {section.shorthand}'s name, or a mapping",
                    "if": {"type": "string"},
                    "then": _key_schema(section.key(section.shorthand), False, found),
                    "else": {"$ref": f"#/$defs/{section.name}{suffix}"},
                }
    defs["strategyName"] = {"enum": sorted(found["strategy"])}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "podeval rule pack",
        "description": "One schema for the files of a podeval rule pack: pack.yaml, profiles.yaml, "
        "plugin-config.yaml and plugins/<id>.yaml (told apart by their top-level key; a profiles.yaml may patch a "
        "parent's profiles). Generated by `python tools/gen_pack_format.py` from engine/pack/pack_format.py "
        "and podeval's strategy and transform registries.",
        "if": {"type": "object", "required": ["profiles"]},
        "then": {"$ref": "#/$defs/profilesFilePatch"},
        "else": {
            "if": {"type": "object", "required": ["options"]},
            "then": {"$ref": "#/$defs/pluginConfigFile"},
            "else": {
                "if": {"type": "object", "required": ["task-types"]},
                "then": {"$ref": "#/$defs/pluginFile"},
                "else": {"$ref": "#/$defs/packFile"},
            },
        },
        "$defs": defs,
    }


def file_definition(file_name: str, *, extends: bool) -> str:
    """The schema definition a pack file is checked against (a pack that extends another may patch profiles)."""
    if file_name.startswith(PLUGINS_FOLDER + "/"):  # plugins/<id>.yaml
        file_name = "plugins/<id>.yaml"
    section = next(s for s in SECTIONS.values() if s.file == file_name)
    return section.name + ("Patch" if extends and section.patch and not section.schema_patch_if else "")


def schema_text(schema: dict) -> str:
    return json.dumps(schema, indent=2) + "\n"


# ----------------------------------------------------------------------------------------------------------------
# The guide's reference tables


_TYPE_TEXT = {
    "id": "string",
    "text": "string",
    "path": "path",
    "jmespath": "JMESPath",
    "bool": "boolean",
    "any": "any",
    "mapping": "mapping",
    "ids": "list of ids",
    "strategy": "strategy name",
    "transform": "transform name",
}


def _type_text(key: Key) -> str:
    if key.type == "enum":
        return " \\| ".join(f"`{value}`" for value in key.values)
    if key.type in ("section", "list", "map"):
        target = SECTIONS[key.of].title
        return {"section": "{target}", "list": "list of {target}", "map": "name: {target}"}[key.type].format(
            target=target
        )
    return _TYPE_TEXT[key.type]


def _section_text(section: Section) -> str:
    notes = []
    if section.id_key:
        notes.append(f"identified by `{section.id_key}`")
    if section.shorthand:
        notes.append(
            f"a plain string is its `{section.shorthand}`; one that names a `{section.shorthand}` replaces "
            f"the parent's whole under `extends`, one without patches it"
        )
    if section.one_of:
        notes.append("exactly one of " + " or ".join(f"`{name}`" for name in section.one_of))
    head = f"**{section.title}**: {section.doc}" + (f" ({'; '.join(notes)})" if notes else "") + "."
    rows = ["| key | type | required | default | `extends` | meaning |", "| --- | --- | --- | --- | --- | --- |"]
    for key in section.keys:
        rows.append(
            f"| `{key.name}` | {_type_text(key)} | {'yes' if key.required else ''} | {key.default_text()} "
            f"| {key.merge} | {key.doc} |"
        )
    return head + "\n\n" + "\n".join(rows)


def reference() -> str:
    """The guide's reference: one table per section, between the marker comments."""
    return "\n\n".join([BEGIN] + [_section_text(s) for s in SECTIONS.values()] + [END])


def guide_with_reference(text: str) -> str:
    """The guide's text with its reference tables regenerated (ValueError when it has no markers)."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the guide has no {BEGIN!r} ... {END!r} block")
    return text[:start] + reference() + text[end + len(END) :]


def write(schema: dict) -> list[Path]:
    """Regenerate engine/data/pack.schema.json (``schema``: ``json_schema(engine.pack.rules.registries())``) and the
    guide's reference tables (in a checkout)."""
    SCHEMA_FILE.write_text(schema_text(schema), encoding="utf-8")
    written = [SCHEMA_FILE]
    if GUIDE.is_file():
        GUIDE.write_text(guide_with_reference(GUIDE.read_text(encoding="utf-8")), encoding="utf-8")
        written.append(GUIDE)
    return written
