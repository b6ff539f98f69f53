"""The HTML report (`podeval render --html`, `podeval diff --html`): self-contained, every field owned and explained.

The docs page's Example 3 runs through the real engine; the hand-made result in ``report_fixture`` covers what
the report must do with inputs Example 3 does not produce (a dropped container, a value that could not override,
a warning, a value that tries to close the inline script).
"""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the engine package lives at the repository root
    sys.path.insert(0, str(ROOT))

import engine
from engine.k8s import paths
from engine.render.report_diff import render_diff_report
from engine.render.report_html import render_report
from engine.render.report_lines import leaf_paths, pod_lines
from engine.render.report_svg import drawing_order, render_dag_svg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report_fixture

EXAMPLE_3 = ROOT / "examples" / "flyte-docs" / "example-3.yaml"


class _Page(HTMLParser):
    """The parts of a report the tests read: field buttons, other tags, the inline JSON, the script tags."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: list[dict[str, str]] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self._in_data = False
        self.data_text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag == "button" and "field" in attributes.get("class", "").split():
            self.fields.append(attributes)
        self._in_data = tag == "script" and attributes.get("id") == "podeval-data"

    def handle_endtag(self, tag: str) -> None:
        self._in_data = False

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.data_text += data

    def data(self) -> dict:
        return json.loads(self.data_text)

    def field(self, path: str) -> dict[str, str]:
        return next(f for f in self.fields if f["data-line"] == path)


@pytest.fixture(scope="module")
def example_3():
    rules = engine.load_rules("flyte-v1")
    return engine.evaluate(str(EXAMPLE_3), rules=rules), rules


@pytest.fixture(scope="module")
def example_3_page(example_3) -> tuple[str, _Page]:
    html = render_report(*example_3)
    return html, _Page(html)


# --- Example 3, through the real engine -------------------------------------------------------------------------


def test_example_3_label_1_is_owned_by_the_compile_time_template(example_3_page):
    _, page = example_3_page
    assert page.field("metadata.labels.label_1")["data-owner"] == "compile-time"
    explain = page.data()["panes"]["pod"]["explain"]["metadata.labels.label_1"]
    assert (explain["owner"], explain["value"]) == ("compile-time", "value-compile")
    outcomes = {(c["source"], c["value"]): c["outcome"] for c in explain["candidates"]}
    assert outcomes[("compile-time", "value-compile")] == "won"
    assert outcomes[("k8s-plugin", "value-plugin")] == "lost"
    assert outcomes[("runtime-template", "value-runtime")] == "lost"


def test_every_owned_path_has_a_line_with_its_owner_as_text(example_3, example_3_page):
    result, _ = example_3
    html, page = example_3_page
    lines = {f["data-line"]: f for f in page.fields}
    for path, owner in result.trace.owners.items():
        assert path in lines, path
        assert lines[path]["data-owner"] == owner
        # the owner is written as text inside the line, not only as a colour
        assert re.search(
            rf'data-line="{re.escape(path_attr(path))}"[^>]*><span class="who">{re.escape(owner)}</span>', html
        ), path


def path_attr(path: str) -> str:
    return (
        path.replace("&", "&amp;")
        .replace('"', "&quot;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("'", "&#x27;")
    )


def test_every_leaf_of_the_pod_is_a_line_and_every_owned_one_a_button(example_3, example_3_page):
    result, _ = example_3
    html, page = example_3_page
    leaves = leaf_paths(result.pod)
    owned = [path for path in leaves if path in result.trace.owners]
    assert sorted(f["data-line"] for f in page.fields) == sorted(owned)
    assert all(f.get("type") == "button" for f in page.fields)
    for path in set(leaves) - set(owned):  # a leaf without an owner says so, in text
        assert f'data-line="{path_attr(path)}"><span class="who who-none">no owner</span>' in html, path


def test_the_inline_json_holds_the_explain_of_every_owned_field(example_3, example_3_page):
    result, _ = example_3
    _, page = example_3_page
    explain = page.data()["panes"]["pod"]["explain"]
    for path in result.trace.owners:
        assert explain[path] == json.loads(json.dumps(result.trace.explain(path), default=str)), path


def test_the_report_loads_nothing_from_the_network(example_3_page):
    html, page = example_3_page
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.IGNORECASE)
    assert not re.search(r"<link\b", html, re.IGNORECASE)
    assert not re.search(r"@import", html, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?(?!#)", html, re.IGNORECASE), "only url(#fragment) references are allowed"
    assert not re.search(r"https?://", html, re.IGNORECASE)
    for tag, attributes in page.tags:
        for name in ("src", "href", "srcset", "action", "data", "poster"):
            value = attributes.get(name, "")
            assert not value or value.startswith("#"), (tag, name, value)


def test_the_legend_draws_every_source_of_the_pack_with_its_field_count(example_3, example_3_page):
    result, rules = example_3
    html, _ = example_3_page
    counts: dict[str, int] = {}
    for owner in result.trace.owners.values():
        counts[owner] = counts.get(owner, 0) + 1
    for node in rules.graph_dict()["nodes"]:
        if node.get("kind") == "step":
            continue
        n = counts.get(node["id"], 0)
        block = re.search(rf'<g class="dag-node[^"]*" data-source="{re.escape(node["id"])}">(.*?)</g>', html, re.DOTALL)
        assert block, node["id"]
        assert f"{n} field{'' if n == 1 else 's'}</text>" in block.group(1), node["id"]


def test_the_legend_draws_the_pipeline_steps_too(example_3, example_3_page):
    _, rules = example_3
    html, _ = example_3_page
    for node in rules.graph_dict()["nodes"]:
        assert f'data-source="{node["id"]}"><title>' in html, node["id"]
    assert html.count('class="dag-edge"') == len(rules.graph_dict()["edges"])  # one arrow per edge


def test_the_report_is_the_same_for_the_same_inputs(example_3):
    assert render_report(*example_3) == render_report(*example_3)


# --- the report's own behaviour, on a hand-made result ------------------------------------------------------------


def test_inputs_with_no_effect_and_warnings_are_listed():
    result, rules = report_fixture.hand_made()
    html = render_report(result, rules)
    no_effect = html[html.index('id="no-effect-heading"') : html.index('id="warnings-heading"')]
    warnings = html[html.index('id="warnings-heading"') :]
    assert 'spec.containers[name=default]</code></button>: <span class="op">dropped</span>' in no_effect
    assert re.search(
        r"spec\.hostNetwork</code></button>: <span class=\"op\">could not override</span> "
        r'<span class="badge" data-source="runtime-template">runtime-template</span> offered '
        r"<code>false</code>",
        no_effect,
    )
    assert "Flyte always sets restartPolicy: Never" in no_effect
    assert "the docs page drops label_3" in warnings and "No warnings." not in warnings
    # a dropped input is not in the Pod, but its explain is there for the panel to open
    assert "spec.containers[name=default]" in _Page(html).data()["panes"]["pod"]["explain"]


def test_a_value_cannot_close_the_inline_script():
    result, rules = report_fixture.hand_made()
    hostile = "</script><script>alert(1)</script><!--"
    result.pod["metadata"]["annotations"]["x"] = hostile
    result.trace.owners["metadata.annotations.x"] = "execution"
    result.trace.events.append(
        report_fixture.FakeEvent(
            {
                "seq": 99,
                "path": "metadata.annotations.x",
                "op": "set",
                "source": "execution",
                "rule": "r",
                "value": hostile,
            }
        )
    )
    html = render_report(result, rules)
    assert html.count("</script>") == 2 and html.lower().count("<script") == 2
    assert _Page(html).data()["panes"]["pod"]["explain"]["metadata.annotations.x"]["value"] == hostile


def test_a_field_owned_as_a_whole_opens_from_each_of_its_lines():
    result, rules = report_fixture.hand_made()
    owners = result.trace.owners
    del owners["spec.containers[name=primary].command[0]"]
    owners["spec.containers[name=primary].command"] = "compile-time"  # an atomic list: one owner for the list
    page = _Page(render_report(result, rules))
    line = page.field("spec.containers[name=primary].command[0]")
    assert (line["data-path"], line["data-owner"]) == ("spec.containers[name=primary].command", "compile-time")


def test_the_diff_marks_changed_fields_and_keeps_provenance_on_both_sides():
    result_a, rules = report_fixture.hand_made()
    result_b, _ = report_fixture.hand_made(label_1_owner="runtime-template")
    result_b.pod["spec"]["containers"][0]["image"] = "a.b.c/image:v2"
    result_b.pod["metadata"]["labels"]["label_4"] = "new"
    result_b.trace.owners["metadata.labels.label_4"] = "execution"
    same, _ = report_fixture.hand_made()
    html = render_diff_report([("example-3", result_a, result_b), ("example-1", same, same)], rules, rules)
    page = _Page(html)
    panes = page.data()["panes"]
    assert sorted(panes) == ["a0", "b0"]  # only the changed Pod is shown, both sides
    rows = re.findall(r'<div class="drow drow-marked">(.*?)</div></div>\n', html, re.DOTALL)
    marked = {re.search(r'data-line="([^"]+)"', row).group(1): row for row in rows}
    assert "mark-changed" in marked["spec.containers[name=primary].image"]
    assert "mark-added" in marked["metadata.labels.label_4"]
    owner_row = marked["metadata.labels.label_1"]
    assert "mark-owner" in owner_row
    assert re.findall(r'data-owner="([^"]+)"', owner_row) == ["compile-time", "runtime-template"]
    assert "<li><code>example-1</code></li>" in html
    assert "a.b.c/image:v1" in html and "a.b.c/image:v2" in html


# --- the pieces --------------------------------------------------------------------------------------------------


def test_lines_print_the_pod_as_yaml_safe_dump_does():
    result, _ = report_fixture.hand_made()
    text = "\n".join(line.text for line in pod_lines(result.pod)) + "\n"
    assert text == yaml.safe_dump(result.pod, default_flow_style=False, sort_keys=True, width=float("inf"))


def test_lines_carry_contract_paths():
    pod = {
        "metadata": {"labels": {"app.kubernetes.io/name": "x"}},
        "spec": {
            "containers": [
                {
                    "name": "primary",
                    "env": [{"name": "A", "value": "1"}, {"name": "A"}],
                    "ports": [{"containerPort": 80}],
                }
            ],
            "tolerations": [{"key": "k"}],
        },
    }
    assert [line.path for line in pod_lines(pod) if line.leaf] == [
        'metadata.labels["app.kubernetes.io/name"]',
        "spec.containers[name=primary].env[name=A].name",
        "spec.containers[name=primary].env[name=A].value",
        "spec.containers[name=primary].env[name=A#2].name",
        "spec.containers[name=primary].name",
        "spec.containers[name=primary].ports[containerPort=80].containerPort",
        "spec.tolerations[0].key",
    ]


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12))
# Kubernetes map keys are single-line and short (PyYAML writes other keys in the complex `? key` form)
_keys = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=10)
_documents = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=3)),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_keys, _documents, max_size=4))
def test_lines_join_to_yaml_safe_dump_for_any_document(document):
    lines = pod_lines(document)
    text = "".join(line.text + "\n" for line in lines) if lines else "{}\n"
    assert text == yaml.safe_dump(document, default_flow_style=False, sort_keys=True, width=float("inf"))
    assert [line.path for line in lines if line.leaf] == (leaf_paths(document) if document else [])
    assert all(paths.render(paths.parse(line.path)) == line.path for line in lines if line.path)


def test_dag_draws_inputs_as_lanes_above_the_column_in_precedence_order():
    graph = report_fixture.PRECEDENCE_GRAPH
    order = drawing_order(graph)
    assert sorted(order) == sorted(n["id"] for n in graph["nodes"])
    assert order[0] == "k8s-plugin"  # the one node without a predecessor: an input, drawn first
    assert all(order.index(a) < order.index(b) for a, b in graph["edges"])


def test_dag_svg_names_each_source_and_count_in_text():
    graph = {
        "nodes": [
            {"id": "a", "label": "A"},
            {"id": "b", "label": "b"},
            {"id": "s", "kind": "step", "label": "MergeStep"},
        ],
        "edges": [["a", "s"], ["b", "s"]],
    }
    svg = render_dag_svg(graph, {"a": 1}, {"a": ("#000000", "#ffffff")}, title="t")
    assert '<text class="dag-id"' in svg and ">a</text>" in svg and ">1 field</text>" in svg
    assert ">b</text>" in svg and ">0 fields</text>" in svg and '<g class="dag-node dag-empty" data-source="b">' in svg
    assert '<g class="dag-node dag-step" data-source="s">' in svg and ">MergeStep</text>" in svg
    assert svg.count('class="dag-edge"') == 2 and svg.count('class="dag-lane"') == 2


def test_dag_svg_is_the_same_for_the_same_graph_in_any_order():
    graph = report_fixture.PRECEDENCE_GRAPH
    shuffled = {"nodes": graph["nodes"][::-1], "edges": graph["edges"][::-1]}
    assert render_dag_svg(graph, {}, {}, title="t") == render_dag_svg(shuffled, {}, {}, title="t")
