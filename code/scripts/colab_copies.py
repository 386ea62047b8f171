"""The chapters as a learner opens them in Colab: tasks without their answers.

    python code/scripts/colab_copies.py [NOTEBOOK ...]   # write colab/NN_*.ipynb

A chapter notebook holds each exercise's solution right under it, in a
``{solution-start}`` ... ``{solution-end}`` block that the HTML book folds
into a dropdown. Colab knows nothing of MyST, so it would show the solution,
its code and its outputs in full. The Colab copy written here:

- drops every solution, and every output (the learner runs the chapter);
- turns each ``{exercise}`` directive into a heading "Exercise 6.3: title",
  its difficulty line and its statement, then a link to the solution in the
  book and an empty code cell for the answer (with the checker's call);
- turns MyST roles and admonitions into what CommonMark shows: cross-
  references become the numbers the book prints ("Fig. 6.2", "(3.4)"),
  citations "Author (year)", glossary terms their text.

``make execute`` writes the copy of each chapter it executes, and
``code/scripts/translations.py render`` the copy of each Russian chapter
(``ru/chapters`` into ``colab/ru``, in Russian); a test checks that the
committed copies are what this script writes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[2]
COLAB_DIR = ROOT / "colab"
RU = ROOT / "ru"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebooks import COLAB_TAG, canonical, toc_notebooks  # noqa: E402

EXERCISE = re.compile(
    r"```\{exercise\} (?P<title>[^\n]+)\n:label: (?P<label>\S+)\n(?P<body>.*?)\n```", re.S)
SOLUTION_START = re.compile(r"```\{solution-start\}[^\n]*\n(?::[^\n]*\n)*```")
SOLUTION_END = re.compile(r"```\{solution-end\}\n```")
ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<text>[^`]*)`")
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^>]+)>$", re.S)
COLON_FENCE = re.compile(r"^:::+\{(?P<name>[\w-]+)\}(?P<title>[^\n]*)\n(?P<body>.*?)^:::+\s*$",
                         re.S | re.M)
BACKTICK_FENCE = re.compile(
    r"^```\{(?P<name>note|admonition|dropdown|tip|warning)\}(?P<title>[^\n]*)\n"
    r"(?P<body>.*?)^```\s*$", re.S | re.M)
OPTION = re.compile(r"^:[\w-]+:[^\n]*\n", re.M)
LOCAL_LINK = re.compile(r"\]\((?P<page>[\w./-]+?)\.(?:md|ipynb)(?P<anchor>#[\w-]+)?\)")


# What a copy prints around the chapter's own text, per language.
WORDS = {
    "en": {
        "figure": "Fig.", "exercise": "Exercise",
        "answer": "your answer here.", "then": "Then check it:",
        "solution": "The solution is in the book",
        "intro": ("This is the Colab copy of a chapter of [the book]({page}): the same "
                  "code, with the exercises' solutions left in the book. Run the cells "
                  "in order; the first one installs the course package."),
        "note": "Note", "tip": "Tip", "warning": "Warning", "dropdown": "Details",
        "admonition": "Note",
    },
    "ru": {
        "figure": "Рис.", "exercise": "Упражнение",
        "answer": "ваш ответ.", "then": "Затем проверьте его:",
        "solution": "Решение\u00a0— в книге",
        "intro": ("Это копия главы [книги]({page}) для Colab: тот же код, а решения "
                  "упражнений остались в книге. Выполняйте ячейки по порядку; первая "
                  "устанавливает пакет курса."),
        "note": "Примечание", "tip": "Совет", "warning": "Внимание", "dropdown": "Подробнее",
        "admonition": "Примечание",
    },
}


def language(path: Path) -> str:
    """"ru" for a page of the Russian edition (under ru/), else "en"."""
    return "ru" if RU in path.resolve().parents else "en"


def book_url() -> str:
    """Where the HTML book is published (``html.baseurl`` of _config.yml)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["html"]["baseurl"].rstrip("/")


def chapter_number(path: Path) -> int:
    return int(path.name.split("_", 1)[0])


