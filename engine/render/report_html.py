"""The HTML report: one self-contained file that shows a Pod, who owns each of its fields, and why.

`podeval render --html` and `podeval diff --html` write what this module returns. The file must open from disk
and as a CI artifact, so everything is inline: the CSS and JavaScript (``engine/data/report.css``, ``report.js``),
the DAG legend as SVG (``report_svg``), and the explain of every field as one JSON blob the script reads. It
consumes the trace only through the library API (``result.pod``, ``result.trace``, ``result.warnings``,
``rules.graph_dict()``); it decides nothing about merging.

Colour is never the only signal: every owned line carries its source id as text, diff marks carry a symbol and a
hidden word, and the legend's table repeats the picture's counts.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from importlib import resources
from typing import Any

from ..k8s import paths
from .report_lines import Line, pod_lines
from .report_svg import drawing_order, render_dag_svg
from .text import count
from .warning import location

# Okabe-Ito and Tol hues, dark enough for 3:1 against white as lines; badges use a light tint with dark text.
PALETTE = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#8A6D00",
    "#5A8FBF",
    "#6A3D9A",
    "#B15928",
    "#117733",
    "#882255",
    "#2F8F83",
    "#666666",
]
NO_EFFECT_OPS = ("drop", "keep", "override")


@dataclass
class _Pane:
    """One evaluated Pod as shown in the report: its lines, their owners, and the explain of each owned field."""

    id: str
    result: Any
    owners: dict[str, str] = field(init=False)
    lines: list[Line] = field(init=False)
    explain: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.owners = dict(self.result.trace.owners)
        self.lines = pod_lines(self.result.pod)
        self.explain = {}
        for line in self.lines:
            owned = self.owning_path(line.segments)
            if owned is not None and owned not in self.explain:
                self.explain[owned] = _jsonable(self.result.trace.explain(owned))

    def owning_path(self, path: str | tuple) -> str | None:
        """The path whose owner owns ``path``: itself, or the nearest ancestor owned as a whole (an atomic list)."""
        segments = paths.parse(path) if isinstance(path, str) else path
        for end in range(len(segments), 0, -1):
            candidate = paths.render(segments[:end])
            if candidate in self.owners:
                return candidate
        return None

    def where(self, owned: str) -> str | None:
        """Where the value of an owned field was written: its winning candidate's place in the inputs."""
        explanation = self.explain.get(owned) or {}
        won = [c for c in explanation.get("candidates") or () if c.get("outcome") == "won"]
        return won[0].get("where") if won else None

    def counts(self) -> Counter[str]:
        return Counter(self.owners.values())

    def events(self) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.result.trace.events]

    def warnings(self) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.result.warnings]

    def explain_best_effort(self, path: str) -> None:
        """Explain a path that is not in the Pod (a dropped input), if the trace can; the panel links to it."""
        if path in self.explain or self.owning_path(path) is not None:
            return
        # explain is only promised for output fields; without it the item stays plain text
        with contextlib.suppress(ValueError, LookupError):
            self.explain[path] = _jsonable(self.result.trace.explain(path))


