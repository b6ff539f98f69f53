"""engine/pack/plugin_options.py on its own: what FlytePropeller makes of a K8s plugin option's value.

Every expected value here comes from the Go code FlytePropeller decodes its config with, not from podeval: flytestdlib
``config/viper/viper.go`` (89cf9cc) decodes each section with ``decode(mine, defaultDecoderConfig(c, ...))`` into a
copy ``c`` of the section's current config (its defaults), with ``WeaklyTypedInput: true``, ``ZeroFields: true`` and
the hooks ``jsonUnmarshallerHook``, ``StringToTimeDurationHookFunc``, ``StringToSliceHookFunc(",")``,
``sliceToMapHook``; the decoder is github.com/go-viper/mapstructure/v2 v2.4.0 (flytestdlib/go.mod), whose functions
are named with each case (``decodeBool`` ...). The Go type of each option is its field in flyteplugins
``flytek8s/config/config.go`` (``K8sPluginConfig``).

Go's scalar conversions (``strconv.ParseInt``, ``strconv.FormatFloat``, ``time.ParseDuration``) are also checked
against Go itself (``tests/oracle/bin/strconv-oracle``, standard library only) over generated strings. A case marked
``xfail(strict=True)`` is a known difference; its reason says what Go does.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.inputs.scenario import load_scenario
from engine.k8s import quantity
from engine.pack import go_scalars, plugin_options
from engine.pack.plugin_options import NOT_DECODED, OptionDef, Unused


def option(kind: str, k8s: str | None = None, default=None) -> OptionDef:
    return OptionDef("o", default, kind, True, "", k8s)


def accepted(opt: OptionDef, value) -> bool:
    """check_plugin_config's verdict on ``value`` for ``opt``: True, or False with FlytePropeller's refusal."""
    scenario = load_scenario({"propeller": {"config": {"o": value}}})
    try:
        plugin_options.check_plugin_config(scenario, {"o": opt})
    except engine.InputError as error:
        assert {p.code for p in error.problems} <= {"invalid_type", "invalid_quantity"}, error.problems
        return False
    return True


def decoded(opt: OptionDef, value):
    assert accepted(opt, value), f"{value!r} should be accepted for a {opt.type}"
    return plugin_options.decode_option(opt, value)


def go_differs(reason: str):
    return pytest.mark.xfail(strict=True, reason=reason)


# ------------------------------------------------------------------------------------------------------------- bool
# *bool / bool options (enable-host-networking-pod, inject-finalizer): mapstructure decodeBool


@pytest.mark.parametrize(
    "value, expected",
    [
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("t", True),
        ("T", True),
        ("1", True),  # strconv.ParseBool
        ("false", False),
        ("F", False),
        ("0", False),
        ("", False),  # decodeBool: a string ParseBool refuses but empty is false
        (2, True),
        (0, False),
        (0.5, True),  # decodeBool: a number is true when not 0
    ],
)
def test_bool_from_a_string_or_a_number(value, expected):
    assert decoded(option("bool"), value) is expected


@pytest.mark.parametrize("value", ["yes", "on", "y", [True], {"a": True}])
def test_bool_refuses_what_parse_bool_refuses(value):
    # decodeBool: ParseBool's error (YAML 1.1's yes/on are strings to yaml.v3), UnconvertibleTypeError otherwise
    assert not accepted(option("bool"), value)
    assert plugin_options.weakly_decoded(value, engine.k8s.k8s_schema.FieldSpec(kind="bool", ptr=False)) is NOT_DECODED


# -------------------------------------------------------------------------------------------------------------- int
# int options (update-backoff-retries, update-base-backoff-duration): mapstructure decodeInt


@pytest.mark.parametrize(
    "value, expected",
    [
        ("42", 42),
        ("-7", -7),
        ("+5", 5),  # strconv.ParseInt(str, 0, 64)
        ("0x1F", 31),
        ("0b101", 5),
        ("0o17", 15),  # base 0: the base implied by the prefix
        (True, 1),
        (False, 0),  # decodeInt: bools to 1 and 0
        (2.9, 2),
        (-2.9, -2),  # decodeInt: int64(f), toward zero
    ],
)
def test_int_from_a_string_a_bool_or_a_float(value, expected):
    result = decoded(option("int"), value)
    assert result == expected and type(result) is int


@pytest.mark.parametrize("value", ["5 apples", "1.5", "ten", [1]])
def test_int_refuses_what_parse_int_refuses(value):
    assert not accepted(option("int"), value)


def test_int_from_an_empty_string_is_zero():
    # decodeInt: str == "" -> "0"
    assert decoded(option("int"), "") == 0


def test_int_with_a_leading_zero_is_octal():
    # strconv.ParseInt with base 0 reads a leading 0 as octal
    assert decoded(option("int"), "017") == 15


def test_int_with_spaces_is_refused():
    # strconv.ParseInt does not trim spaces: FlytePropeller cannot load " 5"
    assert not accepted(option("int"), " 5")


# ----------------------------------------------------------------------------------------------------------- string
# string options (scheduler-name, gpu-resource-name, co-pilot's fields): mapstructure decodeString


@pytest.mark.parametrize(
    "value, expected",
    [
        ("x", "x"),
        (5, "5"),
        (-12, "-12"),  # strconv.FormatInt(i, 10)
        (True, "1"),
        (False, "0"),  # decodeString: bools to "1" and "0"
        (1.5, "1.5"),
        (-0.25, "-0.25"),
        (2.0, "2"),  # strconv.FormatFloat(f, 'f', -1, 64)
    ],
)
def test_string_from_a_number_or_a_bool(value, expected):
    assert decoded(option("string"), value) == expected


@pytest.mark.parametrize("value", [["a"], {"a": "b"}])
def test_string_refuses_a_list_or_a_mapping(value):
    # decodeString: a slice converts only when its elements are bytes; a map never
    assert not accepted(option("string"), value)


def test_string_from_a_large_float_has_no_exponent():
    # decodeString: strconv.FormatFloat(f, 'f', -1, 64) writes no exponent
    assert decoded(option("string"), 1e20) == "100000000000000000000"


# --------------------------------------------------------------------------------------------------------- duration
# config.Duration options (default-pod-template-resync, co-pilot's timeout): jsonUnmarshallerHook hands the value to
# flytestdlib config/duration.go Duration.UnmarshalJSON, which parses a string with time.ParseDuration; a string it
# refuses is left to mapstructure, which cannot decode a string into the struct (decodeStruct: "expected a map or
# struct"), so FlytePropeller cannot load the config


@pytest.mark.parametrize("value", ["30s", "1h30m", "1.5h", "300ms", "2h45m0.5s", "10us", "0"])
def test_duration_accepts_what_parse_duration_reads(value):
    assert decoded(option("duration"), value) == value  # kept as written: the transform that uses it parses it


@pytest.mark.parametrize("value", ["soon", "30", "1 hour", [1]])
def test_duration_refuses_what_parse_duration_refuses(value):
    assert not accepted(option("duration"), value)  # "30": time.ParseDuration's "missing unit in duration"


def test_duration_from_a_number_is_nanoseconds():
    # Duration.UnmarshalJSON: a JSON number (case float64) is nanoseconds
    assert accepted(option("duration"), 30)


def test_duration_with_a_sign():
    # time.ParseDuration reads a sign
    assert accepted(option("duration"), "-1s")


# --------------------------------------------------------------------------------------------------------- quantity
# resource.Quantity options (default-cpus, default-memory): jsonUnmarshallerHook -> Quantity.UnmarshalJSON ->
# resource.ParseQuantity, which reads a JSON number as its text; what it refuses, mapstructure cannot decode


@pytest.mark.parametrize(
    "value, go_string", [(2, "2"), ("1.5", "1500m"), (0.5, "500m"), ("1024Mi", "1Gi"), ("1000m", "1")]
)
def test_quantity_accepts_what_parse_quantity_reads(value, go_string):
    # go_string: Quantity.String() of ParseQuantity's result (its canonical form, in the input's format)
    assert quantity.canonical(quantity.to_text(decoded(option("quantity"), value))) == go_string


@pytest.mark.parametrize("value", ["lots", "1 core", [1], {"cpu": 1}])
def test_quantity_refuses_what_parse_quantity_refuses(value):
    assert not accepted(option("quantity"), value)


# -------------------------------------------------------------------------------------------------- lists and maps


def test_a_single_object_where_a_list_is_wanted_is_a_list_of_one():
    # []v1.Toleration (default-tolerations): decodeSlice lifts a non-empty map into []any{data}; the toleration's
    # value 1 is a string field (decodeString: "1"), as in flytek8s/testdata/config.yaml
    assert decoded(option("list", "Toleration"), {"key": "gpu", "value": 1}) == [{"key": "gpu", "value": "1"}]


def test_a_single_string_where_a_string_list_is_wanted():
    # []string (default-env-from-secrets): StringToSliceHookFunc(",") splits the string; decodeSlice lifts a number
    assert decoded(option("list"), "secret") == ["secret"]
    assert decoded(option("list"), 5) == ["5"]


def test_a_scalar_where_a_list_of_objects_is_wanted_is_refused():
    # decodeSlice lifts it, then decodeStruct cannot read a string as a Toleration
    assert not accepted(option("list", "Toleration"), "gpu")


def test_a_comma_separated_string_is_split():
    # exactly []string (default-env-from-secrets, declared `k8s: string`): StringToSliceHookFunc(",") splits
    assert decoded(option("list", "string"), "a,b") == ["a", "b"]
    assert decoded(option("list", "string"), "") == []  # "" is the empty slice


@pytest.mark.parametrize(
    "name", ["default-env-from-configmaps", "default-env-from-secrets", "add-tolerations-for-extended-resources"]
)
def test_the_string_list_options_are_declared_as_such(name):
    # K8sPluginConfig (flytek8s/config/config.go at 89cf9cc) types these three []string: the split applies to them
    assert engine.load_rules("flyte-v1").options[name].k8s == "string"


@go_differs(
    "mapstructure v2.4.0 splits a string into a []string field inside a Kubernetes object too (PodDNSConfig.searches),"
    " but not into a named string type ([]Capability): the schema does not record the Go element type yet"
)
def test_a_comma_separated_string_in_a_nested_string_list():
    assert decoded(option("object", "PodDNSConfig"), {"searches": "a,b"}) == {"searches": ["a", "b"]}


def test_an_empty_mapping_where_a_list_is_wanted_is_empty():
    # decodeSlice: an empty map turns into an empty slice
    assert decoded(option("list", "Toleration"), {}) == []


def test_a_list_of_single_key_mappings_is_read_as_a_mapping():
    # map[string]string (default-env-vars): sliceToMapHook merges the items, which keep their keys' case; numbers
    # become their text (decodeMapFromMap, then decodeString)
    assert decoded(option("map", "string"), [{"MY_VAR": 1}, {"b": "x"}]) == {"MY_VAR": "1", "b": "x"}
    assert decoded(option("map", "string"), []) == {}  # sliceToMapHook: an empty list is an empty map


def test_a_list_of_mappings_with_several_keys_is_merged():
    # sliceToMapHook merges every key of every item, a later item's key winning
    assert decoded(option("map", "string"), [{"a": "1"}, {"a": "2", "b": "3"}]) == {"a": "2", "b": "3"}
    assert decoded(option("map", "string"), [{"a": "1", "b": "2"}]) == {"a": "1", "b": "2"}


def test_a_scalar_where_a_mapping_is_wanted_is_refused():
    # decodeMap: only a map, a struct or (weakly) a slice converts
    assert not accepted(option("map", "string"), "x")


def test_a_mapping_of_toleration_lists_lifts_each_value():
    # map[v1.ResourceName][]v1.Toleration (resource-tolerations): each value through decodeSlice
    assert decoded(option("map", "list:Toleration"), {"nvidia.com/gpu": {"key": "g", "value": 2}}) == {
        "nvidia.com/gpu": [{"key": "g", "value": "2"}]
    }


# -------------------------------------------------------------------------------- defaults and the effective config

OPTIONS = {
    "default-annotations": OptionDef("default-annotations", {"safe-to-evict": "false"}, "map", True, "", "annotations"),
    "default-cpus": OptionDef("default-cpus", "1000m", "quantity", True, ""),
    "co-pilot": OptionDef(
        "co-pilot",
        {"name": "copilot-", "image": "img:1"},
        "struct",
        True,
        "",
        None,
        {
            "name": OptionDef("name", "copilot-", "string", True, ""),
            "image": OptionDef("image", "img:1", "string", True, ""),
            "timeout": OptionDef("timeout", None, "duration", True, ""),
        },
    ),
}


def test_a_value_replaces_the_default_whole():
    # decodeMap with ZeroFields makes a new map: the default's keys do not survive
    config, unused = plugin_options.effective_config({"default-annotations": {"team": "ml"}}, OPTIONS)
    assert config["default-annotations"] == {"team": "ml"} and config["default-cpus"] == "1000m" and unused == []


def test_a_struct_option_is_decoded_field_by_field_over_its_defaults():
    # decodeStructFromMap sets the fields the map has (ZeroFields is not applied to structs), into the copy of the
    # defaults flytestdlib decodes into; fields are weakly decoded on their own (decodeString: 5 -> "5")
    config, unused = plugin_options.effective_config({"co-pilot": {"image": 5, "timeout": "5m"}}, OPTIONS)
    assert config["co-pilot"] == {"name": "copilot-", "image": "5", "timeout": "5m"} and unused == []
    assert OPTIONS["co-pilot"].default == {"name": "copilot-", "image": "img:1"}  # the table is not changed


def test_keys_flytepropeller_ignores_are_returned_in_order():
    # ErrorUnused (flytestdlib's strict mode) is off: decodeStructFromMap ignores keys that name no field
    config, unused = plugin_options.effective_config(
        {"co-pilot": {"imag": "x"}, "default-cpu": "2", "default-cpus": "2"}, OPTIONS
    )
    assert config["co-pilot"] == OPTIONS["co-pilot"].default and config["default-cpus"] == "2"
    assert unused == [
        Unused(("propeller", "config", "co-pilot", "imag"), "co-pilot", "imag", "x", "image"),
        Unused(("propeller", "config", "default-cpu"), "default-cpu", None, "2", "default-cpus"),
    ]
    assert unused[1].refusal(engine.inputs.config_positions.Where("c.yaml", 3, 5)).code == "unknown_option"


def test_defaults_are_copies():
    first = plugin_options.defaults(OPTIONS)
    first["default-annotations"]["x"] = "y"
    assert plugin_options.defaults(OPTIONS)["default-annotations"] == {"safe-to-evict": "false"}


def test_the_shipped_table_loads_struct_defaults_from_the_fields():
    options = engine.load_rules("flyte-v1").options
    copilot = options["co-pilot"]
    assert copilot.default == {
        name: field.default for name, field in copilot.fields.items() if field.default is not None
    }
    assert set(plugin_options.KINDS) >= {o.type for o in options.values()}


def test_section_of_a_whole_config_document():
    assert plugin_options.section({"plugins": {"k8s": {"a": 1}}}) == ({"a": 1}, ("plugins", "k8s"))
    assert plugin_options.section({"plugins": {"logs": {}}}) == ({}, ("plugins", "k8s"))
    assert plugin_options.section({"default-cpus": 1}) == ({"default-cpus": 1}, ())


# ------------------------------------------------------------------------------------- against Go's own functions
# engine/pack/go_scalars.py against tests/oracle/bin/strconv-oracle (Go's strconv and time packages), over strings
# made of the characters these parsers treat specially


def _go(requests: list[dict]) -> list[dict]:
    from oracle.harness import run_strconv_oracle, strconv_oracle_unavailable_reason

    if strconv_oracle_unavailable_reason():
        pytest.skip(strconv_oracle_unavailable_reason())
    return run_strconv_oracle(requests)


_INT_TEXT = st.text(alphabet="0123456789abfoxXBO_+- ", max_size=12) | st.sampled_from(
    ["9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "0x7fffffffffffffff"]
)
_DURATION_TEXT = st.text(alphabet="0123456789.+-nsuµμmhx ", max_size=12) | st.sampled_from(
    ["2562047h47m16.854775807s", "2562047h47m16.854775808s", "-2562047h47m16.854775808s", "1.0000000000000000001h"]
)


@settings(max_examples=40, deadline=None)
@given(st.lists(_INT_TEXT, min_size=50, max_size=50))
def test_parse_int_is_go_strconv(texts):
    for text, answer in zip(texts, _go([{"op": "int", "s": text} for text in texts])):
        ours = go_scalars.parse_int(text)
        assert (ours is not None) == answer["ok"], (text, answer)
        if answer["ok"]:
            assert str(ours) == answer["value"], text


@settings(max_examples=40, deadline=None)
@given(st.lists(_DURATION_TEXT, min_size=50, max_size=50))
def test_parse_duration_is_go_time(texts):
    for text, answer in zip(texts, _go([{"op": "duration", "s": text} for text in texts])):
        ours = go_scalars.parse_duration(text) if text else 0  # "" is 0 for config.Duration (as the oracle asks)
        assert (ours is not None) == answer["ok"], (text, answer)
        if answer["ok"]:
            assert str(ours) == answer["value"], text


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=50, max_size=50))
def test_format_float_is_go_strconv(numbers):
    for number, answer in zip(numbers, _go([{"op": "float", "f": number} for number in numbers])):
        assert go_scalars.format_float(number) == answer["value"], number


@settings(max_examples=300, deadline=None)
@given(
    one=st.tuples(st.integers(-5000, 5000), st.sampled_from(["", "m", "k", "Ki", "Mi", "G", "e2", "e-3"])),
    other=st.tuples(st.integers(-5000, 5000), st.sampled_from(["", "m", "k", "Ki", "Mi", "G", "e2", "e-3"])),
)
def test_quantity_greater_is_the_comparison_of_the_values(one, other):
    """``quantity.greater`` (integer cross-multiplication) decides as ``Fraction``'s own ``>`` does."""
    a, b = f"{one[0]}{one[1]}", f"{other[0]}{other[1]}"
    assert quantity.greater(a, b) == (quantity.value_of(a) > quantity.value_of(b))
