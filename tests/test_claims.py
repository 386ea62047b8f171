"""bnbook.claims.claim: prose claims checked against the data, with their numbers."""

from __future__ import annotations

import json
import linecache

import numpy as np
import pytest

from bnbook import claim, claims, reference, scale


@pytest.fixture(autouse=True)
def book_scale(monkeypatch):
    """The reference environment at book scale, unless a test says otherwise."""
    monkeypatch.delenv(scale.RESULTS_VARIABLE, raising=False)
    monkeypatch.setattr(reference, "is_reference", lambda: True)
    yield
    scale.set_scale(1)


def run_cell(source: str, namespace: dict) -> None:
    """Run ``source`` as a notebook cell runs: compiled from a file linecache knows."""
    name = f"<cell-{abs(hash(source))}>"
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    exec(compile(source, name, "exec"), namespace)  # noqa: S102


@pytest.mark.parametrize("condition", [True, np.bool_(True), np.array(True)])
def test_true_claim_is_printed_as_checked(capsys, condition):
    assert claim(condition, "the loss goes down") is None
    assert capsys.readouterr().out == "✓ the loss goes down\n"


@pytest.mark.parametrize("condition", [False, np.bool_(False), np.array(False)])
def test_false_claim_raises_in_the_reference_environment(capsys, condition):
    with pytest.raises(AssertionError, match=r"^claim does not hold: BN speeds up training"):
        claim(condition, "BN speeds up training")
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("condition", [[False], [True], "False", "x", 1, 0, 0.5, float("nan"),
                                       None, np.array([True, False]), np.float64(1.0)])
def test_condition_must_be_a_bool(condition):
    """A list, a string or NaN is not a comparison: no silent 'holds'."""
    with pytest.raises(TypeError, match=r"^condition must be a bool"):
        claim(condition, "the loss goes down")


def test_a_comparison_with_nan_does_not_hold():
    with pytest.raises(AssertionError):
        claim(float("nan") > 0.5, "the accuracy is above 0.5")


def test_claim_checks_a_real_comparison(capsys):
    losses = np.array([1.0, 0.6, 0.4])
    claim(np.all(np.diff(losses) < 0), "the loss falls every epoch")
    with pytest.raises(AssertionError, match="the loss rises"):
        claim(np.any(np.diff(losses) > 0), "the loss rises")
    assert capsys.readouterr().out == "✓ the loss falls every epoch\n"


@pytest.mark.parametrize("statement", ["", None, 3, b"bytes", ["a"]])
def test_statement_must_be_a_non_empty_str(statement):
    with pytest.raises(TypeError, match=r"^statement must be a non-empty str"):
        claim(True, statement)


def test_bad_statement_is_reported_before_the_condition():
    """A false claim with a bad statement is a TypeError, not an AssertionError."""
    with pytest.raises(TypeError, match="statement"):
        claim(False, "")


def test_measured_values_come_from_the_condition_source(capsys, monkeypatch):
    monkeypatch.setattr(reference, "is_reference", lambda: False)
    namespace = {"claim": claim, "np": np, "best": {"BN": 0.91, "plain": 0.9}}
    run_cell('claim(best["BN"] > best["plain"] + 0.03, "BN wins by 0.03")\n', namespace)
    out = capsys.readouterr().out
    assert all(len(line) <= 72 for line in out.splitlines()), out  # the book's column
    assert " ".join(out.split()) + "\n" == (
        "✗ does not hold here: BN wins by 0.03 (best['BN'] = 0.91; "
        "best['plain'] + 0.03 = 0.93; condition: best['BN'] > best['plain'] + 0.03)\n")


def test_the_reference_run_raises_with_the_measured_values():
    namespace = {"claim": claim, "gap": np.array([0.001, 0.0123456])}
    with pytest.raises(AssertionError, match=r"gap.max\(\) = 0.01235; condition: gap.max\(\) "
                                             r"<= 0.005\)$"):
        run_cell('claim(gap.max() <= 0.005, "the gap is tiny")\n', namespace)


def test_operands_of_every_comparison_are_measured(tmp_path, monkeypatch):
    path = tmp_path / "records.jsonl"
    monkeypatch.setenv(scale.RESULTS_VARIABLE, str(path))
    namespace = {"claim": claim, "np": np, "a": 2.0, "b": np.arange(10.0), "rates": [1, 2]}
    run_cell("claim(bool(a < 3 and (b >= 0).all() and all(r > 0 for r in rates)), 'ok')\n",
             namespace)
    record = json.loads(path.read_text())
    assert record["holds"] is True
    assert record["condition"] == "bool(a < 3 and (b >= 0).all() and all((r > 0 for r in rates)))"
    # Constants are left out; a comparison inside a generator is not evaluated.
    assert record["values"] == {"a": 2.0, "b": {"min": 0.0, "max": 9.0, "n": 10}}


def test_a_condition_without_comparison_is_measured_whole(tmp_path, monkeypatch):
    path = tmp_path / "records.jsonl"
    monkeypatch.setenv(scale.RESULTS_VARIABLE, str(path))
    monkeypatch.setattr(reference, "is_reference", lambda: False)
    run_cell("claim(np.isfinite(x).all(), 'finite')\n", {"claim": claim, "np": np,
                                                          "x": np.array([1.0, np.nan])})
    assert json.loads(path.read_text())["values"] == {"np.isfinite(x).all()": False}


def test_explicit_values_replace_the_derived_ones(capsys, monkeypatch):
    monkeypatch.setattr(reference, "is_reference", lambda: False)
    claim(np.bool_(False), "BN helps", bn=0.912345, plain=np.float32(0.95))
    assert capsys.readouterr().out == "✗ does not hold here: BN helps (bn = 0.9123; plain = 0.95)\n"


def test_without_source_no_values_are_derived(capsys, monkeypatch):
    monkeypatch.setattr(reference, "is_reference", lambda: False)
    exec("claim(1 > 2, 'no source')", {"claim": claim})  # noqa: S102 -- no linecache entry
    assert capsys.readouterr().out == "✗ does not hold here: no source\n"


def test_outside_the_reference_a_false_claim_is_reported(capsys, monkeypatch):
    monkeypatch.setattr(reference, "is_reference", lambda: False)
    claim(False, "BN helps", value=0.5)
    claim(True, "BN trains")
    assert capsys.readouterr().out == ("✗ does not hold here: BN helps (value = 0.5)\n"
                                       "✓ BN trains\n")


def test_at_larger_scale_a_false_claim_is_reported_even_in_the_reference(capsys):
    scale.set_scale(3)
    claim(False, "BN helps")
    assert capsys.readouterr().out == "✗ does not hold here (scale 3): BN helps\n"


@pytest.mark.parametrize(("value", "expected"), [
    (True, True), (np.int64(3), 3), (0.123456, 0.1235), (np.float32(2.5), 2.5),
    (float("nan"), None), ([1.0, 2.0], [1.0, 2.0]), (np.arange(7.0), {"min": 0.0, "max": 6.0,
                                                                      "n": 7}),
    ("text", "text"),
])
def test_summary(value, expected):
    got = claims.summary(value)
    if expected is None:
        assert np.isnan(got)
    else:
        assert got == expected
