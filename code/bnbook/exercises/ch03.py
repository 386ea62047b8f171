"""Checkers of chapter 3's exercises."""

from __future__ import annotations

import numpy as np

from bnbook.exercises.registry import Hint, array, call, checker, function, number, relative_error

# Tolerances: the answers run in float64, so a right one agrees to ~1e-12.
_CLOSE = 1e-6


def _close(actual: np.ndarray, expected: np.ndarray) -> bool:
    return relative_error(actual, expected) < _CLOSE


# --- ex-03-batch-of-one -----------------------------------------------------

_CALLS, _RHO = 100, 0.99


@checker("ex-03-batch-of-one")
def _batch_of_one(answer: object) -> str:
    prediction = number(answer, "the moving variance after 100 calls")
    truth = 1.0
    for _ in range(_CALLS):  # Keras's update; a single value has variance 0
        truth = _RHO * truth + (1 - _RHO) * np.var([3.0])
    if abs(prediction - truth) <= 0.02:
        return (f"the moving variance is {truth:.3f} = 0.99**100 after 100 calls, "
                "and your prediction is within 0.02 of it")
    tell = f"the moving variance after 100 calls is not {prediction:g}: "
    if prediction < 0:
        raise Hint(tell + "a variance is never negative")
    if abs(prediction - 1.0) < 0.005:
        raise Hint(tell + "the layer does update it; what is the batch variance of a "
                   "single sample, and what does each update do with it?")
    if abs(prediction - _RHO) < 0.005:
        raise Hint(tell + "0.99 is the moving variance after ONE call; each further "
                   "call multiplies it by 0.99 again")
    if abs(prediction - (1 - truth)) < 0.02:
        raise Hint(tell + "1 - 0.99**100 = 0.634 is the share of the initial value "
                   "that is gone; the share that remains is what is left")
    if prediction < 0.05:
        raise Hint(tell + "each call moves the estimate only 1 % of the REMAINING way "
                   "towards the batch variance 0 (momentum 0.99), it does not jump "
                   "there, nor lose 1 % of the start per call")
    raise Hint(tell + "apply the moving-variance update 100 times to the initial 1, "
               "with the batch variance of a single sample")


# --- ex-03-invariance: the two sums of the input gradient ---------------------

