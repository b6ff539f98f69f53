"""A pack expression that reads the Pod built so far (``pod.spec.containers``) is given only the parts of it that it
reads (``expressions.root_field_paths``, ``document.pod_part``): its result must be the one it has on the whole Pod,
for every shape of Pod, including a path that runs into a list, a scalar or a missing field."""

from __future__ import annotations

import jmespath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.eval.document import pod_part
from engine.k8s.tree import plain, wrap
from engine.pack.expressions import SIZE, root_field_paths

EXPRESSIONS = [
    "length(pod.spec.containers || `[]`) == `1`",  # the flyte-v1 pack's own (primary-container-annotation)
    "pod.spec.containers[*].name",
    "pod.spec.containers[0].name",
    "keys(pod.spec || `{}`)",
    "pod.spec || pod.spec.containers",
    "pod.spec.containers || pod.spec",
    "pod.metadata.labels.a && pod.spec.x",
    "pod.metadata.labels",
    "pod.spec.x.y.z",
    "not_null(pod.spec.hostNetwork, pod.metadata.name)",
    "[pod.spec.containers, pod.metadata]",
    "pod.spec.containers[?name == 'a'].image",
    # read only for their size (``SIZE``), alone and beside whole reads of the same or nearby paths
    "length(pod.spec.containers)",
    "length(pod.spec) == `2` && pod.spec.containers",
    "length(pod.spec.containers || `[]`) == `1` && pod.spec.containers[0].name",
    "length(pod.metadata.labels || pod.spec)",
    "length(pod.spec.containers || pod.spec.x) > `1` || pod.spec",
    "[length(pod.spec.x || `{}`), pod.spec.x.y]",
    "length(pod.spec.containers[0] || `[]`)",
]

#: Pod-like documents: the fields the expressions read, with values of every JSON kind where they go
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(["", "a", "b"]))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["name", "image", "a", "x", "y", "z"]), inner, max_size=3),
    ),
    max_leaves=8,
)
_DOCUMENTS = st.fixed_dictionaries(
    {},
    optional={
        "metadata": st.one_of(_VALUES, st.fixed_dictionaries({}, optional={"labels": _VALUES, "name": _VALUES})),
        "spec": st.one_of(
            _VALUES,
            st.fixed_dictionaries(
                {},
                optional={
                    "containers": st.one_of(_VALUES, st.lists(_VALUES, max_size=3)),
                    "hostNetwork": _VALUES,
                    "x": _VALUES,
                },
            ),
        ),
    },
)


def test_the_paths_an_expression_reads() -> None:
    def paths(text: str):
        return root_field_paths(jmespath.compile(text).parsed, "pod")

    assert paths("length(pod.spec.containers || `[]`) == `1`") == (("spec", "containers", SIZE),)
    assert paths("length(pod.spec) > `0` && pod.spec.containers") == (("spec", "containers"), ("spec", SIZE))
    assert paths("length(pod.spec.containers[0])") == (("spec",),)  # indexed: the containers, whole
    assert paths("pod.spec.containers[*].name") == (("spec",),)  # the projection works on spec, whole
    assert paths("pod.spec || pod.spec.containers") == (("spec",), ("spec", "containers"))
    assert paths("pod") is None  # the whole Pod
    assert paths("pod[0]") is None
    assert paths("task.type") == ()


@pytest.mark.parametrize("text", EXPRESSIONS)
@settings(max_examples=150, deadline=None)
@given(document=_DOCUMENTS)
def test_parts_give_the_result_of_the_whole_pod(text: str, document: dict) -> None:
    compiled = jmespath.compile(text)
    node = wrap(document, "s", "r")
    whole = plain(node)
    paths = root_field_paths(compiled.parsed, "pod")
    assert paths is not None
    try:
        expected = compiled.search({"pod": whole})
    except jmespath.exceptions.JMESPathError as error:
        with pytest.raises(type(error)):
            compiled.search({"pod": pod_part(node, paths)})
        return
    assert compiled.search({"pod": pod_part(node, paths)}) == expected
