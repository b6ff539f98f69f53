"""The what-if report of ``podeval diff --html``: for each scenario whose Pod or provenance changed, both Pods side
by side with the changed fields marked and each field's owner; the unchanged scenarios by name. The page, its panes
and colours are the single-Pod report's (``report_html``).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable
from html import escape
from typing import Any

# Okabe-Ito and Tol hues, dark enough for 3:1 against white as lines; badges use a light tint with dark text.
from .report_html import _colours, _explain_panel_html, _legend_html, _line_html, _page, _Pane
from .report_lines import Line


def render_diff_report(
    pairs: Iterable[tuple[str, Any, Any]],
    rules_a: Any,
    rules_b: Any,
    *,
    title: str | None = None,
    summary: Iterable[tuple[str, int]] | None = None,
    total: int | None = None,
    unchanged_names: Iterable[str] = (),
) -> str:
    """The what-if report: for each scenario whose Pod or provenance changed, both Pods side by side, changed
    fields marked, owners on both sides; the unchanged scenarios by name. ``summary`` (``podeval migrate-report``):
    (kind of change, number of tasks) rows shown first; ``total``: the number of scenarios of the corpus when
    ``pairs`` holds only the changed ones, and ``unchanged_names`` the others."""
    pairs = list(pairs)
    graph_a, graph_b = rules_a.graph_dict(), rules_b.graph_dict()
    changed: list[tuple[str, _Pane, _Pane]] = []
    unchanged: list[str] = list(unchanged_names)
    for index, (name, result_a, result_b) in enumerate(pairs):
        if result_a.pod == result_b.pod and dict(result_a.trace.owners) == dict(result_b.trace.owners):
            unchanged.append(name)
        else:
            changed.append((name, _Pane(f"a{index}", result_a), _Pane(f"b{index}", result_b)))
    colours = _colours([graph_a, graph_b], (o for _, a, b in changed for o in [*a.owners.values(), *b.owners.values()]))
    counts_a: Counter[str] = Counter()
    counts_b: Counter[str] = Counter()
    sections = []
    for name, pane_a, pane_b in changed:
        rows = _diff_rows(pane_a, pane_b)
        for mark, line_a, line_b in rows:
            if mark:
                if line_a is not None and (owner := _owner(pane_a, line_a)):
                    counts_a[owner] += 1
                if line_b is not None and (owner := _owner(pane_b, line_b)):
                    counts_b[owner] += 1
        sections.append(_diff_section_html(name, pane_a, pane_b, rows, rules_a.name, rules_b.name))
    title = title or f"podeval diff: {rules_a.name} → {rules_b.name}"
    if graph_a == graph_b and rules_a.name == rules_b.name:
        legends = _legend_html(
            graph_a,
            counts_a + counts_b,
            colours,
            {},
            svg_id="dag",
            heading="Sources",
            title=f"Precedence DAG of {rules_a.name}",
            count_noun="changed field",
        )
    else:
        legends = _legend_html(
            graph_a,
            counts_a,
            colours,
            {},
            svg_id="dag-a",
            heading=f"Sources in A ({rules_a.name})",
            title=f"Precedence DAG of {rules_a.name}",
            count_noun="changed field",
        ) + _legend_html(
            graph_b,
            counts_b,
            colours,
            {},
            svg_id="dag-b",
            heading=f"Sources in B ({rules_b.name})",
            title=f"Precedence DAG of {rules_b.name}",
            count_noun="changed field",
        )
    unchanged_html = (
        "<ul>" + "".join(f"<li><code>{escape(n)}</code></li>" for n in unchanged) + "</ul>"
        if unchanged
        else "<p>None: every scenario changed.</p>"
    )
    summary_html = _summary_html(list(summary)) if summary is not None else ""
    body = f"""
<header class="top">
  <h1>{escape(title)}</h1>
  <p class="meta">A: <code>{escape(rules_a.name)}</code> · B: <code>{escape(rules_b.name)}</code> ·
  {len(changed)} of {total if total is not None else len(pairs)} Pods changed.</p>
  <p class="hint">Marks: <span class="mark mark-changed">±</span> value changed,
  <span class="mark mark-added">+</span> only in B, <span class="mark mark-removed">−</span> only in A,
  <span class="mark mark-owner">⇄</span> same value, new owner. Select a field on either side to explain it.
  <span class="skip"><a href="#explain">Skip to the explain panel</a>.</span></p>
