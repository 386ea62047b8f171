"""The book's own solutions to its exercises, as the checker tests run them.

A chapter's solution to an implement, derive or debug exercise opens with a
self-contained code cell: it defines the answer and calls the checker. The
tests execute that cell here, outside the chapter, so the answer the book
shows is the answer the checker's tests accept.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def solution_code(label: str) -> list[str]:
    """The code cells of exercise ``label``'s solution, in order."""
    for path in CHAPTERS:
        nb = nbformat.read(path, as_version=4)
        inside, found = False, []
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                if re.search(rf"```\{{solution-start\}} {re.escape(label)}\n", cell.source):
                    inside = True
                elif inside and "{solution-end}" in cell.source:
                    return found
            elif inside:
                found.append(cell.source)
    raise LookupError(f"no solution of exercise {label} in {ROOT / 'chapters'}")


def reference(label: str, name: str) -> object:
    """``name`` as the first code cell of exercise ``label``'s solution defines it."""
    import keras
    import numpy as np

    import bnbook

    namespace = {"np": np, "keras": keras, "bnbook": bnbook}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(solution_code(label)[0], f"<solution of {label}>", "exec"), namespace)
    return namespace[name]
