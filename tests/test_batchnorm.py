"""bnbook.batchnorm: parity with keras.layers.BatchNormalization, gradients, bad input.

"Relative difference" is max|ours - keras| / max|keras| over the whole array.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from bnbook.autodiff import value_and_grad

from bnbook.batchnorm import BatchNorm, batch_moments, batchnorm_backward, batchnorm_forward

TOLERANCE = 1e-5
# (shape, axis): dense features, channels-last images, channels-first images.
LAYOUTS = [((32, 6), -1), ((8, 5, 4, 3), -1), ((8, 3, 5, 4), 1), ((16, 4, 7), -2)]
LAYOUT_IDS = ["dense", "nhwc", "nchw", "axis-2"]
# Momentum 0.5 is left out on purpose: there the Keras and PyTorch update rules coincide.
MOMENTA = [0.99, 0.9, 0.6, 0.0]


def relative_difference(ours, reference) -> float:
    ours = np.asarray(ours, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    return float(np.abs(ours - reference).max() / np.abs(reference).max())


def _batch(rng, shape, scale=3.0, shift=2.0):
    return (rng.normal(size=shape) * scale + shift).astype("float32")


def _keras_layer(shape, axis, momentum=0.99, epsilon=1e-3, gamma=None, beta=None):
    layer = keras.layers.BatchNormalization(axis=axis, momentum=momentum, epsilon=epsilon)
    layer.build(shape)
    if gamma is not None:
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
    return layer


def _numpy(tensor) -> np.ndarray:
    # convert_to_numpy on a variable warns under NumPy 2 (TensorFlow backend); .numpy() does not.
    if isinstance(tensor, keras.Variable):
        return tensor.numpy()
    return keras.ops.convert_to_numpy(tensor)


@pytest.mark.parametrize(("shape", "axis"), LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("epsilon", [1e-3, 1e-5, 0.1])
def test_forward_matches_keras_in_both_modes(shape, axis, epsilon):
    rng = np.random.default_rng(0)
    x = _batch(rng, shape)
    channels = shape[axis]
    gamma = rng.normal(size=channels).astype("float32")
    beta = rng.normal(size=channels).astype("float32")
    layer = _keras_layer(shape, axis, epsilon=epsilon, gamma=gamma, beta=beta)

    y, _ = batchnorm_forward(x, gamma, beta, axis=axis, epsilon=epsilon)
    assert y.dtype == np.float32 and y.shape == x.shape
    assert relative_difference(y, _numpy(layer(x, training=True))) <= TOLERANCE

    ours = BatchNorm(axis=axis, epsilon=epsilon)
    ours(x[:2])  # build with Keras's initial values ...
    ours.gamma, ours.beta = gamma.astype(np.float64), beta.astype(np.float64)
    ours.moving_mean = rng.normal(size=channels)  # ... then give both the same state
    ours.moving_variance = rng.uniform(0.5, 4.0, size=channels)
    layer.moving_mean.assign(ours.moving_mean.astype("float32"))
    layer.moving_variance.assign(ours.moving_variance.astype("float32"))
    inference = _numpy(layer(x, training=False))
    assert relative_difference(ours(x, training=False), inference) <= TOLERANCE


@pytest.mark.parametrize(("shape", "axis"), LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("momentum", MOMENTA)
def test_moving_statistics_match_keras_after_several_steps(shape, axis, momentum):
    rng = np.random.default_rng(1)
    layer = _keras_layer(shape, axis, momentum=momentum)
    ours = BatchNorm(axis=axis, momentum=momentum)
    for step in range(6):
        x = _batch(rng, shape, scale=1.0 + step, shift=-1.0 + step)
        y_keras = _numpy(layer(x, training=True))
        assert relative_difference(ours(x, training=True), y_keras) <= TOLERANCE
    assert relative_difference(ours.moving_mean, _numpy(layer.moving_mean)) <= TOLERANCE
    assert relative_difference(ours.moving_variance, _numpy(layer.moving_variance)) <= TOLERANCE
    x = _batch(rng, shape)
    assert relative_difference(ours(x), _numpy(layer(x, training=False))) <= TOLERANCE


@pytest.mark.parametrize(("shape", "axis"), LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("epsilon", [1e-3, 1e-5])
def test_gradients_match_keras(shape, axis, epsilon):
    rng = np.random.default_rng(2)
    x = _batch(rng, shape)
    dy = rng.normal(size=shape).astype("float32")
    channels = shape[axis]
    gamma = rng.normal(size=channels).astype("float32")
    beta = rng.normal(size=channels).astype("float32")
    layer = _keras_layer(shape, axis, epsilon=epsilon, gamma=gamma, beta=beta)
    moving = [v.value for v in layer.non_trainable_variables]

    def loss(params):
        y, _ = layer.stateless_call(params[1:], moving, params[0], training=True)
        return keras.ops.sum(keras.ops.multiply(y, dy))

    _, expected = value_and_grad(loss, compile=False)([x, layer.gamma.value, layer.beta.value])

    _, cache = batchnorm_forward(x, gamma, beta, axis=axis, epsilon=epsilon)
    for name, ours, theirs in zip(("dx", "dgamma", "dbeta"), batchnorm_backward(dy, cache),
                                  expected, strict=True):
        assert ours.dtype == np.float32, name
        assert relative_difference(ours, _numpy(theirs)) <= TOLERANCE, name


def test_float64_matches_a_float64_keras_layer_closely():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("measured: on JAX (without jax_enable_x64) and on PyTorch the layer "
                    "agrees only to float32 precision, about 1e-7")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(10, 4)) * 5 + 1
    layer = keras.layers.BatchNormalization(dtype="float64", momentum=0.9)
    ours = BatchNorm(momentum=0.9)
    for _ in range(3):
        y = ours(x, training=True)
        assert y.dtype == np.float64
        assert relative_difference(y, _numpy(layer(x, training=True))) <= 1e-12
    assert relative_difference(ours.moving_variance, _numpy(layer.moving_variance)) <= 1e-12


@pytest.mark.parametrize(("shape", "axis"), [((6, 3), -1), ((4, 3, 2, 2), 1)])
def test_backward_matches_finite_differences(shape, axis):
    rng = np.random.default_rng(4)
    x = rng.normal(size=shape) * 2 + 1
    channels = shape[axis]
    gamma = rng.normal(size=channels)
    beta = rng.normal(size=channels)
    dy = rng.normal(size=shape)

    def loss(x_, gamma_, beta_):
        return float(np.sum(batchnorm_forward(x_, gamma_, beta_, axis=axis)[0] * dy))

    def numerical(array, evaluate, step=1e-6):
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            plus, minus = array.copy(), array.copy()
            plus[index] += step
            minus[index] -= step
            grad[index] = (evaluate(plus) - evaluate(minus)) / (2 * step)
        return grad

    _, cache = batchnorm_forward(x, gamma, beta, axis=axis)
    dx, dgamma, dbeta = batchnorm_backward(dy, cache)
    assert dx.dtype == np.float64
    assert relative_difference(dx, numerical(x, lambda v: loss(v, gamma, beta))) < 1e-7
    assert relative_difference(dgamma, numerical(gamma, lambda v: loss(x, v, beta))) < 1e-7
    assert relative_difference(dbeta, numerical(beta, lambda v: loss(x, gamma, v))) < 1e-7


def test_initial_state_and_defaults_follow_keras():
    layer = keras.layers.BatchNormalization()
    ours = BatchNorm()
    assert (ours.axis, ours.momentum, ours.epsilon) == (layer.axis, layer.momentum, layer.epsilon)
    assert ours.gamma is None and ours.moving_variance is None
    x = np.arange(12, dtype="float32").reshape(4, 3)
    y = ours(x)  # inference mode on the first call: the initial statistics
    np.testing.assert_array_equal(ours.gamma, np.ones(3))
    np.testing.assert_array_equal(ours.beta, np.zeros(3))
    np.testing.assert_array_equal(ours.moving_mean, np.zeros(3))
    np.testing.assert_array_equal(ours.moving_variance, np.ones(3))
    assert relative_difference(y, _numpy(layer(x))) <= TOLERANCE


@pytest.mark.parametrize(("shape", "axis"), LAYOUTS, ids=LAYOUT_IDS)
def test_batch_moments_are_the_per_feature_mean_and_biased_variance(shape, axis):
    x = _batch(np.random.default_rng(7), shape)
    mean, variance = batch_moments(x, axis=axis)
    moved = np.moveaxis(x.astype(np.float64), axis, -1).reshape(-1, shape[axis])
    np.testing.assert_allclose(mean, moved.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(variance, moved.var(axis=0), rtol=1e-12)
    _, cache = batchnorm_forward(x, np.ones(shape[axis]), np.zeros(shape[axis]), axis=axis)
    np.testing.assert_allclose(cache.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(cache.variance, variance, rtol=1e-12)


def test_dtypes():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5, 2))
    ones, zeros = np.ones(2), np.zeros(2)
    assert batchnorm_forward(x.astype("float16"), ones, zeros)[0].dtype == np.float32
    assert batchnorm_forward(x.astype("float64"), ones, zeros)[0].dtype == np.float64
    assert batchnorm_forward(np.arange(10).reshape(5, 2), ones, zeros)[0].dtype == np.float32


def test_an_image_batch_of_one_still_has_many_values_per_channel():
    x = np.random.default_rng(6).normal(size=(1, 4, 4, 2))
    y, _ = batchnorm_forward(x, np.ones(2), np.zeros(2))
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0, atol=1e-12)


def test_a_batch_of_one_works_in_inference_mode():
    ours = BatchNorm()
    assert ours(np.ones((1, 3))).shape == (1, 3)


# ---- bad input: a clear error that names the argument --------------------------------------

def test_axis_out_of_range():
    x = np.ones((4, 3))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        batchnorm_forward(x, np.ones(3), np.zeros(3), axis=2)
    with pytest.raises(ValueError, match="axis -3 is out of range"):
        BatchNorm(axis=-3)(x, training=True)
    with pytest.raises(TypeError, match="axis must be an int"):
        BatchNorm(axis=1.0)
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        batch_moments(x, axis=3)


@pytest.mark.parametrize("name", ["gamma", "beta"])
def test_parameters_of_the_wrong_size(name):
    params = {"gamma": np.ones(3), "beta": np.zeros(3)}
    params[name] = np.ones(4)
    with pytest.raises(ValueError, match=rf"{name} must have shape \(3,\)"):
        batchnorm_forward(np.ones((4, 3)), params["gamma"], params["beta"])


def test_a_batch_of_one_in_training_mode():
    with pytest.raises(ValueError, match="variance of a single value is zero"):
        batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"x has 1 value\(s\) per feature \(axis=-1"):
        BatchNorm()(np.ones((1, 3)), training=True)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input(bad):
    x = np.ones((4, 3))
    x[1, 2] = bad
    with pytest.raises(ValueError, match="x must be finite"):
        batchnorm_forward(x, np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="x must be finite"):
        BatchNorm()(x)
    with pytest.raises(ValueError, match="gamma must be finite"):
        batchnorm_forward(np.ones((4, 3)), x[1], np.zeros(3))
    _, cache = batchnorm_forward(np.arange(12.0).reshape(4, 3), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="dy must be finite"):
        batchnorm_backward(x, cache)


@pytest.mark.parametrize("momentum", [-0.1, 1.5, "0.9", None])
def test_momentum_outside_unit_interval(momentum):
    with pytest.raises(ValueError, match="momentum must be a number in"):
        BatchNorm(momentum=momentum)


@pytest.mark.parametrize("epsilon", [0, -1e-3, float("nan")])
def test_epsilon_not_positive(epsilon):
    with pytest.raises(ValueError, match="epsilon must be a finite number > 0"):
        BatchNorm(epsilon=epsilon)
    with pytest.raises(ValueError, match="epsilon must be a finite number > 0"):
        batchnorm_forward(np.ones((4, 3)), np.ones(3), np.zeros(3), epsilon=epsilon)


def test_backward_bad_arguments():
    _, cache = batchnorm_forward(np.arange(12.0).reshape(4, 3), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"dy must have the shape of x, \(4, 3\)"):
        batchnorm_backward(np.ones((4, 2)), cache)
    with pytest.raises(TypeError, match="cache must come from batchnorm_forward"):
        batchnorm_backward(np.ones((4, 3)), {"x_hat": 1})


def test_feature_count_may_not_change_after_the_first_call():
    ours = BatchNorm()
    ours(np.ones((4, 3)))
    with pytest.raises(ValueError, match="x has 5 features along axis -1"):
        ours(np.ones((4, 5)))


def test_non_numeric_input():
    with pytest.raises(TypeError, match="x must hold real numbers"):
        batchnorm_forward(np.array([["a", "b"], ["c", "d"]]), np.ones(2), np.zeros(2))


def test_axis_of_the_wrong_type_in_the_functional_api():
    x = np.ones((4, 3))
    for bad in (1.0, True):
        with pytest.raises(TypeError, match=rf"axis must be an int, got {bad!r}"):
            batchnorm_forward(x, np.ones(3), np.zeros(3), axis=bad)
        with pytest.raises(TypeError, match=rf"axis must be an int, got {bad!r}"):
            batch_moments(x, axis=bad)


@pytest.mark.parametrize("training", ["no", 1, 0.0])
def test_training_must_be_a_bool(training):
    ours = BatchNorm()
    with pytest.raises(TypeError, match="training must be True, False or None"):
        ours(np.ones((4, 3)), training=training)
    assert ours.moving_mean is None  # refused before anything was built or updated


def test_training_none_is_inference_mode():
    x = _batch(np.random.default_rng(9), (6, 3))
    ours = BatchNorm()
    np.testing.assert_array_equal(ours(x, training=None), ours(x, training=False))
    np.testing.assert_array_equal(ours.moving_mean, np.zeros(3))


def test_an_empty_batch_has_no_moments():
    with pytest.raises(ValueError, match=r"x has no values per feature \(axis=-1, shape \(0, 3\)"):
        batch_moments(np.empty((0, 3)))
    with pytest.raises(ValueError, match="x has 0 value"):
        batchnorm_forward(np.empty((0, 3)), np.ones(3), np.zeros(3))


@pytest.mark.parametrize(("shape", "axis"), LAYOUTS, ids=LAYOUT_IDS)
def test_a_frozen_layer_runs_in_inference_mode_like_keras(shape, axis):
    # Keras 3 gates the training branch on `training and self.trainable`.
    rng = np.random.default_rng(10)
    channels = shape[axis]
    layer = _keras_layer(shape, axis, momentum=0.9)
    ours = BatchNorm(axis=axis, momentum=0.9)
    for step in range(3):  # give both the same, non-initial moving statistics
        x = _batch(rng, shape, scale=1.0 + step)
        layer(x, training=True)
        ours(x, training=True)
    mean, variance = ours.moving_mean.copy(), ours.moving_variance.copy()
    layer.trainable = False
    ours.trainable = False
    x = _batch(rng, shape)
    frozen_keras = _numpy(layer(x, training=True))
    frozen_ours = ours(x, training=True)
    assert relative_difference(frozen_keras, _numpy(layer(x, training=False))) == 0.0
    assert relative_difference(frozen_ours, frozen_keras) <= TOLERANCE
    np.testing.assert_array_equal(ours.moving_mean, mean)
    np.testing.assert_array_equal(ours.moving_variance, variance)
    assert relative_difference(ours.moving_variance, _numpy(layer.moving_variance)) <= TOLERANCE
    # not normalized with the batch statistics: the output keeps the batch's offset
    assert np.abs(batch_moments(frozen_ours, axis=axis)[0]).max() > 0.5
    assert channels == ours.gamma.shape[0]
    layer.trainable = True
    ours.trainable = True
    ours(x, training=True)
    assert not np.array_equal(ours.moving_mean, mean)


def test_trainable_must_be_a_bool():
    with pytest.raises(TypeError, match="trainable must be True or False"):
        BatchNorm(trainable="no")
    assert "trainable=False" in repr(BatchNorm(trainable=False))


def test_dtype_differs_from_keras_for_float64_input_only():
    # Keras returns its compute dtype (float32 by default) whatever the input;
    # the NumPy functions keep float64 (see the module docstring).
    x = np.random.default_rng(11).normal(size=(5, 2))
    keras_out = keras.layers.BatchNormalization()(x, training=True)
    assert keras.backend.standardize_dtype(keras_out.dtype) == "float32"
    assert batchnorm_forward(x, np.ones(2), np.zeros(2))[0].dtype == np.float64
    for dtype in ("float16", "float32"):
        keras_out = keras.layers.BatchNormalization()(x.astype(dtype), training=True)
        ours = batchnorm_forward(x.astype(dtype), np.ones(2), np.zeros(2))[0]
        assert keras.backend.standardize_dtype(keras_out.dtype) == ours.dtype == "float32"


def test_numpy_scalars_are_valid_epsilon_and_momentum():
    x = np.arange(12.0).reshape(4, 3)
    gamma, beta = np.ones(3), np.zeros(3)
    y_int, _ = batchnorm_forward(x, gamma, beta, epsilon=np.int64(1))
    y_float, _ = batchnorm_forward(x, gamma, beta, epsilon=1.0)
    np.testing.assert_array_equal(y_int, y_float)
    assert BatchNorm(momentum=np.float32(0.9)).momentum == pytest.approx(0.9)
