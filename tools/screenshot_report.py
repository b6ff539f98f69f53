"""Regenerate the README's screenshot of the HTML report: docs/report-example-3.png.

    python tools/screenshot_report.py [--out PATH]

Renders the docs page's Example 3 with flyte-v1, opens the report from disk in the same headless Chromium the
browser tests use (tools/report_browser.py), selects ``metadata.labels.label_1`` and photographs the page from
the title down to the end of the Pod and its explain panel.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools import report_browser

DEFAULT_OUT = report_browser.ROOT / "docs" / "report-example-3.png"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to write the PNG (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    if (why := report_browser.missing()) is not None:
        print(f"screenshot_report: {why}", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        report = report_browser.write_example_3_report(Path(folder) / "example-3.html")
        with sync_playwright() as playwright:
            browser = report_browser.launch(playwright)
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.goto(report.as_uri())
            page.locator('button.field[data-line="metadata.labels.label_1"]').click()
            page.mouse.move(0, 0)  # no hover highlight in the picture
            bottom = page.evaluate("document.querySelector('.layout').getBoundingClientRect().bottom + scrollY")
            width = page.evaluate("document.documentElement.scrollWidth")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=str(args.out), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": bottom + 16}
            )
            browser.close()
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