def numbers(path: Path, lang: str = "en") -> dict[str, str]:
    """What the book prints for each numbered target of chapter ``path``:
    figures, labelled equations and exercises, numbered in order per chapter."""
    words = WORDS[lang]
    chapter = chapter_number(path)
    nb = nbformat.read(path, as_version=4)
    found: dict[str, str] = {}
    counts = {"Fig.": 0, "eq": 0, "Exercise": 0}
    for cell in nb.cells:
        if cell.cell_type == "code":
            name = cell.metadata.get("mystnb", {}).get("figure", {}).get("name")
            if name:
                counts["Fig."] += 1
                found[name] = f"{words['figure']} {chapter}.{counts['Fig.']}"
            continue
        for label in re.findall(r"\$\$\s*\(([\w-]+)\)", cell.source):
            counts["eq"] += 1
            found[label] = f"({chapter}.{counts['eq']})"
    for match in EXERCISE.finditer("\n".join(c.source for c in nb.cells
                                             if c.cell_type == "markdown")):
        counts["Exercise"] += 1
        found[match["label"]] = f"{words['exercise']} {chapter}.{counts['Exercise']}"
    return found


def all_numbers(lang: str = "en") -> dict[str, str]:
    """The numbered targets of every chapter."""
    found: dict[str, str] = {}
    for path in toc_notebooks():
        if path.parent.name == "chapters":
            found.update(numbers(path, lang))
    return found


def citations() -> dict[str, tuple[str, str]]:
    """Each reference key's (authors as cited, year), from references.bib."""
    from pybtex.database import parse_file

    cited: dict[str, tuple[str, str]] = {}
    for key, entry in parse_file(ROOT / "references.bib").entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        last = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
        if len(last) > 2:
            authors = f"{last[0]} et al."
        else:
            authors = " and ".join(last) or entry.fields.get("title", key)
        cited[key] = (authors, entry.fields.get("year", "n.d."))
    return cited


def page_titles(lang: str = "en") -> dict[str, str]:
    """Each page of the book (path without suffix) and its title."""
    titles: dict[str, str] = {}
    home = RU if lang == "ru" else ROOT
    for path in [*home.glob("*.md"), *(home / "chapters").glob("*.ipynb")]:
        if path.suffix == ".ipynb":
            text = nbformat.read(path, as_version=4).cells[0].source
        else:
            text = path.read_text()
        heading = re.search(r"^# (.+)$", text, re.M)
        if heading:
            titles[path.relative_to(home).with_suffix("").as_posix()] = heading[1].strip()
    return titles


class Roles:
    """MyST roles rewritten as the text the book shows in their place."""

    def __init__(self, here: Path) -> None:
        self.here = here
        self.home = RU if language(here) == "ru" else ROOT
        self.numbers = all_numbers(language(here))
        self.cited = citations()
        self.titles = page_titles(language(here))

    def cite(self, keys: str, textual: bool) -> str:
        parts = []
        for key in (k.strip() for k in keys.split(",")):
            if key not in self.cited:
                raise KeyError(f"{self.here.name}: citation {key!r} is not in references.bib")
            authors, year = self.cited[key]
            parts.append(f"{authors} ({year})" if textual else f"{authors} {year}")
        return "; ".join(parts) if textual else f"({'; '.join(parts)})"

    def doc(self, target: str) -> str:
        page = (self.here.parent / target).resolve().relative_to(self.home).with_suffix("")
        return self.titles.get(page.as_posix(), page.name)

    def replace(self, match: re.Match) -> str:
        role, text = match["role"], match["text"]
        explicit = EXPLICIT.match(text)
        shown, target = (explicit["text"], explicit["target"]) if explicit else (None, text)
        if role in ("cite", "cite:p", "cite:t"):
            return self.cite(text, textual=role == "cite:t")
        if role == "term":
            return shown or text
        if role == "doc":
            return f"*{shown or self.doc(target)}*"
        if role in ("eq", "numref", "ref"):
            if shown:
                return shown
            if target not in self.numbers:
                raise KeyError(f"{self.here.name}: no numbered target {target!r} "
                               "(figure, labelled equation or exercise) for {{{role}}}")
            return self.numbers[target]
        raise KeyError(f"{self.here.name}: no Colab rendering for the role {{{role}}}")

    def link(self, match: re.Match) -> str:
        page = (self.here.parent / match["page"]).resolve().relative_to(ROOT).as_posix()
        return f"]({book_url()}/{page}.html{match['anchor'] or ''})"

    def __call__(self, text: str) -> str:
        """``text`` with its roles and its links to other pages of the book resolved."""
        return LOCAL_LINK.sub(self.link, ROLE.sub(self.replace, text))


