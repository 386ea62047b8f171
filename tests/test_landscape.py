"""bnbook.landscape: loss and gradient along the gradient, and internal covariate shift.

The values are checked against closed forms:

* a linear least-squares model, ``L(w) = mean((X w - y)^2)``, is an exact
  quadratic: its gradient is ``g = 2/n X^T (X w - y)``, its Hessian
  ``H = 2/n X^T X``, so a step ``-eta g`` changes the loss to
  ``L - eta |g|^2 + eta^2/2 g^T H g`` and the gradient by ``-eta H g``;
* two- and three-layer linear networks ``x W1 W2 (W3)`` whose gradients are
  written by hand.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from bnbook.landscape import (
    gradient_path,
    internal_covariate_shift,
    loss_and_gradients,
    smoothness_along_gradient,
)

MSE = keras.losses.MeanSquaredError()
RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3)).astype("float32")
Y = RNG.normal(size=(16, 1)).astype("float32")
W = np.array([[0.5], [-1.0], [2.0]], dtype="float32")
W1 = np.array([[1.0, -0.5], [0.25, 2.0], [-1.0, 0.5]], dtype="float32")
W2 = np.array([[0.75], [-1.5]], dtype="float32")
W2_WIDE = np.array([[0.75, 0.5], [-1.5, 1.0]], dtype="float32")
W3 = np.array([[1.25], [-0.5]], dtype="float32")


def linear_model() -> keras.Model:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False)])
    model.set_weights([W])
    return model


def two_layer_model() -> keras.Model:
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(2, use_bias=False, name="first")(inputs)
    outputs = keras.layers.Dense(1, use_bias=False, name="second")(hidden)
    model = keras.Model(inputs, outputs)
    model.set_weights([W1, W2])
    return model


def three_layer_model() -> keras.Model:
    inputs = keras.Input((3,))
    h = keras.layers.Dense(2, use_bias=False, name="first")(inputs)
    h = keras.layers.Dense(2, use_bias=False, name="second")(h)
    model = keras.Model(inputs, keras.layers.Dense(1, use_bias=False, name="third")(h))
    model.set_weights([W1, W2_WIDE, W3])
    return model


def bn_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    h = keras.layers.Dense(4, use_bias=False, name="dense")(inputs)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.Activation("relu", name="relu")(h)
    return keras.Model(inputs, keras.layers.Dense(1, name="out")(h))


def quadratic(w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    x, y = X.astype(np.float64), Y.astype(np.float64)
    residual = x @ w - y
    n = len(x)
    return float(np.mean(residual**2)), 2 / n * x.T @ residual, 2 / n * x.T @ x


# ------------------------------------------------------- loss_and_gradients


def test_loss_and_gradients_match_the_quadratic():
    loss, grads = loss_and_gradients(linear_model(), X, Y, MSE)
    expected_loss, expected_grad, _ = quadratic(W.astype(np.float64))
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert len(grads) == 1 and grads[0].dtype == np.float64
    np.testing.assert_allclose(grads[0], expected_grad, rtol=1e-5)


def test_loss_and_gradients_at_other_weights_leave_the_model_alone():
    model = linear_model()
    other = np.array([[1.0], [0.0], [-1.0]])
    loss, grads = loss_and_gradients(model, X, Y, MSE, [other])
    expected_loss, expected_grad, _ = quadratic(other)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    np.testing.assert_allclose(grads[0], expected_grad, rtol=1e-5)
    np.testing.assert_array_equal(model.get_weights()[0], W)


def test_a_second_loss_on_the_same_model_is_its_own():
    """The compiled gradient is cached per model and loss: MAE after MSE is MAE."""
    model = linear_model()
    mse, _ = loss_and_gradients(model, X, Y, MSE)
    mae, grads = loss_and_gradients(model, X, Y, keras.losses.MeanAbsoluteError())
    residual = X.astype(np.float64) @ W - Y
    assert mse == pytest.approx(float(np.mean(residual**2)), rel=1e-5)
    assert mae == pytest.approx(float(np.mean(np.abs(residual))), rel=1e-5)
    np.testing.assert_allclose(grads[0], X.T @ np.sign(residual) / len(X), rtol=1e-5)
    again, _ = loss_and_gradients(model, X, Y, MSE)
    assert again == pytest.approx(mse)
    inference, _ = loss_and_gradients(model, X, Y, keras.losses.MeanAbsoluteError(),
                                      training=False)
    assert inference == pytest.approx(mae)


# ------------------------------------------------------------ gradient_path


def test_gradient_path_follows_the_quadratic_exactly():
    etas = [0.01, 0.1, 0.5]
    path = gradient_path(linear_model(), X, Y, MSE, etas)
    assert list(path.columns) == ["step_size", "distance", "loss", "grad_change", "beta"]
    assert path["step_size"].tolist() == [0.0, *etas]
    loss0, g, h = quadratic(W.astype(np.float64))
    g_norm = np.linalg.norm(g)
    assert path["loss"].iloc[0] == pytest.approx(loss0, rel=1e-5)
    assert np.isnan(path["beta"].iloc[0])
    curvature = float(g.ravel() @ h @ g.ravel())
    for eta, row in zip(etas, path.iloc[1:].itertuples(), strict=True):
        assert row.loss == pytest.approx(loss0 - eta * g_norm**2 + eta**2 / 2 * curvature, rel=1e-4)
        assert row.distance == pytest.approx(eta * g_norm, rel=1e-5)
        assert row.grad_change == pytest.approx(eta * np.linalg.norm(h @ g), rel=1e-4)
        # On a quadratic, beta along g is |H g| / |g|, whatever the step size.
        assert row.beta == pytest.approx(np.linalg.norm(h @ g) / g_norm, rel=1e-4)


def test_smoothness_summaries():
    etas = [0.01, 0.1, 0.5]
    model = linear_model()
    summary = smoothness_along_gradient(model, X, Y, MSE, etas)
    path = gradient_path(model, X, Y, MSE, etas)
    _, g, h = quadratic(W.astype(np.float64))
    assert set(summary) == {"loss", "grad_norm", "loss_variation", "gradient_change", "beta"}
    assert summary["loss"] == pytest.approx(path["loss"].iloc[0])
    assert summary["grad_norm"] == pytest.approx(np.linalg.norm(g), rel=1e-5)
    assert summary["loss_variation"] == pytest.approx(path["loss"].max() - path["loss"].min())
    assert summary["gradient_change"] == pytest.approx(0.5 * np.linalg.norm(h @ g), rel=1e-4)
    assert summary["beta"] == pytest.approx(np.linalg.norm(h @ g) / np.linalg.norm(g), rel=1e-4)
    assert summary["beta"] <= np.linalg.eigvalsh(h).max() * (1 + 1e-5)


def test_probes_change_no_state_and_use_batch_statistics():
    model = bn_model()
    before = [np.array(v) for v in model.get_weights()]
    path = gradient_path(model, X, Y, MSE, [0.1])
    internal_covariate_shift(model, X, Y, MSE, 0.1)
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    inference_loss = gradient_path(model, X, Y, MSE, [0.1], training=False)["loss"].iloc[0]
    outputs = keras.ops.convert_to_numpy(model(X, training=True))
    assert path["loss"].iloc[0] == pytest.approx(float(np.mean((outputs - Y) ** 2)), rel=1e-5)
    assert path["loss"].iloc[0] != pytest.approx(inference_loss, rel=1e-3)


# --------------------------------------------------- internal covariate shift


def test_internal_covariate_shift_matches_hand_computation():
    rate = 0.1
    table = internal_covariate_shift(two_layer_model(), X, Y, MSE, rate)
    assert list(table.columns) == ["layer", "grad_norm", "shift", "relative_shift", "cosine"]
    assert table["layer"].tolist() == ["first", "second"]
    x, y = X.astype(np.float64), Y.astype(np.float64)
    w1, w2 = W1.astype(np.float64), W2.astype(np.float64)
    n = len(x)
    residual = x @ w1 @ w2 - y
    g1 = 2 / n * x.T @ residual @ w2.T
    g2 = 2 / n * (x @ w1).T @ residual
    moved = w1 - rate * g1
    g2_after = 2 / n * (x @ moved).T @ (x @ moved @ w2 - y)
    first, second = table.to_dict("records")  # ("shift" is also a Series method)
    assert first["grad_norm"] == pytest.approx(np.linalg.norm(g1), rel=1e-5)
    assert first["shift"] == 0 and first["cosine"] == pytest.approx(1.0)
    assert second["grad_norm"] == pytest.approx(np.linalg.norm(g2), rel=1e-5)
    assert second["shift"] == pytest.approx(np.linalg.norm(g2_after - g2), rel=1e-4)
    assert second["relative_shift"] == pytest.approx(second["shift"] / second["grad_norm"])
    cosine = float(g2.ravel() @ g2_after.ravel()
                   / (np.linalg.norm(g2) * np.linalg.norm(g2_after)))
    assert second["cosine"] == pytest.approx(cosine, rel=1e-5)


def test_internal_covariate_shift_moves_every_earlier_layer():
    """Three layers: the last layer's G' follows a step of both earlier layers,
    not only of the one just before it."""
    rate = 0.1
    table = internal_covariate_shift(three_layer_model(), X, Y, MSE, rate)
    x, y = X.astype(np.float64), Y.astype(np.float64)
    w1, w2, w3 = (w.astype(np.float64) for w in (W1, W2_WIDE, W3))
    n = len(x)

    def grads(w1, w2, w3):
        d_out = 2 / n * (x @ w1 @ w2 @ w3 - y)
        return (x.T @ d_out @ (w2 @ w3).T, (x @ w1).T @ d_out @ w3.T,
                (x @ w1 @ w2).T @ d_out)

    g1, g2, g3 = grads(w1, w2, w3)
    second_after = grads(w1 - rate * g1, w2, w3)[1]
    third_after = grads(w1 - rate * g1, w2 - rate * g2, w3)[2]
    rows = table.set_index("layer")
    assert rows.loc["first", "shift"] == 0
    assert rows.loc["second", "shift"] == pytest.approx(np.linalg.norm(second_after - g2),
                                                        rel=1e-4)
    assert rows.loc["third", "grad_norm"] == pytest.approx(np.linalg.norm(g3), rel=1e-5)
    assert rows.loc["third", "shift"] == pytest.approx(np.linalg.norm(third_after - g3),
                                                       rel=1e-4)
    only_previous = grads(w1, w2 - rate * g2, w3)[2]
    assert rows.loc["third", "shift"] != pytest.approx(np.linalg.norm(only_previous - g3),
                                                       rel=1e-2)


def test_internal_covariate_shift_chosen_layers_and_earlier_bn_weights():
    model = bn_model()
    table = internal_covariate_shift(model, X, Y, MSE, 0.5, ["out"])
    assert table["layer"].tolist() == ["out"]
    assert table["shift"].iloc[0] > 0
    everything = internal_covariate_shift(model, X, Y, MSE, 0.5)
    assert everything["layer"].tolist() == ["dense", "bn", "out"]
    pd.testing.assert_frame_equal(everything.iloc[[2]].reset_index(drop=True), table)


def test_a_tiny_learning_rate_gives_a_tiny_shift():
    small = internal_covariate_shift(two_layer_model(), X, Y, MSE, 1e-4)
    large = internal_covariate_shift(two_layer_model(), X, Y, MSE, 1e-1)
    assert small["relative_shift"].iloc[1] < 1e-2 * large["relative_shift"].iloc[1]


# ------------------------------------------------------------ bad arguments


@pytest.mark.parametrize("model", [None, "model", keras.layers.Dense(2)])
def test_not_a_model(model):
    with pytest.raises(TypeError, match=r"^model must be a keras.Model"):
        loss_and_gradients(model, X, Y, MSE)
    with pytest.raises(TypeError, match=r"^model must be a keras.Model"):
        internal_covariate_shift(model, X, Y, MSE, 0.1)


@pytest.mark.parametrize("loss_fn", [None, "mse"])
def test_bad_loss_fn(loss_fn):
    with pytest.raises(TypeError, match=r"^loss_fn must be callable"):
        smoothness_along_gradient(linear_model(), X, Y, loss_fn, [0.1])


def test_x_and_y_of_different_lengths():
    with pytest.raises(ValueError, match=r"^x and y must hold as many targets as inputs"):
        gradient_path(linear_model(), X, Y[:3], MSE, [0.1])
    with pytest.raises(ValueError, match=r"^x must hold at least one sample"):
        loss_and_gradients(linear_model(), X[:0], Y[:0], MSE)


def test_batch_that_does_not_fit_the_model():
    """No silent broadcast of a wrong target width; features checked up front."""
    with pytest.raises(ValueError, match=r"^y must have 1 column\(s\).*\(16, 2\)"):
        loss_and_gradients(linear_model(), X, np.hstack([Y, Y]), MSE)
    with pytest.raises(ValueError, match=r"^x must have shape \(n, 3\).*\(16, 2\)"):
        gradient_path(linear_model(), X[:, :2], Y, MSE, [0.1])
    with pytest.raises(TypeError, match=r"^x must hold real numbers"):
        internal_covariate_shift(linear_model(), X.astype(str), Y, MSE, 0.1)


def test_two_output_model_is_refused():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, [keras.layers.Dense(1)(inputs), keras.layers.Dense(1)(inputs)])
    with pytest.raises(ValueError, match=r"^model must have a single output"):
        smoothness_along_gradient(model, X, Y, MSE, [0.1])


@pytest.mark.parametrize("step_sizes", [[], [0.1, 0.0], [-1.0], [float("nan")], [True]])
def test_bad_step_sizes(step_sizes):
    with pytest.raises(ValueError, match=r"^step_sizes must"):
        gradient_path(linear_model(), X, Y, MSE, step_sizes)


@pytest.mark.parametrize("step_sizes", [0.1, "0.1", None])
def test_step_sizes_not_a_sequence(step_sizes):
    with pytest.raises(TypeError, match=r"^step_sizes must be a sequence"):
        smoothness_along_gradient(linear_model(), X, Y, MSE, step_sizes)


@pytest.mark.parametrize("rate", [0, -0.1, float("inf"), "0.1", True, None])
def test_bad_learning_rate(rate):
    with pytest.raises(ValueError, match=r"^learning_rate must be a finite number > 0"):
        internal_covariate_shift(two_layer_model(), X, Y, MSE, rate)


def test_bad_layer_names():
    with pytest.raises(ValueError, match=r"^layer_names: \['relu'\] are not layers"):
        internal_covariate_shift(bn_model(), X, Y, MSE, 0.1, ["relu"])
    with pytest.raises(ValueError, match=r"^layer_names must name at least one layer"):
        internal_covariate_shift(bn_model(), X, Y, MSE, 0.1, [])
    with pytest.raises(TypeError, match=r"^layer_names must be a list"):
        internal_covariate_shift(bn_model(), X, Y, MSE, 0.1, "out")


def test_bad_weights():
    model = linear_model()
    with pytest.raises(ValueError, match=r"^weights must hold one array per trainable variable"):
        loss_and_gradients(model, X, Y, MSE, [W, W])
    with pytest.raises(ValueError, match=r"^weights: the array for .*kernel must have shape"):
        loss_and_gradients(model, X, Y, MSE, [W[:2]])
    with pytest.raises(TypeError, match=r"^weights must be a list of arrays"):
        loss_and_gradients(model, X, Y, MSE, W)
    with pytest.raises(TypeError, match=r"^weights \(the array for .*kernel\) must hold real"):
        loss_and_gradients(model, X, Y, MSE, [W.astype(str)])


@pytest.mark.parametrize("training", [1, "yes", None])
def test_training_not_a_bool(training):
    with pytest.raises(TypeError, match=r"^training must be True or False"):
        gradient_path(linear_model(), X, Y, MSE, [0.1], training=training)