def render_report(result: Any, rules: Any, *, title: str | None = None) -> str:
    """The report of one evaluation: the Pod with owners, the DAG legend, explain on demand, no-effect inputs."""
    pane = _Pane("pod", result)
    graph = rules.graph_dict()
    colours = _colours([graph], pane.owners.values())
    trace = result.trace.to_dict()
    origins = {s["id"]: s.get("origin", "") for s in trace.get("sources", [])}
    pod_name = result.pod.get("metadata", {}).get("name", "")
    title = title or f"podeval: Pod {pod_name}".rstrip()
    no_effect = _no_effect_items(pane)
    warnings = _warning_items(pane)
    rules_info = trace.get("rules", {})
    summary = (
        f"{count(len(pane.owners), 'field')} from {count(len(set(pane.owners.values())), 'source')}; "
        f"{count(len(no_effect), 'input')} had no effect; {count(len(warnings), 'warning')}."
    )
    legend = _legend_html(
        graph,
        pane.counts(),
        colours,
        origins,
        svg_id="dag",
        title=f"Precedence DAG of {rules.name}",
        heading="Sources",
        count_noun="field",
    )
    body = f"""
<header class="top">
  <h1>{escape(title)}</h1>
  <p class="meta">Rule pack <code>{escape(str(rules_info.get("name", rules.name)))}</code>
  {_digest(rules_info)} · {escape(summary)}</p>
  <p class="hint">Each line of the Pod names the source that owns it. Select a field (click it, or Tab to it and
  press Enter) to see every value it was offered, where each came from, and why the winner won.
  <span class="skip"><a href="#explain">Skip to the explain panel</a>.</span></p>
</header>
<div class="layout">
  <div class="main-column">
  <section class="pod-pane" aria-labelledby="pod-heading">
    <h2 id="pod-heading">Pod</h2>
    <div class="yaml">
{"".join(_line_html(pane, line) for line in pane.lines)}
    </div>
  </section>
  <section class="no-effect" aria-labelledby="no-effect-heading">
    <h2 id="no-effect-heading">Inputs with no effect</h2>
    <p class="hint">Values a source offered that did not reach the Pod: template containers that matched nothing,
    ignored settings, values that could not override the one already there. An input a warning names is listed
    under Warnings.</p>
    {_items_html(no_effect, "No input was dropped or lost.")}
    <h2 id="warnings-heading">Warnings</h2>
    {_items_html(warnings, "No warnings.")}
  </section>
  </div>
  <div class="side-column">
  {_explain_panel_html()}
  {legend}
  </div>
</div>
"""
    return _page(title, body, {"pod": {"title": pod_name, "explain": pane.explain}}, colours)


def _line_html(pane: _Pane, line: Line | None, mark: str | None = None) -> str:
    mark_html = _mark_html(mark) if mark is not None else ""
    if line is None:
        return f'<div class="line line-absent">{mark_html}<span class="who"></span><span class="code"></span></div>\n'
    owned = pane.owning_path(line.segments)
    code = escape(line.text)
    if owned is None and not line.leaf:  # a map or list whose children follow, each with its owner
        return f'<div class="line">{mark_html}<span class="who"></span><span class="code">{code}</span></div>\n'
    if owned is None:  # the contract says every leaf has an owner: show the gap rather than hide it
        return (
            f'<div class="line line-unowned" data-line="{escape(line.path)}">{mark_html}'
            f'<span class="who who-none">no owner</span><span class="code">{code}</span></div>\n'
        )
    owner = pane.owners[owned]
    inherited = "" if owned == line.path else " inherited"
    where = pane.where(owned)  # the file and line its value came from, on hover and for scripts
    where_attrs = f' data-where="{escape(where)}" title="from {escape(where)}"' if where else ""
    return (
        f'<div class="line owned{inherited}" data-source="{escape(owner)}">{mark_html}'
        f'<button type="button" class="field" data-pane="{pane.id}" data-path="{escape(owned)}" '
        f'data-line="{escape(line.path)}" data-owner="{escape(owner)}"{where_attrs}>'
        f'<span class="who">{escape(owner)}</span><span class="code">{code}</span></button></div>\n'
    )


def _mark_html(mark: str) -> str:
    symbols = {"changed": "±", "added": "+", "removed": "−", "owner": "⇄"}
    words = {"changed": "changed", "added": "added", "removed": "removed", "owner": "owner changed"}
    if not mark:
        return '<span class="mark"></span>'
    return (
        f'<span class="mark mark-{mark}" title="{words[mark]}">{symbols[mark]}'
        f'<span class="visually-hidden"> {words[mark]}:</span></span>'
    )


def _explain_panel_html() -> str:
    return """<aside class="explain-panel" id="explain" aria-labelledby="explain-heading" tabindex="-1">
    <h2 id="explain-heading">Explain</h2>
    <div id="explain-body" aria-live="polite"><p class="hint">No field selected yet. Select a line of the Pod.</p></div>
  </aside>"""


