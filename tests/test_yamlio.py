"""engine.documents.yamlio: values, positions, every error code, hostile inputs, dump_yaml.

Most tests run twice: with libyaml's parser (CSafeLoader) and with pure-Python pyyaml, since the
module must behave the same on a host without libyaml. No timing assertions here (see
benchmarks/hostile_inputs.py); hostile inputs are checked for the right error code, and two of them
for a small tracemalloc peak.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import tracemalloc

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from engine.documents import yamlio
from engine.documents.yamlio import Document, Limits, dump_yaml, format_path, load_document, load_documents
from engine.errors import InputError

LOADERS = [pytest.param(yaml.SafeLoader, id="pure")]
if getattr(yaml, "CSafeLoader", None) is not None:
    LOADERS.insert(0, pytest.param(yaml.CSafeLoader, id="libyaml"))


@pytest.fixture(autouse=True, params=LOADERS)
def loader(request, monkeypatch):
    monkeypatch.setattr(yamlio, "_LOADER", request.param)
    if request.param is yaml.SafeLoader:  # and the pure-Python emitter for dump_yaml
        monkeypatch.setattr(yamlio, "_Dumper", yamlio._make_dumper(yaml.SafeDumper))
    return request.param


def refused(data, code, *, limits=yamlio.DEFAULT_LIMITS, filename="in.yaml", many=False) -> InputError:
    with pytest.raises(InputError) as info:
        if many:
            load_documents(data, filename, limits=limits)
        else:
            load_document(data, filename, limits=limits)
    err = info.value
    assert err.code == code, f"{err.code} != {code}: {err}"
    assert err.exit_code == 2
    assert err.file == filename
    assert err.hint
    return err


def at(err: InputError) -> tuple:
    return err.line, err.column


# ---------------------------------------------------------------------------------------------
# values


def test_core_schema_scalars():
    doc = load_document(
        "on: yes\n"
        "off: no\n"
        "y: n\n"
        "t: true\n"
        "f: False\n"
        "n1: null\n"
        "n2: ~\n"
        "n3:\n"
        "i: -12\n"
        "oct: 0o17\n"
        "legacy_oct: 0644\n"
        "hex: 0x1F\n"
        "bin: 0b101\n"
        "fl: 1.5\n"
        "exp: 1e3\n"
        "inf: -.inf\n"
        "nan: .nan\n"
        "date: 2024-01-01\n"
        "under: 1_000\n"
        "sexa: 1:20\n"
        "qnum: '12'\n"
        'qbool: "true"\n'
        "str: hello world\n"
        "tagged_str: !!str 12\n"
        "tagged_float: !!float 3\n"
        "tagged_int: !!int '7'\n"
        "nonspecific: ! 12\n"
    )
    v = doc.value
    assert v["on"] == "yes" and v["off"] == "no" and v["y"] == "n"
    assert v["t"] is True and v["f"] is False
    assert v["n1"] is None and v["n2"] is None and v["n3"] is None
    assert v["i"] == -12 and v["oct"] == 15 and v["legacy_oct"] == 0o644 and v["hex"] == 31 and v["bin"] == 5
    assert v["fl"] == 1.5 and v["exp"] == 1000.0 and isinstance(v["exp"], float)
    assert v["inf"] == -math.inf and math.isnan(v["nan"])
    assert v["date"] == "2024-01-01" and v["under"] == "1_000" and v["sexa"] == "1:20"
    assert v["qnum"] == "12" and v["qbool"] == "true" and v["str"] == "hello world"
    assert v["tagged_str"] == "12" and v["tagged_float"] == 3.0 and v["tagged_int"] == 7
    assert v["nonspecific"] == "12"
    assert all(type(k) is str for k in v)


def test_block_scalars_and_quoting():
    v = load_document("a: 'it''s'\nb: \"\\t\\u00e9\"\nc: |\n  lit\n  x\nd: >\n  fold\n  ed\n").value
    assert v == {"a": "it's", "b": "\té", "c": "lit\nx\n", "d": "fold ed\n"}


def test_empty_inputs():
    assert load_document("").value is None
    assert load_document("# nothing\n").value is None
    assert load_document("").locate(("a",)) is None
    assert load_documents("") == []
    assert load_documents("---\n")[0].value is None


def test_bytes_bom_and_crlf():
    doc = load_document(b"\xef\xbb\xbfa: 1\r\nb:\r\n  c: 2\r\n")
    assert doc.value == {"a": 1, "b": {"c": 2}}
    assert doc.locate(("a",)) == (1, 4)
    assert doc.locate(("b", "c")) == (3, 6)


def test_anchors_aliases_and_merge_keys():
    doc = load_document(
        "base: &base {cpu: 1, mem: 2}\n"
        "other: &other {mem: 3, gpu: 0}\n"
        "a: *base\n"
        "m:\n"
        "  <<: [*base, *other]\n"
        "  cpu: 9\n"
        "redef: &base 5\n"
        "r: *base\n"
    )
    v = doc.value
    assert v["a"] == {"cpu": 1, "mem": 2}
    assert v["m"] == {"cpu": 9, "mem": 2, "gpu": 0}  # explicit wins; earlier merge wins
    assert v["r"] == 5  # an alias refers to the latest definition of its anchor
    assert doc.locate(("a", "mem")) == (1, 27)  # inside the anchor's definition
    assert doc.locate(("a",)) == (3, 4)  # the alias itself
    assert doc.locate(("m", "gpu")) == (2, 29)  # a merged key: where it was written
    assert doc.locate(("m", "cpu")) == (6, 8)
    assert doc.locate_key(("m", "cpu")) == (6, 3)


def test_quoted_merge_key_is_an_ordinary_key():
    assert load_document('"<<": 1\n').value == {"<<": 1}


# ---------------------------------------------------------------------------------------------
# positions

POD = """\
task:
  podTemplate:
    metadata:
      labels:
        app.kubernetes.io/name: x
    podSpec:
      containers:
        - name: primary
          command: ["python", "-m", "app"]
          args:
            - --flag
            - value
        - name: sidecar
          image: busybox
