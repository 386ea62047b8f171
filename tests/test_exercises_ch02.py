"""Chapter 2's checkers: the book's solutions pass, typical mistakes get their hint."""

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


# --- ex-02-he ---------------------------------------------------------------

def test_he_accepts_the_books_prediction():
    passed, message = verdict("ex-02-he", reference("ex-02-he", "prediction"))
    assert passed, message
    assert "within 20%" in message


@pytest.mark.parametrize(("prediction", "hint"), [
    (1.33 * 0.7**9, "shrinking of the chapter's Glorot network"),
    (1.0, "1 is the root mean square of a ReLU output"),
    (2.0, "2 is the variance of z"),
    (np.sqrt(2) ** 10, "does not make the signal grow"),
    (0.7, "follow one layer"),
    (-1.0, "a standard deviation is positive"),
    (..., "replace the ..."),
    ("1.41", "expected a number"),
])
def test_he_hints(prediction, hint):
    _fails_with("ex-02-he", prediction, hint)


# --- ex-02-layer-stds -------------------------------------------------------

def test_layer_stds_accepts_the_books_function():
    answer = reference("ex-02-layer-stds", "layer_stds")
    passed, message = verdict("ex-02-layer-stds", answer)
    assert passed, message


def _outputs(model, x, names, training=False) -> list[np.ndarray]:
    probe = keras.Model(model.input, {n: model.get_layer(n).output for n in names})
    outputs = probe(x, training=training)
    return [np.asarray(keras.ops.convert_to_numpy(outputs[n]), dtype=np.float64)
            for n in names]


def _training_mode(model, x, names):
    return [z.std() for z in _outputs(model, x, names, training=True)]


def _per_unit(model, x, names):
    return [z.std(axis=0).mean() for z in _outputs(model, x, names)]


def _variances(model, x, names):
    return [z.var() for z in _outputs(model, x, names)]


def _one_output_unwrapped(model, x, names):
    outputs = keras.Model(model.input, [model.get_layer(n).output for n in names])(x)
    return [float(np.std(keras.ops.convert_to_numpy(z))) for z in outputs]


def _final_output(model, x, names):
    return [float(np.std(keras.ops.convert_to_numpy(model(x))))] * len(names)


@pytest.mark.parametrize(("wrong", "hint"), [
    (_training_mode, "they are training-mode values"),
    (_per_unit, "each unit's std averaged over the units"),
    (_variances, "those are variances"),
    (_final_output, "the std of the model's final output"),
    (lambda model, x, names: [1.0], "has shape (1,)"),
    (_one_output_unwrapped, "a list of ONE tensor returns that tensor"),
    (lambda model, x, names: 1 / 0, "ZeroDivisionError"),
    (..., "replace the ..."),
])
def test_layer_stds_hints(wrong, hint):
    _fails_with("ex-02-layer-stds", wrong, hint)


def test_layer_stds_takes_a_dictionary_by_name():
    right = reference("ex-02-layer-stds", "layer_stds")
    passed, message = verdict(
        "ex-02-layer-stds",
        lambda model, x, names: dict(zip(names, right(model, x, names), strict=True)))
    assert passed, message


# --- ex-02-zero-init --------------------------------------------------------

def test_zero_init_accepts_the_books_answer():
    answer = reference("ex-02-zero-init", "receives_gradient")
    passed, message = verdict("ex-02-zero-init", answer)
    assert passed, message
    assert "only logits/bias" in message


@pytest.mark.parametrize(("answer", "hint"), [
    ({"logits/bias", "logits/kernel"}, "what is h_10 = relu(z_10)"),
    ({"logits/bias", "dense_10/bias"}, "the ReLU's derivative at exactly 0"),
    ({"logits/bias", "dense_1/kernel"}, "even dense_1, whose input is not zero"),
    (set(), "logits/bias does receive a gradient"),
    ({"logits.bias"}, "is not a weight of the network"),
    (..., "replace the ..."),
    (3, "expected a set of weight names"),
])
def test_zero_init_hints(answer, hint):
    _fails_with("ex-02-zero-init", answer, hint)


def test_zero_init_accepts_a_list_and_stray_case():
    passed, message = verdict("ex-02-zero-init", [" Logits/Bias"])
    assert passed, message
