"""The exercises: enough of them, of several kinds, labelled, checked, and
shown in Colab without their solutions.

Each chapter has 3 to 5 exercises of at least three categories. Each opens
with its difficulty, time and kind. Every predict, derive, implement, debug
or diagnose exercise has a checker in ``bnbook.exercises`` and says how to
call it; the book's own solution passes it (its stored output says ✓).
The Colab copies in ``colab/`` are what ``code/scripts/colab_copies.py``
writes, hold no solution, and render in a CommonMark renderer with GFM tables
and dollar math (a stand-in for Colab's Markdown) with titles and math intact.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from bnbook.exercises import labels as checked_labels

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
# The Russian edition's chapters (ru/) have Colab copies of their own, in colab/ru.
RU_CHAPTERS = sorted((ROOT / "ru" / "chapters").glob("*.ipynb"))
EXERCISE = re.compile(
    r"```\{exercise\} (?P<title>[^\n]+)\n:label: (?P<label>\S+)\n\n(?P<body>.*?)\n```", re.S)
DIFFICULTY = re.compile(r"\*\*(?P<stars>★{1,3}) · (?P<minutes>\d+) min · (?P<kind>[a-z]+)\*\*")
CATEGORY = {"predict": "concept", "derive": "concept", "implement": "implement",
            "debug": "debug", "diagnose": "debug", "ablation": "experiment",
            "extension": "experiment"}
CHECKED_KINDS = {"predict", "derive", "implement", "debug", "diagnose"}
MINUTES = {"★": (3, 15), "★★": (10, 40), "★★★": (25, 90)}
MYST = re.compile(r"\{[\w:-]+\}`|\$\$\s*\(|^```\{|^:::|^\(\S+\)=", re.M)


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "code" / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _exercises(path: Path) -> list[re.Match]:
    return list(EXERCISE.finditer(_markdown(nbformat.read(path, as_version=4))))


def _solutions(nb) -> dict[str, list]:
    """Each exercise's solution cells (code and markdown), by label."""
    found: dict[str, list] = {}
    label = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            start = re.search(r"```\{solution-start\} (\S+)\n:class: dropdown\n```", cell.source)
            if label and "```{solution-end}" in cell.source:
                found[label].append(cell)
                label = None
            if start:
                label = start[1]
                found[label] = []
                continue
        if label:
            found[label].append(cell)
    return found


def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table").use(dollarmath_plugin)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
class TestChapterExercises:
    def test_three_to_five_of_three_categories(self, path):
        exercises = _exercises(path)
        assert 3 <= len(exercises) <= 5, f"{len(exercises)} exercises"
        kinds = [DIFFICULTY.search(e["body"]) for e in exercises]
        categories = {CATEGORY.get(k["kind"]) for k in kinds if k}
        assert len(categories - {None}) >= 3, f"categories {sorted(categories - {None})}"

    def test_each_opens_with_difficulty_time_and_kind(self, path):
        for exercise in _exercises(path):
            first = exercise["body"].split("\n\n", 1)[0].strip()
            match = DIFFICULTY.fullmatch(first)
            assert match, f"{exercise['label']}: first line {first!r}"
            assert match["kind"] in CATEGORY, f"{exercise['label']}: kind {match['kind']}"
            low, high = MINUTES[match["stars"]]
            assert low <= int(match["minutes"]) <= high, (
                f"{exercise['label']}: {match['stars']} and {match['minutes']} min")

    def test_labels_follow_the_chapter(self, path):
        for exercise in _exercises(path):
            assert exercise["label"].startswith(f"ex-{path.name[:2]}-"), exercise["label"]

    def test_statements_read_the_same_outside_the_book(self, path):
        """No MyST roles or directives in a statement: Colab shows them raw."""
        for exercise in _exercises(path):
            found = MYST.findall(exercise["body"])
            assert not found, f"{exercise['label']}: {found}"

    def test_each_has_an_executed_solution_in_a_dropdown(self, path):
        nb = nbformat.read(path, as_version=4)
        solutions = _solutions(nb)
        for exercise in _exercises(path):
            cells = solutions.get(exercise["label"])
            assert cells, f"{exercise['label']}: no solution hidden in a dropdown"
            assert "```{solution-end}" in cells[-1].source, f"{exercise['label']}: no end"
            code = [c for c in cells if c.cell_type == "code"]
            assert code, f"{exercise['label']}: the solution runs no code"

    def test_checkable_kinds_have_a_checker_the_solution_passes(self, path):
        nb = nbformat.read(path, as_version=4)
        solutions = _solutions(nb)
        for exercise in _exercises(path):
            label, kind = exercise["label"], DIFFICULTY.search(exercise["body"])["kind"]
            if kind not in CHECKED_KINDS:
                continue
            assert label in checked_labels(), f"{label} ({kind}): no checker"
            call = f'bnbook.exercises.check("{label}",'
            assert call in " ".join(exercise["body"].split()), (
                f"{label}: the statement does not say how to check: {call} ...)")
            first = next(c for c in solutions[label] if c.cell_type == "code")
            assert call in first.source, f"{label}: the solution's first cell does not check"
            printed = "".join(o.get("text", "") for o in first.outputs)
            assert f"✓ {label}:" in printed, f"{label}: stored check output {printed!r}"

    def test_the_colab_copy_runs_without_the_solutions(self, path):
        """No code outside a solution after the first exercise: the copy drops
        the solutions, so nothing it still runs may need their variables."""
        nb = nbformat.read(path, as_version=4)
        inside = {id(c) for cells in _solutions(nb).values() for c in cells}
        first = next(i for i, c in enumerate(nb.cells)
                     if c.cell_type == "markdown" and "```{exercise}" in c.source)
        for index, cell in enumerate(nb.cells[first:], start=first):
            assert cell.cell_type == "markdown" or id(cell) in inside, (
                f"cell {index}: code after the exercises, outside a solution")

    def test_prose_refers_to_exercises_by_reference(self, path):
        text = EXERCISE.sub("", _markdown(nbformat.read(path, as_version=4)))
        assert not re.findall(r"\bExercise \d", text), "a hand-written exercise number"
        doubled = re.findall(r"\b[Ee]xercises? \{(?:num)?ref\}", text)
        assert not doubled, f"the reference prints 'Exercise' itself: {doubled}"


