"""engine/k8s/paths.py: list identity from the schema, composite keys, one printer and one parser."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine.documents import yamlio
from engine.k8s import k8s_schema, paths
from engine.k8s.paths import Key
from engine.render.managed_fields import to_managed_fields

PORTS = k8s_schema.field("Container", "ports")


def _segments(type_name: str, field: str, items: list) -> list:
    return paths.item_segments(k8s_schema.field(type_name, field), items)


def _printed(type_name: str, field: str, items: list) -> list[str]:
    return [paths.render((field, segment)) for segment in _segments(type_name, field, items)]


def _round_trips(type_name: str, field: str, items: list) -> None:
    """Every item's path prints, parses back to the same segment, and finds that very item."""
    for segment, item in zip(_segments(type_name, field, items), items):
        text = paths.render(("spec", field, segment))
        assert paths.parse(text) == ("spec", field, segment), text
        found, value = paths.lookup({"spec": {field: items}}, paths.parse(text))
        assert found and value is item, text


def test_tcp_and_udp_on_one_port_are_two_keys():
    items = [{"containerPort": 53, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP"}]
    assert _printed("Container", "ports", items) == [
        "ports[containerPort=53,protocol=TCP]",
        "ports[containerPort=53,protocol=UDP]",
    ]
    _round_trips("Container", "ports", items)


def test_absent_key_field_printed_as_written():
    """No default is filled in: a port without protocol is keyed by containerPort alone (as podeval prints the Pod).
    That key also selects a 53/UDP written before it, so such an item is the second of its key."""
    items = [
        {"containerPort": 80},
        {"containerPort": 53, "protocol": "UDP"},
        {"containerPort": 53},
        {"containerPort": 80},
        {"name": "metrics"},
    ]
    assert _printed("Container", "ports", items) == [
        "ports[containerPort=80]",
        "ports[containerPort=53,protocol=UDP]",
        "ports[containerPort=53#2]",
        "ports[containerPort=80#2]",  # a true duplicate
        "ports[4]",  # no key field at all: by index
    ]
    _round_trips("Container", "ports", items)


def test_old_single_field_port_form_still_parsed():
    """``ports[containerPort=53]``, printed before ports were keyed by protocol too, is the first item whose
    containerPort is 53, whatever its protocol; ``#2`` the second such item."""
    pod = {"ports": [{"containerPort": 53, "protocol": "UDP"}, {"containerPort": 53, "protocol": "TCP"}]}
    assert paths.parse("ports[containerPort=53]") == ("ports", Key("containerPort", "53"))
    assert paths.lookup(pod, paths.parse("ports[containerPort=53]")) == (True, pod["ports"][0])
    assert paths.lookup(pod, paths.parse("ports[containerPort=53#2]")) == (True, pod["ports"][1])
    assert paths.lookup(pod, paths.parse("ports[containerPort=53,protocol=TCP]")) == (True, pod["ports"][1])
    assert paths.lookup(pod, paths.parse("ports[containerPort=53,protocol=SCTP]")) == (False, None)


def test_single_key_form_unchanged():
    items = [{"name": "primary"}, {"name": "sidecar"}, {"name": "primary"}]
    assert _printed("PodSpec", "containers", items) == [
        "containers[name=primary]",
        "containers[name=sidecar]",
        "containers[name=primary#2]",
    ]
    _round_trips("PodSpec", "containers", items)
    assert Key.of([("name", "primary")]) == Key("name", "primary")


def test_keys_follow_the_schema_per_parent_type():
    constraints = [
        {"topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "maxSkew": 1},
        {"topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway", "maxSkew": 2},
    ]
    assert _printed("PodSpec", "topologySpreadConstraints", constraints) == [
        "topologySpreadConstraints[topologyKey=zone,whenUnsatisfiable=DoNotSchedule]",
        "topologySpreadConstraints[topologyKey=zone,whenUnsatisfiable=ScheduleAnyway]",
    ]
    _round_trips("PodSpec", "topologySpreadConstraints", constraints)
    assert _segments("PodSpec", "tolerations", [{"key": "a"}, {"key": "b"}]) == [0, 1]  # atomic
    assert _segments("ObjectMeta", "finalizers", ["a", "b"]) == [0, 1]  # a set: by index
    assert _segments("Container", "volumeMounts", [{"mountPath": "/data", "name": "v"}]) == [Key("mountPath", "/data")]
    assert paths.item_segments(None, [{"name": "x"}]) == [0]  # a list the schema does not know


def test_field_at_walks_items_and_map_entries():
    assert k8s_schema.field_at(("spec", "containers", Key("name", "p"), "ports")) == PORTS
    assert k8s_schema.field_at(("spec", "containers", 0, "ports")) == PORTS
    assert k8s_schema.field_at(("spec", "overhead", "cpu")) is None  # a map of scalars has no fields
    assert k8s_schema.field_at(("metadata", "finalizers")).list_type == "set"
    assert k8s_schema.field_at(("spec", "nope", "ports")) is None
    assert k8s_schema.field_at(("spec", "containers", "ports")) is None  # a list is stepped into by item only


@pytest.mark.parametrize("value", ["FOO#2", "a=b", "a,b", "a,protocol=UDP", "x]y", 'q"uote', "", "café", "[x"])
def test_values_that_need_quotes_round_trip(value):
    for key in (
        Key("name", value),
        Key.of([("containerPort", "53"), ("protocol", value)], 2),
        Key.of([("containerPort", value), ("protocol", "UDP")]),
    ):
        text = paths.render(("ports", key, "name"))
        assert paths.parse(text) == ("ports", key, "name"), text


def test_unreadable_keys_are_errors():
    for text in ("a[=x]", "a[name=x", 'a[name="x]'):
        with pytest.raises(ValueError, match="cannot read the path"):
            paths.parse(text)


def test_one_printer_for_yaml_locations():
    """yamlio's error paths are printed by paths.render: a non-ASCII key as written, not as \\u escapes."""
    path = ("metadata", "labels", "café", "x y")
    assert yamlio.format_path(path) == paths.render(path) == 'metadata.labels["café"]["x y"]'
    assert paths.parse(paths.render(path)) == path
    assert yamlio.format_path(("a", "<<", 0)) == 'a["<<"][0]'
    assert yamlio.format_path(()) is None


_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)


@given(
    st.lists(st.tuples(st.sampled_from(["name", "containerPort", "protocol"]), _text), min_size=1, max_size=3),
    st.integers(min_value=1, max_value=3),
    st.lists(_text, max_size=3),
)
def test_render_parse_round_trip(pairs, occurrence, fields):
    path = ("spec", Key.of(pairs, occurrence), *fields)
    assert paths.parse(paths.render(path)) == path


def test_tcp_and_udp_ports_in_the_trace_and_managed_fields():
    """End to end: the trace owns each of the two port-53 items under its own composite key, and managedFields
    itemise them by the schema's key fields (a protocol left out: the API server's default, TCP)."""
    ports = [{"containerPort": 53, "protocol": "UDP", "name": "dns-udp"}, {"containerPort": 53, "name": "dns"}]
    scenario = {
        "task": {
            "k8sPod": {"podSpec": {"containers": [{"name": "main", "image": "i", "ports": ports}]}},
            "config": {"primary_container_name": "main"},
        },
        "execution": {"namespace": "ns", "podName": "p"},
    }
    result = engine.evaluate(scenario)
    owned = {path for path in result.trace.owners if ".ports[" in path}
    assert owned == {
        "spec.containers[name=main].ports[containerPort=53,protocol=UDP].containerPort",
        "spec.containers[name=main].ports[containerPort=53,protocol=UDP].protocol",
        "spec.containers[name=main].ports[containerPort=53,protocol=UDP].name",
        "spec.containers[name=main].ports[containerPort=53#2].containerPort",
        "spec.containers[name=main].ports[containerPort=53#2].name",
    }
    for path in owned:
        found, _ = paths.lookup(result.pod, paths.parse(path))
        assert found, path
    (entry,) = [e for e in to_managed_fields(result) if e["manager"] == "compile-time"]
    items = entry["fieldsV1"]["f:spec"]["f:containers"]['k:{"name":"main"}']["f:ports"]
    assert set(items) == {'k:{"containerPort":53,"protocol":"UDP"}', 'k:{"containerPort":53,"protocol":"TCP"}'}


_NAMES = st.one_of(st.sampled_from(["name", "containers", "app.kubernetes.io/name", "a b", "x#1", "é"]), st.text())


@given(text=st.sampled_from(["spec", "spec.containers[name=a]", 'metadata.labels["a.b/c"]']), name=_NAMES)
def test_a_name_suffix_is_what_extend_appends(text, name):
    """The renderer appends ``name_suffix`` to a path that is not empty instead of calling ``extend``."""
    assert text + paths.name_suffix(name) == paths.extend(text, name)


@given(
    names=st.lists(
        st.one_of(st.none(), st.sampled_from(["a", "b", "", "x=y", "FOO#2"]), st.integers(0, 3)), max_size=6
    ),
    field=st.sampled_from(["env", "ports", "tolerations", "volumeMounts"]),
)
def test_item_suffixes_are_what_extend_appends(names, field):
    """``item_suffixes`` of a list is what ``extend`` appends for each of its ``item_segments``: by key, by index, a
    composite key, an occurrence."""
    key_field = {"env": "name", "ports": "containerPort", "tolerations": "key", "volumeMounts": "mountPath"}[field]
    items = [{} if name is None else {key_field: name, "protocol": "UDP"} for name in names]
    spec = k8s_schema.field("Container" if field != "tolerations" else "PodSpec", field)
    expected = [paths.extend("spec.x", segment) for segment in paths.item_segments(spec, items)]
    assert ["spec.x" + suffix for suffix in paths.item_suffixes(spec, items)] == expected


def test_a_checker_prints_keyed_item_paths_only_for_problems(tmp_path):
    """The checker builds every list item's path with a deferred segment (``spelling.lazy_item_segments``) and
    prints it by key when a problem is reported: repeated keys by occurrence, the first of a duplicate by key."""
    scenario = {
        "task": {"container": {"image": "app:1"}},
        "execution": {"namespace": "ns", "podName": "p-n0-0"},
        "podTemplates": [
            {
                "metadata": {"name": "t", "namespace": "ns"},
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "a", "image": "x"},
                            {
                                "name": "b",
                                "image": "y",
                                "env": [{"name": "X", "value": 1}, {"name": "X", "value": {"a": 1}}],
                                "volumeMounts": [{"name": "nope", "mountPath": "/m"}],
                            },
                            {"name": "a", "image": "z"},
                        ]
                    }
                },
            }
        ],
    }
    with pytest.raises(engine.InputError) as caught:
        engine.evaluate(scenario)
    spec = "podTemplates[0].template.spec"
    assert [problem.path for problem in caught.value.problems] == [
        f"{spec}.containers[name=b].env[name=X].value",
        f"{spec}.containers[name=b].env[name=X#2].value",
        f"{spec}.containers[name=a#2].name",
        f"{spec}.containers[name=b].volumeMounts[mountPath=/m].name",
    ]
    assert f"(first at {spec}.containers[name=a])" in caught.value.problems[2].message