def _legend_html(
    graph: dict[str, Any],
    counts: Counter[str],
    colours: dict[str, tuple[str, str]],
    origins: dict[str, str],
    *,
    svg_id: str,
    title: str,
    heading: str,
    count_noun: str,
) -> str:
    svg = render_dag_svg(graph, dict(counts), colours, title=title, count_noun=count_noun, svg_id=svg_id)
    labels = {n["id"]: n.get("label") or "" for n in graph.get("nodes", [])}
    sources = _ordered_sources(graph, counts)
    with_origin = any(origins.get(source) for source in sources)
    rows = []
    for source in sources:
        origin = f"<td><code>{escape(origins.get(source, ''))}</code></td>" if with_origin else ""
        rows.append(
            f"<tr><td>{_source_badge(source)}</td><td>{escape(labels.get(source, ''))}</td>{origin}"
            f'<td class="num">{counts.get(source, 0)}</td></tr>'
        )
    return f"""<section class="legend" aria-labelledby="{svg_id}-heading">
  <h2 id="{svg_id}-heading">{escape(heading)}</h2>
  <p class="hint">The rule pack's DAG, read top to bottom; arrows run from lower to higher precedence. Each source
  drops a lane on the left and feeds the rows it points at. A source's box counts the {escape(count_noun)}s it
  owns.</p>
  <div class="legend-body">
    <figure class="dag-figure">{svg}</figure>
    <div class="sources-wrap"><table class="sources">
      <thead><tr><th scope="col">Source</th><th scope="col">What</th>{"<th scope='col'>Origin</th>" if with_origin else ""}
      <th scope="col" class="num">{escape(count_noun.capitalize())}s</th></tr></thead>
      <tbody>{"".join(rows)}</tbody>
    </table></div>
  </div>
</section>"""


def _no_effect_items(pane: _Pane) -> list[str]:
    items = []
    # an input a warning names (an unmatched template container) is listed once: under Warnings
    warned = {(w.get("source"), _canonical(w.get("value"))) for w in pane.warnings() if "value" in w}
    for event in pane.events():
        if event.get("op") not in NO_EFFECT_OPS:
            continue
        if event["op"] == "drop" and (event.get("source"), _canonical(event.get("value"))) in warned:
            continue
        pane.explain_best_effort(event["path"])
        note = f" — {escape(event['note'])}" if event.get("note") else ""
        rule = f" (rule <code>{escape(str(event.get('rule', '')))}</code>)"
        if event["op"] == "drop":
            what = (
                f'<span class="op">dropped</span> {_source_badge(event.get("source"))} '
                f"offered <code>{_value(event.get('value'))}</code>"
            )
        elif event["op"] == "override":
            if "previous" not in event:
                continue
            what = (
                f'<span class="op">overridden</span> {_source_badge(event.get("previousSource"))} '
                f"offered <code>{_value(event.get('previous'))}</code>; "
                f"{_source_badge(event.get('source'))}'s <code>{_value(event.get('value'))}</code> replaced it"
            )
        else:
            rejected = event.get("rejected") or {}
            what = (
                f'<span class="op">could not override</span> {_source_badge(rejected.get("source"))} '
                f"offered <code>{_value(rejected.get('value'))}</code>; "
                f"{_source_badge(event.get('source'))}'s <code>{_value(event.get('value'))}</code> stays"
            )
        lost_at = {"drop": event.get("where"), "override": event.get("previousWhere")}.get(
            event["op"], (event.get("rejected") or {}).get("where")
        )
        where = f' <span class="where">from <code>{escape(lost_at)}</code></span>' if lost_at else ""
        items.append(f"{_path_ref(pane, event['path'])}: {what}{where}{rule}{note}")
    return items


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _warning_items(pane: _Pane) -> list[str]:
    items = []
    scenario = getattr(pane.result, "scenario", None)
    events = pane.result.warnings if scenario is not None else []
    for index, event in enumerate(pane.warnings()):
        path = event.get("path")
        if path:
            pane.explain_best_effort(path)
        note = escape(str(event.get("note") or event.get("value") or ""))
        where = f"{_path_ref(pane, path)}: " if path else ""
        if index < len(events):  # the input's file:line:col, as on stderr
            found = location(events[index], scenario)
            where = (f'<span class="where">{escape(found)}</span> ' if found else "") + where
        items.append(
            f"{where}{_source_badge(event.get('source'))} {note} "
            f"(rule <code>{escape(str(event.get('rule', '')))}</code>)"
        )
    return items


