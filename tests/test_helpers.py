"""Helpers that several chapters share: accuracy, BN's moving statistics,
the small CNN, and the image preparation in bnbook.data."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from bnbook.data import shrink, standardize_pixels
from bnbook.evaluate import accuracy
from bnbook.models import small_cnn
from bnbook.moving import batchnorm_layers, moving_statistics, recalibrate


def _bn_net(units: int = 4) -> keras.Model:
    inputs = keras.Input((3,))
    h = keras.layers.Dense(units, use_bias=False)(inputs)
    h = keras.layers.BatchNormalization(name="bn")(h)
    outputs = keras.layers.Dense(2)(keras.layers.Activation("relu")(h))
    return keras.Model(inputs, outputs)


def _data(n: int = 64, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = (3 + 2 * rng.normal(size=(n, 3))).astype("float32")
    return x, (x[:, 0] > 3).astype(int)


# ------------------------------------------------------------------ accuracy


def test_accuracy_counts_the_largest_output_as_the_class():
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Identity()(inputs))
    x = np.array([[1, 0], [0, 1], [2, 1], [0, 3]], dtype="float32")
    assert accuracy(model, x, np.array([0, 1, 0, 1])) == 1.0
    assert accuracy(model, x, np.array([1, 1, 0, 0])) == 0.5


def test_accuracy_with_one_probability_output_and_nan():
    inputs = keras.Input((1,))
    model = keras.Model(inputs, keras.layers.Identity()(inputs))
    x = np.array([[0.9], [0.2], [np.nan], [0.6]], dtype="float32")
    # NaN counts as 0, so as class 0.
    assert accuracy(model, x, np.array([1, 0, 0, 0])) == 0.75


def test_accuracy_in_training_mode_leaves_the_moving_statistics_alone():
    model = _bn_net()
    x, y = _data()
    before = moving_statistics(model)
    inference = accuracy(model, x, y)
    training = accuracy(model, x, y, training=True)
    after = moving_statistics(model)
    for name in before:
        np.testing.assert_array_equal(before[name][0], after[name][0])
        np.testing.assert_array_equal(before[name][1], after[name][1])
    # The two modes differ here: the inputs are far from mean 0, variance 1.
    logits = keras.ops.convert_to_numpy(model(x, training=True))
    assert training == np.mean(logits.argmax(axis=1) == y)
    assert 0 <= inference <= 1


def test_accuracy_of_a_subclassed_model():
    class Wrapped(keras.Model):
        def __init__(self):
            super().__init__()
            self.inner = _bn_net()

        def call(self, x, training=False):
            return self.inner(x, training=training)

    model = Wrapped()
    x, y = _data(8)
    logits = keras.ops.convert_to_numpy(model(x))
    assert accuracy(model, x, y) == np.mean(logits.argmax(axis=1) == y)


@pytest.mark.parametrize("call, message", [
    (lambda m, x, y: accuracy("model", x, y), "model must be a keras.Model"),
    (lambda m, x, y: accuracy(m, x, y[:-1]), "one class label per row"),
    (lambda m, x, y: accuracy(m, x[:, :2], y), "rows of shape"),
    (lambda m, x, y: accuracy(m, x, y, training=1), "training must be True or False"),
    (lambda m, x, y: accuracy(m, [["a"] * 3] * 4, y[:4]), "x must be an array of numbers"),
])
def test_accuracy_rejects_bad_input(call, message):
    x, y = _data(8)
    with pytest.raises((TypeError, ValueError), match=message):
        call(_bn_net(), x, y)


# ---------------------------------------------------------- moving statistics


def test_batchnorm_layers_finds_nested_ones_in_order():
    inner = _bn_net()
    inputs = keras.Input((3,))
    h = keras.layers.BatchNormalization(name="outer_bn")(inputs)
    model = keras.Model(inputs, inner(h))
    assert [layer.name for layer in batchnorm_layers(model)] == ["outer_bn", "bn"]
    assert list(moving_statistics(model)) == ["outer_bn", "bn"]


def test_recalibrate_sets_the_exact_statistics_of_x():
    model = _bn_net()
    x, _ = _data()
    momentum = batchnorm_layers(model)[0].momentum
    recalibrate(model, x)
    kernel = model.layers[1].get_weights()[0]
    h = x @ kernel
    mean, variance = moving_statistics(model)["bn"]
    np.testing.assert_allclose(mean, h.mean(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(variance, h.var(axis=0), rtol=1e-4, atol=1e-5)
    assert batchnorm_layers(model)[0].momentum == momentum


def test_recalibrate_in_batches_averages_them_with_equal_weight():
    model = _bn_net()
    x, _ = _data()
    recalibrate(model, x, batch_size=16)
    h = x @ model.layers[1].get_weights()[0]
    means = h.reshape(4, 16, -1).mean(axis=1).mean(axis=0)
    np.testing.assert_allclose(moving_statistics(model)["bn"][0], means, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    ({"x": np.zeros((1, 3))}, "at least 2 rows"),
    ({"batch_size": 1}, "batch_size must be an int of at least 2"),
    ({"batch_size": 2.5}, "batch_size must be an int"),
])
def test_recalibrate_rejects_bad_input(kwargs, message):
    x, _ = _data(8)
    arguments = {"x": x, **kwargs}
    with pytest.raises(ValueError, match=message):
        recalibrate(_bn_net(), **arguments)


def test_recalibrate_needs_a_batchnorm_layer():
    inputs = keras.Input((3,))
    with pytest.raises(ValueError, match="no BatchNormalization layer"):
        recalibrate(keras.Model(inputs, keras.layers.Dense(2)(inputs)), np.zeros((4, 3)))
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        moving_statistics([1, 2])


# ---------------------------------------------------------------- small_cnn


def test_small_cnn_shapes_and_momentum():
    model = small_cnn(momentum=0.9)
    assert model.output_shape == (None, 10)
    assert [layer.momentum for layer in batchnorm_layers(model)] == [0.9, 0.9]
    convolutions = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [layer.use_bias for layer in convolutions] == [False, False]
    assert small_cnn(image_shape=(32, 32, 3), classes=3).output_shape == (None, 3)


@pytest.mark.parametrize("kwargs, message", [
    ({"momentum": 1.0}, "momentum must be a number in"),
    ({"image_shape": (28, 28)}, "image_shape must be"),
    ({"classes": 1}, "classes must be an int"),
    ({"image_shape": (16, 16, 3)}, "at least 20 x 20"),
])
def test_small_cnn_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        small_cnn(**kwargs)


# ------------------------------------------------------ image preparation


def test_shrink_averages_two_by_two_blocks_in_unit_range():
    images = np.arange(2 * 4 * 4 * 1, dtype=float).reshape(2, 4, 4, 1) * 4
    small = shrink(images)
    assert small.shape == (2, 2, 2, 1) and small.dtype == np.float32
    block = images[0, :2, :2, 0].mean() / 255
    assert small[0, 0, 0, 0] == pytest.approx(block)


@pytest.mark.parametrize("images, message", [
    (np.zeros((2, 3, 4, 1)), "even height"),
    (np.zeros((2, 4)), "a batch of images"),
    ([["a"]], "array of pixel values"),
])
def test_shrink_rejects_bad_input(images, message):
    with pytest.raises((TypeError, ValueError), match=message):
        shrink(images)


def test_standardize_pixels_flattens_standardized_images():
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, size=(5, 4, 4)).astype("float32")
    flat = standardize_pixels(images, images.mean(), images.std())
    assert flat.shape == (5, 16)
    assert flat.mean() == pytest.approx(0, abs=1e-5) and flat.std() == pytest.approx(1, abs=1e-5)
    per_pixel = standardize_pixels(images, images.mean(axis=0), images.std(axis=0))
    np.testing.assert_allclose(per_pixel.mean(axis=0), 0, atol=1e-4)
    with pytest.raises(ValueError, match="std must be positive"):
        standardize_pixels(images, 0.0, 0.0)
    with pytest.raises(ValueError, match="mean must be a number or one value per pixel"):
        standardize_pixels(images, np.zeros(3), 1.0)
