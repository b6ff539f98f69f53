"""engine/data/k8s_schema.json: in sync with the installed kubernetes client, and known Go facts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from anywhere, without an installed package
    sys.path.insert(0, str(REPO))

from engine.k8s import k8s_schema as ks

try:
    import kubernetes
    from kubernetes.client import models
except ImportError:  # the sync tests need the client; the fact checks do not
    kubernetes = models = None
needs_client = pytest.mark.skipif(kubernetes is None, reason="kubernetes client not installed")
_GENERATED_FROM = json.loads((REPO / "engine" / "data" / "k8s_schema.json").read_text())["source"]["kubernetes_client"][
    "version"
]
# The field table is generated from one client release line; an older client (the lowest podeval allows, tested in
# CI's second venv) has fewer fields and types. podeval works with it (its models are only built from our output),
# but the table is compared field by field only with the release line it was generated from.
same_client_line = pytest.mark.skipif(
    kubernetes is None or kubernetes.__version__.split(".")[0] != _GENERATED_FROM.split(".")[0],
    reason=f"the schema was generated from kubernetes {_GENERATED_FROM}; the installed client is another major",
)

SCALARS = ks.SCALAR_KINDS
KINDS = SCALARS | {"object", "list", "map"}


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads((REPO / "engine" / "data" / "k8s_schema.json").read_text())


def _model_refs(type_str: str) -> list[str]:
    """Model class names referenced by a client type string (``List[V1Container]`` -> V1Container)."""
    return [
        t
        for t in re.findall(r"[A-Za-z_]\w*", type_str)
        if t
        not in {
            "List",
            "Dict",
            "list",
            "dict",
            "str",
            "int",
            "float",
            "bool",
            "object",
            "datetime",
            "date",
            "bytes",
        }
    ]


def _reachable_client_models(root: str) -> set[str]:
    seen, todo = set(), [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_model_refs(" ".join(getattr(models, name).openapi_types.values())))
    return seen


@needs_client
def test_source_recorded(doc):
    src = doc["source"]
    assert doc["version"] == 2
    # The field table is checked against the installed client field by field below; the recorded version only
    # says which release generated it. A patch release never changes the model layout, so it is not compared.
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", src["kubernetes_client"]["version"])
    assert re.fullmatch(r"[0-9a-f]{40}", src["k8s.io/api"]["commit"])
    assert re.fullmatch(r"[0-9a-f]{40}", src["k8s.io/apimachinery"]["commit"])


@same_client_line
@pytest.mark.parametrize("root", ["V1PodTemplate", "V1PodSpec", "V1ObjectMeta"])
def test_same_types_as_client(doc, root):
    by_client = {t["client"]: name for name, t in doc["types"].items()}
    missing = _reachable_client_models(root) - set(by_client)
    assert not missing, f"client models reachable from {root} missing from the schema: {sorted(missing)}"
    if root == "V1PodTemplate":
        assert set(by_client) == _reachable_client_models(root), "schema has types not reachable from the root"


@same_client_line
def test_same_fields_as_client(doc):
    for name, t in doc["types"].items():
        model = getattr(models, t["client"], None)
        assert model is not None, t["client"]
        client = set(model.attribute_map.values())
        ours = set(t["fields"])
        assert ours == client, f"{name}: only in schema {sorted(ours - client)}, only in client {sorted(client - ours)}"


@same_client_line
def test_type_names_drop_version_prefix(doc):
    for name, t in doc["types"].items():
        assert t["client"].endswith(name), (name, t["client"])
        assert t["go"].endswith("." + name)


def test_entries_well_formed(doc):
    types = doc["types"]
    for tname, t in types.items():
        for fname, f in t["fields"].items():
            where = f"{tname}.{fname}"
            assert f["kind"] in KINDS, where
            assert isinstance(f["ptr"], bool), where
            if f["kind"] == "object":
                assert f["elem"] in types, where
            elif f["kind"] in ("list", "map"):
                assert f["elem"] in types or f["elem"] in SCALARS, where
                assert not f["ptr"], where  # k8s never uses *[]T / *map
            else:
                assert "elem" not in f, where


@same_client_line
def test_elems_match_client_types(doc):
    """Each object/list/map elem is the type the client's annotation names."""
    by_client = {t["client"]: name for name, t in doc["types"].items()}
    for tname, t in doc["types"].items():
        model = getattr(models, t["client"])
        json_to_py = {v: k for k, v in model.attribute_map.items()}
        for fname, f in t["fields"].items():
            ctype = model.openapi_types[json_to_py[fname]]
            refs = _model_refs(ctype)
            if f.get("elem") in doc["types"]:
                assert [by_client.get(r) for r in refs] == [f["elem"]], (
                    tname,
                    fname,
                    ctype,
                )
            else:
                assert refs == [], (tname, fname, ctype)
            if f["kind"] == "list":
                assert ctype.lower().startswith("list["), (tname, fname, ctype)
            elif f["kind"] == "map":
                assert ctype.lower().startswith("dict"), (tname, fname, ctype)


