"""The Russian edition: complete, current, in the glossary's terms, and computing what
the English one computes.

``code/scripts/translations.py`` keeps a gettext catalogue per page in locale/ru and
writes the Russian pages into ru/ (and the Russian Colab copies into colab/ru). These
tests fail on an untranslated or stale block, on a translation whose code, math or
references differ from the English, on Russian typography errors, on a term used
against the glossary, and on a Russian notebook whose code or outputs are not the
English notebook's: that identity is why nbval does not run a second time over ru/.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "code" / "scripts"


def _script(name: str):
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    return importlib.import_module(name)


tr = _script("translations")
PAGES = tr.pages()
CHAPTERS = [page for page in PAGES if page.startswith("chapters/")]


# --- The edition is complete and current ---------------------------------

def test_the_russian_contents_list_the_english_pages_in_order():
    english = yaml.safe_load((ROOT / "_toc.yml").read_text())
    russian = yaml.safe_load((ROOT / "ru" / "_toc.yml").read_text())

    def files(toc):
        return [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]

    assert files(russian) == files(english)
    assert [p.get("numbered") for p in russian["parts"]] == [
        p.get("numbered") for p in english["parts"]]


@pytest.mark.parametrize("page", PAGES)
def test_every_block_is_translated_current_and_well_formed(page):
    """No untranslated or fuzzy block; markup as in the English; Russian typography."""
    problems = tr.report(page)
    assert not problems, (
        f"{len(problems)} problems (translate with code/scripts/translations.py, see the "
        "README):\n" + "\n".join(problems[:20]))


@pytest.mark.parametrize("page", PAGES)
def test_the_russian_page_is_what_the_catalogue_makes(page):
    path = tr.russian_path(page)
    assert path.is_file(), f"no {path.relative_to(ROOT)}: run translations.py render"
    assert path.read_text() == tr.russian(page), (
        f"{path.relative_to(ROOT)} is stale: run code/scripts/translations.py render")


@pytest.mark.parametrize("page", CHAPTERS)
def test_russian_code_and_outputs_are_the_english(page):
    """Only Markdown, captions and alt texts differ; every code cell, output, execution
    count and all other metadata are the English notebook's."""
    english = json.loads(tr.source(page).read_text())
    russian = json.loads(tr.russian_path(page).read_text())
    assert russian["metadata"] == english["metadata"]
    assert [c["cell_type"] for c in russian["cells"]] == [c["cell_type"] for c in english["cells"]]
    for index, (en, ru) in enumerate(zip(english["cells"], russian["cells"], strict=True)):
        if en["cell_type"] != "code":
            assert ru["metadata"] == en["metadata"], f"cell {index}"
            continue
        for key in ("source", "outputs", "execution_count", "id"):
            assert ru[key] == en[key], f"{page}, cell {index}: {key} differs"
        en_meta, ru_meta = json.loads(json.dumps(en["metadata"])), json.loads(
            json.dumps(ru["metadata"]))
        for meta in (en_meta, ru_meta):
            meta.get("mystnb", {}).get("figure", {}).pop("caption", None)
            meta.get("mystnb", {}).get("image", {}).pop("alt", None)
        assert ru_meta == en_meta, f"{page}, cell {index}: metadata differs"
        for (key, field), _ in tr.figure_texts(en):
            assert tr.CYRILLIC.search(ru["metadata"]["mystnb"][key][field]), (
                f"{page}, cell {index}: {field} not translated")


# --- Terms -----------------------------------------------------------------

# English wording -> what the Russian must say wherever the English says it (stems,
# so that every case form counts), from the glossary.
TERMS = {
    r"\bbatch[- ]normali[sz](?:ation|ed)\b": r"пакетн\w* (?:пере)?нормализ",
    r"\bmoving (?:mean|average|variance|statistic)": r"скользящ",
    r"\bfine-?tun": r"дообуч",
    r"\bfreez|\bfrozen\b": r"заморо[жз]|заморажив",
    r"\btraining mode\b": r"режим\w* обучения",
    r"\binference mode\b": r"режим\w*(?: \w+ и)? вывода",
    r"\blayer normali[sz]ation\b": r"нормализаци\w* по слою",
    r"\bgroup normali[sz]ation\b": r"группов\w* нормализаци",
    r"\bstandardi[sz]": r"стандартиз",
    r"\bconfidence interval": r"доверительн\w* интервал",
    r"\binternal covariate shift\b": r"внутренн\w* ковариантн\w* сдвиг",
    r"\bwhiten": r"выбел",
    r"\bmomentum\b": r"момент|momentum",
    r"\bseeds?\b": r"\bсид|начальн\w* значени",
    r"\blearning rates?\b": r"скорост\w* обучения|\bскорост",
    r"\bkernels?\b": r"\bядр|\bядер",
    r"\bepochs?\b": r"\bэпох",
}
# Where the English word is not the term: the book's English title, kept in the
# citation, and "frozen" as a metaphor («не застыли»).
NOT_THE_TERM = r"Normalization and Batch Normalization, executed|but not frozen"
# Words a Russian text of this book must not use: the glossary chose others.
AVOIDED = (r"инференс|\bбатч|тренировочн\w* режим|режим\w* тренировки|нормализаци\w* батч"
           r"|ковариационн\w* сдвиг|отбелива")