def admonitions(text: str, lang: str = "en") -> str:
    """Colon-fenced and backtick-fenced admonitions as block quotes."""
    def quote(match: re.Match) -> str:
        title = match["title"].strip() or WORDS[lang].get(match["name"], match["name"])
        body = OPTION.sub("", match["body"]).strip("\n")
        lines = [f"**{title}**", "", *body.splitlines()]
        return "\n".join(f"> {line}".rstrip() for line in lines)
    text = COLON_FENCE.sub(quote, text)
    return BACKTICK_FENCE.sub(quote, text)


def answer_cell(label: str, number: str, checked: bool,
                lang: str = "en") -> nbformat.NotebookNode:
    """The empty cell under an exercise where the learner writes the answer."""
    lines = [f"# {number}: {WORDS[lang]['answer']}"]
    if checked:
        lines += [f"# {WORDS[lang]['then']}", f'# bnbook.exercises.check("{label}", ...)']
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["answer"]
    return cell


def exercise_markdown(match: re.Match, number: str, solution_url: str,
                      lang: str = "en") -> str:
    body = match["body"].strip("\n")
    return (f'<a id="{match["label"]}"></a>\n\n### {number}: {match["title"].strip()}\n\n'
            f"{body}\n\n[{WORDS[lang]['solution']}]({solution_url}).")


def colab_copy(path: Path) -> nbformat.NotebookNode:
    """The Colab copy of chapter ``path``: no solutions, no outputs, plain Markdown."""
    from bnbook.exercises import labels

    checked = set(labels())
    lang = language(path)
    source = nbformat.read(path, as_version=4)
    if lang == "en":
        source = canonical(source, path)
    roles = Roles(path)
    numbers = all_numbers(lang)
    page = f"{book_url()}/{path.relative_to(ROOT).with_suffix('.html').as_posix()}"
    cells: list[nbformat.NotebookNode] = []
    inside = False
    for cell in source.cells:
        if COLAB_TAG in cell.metadata.get("tags", []) and cell.cell_type == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(WORDS[lang]["intro"].format(page=page)))
            continue
        if cell.cell_type == "code":
            if not inside:
                copy = nbformat.v4.new_code_cell(cell.source)
                copy.metadata = cell.metadata
                cells.append(copy)
            continue
        text = cell.source
        if inside:
            end = SOLUTION_END.search(text)
            if not end:
                continue
            text, inside = text[end.end():], False
        start = SOLUTION_START.search(text)
        if start:
            text, inside = text[:start.start()], True
            if SOLUTION_END.search(cell.source[start.end():]):
                raise ValueError(f"{path.name}: a solution opens and ends in one cell")

        exercises = list(EXERCISE.finditer(text))
        text = EXERCISE.sub(
            lambda m: exercise_markdown(m, numbers[m["label"]], f"{page}#{m['label']}", lang),
            text)
        text = roles(admonitions(text, lang)).strip()
        if text:
            cells.append(nbformat.v4.new_markdown_cell(text))
        cells.extend(answer_cell(m["label"], numbers[m["label"]], m["label"] in checked, lang)
                     for m in exercises)
    if inside:
        raise ValueError(f"{path.name}: a solution has no solution-end")
    copy = nbformat.v4.new_notebook(cells=cells, metadata=source.metadata)
    copy.metadata["colab"] = {"provenance": []}
    for index, cell in enumerate(copy.cells):
        cell["id"] = f"c{index:03d}"
    return copy


def copy_path(path: Path) -> Path:
    return COLAB_DIR / "ru" / path.name if language(path) == "ru" else COLAB_DIR / path.name


def write(path: Path) -> Path:
    """Write the Colab copy of chapter ``path``; return where."""
    copy = colab_copy(path)
    nbformat.validate(copy)
    target = copy_path(path)
    target.parent.mkdir(exist_ok=True)
    nbformat.write(copy, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or [
        p for p in toc_notebooks() if p.parent.name == "chapters"]
    for path in paths:
        print(write(path).relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