@pytest.mark.parametrize(
    ("type_name", "json_name", "kind", "ptr", "elem"),
    [
        ("PodSpec", "hostNetwork", "bool", False, None),
        ("PodSpec", "automountServiceAccountToken", "bool", True, None),
        ("PodSpec", "terminationGracePeriodSeconds", "int", True, None),
        ("PodSpec", "affinity", "object", True, "Affinity"),
        ("PodSpec", "nodeSelector", "map", False, "string"),
        ("PodSpec", "containers", "list", False, "Container"),
        ("PodSpec", "tolerations", "list", False, "Toleration"),
        ("PodSpec", "securityContext", "object", True, "PodSecurityContext"),
        ("PodSpec", "overhead", "map", False, "quantity"),
        ("Container", "resources", "object", False, "ResourceRequirements"),
        ("Container", "command", "list", False, "string"),
        ("Container", "restartPolicy", "string", True, None),
        ("Container", "imagePullPolicy", "string", False, None),
        ("ResourceRequirements", "limits", "map", False, "quantity"),
        ("ResourceRequirements", "requests", "map", False, "quantity"),
        ("SecurityContext", "privileged", "bool", True, None),
        ("SecurityContext", "runAsUser", "int", True, None),
        ("PodSecurityContext", "supplementalGroups", "list", False, "int"),
        ("HTTPGetAction", "port", "intorstring", False, None),
        ("TCPSocketAction", "port", "intorstring", False, None),
        ("EmptyDirVolumeSource", "sizeLimit", "quantity", True, None),
        ("Toleration", "tolerationSeconds", "int", True, None),
        ("ObjectMeta", "labels", "map", False, "string"),
        ("ObjectMeta", "creationTimestamp", "time", False, None),
        ("ObjectMeta", "deletionTimestamp", "time", True, None),
        ("PodTemplateSpec", "spec", "object", False, "PodSpec"),
        ("PodTemplate", "template", "object", False, "PodTemplateSpec"),
        ("ManagedFieldsEntry", "fieldsV1", "any", True, None),
    ],
)
def test_known_fields(type_name, json_name, kind, ptr, elem):
    f = ks.field(type_name, json_name)
    assert f is not None
    assert (f.kind, f.ptr, f.elem) == (kind, ptr, elem)


def test_embedded_and_required():
    assert ks.field("Probe", "httpGet").embedded == "ProbeHandler"
    assert ks.field("Volume", "emptyDir").embedded == "VolumeSource"
    assert ks.field("PodTemplate", "kind").embedded == "TypeMeta"
    assert ks.field("PodSpec", "containers").required
    assert ks.field("Container", "name").required
    assert not ks.field("Container", "image").required
    assert not ks.field("Container", "name").omitempty  # `json:"name"`
    assert ks.field("PodSpec", "hostNetwork").omitempty