def test_every_checker_belongs_to_an_exercise():
    exercises = [e["label"] for path in CHAPTERS for e in _exercises(path)]
    assert len(exercises) == len(set(exercises)), "a label used twice"
    orphans = set(checked_labels()) - set(exercises)
    assert not orphans, f"checkers of no exercise: {sorted(orphans)}"


def _copy(path: Path) -> Path:
    """The Colab copy of chapter ``path`` (colab/ru for a Russian chapter)."""
    return ROOT / "colab" / ("ru" if path.parent.parent.name == "ru" else "") / path.name


@pytest.mark.parametrize("path", CHAPTERS + RU_CHAPTERS,
                         ids=lambda p: p.relative_to(ROOT).with_suffix("").as_posix())
class TestColabCopies:
    def test_committed_copy_is_current(self, path):
        copy = _copy(path)
        assert copy.is_file(), f"no {copy.relative_to(ROOT)}: run code/scripts/colab_copies.py"
        fresh = _script("colab_copies").colab_copy(path)
        stored = nbformat.read(copy, as_version=4)
        assert fresh == stored, (
            f"{copy.relative_to(ROOT)} is stale: run code/scripts/colab_copies.py")

    def test_chapter_links_to_its_copy(self, path):
        nb = nbformat.read(path, as_version=4)
        assert f"/{_copy(path).relative_to(ROOT).as_posix()})" in nb.cells[1].source

    def test_copy_shows_no_solution_and_no_output(self, path):
        copy = nbformat.read(_copy(path), as_version=4)
        text = "\n".join(c.source for c in copy.cells)
        assert all(not c.get("outputs") for c in copy.cells if c.cell_type == "code")
        nb = nbformat.read(path, as_version=4)
        solutions = _solutions(nb)
        inside = {id(c) for cells in solutions.values() for c in cells}
        outside = "\n".join(c.source for c in nb.cells if id(c) not in inside)
        for label, cells in solutions.items():
            for cell in cells:
                shown = cell.source.split("```{solution-end}")[0]
                outside += "\n" + cell.source[len(shown):]
                for line in shown.splitlines():
                    line = line.strip()
                    if len(line) >= 30 and line not in outside:
                        assert line not in text, f"{label}'s solution shows: {line!r}"

    def test_copy_renders_titles_and_math_as_markdown(self, path):
        copy = nbformat.read(_copy(path), as_version=4)
        chapter = int(path.name[:2])
        titles = [e["title"].strip() for e in _exercises(path)]
        markdown = [c.source for c in copy.cells if c.cell_type == "markdown"]
        html = _renderer().render("\n\n".join(markdown))
        word = "Упражнение" if path in RU_CHAPTERS else "Exercise"
        for number, title in enumerate(titles, start=1):
            heading = f"<h3>{word} {chapter}.{number}: {title}</h3>"
            assert heading.replace("'", "&quot;") in html or heading in html, heading
        visible = re.sub(r'<(?:span|div) class="math[^"]*">.*?</(?:span|div)>', "", html,
                         flags=re.S)
        for leftover in ("{exercise}", "{solution", ":label:", "}`", "$", ":::"):
            assert leftover not in visible, f"Colab would show {leftover!r} raw"
