"""The one typed walker (engine/k8s/walker.py) and the composite-key lookups that use it."""

import copy

from engine.eval.document import find_item as _find_item
from engine.eval.document import replace_at as _replace
from engine.k8s import k8s_schema, walker
from engine.k8s.paths import Key, parse
from engine.k8s.tree import copy_plain, plain, wrap
from engine.tools.check import _overlap


def test_a_position_steps_through_fields_items_and_entries():
    at = walker.position("PodTemplateSpec", ("spec", "containers", Key("name", "primary"), "ports"))
    assert at.slot.spec is k8s_schema.field("Container", "ports")
    assert at.slot.list_keys == ("containerPort", "protocol")
    assert at.schema == ()  # profile paths are relative to where a layer is applied
    item = at.item(Key.of([("containerPort", "53"), ("protocol", "UDP")]))
    assert item.type_name == "ContainerPort" and item.schema == ("[]",)
    labels = walker.position("PodTemplateSpec", ("metadata", "labels", "app"), schema_from_here=False)
    assert labels.schema == ("metadata", "labels", "*") and labels.slot.kind == "string"
    unknown = walker.position("PodTemplateSpec", ("spec", "noSuchField", "x"))
    assert unknown.slot is walker.UNKNOWN


def test_tables_are_resolved_once_and_carry_generated_atomicity():
    assert walker.type_table("PodSpec") is walker.type_table("PodSpec")
    spec = walker.type_table("PodSpec")
    assert spec.fields["nodeSelector"].atomic  # +mapType=atomic
    assert not walker.type_table("ObjectMeta").fields["labels"].atomic
    assert spec.fields["tolerations"].atomic  # +listType=atomic
    assert not spec.fields["containers"].atomic  # +listType=map
    assert walker.type_table("LabelSelector").atomic  # +structType=atomic
    assert list(walker.type_table("Container").required) == ["name"]
    assert walker.type_table("NoSuchType") is None


def test_get_at_and_set_at_match_every_field_of_a_composite_key():
    ports = [{"containerPort": 53, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP", "name": "dns"}]
    node = wrap(ports, "s", "r")
    udp = Key.of([("containerPort", "53"), ("protocol", "UDP")])
    assert plain(_find_item(node, udp))["name"] == "dns"
    replaced = _replace(node, (udp, "name"), wrap("dns-udp", "s", "r"), "s", "r")
    assert [p.get("name") for p in plain(replaced)] == [None, "dns-udp"]
    assert plain(_find_item(node, Key("containerPort", "53")))["protocol"] == "TCP"  # the old form: the first


def test_check_overlap_compares_every_key_field():
    tcp = parse("spec.containers[name=a].ports[containerPort=53,protocol=TCP]")
    udp = parse("spec.containers[name=a].ports[containerPort=53,protocol=UDP]")
    either = parse("spec.containers[name=a].ports[containerPort=53]")
    assert not _overlap(tcp, udp)
    assert _overlap(tcp, either) and _overlap(udp, either)
    assert _overlap(parse("spec.containers[name=$primary].image"), parse("spec.containers[name=a]"))
    assert not _overlap(parse("spec.containers[name=a]"), parse("spec.containers[name=b]"))


def test_a_position_is_walked_once_and_is_the_same_position_again():
    at = (
        "spec",
        "containers",
        Key("name", "primary"),
        "resources",
        "limits",
        "cpu",
    )
    first = walker.position("PodTemplateSpec", at)
    again = walker.position("PodTemplateSpec", at)
    assert again is first
    assert first.slot.kind == "quantity" and first.schema == ()
    assert walker.position("PodTemplateSpec", at, schema_from_here=False).schema == (
        "spec",
        "containers",
        "[]",
        "resources",
        "limits",
        "*",
    )


def test_copy_plain_is_a_deep_copy_of_plain_data():
    shared = {"b": [1, 2.5, None]}
    value = {"a": [shared, {"c": True}], "d": "x", "e": (["t"],), "f": shared}
    copied = copy_plain(value)
    assert copied == copy.deepcopy(value)
    assert copied["a"][0] is not shared and copied["a"][0]["b"] is not shared["b"]
    assert copied["e"][0] is not value["e"][0]  # anything but dicts, lists and scalars: copy.deepcopy
    copied["a"][0]["b"].append(3)
    assert shared == {"b": [1, 2.5, None]}
