"""The Russian edition: catalogues of the English text, and the Russian pages made from them.

    python code/scripts/translations.py update           # catalogues follow the English pages
    python code/scripts/translations.py check [PAGE ...]  # untranslated, stale, broken, typography
    python code/scripts/translations.py fix [PAGE ...]    # apply the Russian typography rules
    python code/scripts/translations.py render           # write ru/ and colab/ru/
    python code/scripts/translations.py dump PAGE FILE   # a page's blocks as plain text ...
    python code/scripts/translations.py load FILE        # ... and their translations back

Every page of ``_toc.yml`` has a gettext catalogue, ``locale/ru/LC_MESSAGES/<page>.po``
(read and written with polib). Its messages are the page's Markdown blocks (the text
between blank lines of a Markdown cell or page) and its figures' captions and alt texts.
``update`` adds each new English block; a block that changed gets the old translation
marked fuzzy, with the old English as ``#| msgid``, so a translator sees what changed.
``render`` writes each Russian page into ``ru/``: a notebook's code cells, outputs and
metadata are the English ones, only the Markdown and the captions are replaced. The
tests fail on any untranslated or fuzzy block and on a ``ru/`` page that ``render``
would write differently.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat
import polib

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale" / "ru" / "LC_MESSAGES"
RU = ROOT / "ru"
sys.path.insert(0, str(Path(__file__).resolve().parent))
import colab_copies  # noqa: E402
from notebooks import toc_entries  # noqa: E402

BOOK_URL = colab_copies.book_url() + "/"  # html.baseurl of _config.yml

# Fenced blocks whose content is code or math, never prose.
OPAQUE_DIRECTIVES = {"math", "code-cell", "code-block", "code", "bibliography"}
FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")


# --- Blocks ---------------------------------------------------------------

def chunks(text: str) -> list[str]:
    """``text`` cut at its blank lines, so that ``"\\n".join(chunks(text)) == text``.

    Blank lines inside a code fence or display math do not cut; each blank line
    outside them is a chunk of its own.
    """
    out: list[str] = []
    current: list[str] = []
    stack: list[str] = []  # open directive fences, which hold prose
    code: str | None = None  # the fence of an open code block
    math = False
    for line in text.split("\n"):
        if code is None and not math and not line.strip():
            if current:
                out.append("\n".join(current))
                current = []
            out.append(line)
            continue
        current.append(line)
        fence = FENCE.match(line)
        if code is not None:
            if fence and fence["fence"][0] == code[0] and len(fence["fence"]) >= len(code) \
                    and not fence["info"]:
                code = None
            continue
        if math:
            math = "$$" not in line
            continue
        if line.strip().startswith("$$"):
            math = line.strip().count("$$") == 1
            continue
        if fence:
            info = fence["info"]
            name = re.match(r"\{([\w-]+)\}", info)
            if not info and stack and stack[-1][0] == fence["fence"][0]:
                stack.pop()
            elif name and name[1] not in OPAQUE_DIRECTIVES:
                stack.append(fence["fence"])
            else:
                code = fence["fence"]
    if current:
        out.append("\n".join(current))
    return out


# What is markup, not prose: kept as it is in a translation.
PROTECTED = re.compile(
    "|".join([
        r"^(?P<q>`{3,}|~{3,})[ \t]*(?!\{)[^\n]*\n.*?^(?P=q)[ \t]*$",  # code fence
        r"^(?P<q2>`{3,})\{(?:math|code-cell|code-block|code|bibliography)\}.*?^(?P=q2)[ \t]*$",
        r"\$\$.*?\$\$(?:[ \t]*\([\w-]+\))?",  # display math and its label
        r"^[ \t]*(?:`{3,}|:{3,})\{solution[\w-]*\}[^\n]*$",  # a solution's label
        r"^[ \t]*(?:`{3,}|:{3,})\{[\w-]+\}",  # a directive's name (its title is prose)
        r"^[ \t]*(?:`{3,}|:{3,}|~{3,})[ \t]*$",  # a closing fence
        r"^[ \t]*:[\w-]+:[^\n]*$",  # a directive's option
        r"^\([\w-]+\)=[ \t]*$",  # a target label
        r"\{[\w:-]+\}`[^`]*`",  # a MyST role
        r"``[^`]+?``",
        r"`[^`]+`",  # inline code, which may run over a line break
        r"(?<![\\$\w])\$(?!\$)(?:\\\$|[^$])+?\$",  # inline math, likewise
        r"\]\([^)\s]*\)",  # a link's target
        r"<https?://[^>]+>",
        r"</?[a-zA-Z][^>\n]*>",  # an HTML tag
        r"https?://\S+",
    ]),
    re.M | re.S,
)
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


MARK = "\ufffc"  # stands for a piece of markup in prose


def prose(text: str) -> str:
    """``text`` with each piece of markup (code, math, roles, link targets, directives)
    replaced by one placeholder character."""
    return PROTECTED.sub(MARK, text)


# Words inside math: a phrase such as \text{mean of the units' variances} is
# translated; a single word may be (\text{where}) or may be a name that stays
# (\text{variance}, Keras's argument); a label such as \text{run} is notation.
MATH_TEXT = re.compile(r"\\text\{([^{}]*)\}")


def words_in_math(text: str) -> list[str]:
    """The \\text{...} contents of ``text`` that are English words, not notation."""
    return [content for content in MATH_TEXT.findall(text)
            if re.search(r"[A-Za-z]{4,}", content) or re.search(r"[A-Za-z]+ [A-Za-z]+", content)]


def translatable(block: str) -> bool:
    """Whether a block holds words to translate (a code block or an equation does not,
    unless its math holds words)."""
    return bool(block.strip()) and bool(LATIN_WORD.search(prose(block)) or words_in_math(block))


# --- Pages and their messages ---------------------------------------------

@dataclass
class Unit:
    """A piece of a page that is translated block by block."""

    where: str
    text: str


def pages() -> list[str]:
    """Every page of the book, by its path without suffix, in reading order."""
    return toc_entries()


def source(page: str) -> Path:
    for suffix in (".ipynb", ".md"):
        if (ROOT / f"{page}{suffix}").exists():
            return ROOT / f"{page}{suffix}"
    raise ValueError(f"page {page!r} of _toc.yml has no .ipynb or .md file")


def catalogue_path(page: str) -> Path:
    return LOCALE / f"{page}.po"


def figure_texts(cell: dict) -> list[tuple[tuple[str, str], str]]:
    """A code cell's figure caption and alt text, with where each sits in its metadata."""
    mystnb = cell.get("metadata", {}).get("mystnb", {})
    found = []
    for key, field in (("figure", "caption"), ("image", "alt")):
        text = mystnb.get(key, {}).get(field)
        if text:
            found.append(((key, field), text))
    return found


