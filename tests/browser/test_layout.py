"""The chapters fit the page: measured in the browser at the browser tests'
window (1200 x 900) and a wider one (1440), with screenshots for review.

- No code cell and no display equation scrolls sideways (items of the
  chapter's text column: scrollWidth within clientWidth).
- At most ten outputs in the whole book do (a wide table, for a reason).
- Figures are shown at their own size (never shrunk, so 9-pt labels stay
  9 pt) and stored at twice that resolution, sharp on HiDPI screens.
- On a 390-px phone the page itself never scrolls sideways.
"""

from __future__ import annotations

import pytest

from .conftest import SCREENSHOTS
from .layout import MEASURE
from .test_book_pages import PAGES

CHAPTERS = [page for page in PAGES if page.startswith("chapters/")]
MAX_WIDE_OUTPUTS = 10


def _measure(browser, url: str, width: int, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url, wait_until="load")
    page.evaluate("MathJax.startup.promise")
    return page, page.evaluate(MEASURE)


@pytest.fixture(scope="module", params=[1200, 1440])
def measured(request, browser, site):
    results = {}
    for name in CHAPTERS:
        page, results[name] = _measure(browser, f"{site}/{name}", request.param)
        page.close()
    return request.param, results


def test_code_cells_do_not_scroll_sideways(measured):
    width, results = measured
    wide = {name: r["code"] for name, r in results.items() if r["code"]}
    assert wide == {}, f"at {width} px, code cells scroll sideways: {wide}"


def test_display_equations_do_not_scroll_sideways(measured):
    width, results = measured
    wide = {name: r["equations"] for name, r in results.items() if r["equations"]}
    assert wide == {}, f"at {width} px, equations scroll sideways: {wide}"


def test_at_most_ten_outputs_scroll_sideways(measured):
    width, results = measured
    wide = [(name, first) for name, r in results.items() for first in r["outputs"]]
    assert len(wide) <= MAX_WIDE_OUTPUTS, f"at {width} px, {len(wide)} wide outputs: {wide}"


def test_figures_are_sharp_and_shown_at_their_own_size(measured):
    width, results = measured
    for name, r in results.items():
        assert r["images"], f"{name}: no figure"
        for image in r["images"]:
            where = f"{name} at {width} px: {image['src']}"
            assert image["declared"] > 0, f"{where} has no declared width (not a 2x figure)"
            assert image["shown"] >= image["declared"] - 1, f"{where} is shrunk: {image}"
            assert image["natural"] >= 2 * image["shown"] - 2, f"{where} is not 2x: {image}"


@pytest.mark.parametrize("name", CHAPTERS + [f"ru/{name}" for name in CHAPTERS])
def test_screenshots_and_no_sideways_page_on_a_phone(browser, site, name):
    """Screenshots for review, desktop 1280 x 900 and a 390-px phone; on the
    phone, code may scroll inside its box, but the page itself must not."""
    stem = name.replace("/", "__").removesuffix(".html")
    for kind, width, height in (("desktop", 1280, 900), ("phone", 390, 844)):
        page, _ = _measure(browser, f"{site}/{name}", width, height)
        folder = SCREENSHOTS / kind
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"{stem}.png", full_page=True)
        if kind == "phone":
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{name}: the page scrolls {overflow} px sideways on a phone"
        page.close()
