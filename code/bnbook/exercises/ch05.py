"""Checkers of chapter 5's exercises."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bnbook.exercises.registry import Hint, array, call, checker, function, number

# ex-05-initial-loss: predict the BN network's loss at initialization.

_CLASSES, _UNITS = 10, 32  # the head: Dense(10) on 32 units
_TOLERANCE = 0.1


def _initial_loss() -> tuple[float, float, float]:
    """Expected initial loss of the head, its spread over draws, the logits' std.

    Unit-normal inputs (what batch normalization gives with gamma 1, beta 0),
    a ReLU, then a Glorot-uniform kernel of shape (32, 10) and a zero bias;
    labels independent of the logits, as they are at initialization.
    """
    rng = np.random.default_rng(505)
    draws, batch = 200, 256
    limit = np.sqrt(6 / (_UNITS + _CLASSES))
    kernels = rng.uniform(-limit, limit, (draws, _UNITS, _CLASSES))
    inputs = np.maximum(rng.standard_normal((draws, batch, _UNITS)), 0)
    logits = np.einsum("dbi,dic->dbc", inputs, kernels)
    labels = rng.integers(_CLASSES, size=(draws, batch))
    top = logits.max(axis=-1, keepdims=True)
    log_sum = top[..., 0] + np.log(np.exp(logits - top).sum(axis=-1))
    picked = np.take_along_axis(logits, labels[..., None], axis=-1)[..., 0]
    losses = (log_sum - picked).mean(axis=1)  # one per kernel draw
    return float(losses.mean()), float(losses.std()), float(logits.std())


@checker("ex-05-initial-loss")
def _initial_loss_checker(answer: object) -> str:
    prediction = number(answer, "the BN network's initial loss")
    truth, spread, std = _initial_loss()
    chance = np.log(_CLASSES)
    value = (f"the expected initial loss is {truth:.2f} (one draw of the "
             f"kernel varies by about {spread:.2f}); the logits' std is "
             f"about {std:.2f}")
    if abs(prediction - truth) <= _TOLERANCE:
        return f"{value}; your {prediction:.3g} is within {_TOLERANCE}"
    if abs(prediction - chance) < 0.05:
        raise Hint(
            f"ln 10 = {chance:.3f} is the loss of ten equal logits, which is "
            "where the plain network starts (its logits are tiny). The BN "
            "network's head sees unit-variance inputs, so its logits spread: "
            "how large is their variance, and what does a spread cost on "
            "average? Expand log-sum-exp to second order around equal logits")
    if prediction < chance:
        raise Hint(
            f"below ln 10 = {chance:.3f}: with labels independent of the "
            "logits, no network beats ten equal logits on average; random "
            "logits only cost more (the log-sum-exp is convex)")
    second_moment_one = chance + (1 - 1 / _CLASSES) * (
        _UNITS * 1.0 * 2 / (_UNITS + _CLASSES)) / 2
    if abs(prediction - second_moment_one) < 0.1:
        raise Hint(
            "too large, by about what forgetting the ReLU gives: a ReLU of a "
            "unit normal has second moment E[relu(z)^2] = 1/2, not 1, so the "
            "logits' variance is 32 * 1/2 * Var(w)")
    if prediction > truth:
        raise Hint(
            "too large: the logits' variance is 32 * E[relu(z)^2] * Var(w), "
            "with Var(w) = limit^2 / 3 of a Glorot-uniform kernel, "
            "2 / (fan_in + fan_out); for a small variance s^2 the expected "
            "loss is about ln 10 + (1 - 1/10) s^2 / 2")
    raise Hint(
        "too small: above ln 10, but the logits spread more than that. "
        "Their variance is 32 * E[relu(z)^2] * Var(w) (with "
        "E[relu(z)^2] = 1/2 and Var(w) = 2 / (fan_in + fan_out)); the "
        "expected loss is about ln 10 + (1 - 1/10) s^2 / 2")


# ex-05-scale: one SGD step from a scaled kernel, of a scale-invariant loss.

def _scale_invariant(seed: int, shape: tuple[int, ...]):
    """A loss L(W) = f(W / ||W||) with f quadratic, and its gradient."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    half = rng.standard_normal((size, size))
    curvature, pull = half @ half.T / size, rng.standard_normal(size)

    def gradient(w: np.ndarray) -> np.ndarray:
        flat = w.ravel()
        norm = np.linalg.norm(flat)
        u = flat / norm
        outer = curvature @ u + pull  # gradient of f at u
        return ((outer - u * (u @ outer)) / norm).reshape(shape)

    return gradient


_SCALE_CASES = (  # seed, shape, learning rate, c
    (51, (4, 3), 0.1, 10.0),
    (52, (6,), 0.5, 0.3),
    (53, (3, 2, 2), 0.02, 2.5),
)


