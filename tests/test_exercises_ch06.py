"""Chapter 6's exercise checkers: the book's solutions pass, slips get their hint."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from solutions import reference

from bnbook.exercises import ch06, verdict


def _hint(label: str, answer: object) -> str:
    passed, message = verdict(label, answer)
    assert not passed, f"{label} accepted a wrong answer: {message}"
    return message


@pytest.mark.parametrize(("label", "name"), [
    ("ex-06-count", "count_parameters"),
    ("ex-06-paired-test", "prediction"),
    ("ex-06-adam-roundoff", "adam_step"),
])
def test_the_books_solution_passes(label, name):
    passed, message = verdict(label, reference(label, name))
    assert passed, message


@pytest.mark.parametrize("label", ["ex-06-count", "ex-06-paired-test",
                                   "ex-06-adam-roundoff"])
def test_an_unanswered_exercise_says_what_to_replace(label):
    assert "replace the ..." in _hint(label, ...)


# ex-06-count ---------------------------------------------------------

def _counter(*, moving=2, conv_bias=1, rounding="ceil", dense_bias=True):
    """A learner's count_parameters, with one of the usual slips."""
    def count_parameters(side, channels, filters, classes, bias):
        trainable = non_trainable = 0
        for f in filters:
            trainable += 9 * channels * f + 2 * f
            trainable += conv_bias * f if bias else 0
            non_trainable += moving * f
            side = -(-side // 2) if rounding == "ceil" else side // 2
            channels = f
        trainable += side * side * channels * classes
        return trainable + (classes if dense_bias else 0), non_trainable
    return count_parameters


def test_the_private_count_matches_keras():
    layers = keras.layers
    for side, channels, filters, classes, bias in ch06._NETWORKS[:3]:
        x = inputs = keras.Input((side, side, channels))
        for f in filters:
            x = layers.Conv2D(f, 3, strides=2, padding="same",
                              use_bias=bias)(x)
            x = layers.ReLU()(layers.BatchNormalization()(x))
        outputs = layers.Dense(classes)(layers.Flatten()(x))
        model = keras.Model(inputs, outputs)
        trainable = sum(int(np.prod(v.shape))
                        for v in model.trainable_variables)
        expected = (trainable, model.count_params() - trainable)
        assert ch06._count(side, channels, filters, classes, bias) == expected


@pytest.mark.parametrize(("slip", "hint"), [
    ({"moving": 0}, "moving mean and moving variance are weights too"),
    ({"moving": 4}, "gamma and beta are trained"),
    ({"conv_bias": 0}, "adds one bias per output channel"),
    ({"rounding": "floor"}, "ceil(side / 2)"),
    ({"dense_bias": False}, "the Dense layer has a bias too"),
])
def test_count_slips_get_their_hint(slip, hint):
    assert hint in _hint("ex-06-count", _counter(**slip))


def test_count_swapped_or_malformed_answers():
    right = reference("ex-06-count", "count_parameters")
    assert "swapped" in _hint("ex-06-count",
                              lambda *a: right(*a)[::-1])
    assert "return the pair of integers" in _hint("ex-06-count",
                                      lambda *a: sum(right(*a)))
    assert "expected a function" in _hint("ex-06-count", (9978, 96))


# ex-06-paired-test ----------------------------------------------------

@pytest.mark.parametrize(("prediction", "hint"), [
    (0.5**5, "one-sided"),
    (0.05, "threshold"),
    (0.001, "too small"),
    (0.25, "too large"),
])
def test_paired_test_predictions_get_their_hint(prediction, hint):
    assert hint in _hint("ex-06-paired-test", prediction)


def test_paired_test_wants_a_number():
    assert "expected a number" in _hint("ex-06-paired-test", "0.0625")


# ex-06-adam-roundoff --------------------------------------------------

def _eps_t(t):
    return 1e-7 / np.sqrt(1 - 0.999**t)


@pytest.mark.parametrize(("step", "hint"), [
    (lambda g, lr, t: -lr * g / (np.abs(g) + 1e-7),
     "before dividing by sqrt(1 - beta_2**t)"),
    (lambda g, lr, t: -lr * g / (np.abs(g) + 1e-7 / (1 - 0.999**t)),
     "not the factor itself"),
    (lambda g, lr, t: -lr * g / (np.abs(g) + 1e-7 / np.sqrt(1 - 0.9**t)),
     "not beta_1"),
    (lambda g, lr, t: lr * g / (np.abs(g) + _eps_t(t)),
     "wrong sign"),
    (lambda g, lr, t: -lr * g / (np.abs(g) + 3e-6),
     "Keras's is"),
])
def test_adam_slips_get_their_hint(step, hint):
    assert hint in _hint("ex-06-adam-roundoff", step)


def test_adam_scalar_only_answers_get_a_hint():
    def scalar_only(g, lr, t):
        return -lr * g / (abs(g) + _eps_t(t)) if g > 0 else 0.0
    assert "raised ValueError" in _hint("ex-06-adam-roundoff", scalar_only)


def test_the_private_adam_is_keras_adam():
    weight = keras.Variable(np.zeros(3), dtype="float32")
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    g = np.array([3.1e-7, -1.6e-5, 0.2], dtype="float32")
    for t in range(1, 11):
        before = keras.ops.convert_to_numpy(weight.value).astype(float)
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g), weight)])
        step = keras.ops.convert_to_numpy(weight.value).astype(float) - before
        expected = ch06._adam(g.astype(float), 1e-3, t)
        np.testing.assert_allclose(step, expected, rtol=1e-3, atol=1e-9)