@pytest.mark.parametrize(
    ("type_name", "json_name", "list_type", "keys", "merge_key"),
    [
        ("Container", "ports", "map", ("containerPort", "protocol"), "containerPort"),
        ("EphemeralContainer", "ports", "map", ("containerPort", "protocol"), "containerPort"),
        ("PodSpec", "tolerations", "atomic", (), None),
        ("PodSpec", "topologySpreadConstraints", "map", ("topologyKey", "whenUnsatisfiable"), "topologyKey"),
        ("PodSpec", "containers", "map", ("name",), "name"),
        ("PodSpec", "volumes", "map", ("name",), "name"),
        ("Container", "env", "map", ("name",), "name"),
        ("Container", "volumeMounts", "map", ("mountPath",), "mountPath"),
        ("Container", "command", "atomic", (), None),
        ("Container", "envFrom", "atomic", (), None),
        ("ResourceRequirements", "claims", "map", ("name",), None),
        ("ObjectMeta", "finalizers", "set", (), None),
        ("ObjectMeta", "ownerReferences", "map", ("uid",), "uid"),
        ("NodeSelector", "nodeSelectorTerms", "atomic", (), None),
    ],
)
def test_list_identity(type_name, json_name, list_type, keys, merge_key):
    """Known Kubernetes facts about how list items are identified (+listType, +listMapKey, patchMergeKey)."""
    f = ks.field(type_name, json_name)
    assert (f.kind, f.list_type, f.list_keys, f.patch_merge_key) == ("list", list_type, keys, merge_key)


def test_list_identity_well_formed(doc):
    """Every list of the Pod's types carries a +listType; map lists, and only they, have key fields, which are
    fields of the element type; identity data is on lists only."""
    for tname, t in doc["types"].items():
        for fname, f in t["fields"].items():
            where = f"{tname}.{fname}"
            if f["kind"] != "list":
                assert not {"list_type", "list_map_keys", "patch_merge_key", "patch_strategy"} & set(f), where
                continue
            assert f.get("list_type") in ("atomic", "set", "map"), where
            keys = f.get("list_map_keys", [])
            assert bool(keys) == (f["list_type"] == "map"), where
            for key in keys:
                assert key in doc["types"][f["elem"]]["fields"], where
            if "patch_merge_key" in f:  # the older identity names a key field of the newer one
                assert f["list_type"] == "map" and f["patch_merge_key"] in keys, where


def test_module_api():
    assert ks.field("PodSpec", "nope") is None
    assert ks.field("Nope", "containers") is None
    assert ks.fields("Nope") == {}
    assert list(ks.fields("Container"))[:2] == ["name", "image"]  # Go declaration order
    assert "PodSpec" in ks.type_names() and "V1PodSpec" not in ks.type_names()
    assert ks.type_at(()) == "PodSpec"
    assert ks.type_at(("containers",)) == "Container"
    assert ks.type_at(("containers", "resources")) == "ResourceRequirements"
    assert ks.type_at(("initContainers", "securityContext", "capabilities")) == "Capabilities"
    assert ks.type_at(("volumes", "emptyDir")) == "EmptyDirVolumeSource"
    assert (
        ks.type_at(
            (
                "affinity",
                "podAntiAffinity",
                "requiredDuringSchedulingIgnoredDuringExecution",
                "labelSelector",
                "matchExpressions",
            )
        )
        == "LabelSelectorRequirement"
    )
    assert ks.type_at(("containers", "name")) is None
    assert ks.type_at(("containers", "nope")) is None
    assert ks.type_at(("metadata", "ownerReferences"), root="PodTemplateSpec") == "OwnerReference"
    assert ks.type_at((), root="Nope") is None
    with pytest.raises(AttributeError):
        ks.field("PodSpec", "hostNetwork").ptr = True  # frozen


def test_no_kubernetes_import_at_module_import():
    code = (
        "import sys, engine.k8s.k8s_schema as k; k.field('PodSpec', 'hostNetwork'); print('kubernetes' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(REPO),
    )
    assert out.stdout.strip() == "False"