"""


def test_positions_of_nested_keys_and_list_items():
    doc = load_document(POD, "pod.yaml")
    cont = ("task", "podTemplate", "podSpec", "containers")
    assert doc.locate(()) == (1, 1)
    assert doc.locate(("task",)) == (2, 3)  # a block mapping value starts at its first key
    assert doc.locate_key(("task", "podTemplate")) == (2, 3)
    assert doc.locate(cont + (0,)) == (8, 11)
    assert doc.locate(cont + (0, "command")) == (9, 20)
    assert doc.locate_key(cont + (0, "command")) == (9, 11)
    assert doc.locate(cont + (0, "command", 2)) == (9, 37)
    assert doc.locate(cont + (0, "args", 1)) == (12, 15)
    assert doc.locate(cont + (1, "image")) == (14, 18)
    assert doc.locate(("task", "podTemplate", "metadata", "labels", "app.kubernetes.io/name")) == (5, 33)
    assert doc.locate(cont + (-1, "name")) == (13, 17)


def test_locate_falls_back_to_nearest_ancestor():
    doc = load_document(POD)
    cont = ("task", "podTemplate", "podSpec", "containers")
    assert doc.locate(cont + (0, "resources", "limits")) == doc.locate(cont + (0,))
    assert doc.locate(cont + (5, "name")) == doc.locate(cont)
    assert doc.locate(cont + ("zero",)) == doc.locate(cont)  # wrong type of path element
    assert doc.locate(cont + (0, "name", "deeper")) == doc.locate(cont + (0, "name"))
    assert doc.locate_key(cont + (0, "missing")) == doc.locate(cont + (0,))
    assert doc.locate(["task", "podTemplate"]) == doc.locate(("task", "podTemplate"))  # any iterable


def test_positions_in_flow_style():
    doc = load_document('{a: [1, {b: x}], "c d": null}')
    assert doc.locate(("a", 1, "b")) == (1, 13)
    assert doc.locate_key(("c d",)) == (1, 18)
    assert doc.locate(("c d",)) == (1, 25)


def test_document_error_helper():
    doc = load_document(POD, "pod.yaml")
    path = ("task", "podTemplate", "podSpec", "containers", 1, "image")
    err = doc.error("bad_image", "image is not allowed", path, hint="use another")
    assert isinstance(err, InputError)
    assert (err.code, err.path, err.file, err.line, err.column) == (
        "bad_image",
        "task.podTemplate.podSpec.containers[1].image",
        "pod.yaml",
        14,
        18,
    )
    assert err.hint == "use another"
    assert (doc.error("x", "m", path, key=True).line, doc.error("x", "m", path, key=True).column) == (14, 11)
    assert str(err).startswith("pod.yaml:14:18: task.podTemplate.podSpec.containers[1].image: ")


def test_format_path():
    assert format_path(()) is None
    assert format_path(("task", "containers", 0, "command")) == "task.containers[0].command"
    assert format_path(("labels", "app.kubernetes.io/name")) == 'labels["app.kubernetes.io/name"]'
    assert format_path((0, "a")) == "[0].a"


# ---------------------------------------------------------------------------------------------
# JSON


def test_json_input_values_and_positions():
    text = json.dumps({"task": {"containers": [{"name": "a", "cmd": ["x", "y"]}], "n": 1.5e3, "ok": True}}, indent=2)
    doc = load_document(text.encode(), "t.json")
    assert doc.value == json.loads(text)
    assert doc.locate(("task", "containers", 0, "cmd", 1)) == (8, 11)
    assert doc.locate_key(("task", "ok")) == (13, 5)


def test_compact_json_with_escapes():
    text = '{"a":1,"b":"x\\/y\\u00e9","c":[true,false,null],"d":{}}'
    assert load_document(text).value == json.loads(text)


def test_json_indented_with_tabs():
    text = '{\n\t"a": [1,\n\t\t2],\n\t"b": "x"\n}\n'
    doc = load_document(text)
    assert doc.value == {"a": [1, 2], "b": "x"}
    assert doc.locate(("a", 1)) == (3, 3)


def test_json_duplicate_key():
    err = refused('{"a": 1,\n "b": {"c": 1, "c": 2}}', "duplicate_key", filename="t.json")
    assert at(err) == (2, 16)
    assert err.path == "b.c"


# ---------------------------------------------------------------------------------------------
# multi-document streams


def test_load_documents():
    docs = load_documents("a: 1\n---\nb:\n  - x\n  - y\n---\n- 3\n", "s.yaml")
    assert [d.value for d in docs] == [{"a": 1}, {"b": ["x", "y"]}, [3]]
    assert all(isinstance(d, Document) and d.filename == "s.yaml" for d in docs)
    assert docs[1].locate(("b", 1)) == (5, 5)
    assert docs[2].locate((0,)) == (7, 3)
    assert docs[0].locate(("a",)) == (1, 4)


def test_single_document_loader_refuses_a_stream():
    err = refused("a: 1\n---\nb: 2\n", "yaml_syntax")
    assert at(err) == (2, 1)  # the second document's ---
    err = refused("a: 1\n...\n# two\nb: 2\n", "yaml_syntax")
    assert at(err) == (4, 1)  # no ---: where the second document starts


def test_limits_are_per_stream():
    text = "a: &a x\nb: [*a, *a]\n---\na: &a x\nb: [*a, *a]\n"
    assert len(load_documents(text, limits=Limits(max_aliases=4))) == 2
    err = refused(text, "alias_limit", limits=Limits(max_aliases=3), many=True)
    assert at(err) == (5, 9)


def test_anchors_do_not_cross_documents():
    err = refused("a: &a x\n---\nb: *a\n", "yaml_syntax", many=True)
    assert at(err) == (3, 4)


# ---------------------------------------------------------------------------------------------
# error codes


def test_yaml_syntax():
    err = refused("a: b: c\n", "yaml_syntax")
    assert at(err) == (1, 5)


def test_yaml_syntax_carries_the_path_where_parsing_stopped():
    err = refused("a:\n  b: [1, 2\nc: 3\n", "yaml_syntax")
    assert err.path == "a.b[2]"
    assert err.line is not None and err.column is not None


def test_yaml_syntax_tab_indentation_hint():
    err = refused("a:\n\tb: 1\n", "yaml_syntax")
    assert at(err) == (2, 1)
    assert "tab" in err.hint


def test_yaml_syntax_undefined_alias():
    err = refused("a:\n  - *nope\n", "yaml_syntax")
    assert at(err) == (2, 5)
    assert err.path == "a[0]"


def test_yaml_syntax_control_character():
    err = refused("a: 1\nb: x\x07y\n", "yaml_syntax")
    assert at(err) == (2, 5)


def test_yaml_syntax_bad_merge_value():
    err = refused("m:\n  <<: 3\n", "yaml_syntax")
    assert at(err) == (2, 3)
    assert err.path == 'm["<<"]'


def test_duplicate_key():
    err = refused("spec:\n  a: 1\n  b: 2\n  a: 3\n", "duplicate_key")
    assert at(err) == (4, 3)
    assert err.path == "spec.a"
    assert err.hint == "remove one of them"


def test_duplicate_key_quoted_and_plain_are_the_same_key():
    err = refused('x: 1\n"x": 2\n', "duplicate_key")
    assert at(err) == (2, 1)
    assert err.path == "x"


def test_duplicate_key_after_merge_and_duplicate_merge():
    err = refused("d: &d {x: 1}\nm:\n  <<: *d\n  a: 1\n  a: 2\n", "duplicate_key")
    assert (at(err), err.path) == ((5, 3), "m.a")
    err = refused("d: &d {x: 1}\nm:\n  <<: *d\n  <<: *d\n", "duplicate_key")
    assert at(err) == (4, 3)


def test_duplicate_key_in_list_item():
    err = refused("containers:\n  - name: a\n    name: b\n", "duplicate_key")
    assert (at(err), err.path) == ((3, 5), "containers[0].name")


def test_not_utf8():
    err = refused(b"a: 1\nb: caf\xe9\n", "not_utf8")
    assert at(err) == (2, 7)  # byte offset 11
    assert "11" in err.message


def test_not_utf8_utf16():
    err = refused("a: 1\n".encode("utf-16"), "not_utf8")
    assert at(err) == (1, 1)


def test_not_utf8_lone_surrogate_in_str():
    err = refused("a: \ud800\n", "not_utf8")
    assert at(err) == (1, 4)


def test_binary_input_nul():
    err = refused(b"a: 1\nb: \x00\x01", "binary_input")
    assert at(err) == (2, 4)
    err = refused("a: 1\x00", "binary_input")
    assert at(err) == (1, 5)


def test_binary_input_nul_file():
    err = refused(b"\x00" * (1024 * 1024), "binary_input")
    assert at(err) == (1, 1)


def test_binary_input_random_bytes():
    data = random.Random(0).randbytes(1024 * 1024)
    err = refused(data, "binary_input")
    assert err.line is not None


def test_binary_input_mostly_control_characters_without_nul():
    data = bytes(random.Random(1).choice(range(1, 32)) for _ in range(5000))
    err = refused(data, "binary_input")
    assert at(err) == (1, 1)


def test_too_large():
    limits = Limits(max_bytes=100)
    assert load_document("a: " + "x" * 90, limits=limits).value == {"a": "x" * 90}
    refused("a: " + "x" * 98, "too_large", limits=limits)
    refused(b"a: " + b"x" * 98, "too_large", limits=limits)
    refused("a: " + "\u00e9" * 50, "too_large", limits=limits)  # 103 bytes in UTF-8


def test_too_large_50_mib_document():
    data = b"key: value\n" * (50 * 1024 * 1024 // 11 + 1)
    err = refused(data, "too_large")
    assert at(err) == (None, None)  # no position is meaningful for the whole file
    refused(data.decode(), "too_large")


def test_too_large_integer_literal():
    err = refused("a: " + "1" * 5000 + "\n", "too_large")
    assert at(err) == (1, 4)


def test_too_deep_boundary():
    ok = "[" * 64 + "]" * 64
    assert load_document(ok).value is not None
    err = refused("[" * 65 + "]" * 65, "too_deep")
    assert at(err) == (1, 65)
    err = refused("a:\n  b:\n    c: [x]\n", "too_deep", limits=Limits(max_depth=3))
    assert (at(err), err.path) == ((3, 8), "a.b.c")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" * 10_000 + "]" * 10_000, id="flow-lists-10k"),
        pytest.param("[" * 100_000, id="unclosed-flow-lists-100k"),
        pytest.param("{a: " * 10_000 + "x" + "}" * 10_000, id="flow-maps-10k"),
        pytest.param("- " * 10_000 + "x\n", id="block-lists-10k"),
        pytest.param("".join(" " * i + "k:\n" for i in range(200)), id="block-maps-200"),
    ],
)
def test_too_deep_hostile(text):
    refused(text, "too_deep")


def test_too_deep_through_aliases():
    # each anchor is 40 levels deep and holds the previous one: 40, 80, ... once expanded
    lines = ["a0: &a0 " + "[" * 40 + "x" + "]" * 40]
    for i in range(1, 4):
        lines.append(f"a{i}: &a{i} " + "[" * 40 + f"*a{i - 1}" + "]" * 40)
    err = refused("\n".join(lines), "too_deep")
    assert at(err) == (2, 49)  # *a0 at depth 41 (the root mapping + 40) holds 40 more levels


def test_deep_nesting_does_not_recurse():
    # With a large depth limit the composer must still not use the Python stack
    # (900 levels against a recursion limit of 150; libyaml itself stops at 1000 levels).
    depth = 900
    text = "[" * depth + "x" + "]" * depth
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(150)
    try:
        value = load_document(text, limits=Limits(max_depth=100_000)).value
    finally:
        sys.setrecursionlimit(old)
    levels = 0
    while isinstance(value, list):
        value = value[0]
        levels += 1
    assert (levels, value) == (depth, "x")


def test_too_many_nodes_boundary():
    limits = Limits(max_nodes=5)
    assert load_document("[1, 2, 3, 4]", limits=limits).value == [1, 2, 3, 4]  # 5 nodes
    err = refused("[1, 2, 3, 4, 5]", "too_many_nodes", limits=limits)
    assert at(err) == (1, 14)
    # keys are nodes too: {a: 1, b: 2} is 5 nodes
    assert load_document("{a: 1, b: 2}", limits=limits).value == {"a": 1, "b": 2}


def test_too_many_nodes_counts_alias_expansion():
    limits = Limits(max_nodes=12)
    text = "a: &a [1, 2, 3]\nb: *a\n"  # 1 + (1 + 4) + (1 + 4) = 11 nodes
    assert load_document(text, limits=limits).value["b"] == [1, 2, 3]
    err = refused(text + "c: *a\n", "too_many_nodes", limits=limits)
    assert (at(err), err.path) == ((3, 4), "c")


BILLION_LAUGHS = """\
lol: &l0 "lol"
l1: &l1 [*l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0]
l2: &l2 [*l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1]
l3: &l3 [*l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2]
l4: &l4 [*l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3]
l5: &l5 [*l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4]
l6: &l6 [*l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5]
l7: &l7 [*l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6]
l8: &l8 [*l7, *l7, *l7, *l7, *l7, *l7, *l7, *l7, *l7, *l7]
l9: &l9 [*l8, *l8, *l8, *l8, *l8, *l8, *l8, *l8, *l8, *l8]
"""


def test_billion_laughs_refused_with_little_memory():
    tracemalloc.start()
    try:
        err = refused(BILLION_LAUGHS, "too_many_nodes")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert at(err) == (7, 10)  # the first alias that takes the expanded count past 200,000
    assert err.path == "l6[0]"
    assert peak < 2 * 1024 * 1024


def test_deep_nesting_refused_with_little_memory():
    text = "[" * 10_000 + "]" * 10_000
    tracemalloc.start()
    try:
        refused(text, "too_deep")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024


def test_alias_limit():
    limits = Limits(max_aliases=3)
    assert load_document("a: &a x\nb: [*a, *a, *a]\n", limits=limits).value["b"] == ["x", "x", "x"]
    err = refused("a: &a x\nb: [*a, *a, *a, *a]\n", "alias_limit", limits=limits)
    assert (at(err), err.path) == ((2, 17), "b[3]")


def test_alias_limit_default():
    refused("a: &a x\nb: [" + ", ".join(["*a"] * 1001) + "]\n", "alias_limit")


def test_recursive_alias():
    err = refused("a: &a\n  - 1\n  - *a\n", "recursive_alias")
    assert (at(err), err.path) == ((3, 5), "a[1]")


@pytest.mark.parametrize(
    "text, position, path",
    [
        ("1: x\n", (1, 1), None),
        ("a:\n  true: x\n", (2, 3), "a"),
        ("TRUE: x\n", (1, 1), None),
        ("null: x\n", (1, 1), None),
        ("~: x\n", (1, 1), None),
        ("1.5: x\n", (1, 1), None),
        ("0x10: x\n", (1, 1), None),
        ("? [a]\n: 1\n", (1, 3), None),
        ("? {a: 1}\n: 1\n", (1, 3), None),
        ("{[a]: 1}\n", (1, 2), None),
        ("k: &k 1\nm: {*k : 2}\n", (2, 5), "m"),
        ("k: &k [1]\nm: {*k : 2}\n", (2, 5), "m"),
        ("- a: 1\n  2: b\n", (2, 3), "[0]"),
    ],
)
def test_non_string_key(text, position, path):
    err = refused(text, "non_string_key")
    assert (at(err), err.path) == (position, path)


def test_string_keys_that_look_like_other_types_when_quoted_or_yaml11():
    v = load_document('on: 1\nyes: 2\n"1": 3\n!!str 2: 4\n"true": 5\n').value
    assert v == {"on": 1, "yes": 2, "1": 3, "2": 4, "true": 5}


@pytest.mark.parametrize(
    "text, position",
    [
        ("k: !!python/object:os.system x\n", (1, 4)),
        ("k: !!python/object/apply:os.system [ls]\n", (1, 4)),
        ("k: !!python/name:os.system\n", (1, 4)),
        ("- !Ref x\n", (1, 3)),
        ("a: !!binary aGk=\n", (1, 4)),
        ("a: !!timestamp 2024-01-01\n", (1, 4)),
        ("a: !!set {x}\n", (1, 4)),
        ("a: !!omap [b: 1]\n", (1, 4)),
        ("a:\n  b: !custom {x: 1}\n", (2, 6)),
        ("a: !!int twelve\n", (1, 4)),
        ("a: !!bool yes\n", (1, 4)),
        ("a: !!float 1.5.3\n", (1, 4)),
    ],
)
def test_yaml_tag(text, position):
    err = refused(text, "yaml_tag")
    assert at(err) == position


def test_error_str_format():
    err = refused("spec:\n  a: 1\n  a: 3\n", "duplicate_key", filename="f.yaml")
    assert str(err).startswith("f.yaml:3:3: spec.a: ")
    assert str(err).endswith("(hint: remove one of them)")


# ---------------------------------------------------------------------------------------------
# dump_yaml


def test_dump_yaml_block_style_order_and_unicode():
    out = dump_yaml({"z": 1, "a": {"y": [1, "two", None, True, 2.5]}, "ü": "ñandú", "e": {}, "l": []})
    assert out == "z: 1\na:\n  y:\n  - 1\n  - two\n  - null\n  - true\n  - 2.5\nü: ñandú\ne: {}\nl: []\n"


def test_dump_yaml_never_writes_aliases():
    shared = {"cpu": "1"}
    out = dump_yaml({"a": shared, "b": shared, "c": [shared, shared]})
    assert "&" not in out and "*" not in out
    assert load_document(out).value == {"a": shared, "b": shared, "c": [shared, shared]}


@pytest.mark.parametrize(
    "text",
    ["yes", "no", "on", "off", "true", "True", "null", "~", "", "12", "012", "0o17", "0x1F", "0b11", "-0o7",
     "1e3", "1.5", ".5", ".inf", "-.Inf", ".nan", "2024-01-01", "1_000", "1:20", "<<", "=", " x", "- x",
     "a: b", "#c", "@x", "*a", "&a", "!t", "{x}", "[x]", "x\ny", "x\n", "\n", " ", "tab\there", "é\u2028x",
     "\x85", "a\x85b", "\x85\n", "x\u2029"],
)  # fmt: skip
def test_dump_yaml_quotes_what_would_read_back_as_something_else(text):
    out = dump_yaml({"k": text, text: "v"})
    assert load_document(out).value == {"k": text, text: "v"}
    assert yaml.safe_load(out) == {"k": text, text: "v"}  # YAML 1.1 readers too


def test_dump_yaml_does_not_fold_long_strings():
    long = " ".join(["word"] * 500)
    out = dump_yaml({"cmd": long})
    assert out == f"cmd: {long}\n"


def test_dump_yaml_multiline_as_literal_block():
    assert dump_yaml({"script": "set -e\necho hi\n"}) == "script: |\n  set -e\n  echo hi\n"


def test_dump_yaml_tuple_as_list():
    assert dump_yaml({"t": (1, 2)}) == "t:\n- 1\n- 2\n"


try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    given = None

if given is not None:
    _scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(10**30), max_value=10**30)
        | st.floats(allow_nan=False)
        | st.text(max_size=20)
    )
    _values = st.recursive(
        _scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=20,
    )

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(_values)
    def test_dump_then_load_round_trips(value):
        assert load_document(dump_yaml(value)).value == value


@pytest.mark.parametrize("text", ["\x85", "a\u2028b", "x\u2029", "line\nnext\x85"])
def test_dump_quotes_the_other_line_breaks(text):
    # pyyaml's Python emitter writes NEL/LS/PS raw inside single quotes, and its reader folds them into a space
    assert load_document(dump_yaml({text: text})).value == {text: text}

    _CODES = {
        "yaml_syntax",
        "duplicate_key",
        "not_utf8",
        "binary_input",
        "too_large",
        "too_deep",
        "too_many_nodes",
        "alias_limit",
        "non_string_key",
        "yaml_tag",
        "recursive_alias",
    }
    _PIECES = st.sampled_from(
        list("ab01 :-[]{},?&*!|>'\"#\n\t%@`~.<=\\xé\x85\u2028\ufeff\x07")
        + ["&a ", "*a", "<<: ", "!!str ", "!!int ", "!!python/x ", "---\n", "...\n", "%YAML 1.1\n", "? ", "- ", ": "]
        + ["\n  ", "\n    "]
    )

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(_PIECES, max_size=60).map("".join) | st.binary(max_size=80))
    def test_any_input_loads_or_raises_input_error(data):
        try:
            for doc in load_documents(data, "f.yaml"):
                doc.locate(("a", 0, "b"))
                doc.locate_key(("a",))
        except InputError as err:
            assert err.code in _CODES
            assert str(err).startswith("f.yaml")
