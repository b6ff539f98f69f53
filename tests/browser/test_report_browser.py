"""The HTML report in a real browser: Debian's headless Chromium, driven by Playwright (tools/report_browser.py).

The report of the docs page's Example 3 is written to a file and opened from its ``file://`` URL, as a user or a
CI artifact viewer would. Skipped, with the reason, where Chromium or Playwright is missing; `.ci/run` installs both.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools import report_browser

MISSING = report_browser.missing()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"browser tests need the browser setup: {MISSING}")

LABEL_1 = 'button.field[data-line="metadata.labels.label_1"]'


@pytest.fixture(scope="module")
def report_url(tmp_path_factory) -> str:
    target = tmp_path_factory.mktemp("report") / "example-3.html"
    return report_browser.write_example_3_report(target).as_uri()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = report_browser.launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page
    context.close()
    assert errors == [], "the report logged an error in the browser"


def assert_panel_explains_label_1(page) -> None:
    panel = page.locator("#explain-body")
    assert panel.locator(".explain-path").inner_text() == "metadata.labels.label_1"
    assert panel.locator(".owner").inner_text() == "compile-time"
    won = panel.locator('li[data-outcome="won"]').all_inner_texts()
    assert len(won) == 1 and "compile-time" in won[0] and '"value-compile"' in won[0], won
    lost = panel.locator('li[data-outcome="lost"]').all_inner_texts()
    assert any("k8s-plugin" in text and '"value-plugin"' in text for text in lost), lost
    assert any("runtime-template" in text and '"value-runtime"' in text for text in lost), lost


def test_clicking_a_field_opens_its_explain(page, report_url):
    page.goto(report_url)
    field = page.locator(LABEL_1)
    assert field.locator(".who").inner_text() == "compile-time"  # the owner as text on the line itself
    field.click()
    assert_panel_explains_label_1(page)
    assert field.get_attribute("aria-current") == "true"


def test_the_keyboard_opens_a_field_too(page, report_url):
    page.goto(report_url)
    page.keyboard.press("Tab")  # the first stop is the skip link, then the Pod's first field
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('field')")
    page.locator(LABEL_1).focus()
    page.keyboard.press("Enter")
    assert_panel_explains_label_1(page)
    page.keyboard.press("ArrowDown")  # arrows walk the fields; Space opens one as Enter does
    page.keyboard.press(" ")
    assert page.locator("#explain-body .explain-path").inner_text() == "metadata.labels.label_2"


def test_the_report_makes_no_network_request(browser, report_url):
    context = browser.new_context()
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page = context.new_page()
    page.goto(report_url, wait_until="networkidle")
    page.locator(LABEL_1).click()
    page.locator("button.jump").first.click()
    page.wait_for_load_state("networkidle")
    context.close()
    assert requests == [report_url]


def test_at_200_percent_zoom_nothing_overflows_and_the_panel_comes_into_view(browser, report_url):
    # 200% zoom of a 1280px window: half as many CSS pixels, each drawn twice as large
    context = browser.new_context(viewport={"width": 640, "height": 450}, device_scale_factor=2)
    page = context.new_page()
    page.goto(report_url)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    # the legend's picture is drawn at its own size, not shrunk to illegible
    scale = page.evaluate(
        "(() => { const svg = document.querySelector('svg.dag');"
        " return svg.getBoundingClientRect().width / svg.width.baseVal.value; })()"
    )
    assert scale > 0.95
    page.locator(LABEL_1).click()
    assert_panel_explains_label_1(page)
    assert page.evaluate(
        "(() => { const r = document.getElementById('explain').getBoundingClientRect();"
        " return r.top < innerHeight && r.bottom > 0; })()"
    )
    context.close()


def test_printing_keeps_the_owner_labels_and_hides_an_empty_panel(page, report_url):
    page.goto(report_url)
    page.emulate_media(media="print")
    assert page.locator(LABEL_1).locator(".who").is_visible()
    assert page.locator("svg.dag").is_visible()
    assert not page.locator("#explain").is_visible()
    page.locator(LABEL_1).click()
    assert page.locator("#explain").is_visible()
    assert page.pdf(format="A4")[:4] == b"%PDF"


def test_a_link_to_a_field_opens_its_explain(page, report_url):
    page.goto(report_url + "#field=" + "pod%3Ametadata.labels.label_1")
    assert_panel_explains_label_1(page)
    page.locator('button.field[data-line="metadata.labels.label_2"]').click()
    assert page.evaluate("location.hash") == "#field=pod%3Ametadata.labels.label_2"


def line_of(text: str) -> int:
    """The 1-based line of Example 3 that holds ``text``."""
    lines = report_browser.EXAMPLE_3.read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_a_clicked_field_shows_the_file_and_line_its_value_came_from(page, report_url):
    page.goto(report_url)
    page.locator(LABEL_1).click()
    panel = page.locator("#explain-body")
    example = str(report_browser.EXAMPLE_3)
    won = line_of("labels: {label_1: value-compile")
    assert panel.locator("dd.from").inner_text().startswith(f"{example}:{won}:")
    wheres = {
        item.get_attribute("data-source"): item.locator(".where").inner_text()
        for item in panel.locator("ol.candidates > li").all()
    }
    assert wheres["compile-time"].startswith(f"from {example}:{won}:")
    assert wheres["runtime-template"].startswith(f"from {example}:{line_of('labels: {label_1: value-runtime')}:")
    assert wheres["k8s-plugin"].startswith(f"from {example}:{line_of('default-labels:')}:")
    # the line itself names the place too, on hover
    assert page.locator(LABEL_1).get_attribute("title").startswith(f"from {example}:{won}:")


def test_a_quantity_shows_as_written_and_as_rendered(page, report_url):
    page.goto(report_url)
    page.locator('button.field[data-line="spec.containers[name=primary].resources.requests.cpu"]').click()
    candidate = page.locator('#explain-body ol.candidates > li[data-outcome="won"]')
    assert candidate.locator("code.value").inner_text() == '"1000m"'
    assert candidate.locator("code.rendered").inner_text() == '"1"'
    assert "rules/flyte-v1/plugin-config.yaml:" in candidate.locator(".where").inner_text()
