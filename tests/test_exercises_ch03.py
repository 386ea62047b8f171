"""Chapter 3's exercise checkers: the book's solutions pass, slips get their hint."""

from __future__ import annotations

import numpy as np
import pytest
from solutions import reference

from bnbook.exercises import verdict


def _hint(label: str, answer: object) -> str:
    passed, message = verdict(label, answer)
    assert not passed, f"{label} accepted a wrong answer: {message}"
    return message


@pytest.mark.parametrize(("label", "name"), [
    ("ex-03-batch-of-one", "prediction"),
    ("ex-03-invariance", "gradient_sums"),
    ("ex-03-backward", "backward"),
    ("ex-03-how-many-steps", "steps_needed"),
])
def test_the_books_solution_passes(label, name):
    passed, message = verdict(label, reference(label, name))
    assert passed, message


@pytest.mark.parametrize("label", ["ex-03-batch-of-one", "ex-03-invariance",
                                   "ex-03-backward", "ex-03-how-many-steps"])
def test_an_unanswered_exercise_says_what_to_replace(label):
    assert "replace the ..." in _hint(label, ...)


# ex-03-batch-of-one ----------------------------------------------------

@pytest.mark.parametrize(("prediction", "hint"), [
    (0.99, "after ONE call"),
    (1.0, "the layer does update it"),
    (0.0, "1 % of the REMAINING way"),
    (1 - 0.99**100, "share of the initial value that is gone"),
    (-0.1, "never negative"),
    (0.6, "apply the moving-variance update 100 times"),
])
def test_batch_of_one_hints(prediction, hint):
    assert hint in _hint("ex-03-batch-of-one", prediction)


def test_batch_of_one_accepts_a_close_prediction_and_rejects_text():
    assert verdict("ex-03-batch-of-one", 0.37)[0]
    assert "expected a number" in _hint("ex-03-batch-of-one", "0.366")


# ex-03-invariance --------------------------------------------------------

def _sums(*, factor=lambda var, eps, gamma, s: gamma / s * eps / (var + eps), first=0.0):
    """A learner's gradient_sums, with the second sum's factor replaceable."""
    def gradient_sums(dy, x, gamma, epsilon):
        variance = x.var(axis=0)
        s = np.sqrt(variance + epsilon)
        x_hat = (x - x.mean(axis=0)) / s
        second = factor(variance, epsilon, gamma, s) * (dy * x_hat).sum(axis=0)
        return np.full(x.shape[1], first), second
    return gradient_sums


@pytest.mark.parametrize(("answer", "hint"), [
    (_sums(factor=lambda var, eps, gamma, s: 0 * var), "holds only without epsilon"),
    (_sums(factor=lambda var, eps, gamma, s: gamma / s * eps / var),
     "epsilon / var instead of epsilon / (var + epsilon)"),
    (_sums(factor=lambda var, eps, gamma, s: eps / (s * (var + eps))), "gamma is missing"),
    (_sums(factor=lambda var, eps, gamma, s: gamma * eps / (var + eps)),
     "1 / sqrt(var + epsilon) is missing"),
    (_sums(first=0.5), "sum_dx should be zero"),
])
def test_invariance_hints(answer, hint):
    assert hint in _hint("ex-03-invariance", answer)


def test_invariance_wants_a_pair():
    assert "must return a pair" in _hint("ex-03-invariance", lambda dy, x, g, e: x.sum(0))


# ex-03-backward ----------------------------------------------------------

def _backward(dy, x, gamma, epsilon, *, ddof=0):
    m = x.shape[0]
    s = np.sqrt(x.var(axis=0, ddof=ddof) + epsilon)
    x_hat = (x - x.mean(axis=0)) / s
    dbeta, dgamma = dy.sum(axis=0), (dy * x_hat).sum(axis=0)
    return gamma / (m * s) * (m * dy - dbeta - x_hat * dgamma), dgamma, dbeta


def _direct_path_only(dy, x, gamma, epsilon):
    _, dgamma, dbeta = _backward(dy, x, gamma, epsilon)
    return gamma / np.sqrt(x.var(axis=0) + epsilon) * dy, dgamma, dbeta


def _no_variance_path(dy, x, gamma, epsilon):
    _, dgamma, dbeta = _backward(dy, x, gamma, epsilon)
    return gamma / np.sqrt(x.var(axis=0) + epsilon) * (dy - dy.mean(axis=0)), dgamma, dbeta