def units(page: str) -> list[Unit]:
    path = source(page)
    if path.suffix == ".md":
        return [Unit("page", path.read_text())]
    found = []
    notebook = json.loads(path.read_text())
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "markdown":
            found.append(Unit(f"cell-{index}", "".join(cell["source"])))
        elif cell["cell_type"] == "code":
            for (_, field), text in figure_texts(cell):
                found.append(Unit(f"cell-{index}-{field}", text))
    return found


def messages(page: str) -> list[tuple[str, str]]:
    """The page's translatable blocks, each with where it sits, in page order."""
    return [(unit.where, block) for unit in units(page)
            for block in chunks(unit.text) if translatable(block)]


# --- Catalogues -----------------------------------------------------------

def load(page: str) -> polib.POFile:
    path = catalogue_path(page)
    if path.exists():
        return polib.pofile(str(path), wrapwidth=0)
    return empty()


def empty() -> polib.POFile:
    catalogue = polib.POFile(wrapwidth=0)
    catalogue.metadata = {
        "Project-Id-Version": "bnbook",
        "Language": "ru",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && "
                        "n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    }
    return catalogue


def save(page: str, catalogue: polib.POFile) -> None:
    path = catalogue_path(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalogue.wrapwidth = 0
    catalogue.save(str(path))


def update(page: str) -> dict[str, int]:
    """Bring the catalogue of ``page`` in step with its English text."""
    old = load(page)
    current = messages(page)
    by_id = {entry.msgid: entry for entry in old if not entry.obsolete}
    blocks = {block for _, block in current}
    retired = [entry for entry in old if entry.msgstr and (
        entry.obsolete or entry.msgid not in blocks)]
    new = empty()
    counts = Counter()
    seen: dict[str, polib.POEntry] = {}
    for where, block in current:
        if block in seen:
            seen[block].occurrences.append((page, where))
            continue
        entry = by_id.get(block)
        if entry is not None and not entry.obsolete:
            entry = copy.copy(entry)
            entry.occurrences = [(page, where)]
            counts["kept"] += 1
        else:
            entry = polib.POEntry(msgid=block, msgstr="", occurrences=[(page, where)])
            carried = next((text for text in (renumbered(block, old) for old in retired)
                            if text is not None), None)
            match = None if carried else closest(block, retired)
            if carried:
                entry.msgstr = carried
                counts["renumbered"] += 1
            elif match is not None:
                entry.msgstr = match.msgstr
                entry.flags = ["fuzzy"]
                entry.previous_msgid = match.msgid
                counts["fuzzy"] += 1
            else:
                counts["new"] += 1
        seen[block] = entry
        new.append(entry)
    save(page, new)
    return dict(counts)


WHOLE_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def renumbered(block: str, entry: polib.POEntry) -> str | None:
    """``entry``'s translation with new numbers, when ``block`` differs from its English
    only in whole numbers (a re-measured running time, a count), each changed number
    occurring once in both; else None, and the block needs a translator."""
    if ("fuzzy" in entry.flags or not entry.msgstr
            or WHOLE_NUMBER.sub("#", block) != WHOLE_NUMBER.sub("#", entry.msgid)):
        return None
    text, changes = entry.msgstr, []
    pairs = zip(WHOLE_NUMBER.findall(entry.msgid), WHOLE_NUMBER.findall(block), strict=True)
    for index, (old, new) in enumerate(pair for pair in pairs if pair[0] != pair[1]):
        alone = rf"(?<![\d.,]){old}(?![\d]|[.,]\d)"
        if not (old.isdigit() and new.isdigit()) or len(re.findall(alone, text)) != 1 \
                or len(re.findall(alone, entry.msgid)) != 1:
            return None
        text = re.sub(alone, f"\x00{index}\x00", text)
        changes.append(new)
    for index, new in enumerate(changes):
        text = text.replace(f"\x00{index}\x00", new)
    return text


def closest(block: str, candidates: list[polib.POEntry]) -> polib.POEntry | None:
    """The retired message most like ``block`` (its old translation is a start)."""
    best, score = None, 0.6
    for entry in candidates:
        ratio = difflib.SequenceMatcher(None, block, entry.msgid, autojunk=False).ratio()
        if ratio > score:
            best, score = entry, ratio
    return best


# --- Checks ---------------------------------------------------------------

ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<text>[^`]*)`")
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^>]+)>$", re.S)


def role_targets(text: str) -> Counter:
    found = Counter()
    for match in ROLE.finditer(text):
        explicit = EXPLICIT.match(match["text"])
        target = explicit["target"] if explicit else match["text"]
        if match["role"] == "term":
            target = target.lower()
        found[(match["role"], target.strip())] += 1
    return found


def _words(span: str) -> str:
    return " ".join(span.split())


def math_spans(text: str) -> Counter:
    spans = re.findall(r"\$\$.*?\$\$|(?<![\\$\w])\$(?!\$)(?:\\\$|[^$])+?\$", text, re.S)
    return Counter(_words(MATH_TEXT.sub(r"\\text{}", span.replace("{,}", ".")))
                   for span in spans)


FENCE_LINE = re.compile(r"^[ \t]*(?:`{3,}|~{3,}|:{3,}).*$", re.M)


def structure(text: str) -> dict[str, Counter]:
    """What a translation keeps: code, math, references, links, directives, labels."""
    body = ROLE.sub(" ", text)
    return {
        "inline code": Counter(_words(span) for span in re.findall(
            r"``[^`]+?``|`[^`]+`", re.sub(r"\$[^$]*?\$", "", FENCE_LINE.sub(" ", body)))),
        "math": math_spans(text),
        "references": role_targets(text),
        "link targets": Counter(re.findall(r"\]\(([^)\s]*)\)", text)),
        "directives": Counter(re.findall(r"^[ \t]*(?:`{3,}|:{3,})\{[\w-]+\}", text, re.M)),
        "options": Counter(line.strip() for line in re.findall(r"^[ \t]*:[\w-]+:.*$", text, re.M)
                           if not line.strip().startswith(":sorted:")),
        "labels": Counter(re.findall(r"^\([\w-]+\)=", text, re.M)),
        "headings": Counter(re.findall(r"^#+ ", text, re.M)),
    }


# Numbers that keep their points: versions ("Keras 3.15", "CC BY 4.0", "MathJax
# 3.2.2") and the numbers of exercises, figures, equations and sections ("6.3").
VERSION = re.compile(r"(?:(?:Keras|TensorFlow|Python|JAX|PyTorch|NumPy|Sphinx|Colab|MathJax|"
                     r"CUDA|BY|License|Licence|Attribution|Apache|[Vv]ersion|верси\w*|v|Exercise|Fig\.|[Уу]пражнени\w*|"
                     r"[Рр]ис\.|[Гг]лав\w*|[Рр]аздел\w*|[Фф]ормул\w*|[Нн]омер\w*)[\s\u00a0]?\(?\d+(?:\.\d+)+"
                     r"|\d+\.\d+\.\d+)")
# Units after a number; "с" (seconds) only before punctuation or "на" ("60 с на
# выполнение", the Time line), as the preposition
# «с» follows numbers too ("0,93 с одними средними").
UNITS = r"(?:%|мин|с(?=[.,;:)]|$| на )|сек|ч|мс|px|пт|МБ|ГБ|КБ|дюйм\w*|пикс\w*)"


def typography(msgid: str, msgstr: str) -> list[str]:
    """Where ``msgstr``'s prose breaks the Russian typography rules."""
    text = VERSION.sub(" ", prose(msgstr))
    found = []
    if re.search(r"[\"”]", text) or ("“" in text and "„" not in text):
        found.append("quotation marks: use «ёлочки» („лапки“ inside them)")
    if re.search(r"(?<=\S) —", text):
        found.append("a non-breaking space goes before an em dash")
    if re.search(r"(?<=\S) [-–] ", text):
        found.append("a dash between words is an em dash —")
    if re.search(rf"\d {UNITS}(?![\w])", text):
        found.append("a non-breaking space goes between a number and its unit")
    if re.search(r"(?<![\w.,])\d+\.\d+(?!\.?\d)(?!\w)", text):
        found.append("decimal point in prose: write a decimal comma")
    english = set(re.findall(r"\d{1,3}(?:,\d{3})+(?!\d)", prose(msgid)))
    if any(number in text for number in english):
        found.append("thousands separated by a comma: write 5000 or 12 000")
    return found


def numbers(text: str, *, russian: bool) -> set[str]:
    """The numbers in ``text``'s prose, written the English way ("12000", "0.95");
    versions and the numbers of exercises, figures and sections left out."""
    grouped = r"\d{1,3}(?:[\u00a0\u202f ]\d{3})+" if russian else r"\d{1,3}(?:,\d{3})+"
    decimal = r"\d+(?:,\d+)?" if russian else r"\d+(?:\.\d+)?"
    found = set()
    for match in re.finditer(rf"(?<![\w.,])(?:(?P<grouped>{grouped})(?![\d]|[.,]\d)|{decimal})",
                             VERSION.sub(" ", prose(text))):
        number = match[0]
        found.add(re.sub(r"[\s,]", "", number) if match["grouped"] else number.replace(",", "."))
    return found


def problems(msgid: str, msgstr: str) -> list[str]:
    """What is wrong with a translation: markup that differs, missing Russian, typography."""
    found = []
    source, target = structure(msgid), structure(msgstr)
    for kind in source:
        if source[kind] != target[kind]:
            missing = list((source[kind] - target[kind]).elements())
            extra = list((target[kind] - source[kind]).elements())
            found.append(f"{kind} differ: missing {missing}, extra {extra}")
    if re.search(r"[a-z]{3,}", prose(msgid)) and not CYRILLIC.search(prose(msgstr)):
        found.append("no Russian words in the translation")
    untranslated = [w for w in words_in_math(msgstr)
                    if " " in w.strip() and not CYRILLIC.search(w)]
    if untranslated:
        found.append(f"words in math left in English: {untranslated}")
    for match in ROLE.finditer(msgstr):
        if match["role"] == "term":
            explicit = EXPLICIT.match(match["text"])
            if not explicit or not CYRILLIC.search(explicit["text"]):
                found.append(f"glossary term without Russian text: {match[0]}"
                             " (write {term}`русский текст <english term>`)")
    missing = numbers(msgid, russian=False) - numbers(msgstr, russian=True)
    if missing:
        found.append(f"numbers of the English missing: {sorted(missing)}")
    found.extend(typography(msgid, msgstr))
    return found


def report(page: str) -> list[str]:
    """Every problem of the catalogue of ``page``, one line each."""
    catalogue = load(page)
    entries = {entry.msgid: entry for entry in catalogue if not entry.obsolete}
    lines = []
    for where, block in messages(page):
        entry = entries.get(block)
        head = f"{page} ({where}): {block[:60]!r}"
        if entry is None:
            lines.append(f"{head}: not in the catalogue (run update)")
        elif not entry.msgstr:
            lines.append(f"{head}: untranslated")
        elif "fuzzy" in entry.flags:
            lines.append(f"{head}: stale (fuzzy): the English changed")
        else:
            lines.extend(f"{head}: {problem}" for problem in problems(block, entry.msgstr))
    return list(dict.fromkeys(lines))


# --- Typography fixes -----------------------------------------------------

def fix_prose(msgid: str, text: str) -> str:
    english = sorted(set(re.findall(r"\d{1,3}(?:,\d{3})+(?!\d)", prose(msgid))),
                     key=len, reverse=True)
    for number in english:
        digits = number.replace(",", "")
        grouped = digits if len(digits) <= 4 else number.replace(",", "\u00a0")
        text = text.replace(number, grouped)
    text = re.sub(r"(?<=\S) —", "\u00a0—", text)
    text = re.sub(r"(?<=\S) [-–] ", "\u00a0— ", text)
    text = re.sub(rf"(\d) ({UNITS})(?![\w])", "\\1\u00a0\\2", text)

    def comma(match: re.Match) -> str:
        start = max(0, match.start() - 12)
        if VERSION.search(text[start:match.end() + 1]):
            return match[0]
        return match[0].replace(".", ",")
    text = re.sub(r"(?<![\w.,])\d+\.\d+(?!\.?\d)(?!\w)", comma, text)
    text = re.sub(r"[\"“](.+?)[\"”]", "«\\1»", text)
    return text


def fix(msgid: str, msgstr: str) -> str:
    """``msgstr`` with the typography rules applied to its prose, its markup untouched."""
    kept = [match[0] for match in PROTECTED.finditer(msgstr)]
    fixed = fix_prose(msgid, prose(msgstr))
    pieces = fixed.split(MARK)
    if len(pieces) != len(kept) + 1:
        return msgstr
    return "".join(piece + markup for piece, markup in zip(pieces, [*kept, ""], strict=True))


# --- Rendering ------------------------------------------------------------

def translations(page: str, strict: bool = True) -> dict[str, str]:
    catalogue = load(page)
    found = {}
    for entry in catalogue:
        if entry.obsolete or not entry.msgstr or "fuzzy" in entry.flags:
            continue
        found[entry.msgid] = entry.msgstr
    if strict:
        missing = [block for _, block in messages(page) if block not in found]
        if missing:
            raise ValueError(f"{page}: {len(missing)} blocks untranslated or stale, "
                             f"the first: {missing[0][:80]!r}")
    return found


def localized_links(text: str) -> str:
    """Links to the Colab copies and the published book point to the Russian ones."""
    text = re.sub(r"(/blob/[\w.-]+/colab/)(?!ru/)", r"\1ru/", text)
    return text.replace(BOOK_URL, BOOK_URL + "ru/").replace(BOOK_URL + "ru/ru/", BOOK_URL + "ru/")


MATH = re.compile(r"\$\$.*?\$\$|(?<![\\$\w])\$(?!\$)(?:\\\$|[^$])+?\$", re.S)


def localized_math(text: str) -> str:
    """Decimal commas in math as Russian typesets them: $0.001$ becomes $0{,}001$."""
    return MATH.sub(lambda m: re.sub(r"(?<=\d)\.(?=\d)", "{,}", m[0]), text)


def translate(text: str, found: dict[str, str]) -> str:
    parts = [found.get(chunk, chunk) if translatable(chunk) else chunk for chunk in chunks(text)]
    return localized_math(localized_links("\n".join(parts)))


def russian(page: str, strict: bool = True) -> str:
    """The Russian page as it is written into ``ru/``."""
    found = translations(page, strict)
    path = source(page)
    if path.suffix == ".md":
        return translate(path.read_text(), found)
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = translate(cell.source, found)
        elif cell.cell_type == "code":
            for (key, field), text in figure_texts(cell):
                cell.metadata["mystnb"][key][field] = localized_math(found.get(text, text))
    return nbformat.writes(notebook) + "\n"


def russian_path(page: str) -> Path:
    return RU / source(page).relative_to(ROOT)


def render(strict: bool = True) -> list[Path]:
    """Write every Russian page into ``ru/``, and each chapter's Colab copy into colab/ru."""
    written = []
    for page in pages():
        target = russian_path(page)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(russian(page, strict))
        written.append(target)
    for target in [path for path in written if path.parent.name == "chapters"]:
        written.append(colab_copies.write(target))
    return written


# --- Plain-text exchange for translators ----------------------------------

SEPARATOR = re.compile(r"^=== (\d+) ===$\n(.*?)^--- ru ---$\n(.*?)(?=^=== \d+ ===$|\Z)",
                       re.M | re.S)


def dump(page: str, target: Path, only_open: bool = False) -> int:
    """Write the page's blocks and their translations to a text file; return how many."""
    catalogue = load(page)
    parts = [f"# page: {page}\n"]
    count = 0
    for index, entry in enumerate(e for e in catalogue if not e.obsolete):
        if only_open and entry.msgstr and "fuzzy" not in entry.flags:
            continue
        parts.append(f"=== {index} ===\n{entry.msgid}\n--- ru ---\n{entry.msgstr}\n\n")
        count += 1
    target.write_text("".join(parts))
    return count


def load_dump(path: Path) -> tuple[str, int]:
    """Read translations from a file ``dump`` wrote (and a translator filled in)."""
    text = path.read_text()
    page = re.match(r"# page: (\S+)\n", text)[1]
    catalogue = load(page)
    entries = [e for e in catalogue if not e.obsolete]
    count = 0
    for match in SEPARATOR.finditer(text):
        entry = entries[int(match[1])]
        if match[2].rstrip("\n") != entry.msgid:
            raise ValueError(f"{path}: block {match[1]} is not the catalogue's; dump again")
        translation = match[3].strip("\n")
        if translation and translation != entry.msgstr:
            entry.msgstr = translation
            count += 1
        if translation and "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
            entry.previous_msgid = None
    save(page, catalogue)
    return page, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("update", "check", "fix", "render", "dump", "load"))
    parser.add_argument("args", nargs="*")
    parser.add_argument("--open", action="store_true",
                        help="dump: only the untranslated and stale blocks")
    parser.add_argument("--draft", action="store_true",
                        help="render: keep English where a translation is missing")
    args = parser.parse_args(argv)
    chosen = [a.removesuffix(".ipynb").removesuffix(".md") for a in args.args] or pages()
    if args.command == "update":
        for page in pages():
            print(page, update(page))
    elif args.command == "check":
        lines = [line for page in chosen for line in report(page)]
        print("\n".join(lines) or "every block translated, current and well typeset")
        return 1 if lines else 0
    elif args.command == "fix":
        for page in chosen:
            catalogue = load(page)
            for entry in catalogue:
                if entry.msgstr:
                    entry.msgstr = fix(entry.msgid, entry.msgstr)
            save(page, catalogue)
    elif args.command == "render":
        for path in render(strict=not args.draft):
            print(path.relative_to(ROOT))
    elif args.command == "dump":
        page, target = chosen[0], Path(args.args[1])
        print(dump(page, target, args.open), "blocks written to", target)
    elif args.command == "load":
        page, count = load_dump(Path(args.args[0]))
        print(f"{page}: {count} translations loaded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
