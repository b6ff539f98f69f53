"""FlytePropeller's K8s plugin options (``plugins.k8s``): what each option is, and what FlytePropeller makes of a value.

This module owns the semantics of an option's value; the pack holds the data, ``engine.inputs.propeller_config`` reads the
files (viper's merge, key case, where each option was written). Adding an option that only needs a layer touches
the pack's ``plugin-config.yaml`` (its type, default, Kubernetes type) and the rule that reads it, not this module.

The option table
    ``OptionDef``, loaded from the parsed ``plugin-config.yaml`` (``load_options``): a name, a ``type`` (one of
    ``KINDS``), a default, whether it shapes the Pod, and for Kubernetes-typed values the type (``k8s``): an object
    type, the item type of a list, ``labels``/``annotations``/``string``/``list:<type>`` for the values of a map.
Decoding
    flytestdlib decodes the section with mapstructure (flytestdlib ``config/viper/viper.go``
    ``defaultDecoderConfig``: ``WeaklyTypedInput``, ``ZeroFields``, the ``sliceToMapHook`` decode hook, non-strict:
    ``ErrorUnused`` is off). ``decode_option`` is one option's value as FlytePropeller holds it after that;
    ``weakly_decoded`` is mapstructure's weak conversion of one value (``true`` -> ``"1"``, ``"5"`` -> ``5``, one
    value -> a list of one).
Defaults and the effective config
    ``effective_config``: the built-in defaults, each replaced whole by the value given (``ZeroFields``), except a
    ``struct`` option, decoded field by field over its defaults; keys FlytePropeller ignores come back as
    ``Unused``, for the evaluation to warn about (or refuse, with ``--strict``).
Validation and positions
    ``check_plugin_config`` checks every given value against its option, Kubernetes-typed values through
    ``validate.K8sChecker``; a value mapstructure converts is valid. Problems are located at the option's key in the
    scenario or in the config file it came from.
"""

from __future__ import annotations

import difflib
from typing import Any, NamedTuple

from ..errors import InputError
from ..k8s import k8s_schema
from ..k8s import paths as _paths
from ..k8s.tree import copy_plain
from ..k8s.validate import Context, K8sChecker, Problems, TooManyProblems, describe, expected, type_hint
from . import go_scalars, pack_format

#: the option types a pack may declare (``type`` in plugin-config.yaml: the pack format declares them, this module
#: decodes each)
KINDS = pack_format.OPTION_TYPES
#: where FlytePropeller's config holds the K8s plugin's options
SECTION = ("plugins", "k8s")


class Loader(NamedTuple):
    """How a Flyte version's config loader treats map keys (the pack's ``loader`` setting)."""

    #: viper lowercases map keys inside lists too (viper >= 1.20's insensitiveArray; 1.11 does not)
    lowercase_in_lists: bool = True
    #: flytestdlib puts lists back as written (restoreCaseSensitiveArrayKeys, flyte#7013)
    restore_lists: bool = True
    #: flytestdlib puts dotted keys back as written (restoreDottedMapKeys, flyte#7369)
    restore_dotted_keys: bool = True

    @classmethod
    def from_pack(cls, pack: Any) -> Loader:
        return getattr(pack, "loader", None) or cls()


# ----------------------------------------------------------------------------------------------------------------
# The option table


class OptionDef(NamedTuple):
    name: str
    default: Any
    type: str
    shapes_pod: bool
    doc: str
    #: the Kubernetes type of the value (an object), of its items (a list) or values (a map); `labels`/`annotations`
    k8s: str | None = None
    #: a `struct` option's fields (name -> OptionDef): each one defaults on its own (mapstructure decodes a struct
    #: field by field into a copy of the defaults)
    fields: dict | None = None
    #: a map's keys after loading: "as-loaded", or "upper" when FlytePropeller upper-cases them again (so viper's
    #: lowercasing of them does not matter)
    key_case: str = "as-loaded"


def load_options(reader: Any, value: Any, where: tuple = ()) -> dict:
    """The options of a parsed plugin-config.yaml, or of a plugin file's ``config`` at ``where`` (name ->
    ``OptionDef``); problems go to ``reader`` (the pack loader's: ``keys`` checks a mapping's keys, ``problem``
    records one, each at its place in the file)."""
    options: dict = {}
    for name, spec in ((value or {}).get("options") or {}).items():
        option = _load_option(reader, name, spec, where + ("options", name))
        if option is not None:
            options[name] = option
    return options