def _statistics(x: np.ndarray, epsilon: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x_hat, the biased batch variance and s = sqrt(variance + epsilon), per feature."""
    variance = x.var(axis=0)
    s = np.sqrt(variance + epsilon)
    return (x - x.mean(axis=0)) / s, variance, s


def _backward(dy: np.ndarray, x: np.ndarray, gamma: np.ndarray,
              epsilon: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The book's input, gamma and beta gradients for a (batch, features) x."""
    x_hat, _, s = _statistics(x, epsilon)
    m = x.shape[0]
    dbeta, dgamma = dy.sum(axis=0), (dy * x_hat).sum(axis=0)
    dx = gamma / (m * s) * (m * dy - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


def _cases(seed: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """Hidden batches (dy, x, gamma, epsilon): variances near epsilon, and far above it."""
    rng = np.random.default_rng(seed)
    cases = []
    for m, features, scale, epsilon in ((6, 3, 0.05, 1e-3), (16, 5, 2.0, 0.1),
                                        (32, 4, 0.1, 0.01), (5, 5, 1.0, 0.5)):
        x = rng.normal(loc=rng.normal(size=features), scale=scale, size=(m, features))
        gamma = rng.uniform(0.5, 2.0, size=features) * rng.choice([-1, 1], size=features)
        cases.append((rng.normal(size=(m, features)), x, gamma, epsilon))
    return cases


def _pair(value: object, what: str) -> tuple[object, object]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise Hint(f"{what} must return a pair (sum_dx, sum_xhat_dx), "
                   f"got {type(value).__name__}")
    return value[0], value[1]


@checker("ex-03-invariance")
def _invariance(answer: object) -> str:
    sums = function(answer, "gradient_sums(dy, x, gamma, epsilon)")
    for dy, x, gamma, epsilon in _cases(31):
        features = x.shape[1]
        first, second = _pair(call(sums, dy.copy(), x.copy(), gamma.copy(), epsilon,
                                   what="gradient_sums"), "gradient_sums")
        first = array(first, "sum_dx", (features,))
        second = array(second, "sum_xhat_dx", (features,))
        dx = _backward(dy, x, gamma, epsilon)[0]
        x_hat, variance, s = _statistics(x, epsilon)
        expected = (dx * x_hat).sum(axis=0)
        scale = np.abs(gamma / s * (dy * x_hat).sum(axis=0)).max()
        if np.abs(first).max() > 1e-8 * max(scale, 1.0):
            raise Hint("sum_dx should be zero: summing the input gradient over the "
                       "batch brings in the sum of the x_hat_i, which is exactly 0")
        if _close(second, expected):
            continue
        if np.abs(second).max() < 1e-8 * scale:
            raise Hint("your sum_xhat_dx is zero, which holds only without epsilon: "
                       "sum_i x_hat_i**2 is m * var / (var + epsilon), not m")
        wrong = {
            "epsilon / var instead of epsilon / (var + epsilon)?":
                expected * (variance + epsilon) / variance,
            "the factor gamma is missing": expected / gamma,
            "the factor 1 / sqrt(var + epsilon) is missing": expected * s,
            "it is off by a factor of the batch size m": expected * x.shape[0],
            "it is off by a factor 1 / m, the batch size": expected / x.shape[0],
            "its sign is flipped": -expected,
        }
        for what, variant in wrong.items():
            if _close(second, variant):
                raise Hint(f"sum_xhat_dx is close but {what}")
        raise Hint("sum_xhat_dx does not match (relative error "
                   f"{relative_error(second, expected):.1e}); write sum_i x_hat_i dL/dx_i "
                   "with the formula of dL/dx_i and the sums of x_hat_i and x_hat_i**2")
    return "both sums match on 4 hidden batches, with variances near epsilon and far above"


# --- ex-03-backward -----------------------------------------------------------

def _variants(dy: np.ndarray, x: np.ndarray, gamma: np.ndarray,
              epsilon: float) -> dict[str, np.ndarray]:
    """The input gradients of typical mistakes, each with what to look at."""
    m = x.shape[0]
    x_hat, _, s = _statistics(x, epsilon)
    no_epsilon = _backward(dy, x, gamma, 1e-300)[0]
    mean_dy, mean_along = dy.mean(axis=0), (dy * x_hat).mean(axis=0)
    unbiased = x.var(axis=0, ddof=1) + epsilon
    x_hat_unbiased = (x - x.mean(axis=0)) / np.sqrt(unbiased)
    return {
        "rows of dx should sum to zero over the batch, and yours do not: "
        "x_i also changes the batch mean and variance, and through them every "
        "other output; add those two paths": gamma / s * dy,
        "dx sums to zero over the batch, so the mean term is right; check the "
        "term along x_hat, the path through the batch variance": gamma / s * (dy - mean_dy),
        "the term along x_hat is there, but dx does not sum to zero over the "
        "batch: the path through the batch mean is missing": gamma / s * (dy - x_hat * mean_along),
        "dx is right up to epsilon: keep it inside the square root, "
        "sqrt(var + epsilon)": no_epsilon,
        "dx is off by a factor of the batch size m: did you average where the "
        "formula sums, or the other way round?": _backward(dy, x, gamma, epsilon)[0] * m,
        "dx is off by a factor 1/m, the batch size: check the 1/m in front of "
        "the bracket": _backward(dy, x, gamma, epsilon)[0] / m,
        "dx would be right with the unbiased variance (ddof=1); batch "
        "normalization divides by m, like np.var": gamma / (m * np.sqrt(unbiased)) * (
            m * dy - dy.sum(axis=0) - x_hat_unbiased * (dy * x_hat_unbiased).sum(axis=0)),
        "dx has the sign flipped": -_backward(dy, x, gamma, epsilon)[0],
    }


def _three(value: object) -> tuple[object, object, object]:
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise Hint("backward must return three arrays (dx, dgamma, dbeta), "
                   f"got {type(value).__name__}")
    return value[0], value[1], value[2]


def _per_feature(value: object, what: str, x: np.ndarray) -> np.ndarray:
    result = array(value, what)
    if result.shape != (x.shape[1],):
        raise Hint(f"{what} has shape {result.shape}, expected ({x.shape[1]},): one value "
                   "per feature, summed over the batch axis 0")
    return result


def _check_params(dgamma: np.ndarray, dbeta: np.ndarray, dy: np.ndarray, x: np.ndarray,
                  epsilon: float) -> None:
    """Raise the hint about dgamma or dbeta, if either is wrong."""
    m = x.shape[0]
    x_hat = _statistics(x, epsilon)[0]
    if not _close(dbeta, dy.sum(axis=0)):
        if _close(dbeta, dy.mean(axis=0)):
            raise Hint("dbeta is off by a factor of the batch size: sum over the "
                       "batch, do not average")
        raise Hint("dbeta does not match: beta is added to every y_i, so dbeta is "
                   "the sum of dy over the batch, axis 0")
    expected = (dy * x_hat).sum(axis=0)
    if _close(dgamma, expected):
        return
    if _close(dgamma, expected / m):
        raise Hint("dgamma is off by a factor of the batch size: sum over the batch, "
                   "do not average")
    if _close(dgamma, (dy * x).sum(axis=0)):
        raise Hint("dgamma multiplies dy by x; gamma multiplies x_hat, the "
                   "normalized input")
    unbiased = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + epsilon)
    if _close(dgamma, (dy * unbiased).sum(axis=0)):
        raise Hint("dgamma uses the unbiased variance (ddof=1); batch normalization "
                   "divides by m, like np.var")
    if _close(dgamma, (dy * _statistics(x, 1e-300)[0]).sum(axis=0)):
        raise Hint("dgamma is right up to epsilon: x_hat divides by sqrt(var + epsilon)")
    raise Hint("dgamma does not match: it is the sum over the batch of dy * x_hat")


@checker("ex-03-backward")
def _backward_checker(answer: object) -> str:
    backward = function(answer, "backward(dy, x, gamma, epsilon)")
    worst = 0.0
    for dy, x, gamma, epsilon in _cases(3):
        result = call(backward, dy.copy(), x.copy(), gamma.copy(), epsilon, what="backward")
        dx, dgamma, dbeta = _three(result)
        if any(getattr(v, "dtype", None) in (np.float32, np.float16) for v in result):
            raise Hint("compute in float64, NumPy's default: float32 round-off alone "
                       "is larger than the relative error of 1e-6 the checker allows")
        dx = array(dx, "dx", x.shape)
        dgamma = _per_feature(dgamma, "dgamma", x)
        dbeta = _per_feature(dbeta, "dbeta", x)
        _check_params(dgamma, dbeta, dy, x, epsilon)
        expected = _backward(dy, x, gamma, epsilon)
        if not _close(dx, expected[0]):
            for what, variant in _variants(dy, x, gamma, epsilon).items():
                if _close(dx, variant):
                    raise Hint(what)
            raise Hint(f"dx does not match (relative error "
                       f"{relative_error(dx, expected[0]):.1e}, should be below 1e-6); "
                       "dgamma and dbeta do")
        worst = max(worst, *(relative_error(a, b) for a, b in
                             zip((dx, dgamma, dbeta), expected, strict=True)))
    error = "below 1e-12" if worst < 1e-12 else f"{worst:.0e}"
    return (f"dx, dgamma and dbeta match on 4 hidden batches: largest relative error "
            f"{error} (below 1e-6 is right)")


# --- ex-03-how-many-steps -------------------------------------------------------

def _steps(v: float, rho: float, tol: float) -> int:
    """Iterate the moving-variance update from 1 until it is within tol * v of v."""
    moving, n = 1.0, 0
    while abs(moving - v) > tol * v:
        moving, n = rho * moving + (1 - rho) * v, n + 1
    return n


_GRID = [(v, rho, tol) for v in (0.005, 0.03, 0.4, 1.0, 1.05, 3.0)
         for rho in (0.9, 0.99, 0.997) for tol in (0.1, 0.02)]


def _count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise Hint(f"steps_needed{where} returned {type(value).__name__}, expected a whole "
                   "number of steps")
    if not np.isfinite(value) or float(value) != int(value):
        raise Hint(f"steps_needed{where} returned {value}, not a whole number: a step count "
                   "is an integer, rounded up")
    return int(value)


def _ceil_log(target: np.ndarray, base: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.maximum(0.0, np.ceil(np.log(target) / np.log(base)))


def _guesses(v: np.ndarray, rho: np.ndarray, tol: np.ndarray) -> dict[str, np.ndarray]:
    """The counts that typical mistakes give on the grid, with what to look at."""
    gap = np.abs(1 - v)
    with np.errstate(divide="ignore"):
        per_v, per_gap = tol * v / gap, tol / gap
    return {
        "the leftover after n steps is rho**n * |1 - v|, not rho**n: the estimate "
        "starts at 1, so only the distance |1 - v| has to shrink": _ceil_log(tol * v, rho),
        "'within 10 % of v' is relative: the leftover must fall below tol * v, "
        "not below tol": _ceil_log(per_gap, rho),
        "Keras's momentum weights the OLD value: after n steps rho**n of the start "
        "remains, not (1 - rho)**n": _ceil_log(per_v, 1 - rho),
    }


@checker("ex-03-how-many-steps")
def _how_many_steps(answer: object) -> str:
    steps_needed = function(answer, "steps_needed(v, rho, tol)")
    got, expected = [], []
    for v, rho, tol in _GRID:
        where = f"({v}, {rho}, {tol})"
        got.append(_count(call(steps_needed, v, rho, tol, what=f"steps_needed{where}"), where))
        expected.append(_steps(v, rho, tol))
    got_, expected_ = np.array(got), np.array(expected)
    if (got_ == expected_).all():
        return f"right on {len(_GRID)} hidden cases (v from 0.005 to 3, three momenta)"
    first = int(np.flatnonzero(got_ != expected_)[0])
    tell = (f"steps_needed{_GRID[first]} = {got[first]}, but {expected[first]} steps "
            "are needed: ")
    moving = expected_ > 0
    v, rho, tol = (np.array(column) for column in zip(*_GRID, strict=True))
    for what, guess in _guesses(v, rho, tol).items():
        if (got_[moving] == guess[moving]).all():
            raise Hint(tell + what)
    if (got_ < 0).any():
        raise Hint(tell + "a count is never negative; when the start is already "
                   "within tol * v of v, no step is needed")
    if (np.abs(got_ - expected_) <= 1).all():
        raise Hint(tell + "off by one. n is the SMALLEST count with "
                   "rho**n * |1 - v| <= tol * v: round the logarithm's ratio up")
    if (got_[~moving] != 0).any():
        raise Hint(tell + "when |1 - v| <= tol * v, the estimate starts within tol * v "
                   "of v and no step is needed")
    raise Hint(tell + "write the moving variance after n steps of a constant "
               "batch variance v, then solve for the smallest n")
