"""Chapter 8's checkers: the book's solutions pass, typical mistakes get their hint."""

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


@pytest.mark.parametrize(("label", "name"), [
    ("ex-08-which-axes", "prediction"),
    ("ex-08-group-norm", "group_norm"),
    ("ex-08-sync-variance", "pooled"),
])
def test_the_books_solution_passes(label, name):
    passed, message = verdict(label, reference(label, name))
    assert passed, message


@pytest.mark.parametrize("label", [
    "ex-08-which-axes", "ex-08-group-norm", "ex-08-sync-variance", "ex-08-debug"])
def test_an_unanswered_exercise_gets_the_replace_hint(label):
    assert "replace the ..." in _hint(label, ...)


@pytest.mark.parametrize(("key", "wrong", "hint"), [
    ("BatchNormalization()", 4, "a dense layer's count"),
    ("LayerNormalization()", 150, "last axis only"),
    ("GroupNormalization(groups=3)", 75, "number of groups"),
    ("BatchNormalization() on one map", 1, "still gives each channel 25"),
])
def test_which_axes_hints(key, wrong, hint):
    prediction = dict(reference("ex-08-which-axes", "prediction"))
    prediction[key] = wrong
    assert hint in _hint("ex-08-which-axes", prediction)


def test_which_axes_needs_every_key():
    assert "no count for LayerNormalization()" in _hint(
        "ex-08-which-axes", {"BatchNormalization()": 100})


def _group_norm(split="consecutive", axes=(1, 2, 4), ddof=0, epsilon_on=True):
    def group_norm(x, groups, epsilon=1e-3):
        n, h, w, c = x.shape
        if split == "consecutive":
            g = x.reshape(n, h, w, groups, c // groups)
        else:
            g = x.reshape(n, h, w, c // groups, groups).swapaxes(3, 4)
        mean = g.mean(axis=axes, keepdims=True)
        var = g.var(axis=axes, keepdims=True, ddof=ddof)
        out = (g - mean) / np.sqrt(var + (epsilon if epsilon_on else 0.0))
        if split != "consecutive":
            out = out.swapaxes(3, 4)
        return out.reshape(x.shape)
    return group_norm


@pytest.mark.parametrize(("answer", "hint"), [
    (_group_norm(split="interleaved"), "consecutive channels"),
    (_group_norm(axes=(4,)), "each position over its group's channels"),
    (_group_norm(axes=(0, 1, 2, 4)), "pooled across the batch"),
    (_group_norm(ddof=1), "ddof=1"),
    (_group_norm(epsilon_on=False), "forget epsilon"),
    (lambda x, groups, epsilon=1e-3: x[..., :1], "has shape"),
])
def test_group_norm_hints(answer, hint):
    assert hint in _hint("ex-08-group-norm", answer)


def _total(m1, v1, n1, m2, v2, n2):
    return (n1 * m1 + n2 * m2) / (n1 + n2)


@pytest.mark.parametrize(("answer", "hint"), [
    (lambda m1, v1, n1, m2, v2, n2: (_total(m1, v1, n1, m2, v2, n2),
                                     (n1 * v1 + n2 * v2) / (n1 + n2)),
     "between the two parts' means is missing"),
    (lambda m1, v1, n1, m2, v2, n2: (_total(m1, v1, n1, m2, v2, n2),
                                     (v1 + v2) / 2 + (m1 - m2) ** 2 / 4),
     "equal weights everywhere"),
    (lambda m1, v1, n1, m2, v2, n2: ((m1 + m2) / 2, v1),
     "your mean weights the parts equally"),
    (lambda m1, v1, n1, m2, v2, n2: v1, "two things"),
])
def test_sync_variance_hints(answer, hint):
    assert hint in _hint("ex-08-sync-variance", answer)


def test_sync_variance_unbiased_hint():
    good = reference("ex-08-sync-variance", "pooled")

    def unbiased(m1, v1, n1, m2, v2, n2):
        mean, variance = good(m1, v1, n1, m2, v2, n2)
        return mean, variance * (n1 + n2) / (n1 + n2 - 1)

    assert "unbiased variance" in _hint("ex-08-sync-variance", unbiased)


def _build_and_train(axis=-1, training=False, repair=True):
    """The exercise's function with its three bugs switched on or off."""
    from bnbook.moving import recalibrate

    def build_and_train(x, y, epochs):
        inputs = keras.Input(shape=x.shape[1:])
        h = keras.layers.Conv2D(16, 3, use_bias=False)(inputs)
        h = keras.layers.BatchNormalization(axis=axis)(h)
        h = keras.layers.Activation("relu")(h)
        h = keras.layers.GlobalAveragePooling2D()(h)
        h = keras.layers.Dense(32, use_bias=False)(h)
        h = keras.layers.BatchNormalization()(h)
        h = keras.layers.Activation("relu")(h)
        outputs = keras.layers.Dense(10, activation="softmax")(h)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer=keras.optimizers.Adam(0.01),
                      loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
        if repair:
            recalibrate(model, x)
        for image in x[:100]:
            model(image[None], training=training)
        return model
    return build_and_train


def test_debug_reference_passes():
    passed, message = verdict("ex-08-debug", reference("ex-08-debug", "build_and_train"))
    assert passed, message


@pytest.mark.parametrize(("options", "hint"), [
    ({"axis": 1}, "is not the channel axis"),
    ({"repair": False}, "of the initial values"),
    ({"training": True}, "in training mode on single images"),
])
def test_debug_hints(options, hint):
    assert hint in _hint("ex-08-debug", _build_and_train(**options))


def test_debug_wants_a_model():
    assert "should return the trained keras.Model" in _hint(
        "ex-08-debug", lambda x, y, epochs: None)