def _load_option(reader: Any, name: str, spec: Any, where: tuple) -> OptionDef | None:
    if not reader.keys(spec, where, pack_format.OPTION, rule=name) or "type" not in spec:
        return None
    fields = None
    if spec["type"] == "struct":
        if not isinstance(spec.get("fields"), dict):
            reader.problem("pack_schema", f"option {name!r} is a struct: it needs a 'fields' mapping", where)
            return None
        fields = {}
        for field_name, field_spec in spec["fields"].items():
            loaded = _load_option(reader, field_name, field_spec, where + ("fields", field_name))
            if loaded is not None:
                fields[field_name] = loaded
        default = {key: field.default for key, field in fields.items() if field.default is not None}
        return OptionDef(name, default, "struct", bool(spec.get("shapes-pod", True)), spec.get("doc", ""), None, fields)
    return OptionDef(
        name,
        spec.get("default"),
        spec["type"],
        bool(spec.get("shapes-pod", True)),
        spec.get("doc", ""),
        spec.get("k8s"),
        key_case=spec.get("key-case", "as-loaded"),
    )


def defaults(options: dict) -> dict:
    """FlytePropeller's built-in value of every option that has one (a copy: callers may change it)."""
    return {
        name: copy_plain(option.default) if isinstance(option.default, (dict, list)) else option.default
        for name, option in options.items()
        if option.default is not None
    }


def section(document: Any) -> tuple[Any, tuple]:
    """The K8s plugin's section of a whole FlytePropeller config document (``plugins: {k8s: ...}``) and its path in
    the document; any other value is the section itself (podeval's shorthand), at ``()``."""
    if isinstance(document, dict) and isinstance(document.get(SECTION[0]), dict):
        k8s = document[SECTION[0]].get(SECTION[1])
        return (k8s if k8s is not None else {}), SECTION
    return document, ()


# ----------------------------------------------------------------------------------------------------------------
# Weak decoding (mapstructure's WeaklyTypedInput, as flytestdlib configures it)

#: what ``weakly_decoded`` returns for a value mapstructure cannot convert
NOT_DECODED: Any = object()
#: strconv.ParseBool's spellings, and "" (mapstructure's decodeBool reads an empty string as false)
_GO_BOOLS = {
    "1": True,
    "t": True,
    "T": True,
    "TRUE": True,
    "true": True,
    "True": True,
    "0": False,
    "f": False,
    "F": False,
    "FALSE": False,
    "false": False,
    "False": False,
    "": False,
}
#: option types that are one Kubernetes scalar kind
_SCALARS = {"bool": "bool", "string": "string", "int": "int", "quantity": "quantity"}
#: time.ParseDuration's form (a config2.Duration option), or 0


def _is_duration(value: Any) -> bool:
    """flytestdlib's ``config.Duration.UnmarshalJSON`` (through the jsonUnmarshallerHook): a number is nanoseconds,
    ``""`` is 0, a string is read by ``time.ParseDuration``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and (value == "" or go_scalars.parse_duration(value) is not None)


def weakly_decoded(value: Any, spec: k8s_schema.FieldSpec) -> Any:
    """What mapstructure's WeaklyTypedInput makes of ``value`` for ``spec``, or ``NOT_DECODED``."""
    kind = spec.kind
    if kind == "list" and not isinstance(value, list):
        if isinstance(value, dict) and not value:
            return []  # decodeSlice: an empty map turns into an empty slice
        if spec.elem_is_type and not isinstance(value, dict):
            return NOT_DECODED  # a scalar where a list of objects is wanted
        if not spec.elem_is_type and isinstance(value, (dict, list)):
            return NOT_DECODED
        return [value]  # a single value becomes a list of one
    if kind == "string":
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return go_scalars.format_float(value)  # decodeString: FormatFloat(f, 'f', -1, 64)
    if kind == "bool":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value != 0
        if isinstance(value, str) and value in _GO_BOOLS:
            return _GO_BOOLS[value]
    if kind == "int":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, float):
            return int(value)
        if isinstance(value, str):
            number = go_scalars.parse_int(value)  # decodeInt: ParseInt(s, 0, 64), "" read as "0"
            return NOT_DECODED if number is None else number
    return NOT_DECODED


