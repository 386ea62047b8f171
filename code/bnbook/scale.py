"""The scale a chapter runs at, and what a scaled run records.

Every chapter has a ``SCALE`` parameter: 1 is the book as stored and tested in
CI; a larger integer asks for more seeds, data, epochs or depth (each chapter
says which), as ``code/scripts/scale.py`` runs them with papermill. At a
larger scale:

- :func:`bnbook.fit_quiet` shows a progress bar per training run;
- a claim that fails is reported, not raised: whether the book's conclusions
  survive a larger experiment is itself a result;
- with the environment variable ``BNBOOK_RESULTS`` naming a file, each claim
  and the environment report are appended to it as JSON lines (at any scale).
"""

from __future__ import annotations

import json
import os

import numpy as np

RESULTS_VARIABLE = "BNBOOK_RESULTS"
_state = {"scale": 1}


def set_scale(scale: int) -> int:
    """Set the scale of this run (1 = book scale) and return it."""
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"scale must be a positive int (1 = book scale), got {scale!r}")
    _state["scale"] = int(scale)
    return _state["scale"]


def current() -> int:
    """The scale set by :func:`set_scale` (via ``bnbook.setup``); 1 by default."""
    return _state["scale"]


def show_progress() -> bool:
    """Progress bars only in scaled runs: never in the stored book-scale outputs."""
    return current() > 1


def record(kind: str, **fields: object) -> None:
    """Append one JSON line to the file named by ``BNBOOK_RESULTS``, if it is set."""
    path = os.environ.get(RESULTS_VARIABLE)
    if not path:
        return
    line = json.dumps({"kind": kind, "scale": current(), **fields}, default=str)
    with open(path, "a", encoding="utf-8") as file:
        file.write(line + "\n")