def _items_html(items: list[str], empty: str) -> str:
    if not items:
        return f'<p class="empty">{escape(empty)}</p>'
    return '<ul class="items">' + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _path_ref(pane: _Pane, path: str) -> str:
    target = pane.owning_path(path) or (path if path in pane.explain else None)
    if target is None:
        return f"<code>{escape(path)}</code>"
    return (
        f'<button type="button" class="jump" data-pane="{pane.id}" data-path="{escape(target)}">'
        f"<code>{escape(path)}</code></button>"
    )


def _source_badge(source: Any) -> str:
    # its colours come from the one CSS rule per source that _page writes
    return f'<span class="badge" data-source="{escape(str(source))}">{escape(str(source))}</span>'


def _page(title: str, body: str, panes: dict[str, Any], colours: dict[str, tuple[str, str]]) -> str:
    """The whole document; ``panes`` (id -> title and explain per path) is the JSON the script reads."""
    # one rule per source: lines and badges carry only `data-source`, so colour is set in one place
    source_rules = "\n".join(
        f'[data-source="{_css_string(sid)}"]{{--src:{stroke};--src-bg:{fill}}}'
        for sid, (stroke, fill) in sorted(colours.items())
    )
    widest = max((len(sid) for sid in colours), default=8)
    # the owner column fits the longest source id at the badge's .82em, plus its padding and border
    source_rules += f"\n:root{{--who-width:calc({min(widest, 24)}ch * .82 + 2.2ch + .7rem)}}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="podeval">
<title>{escape(title)}</title>
<style>
{_asset("report.css")}
{source_rules}
</style>
</head>
<body>
<main>
{body}
</main>
<script type="application/json" id="podeval-data">{_json_for_script({"panes": panes})}</script>
<script>
{_asset("report.js")}
</script>
</body>
</html>
"""


def _css_string(text: str) -> str:
    return re.sub(r'["\\<>\n]', lambda m: f"\\{ord(m.group()):x} ", text)


def _asset(name: str) -> str:
    return (resources.files("engine") / "data" / name).read_text(encoding="utf-8")


def _json_for_script(data: Any) -> str:
    """JSON that cannot end its <script> early: `<`, `>` and `&` as \\u escapes (the JSON value is unchanged)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _value(value: Any) -> str:
    return escape(json.dumps(value, ensure_ascii=False, default=str))


def _digest(rules_info: dict[str, Any]) -> str:
    digest = str(rules_info.get("digest") or "")
    return f'(<code title="{escape(digest)}">{escape(digest[:19])}</code>)' if digest else ""


def _ordered_sources(graph: dict[str, Any], counts: Counter[str] | dict[str, int]) -> list[str]:
    """The pack's sources (not its steps) in the order the picture draws them, then any other owner."""
    steps = {n["id"] for n in graph.get("nodes", []) if n.get("kind") == "step"}
    ordered = [n for n in drawing_order(graph) if n not in steps]
    return ordered + sorted(s for s in counts if s not in ordered)


def _colours(graphs: list[dict[str, Any]], owners: Iterable[str]) -> dict[str, tuple[str, str]]:
    """(stroke, fill) per source: graph order first, so the same pack always gets the same colours."""
    ids: list[str] = []
    owners = list(owners)
    for graph in graphs:
        ids += [s for s in _ordered_sources(graph, {}) if s not in ids]
    ids += sorted({o for o in owners if o not in ids})
    return {sid: (PALETTE[i % len(PALETTE)], _tint(PALETTE[i % len(PALETTE)])) for i, sid in enumerate(ids)}


def _tint(hex_colour: str, keep: float = 0.16) -> str:
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - (255 - c) * keep):02x}" for c in rgb)
