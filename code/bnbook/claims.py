"""Claims in the prose, checked by the code that backs them.

``claim(best_bn > best_plain + 0.03, "BN's best run beats the plain network's")``
prints ``✓ ...`` when the comparison holds. When it does not:

- in the reference environment (pinned versions, TensorFlow on a CPU,
  ``SCALE = 1``; see :mod:`bnbook.reference`) it raises, so the book never
  shows a claim its own numbers contradict;
- anywhere else (Colab, a GPU, other versions, a larger scale) it prints one
  ``does not hold here`` line with the measured values and the condition, and
  the notebook goes on.

The measured values are the operands of the comparisons in the condition,
read from the call's source (as pytest reads an ``assert``), or given as
keyword arguments. With ``BNBOOK_RESULTS`` set, every claim is recorded with
them (see :mod:`bnbook.scale`).
"""

from __future__ import annotations

import ast
import math
import sys
import textwrap
from numbers import Number

import numpy as np

from bnbook import reference, scale

_MAX_VALUES = 8
_SKIPPED = (ast.Lambda, ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)


def _as_bool(condition: object) -> bool:
    """The truth of a comparison; anything that is not one is a mistake."""
    if isinstance(condition, np.ndarray) and condition.shape == ():
        condition = condition[()]
    if isinstance(condition, (bool, np.bool_)):
        return bool(condition)
    raise TypeError(
        "condition must be a bool, the result of a comparison such as `a > b` or "
        f"`(x < 1).all()`; got {type(condition).__name__} {condition!r:.60}"
    )


def _rounded(value: float) -> float:
    return value if not math.isfinite(value) else float(f"{value:.4g}")


def summary(value: object) -> object:
    """A short, JSON-friendly form of a measured value."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, Number):
        return _rounded(float(value))
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return str(value)[:80]
    if array.size <= 6:
        return [_rounded(v) for v in array.ravel().tolist()]
    return {"min": _rounded(float(np.nanmin(array))), "max": _rounded(float(np.nanmax(array))),
            "n": int(array.size)}


def _operands(node: ast.AST) -> list[ast.expr]:
    """The operands of every comparison in ``node``, outside nested scopes."""
    found: list[ast.expr] = []

    def walk(current: ast.AST) -> None:
        if isinstance(current, _SKIPPED):
            return
        if isinstance(current, ast.Compare):
            found.extend([current.left, *current.comparators])
        for child in ast.iter_child_nodes(current):
            walk(child)

    walk(node)
    return found


def _is_constant(node: ast.expr) -> bool:
    return all(isinstance(n, (ast.Constant, ast.UnaryOp, ast.BinOp, ast.operator, ast.unaryop))
               for n in ast.walk(node))


def _from_source(frame) -> tuple[str | None, dict[str, object]]:
    """The condition's source text and the values of its comparisons' operands."""
    try:
        import executing

        call = executing.Source.executing(frame).node
    except Exception:  # no source to read (an exec string, a frozen module): no values
        return None, {}
    if not isinstance(call, ast.Call) or not call.args:
        return None, {}
    condition = call.args[0]
    if _is_constant(condition):
        return None, {}
    operands = [n for n in _operands(condition) if not _is_constant(n)] or [condition]
    values: dict[str, object] = {}
    for node in operands:
        text = ast.unparse(node)
        if text in values or len(values) == _MAX_VALUES:
            continue
        try:
            value = eval(compile(ast.Expression(node), "<claim>", "eval"),  # noqa: S307
                         frame.f_globals, frame.f_locals)
        except Exception:
            continue
        values[text] = summary(value)
    return ast.unparse(condition), values


def _strict() -> bool:
    return scale.current() == 1 and reference.is_reference()


def _described(values: dict[str, object], condition: str | None) -> str:
    parts = [f"{name} = {value}" for name, value in values.items()]
    if condition:
        parts.append(f"condition: {condition}")
    return f" ({'; '.join(parts)})" if parts else ""


def _shown(line: str) -> str:
    """``line`` wrapped to the book's 72-character column, later lines indented."""
    return textwrap.fill(line, width=72, subsequent_indent="  ", break_on_hyphens=False)


def claim(condition: object, statement: str, **measured: object) -> None:
    """Print ``statement`` as checked, or say (or, in the reference run, raise)
    that the data disagree, with the measured values."""
    if not isinstance(statement, str) or not statement:
        raise TypeError(f"statement must be a non-empty str, got {statement!r}")
    holds = _as_bool(condition)
    if measured:
        source, values = None, {name: summary(value) for name, value in measured.items()}
    else:
        source, values = _from_source(sys._getframe(1))
    scale.record("claim", statement=statement, holds=holds, condition=source, values=values)
    if holds:
        print(_shown(f"✓ {statement}"))
        return
    detail = _described(values, source)
    if _strict():
        raise AssertionError(f"claim does not hold: {statement}{detail}")
    where = f" (scale {scale.current()})" if scale.current() > 1 else ""
    print(_shown(f"✗ does not hold here{where}: {statement}{detail}"))
