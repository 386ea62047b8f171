"""Chapter 5's checkers: the book's solutions pass, typical mistakes get their hint."""

from __future__ import annotations

import math

import numpy as np
import pytest
from solutions import reference

from bnbook.exercises import verdict


def _hint(label: str, answer: object) -> str:
    passed, message = verdict(label, answer)
    assert not passed, f"{label} accepted a wrong answer: {message}"
    return message


# ex-05-initial-loss

def test_initial_loss_reference_passes():
    passed, message = verdict("ex-05-initial-loss",
                              reference("ex-05-initial-loss", "prediction"))
    assert passed, message
    assert "expected initial loss is 2.6" in message


@pytest.mark.parametrize(("prediction", "hint"), [
    (math.log(10), "loss of ten equal logits"),
    (2.0, "below ln 10"),
    (math.log(10) + 0.9 * 32 * 2 / 42 / 2, "forgetting the ReLU"),
    (3.5, "too large"),
    (2.40, "too small"),
    (..., "replace the ..."),
    ("2.6", "expected a number"),
])
def test_initial_loss_hints(prediction, hint):
    assert hint in _hint("ex-05-initial-loss", prediction)


# ex-05-scale

def test_scale_reference_passes():
    passed, message = verdict("ex-05-scale", reference("ex-05-scale", "step_from_scaled"))
    assert passed, message


@pytest.mark.parametrize(("step", "hint"), [
    (lambda w, g, lr, c: c * w - lr * c * g, "grows with c"),
    (lambda w, g, lr, c: c * w - lr * g, "gradient at W for the step from cW"),
    (lambda w, g, lr, c: c * w - lr * g / c**2, "1/c^2 is too much"),
    (lambda w, g, lr, c: w - lr * g / c, "start from the scaled kernel"),
    (lambda w, g, lr, c: c * w + lr * g / c, "not the kernel after one SGD step"),
    (lambda w, g, lr, c: (c * w)[:1], "has shape"),
    (lambda w, g, lr, c: 1 / 0, "ZeroDivisionError"),
    (..., "replace the ..."),
])
def test_scale_hints(step, hint):
    assert hint in _hint("ex-05-scale", step)


# ex-05-beta

def _ratios(gradient, w, steps, sign=1.0):
    g = gradient(w)
    return [np.linalg.norm(gradient(w - sign * eta * g) - g) / np.linalg.norm(eta * g)
            for eta in steps]


def test_beta_reference_passes():
    passed, message = verdict("ex-05-beta", reference("ex-05-beta", "effective_beta"))
    assert passed, message


def _per_eta(gradient, w, steps):
    g = gradient(w)
    return max(np.linalg.norm(gradient(w - eta * g) - g) / eta for eta in steps)


def _change(gradient, w, steps):
    g = gradient(w)
    return max(np.linalg.norm(gradient(w - eta * g) - g) for eta in steps)


@pytest.mark.parametrize(("beta", "hint"), [
    (_per_eta, "not by the step size eta alone"),
    (_change, "gradient predictiveness"),
    (lambda gradient, w, steps: np.mean(_ratios(gradient, w, steps)), "not their mean"),
    (lambda gradient, w, steps: _ratios(gradient, w, steps)[-1], "not the ratio at the last"),
    (lambda gradient, w, steps: max(_ratios(gradient, w, steps, -1.0)), "your steps go uphill"),
    (lambda gradient, w, steps: _ratios(gradient, w, steps), "return one number"),
    (lambda gradient, w, steps: None, "forget to return"),
    (..., "replace the ..."),
])
def test_beta_hints(beta, hint):
    assert hint in _hint("ex-05-beta", beta)
