"""Claims in the prose, checked by the code that backs them."""

from __future__ import annotations


def claim(condition: object, statement: str) -> None:
    """Print ``statement`` as checked, or fail loudly when the data disagree."""
    if not isinstance(statement, str) or not statement:
        raise TypeError(f"statement must be a non-empty str, got {statement!r}")
    if not bool(condition):
        raise AssertionError(f"claim does not hold: {statement}")
    print(f"checked: {statement}")
