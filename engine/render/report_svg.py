"""The rule pack's precedence DAG as an inline SVG picture: the legend of the HTML report.

A pack's DAG is a pipeline: steps (and sources that override other sources) in precedence order, fed by input
sources that each enter at several steps. A general layered drawing turns that into a tangle of long edges, so
this draws it as a bus diagram, which needs no JavaScript library and reads top to bottom:

* the nodes that have a predecessor form one column, in topological order (ties by id), joined by arrows down;
  an edge that skips rows is an arc on the column's right;
* each node without a predecessor (an input source) sits in a staircase above the column and drops a vertical
  lane on the left; a dot on the lane and an arrow into a row mark each node it feeds. Lanes that run longest
  are outermost, so lanes nest and only the feeding arrows cross them, at right angles.

Arrows run from lower to higher precedence. A source's box shows its id and the count the caller gives; a
step's (``kind: step``) its label, in grey; each box's tooltip has the rest. Text is monospace, so its width is
known without a font engine. The same graph always draws the same picture.
"""

from __future__ import annotations

from html import escape
from typing import Any

CHAR_WIDTH = 7.3  # px per character of 12px monospace (0.6em, plus a margin for wider fallback fonts)
LINE_HEIGHT = 16
PAD_X, PAD_Y = 9, 5
ROW_GAP = 14  # between rows
LANE = 18  # between lanes
ARC = 12  # between arcs
MARGIN = 8


def drawing_order(graph: dict[str, Any]) -> list[str]:
    """Node ids in the order the picture draws them: input sources by lane, then the column top to bottom."""
    inputs, column, _ = _arrange(graph)
    return inputs + column


def _arrange(graph: dict[str, Any]) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    ids = [n["id"] for n in graph.get("nodes", [])]
    known = set(ids)
    edges = sorted({(a, b) for a, b in graph.get("edges", []) if a in known and b in known and a != b})
    preds: dict[str, set[str]] = {n: set() for n in ids}
    for a, b in edges:
        preds[b].add(a)
    column: list[str] = []
    ready = sorted(n for n in ids if preds[n] and not (preds[n] - {m for m in ids if not preds[m]}))
    placed = {n for n in ids if not preds[n]}
    while ready:  # Kahn's algorithm, lexicographic: a deterministic topological order
        node = ready.pop(0)
        column.append(node)
        placed.add(node)
        ready = sorted({n for n in ids if n not in placed and preds[n] <= placed} | set(ready) - {node})
    column += sorted(n for n in ids if n not in placed and n not in column)  # a cycle: still draw every node
    row = {n: i for i, n in enumerate(column)}
    fed = {n: sorted((row[b] for a, b in edges if a == n and b in row)) for n in ids if not preds[n]}
    # the lane that runs longest is outermost; then the one that starts earliest
    inputs = sorted(fed, key=lambda n: (-(fed[n][-1] if fed[n] else -1), fed[n][0] if fed[n] else -1, n))
    return inputs, column, edges


