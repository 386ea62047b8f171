"""Checkers for the book's exercises: your answer runs on hidden cases.

    bnbook.exercises.check("ex-03-backward", my_backward)

prints ``✓`` and what was checked when the answer passes every hidden case,
or ``✗`` and a hint aimed at the mistake the answer looks like. A wrong
answer never raises, so "Run all" goes on past an unfinished exercise.
"""

from bnbook.exercises import (  # noqa: F401  (each module registers its checkers)
    ch01,
    ch02,
    ch03,
    ch04,
    ch05,
    ch06,
    ch07,
    ch08,
)
from bnbook.exercises.registry import check, labels, verdict

__all__ = ["check", "labels", "verdict"]
