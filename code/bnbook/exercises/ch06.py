"""Checkers of chapter 6's exercises."""

from __future__ import annotations

from collections.abc import Callable
from math import comb
from numbers import Integral

import numpy as np

from bnbook.exercises.registry import Hint, array, call, checker, function, number

# ex-06-count: networks like the chapter's, (side, channels, filters,
# classes, bias); odd and even sides, so that rounding matters.
_NETWORKS = [
    (14, 1, (16, 32), 10, False),
    (14, 1, (16, 32), 10, True),
    (15, 3, (8, 12, 20), 7, True),
    (9, 2, (5,), 3, False),
    (28, 1, (6, 10, 14), 4, True),
]


def _same(side: int) -> int:
    """Pixels per side after a stride-2 convolution with "same" padding."""
    return -(-side // 2)


def _floor(side: int) -> int:
    """The same, rounded down: a frequent slip."""
    return side // 2


def _valid(side: int) -> int:
    """Pixels per side after a 3 x 3 stride-2 convolution, "valid" padding."""
    return (side - 3) // 2 + 1


def _count(side: int, channels: int, filters: tuple[int, ...], classes: int,
           bias: bool, *, shrink: Callable[[int], int] = _same, conv_bias: int = 1,
           gamma_beta: int = 2, moving: int = 2, in_channels: bool = True,
           pixels: bool = True, dense_bias: bool = True) -> tuple[int, int]:
    """(trainable, non-trainable) counts, with switches for the usual slips."""
    trainable = non_trainable = 0
    c_in = channels
    for f in filters:
        trainable += 9 * (c_in if in_channels else 1) * f
        trainable += conv_bias * f if bias else 0
        trainable += gamma_beta * f
        non_trainable += moving * f
        side, c_in = shrink(side), f
    flat = (side * side if pixels else 1) * c_in
    trainable += flat * classes + (classes if dense_bias else 0)
    return trainable, non_trainable


# The slips learners make, each as the counts it gives, with its hint.
_SLIPS: list[tuple[dict, str]] = [
    ({"moving": 0}, "BN's moving mean and moving variance are weights too: "
     "non-trainable, one of each per channel"),
    ({"moving": 4}, "only the moving mean and variance are non-trainable "
     "(2 per channel); gamma and beta are trained"),
    ({"gamma_beta": 0}, "the trainable count misses BN's gamma and beta, "
     "one of each per channel"),
    ({"conv_bias": 0}, "with bias=True each convolution adds one bias per "
     "output channel"),
    ({"conv_bias": 2}, "a convolution's bias is one number per output "
     "channel, not two"),
    ({"shrink": _floor}, "a stride-2 convolution with \"same\" padding keeps "
     "ceil(side / 2) pixels per side: 7 becomes 4, not 3"),
    ({"shrink": _valid}, "that is the size after \"valid\" padding; with "
     "\"same\" a stride-2 convolution keeps ceil(side / 2) pixels per side"),
    ({"pixels": False}, "Flatten keeps every pixel of every channel: the "
     "Dense layer sees side * side * channels inputs of the last block"),
    ({"dense_bias": False}, "the Dense layer has a bias too, one per class"),
    ({"in_channels": False}, "each 3 x 3 filter spans all input channels: "
     "9 * c_in * c_out kernel weights"),
]


@checker("ex-06-count")
def _count_parameters(answer: object) -> str:
    count = function(answer, "count_parameters(side, channels, filters, "
                             "classes, bias)")
    cases = [(case, _count(*case)) for case in _NETWORKS]
    results = []
    for case in _NETWORKS:
        result = call(count, *case, what=f"count_parameters{case}")
        pair = isinstance(result, (tuple, list)) and len(result) == 2
        if not pair or not all(isinstance(n, (Integral, np.integer))
                               for n in result):
            raise Hint("return the pair of integers (trainable, "
                       f"non_trainable), got {result!r} for "
                       f"count_parameters{case}")
        results.append((int(result[0]), int(result[1])))
    if all(r == e for r, (_, e) in zip(results, cases, strict=True)):
        return f"both counts right for {len(cases)} hidden networks"
    if all(r == e[::-1] for r, (_, e) in zip(results, cases, strict=True)):
        raise Hint("the two counts are swapped: return (trainable, "
                   "non_trainable)")
    for slip, hint in _SLIPS:
        if all(r == _count(*case, **slip)
               for r, (case, _) in zip(results, cases, strict=True)):
            raise Hint(hint)
    for r, (case, e) in zip(results, cases, strict=True):
        if r != e:
            raise Hint(f"count_parameters{case} gave {r}, expected {e}; "
                       "count each layer separately and compare with "
                       "model.summary() of such a network")
    raise AssertionError("unreachable")


def _adam(g: np.ndarray, learning_rate: float, t: int) -> np.ndarray:
    """Keras's Adam update at step ``t`` after ``t`` equal gradients ``g``."""
    m = np.zeros_like(g)
    v = np.zeros_like(g)
    for step in range(1, t + 1):
        m = m + (g - m) * (1 - 0.9)
        v = v + (g * g - v) * (1 - 0.999)
        alpha = learning_rate * np.sqrt(1 - 0.999**step) / (1 - 0.9**step)
    return -alpha * m / (np.sqrt(v) + 1e-7)


def _adam_slips(g: np.ndarray, lr: float, t: int) -> list[tuple[np.ndarray, str]]:
    """Closed forms learners derive wrongly, each with its hint."""
    a = np.abs(g)
    return [
        (-lr * g / (a + 1e-7),
         "your step adds eps after the bias correction; Keras adds it to "
         "sqrt(v_t), before dividing by sqrt(1 - beta_2**t), so eps acts "
         "larger early on: look at t = 1"),
        (-lr * (1 - 0.9**t) * g / (np.sqrt(1 - 0.999**t) * a + 1e-7),
         "your step leaves out the bias correction "
         "sqrt(1 - beta_2**t) / (1 - beta_1**t) that multiplies the "
         "learning rate"),
        (-lr * g / (a + 1e-7 * np.sqrt(1 - 0.999**t)),
         "eps_t should shrink towards eps as t grows: you multiplied eps by "
         "sqrt(1 - beta_2**t) where the algebra divides by it"),
        (-lr * g / (a + 1e-7 / (1 - 0.999**t)),
         "close: v_t = (1 - beta_2**t) g**2, so sqrt(v_t) brings the square "
         "root of (1 - beta_2**t), not the factor itself"),
        (-lr * g / (a + 1e-7 / np.sqrt(1 - 0.9**t)),
         "the effective eps comes from v_t, which averages with beta_2 = "
         "0.999, not beta_1 = 0.9"),
        (lr * g / (a + 1e-7 / np.sqrt(1 - 0.999**t)),
         "right size, wrong sign: the weight moves against its gradient, "
         "so the step has the opposite sign of g"),
        (lr * a / (a + 1e-7 / np.sqrt(1 - 0.999**t)),
         "right size, but return the signed change of the weight, "
         "-lr * g / (...), not its magnitude"),
    ]


# ex-06-adam-roundoff: gradients from round-off size to ordinary ones.
_GRADIENTS = np.array([0.0, 3e-9, -2e-8, 1e-7, -3.1e-7, 1e-6, -3.2e-6,
                       1.6e-5, -1e-4, 2e-3, -0.3])
_STEPS = [(1e-3, 1), (1e-3, 2), (0.01, 10), (1e-3, 378), (3e-4, 5000)]


@checker("ex-06-adam-roundoff")
def _adam_roundoff(answer: object) -> str:
    step = function(answer, "adam_step(g, learning_rate, t)")
    for lr, t in _STEPS:
        g = _GRADIENTS.copy()
        got = array(call(step, g, lr, t, what=f"adam_step(g, {lr}, {t})"),
                    f"adam_step(g, {lr}, {t})", g.shape)
        expected = _adam(g, lr, t)
        error = np.abs(got - expected) / lr
        if error.max() > 1e-6:
            for wrong, hint in _adam_slips(g, lr, t):
                if np.abs(got - wrong).max() / lr <= 1e-6:
                    raise Hint(hint)
            i = int(error.argmax())
            raise Hint(f"at t = {t}, learning rate {lr}, g = {g[i]:.1e} your "
                       f"step is {got[i]:.4g}, Keras's is {expected[i]:.4g}")
    return (f"equal to Keras's update for {g.size} gradients from 0 to 0.3 "
            f"at {len(_STEPS)} step counts t from 1 to 5000")


@checker("ex-06-paired-test")
def _paired_test(answer: object) -> str:
    prediction = number(answer, "the two-sided sign-test p-value")
    n = 5
    p = 2 * comb(n, n) / 2**n
    if abs(prediction - p) <= 0.005:
        return (f"p = {p:.4f}: five of five paired seeds cannot reach "
                "p < 0.05 two-sided")
    said = f"p = {p:.4f}, you predicted {prediction:.4g}: "
    if abs(prediction - p / 2) <= 0.005:
        raise Hint(said + "that is the one-sided p, the chance of five wins "
                   "for a given placement; two-sided, five losses count too")
    if abs(prediction - 0.05) < 1e-9:
        raise Hint(said + "0.05 is the usual threshold, not the p-value; "
                   "the p-value is the chance, under no difference, of an "
                   "outcome as lopsided as five of five")
    if prediction < p:
        raise Hint(said + "too small. Under no difference each seed is a "
                   "fair coin flip; the sign test uses only the signs, not "
                   "the sizes of the differences (that is the t-test)")
    raise Hint(said + "too large: five fair coin flips all land the same "
               "given way with probability 1/32, and either way with 2/32")