</header>
<div class="layout layout-diff">
  <div class="main-column diffs">
  {summary_html}
  {"".join(sections) or "<p>No Pod changed.</p>"}
  <section class="unchanged" aria-labelledby="unchanged-heading">
    <h2 id="unchanged-heading">Unchanged Pods</h2>
    {unchanged_html}
  </section>
  </div>
  <div class="side-column">
  {_explain_panel_html()}
  {legends}
  </div>
</div>
"""
    panes = {
        p.id: {"title": f"{name} ({side})", "explain": p.explain}
        for name, a, b in changed
        for p, side in ((a, "A"), (b, "B"))
    }
    return _page(title, body, panes, colours)


# --- pieces -----------------------------------------------------------------------------------------------------


def _summary_html(rows: list[tuple[str, int]]) -> str:
    """The kinds of change and how many tasks have each (``podeval migrate-report``)."""
    body = "".join(f"<tr><td>{count}</td><td>{escape(kind)}</td></tr>" for kind, count in rows)
    return f"""<section class="summary" aria-labelledby="summary-heading">
    <h2 id="summary-heading">Kinds of change</h2>
    {f'<table><thead><tr><th scope="col">Tasks</th><th scope="col">Change</th></tr></thead><tbody>{body}</tbody></table>' if rows else "<p>No task changes.</p>"}
  </section>"""


def _diff_rows(pane_a: _Pane, pane_b: _Pane) -> list[tuple[str, Line | None, Line | None]]:
    """Both Pods' lines aligned by path; each row marked changed / added / removed / owner (or '')."""
    keys_a = [line.path for line in pane_a.lines]
    keys_b = [line.path for line in pane_b.lines]
    rows: list[tuple[str, Line | None, Line | None]] = []
    matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            for line_a, line_b in zip(pane_a.lines[a0:a1], pane_b.lines[b0:b1]):
                if line_a.text != line_b.text and line_a.leaf:
                    mark = "changed"
                elif line_a.leaf and _owner(pane_a, line_a) != _owner(pane_b, line_b):
                    mark = "owner"
                else:
                    mark = ""
                rows.append((mark, line_a, line_b))
            continue
        left, right = pane_a.lines[a0:a1], pane_b.lines[b0:b1]
        for i in range(max(len(left), len(right))):
            line_a = left[i] if i < len(left) else None
            line_b = right[i] if i < len(right) else None
            rows.append(("removed" if line_b is None else "added" if line_a is None else "changed", line_a, line_b))
    return rows


def _owner(pane: _Pane, line: Line) -> str | None:
    owned = pane.owning_path(line.segments)
    return pane.owners[owned] if owned is not None else None


def _diff_section_html(
    name: str, pane_a: _Pane, pane_b: _Pane, rows: list[tuple[str, Line | None, Line | None]], name_a: str, name_b: str
) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "pod"
    n_changed = sum(1 for mark, *_ in rows if mark)
    cells = []
    for mark, line_a, line_b in rows:
        mark_a = mark if line_a is not None else ""
        mark_b = mark if line_b is not None else ""
        cells.append(
            f'<div class="drow{" drow-marked" if mark else ""}">'
            f'<div class="dcell">{_line_html(pane_a, line_a, mark_a)}</div>'
            f'<div class="dcell">{_line_html(pane_b, line_b, mark_b)}</div></div>\n'
        )
    return f"""<section class="diff-pod" aria-labelledby="pod-{escape(slug)}">
  <h2 id="pod-{escape(slug)}"><code>{escape(name)}</code> <span class="hint">{n_changed} lines marked</span></h2>
  <div class="dgrid">
    <div class="drow dhead"><div class="dcell">A: <code>{escape(name_a)}</code></div>
    <div class="dcell">B: <code>{escape(name_b)}</code></div></div>
    <div class="yaml yaml-diff">
{"".join(cells)}
    </div>
  </div>
</section>"""


# --- page -------------------------------------------------------------------------------------------------------
