"""The exercises' checkers by label, and the helpers they share.

A checker takes the learner's answer and returns what it checked, or raises
:class:`Hint` with what to look at. :func:`verdict` runs one and never lets a
wrong answer's exception escape; :func:`check` prints the verdict.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from numbers import Real

import numpy as np

Checker = Callable[[object], str]
_CHECKERS: dict[str, Checker] = {}


class Hint(Exception):
    """A wrong answer, and what to look at."""


def checker(label: str) -> Callable[[Checker], Checker]:
    """Register the decorated function as the checker of exercise ``label``."""
    def register(function: Checker) -> Checker:
        if label in _CHECKERS:
            raise ValueError(f"exercise {label!r} already has a checker")
        _CHECKERS[label] = function
        return function
    return register


def labels() -> list[str]:
    """The labels of the exercises that have a checker, sorted."""
    return sorted(_CHECKERS)


def verdict(label: str, answer: object) -> tuple[bool, str]:
    """Whether ``answer`` passes exercise ``label``, and what to say about it."""
    if not isinstance(label, str) or label not in _CHECKERS:
        raise ValueError(
            f"label must be the label of an exercise with a checker, one of "
            f"{', '.join(labels())}; got {label!r}")
    try:
        return True, _CHECKERS[label](answer)
    except Hint as hint:
        return False, str(hint)


def check(label: str, answer: object) -> None:
    """Run ``answer`` on the hidden cases of exercise ``label``; print the verdict."""
    passed, message = verdict(label, answer)
    mark = "✓" if passed else "✗"
    print(textwrap.fill(f"{mark} {label}: {message}", width=72, subsequent_indent="  ",
                        break_on_hyphens=False))


def _unanswered(answer: object) -> bool:
    return answer is None or answer is Ellipsis


def function(answer: object, signature: str) -> Callable:
    """``answer`` as a function, or a hint that a function was expected."""
    if _unanswered(answer):
        raise Hint(f"replace the ... with your function {signature}")
    if not callable(answer):
        raise Hint(f"expected a function {signature}, got {type(answer).__name__}")
    return answer


def number(answer: object, what: str) -> float:
    """``answer`` as a float, or a hint that a number was expected."""
    if _unanswered(answer):
        raise Hint(f"replace the ... with your prediction of {what}")
    if isinstance(answer, bool) or not isinstance(answer, (Real, np.number)):
        raise Hint(f"expected a number for {what}, got {type(answer).__name__}")
    return float(answer)


def call(function: Callable, *args: object, what: str, **kwargs: object) -> object:
    """``function(*args, **kwargs)``; an exception it raises becomes a hint."""
    try:
        return function(*args, **kwargs)
    except Exception as error:  # the learner's code failed: say how, briefly
        message = f"{type(error).__name__}: {error}"
        raise Hint(f"calling {what} raised {textwrap.shorten(message, 160)}") from error


def array(value: object, what: str, shape: tuple[int, ...] | None = None,
          meaning: str = "", finite: bool = True) -> np.ndarray:
    """``value`` as a float64 array of ``shape``, or a hint about what it was.

    ``meaning`` ends the hint for a wrong shape (what one entry stands for);
    ``finite=False`` lets NaN and infinity through, for the caller to judge.
    """
    if value is None:
        raise Hint(f"{what} is None: did the function forget to return it?")
    try:
        result = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        try:
            import keras

            result = np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)
        except Exception as error:
            raise Hint(f"{what} is not an array of numbers "
                       f"({type(value).__name__})") from error
    if shape is not None and result.shape != tuple(shape):
        raise Hint(f"{what} has shape {result.shape}, expected {tuple(shape)}"
                   + (f": {meaning}" if meaning else ""))
    if finite and not np.isfinite(result).all():
        raise Hint(f"{what} contains NaN or infinity")
    return result


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """CS231n's relative error: max |a - e| / max(|a| + |e|, 1e-8), elementwise."""
    return float(np.max(np.abs(actual - expected)
                        / np.maximum(np.abs(actual) + np.abs(expected), 1e-8)))
