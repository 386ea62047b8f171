"""The built HTML book as a reader meets it, in a real (headless) browser.

Every page of the table of contents: loads with no console errors or failed
requests, renders its math, shows its figures with alt text, passes an axe
accessibility scan with no serious or critical violations, and links only to
things that exist. Navigation and search work. All of it holds for the Russian
edition too (its pages under ru/, with their own contents and search), and every
page links to the same page in the other language. A screenshot of each page is
saved in _build/screenshots for review.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from .conftest import HTML, ROOT, SCREENSHOTS


def _toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part["chapters"]]
    return [f"{page}.html" for page in pages]


PAGES = _toc_pages()
RU_PAGES = [f"ru/{page}" for page in PAGES]
EDITIONS = ["", "ru/"]  # where each edition's pages sit in _build/html


def _open(browser, url: str):
    """Open ``url``; return the page and the problems the browser reported."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    page.goto(url, wait_until="load")
    if page.evaluate("typeof window.MathJax === 'object' && !!MathJax.startup"):
        page.evaluate("MathJax.startup.promise")
    return page, problems


@pytest.fixture(scope="module", params=PAGES + RU_PAGES)
def loaded(request, browser, site):
    page, problems = _open(browser, f"{site}/{request.param}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / (request.param.replace("/", "__") + ".png"),
                    full_page=True)
    yield request.param, page, problems
    page.close()


def test_page_loads_without_errors(loaded):
    name, _, problems = loaded
    assert problems == [], f"{name}: {problems}"


def test_math_renders(loaded):
    name, page, _ = loaded
    source = (HTML / name).read_text()
    expected = source.count('class="math') + source.count("class='math")
    rendered = page.locator("mjx-container").count()
    assert page.locator("mjx-merror, [data-mjx-error]").count() == 0, f"{name}: a TeX error"
    assert rendered >= expected, f"{name}: {rendered} rendered of {expected} math elements"


def test_figures_are_present_with_alt_text(loaded):
    name, page, _ = loaded
    images = page.locator("article.bd-article img")
    for index in range(images.count()):
        image = images.nth(index)
        alt = (image.get_attribute("alt") or "").strip()
        assert alt, f"{name}: image {image.get_attribute('src')} has no alt text"
        assert image.evaluate("i => i.complete && i.naturalWidth > 0"), (
            f"{name}: image {image.get_attribute('src')} did not load"
        )
    if name.startswith("chapters/"):
        assert images.count() > 0, f"{name}: a chapter without figures"
        assert page.locator("article.bd-article figure figcaption").count() == images.count()


def test_accessibility_has_no_serious_violations(loaded):
    from axe_playwright_python.sync_playwright import Axe

    name, page, _ = loaded
    # Only violations are reported back: far faster on long pages.
    results = Axe().run(page, options={"resultTypes": ["violations"]})
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], f"{name}: {serious}"


def test_internal_links_resolve(loaded, site):
    name, page, _ = loaded
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    checked: dict[str, str] = {}
    for href in hrefs:
        if not href.startswith(site):
            continue
        url, _, fragment = href.partition("#")
        if url not in checked:
            try:
                with urllib.request.urlopen(url) as response:
                    checked[url] = response.read().decode("utf-8", errors="replace")
            except urllib.error.HTTPError as error:
                pytest.fail(f"{name}: link {href} answers {error.code}")
        if fragment and url.endswith(".html"):
            anchor = urllib.parse.unquote(fragment)
            assert re.search(rf'id="{re.escape(anchor)}"', checked[url]), (
                f"{name}: link {href} points to a missing anchor"
            )


@pytest.mark.parametrize("edition", EDITIONS)
def test_sidebar_lists_every_page(browser, site, edition):
    pages = [edition + name for name in PAGES]
    page, _ = _open(browser, f"{site}/{pages[0]}")
    targets = {
        Path(urllib.parse.urlparse(href).path).as_posix().lstrip("/")
        for href in page.eval_on_selector_all(
            "nav.bd-docs-nav a[href]", "links => links.map(a => a.href)")
    }
    assert set(pages) <= targets | {pages[0]}, f"missing from the sidebar: {set(pages) - targets}"
    page.close()


@pytest.mark.parametrize("edition", EDITIONS)
def test_next_and_previous_links_walk_the_book(browser, site, edition):
    """Click "next" from the first page to the last; each page's "previous"
    link points back to the page before it."""
    pages = [edition + name for name in PAGES]
    page, _ = _open(browser, f"{site}/{pages[0]}")
    for before, expected in zip(pages, pages[1:], strict=False):
        page.click("a.right-next")
        page.wait_for_load_state("domcontentloaded")
        assert page.url.endswith(expected), f"next led to {page.url}, not {expected}"
        previous = page.eval_on_selector("a.left-prev", "a => a.href")
        assert previous.endswith(before), f"previous on {expected} is {previous}"
    assert page.locator("a.right-next").count() == 0, "the last page has a next link"
    page.close()


def test_search_finds_the_chapters(browser, site):
    page, problems = _open(browser, f"{site}/search.html?q=standardization")
    page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    results = page.eval_on_selector_all(
        "#search-results ul.search li a", "links => links.map(a => a.href)")
    assert any("01_normalizing_data" in href for href in results), results
    assert problems == []
    page.close()


def test_russian_search_finds_a_russian_word_in_any_form(browser, site):
    """The Russian edition's own index, with Sphinx's Russian stemmer: the plural
    «стандартизации» finds the chapter on standardization, and only Russian pages."""
    page, problems = _open(browser, f"{site}/ru/search.html?q=стандартизации")
    page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    results = page.eval_on_selector_all(
        "#search-results ul.search li a", "links => links.map(a => a.href)")
    assert any("/ru/chapters/01_normalizing_data" in href for href in results), results
    assert all("/ru/" in href for href in results), results
    assert problems == []
    page.close()


def test_each_page_links_to_itself_in_the_other_language(loaded, site):
    """The language link at the top leads to the same page in the other edition,
    whose own link leads back here."""
    name, page, _ = loaded
    link = page.locator("p.language-link a")
    assert link.count() == 1, f"{name}: no language link"
    other = link.get_attribute("href")
    target = urllib.parse.urljoin(f"{site}/{name}", other)
    expected = name.removeprefix("ru/") if name.startswith("ru/") else f"ru/{name}"
    assert target == f"{site}/{expected}", f"{name}: the language link leads to {target}"
    with urllib.request.urlopen(target) as response:
        html = response.read().decode("utf-8")
    back = re.search(r'<p class="language-link"><a href="([^"]+)"', html)
    assert back and urllib.parse.urljoin(target, back[1]) == f"{site}/{name}", (
        f"{expected} does not link back to {name}")
    assert page.get_attribute("html", "lang") == ("ru" if name.startswith("ru/") else "en")


def test_header_and_footer_are_the_books_own(loaded):
    name, page, _ = loaded
    book = ROOT / "ru" if name.startswith("ru/") else ROOT
    config = yaml.safe_load((book / "_config.yml").read_text())
    assert config["title"] in page.title(), f"{name}: title {page.title()!r}"
    assert config["title"] in page.inner_text(".navbar-brand, .bd-sidebar-primary")
    footer = page.inner_text("footer.bd-footer-content")
    assert config["author"] in footer and config["copyright"] in footer
    assert "CC BY 4.0" in footer
