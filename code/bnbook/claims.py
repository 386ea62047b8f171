"""Claims in the prose, checked by the code that backs them."""

from __future__ import annotations

from bnbook import scale


def claim(condition: object, statement: str) -> None:
    """Print ``statement`` as checked, or fail loudly when the data disagree.

    In a scaled run (``SCALE`` > 1) a claim that does not hold is reported
    instead of raised, so the run goes on; every claim is recorded when
    ``BNBOOK_RESULTS`` is set (see :mod:`bnbook.scale`).
    """
    if not isinstance(statement, str) or not statement:
        raise TypeError(f"statement must be a non-empty str, got {statement!r}")
    holds = bool(condition)
    scale.record("claim", statement=statement, holds=holds)
    if holds:
        print(f"checked: {statement}")
    elif scale.current() > 1:
        print(f"does not hold at scale {scale.current()}: {statement}")
    else:
        raise AssertionError(f"claim does not hold: {statement}")
