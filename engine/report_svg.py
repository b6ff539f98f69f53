"""The rule pack's precedence DAG as an inline SVG picture, for the HTML report's legend.

A small layered layout, so the report needs no JavaScript library and no network: each source goes in the layer
one past its deepest predecessor (edges run from lower to higher precedence, so layers read left to right as
"later wins"); a few barycenter sweeps order each layer to cut crossings; ties break by id, so the same pack
always draws the same picture. Text is monospace, which makes its width predictable without a font engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

CHAR_WIDTH = 7.3  # px per character of 12px monospace (0.6em, plus a margin for wider fallback fonts)
LINE_HEIGHT = 16
PAD_X, PAD_Y = 10, 8
LAYER_GAP, NODE_GAP, MARGIN = 44, 14, 8


@dataclass(frozen=True)
class Box:
    id: str
    lines: tuple[str, ...]
    x: float
    y: float
    width: float
    height: float


def layers(nodes: list[str], edges: list[tuple[str, str]]) -> list[list[str]]:
    """Nodes in layers: a node sits one layer past its deepest predecessor; each layer ordered to cut crossings."""
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    succs: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        preds[b].append(a)
        succs[a].append(b)
    depth: dict[str, int] = {}
    ready = sorted(n for n in nodes if not preds[n])
    waiting = {n: len(preds[n]) for n in nodes}
    while ready:  # Kahn's algorithm, lexicographic: a deterministic topological order
        node = ready.pop(0)
        depth[node] = max((depth[p] + 1 for p in preds[node]), default=0)
        for nxt in succs[node]:
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                ready.append(nxt)
                ready.sort()
    for node in nodes:  # a cycle (a broken pack): draw what is left in one last layer rather than fail
        depth.setdefault(node, max(depth.values(), default=-1) + 1)
    result: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node in sorted(nodes):
        result[depth[node]].append(node)
    for _ in range(4):  # barycenter sweeps, forward over predecessors then backward over successors
        _sweep(result, preds)
        _sweep(result[::-1], succs)
    return result


def _sweep(ordered_layers: list[list[str]], neighbours: dict[str, list[str]]) -> None:
    position: dict[str, int] = {}
    for layer in ordered_layers:
        if position:
            current = {n: float(i) for i, n in enumerate(layer)}
            keys = {}
            for node in layer:
                placed = [position[n] for n in neighbours[node] if n in position]
                keys[node] = (sum(placed) / len(placed) if placed else current[node], node)
            layer.sort(key=keys.__getitem__)
        position = {n: i for i, n in enumerate(layer)}


def render_dag_svg(
    graph: dict[str, Any],
    counts: dict[str, int],
    colours: dict[str, tuple[str, str]],
    *,
    title: str,
    count_noun: str = "field",
    svg_id: str = "dag",
    across: bool = True,
    css_class: str = "dag",
) -> str:
    """An ``<svg>`` of ``graph`` (``{"nodes": [{"id", "label"}], "edges": [[from, to]]}``), one box per source
    with its id, its label and ``counts[id]``; ``colours[id]`` is ``(stroke, fill)``. Layers run left to right
    when ``across``, else top to bottom (the narrow picture, for small or zoomed windows)."""
    nodes = [n["id"] for n in graph.get("nodes", [])]
    labels = {n["id"]: n.get("label") or "" for n in graph.get("nodes", [])}
    edges = [(a, b) for a, b in graph.get("edges", []) if a in labels and b in labels]
    boxes = _place(layers(nodes, edges), labels, counts, count_noun, across)
    width = max((b.x + b.width for b in boxes.values()), default=0) + MARGIN
    height = max((b.y + b.height for b in boxes.values()), default=0) + MARGIN
    described = "; ".join(f"{a} then {b}" for a, b in edges) or "no edges"
    out = [
        f'<svg id="{svg_id}" class="{css_class}" role="img" '
        f'aria-labelledby="{svg_id}-title {svg_id}-desc" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}">',
        f'<title id="{svg_id}-title">{escape(title)}</title>',
        f'<desc id="{svg_id}-desc">Arrows run from lower to higher precedence: {escape(described)}.</desc>',
        "<defs>"
        f'<marker id="{svg_id}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="dag-arrowhead"/></marker></defs>',
    ]
    for a, b in edges:
        start, end = boxes[a], boxes[b]
        if across:
            x1, y1, x2, y2 = start.x + start.width, start.y + start.height / 2, end.x, end.y + end.height / 2
            bend = max((x2 - x1) / 2, LAYER_GAP / 2)
            c1, c2 = f"{x1 + bend:.1f},{y1:.1f}", f"{x2 - bend:.1f},{y2:.1f}"
        else:
            x1, y1, x2, y2 = start.x + start.width / 2, start.y + start.height, end.x + end.width / 2, end.y
            bend = max((y2 - y1) / 2, LAYER_GAP / 2)
            c1, c2 = f"{x1:.1f},{y1 + bend:.1f}", f"{x2:.1f},{y2 - bend:.1f}"
        out.append(
            f'<path class="dag-edge" d="M{x1:.1f},{y1:.1f} C{c1} {c2} {x2:.1f},{y2:.1f}" '
            f'marker-end="url(#{svg_id}-arrow)"/>'
        )
    for node in nodes:
        box = boxes[node]
        stroke, fill = colours.get(node, ("#555555", "#eeeeee"))
        empty = " dag-empty" if not counts.get(node) else ""
        out.append(f'<g class="dag-node{empty}" data-source="{escape(node)}">')
        out.append(
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" rx="6" '
            f'fill="{fill}" stroke="{stroke}"/>'
        )
        for i, text in enumerate(box.lines):
            cls = "dag-id" if i == 0 else "dag-count" if i == 1 else "dag-label"
            y = box.y + PAD_Y + LINE_HEIGHT * (i + 1) - 4
            out.append(f'<text class="{cls}" x="{box.x + PAD_X:.1f}" y="{y:.1f}">{escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def _place(
    ordered: list[list[str]], labels: dict[str, str], counts: dict[str, int], count_noun: str, across: bool
) -> dict[str, Box]:
    texts: dict[str, tuple[str, ...]] = {}
    for layer in ordered:
        for node in layer:
            n = counts.get(node, 0)
            lines = [node, f"{n} {count_noun}{'' if n == 1 else 's'}"]
            if labels[node] and labels[node] != node:
                lines.append(labels[node])
            texts[node] = tuple(lines)

    def size(node: str) -> tuple[float, float]:
        lines = texts[node]
        return max(len(t) for t in lines) * CHAR_WIDTH + 2 * PAD_X, len(lines) * LINE_HEIGHT + 2 * PAD_Y

    # `along` runs with the layers (x when across), `side` within a layer; boxes of a layer share their `along` size
    sizes = {node: size(node) for node in texts}
    along_of = (lambda n: sizes[n][0]) if across else (lambda n: sizes[n][1])
    side_of = (lambda n: sizes[n][1]) if across else (lambda n: sizes[n][0])
    gap = NODE_GAP if across else NODE_GAP * 2
    spans = [sum(side_of(n) for n in layer) + gap * (len(layer) - 1) for layer in ordered]
    widest = max(spans, default=0)
    boxes: dict[str, Box] = {}
    along = float(MARGIN)
    for layer, span in zip(ordered, spans):
        depth = max(along_of(n) for n in layer)
        side = MARGIN + (widest - span) / 2
        for node in layer:
            w, h = sizes[node]
            if across:
                boxes[node] = Box(node, texts[node], along, side, depth, h)
            else:
                boxes[node] = Box(node, texts[node], side, along, w, depth)
            side += side_of(node) + gap
        along += depth + LAYER_GAP
    return boxes
