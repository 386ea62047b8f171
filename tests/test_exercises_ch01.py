"""Chapter 1's checkers: the book's solutions pass, typical mistakes get their hint."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from solutions import reference

from bnbook.exercises import verdict


def _fails_with(label: str, answer: object, hint: str) -> None:
    passed, message = verdict(label, answer)
    assert not passed, f"{label} accepted a wrong answer"
    assert hint in message, message


def test_units_accepts_the_books_prediction():
    passed, message = verdict("ex-01-units", reference("ex-01-units", "prediction"))
    assert passed, message
    assert "0.011" in message


@pytest.mark.parametrize(("prediction", "hint"), [
    (0.0, "0 is the answer in exact arithmetic"),
    (1e-7, "relative precision (about 1e-7) applies to the stored value"),
    (1e-3, "too small"),
    (0.05, "too large (the largest difference"),
    (1.0, "only rounded to a coarse grid"),
    (-0.01, "cannot be negative"),
    (..., "replace the ..."),
    ("0.01", "expected a number"),
])
def test_units_hints(prediction, hint):
    _fails_with("ex-01-units", prediction, hint)


def test_leakage_accepts_the_books_function():
    passed, message = verdict("ex-01-leakage", reference("ex-01-leakage", "standardize"))
    assert passed, message


def test_leakage_accepts_the_keras_layer_itself():
    def with_keras(train, test):
        norm = keras.layers.Normalization()
        norm.adapt(train)
        return norm(train), norm(test)

    assert verdict("ex-01-leakage", with_keras)[0]


def _floored(sigma):
    return np.maximum(sigma, 1e-7)


def _the_colleagues(train, test):
    everything = np.concatenate([train, test])
    mu = everything.mean(axis=0)
    sigma = everything.std(axis=0, ddof=1)
    return (train - mu) / sigma, (test - mu) / sigma


def _own_statistics(train, test):
    def each(x):
        return (x - x.mean(axis=0)) / _floored(x.std(axis=0))
    return each(train), each(test)


def _unbiased(train, test):
    mu, sigma = train.mean(axis=0), _floored(train.std(axis=0, ddof=1))
    return (train - mu) / sigma, (test - mu) / sigma


def _unguarded(train, test):
    mu, sigma = train.mean(axis=0), train.std(axis=0)
    return (train - mu) / sigma, (test - mu) / sigma


def _one_for_all(train, test):
    mu, sigma = train.mean(), train.std()
    return (train - mu) / sigma, (test - mu) / sigma


def _in_place(train, test):
    mu, sigma = train.mean(axis=0), _floored(train.std(axis=0))
    train -= mu
    train /= sigma
    return train, (test - mu) / sigma


@pytest.mark.parametrize(("answer", "hint"), [
    (_the_colleagues, "the test split leaks into them"),
    (_own_statistics, "standardized with its own mean and std"),
    (_unbiased, "divides by n - 1 (ddof=1)"),
    (_unguarded, "has std 0 and gives NaN"),
    (_one_for_all, "one mean and one std for the whole table"),
    (_in_place, "changed the arrays passed to it"),
    (lambda train, test: _unguarded(train, test)[1], "must return two arrays"),
    (..., "replace the ..."),
])
def test_leakage_hints(answer, hint):
    with np.errstate(invalid="ignore", divide="ignore"):
        _fails_with("ex-01-leakage", answer, hint)


def test_robust_accepts_the_books_layer():
    layer = reference("ex-01-robust", "robust_normalization")
    passed, message = verdict("ex-01-robust", layer)
    assert passed, message


def _quartiles(train, axis=0):
    return np.percentile(train, [25, 50, 75], axis=axis)


def _iqr_as_variance(train):
    q1, median, q3 = _quartiles(train)
    return keras.layers.Normalization(mean=median, variance=q3 - q1)


def _adapted(train):
    layer = keras.layers.Normalization()
    layer.adapt(train)
    return layer


def _whole_table(train):
    q1, median, q3 = _quartiles(train, axis=None)
    return keras.layers.Normalization(mean=median, variance=(q3 - q1) ** 2)


def _a_function(train):
    q1, median, q3 = _quartiles(train)
    return lambda x: (x - median) / (q3 - q1)


@pytest.mark.parametrize(("answer", "hint"), [
    (_iqr_as_variance, "pass the IQR squared"),
    (_adapted, "this is the ordinary z-score"),
    (_whole_table, "one median and one IQR for the whole table"),
    (_a_function, "return a Keras layer"),
    (..., "replace the ..."),
])
def test_robust_hints(answer, hint):
    _fails_with("ex-01-robust", answer, hint)
