"""The schema pass of ``podeval check``: each file of a pack validated against the pack schema (JSON Schema draft
2020-12 made from the declaration, ``engine.pack.pack_format``, and the live strategy and transform registries;
JMESPath expressions compiled as ``format: jmespath``), each error reported at its file:line:col with the id of the
rule it is in and a hint (the nearest strategy or transform name, the key expected).
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path
from typing import Any

from jmespath import compile as compile_jmespath
from jmespath.exceptions import JMESPathError
from jsonschema import Draft202012Validator, FormatChecker

from ..errors import RuleError
from ..pack import pack_format, pack_schema
from ..pack.registry import STRATEGIES, load_deferred
from ..pack.rules import registries
from ..pack.transform_api import TRANSFORMS
from .check_findings import finding_at


@lru_cache(maxsize=4)
def _validators(extends: bool) -> dict:
    """One validator per pack file (of a pack that extends another: profiles may be patches), on the schema the
    declaration (engine.pack.pack_format) and the live registries make: engine/data/pack.schema.json, when current."""
    schema = pack_schema.json_schema(registries())
    checker = FormatChecker()
    checker.checks("jmespath", raises=JMESPathError)(
        lambda text: not isinstance(text, str) or bool(compile_jmespath(text))
    )
    return {
        name: Draft202012Validator(
            {**schema, "$ref": f"#/$defs/{pack_schema.file_definition(name, extends=extends)}"}, format_checker=checker
        )
        for name in (*pack_format.PACK_FILES, "plugins/<id>.yaml")
    }


def _rule_at(file_name: str, data: Any, where: tuple) -> str | None:
    """The id of the rule (or step, source, profile, option) a position belongs to."""
    try:
        if file_name == "pack.yaml" and len(where) >= 2 and where[0] in ("steps", "sources"):
            item = data[where[0]][where[1]]
            if where[0] == "steps" and len(where) >= 4 and where[2] == "apply":
                rule = item["apply"][where[3]]
                return rule.get("rule") if isinstance(rule, dict) else None
            return item.get("id") if isinstance(item, dict) else None
        if file_name == "profiles.yaml" and len(where) >= 2 and where[0] == "profiles":
            if len(where) >= 4 and where[2] == "paths":
                return f"{where[1]}:{where[3]}"
            return str(where[1])
        if file_name == "plugin-config.yaml" and len(where) >= 2 and where[0] == "options":
            return str(where[1])
    except (KeyError, IndexError, TypeError):
        return None
    return None


def _names(kind: str) -> list[str]:
    load_deferred()
    return sorted(STRATEGIES if kind == "strategy" else TRANSFORMS)


def schema_findings(file_name: str, path: Path, document: Any, extends: bool) -> list[RuleError]:
    validator = _validators(extends)[
        "plugins/<id>.yaml" if file_name.startswith(pack_format.PLUGINS_FOLDER + "/") else file_name
    ]
    data = document.value
    found = []
    for error in validator.iter_errors(data):
        where = tuple(error.absolute_path)
        schema = error.schema if isinstance(error.schema, dict) else {}
        rule = _rule_at(file_name, data, where)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = sorted(schema.get("properties") or {})
            for key in error.instance:
                if key in allowed:
                    continue
                close = difflib.get_close_matches(str(key), allowed, n=1)
                found.append(
                    finding_at(
                        "pack_unknown_key",
                        f"unknown key {key!r}",
                        file=str(path),
                        document=document,
                        where=where + (key,),
                        rule=_rule_at(file_name, data, where + (key,)),
                        key=True,
                        hint=f"did you mean {close[0]!r}?"
                        if close
                        else (f"known keys: {', '.join(allowed)}" if allowed else None),
                    )
                )
            continue
        if error.validator == "required":
            missing = str(error.message).split("'")[1] if "'" in str(error.message) else str(error.message)
            found.append(
                finding_at(
                    "pack_missing_key",
                    f"missing required key {missing!r}",
                    file=str(path),
                    document=document,
                    where=where,
                    rule=rule,
                )
            )
            continue
        if error.validator == "enum" and schema.get("enum") in (_names("strategy"), _names("transform")):
            kind = "transform" if schema.get("enum") == _names("transform") else "strategy"
            options = [str(o) for o in schema.get("enum", [])]
            close = difflib.get_close_matches(str(error.instance), options, n=1)
            found.append(
                finding_at(
                    f"unknown_{kind}",
                    f"unknown {kind} {error.instance!r}",
                    file=str(path),
                    document=document,
                    where=where,
                    rule=rule,
                    hint=f"did you mean {close[0]!r}?" if close else f"known: {', '.join(options)}",
                )
            )
            continue
        if error.validator == "format" and schema.get("format") == "jmespath":
            cause = error.cause or error.message
            found.append(
                finding_at(
                    "jmespath_invalid",
                    f"JMESPath does not compile: {cause}",
                    file=str(path),
                    document=document,
                    where=where,
                    rule=rule,
                    hint='see https://jmespath.org/specification.html; quote keys with dashes: config."default-labels"',
                )
            )
            continue
        message = schema.get("x-message") if error.validator in ("oneOf", "anyOf") else None
        found.append(
            finding_at(
                "pack_schema", message or error.message, file=str(path), document=document, where=where, rule=rule
            )
        )
    return found