@checker("ex-05-scale")
def _scale(answer: object) -> str:
    step = function(answer, "step_from_scaled(kernel, gradient, learning_rate, c)")
    for seed, shape, rate, c in _SCALE_CASES:
        rng = np.random.default_rng(seed + 100)
        kernel = rng.standard_normal(shape)
        gradient_of = _scale_invariant(seed, shape)
        g = gradient_of(kernel)
        result = array(call(step, kernel.copy(), g.copy(), rate, c,
                            what="step_from_scaled"),
                       "the new kernel", shape)
        truth = c * kernel - rate * gradient_of(c * kernel)
        if np.allclose(result, truth, rtol=1e-6, atol=1e-9):
            continue
        where = f"(c = {c}, learning rate {rate})"
        wrong = {
            "grown": c * kernel - rate * c * g,
            "same": c * kernel - rate * g,
            "effective": c * kernel - rate * g / c**2,
            "start": kernel - rate * g / c,
        }
        if np.allclose(result, wrong["grown"]):
            raise Hint(
                f"your step grows with c {where}. Differentiate L(cW) = L(W) "
                "with respect to W: the chain rule gives c * grad L(cW) = "
                "grad L(W), so the gradient at cW is grad L(W) / c, smaller")
        if np.allclose(result, wrong["same"]):
            raise Hint(
                f"you used the gradient at W for the step from cW {where}; "
                "the loss is the same at W and cW, but its gradient is not")
        if np.allclose(result, wrong["effective"]):
            raise Hint(
                f"1/c^2 is too much {where}: the gradient at cW is grad L(W) "
                "/ c. The 1/c^2 appears only relative to the kernel's size: "
                "the step from cW, divided by c, is a step from W with "
                "learning rate eta / c^2")
        if np.allclose(result, wrong["start"]):
            raise Hint(
                f"the step must start from the scaled kernel cW {where}, "
                "not from W")
        raise Hint(
            f"not the kernel after one SGD step from cW {where}: it should "
            "be cW - learning_rate * grad L(cW), written with the gradient "
            "at W that the function receives")
    return (f"the step from cW matches SGD on {len(_SCALE_CASES)} hidden "
            "scale-invariant losses (c from 0.3 to 10)")


# ex-05-beta: the effective beta-smoothness along the negative gradient.

def _quadratic(seed: int, size: int) -> tuple[Callable, np.ndarray]:
    """The gradient of 0.5 w'Aw + b'w (A positive definite) and a start."""
    rng = np.random.default_rng(seed)
    half = rng.standard_normal((size, size))
    curvature, pull = half @ half.T / size + 0.1 * np.eye(size), rng.standard_normal(size)
    return (lambda w: curvature @ w + pull), rng.standard_normal(size)


def _softplus(seed: int, size: int) -> tuple[Callable, np.ndarray]:
    """The gradient of sum(softplus(Xw)) + 0.5 ||w||^2 and a start; not quadratic."""
    rng = np.random.default_rng(seed)
    rows = rng.standard_normal((3 * size, size))

    def gradient(w: np.ndarray) -> np.ndarray:
        return rows.T @ (1 / (1 + np.exp(-(rows @ w)))) + w

    return gradient, 2 * rng.standard_normal(size)


def _path(gradient: Callable, w: np.ndarray, steps: list[float], sign: float = 1.0):
    """Gradient change and distance at each step along -sign * gradient."""
    g = gradient(w)
    changes = np.array([np.linalg.norm(gradient(w - sign * eta * g) - g) for eta in steps])
    return changes, np.array(steps) * np.linalg.norm(g)


@checker("ex-05-beta")
def _beta(answer: object) -> str:
    beta = function(answer, "effective_beta(gradient, weights, step_sizes)")
    cases = [(*_quadratic(61, 5), [0.05, 0.1, 0.2, 0.4]),
             (*_softplus(62, 4), [0.03, 0.1, 0.3, 1.0, 3.0]),
             (*_softplus(63, 6), [0.5, 0.05, 2.0])]
    for gradient, w, steps in cases:
        value = array(call(beta, gradient, w.copy(), list(steps), what="effective_beta"),
                      "effective_beta's result")
        if value.size != 1:
            raise Hint(f"return one number, the largest ratio over the step sizes; "
                       f"got an array of shape {value.shape}")
        value = float(value.reshape(()))
        changes, distances = _path(gradient, w, steps)
        truth = float(np.max(changes / distances))
        if np.isclose(value, truth, rtol=1e-6):
            continue
        uphill, _ = _path(gradient, w, steps, sign=-1.0)
        wrong = {
            "per eta": np.max(changes / np.array(steps)),
            "change": np.max(changes),
            "mean": np.mean(changes / distances),
            "last": changes[-1] / distances[-1],
            "uphill": np.max(uphill / distances),
        }
        if np.isclose(value, wrong["per eta"], rtol=1e-6):
            raise Hint("divide the gradient's change by the distance moved, "
                       "||eta g||, not by the step size eta alone")
        if np.isclose(value, wrong["change"], rtol=1e-6):
            raise Hint("that is the largest change of the gradient (gradient "
                       "predictiveness); beta divides each change by the "
                       "distance moved, ||eta g||")
        if np.isclose(value, wrong["mean"], rtol=1e-6):
            raise Hint("take the largest ratio over the step sizes, not their mean")
        if np.isclose(value, wrong["last"], rtol=1e-6):
            raise Hint("take the largest ratio over all the step sizes, not "
                       "the ratio at the last one (the step sizes need not be "
                       "sorted)")
        if np.isclose(value, wrong["uphill"], rtol=1e-6):
            raise Hint("step along the negative gradient, w - eta g: your "
                       "steps go uphill (on a quadratic loss both directions "
                       "give the same beta, on other losses they do not)")
        raise Hint(f"expected {truth:.4g} on a hidden loss, got {value:.4g}: "
                   "compare max over eta of ||g(w - eta g) - g(w)|| / "
                   "||eta g||, with g = g(w) computed once at the start")
    return f"beta matches on {len(cases)} hidden losses (one quadratic, two not)"
