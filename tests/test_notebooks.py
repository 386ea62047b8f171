"""Hygiene of the stored chapter notebooks: what would make nbval lie or the book mislead.

nbval does not compare a cell whose stored execution count is None, so an
unexecuted notebook would pass it silently; these checks close such gaps.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
VOLATILE = re.compile(
    r"0x[0-9a-fA-F]{6,}"                      # memory addresses
    r"|(?<![\w.])/(?:root|tmp|work|home|usr|opt|private|Users)/"  # absolute paths
    r"|\d+(?:\.\d+)?\s?(?:ms|s|us)/step"        # Keras progress timing
    r"|ETA:|\d+/\d+ \[=+"                        # progress bars
)


# The text column holds 72 characters of code or output (chapters/ruff.toml).
COLUMN = 72
MAX_CELL_LINES = 25
HARNESS = re.compile(
    r"\bCI\b|nbval|continuous integration|backends?'? (?:different )?random draws"
    r"|JAX backend's|[Aa]ppendix|recorded run"
    r"|stored outputs?|reference environment", )


def _solution_cells(nb) -> set[int]:
    """Indices of the cells between a solution-start and its solution-end."""
    inside, found = False, set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and "{solution-start}" in cell.source:
            inside = True
        elif cell.cell_type == "markdown" and "{solution-end}" in cell.source:
            inside = False
        elif inside:
            found.add(index)
    return found


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "code" / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _output_text(output: dict) -> str:
    text = output.get("text", "")
    data = output.get("data", {})
    return "".join(text) + "".join(
        "".join(value) for key, value in data.items() if key.startswith("text/")
    )


def test_there_are_chapters():
    assert CHAPTERS, "no notebooks in chapters/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
class TestChapter:
    def test_every_code_cell_executed_in_order(self, path):
        nb = nbformat.read(path, as_version=4)
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts, "a chapter without code"
        assert None not in counts, f"{counts.count(None)} code cell(s) never executed"
        assert counts == list(range(1, len(counts) + 1)), f"execution counts {counts}"

    def test_no_errors_no_stderr_no_volatile_text(self, path):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            for output in cell.get("outputs", []):
                where = f"cell {index}"
                assert output.output_type != "error", f"{where}: stored error {output.get('ename')}"
                assert not (output.output_type == "stream" and output.name == "stderr"), (
                    f"{where}: stderr output {output.text[:200]!r}"
                )
                match = VOLATILE.search(_output_text(output))
                assert match is None, f"{where}: volatile text {match.group(0)!r}"

    def test_every_stored_claim_holds(self, path):
        """The stored book is the reference run: no claim may be only 'reported' in it."""
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            for output in cell.get("outputs", []):
                assert "does not hold" not in _output_text(output), f"cell {index}"

    def test_kernelspec_and_canonical_form(self, path):
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata.kernelspec.name == "python3"
        canonical = _load_script("notebooks").canonical(copy.deepcopy(nb), path)
        assert canonical == nb, (
            "not in canonical form: store it with `make execute NB=...`"
        )

    def test_no_trailing_semicolon(self, path):
        # nbval runs cells with store_history=False, so IPython cannot see a
        # trailing ';' and shows the value anyway: the stored and the re-run
        # outputs would differ. End such cells with plt.show() or an assignment.
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and cell.source.rstrip().endswith(";"):
                pytest.fail(f"cell {index} ends with ';', which nbval ignores")

    def test_parameters_cell_follows_the_colab_cell(self, path):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert "colab-setup" in code[0].metadata.get("tags", [])
        assert "parameters" in code[1].metadata.get("tags", []), (
            "the first code cell after the Colab cell must be the tagged parameters cell"
        )

    def test_parameters_are_seed_and_scale_at_book_scale(self, path):
        """papermill overrides SEED and SCALE; everything else derives from them."""
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        names = re.findall(r"^([A-Z_]+) = ", code[1].source, flags=re.M)
        assert names == ["SEED", "SCALE"], f"the parameters cell assigns {names}"
        assert re.search(r"^SCALE = 1\b", code[1].source, flags=re.M), "stored at book scale"
        assert "SCALE" in code[2].source, "the cell after the parameters derives sizes from SCALE"
        setup = [c.source for c in code if "bnbook.setup(" in c.source]
        assert len(setup) == 1 and "bnbook.setup(SEED, scale=SCALE)" in setup[0]


    def test_opens_with_goals_and_measured_times(self, path):
        """Learning goals, and reading and running times that were measured:
        words at 200 a minute, seconds from `make benchmark` on 2 cores."""
        nb = nbformat.read(path, as_version=4)
        opening = nb.cells[0].source
        assert ":::{admonition} In this chapter" in opening, "no learning goals at the top"
        script = _load_script("notebooks")
        match = script.TIME_LINE.search(opening)
        assert match, "no 'Time: about N minutes to read, S seconds to run' line at the top"
        assert match.group(1).isdigit() and match.group(2).isdigit(), (
            "fill the Time line in with `python code/scripts/notebooks.py times`")
        minutes, seconds = int(match.group(1)), int(match.group(2))
        words = script.count_words(nb)
        expected_minutes = words / script.WORDS_PER_MINUTE
        assert abs(minutes - expected_minutes) <= max(2, 0.2 * expected_minutes), (
            f"{minutes} minutes to read, but {words} words take {expected_minutes:.0f}"
        )
        benchmark = json.loads((ROOT / "results" / "benchmark.json").read_text())
        assert benchmark["cpu_cores"] == 2, "the times are for the 2-core CI machine"
        measured = benchmark["seconds"][f"chapters/{path.name}"]
        assert abs(seconds - measured) <= max(5, 0.15 * measured), (
            f"{seconds} seconds to run, but `make benchmark` measured {measured}"
        )

    def test_closes_with_what_to_read_next(self, path):
        nb = nbformat.read(path, as_version=4)
        headings = [line for c in nb.cells if c.cell_type == "markdown"
                    for line in c.source.splitlines() if line.startswith("## ")]
        assert "## What to read next" in headings

    def test_checks_are_collapsed_in_the_book_and_in_colab(self, path):
        """Outside the exercises' solutions, which show their checks openly."""
        nb = nbformat.read(path, as_version=4)
        solutions = _solution_cells(nb)
        for index, cell in enumerate(nb.cells):
            if (cell.cell_type == "code" and "bnbook.claim(" in cell.source
                    and index not in solutions):
                assert "hide-input" in cell.metadata.get("tags", []), f"cell {index}"
                assert cell.metadata.get("cellView") == "form", f"cell {index}"
                assert cell.source.startswith("# @title "), f"cell {index}: no Colab title"

    def test_long_code_cells_say_why(self, path):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            lines = cell.source.splitlines()
            if cell.cell_type == "code" and len(lines) > MAX_CELL_LINES:
                assert lines[0].startswith("#"), (
                    f"cell {index}: {len(lines)} lines, and no first comment saying why"
                )

    def test_text_is_about_the_subject_not_the_harness(self, path):
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        found = HARNESS.findall(text)
        assert not found, f"talk about the test harness (belongs on checking.md): {found}"


def test_printed_lines_fit_the_column():
    """At most ten outputs in the book print a line wider than the column."""
    wide = []
    for path in CHAPTERS:
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if any(key.startswith("image/") or key == "text/html" for key in data):
                    continue
                text = _output_text(output)
                if any(len(line) > COLUMN for line in text.splitlines()):
                    wide.append(f"{path.name} cell {index}")
    assert len(wide) <= 10, f"{len(wide)} outputs wider than {COLUMN} characters: {wide}"


def test_toc_and_chapters_agree():
    entries = _load_script("notebooks").toc_entries()
    listed = {ROOT / f"{entry}.ipynb" for entry in entries}
    unlisted = [p.name for p in CHAPTERS if p not in listed]
    assert not unlisted, f"chapters missing from _toc.yml: {unlisted}"
    missing = [
        e for e in entries if not any((ROOT / f"{e}{s}").exists() for s in (".ipynb", ".md"))
    ]
    assert not missing, f"_toc.yml entries with no file: {missing}"
    assert yaml.safe_load((ROOT / "_toc.yml").read_text())["format"] == "jb-book"