def render_dag_svg(
    graph: dict[str, Any],
    counts: dict[str, int],
    colours: dict[str, tuple[str, str]],
    *,
    title: str,
    count_noun: str = "field",
    svg_id: str = "dag",
) -> str:
    """An ``<svg>`` of ``graph`` (``{"nodes": [{"id", "label", "kind"?, "doc"?}], "edges": [[from, to]]}``): one
    box per node; a source's shows its id and ``counts[id]``, coloured ``colours[id]`` = ``(stroke, fill)``."""
    info = {n["id"]: n for n in graph.get("nodes", [])}
    inputs, column, edges = _arrange(graph)
    texts = {n: _texts(info[n], counts.get(n, 0), count_noun) for n in info}
    width_of = {n: max(len(t) for t in texts[n]) * CHAR_WIDTH + 2 * PAD_X for n in info}
    height_of = {n: len(texts[n]) * LINE_HEIGHT + 2 * PAD_Y for n in info}

    lane_x = {n: MARGIN + 10 + i * LANE for i, n in enumerate(inputs)}
    column_left = MARGIN + 10 + len(inputs) * LANE + 14 if inputs else MARGIN
    boxes: dict[str, tuple[float, float, float, float]] = {}  # left, top, width, height
    top = float(MARGIN)
    for n in inputs:  # the staircase: each input's box just right of its lane's top
        boxes[n] = (lane_x[n] - 10, top, width_of[n], height_of[n])
        top += height_of[n] + ROW_GAP / 2
    top += ROW_GAP if inputs else 0
    for n in column:
        boxes[n] = (column_left, top, width_of[n], height_of[n])
        top += height_of[n] + ROW_GAP
    column_right = max((boxes[n][0] + boxes[n][2] for n in column), default=column_left)

    def middle(n: str) -> float:
        return boxes[n][1] + boxes[n][3] / 2

    row = {n: i for i, n in enumerate(column)}
    arcs = sorted(
        ((a, b) for a, b in edges if a in row and b in row and row[b] != row[a] + 1),
        key=lambda e: (row[e[1]] - row[e[0]], e),
    )
    width = max([column_right + ARC * (len(arcs) + 1)] + [b[0] + b[2] for b in boxes.values()]) + MARGIN
    height = top - ROW_GAP + MARGIN
    described = "; ".join(f"{a} then {b}" for a, b in edges) or "no edges"
    arrow = f'marker-end="url(#{svg_id}-arrow)"'
    out = [
        (
            f'<svg id="{svg_id}" class="dag" role="img" aria-labelledby="{svg_id}-title {svg_id}-desc" '
            f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">'
        ),
        f'<title id="{svg_id}-title">{escape(title)}</title>',
        f'<desc id="{svg_id}-desc">Arrows run from lower to higher precedence: {escape(described)}.</desc>',
        (
            f'<defs><marker id="{svg_id}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="dag-arrowhead"/>'
            "</marker></defs>"
        ),
    ]
    for n in inputs:  # lanes, and an arrow into every row an input feeds
        targets = [b for a, b in edges if a == n]
        if not targets:
            continue
        x, start = lane_x[n], boxes[n][1] + boxes[n][3]
        out.append(f'<path class="dag-lane" d="M{x:.1f},{start:.1f} V{max(middle(b) for b in targets):.1f}"/>')
        for b in targets:
            y = middle(b)
            out.append(f'<circle class="dag-dot" cx="{x:.1f}" cy="{y:.1f}" r="3"/>')
            out.append(f'<path class="dag-edge" d="M{x:.1f},{y:.1f} H{boxes[b][0]:.1f}" {arrow}/>')
    spine = column_left + 16
    for a, b in edges:  # the column: arrows down between neighbours
        if a in row and b in row and row[b] == row[a] + 1:
            out.append(
                f'<path class="dag-edge" d="M{spine:.1f},{boxes[a][1] + boxes[a][3]:.1f} V{boxes[b][1]:.1f}" {arrow}/>'
            )
    for i, (a, b) in enumerate(arcs):  # and arcs on the right for edges that skip rows
        x = column_right + ARC * (i + 1)
        out.append(
            f'<path class="dag-edge" d="M{boxes[a][0] + boxes[a][2]:.1f},{middle(a):.1f} H{x - 4:.1f} '
            f"Q{x:.1f},{middle(a):.1f} {x:.1f},{middle(a) + 4:.1f} V{middle(b) - 4:.1f} "
            f'Q{x:.1f},{middle(b):.1f} {x - 4:.1f},{middle(b):.1f} H{boxes[b][0] + boxes[b][2]:.1f}" {arrow}/>'
        )
    for n in [*inputs, *column]:
        left, top_, w, h = boxes[n]
        data = info[n]
        step = data.get("kind") == "step"
        stroke, fill = ("#767676", "#f2f2f2") if step else colours.get(n, ("#555555", "#eeeeee"))
        kind = " dag-step" if step else "" if counts.get(n) else " dag-empty"
        tip = " — ".join(t for t in (data.get("label"), data.get("doc")) if t)
        out.append(
            f'<g class="dag-node{kind}" data-source="{escape(n)}"><title>{escape(n)}'
            f"{': ' + escape(tip) if tip else ''}</title>"
        )
        out.append(
            f'<rect x="{left:.1f}" y="{top_:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{2 if step else 6}" '
            f'fill="{fill}" stroke="{stroke}"/>'
        )
        for i, text in enumerate(texts[n]):
            cls = "dag-label" if step else ("dag-id", "dag-count")[i]
            y = top_ + PAD_Y + LINE_HEIGHT * (i + 1) - 4
            out.append(f'<text class="{cls}" x="{left + PAD_X:.1f}" y="{y:.1f}">{escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def _texts(node: dict[str, Any], count: int, count_noun: str) -> tuple[str, ...]:
    if node.get("kind") == "step":
        return (node.get("label") or node["id"],)
    return node["id"], f"{count} {count_noun}{'' if count == 1 else 's'}"