def slice_to_map(value: Any) -> Any:
    """flytestdlib's sliceToMapHook: a list of mappings read as one mapping, every key of every item in order, a
    later key winning (the list form keeps the keys' case, which viper lowercases in a mapping); any other value
    unchanged."""
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        merged: dict = {}
        for item in value:
            merged.update(item)
        return merged
    return value


def decode_option(option: Any, value: Any) -> Any:
    """A plugin option's value as FlytePropeller reads it (weakly typed decoding), for values check_plugin_config
    accepted: a list of single-key maps where a map is wanted becomes a map, a single object where a list is wanted
    a list of one, a number where a string is wanted its text, and so on, through the Kubernetes type the option
    declares (``k8s``); a struct's fields each as their own option (unknown fields dropped)."""
    kind = getattr(option, "type", None)
    k8s = getattr(option, "k8s", None) or ""
    if kind == "map":
        value = slice_to_map(value)
    if kind == "map" and isinstance(value, dict):
        if k8s in ("string", "labels", "annotations"):
            return {key: _decode(item, k8s_schema.FieldSpec(kind="string", ptr=False)) for key, item in value.items()}
        if k8s.startswith("list:"):
            spec = k8s_schema.FieldSpec(kind="list", ptr=False, elem=k8s[5:])
            return {key: _decode(item, spec) for key, item in value.items()}
        return value
    if kind == "struct" and isinstance(value, dict):
        fields = getattr(option, "fields", None) or {}  # unknown fields are ignored, as FlytePropeller does
        return {key: decode_option(fields[key], item) for key, item in value.items() if key in fields}
    if kind == "list":
        if k8s == "string" and isinstance(value, str):
            # StringToSliceHookFunc(","): a string where exactly []string is wanted is split on commas ("" -> [])
            return value.split(",") if value else []
        return _decode(value, k8s_schema.FieldSpec(kind="list", ptr=False, elem=k8s or "string"))
    if kind == "object" and k8s:
        return _decode(value, k8s_schema.FieldSpec(kind="object", ptr=True, elem=k8s))
    if kind in _SCALARS:
        return _decode(value, k8s_schema.FieldSpec(kind=_SCALARS[kind], ptr=False))
    return value


def _decode(value: Any, spec: k8s_schema.FieldSpec) -> Any:
    if value is None:
        return None
    if spec.kind == "list":
        lifted = value if isinstance(value, list) else weakly_decoded(value, spec)  # decodeSlice's lifting rules
        items = [value] if lifted is NOT_DECODED else lifted
        if spec.elem_is_type:
            element = k8s_schema.FieldSpec(kind="object", ptr=False, elem=spec.elem)
        else:
            element = k8s_schema.FieldSpec(kind=spec.elem or "string", ptr=False)
        return [_decode(item, element) for item in items]
    if spec.kind == "object" and isinstance(value, dict):
        fields = k8s_schema.fields(spec.elem) if spec.elem else {}
        return {key: _decode(item, fields[key]) if key in fields else item for key, item in value.items()}
    if spec.kind == "map" and isinstance(value, dict):
        element = (
            k8s_schema.FieldSpec(kind="object", ptr=False, elem=spec.elem)
            if spec.elem_is_type
            else k8s_schema.FieldSpec(kind=spec.elem or "string", ptr=False)
        )
        return {key: _decode(item, element) for key, item in value.items()}
    if spec.kind in ("string", "bool", "int"):
        expected_type = {"string": str, "bool": bool, "int": int}[spec.kind]
        if isinstance(value, expected_type) and not (spec.kind == "int" and isinstance(value, bool)):
            return value
        decoded = weakly_decoded(value, spec)
        return value if decoded is NOT_DECODED else decoded
    return value


# ----------------------------------------------------------------------------------------------------------------
# The effective config


