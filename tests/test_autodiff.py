"""bnbook.autodiff: one gradient call on every backend (run under each in CI)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from bnbook import autodiff
from bnbook.autodiff import backend_name, to_numpy, value_and_grad


def quadratic(params, x):
    """sum((W x)^2) + 3 b: gradients 2 (W x) x^T and 3, none for the unused third."""
    w, b, _unused = params
    return keras.ops.sum(keras.ops.square(keras.ops.matmul(w, x))) + 3.0 * keras.ops.sum(b)


W = np.array([[1.0, -2.0], [0.5, 3.0]], dtype="float32")
B = np.array([0.1, 0.2], dtype="float32")
U = np.ones((4,), dtype="float32")
X = np.array([[2.0], [-1.0]], dtype="float32")


@pytest.mark.parametrize("compile", [True, False])
def test_value_and_gradients_match_the_calculus(compile):
    value, grads = value_and_grad(quadratic, compile=compile)([W, B, U], X)
    wx = W @ X
    assert float(keras.ops.convert_to_numpy(value)) == pytest.approx(
        float(np.sum(wx**2) + 3 * B.sum()), rel=1e-6)
    dw, db, du = to_numpy(grads)
    np.testing.assert_allclose(dw, 2 * wx @ X.T, rtol=1e-6)
    np.testing.assert_allclose(db, [3.0, 3.0])
    np.testing.assert_array_equal(du, np.zeros(4))  # unused: zeros, not None


def test_gradients_through_a_stateless_model_call():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    moving = [v.value for v in model.non_trainable_variables]

    def loss(params, x):
        y, _ = model.stateless_call(params, moving, x)
        return keras.ops.sum(y)

    _, (grad,) = value_and_grad(loss)([model.layers[0].kernel.value], X.T)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(grad), X, rtol=1e-6)


def test_to_numpy_converts_values_and_casts():
    first, second = to_numpy([keras.ops.convert_to_tensor(B), keras.ops.arange(3)], np.float64)
    assert first.dtype == second.dtype == np.float64
    np.testing.assert_array_equal(first, B.astype(np.float64))
    np.testing.assert_array_equal(second, [0.0, 1.0, 2.0])
    (kept,) = to_numpy((keras.ops.convert_to_tensor(W),))  # no dtype: the tensor's own
    assert kept.dtype == np.float32


@pytest.mark.parametrize("make", [lambda: None, lambda: "abc", lambda: W,
                                  lambda: keras.ops.convert_to_tensor(W)],
                         ids=["None", "str", "array", "tensor"])
def test_to_numpy_needs_a_list(make):
    """A single tensor is not silently split into its rows."""
    with pytest.raises(TypeError, match=r"^values must be a list of tensors"):
        to_numpy(make())


@pytest.mark.parametrize("compile", [True, False])
def test_fn_must_return_a_scalar(compile):
    """TensorFlow would silently differentiate the sum of a vector; every backend refuses."""
    def vector(params):
        return keras.ops.multiply(params[0], 2.0)

    with pytest.raises(ValueError, match=r"^fn must return a scalar, got a value of shape \(3,\)"):
        value_and_grad(vector, compile=compile)([np.ones(3, "float32")])


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_backend_name_passes_the_three_supported_backends(monkeypatch, backend):
    monkeypatch.setattr(autodiff.keras.backend, "backend", lambda: backend)
    assert backend_name() == backend


def test_unknown_backend_is_named(monkeypatch):
    monkeypatch.setattr(autodiff.keras.backend, "backend", lambda: "openvino")
    with pytest.raises(NotImplementedError, match=r"supports the Keras backends.*'openvino'"):
        value_and_grad(quadratic)


@pytest.mark.parametrize("fn", [None, 3, "loss"])
def test_fn_must_be_callable(fn):
    with pytest.raises(TypeError, match=r"^fn must be callable"):
        value_and_grad(fn)


def test_compile_must_be_bool():
    with pytest.raises(TypeError, match=r"^compile must be True or False"):
        value_and_grad(quadratic, compile="yes")


@pytest.mark.parametrize("params", [W, "w", None])
def test_params_must_be_a_list(params):
    with pytest.raises(TypeError, match=r"^params must be a list"):
        value_and_grad(quadratic)(params, X)
