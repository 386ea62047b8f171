"""The exercise checkers' shared machinery: labels, verdicts, hints."""

from __future__ import annotations

import numpy as np
import pytest

import bnbook.exercises
from bnbook.exercises import registry
from bnbook.exercises.registry import Hint


def test_unknown_label_names_the_argument():
    with pytest.raises(ValueError, match="label must be the label of an exercise"):
        bnbook.exercises.check("ex-99-nothing", 1.0)


def test_unanswered_exercises_get_a_hint_not_an_error():
    with pytest.raises(Hint, match=r"replace the \.\.\."):
        registry.function(..., "f(x)")
    with pytest.raises(Hint, match=r"replace the \.\.\."):
        registry.number(None, "the loss")


def test_wrong_types_get_a_hint():
    with pytest.raises(Hint, match="expected a function"):
        registry.function(3, "f(x)")
    with pytest.raises(Hint, match="expected a number"):
        registry.number("0.5", "the loss")
    with pytest.raises(Hint, match=r"shape \(2,\), expected \(3,\)"):
        registry.array([1, 2], "dx", (3,))
    with pytest.raises(Hint, match="forget to return"):
        registry.array(None, "dx")


def test_an_exception_in_the_answer_becomes_a_hint():
    with pytest.raises(Hint, match="ZeroDivisionError"):
        registry.call(lambda: 1 / 0, what="your function")


def test_check_prints_a_mark_and_never_raises_on_a_wrong_answer(capsys):
    @registry.checker("ex-00-test")
    def _positive(answer: object) -> str:
        if registry.number(answer, "a positive number") <= 0:
            raise Hint("the number is not positive")
        return "positive"

    try:
        bnbook.exercises.check("ex-00-test", 2)
        bnbook.exercises.check("ex-00-test", -1)
        bnbook.exercises.check("ex-00-test", ...)
    finally:
        del registry._CHECKERS["ex-00-test"]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "✓ ex-00-test: positive"
    assert lines[1] == "✗ ex-00-test: the number is not positive"
    assert lines[2].startswith("✗ ex-00-test: replace the ...")


def test_relative_error():
    assert registry.relative_error(np.array([1.0]), np.array([1.0])) == 0
    assert registry.relative_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
