"""bnbook.claims.claim: prose claims checked against the data."""

from __future__ import annotations

import numpy as np
import pytest

from bnbook import claim


@pytest.mark.parametrize("condition", [True, 1, np.bool_(True), [0], "x", 0.5])
def test_true_claim_is_printed_as_checked(capsys, condition):
    result = claim(condition, "the loss goes down")
    assert result is None
    assert capsys.readouterr().out == "checked: the loss goes down\n"


@pytest.mark.parametrize("condition", [False, 0, np.bool_(False), [], "", 0.0, None])
def test_false_claim_raises_and_prints_nothing(capsys, condition):
    with pytest.raises(AssertionError, match=r"^claim does not hold: BN speeds up training$"):
        claim(condition, "BN speeds up training")
    assert capsys.readouterr().out == ""


def test_claim_checks_a_real_comparison(capsys):
    losses = np.array([1.0, 0.6, 0.4])
    claim(np.all(np.diff(losses) < 0), "the loss falls every epoch")
    with pytest.raises(AssertionError, match="the loss rises"):
        claim(np.any(np.diff(losses) > 0), "the loss rises")
    assert capsys.readouterr().out == "checked: the loss falls every epoch\n"


@pytest.mark.parametrize("statement", ["", None, 3, b"bytes", ["a"]])
def test_statement_must_be_a_non_empty_str(statement):
    with pytest.raises(TypeError, match=r"^statement must be a non-empty str"):
        claim(True, statement)


def test_bad_statement_is_reported_before_the_condition():
    """A false claim with a bad statement is a TypeError, not an AssertionError."""
    with pytest.raises(TypeError, match="statement"):
        claim(False, "")