def _averaged_dgamma(dy, x, gamma, epsilon):
    dx, dgamma, dbeta = _backward(dy, x, gamma, epsilon)
    return dx, dgamma / x.shape[0], dbeta


def _averaged_dbeta(dy, x, gamma, epsilon):
    dx, dgamma, _ = _backward(dy, x, gamma, epsilon)
    return dx, dgamma, dy.mean(axis=0)


def _no_epsilon(dy, x, gamma, epsilon):
    return _backward(dy, x, gamma, 0.0)


def _no_epsilon_in_dx(dy, x, gamma, epsilon):
    return _backward(dy, x, gamma, 0.0)[0], *_backward(dy, x, gamma, epsilon)[1:]


def _unbiased(dy, x, gamma, epsilon):
    return _backward(dy, x, gamma, epsilon, ddof=1)


def _dx_times_m(dy, x, gamma, epsilon):
    dx, dgamma, dbeta = _backward(dy, x, gamma, epsilon)
    return dx * x.shape[0], dgamma, dbeta


@pytest.mark.parametrize(("answer", "hint"), [
    (_direct_path_only, "rows of dx should sum to zero over the batch"),
    (_no_variance_path, "so the mean term is right; check the term along x_hat"),
    (_averaged_dgamma, "dgamma is off by a factor of the batch size"),
    (_averaged_dbeta, "dbeta is off by a factor of the batch size"),
    (_no_epsilon, "dgamma is right up to epsilon"),
    (_no_epsilon_in_dx, "keep it inside the square root"),
    (_unbiased, "unbiased variance (ddof=1)"),
    (_dx_times_m, "dx is off by a factor of the batch size m"),
])
def test_backward_hints(answer, hint):
    assert hint in _hint("ex-03-backward", answer)


def test_backward_names_the_shape_and_the_return_value():
    def per_sample(dy, x, gamma, epsilon):
        dx, _, dbeta = _backward(dy, x, gamma, epsilon)
        return dx, (dy * x).sum(axis=1), dbeta

    assert "one value per feature" in _hint("ex-03-backward", per_sample)
    assert "three arrays" in _hint("ex-03-backward", lambda dy, x, g, e: dy)
    assert "raised ZeroDivisionError" in _hint("ex-03-backward", lambda dy, x, g, e: 1 / 0)


def test_backward_asks_for_float64():
    def in_float32(dy, x, gamma, epsilon):
        return _backward(dy.astype("float32"), x.astype("float32"),
                         gamma.astype("float32"), np.float32(epsilon))

    assert "compute in float64" in _hint("ex-03-backward", in_float32)


# ex-03-how-many-steps ----------------------------------------------------

def _steps(v, rho, tol, *, gap=lambda v: abs(1 - v), target=lambda v, tol: tol * v,
           base=lambda rho: rho, rounding=np.ceil, clip=True):
    """A learner's closed form, with one of the usual slips."""
    if clip and abs(1 - v) <= tol * v:
        return 0
    with np.errstate(all="ignore"):
        n = rounding(np.log(target(v, tol) / gap(v)) / np.log(base(rho)))
    return int(max(n, 0)) if clip else int(n)


@pytest.mark.parametrize(("answer", "hint"), [
    (lambda v, r, t: _steps(v, r, t, rounding=np.floor), "off by one"),
    (lambda v, r, t: _steps(v, r, t) + 1, "off by one"),
    (lambda v, r, t: _steps(v, r, t, gap=lambda v: 1.0), "not rho**n: the estimate starts"),
    (lambda v, r, t: _steps(v, r, t, target=lambda v, tol: tol), "is relative"),
    (lambda v, r, t: _steps(v, r, t, base=lambda rho: 1 - rho), "weights the OLD value"),
    (lambda v, r, t: 0 if v == 1 else _steps(v, r, t, clip=False), "never negative"),
])
def test_how_many_steps_hints(answer, hint):
    assert hint in _hint("ex-03-how-many-steps", answer)


def test_how_many_steps_wants_whole_numbers():
    assert "not a whole number" in _hint(
        "ex-03-how-many-steps", lambda v, r, t: _steps(v, r, t) + 0.5)
    assert verdict("ex-03-how-many-steps", lambda v, r, t: float(_steps(v, r, t)))[0]


def test_how_many_steps_names_the_failing_case():
    def unguarded(v, rho, tol):
        return int(np.ceil(np.log(tol * v / abs(1 - v)) / np.log(rho)))

    assert "steps_needed(1.0, 0.9, 0.1) raised ZeroDivisionError" in _hint(
        "ex-03-how-many-steps", unguarded)
