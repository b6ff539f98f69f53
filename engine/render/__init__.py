"""Renderers: text for the terminal (``text``: explain, trace events, the graph, YAML), warnings (``warning``), the
HTML report (``report_html``, ``report_lines``, ``report_svg``) and server-side-apply managed fields
(``managed_fields``). A renderer reads results; it never evaluates.

May import: ``engine.errors``, ``engine.k8s``, ``engine.documents``, ``engine.pack``, ``engine.inputs``,
``engine.eval``.
"""
