"""Chapter 4's exercise checkers: the book's solutions pass, typical mistakes get their hint."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from solutions import reference

from bnbook.exercises import verdict


def _hint(label: str, answer: object) -> str:
    passed, message = verdict(label, answer)
    assert not passed, message
    return message


@pytest.mark.parametrize("label", ["ex-04-axis", "ex-04-fold", "ex-04-train-step"])
def test_unanswered_gets_the_replace_hint(label):
    assert "replace the ..." in _hint(label, ...)


# ex-04-axis

def test_axis_reference_prediction_passes():
    passed, message = verdict("ex-04-axis", reference("ex-04-axis", "prediction"))
    assert passed, message


def test_axis_truth_is_what_keras_counts():
    inputs = keras.Input((3, 32, 32))
    x = keras.layers.Conv2D(8, 3, use_bias=False, data_format="channels_first")(inputs)
    model = keras.Model(inputs, keras.layers.BatchNormalization()(x))
    assert verdict("ex-04-axis", model.count_params())[0]


@pytest.mark.parametrize("prediction, hint", [
    (216 + 4 * 8, "that is the count with axis=1"),
    (216 + 4 * 32, "shrinks 32 columns"),
    (216 + 2 * 30, "moving mean and variance too"),
    (216 + 2 * 8, "two slips"),
    (4 * 30, "the convolution's kernel counts too"),
    (1000, "Count the kernel"),
])
def test_axis_mistakes_get_their_hint(prediction, hint):
    assert hint in _hint("ex-04-axis", prediction)


def test_axis_non_number_gets_a_hint():
    assert "expected a number" in _hint("ex-04-axis", "336")


# ex-04-fold

def _scale(gamma, variance, epsilon):
    return gamma / np.sqrt(variance + epsilon)


def test_fold_reference_passes():
    passed, message = verdict("ex-04-fold", reference("ex-04-fold", "fold"))
    assert passed, message


def test_fold_without_epsilon():
    def fold(kernel, bias, gamma, beta, mean, variance, epsilon):
        scale = gamma / np.sqrt(variance)
        return kernel * scale, beta + scale * (bias - mean)

    assert "epsilon is missing" in _hint("ex-04-fold", fold)


def test_fold_by_the_variance():
    def fold(kernel, bias, gamma, beta, mean, variance, epsilon):
        scale = gamma / (variance + epsilon)
        return kernel * scale, beta + scale * (bias - mean)

    assert "not by the variance" in _hint("ex-04-fold", fold)


def test_fold_per_input_scaling_on_a_square_kernel():
    def fold(kernel, bias, gamma, beta, mean, variance, epsilon):
        scale = _scale(gamma, variance, epsilon)
        return kernel * scale[:, None], beta + scale * (bias - mean)

    message = _hint("ex-04-fold", fold)
    assert "Dense kernel of shape (6, 4)" in message  # fails to broadcast first
    assert "raised ValueError" in message


def test_fold_per_input_scaling_hint():
    def fold(kernel, bias, gamma, beta, mean, variance, epsilon):
        scale = _scale(gamma, variance, epsilon)
        square = kernel.shape[-2] == kernel.shape[-1]
        kernel = kernel * (scale[:, None] if square else scale)
        return kernel, beta + scale * (bias - mean)

    assert "along its input axis" in _hint("ex-04-fold", fold)


def test_fold_bias_only():
    def fold(kernel, bias, gamma, beta, mean, variance, epsilon):
        scale = _scale(gamma, variance, epsilon)
        return kernel, beta + scale * (bias - mean)

    assert "the kernel is unchanged" in _hint("ex-04-fold", fold)


def test_fold_the_formula_for_a_layer_without_bias():
    def fold(kernel, bias, gamma, beta, mean, variance, epsilon):
        scale = _scale(gamma, variance, epsilon)
        return kernel * scale, beta - scale * mean

    assert "ignores the layer's own bias" in _hint("ex-04-fold", fold)


def test_fold_unscaled_mean():
    def fold(kernel, bias, gamma, beta, mean, variance, epsilon):
        scale = _scale(gamma, variance, epsilon)
        return kernel * scale, beta + scale * bias - mean

    assert "moving mean must be multiplied" in _hint("ex-04-fold", fold)


def test_fold_without_beta():
    def fold(kernel, bias, gamma, beta, mean, variance, epsilon):
        scale = _scale(gamma, variance, epsilon)
        return kernel * scale, scale * (bias - mean)

    assert "beta is missing" in _hint("ex-04-fold", fold)


def test_fold_returning_one_array():
    def fold(kernel, bias, gamma, beta, mean, variance, epsilon):
        return kernel * _scale(gamma, variance, epsilon)

    assert "must return two arrays" in _hint("ex-04-fold", fold)


# ex-04-train-step

_LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def test_train_step_reference_passes():
    step = reference("ex-04-train-step", "loss_and_updates")
    passed, message = verdict("ex-04-train-step", step)
    assert passed, message


def test_train_step_the_buggy_original():
    def loss_and_updates(model, trainable, non_trainable, x, y):
        logits, _ = model.stateless_call(trainable, non_trainable, x)
        return _LOSS(y, logits), non_trainable

    assert "inference-mode loss" in _hint("ex-04-train-step", loss_and_updates)


def test_train_step_state_dropped():
    def loss_and_updates(model, trainable, non_trainable, x, y):
        logits, _ = model.stateless_call(trainable, non_trainable, x, training=True)
        return _LOSS(y, logits), non_trainable

    assert "did not change" in _hint("ex-04-train-step", loss_and_updates)


def test_train_step_direct_call_changes_the_model():
    def loss_and_updates(model, trainable, non_trainable, x, y):
        logits = model(x, training=True)
        return _LOSS(y, logits), [v.value for v in model.non_trainable_variables]

    assert "changed the model's own" in _hint("ex-04-train-step", loss_and_updates)


def test_train_step_per_example_loss():
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)

    def loss_and_updates(model, trainable, non_trainable, x, y):
        logits, new = model.stateless_call(trainable, non_trainable, x, training=True)
        return loss(y, logits), new

    assert "return one number" in _hint("ex-04-train-step", loss_and_updates)


def test_train_step_loss_alone():
    def loss_and_updates(model, trainable, non_trainable, x, y):
        logits, _ = model.stateless_call(trainable, non_trainable, x, training=True)
        return _LOSS(y, logits)

    assert "must return a pair" in _hint("ex-04-train-step", loss_and_updates)