class Unused(NamedTuple):
    """A key of ``propeller.config`` FlytePropeller's decoder ignores: flytestdlib decodes non-strictly
    (``ErrorUnused``, its strict mode, is off), so an unknown option, or an unknown field of a struct option, is
    dropped."""

    path: tuple  # ("propeller", "config", option) or ("propeller", "config", option, field)
    option: str  # the unknown option, or the struct option that has no such field
    field: str | None  # the unknown field; None when the option itself is unknown
    value: Any
    suggestion: str | None  # the nearest known name
    section: str = "K8s plugin"  # what the option belongs to, for the messages ("plugins.k8s-array")

    @property
    def hint(self) -> str:
        return f"did you mean {self.suggestion!r}?" if self.suggestion else "see docs/plugin-options.md"

    @property
    def note(self) -> str:
        """What the trace's warning says."""
        if self.field is not None:
            return f"FlytePropeller's {self.option} option has no field {self.field!r}: it is ignored" + (
                f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
            )
        return (
            f"FlytePropeller ignores the unknown {self.section} option {self.option!r} (it loads its config "
            f"non-strictly; --strict refuses it) (hint: {self.hint})"
        )

    def refusal(self, where: Any) -> InputError:
        """The error of ``--strict`` for an unknown option, at ``where`` (its key: file, line, column)."""
        return InputError(
            "unknown_option",
            f"FlytePropeller has no {self.section} option {self.option!r}",
            path=_paths.render(self.path),
            file=where.file,
            line=where.line,
            column=where.column,
            hint=self.hint,
        )


def effective_config(
    given: dict, options: dict, at: tuple = ("propeller", "config"), section: str = "K8s plugin"
) -> tuple[dict, list[Unused]]:
    """FlytePropeller's ``plugins.k8s`` section (or a plugin's, at ``at`` in the scenario) as FlytePropeller holds
    it, for the values ``given`` (checked by ``check_plugin_config``): the built-in defaults, each replaced whole by
    the value given (flytestdlib decodes with ZeroFields), a struct option field by field over its defaults; and the
    keys it ignores, in order."""
    config = defaults(options)
    unused: list[Unused] = []
    for name, value in given.items():
        option = options.get(name)
        if option is None:
            close = difflib.get_close_matches(str(name), sorted(options), n=1)
            unused.append(Unused(at + (name,), name, None, value, close[0] if close else None, section))
            continue
        decoded = decode_option(option, value)
        if option.type == "struct" and isinstance(decoded, dict):  # field by field over the defaults
            decoded = {**(config.get(name) or {}), **decoded}
            known = option.fields or {}
            for key, item in value.items():
                if key not in known:
                    close = difflib.get_close_matches(str(key), sorted(known), n=1)
                    unused.append(Unused(at + (name, key), name, key, item, close[0] if close else None, section))
        config[name] = decoded
    return config, unused


# ----------------------------------------------------------------------------------------------------------------
# Validation


def check_plugin_config(
    scenario: Any, options: dict, config: dict | None = None, at: tuple = ("propeller", "config")
) -> None:
    """Check the values of ``propeller.config`` (or ``config``, a plugin's section at ``at`` in the scenario) against
    the options; raise every problem together.

    An option's ``type`` (``map``, ``list``, ``object``, ``bool``, ``string``, ``int``, ``quantity``, ``duration``,
    ``struct``) is checked; an option that declares ``k8s`` (a Kubernetes type name for ``object``, the element type
    for ``list`` and ``map``, or ``labels``/``annotations`` for maps) is checked as that type. Unknown options are
    left to the caller (``effective_config`` returns them)."""
    if config is None:
        config = ((scenario.data.get("propeller") or {}).get("config")) or {}
    loaded = getattr(scenario, "config_origin", None)  # read from config files: each option located in its file
    problems = Problems(scenario.filename, _ConfigDocument(scenario), loaded.scenario_origins() if loaded else None)
    checker = _OptionChecker(problems, Context())
    try:
        for name, value in config.items():
            option = options.get(name)
            if option is None or value is None:
                continue
            _check_option(checker, option, value, at + (name,))
    except TooManyProblems:
        pass
    problems.raise_all()


