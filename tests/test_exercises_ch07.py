"""Chapter 7's checkers: the book's solutions pass, typical mistakes get their hint."""

from __future__ import annotations

import keras
import pytest
from solutions import reference

from bnbook.exercises import verdict


def _freeze_bn(layers) -> None:
    for layer in layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def _compile(model, learning_rate) -> None:
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy")


def _inputs(base, layer, x, output: bool = False):
    z = keras.Model(base.input, layer.output if output else layer.input)(x)
    z = keras.ops.convert_to_numpy(z)
    return z.reshape(-1, z.shape[-1])


def _norms(base) -> list:
    return [layer for layer in base.layers
            if isinstance(layer, keras.layers.BatchNormalization)]


# ex-07-unfreeze

def test_unfreeze_reference_passes():
    passed, message = verdict("ex-07-unfreeze",
                              reference("ex-07-unfreeze", "prepare_for_finetuning"))
    assert passed, message


def _the_colleagues(base, model, learning_rate):
    _freeze_bn(base.layers)
    base.trainable = True
    model.optimizer.learning_rate = learning_rate


def _order_fixed_only(base, model, learning_rate):
    base.trainable = True
    _freeze_bn(base.layers)
    model.optimizer.learning_rate = learning_rate


def _compile_fixed_only(base, model, learning_rate):
    _freeze_bn(base.layers)
    base.trainable = True
    _compile(model, learning_rate)


def _compiled_first(base, model, learning_rate):
    _compile(model, learning_rate)
    base.trainable = True
    _freeze_bn(base.layers)


def _bn_searched_in_model(base, model, learning_rate):
    base.trainable = True
    _freeze_bn(model.layers)
    _compile(model, learning_rate)


def _base_left_frozen(base, model, learning_rate):
    _freeze_bn(base.layers)
    _compile(model, learning_rate)


def _old_optimizer(base, model, learning_rate):
    base.trainable = True
    _freeze_bn(base.layers)
    model.optimizer.learning_rate = learning_rate
    model.compile(optimizer=model.optimizer, loss="sparse_categorical_crossentropy")


def _default_rate(base, model, learning_rate):
    base.trainable = True
    _freeze_bn(base.layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")


@pytest.mark.parametrize("wrong, hint", [
    (_the_colleagues, "BN layers included"),
    (_compile_fixed_only, "freeze the BN layers after unfreezing the base"),
    (_bn_searched_in_model, "model.layers holds the whole base"),
    (_order_fixed_only, "does not compile the model again"),
    (_compiled_first, "you compiled before you changed trainable"),
    (_base_left_frozen, "will not train: unfreeze the base"),
    (_old_optimizer, "the optimizer of phase 1"),
    (_default_rate, "learning rate is 0.001"),
    (..., "replace the ..."),
])
def test_unfreeze_mistakes_get_their_hint(wrong, hint):
    passed, message = verdict("ex-07-unfreeze", wrong)
    assert not passed
    assert hint in message


# ex-07-what-trains

def test_what_trains_reference_passes():
    passed, message = verdict("ex-07-what-trains",
                              reference("ex-07-what-trains", "prediction"))
    assert passed, message
    assert "7,317" in message and "192" in message


@pytest.mark.parametrize("wrong, hint", [
    ((7413, 96), "you counted gamma and beta as trainable"),
    ((7509, 0), "never trainable"),
    ((2565, 4944), "that is way (c)"),
    ((4752, 192), "you left out the head"),
    ((7365, 192), "use_bias=False"),
    ((6197, 192), "recount the head"),
    ((7000, 509), "your total (7,509) is right"),
    (7317, "expected a pair of numbers"),
    (..., "replace the ..."),
])
def test_what_trains_mistakes_get_their_hint(wrong, hint):
    passed, message = verdict("ex-07-what-trains", wrong)
    assert not passed
    assert hint in message


# ex-07-recalibrate

def test_recalibrate_reference_passes():
    passed, message = verdict("ex-07-recalibrate",
                              reference("ex-07-recalibrate", "recalibrate"))
    assert passed, message


def test_recalibrate_by_one_training_call_at_momentum_zero_passes():
    def recalibrate(base, x):
        momenta = [layer.momentum for layer in _norms(base)]
        for layer in _norms(base):
            layer.momentum = 0.0
        base(x, training=True)
        for layer, momentum in zip(_norms(base), momenta, strict=True):
            layer.momentum = momentum

    passed, message = verdict("ex-07-recalibrate", recalibrate)
    assert passed, message


def _one_pass(base, x):
    inputs = [_inputs(base, layer, x) for layer in _norms(base)]
    for layer, z in zip(_norms(base), inputs, strict=True):
        layer.moving_mean.assign(z.mean(axis=0))
        layer.moving_variance.assign(z.var(axis=0))


def _recalibrator(ddof: int = 0, output: bool = False, std: bool = False,
                  flatten: bool = True):
    def recalibrate(base, x):
        for layer in _norms(base):
            z = _inputs(base, layer, x, output)
            if not flatten:
                z = keras.ops.convert_to_numpy(keras.Model(base.input, layer.input)(x))
            spread = z.std(axis=0) if std else z.var(axis=0, ddof=ddof)
            layer.moving_mean.assign(z.mean(axis=0))
            layer.moving_variance.assign(spread)
    return recalibrate


def _measures_only(base, x):
    for layer in _norms(base):
        _inputs(base, layer, x)


def _one_training_call(base, x):
    base(x, training=True)


@pytest.mark.parametrize("wrong, hint", [
    (_one_pass, "through the stale statistics"),
    (_recalibrator(ddof=1), "divided by n - 1"),
    (_recalibrator(output=True), "you measured each BN layer's output"),
    (_recalibrator(std=True), "you stored a standard deviation"),
    (_recalibrator(flatten=False), "average over every other axis"),
    (_measures_only, "the moving statistics did not change"),
    (_one_training_call, "moved only part of the way"),
    (..., "replace the ..."),
])
def test_recalibrate_mistakes_get_their_hint(wrong, hint):
    passed, message = verdict("ex-07-recalibrate", wrong)
    assert not passed
    assert hint in message
