"""The one browser setup for the HTML report: the browser tests and the README screenshot both use it.

Debian's Chromium (``apt-get install chromium``), driven by Playwright for Python (``pip install playwright``),
never Playwright's own downloaded browsers: ``launch`` points Playwright at the system binary and turns off
everything that would reach the network on its own (updates, sync, QUIC, background fetches).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_3 = ROOT / "examples" / "flyte-docs" / "example-3.yaml"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The system Chromium: ``$PODEVAL_CHROMIUM``, else ``chromium`` on PATH, else None."""
    return os.environ.get("PODEVAL_CHROMIUM") or shutil.which("chromium")


def missing() -> str | None:
    """Why the browser setup cannot run here, or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    if chromium_path() is None:
        return "Chromium is not installed (apt-get install chromium), or set PODEVAL_CHROMIUM"
    return None


def launch(playwright: Any) -> Any:
    """A headless Chromium browser from a ``sync_playwright()`` context."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def write_example_3_report(target: Path) -> Path:
    """Evaluate the docs page's Example 3 with flyte-v1 and write its HTML report to ``target``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import engine
    from engine.render.report_html import render_report

    rules = engine.load_rules("flyte-v1")
    result = engine.evaluate(str(EXAMPLE_3), rules=rules)
    target.write_text(render_report(result, rules), encoding="utf-8")
    return target
