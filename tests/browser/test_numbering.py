"""Numbers in the built book: per chapter, and the same wherever they appear.

Figures, labelled equations and exercises are numbered per chapter
("Fig. 6.2", "(3.4)", "Exercise 6.3"). Every cross-reference prints the
number of the thing it points to, no reference doubles its noun ("exercise
Exercise 4"), and the Colab copies print the same numbers as the book. The
Russian edition ("Рис. 6.2", "Упражнение 6.3") is held to the same rules.
"""

from __future__ import annotations

import html
import importlib.util
import re

import pytest

from .conftest import HTML, ROOT

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
REFERENCE = re.compile(
    r'<a class="reference internal" href="(?P<page>[^"#]*)#(?P<target>[^"]+)"[^>]*>'
    r"(?P<text>.*?)</a>", re.S)
# What each edition calls a figure and an exercise.
WORDS = {"en": ("Fig.", "Exercise"), "ru": ("Рис.", "Упражнение")}
NUMBER = {lang: re.compile(rf"{exercise} \d+\.\d+|{re.escape(figure)} \d+\.\d+|\(\d+\.\d+\)")
          for lang, (figure, exercise) in WORDS.items()}


def _colab_copies():
    spec = importlib.util.spec_from_file_location(
        "colab_copies", ROOT / "code" / "scripts" / "colab_copies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _numbered(page: str, lang: str = "en") -> dict[str, str]:
    """What the page prints as the number of each figure, equation and exercise."""
    figure, exercise = (re.escape(word) for word in WORDS[lang])
    found: dict[str, str] = {}
    for target, number in re.findall(
            rf'<figure[^>]*id="([^"]+)".*?<span class="caption-number">({figure} [\d.]+)',
            page, re.S):
        found[target] = number
    for target, number in re.findall(
            r'id="equation-([^"]+)">\s*<span class="eqno">(\([\d.]+\))', page):
        found[target] = number
    for target, number in re.findall(
            r'<div class="exercise admonition" id="([^"]+)">\s*'
            rf'<p class="admonition-title"><span class="caption-number">({exercise} [\d.]+)',
            page):
        found[target] = number
    return found


@pytest.fixture(scope="module", params=list(WORDS))
def edition(request) -> tuple[str, dict[str, str]]:
    """An edition's language and its chapters' HTML."""
    if not (HTML / "index.html").is_file():
        pytest.fail("no built book in _build/html: run `make build-check` first")
    home = HTML / "ru" if request.param == "ru" else HTML
    return request.param, {path.stem: (home / "chapters" / f"{path.stem}.html").read_text()
                            for path in CHAPTERS}


def test_numbers_are_per_chapter(edition):
    lang, pages = edition
    for stem, page in pages.items():
        chapter = int(stem[:2])
        numbered = _numbered(page, lang)
        assert numbered, f"{stem}: nothing numbered found"
        for kind in (*WORDS[lang], "("):
            seen = [n for n in numbered.values() if n.startswith(kind)]
            expected = [f"{chapter}.{k}" for k in range(1, len(seen) + 1)]
            assert [re.search(r"\d+\.\d+", n)[0] for n in seen] == expected, (
                f"{stem}: {kind} numbers {seen}")


def test_references_print_their_targets_number(edition):
    lang, pages = edition
    numbers = {}
    for page in pages.values():
        numbers.update(_numbered(page, lang))
    for stem, page in pages.items():
        for match in REFERENCE.finditer(page):
            text, target = _text(match["text"]), match["target"].removeprefix("equation-")
            printed = NUMBER[lang].search(text) or re.search(r"\d+\.\d+", text)
            if printed and target in numbers:
                # A Russian reference may inflect its noun ("в упражнении 3.2").
                shown, expected = printed[0], numbers[target]
                if not NUMBER[lang].fullmatch(shown):
                    expected = re.search(r"\d+\.\d+", expected)[0]
                assert shown == expected, (
                    f"{stem}: a reference to {target} prints {text!r}, "
                    f"the target is {numbers[target]}")
        plain = _text(page)
        doubled = re.findall(r"\b[Ee]xercises? Exercise \d|[Уу]пражнени\w* Упражнение \d", plain)
        assert not doubled, f"{stem}: {doubled}"
        for noun in ("Fig\\.", "[Ee]quation"):
            doubled = re.findall(rf"\b{noun} (?:Fig\. \d|\(\d+\.\d+\))", plain)
            assert not doubled, f"{stem}: {doubled}"


def test_colab_copies_print_the_books_numbers(edition):
    lang, pages = edition
    colab = _colab_copies()
    for path in CHAPTERS:
        assert colab.numbers(path, lang) == _numbered(pages[path.stem], lang), path.name