class _OptionChecker(K8sChecker):
    """``validate.K8sChecker`` for FlytePropeller's configuration, which flytestdlib decodes with mapstructure's
    WeaklyTypedInput: a value it can convert is valid, and Flyte's own test configuration relies on it
    (flytek8s/testdata/config.yaml: a single toleration where a list is wanted, numbers in default-env-vars); podeval
    converts it the same way (``decode_option``). A value it cannot convert is refused."""

    def type_error(
        self,
        value: Any,
        spec: k8s_schema.FieldSpec,
        path: tuple,
        where: tuple,
        go: tuple,
        *,
        struct: str,
        element: bool = False,
        scalar_spec: k8s_schema.FieldSpec | None = None,
    ) -> None:
        shown = scalar_spec or spec
        if weakly_decoded(value, shown) is not NOT_DECODED:
            return
        hint = (
            type_hint(shown, value)
            or self.explain(go)
            or f"write {expected(shown)}, as the option's documentation says"
        )
        self.problems.add(
            "invalid_type",
            f"expected {expected(shown)}, got {describe(value)}; FlytePropeller cannot load this configuration",
            path,
            where,
            hint=hint,
        )


def _check_option(checker: K8sChecker, option: Any, value: Any, path: tuple) -> None:
    kind = getattr(option, "type", None)
    k8s = getattr(option, "k8s", None)
    if kind in _SCALARS:
        spec = k8s_schema.FieldSpec(kind=_SCALARS[kind], ptr=False)
        checker.scalar(value, spec, "K8sPluginConfig", path, path, ())
    elif kind == "duration":
        if not _is_duration(value):
            checker.problems.add(
                "invalid_type",
                f"expected a duration (e.g. 30s, 5m, 1h), got {describe(value)}; "
                "FlytePropeller cannot load this configuration",
                path,
                path,
                hint="a Go duration: a number and a unit",
            )
    elif kind == "struct":
        _check_struct(checker, option, value, path)
    elif kind == "object":
        if k8s and k8s_schema.fields(k8s):
            checker.object(value, k8s, path, path)
        elif not isinstance(value, dict):
            checker.type_error(
                value,
                k8s_schema.FieldSpec(kind="object", ptr=False, elem=k8s or "object"),
                path,
                path,
                (),
                struct="K8sPluginConfig",
            )
    elif kind == "list":
        spec = k8s_schema.FieldSpec(kind="list", ptr=False, elem=k8s or "any")
        if k8s:
            checker.field(value, spec, "K8sPluginConfig", path, path, ())
        elif not isinstance(value, list):
            checker.type_error(value, spec, path, path, (), struct="K8sPluginConfig")
    elif kind == "map":
        _check_map(checker, k8s, slice_to_map(value), path)


def _check_struct(checker: K8sChecker, option: Any, value: Any, path: tuple) -> None:
    """A struct option's fields, each by its own definition (unknown fields are warned elsewhere)."""
    if not isinstance(value, dict):
        checker.type_error(
            value,
            k8s_schema.FieldSpec(kind="object", ptr=False, elem="object"),
            path,
            path,
            (),
            struct="K8sPluginConfig",
        )
        return
    fields = getattr(option, "fields", None) or {}
    for key, item in value.items():
        if key in fields and item is not None:
            _check_option(checker, fields[key], item, path + (key,))


def _check_map(checker: K8sChecker, k8s: str | None, value: Any, path: tuple) -> None:
    """A map option: of Kubernetes lists (``list:Type``), of strings (labels and annotations checked as such), or
    of anything."""
    if isinstance(value, dict) and k8s and k8s.startswith("list:"):
        element = k8s_schema.FieldSpec(kind="list", ptr=False, elem=k8s[5:])
        for key, item in value.items():
            checker.field(item, element, "K8sPluginConfig", path + (key,), path + (key,), ())
    elif k8s in ("labels", "annotations", "string"):
        spec = k8s_schema.FieldSpec(kind="map", ptr=False, elem="string")
        checked = checker.field(value, spec, "K8sPluginConfig", path, path, ())
        if k8s == "labels":
            checker.labels(checked, path, path)
        elif k8s == "annotations":
            checker.annotations(checked, path, path)
    elif not isinstance(value, dict):
        checker.type_error(
            value, k8s_schema.FieldSpec(kind="map", ptr=False, elem="any"), path, path, (), struct="K8sPluginConfig"
        )


class _ConfigDocument:
    """Locates normalised scenario paths in the scenario's file (``Scenario.locate`` knows the translation)."""

    def __init__(self, scenario: Any) -> None:
        self.scenario = scenario

    def locate(self, path: tuple) -> tuple[int, int] | None:
        line, column = self.scenario.locate(path)
        return (line, column) if line is not None else None

    locate_key = locate
