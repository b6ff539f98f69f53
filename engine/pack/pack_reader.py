"""Reading a pack's files against their declaration (``engine.pack.pack_format``): ``Reader`` checks a mapping's
keys and types and reports each problem at its file:line:col, through the chain of files ``extends`` merged; the
merge profiles and the config loader's settings are read here too (a strategy rule is a strategy name with its
parameters, checked against the strategy registry).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from ..documents.yamlio import Document
from ..errors import RuleError
from ..k8s import paths as _paths
from . import pack_format
from .pack_model import Expression, Profile, _expression
from .plugin_options import Loader
from .registry import STRATEGIES, STRATEGY_PARAMS, Rule


class Reader:
    """Validates a pack file and collects every problem, each with file:line:col. Given the same file of the packs
    it extends too (``under``, nearest first: the file was merged), a problem is located in the first one that has
    its path."""

    def __init__(self, path: Path, document: Document, problems: list, under: tuple = ()) -> None:
        self.path = path
        self.document = document
        self.problems = problems
        self.under = under

    def problem(self, code: str, message: str, where: tuple, *, hint: str | None = None, rule: str | None = None):
        path, document = next(
            ((p, d) for p, d in ((self.path, self.document),) + self.under if _has(d.value, where)),
            (self.path, self.document),
        )
        line, column = document.locate(where) or (None, None)
        self.problems.append(
            RuleError(
                code,
                message,
                file=str(path),
                line=line,
                column=column,
                path=_paths.render(where) if where else None,
                hint=hint,
                rule=rule,
            )
        )

    def keys(
        self,
        value: Any,
        where: tuple,
        section: pack_format.Section,
        *,
        required: tuple | None = None,
        rule: str | None = None,
    ) -> bool:
        """The keys of a mapping of ``section`` (``required``: other than the section's required keys)."""
        if not isinstance(value, dict):
            self.problem("pack_schema", f"expected a mapping, got {type(value).__name__}", where, rule=rule)
            return False
        allowed = section.names
        required = section.required() if required is None else required
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                self.problem(
                    "pack_unknown_key",
                    f"unknown key {key!r}",
                    where + (key,),
                    rule=rule,
                    hint=f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(allowed))}",
                )
        for key in required:
            if key not in value:
                self.problem("pack_missing_key", f"missing required key {key!r}", where, rule=rule)
        return True

    def expression(self, text: Any, where: tuple, rule: str | None) -> Expression | None:
        if not isinstance(text, str):
            self.problem("pack_schema", "expected a JMESPath expression (a string)", where, rule=rule)
            return None
        try:
            return _expression(text, jmespath.compile(text))
        except JMESPathError as exc:
            self.problem(
                "jmespath_invalid",
                f"JMESPath does not compile: {exc}",
                where,
                rule=rule,
                hint='see https://jmespath.org/specification.html; quote keys with dashes: config."default-labels"',
            )
            return None

    def one_of(self, value: dict, where: tuple, section: pack_format.Section, rule: str | None) -> list:
        """The keys of ``section.one_of`` that ``value`` has; a problem unless exactly one."""
        given = [key for key in section.one_of if key in value]
        if len(given) != 1:
            self.problem("pack_schema", section.one_of_message, where, rule=rule)
        return given


def _has(value: Any, where: tuple) -> bool:
    for part in where:
        if (
            isinstance(value, dict)
            and part in value
            or isinstance(value, list)
            and type(part) is int
            and (0 <= part < len(value))
        ):
            value = value[part]
        else:
            return False
    return True


def _strategy_rule(reader: Reader, spec: Any, where: tuple, rule_id: str) -> Rule | None:
    if isinstance(spec, str):
        spec = {"strategy": spec}
    if not reader.keys(spec, where, pack_format.STRATEGY_RULE, rule=rule_id):
        return None
    name = spec.get("strategy")
    if name not in STRATEGIES:
        close = difflib.get_close_matches(str(name), sorted(STRATEGIES), n=1)
        reader.problem(
            "unknown_strategy",
            f"unknown strategy {name!r}",
            where + ("strategy",),
            rule=rule_id,
            hint=f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(STRATEGIES))}",
        )
        return None
    params = spec.get("params") or {}
    if not isinstance(params, dict):
        reader.problem("pack_schema", "params must be a mapping", where + ("params",), rule=rule_id)
        params = {}
    for key in params:
        if key not in STRATEGY_PARAMS[name]:
            reader.problem(
                "unknown_param",
                f"strategy {name!r} has no parameter {key!r}",
                where + ("params", key),
                rule=rule_id,
                hint=f"its parameters: {', '.join(sorted(STRATEGY_PARAMS[name])) or 'none'}",
            )
    return Rule(spec.get("rule") or rule_id, STRATEGIES[name], dict(params), spec.get("note"))


def _schema_path(text: str) -> tuple:
    """``spec.containers`` -> ("spec", "containers"); ``[]`` steps into list items, ``*`` into map entries."""
    return tuple(part for part in text.replace("[]", ".[]").split(".") if part)


def load_profiles(reader: Reader | None, value: Any) -> dict:
    """The profiles of the merged profiles.yaml (``extends`` patched them by id, their paths by path)."""
    profiles: dict = {}
    for profile_id, spec in (value or {}).get("profiles", {}).items():
        where = ("profiles", profile_id)
        if not reader.keys(spec, where, pack_format.PROFILE, rule=profile_id) or "default" not in spec:
            continue
        default = _strategy_rule(reader, spec["default"], where + ("default",), "")
        compiled: dict = {}
        for path_text, rule_spec in (pack_format.PROFILE.get(spec, "paths") or {}).items():
            rule_id = f"{profile_id}:{path_text}"
            rule = _strategy_rule(reader, rule_spec, where + ("paths", path_text), rule_id)
            if rule is not None:
                compiled[_schema_path(path_text)] = rule
        if default is not None:
            profiles[profile_id] = Profile(profile_id, default, compiled)
    return profiles


def load_loader(reader: Reader | None, value: Any) -> Any:
    """plugin-config.yaml's ``loader``: how FlytePropeller's config loader treats keys (engine.inputs.propeller_config)."""
    spec = value.get("loader") if isinstance(value, dict) else None
    if spec is None:
        return None
    if not reader.keys(spec, ("loader",), pack_format.LOADER):
        return None
    settings = {}
    for key, item in spec.items():
        if key not in pack_format.LOADER.names:
            continue  # reported by keys()
        if not isinstance(item, bool):
            reader.problem("pack_schema", f"loader.{key} must be true or false", ("loader", key))
            continue
        settings[key.replace("-", "_")] = item  # the Loader's field (tests/test_pack_format.py)
    return Loader(**settings)