def _reading(text: str) -> str:
    """The words a reader sees: roles replaced by their shown text, other markup blanked."""
    def shown(match: re.Match) -> str:
        explicit = tr.EXPLICIT.match(match["text"])
        if match["role"] in ("term", "doc", "ref", "numref") and explicit:
            return explicit["text"]
        return match["text"] if match["role"] == "term" else " "
    return " ".join(tr.prose(tr.ROLE.sub(shown, text)).split())


def _entries():
    for page in PAGES:
        for entry in tr.load(page):
            if entry.msgstr and not entry.obsolete:
                yield page, entry


@pytest.mark.parametrize("english", list(TERMS))
def test_the_glossarys_terms_are_used_wherever_the_english_uses_them(english):
    russian = TERMS[english]
    wrong = [f"{page}: {entry.msgstr[:100]!r}" for page, entry in _entries()
             if re.search(english, re.sub(NOT_THE_TERM, " ", _reading(entry.msgid)), re.I)
             and not re.search(russian, _reading(entry.msgstr), re.I)]
    assert not wrong, f"{english!r} is not rendered as {russian!r} in:\n" + "\n".join(wrong)


def test_no_translation_uses_the_terms_the_glossary_avoids():
    found = [f"{page}: {m[0]!r} in {entry.msgstr[:80]!r}" for page, entry in _entries()
             for m in [re.search(AVOIDED, _reading(entry.msgstr), re.I)] if m]
    assert not found, "\n".join(found)


def test_the_russian_glossary_has_every_english_term():
    """Each glossary entry keeps its English term, so {term}`... <english>` resolves."""
    english = re.findall(r"^(\S[^\n]*)\n  ", (ROOT / "glossary.md").read_text(), re.M)
    russian = (ROOT / "ru" / "glossary.md").read_text()
    missing = [term for term in english if not re.search(
        rf"^{re.escape(term)}\n", russian, re.M)]
    assert not missing, missing
    assert ":sorted:" in russian


# --- The tool itself ----------------------------------------------------------

def test_chunks_cut_at_blank_lines_outside_code_and_math():
    text = ("Intro line\nsecond line\n\n```python\nx = 1\n\ny = 2\n```\n\n$$\na\n\nb\n$$\n\n"
            "```{exercise} A title\n:label: ex-x\n\nBody.\n```\n")
    parts = tr.chunks(text)
    assert "\n".join(parts) == text
    assert "```python\nx = 1\n\ny = 2\n```" in parts and "$$\na\n\nb\n$$" in parts
    assert "```{exercise} A title\n:label: ex-x" in parts and "Body.\n```" in parts
    assert [p for p in parts if tr.translatable(p)] == [
        "Intro line\nsecond line", "```{exercise} A title\n:label: ex-x", "Body.\n```"]


@pytest.mark.parametrize("russian, problem", [
    ("Вызовите fit.", "inline code differ"),
    ("Вызовите `fit` при $x = 1$.", "math differ"),
    ("Вызовите `fit`, см. {numref}`fig-b`.", "references differ"),
    ("Вызовите `fit` ({term}`bias`).", "glossary term without Russian text"),
    ("Вызовите `fit` - это \"быстро\".", "«ёлочки»"),
    ("Вызовите `fit` — 20 мин, точность 0.95.", "non-breaking space goes before"),
    ("Вызовите `fit`\u00a0— 20 мин.", "between a number and its unit"),
    ("Вызовите `fit`: точность 0.95.", "decimal comma"),
    ("Call `fit`.", "no Russian words"),
])
def test_problems_name_what_a_translation_breaks(russian, problem):
    english = "Call `fit` ({term}`bias <bias>`), see {numref}`fig-a`, at $x = 0.5$."
    if "{numref}" not in russian and "references" not in problem:
        english = "Call `fit`."
    if problem == "math differ":
        english = "Call `fit` at $x = 0.5$."
    if problem == "glossary term without Russian text":
        english = "Call `fit` ({term}`bias`)."
    if problem == "references differ":
        english = "Call `fit`, see {numref}`fig-a`."
    found = tr.problems(english, russian)
    assert any(problem in p for p in found), found


