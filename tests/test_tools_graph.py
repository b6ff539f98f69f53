"""`podeval graph -o mermaid` reads next to the docs page's own diagram (graph BT, its four nodes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.cli import main

DOCS_PAGE = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "flyte-docs-podtemplates.rst"
_NODE = re.compile(r'(\w+)(\(\[|\[)"([^"]*)"(\]\)|\])')


def _docs_diagram() -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    if not DOCS_PAGE.is_file():
        pytest.skip(f"the docs page is not at {DOCS_PAGE}")
    text = DOCS_PAGE.read_text(encoding="utf-8")
    block = text[text.index(".. mermaid::") :]
    lines = [line.strip() for line in block.splitlines()[1:]]
    lines = [line for line in lines if line and not line.startswith(":")]
    header = lines[0]
    body = []
    for line in lines[1:]:
        if "-->" not in line:
            break
        body.append(line)
    labels: dict[str, str] = {}
    edges = []
    for line in body:
        left, right = (part.strip() for part in line.split("-->"))
        for part in (left, right):
            match = re.match(r'(\w+)\["([^"]*)"\]', part)
            if match:
                labels[match.group(1)] = match.group(2)
        edges.append((re.match(r"\w+", left).group(0), re.match(r"\w+", right).group(0)))
    return header, labels, edges


def _ours(capsys) -> tuple[list[str], dict[str, tuple[str, str]], list[tuple[str, str]]]:
    assert main(["graph", "-o", "mermaid"]) == 0
    lines = capsys.readouterr().out.splitlines()
    nodes: dict[str, tuple[str, str]] = {}
    edges = []
    for line in lines[1:]:
        if line.strip().startswith("subgraph ") or line.strip() == "end":
            continue  # the sources and the steps are grouped
        if "-->" in line:
            a, b = (part.strip() for part in line.split("-->"))
            edges.append((a, b))
        else:
            match = _NODE.fullmatch(line.strip())
            assert match, f"not a mermaid node declaration: {line!r}"
            nodes[match.group(1)] = (match.group(3), "source" if match.group(2) == "([" else "step")
    return lines, nodes, edges


def test_mermaid_has_the_docs_direction_and_nodes(capsys):
    header, docs_labels, _ = _docs_diagram()
    lines, nodes, _ = _ours(capsys)
    assert lines[0] == header == "graph BT"
    ours_by_label = {label.lower(): (node_id, kind) for node_id, (label, kind) in nodes.items()}
    for docs_id, docs_label in docs_labels.items():
        match = [key for key in ours_by_label if key == docs_label.lower() or key.startswith(docs_label.lower())]
        assert match, f"the docs node {docs_id}[{docs_label!r}] has no node of that label in podeval's graph"
        assert ours_by_label[match[0]][1] == "source", f"{docs_label!r} should be a source (a rounded node)"


def test_mermaid_every_docs_node_feeds_a_step(capsys):
    _, docs_labels, docs_edges = _docs_diagram()
    assert len(docs_edges) == 3 and len(docs_labels) == 4
    _, nodes, edges = _ours(capsys)
    wanted = {label.lower() for label in docs_labels.values()}
    for node_id, (label, kind) in nodes.items():
        if any(label.lower().startswith(w) for w in wanted):
            targets = [b for a, b in edges if a == node_id]
            assert targets and all(nodes[t][1] == "step" for t in targets), label


def test_mermaid_is_well_formed(capsys):
    _, nodes, edges = _ours(capsys)
    for a, b in edges:
        assert a in nodes and b in nodes, (a, b)
    for node_id in nodes:
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", node_id) and node_id != "end", node_id
