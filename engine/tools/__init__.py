"""Tools over many evaluations or over a pack: folders rendered in batch (``batch``), golden tests (``golden``), the
corpus diff of two packs (``corpus``), the pack checker (``check``, with its passes ``check_schema`` and
``check_coverage`` and its findings ``check_findings``) and the worker pool they share (``workers``).

May import: every layer below (``engine.errors``, ``k8s``, ``documents``, ``pack``, ``inputs``, ``eval``,
``render``); only ``engine.cli`` and ``engine.cli_tools`` import tools.
"""