def test_a_good_translation_has_no_problems():
    english = ("Call `fit` ({term}`bias`), see {numref}`Fig. %s <fig-a>`, at $x = 0.5$: "
               "accuracy 0.95 after 20 min, on 5,000 images.")
    russian = ("Вызовите `fit` ({term}`смещение <bias>`), см. {numref}`рис. %s <fig-a>`, "
               "при $x = 0.5$: точность 0,95 через 20\u00a0мин, на 5000 изображений.")
    assert tr.problems(english, russian) == []


def test_fix_applies_the_typography_and_leaves_markup_alone():
    english = "On 5,000 images, \"accuracy\" is 0.95 - after 20 min (`lr = 0.5`, $a = 0.5$)."
    draft = "На 5,000 изображений \"точность\" 0.95 - через 20 мин (`lr = 0.5`, $a = 0.5$)."
    fixed = tr.fix(english, draft)
    assert fixed == ("На 5000 изображений «точность» 0,95\u00a0— через 20\u00a0мин "
                     "(`lr = 0.5`, $a = 0.5$).")
    assert tr.problems(english, fixed) == []


def test_update_flags_a_changed_paragraph_as_stale(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    monkeypatch.setattr(tr, "LOCALE", tmp_path / "locale")
    monkeypatch.setattr(tr, "source", lambda name: page)
    page.write_text("# A title\n\nThe batch mean is computed over the batch.\n")
    assert tr.update("page") == {"new": 2}
    catalogue = tr.load("page")
    for entry in catalogue:
        entry.msgstr = {"# A title": "# Заголовок"}.get(
            entry.msgid, "Среднее по пакету считается по пакету.")
    tr.save("page", catalogue)
    assert tr.report("page") == []

    page.write_text("# A title\n\nThe batch mean is computed over the whole batch.\n")
    assert tr.update("page") == {"kept": 1, "fuzzy": 1}
    stale = [e for e in tr.load("page") if "fuzzy" in e.flags]
    assert len(stale) == 1 and stale[0].previous_msgid.endswith("over the batch.")
    assert stale[0].msgstr == "Среднее по пакету считается по пакету."
    assert any("stale" in line for line in tr.report("page"))
    with pytest.raises(ValueError, match="untranslated or stale"):
        tr.russian("page")

    page.write_text("# A title\n\nA new paragraph about something else entirely.\n")
    tr.update("page")
    assert any("untranslated" in line for line in tr.report("page"))


def test_update_carries_a_translation_over_new_whole_numbers(tmp_path, monkeypatch):
    """A re-measured time changes only numbers: the translation follows by itself."""
    page = tmp_path / "page.md"
    monkeypatch.setattr(tr, "LOCALE", tmp_path / "locale")
    monkeypatch.setattr(tr, "source", lambda name: page)
    page.write_text("About 21 minutes to read, 25 seconds to run on 2 cores.\n")
    tr.update("page")
    catalogue = tr.load("page")
    catalogue[0].msgstr = "Около 21\u00a0мин на чтение, 25\u00a0с на выполнение на 2 ядрах."
    tr.save("page", catalogue)
    page.write_text("About 21 minutes to read, 30 seconds to run on 2 cores.\n")
    assert tr.update("page") == {"renumbered": 1}
    assert tr.load("page")[0].msgstr == (
        "Около 21\u00a0мин на чтение, 30\u00a0с на выполнение на 2 ядрах.")
    page.write_text("About 21 minutes to read, 30.5 seconds to run on 2 cores.\n")
    assert tr.update("page") == {"fuzzy": 1}, "a decimal needs a translator's comma"


def test_russian_math_takes_decimal_commas_and_code_keeps_its_points():
    found = {"Set `momentum=0.99`, so $\\rho = 0.99$.":
             "Задайте `momentum=0.99`, то есть $\\rho = 0.99$."}
    text = "Set `momentum=0.99`, so $\\rho = 0.99$.\n\n$$\nx = 2.5\n$$"
    assert tr.translate(text, found) == (
        "Задайте `momentum=0.99`, то есть $\\rho = 0{,}99$.\n\n$$\nx = 2{,}5\n$$")


def test_a_number_the_translation_lacks_is_a_problem():
    english = "Accuracy 0.95 on 5,000 images (Keras 3.15), after 65 seconds to run."
    russian = "Точность 0,95 на {} изображений (Keras 3.15), {}\u00a0с на выполнение."
    assert tr.problems(english, russian.format("5000", 65)) == []
    assert tr.problems(english, russian.format("5\u00a0000", 65)) == []
    found = tr.problems(english, russian.format("5000", 25))
    assert any("numbers of the English missing: ['65']" in p for p in found), found


def test_seconds_take_a_non_breaking_space_and_the_preposition_does_not():
    found = tr.problems("60 seconds to run.", "60 с на выполнение.")
    assert any("between a number and its unit" in p for p in found), found
    assert tr.problems("0.93 with the means alone.", "0,93 с одними средними.") == []
