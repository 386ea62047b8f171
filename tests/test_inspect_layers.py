"""bnbook.inspect_layers: layer outputs, statistics, gradients and recorders.

The values are checked against hand computations on a tiny model with fixed
weights: x (4 x 2) -> Dense "hidden" (2 -> 3) -> relu "relu" -> Dense "out" (3 -> 1).
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from bnbook.inspect_layers import (
    PercentileRecorder,
    StepRecorder,
    activation_table,
    gradient_norms,
    layer_gradients,
    layer_outputs,
    weight_gradients,
)

X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, -2.0], [3.0, 1.0]], dtype="float32")
Y = np.array([[1.0], [0.0], [-1.0], [2.0]], dtype="float32")
W1 = np.array([[1.0, -1.0, 0.5], [0.5, 2.0, -1.0]], dtype="float32")
B1 = np.array([0.1, -0.2, 0.3], dtype="float32")
W2 = np.array([[1.0], [-0.5], [2.0]], dtype="float32")
B2 = np.array([0.25], dtype="float32")


def tiny_model() -> keras.Model:
    inputs = keras.Input((2,))
    h = keras.layers.Dense(3, name="hidden")(inputs)
    r = keras.layers.Activation("relu", name="relu")(h)
    out = keras.layers.Dense(1, name="out")(r)
    model = keras.Model(inputs, out)
    model.set_weights([W1, B1, W2, B2])
    return model


def tiny_sequential() -> keras.Model:
    """The tiny model as a Sequential (no ``model.output``: only ``model.outputs``)."""
    model = keras.Sequential([
        keras.Input((2,)), keras.layers.Dense(3, name="hidden"),
        keras.layers.Activation("relu", name="relu"), keras.layers.Dense(1, name="out")])
    model.set_weights([W1, B1, W2, B2])
    return model


def two_output_model() -> keras.Model:
    inputs = keras.Input((2,))
    return keras.Model(inputs, [keras.layers.Dense(1, name="a")(inputs),
                                keras.layers.Dense(1, name="b")(inputs)])


def bn_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((2,))
    h = keras.layers.Dense(3, use_bias=False, name="hidden")(inputs)
    b = keras.layers.BatchNormalization(name="bn")(h)
    return keras.Model(inputs, keras.layers.Dense(1, name="out")(b))


def by_hand():
    h = X @ W1 + B1
    r = np.maximum(h, 0)
    out = r @ W2 + B2
    return h, r, out


# ------------------------------------------------------------- layer_outputs


def test_layer_outputs_match_hand_computation():
    h, r, out = by_hand()
    outputs = layer_outputs(tiny_model(), X)
    assert list(outputs) == ["hidden", "relu", "out"]
    np.testing.assert_allclose(outputs["hidden"], h, rtol=1e-6)
    np.testing.assert_allclose(outputs["relu"], r, rtol=1e-6)
    np.testing.assert_allclose(outputs["out"], out, rtol=1e-6)
    assert all(isinstance(v, np.ndarray) for v in outputs.values())


def test_layer_outputs_chosen_layers_in_given_order():
    outputs = layer_outputs(tiny_model(), X, ["out", "hidden"])
    assert list(outputs) == ["out", "hidden"]
    h, _, out = by_hand()
    np.testing.assert_allclose(outputs["out"], out, rtol=1e-6)
    np.testing.assert_allclose(outputs["hidden"], h, rtol=1e-6)


def test_layer_outputs_sequential_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, name="d")])
    outputs = layer_outputs(model, X)
    assert list(outputs) == ["d"] and outputs["d"].shape == (4, 3)


def test_layer_outputs_training_mode_uses_batch_statistics_and_changes_nothing():
    model = bn_model()
    bn = model.get_layer("bn")
    before = [v.numpy() for v in bn.non_trainable_weights]
    h = X @ model.get_layer("hidden").kernel.numpy()
    expected = (h - h.mean(axis=0)) / np.sqrt(h.var(axis=0) + bn.epsilon)
    trained = layer_outputs(model, X, ["bn"], training=True)["bn"]
    np.testing.assert_allclose(trained, expected, rtol=1e-4, atol=1e-5)
    inferred = layer_outputs(model, X, ["bn"])["bn"]  # moving mean 0, variance 1
    np.testing.assert_allclose(inferred, h / np.sqrt(1 + bn.epsilon), rtol=1e-5, atol=1e-6)
    for old, new in zip(before, bn.non_trainable_weights, strict=True):
        np.testing.assert_array_equal(old, new.numpy())


# ---------------------------------------------------------- activation_table


def test_activation_table_matches_numpy():
    values = np.arange(12, dtype="float64").reshape(4, 3)  # unit means 4.5, 5.5, 6.5
    table = activation_table({"a": values, "b": -values}, percentiles=(15, 50, 85))
    assert list(table.columns) == ["layer", "mean", "std", "p15", "p50", "p85",
                                   "unit_mean_spread"]
    assert table["layer"].tolist() == ["a", "b"]
    row = table.iloc[0]
    assert row["mean"] == pytest.approx(5.5)
    assert row["std"] == pytest.approx(np.sqrt((144 - 1) / 12))  # variance of 0..11
    assert row["p50"] == pytest.approx(5.5)
    assert row["p15"] == pytest.approx(0.15 * 11)  # linear interpolation on 0..11
    assert row["unit_mean_spread"] == pytest.approx(np.std([4.5, 5.5, 6.5]))
    assert table.iloc[1]["mean"] == pytest.approx(-5.5)


def test_activation_table_units_are_the_last_axis():
    images = np.zeros((2, 4, 4, 3))
    images[..., 1] = 1.0  # channel 1 is ones, the others zeros
    table = activation_table({"conv": images}, percentiles=(50,))
    assert table.loc[0, "unit_mean_spread"] == pytest.approx(np.std([0.0, 1.0, 0.0]))
    assert list(table.columns) == ["layer", "mean", "std", "p50", "unit_mean_spread"]


def test_activation_table_unit_means_pool_positions():
    """Each channel's mean is over samples and positions; here the values vary
    over space, so a mean per position would give another spread."""
    pattern = np.arange(16.0).reshape(4, 4) - 7.5  # zero mean over the positions
    images = np.stack([np.stack([pattern + c for c in range(3)], axis=-1)] * 2)
    table = activation_table({"conv": images}, percentiles=(50,))
    assert table.loc[0, "unit_mean_spread"] == pytest.approx(np.std([0.0, 1.0, 2.0]))


def test_activation_table_empty_or_non_numeric_output():
    with pytest.raises(ValueError, match=r"^outputs\['a'\] must hold at least one value"):
        activation_table({"a": np.zeros((0, 3))})
    with pytest.raises(TypeError, match=r"^outputs\['a'\] must hold real numbers"):
        activation_table({"a": np.array([["x", "y"]])})


def test_activation_table_default_percentiles():
    table = activation_table(layer_outputs(tiny_model(), X))
    assert [c for c in table.columns if c.startswith("p")] == ["p1", "p50", "p99"]


@pytest.mark.parametrize("outputs", [{}, [], None, np.zeros((3, 2))])
def test_activation_table_bad_outputs(outputs):
    with pytest.raises(ValueError, match=r"^outputs must map at least one layer"):
        activation_table(outputs)


def test_activation_table_output_without_unit_axis():
    with pytest.raises(ValueError, match=r"^outputs\['a'\] must have a batch axis"):
        activation_table({"a": np.zeros(5)})


@pytest.mark.parametrize("percentiles", [(), (101,), (-1, 50), ("50",), (True,)])
def test_activation_table_bad_percentiles(percentiles):
    with pytest.raises(ValueError, match=r"^percentiles must"):
        activation_table({"a": np.zeros((3, 2))}, percentiles=percentiles)


def test_activation_table_percentiles_not_a_sequence():
    with pytest.raises(TypeError, match=r"^percentiles must be a sequence"):
        activation_table({"a": np.zeros((3, 2))}, percentiles=50)


# ------------------------------------------------------------------ gradients


def hand_gradients():
    """Mean squared error over 4 samples, back-propagated by hand."""
    h, r, out = by_hand()
    d_out = 2 * (out - Y) / len(X)
    d_r = d_out @ W2.T
    d_h = d_r * (h > 0)
    return {
        "d_out": d_out, "d_r": d_r, "d_h": d_h,
        "hidden/kernel": X.T @ d_h, "hidden/bias": d_h.sum(axis=0),
        "out/kernel": r.T @ d_out, "out/bias": d_out.sum(axis=0),
    }


def test_layer_gradients_match_hand_computation():
    expected = hand_gradients()
    grads = layer_gradients(tiny_model(), X, Y, keras.losses.MeanSquaredError())
    assert list(grads) == ["hidden", "relu", "out"]
    np.testing.assert_allclose(grads["out"], expected["d_out"], rtol=1e-5)
    np.testing.assert_allclose(grads["relu"], expected["d_r"], rtol=1e-5)
    np.testing.assert_allclose(grads["hidden"], expected["d_h"], rtol=1e-5, atol=1e-7)


def test_layer_gradients_average_a_per_sample_loss():
    """A loss function without reduction is averaged, like the loss object."""
    grads = layer_gradients(tiny_model(), X, Y, keras.losses.mean_squared_error, ["out"])
    np.testing.assert_allclose(grads["out"], hand_gradients()["d_out"], rtol=1e-5)


def test_weight_gradients_match_hand_computation():
    expected = hand_gradients()
    grads = weight_gradients(tiny_model(), X, Y, keras.losses.MeanSquaredError())
    assert list(grads) == ["hidden/kernel", "hidden/bias", "out/kernel", "out/bias"]
    for path, value in grads.items():
        np.testing.assert_allclose(value, expected[path], rtol=1e-5, atol=1e-7)


def test_gradient_norms_table():
    expected = hand_gradients()
    model = tiny_model()
    table = gradient_norms(model, X, Y, keras.losses.MeanSquaredError())
    assert list(table.columns) == ["layer", "weight", "shape", "grad_norm", "weight_norm",
                                   "ratio"]
    assert table["layer"].tolist() == ["hidden", "hidden", "out", "out"]
    assert table["weight"].tolist() == ["kernel", "bias", "kernel", "bias"]
    assert table["shape"].tolist() == ["(2, 3)", "(3,)", "(3, 1)", "(1,)"]
    norm = np.linalg.norm(expected["out/kernel"])
    row = table.iloc[2]
    assert row["grad_norm"] == pytest.approx(norm, rel=1e-5)
    assert row["weight_norm"] == pytest.approx(np.linalg.norm(W2))
    assert row["ratio"] == pytest.approx(norm / np.linalg.norm(W2), rel=1e-5)


def test_gradient_norms_ratio_is_nan_for_a_zero_weight():
    model = tiny_model()
    model.get_layer("out").bias.assign(np.zeros(1))
    table = gradient_norms(model, X, Y, keras.losses.MeanSquaredError())
    assert np.isnan(table.iloc[3]["ratio"])
    assert table.iloc[3]["grad_norm"] > 0


def test_gradients_in_training_mode_change_no_state():
    model = bn_model()
    before = [v.numpy() for v in model.non_trainable_weights]
    grads = weight_gradients(model, X, Y, keras.losses.MeanSquaredError())
    assert set(grads) == {"hidden/kernel", "bn/gamma", "bn/beta", "out/kernel", "out/bias"}
    for old, new in zip(before, model.non_trainable_weights, strict=True):
        np.testing.assert_array_equal(old, new.numpy())


def test_gradients_of_a_sequential_model_match_hand_computation():
    """A Sequential model has ``outputs`` but no ``output``: the gradients still work."""
    expected = hand_gradients()
    model = tiny_sequential()
    grads = layer_gradients(model, X, Y, keras.losses.MeanSquaredError())
    np.testing.assert_allclose(grads["out"], expected["d_out"], rtol=1e-5)
    np.testing.assert_allclose(grads["hidden"], expected["d_h"], rtol=1e-5, atol=1e-7)
    weights = weight_gradients(model, X, Y, keras.losses.MeanSquaredError())
    assert [path.split("/", 1)[1] for path in weights] == [
        "hidden/kernel", "hidden/bias", "out/kernel", "out/bias"]
    for path, value in weights.items():
        np.testing.assert_allclose(value, expected[path.split("/", 1)[1]], rtol=1e-5, atol=1e-7)
    table = gradient_norms(model, X, Y, keras.losses.MeanSquaredError())
    assert table["grad_norm"].iloc[2] == pytest.approx(
        np.linalg.norm(expected["out/kernel"]), rel=1e-5)


def test_gradients_need_a_single_output():
    model = two_output_model()
    with pytest.raises(ValueError, match=r"^model must have a single output"):
        weight_gradients(model, X, Y, keras.losses.MeanSquaredError())
    with pytest.raises(ValueError, match=r"^model must have a single output"):
        layer_gradients(model, X, Y, keras.losses.MeanSquaredError(), ["a"])


@pytest.mark.parametrize(("x", "y", "error", "message"), [
    (X, Y[:1], ValueError, r"^x and y must hold as many targets as inputs.*\(1, 1\)"),
    (X, Y[:3], ValueError, r"^x and y must hold as many targets as inputs"),
    (X[:0], Y[:0], ValueError, r"^x must hold at least one sample"),
    (X, np.hstack([Y, Y]), ValueError, r"^y must have 1 column\(s\).*\(4, 2\)"),
    (X[:, :1], Y, ValueError, r"^x must have shape \(n, 2\).*\(4, 1\)"),
    (X.astype(str), Y, TypeError, r"^x must hold real numbers"),
    (X, 1.0, ValueError, r"^x and y must hold as many targets"),
])
def test_gradients_bad_batch(x, y, error, message):
    """No silent broadcast of targets, no all-zero gradients of an empty batch."""
    for model in (tiny_model(), tiny_sequential()):
        with pytest.raises(error, match=message):
            weight_gradients(model, x, y, keras.losses.MeanSquaredError())
        with pytest.raises(error, match=message):
            layer_gradients(model, x, y, keras.losses.MeanSquaredError())


@pytest.mark.parametrize("x", [X[:, :1], X[0], np.zeros((4, 2, 3))])
def test_layer_outputs_x_that_does_not_fit_the_input(x):
    with pytest.raises(ValueError, match=r"^x must have shape \(n, 2\) to fit the model's input"):
        layer_outputs(tiny_model(), x)


@pytest.mark.parametrize("loss_fn", [None, "mse", 1.0])
def test_gradients_bad_loss_fn(loss_fn):
    with pytest.raises(TypeError, match=r"^loss_fn must be callable"):
        weight_gradients(tiny_model(), X, Y, loss_fn)
    with pytest.raises(TypeError, match=r"^loss_fn must be callable"):
        gradient_norms(tiny_model(), X, Y, loss_fn)


# ------------------------------------------------------- model / layer checks


@pytest.mark.parametrize("model", [None, "model", keras.layers.Dense(2)])
def test_not_a_model(model):
    with pytest.raises(TypeError, match=r"^model must be a keras.Model"):
        layer_outputs(model, X)
    with pytest.raises(TypeError, match=r"^model must be a keras.Model"):
        layer_gradients(model, X, Y, keras.losses.MeanSquaredError())


def test_model_without_input():
    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    model = Subclassed()
    model(X)
    with pytest.raises(ValueError, match=r"^model must be a functional or Sequential"):
        layer_outputs(model, X)


def test_unknown_layer_name():
    with pytest.raises(ValueError, match=r"^layer_names: no layer named \['nope'\]"):
        layer_outputs(tiny_model(), X, ["hidden", "nope"])
    with pytest.raises(ValueError, match=r"^layer_names: no layer named"):
        layer_gradients(tiny_model(), X, Y, keras.losses.MeanSquaredError(), ["nope"])


@pytest.mark.parametrize("layer_names", ["hidden", 3])
def test_layer_names_not_a_list(layer_names):
    with pytest.raises(TypeError, match=r"^layer_names must be a list"):
        layer_outputs(tiny_model(), X, layer_names)


def test_layer_names_empty():
    with pytest.raises(ValueError, match=r"^layer_names must name at least one layer"):
        layer_outputs(tiny_model(), X, [])


@pytest.mark.parametrize("training", [1, "yes", None])
def test_training_not_a_bool(training):
    with pytest.raises(TypeError, match=r"^training must be True or False"):
        layer_outputs(tiny_model(), X, training=training)


# ------------------------------------------------------------------ recorders


def compiled(model: keras.Model, learning_rate: float, steps_per_execution: int) -> keras.Model:
    if keras.backend.backend() == "torch":  # Keras runs one step per call on PyTorch
        steps_per_execution = 1
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse",
                  steps_per_execution=steps_per_execution)
    return model


def test_percentile_recorder_values_and_steps():
    """With a learning rate of 0 the weights stay put: every record equals the hand values."""
    model = compiled(tiny_model(), 0.0, steps_per_execution=2)
    recorder = PercentileRecorder(X, "hidden", units=[0, 2], percentiles=(15, 85), every=2)
    model.fit(X, Y, batch_size=1, epochs=2, shuffle=False, verbose=0, callbacks=[recorder])
    table = recorder.table
    assert list(table.columns) == ["step", "unit", "p15", "p85"]
    # 4 steps an epoch, 2 an execution: records before training, then at 2, 4, 6, 8.
    assert table["step"].unique().tolist() == [0, 2, 4, 6, 8]
    assert table["unit"].tolist() == [0, 2] * 5
    h, _, _ = by_hand()
    expected = np.percentile(h[:, [0, 2]], [15, 85], axis=0)
    for _, frame in table.groupby("step"):
        np.testing.assert_allclose(frame["p15"], expected[0], rtol=1e-6)
        np.testing.assert_allclose(frame["p85"], expected[1], rtol=1e-6)


def test_percentile_recorder_follows_training_and_records_the_last_step():
    model = compiled(tiny_model(), 0.05, steps_per_execution=3)
    recorder = PercentileRecorder(X, "out", units=None, percentiles=(50,), every=3)
    model.fit(X, Y, batch_size=1, epochs=2, shuffle=False, verbose=0, callbacks=[recorder])
    table = recorder.table
    # executions end at steps 3, 4 (end of epoch), 7, 8: records at 0, 3, 7 and the last, 8;
    # on PyTorch every step ends an execution: records at 0, 3, 6 and 8.
    one_step = keras.backend.backend() == "torch"
    assert table["step"].tolist() == ([0, 3, 6, 8] if one_step else [0, 3, 7, 8])
    final = np.median(layer_outputs(model, X, ["out"])["out"][:, 0])
    assert table["p50"].iloc[-1] == pytest.approx(final, rel=1e-5)
    assert table["p50"].iloc[0] == pytest.approx(np.median(by_hand()[2]), rel=1e-6)
    assert table["p50"].iloc[0] != pytest.approx(table["p50"].iloc[-1])


def test_percentile_recorder_training_mode_batch_statistics():
    model = compiled(bn_model(), 0.0, steps_per_execution=1)
    recorder = PercentileRecorder(X, "bn", units=None, percentiles=(50,), every=1,
                                  training=True)
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0, callbacks=[recorder])
    first = recorder.table[recorder.table.step == 0]["p50"].to_numpy()
    h = X @ model.get_layer("hidden").kernel.numpy()
    z = (h - h.mean(axis=0)) / np.sqrt(h.var(axis=0) + 1e-3)
    np.testing.assert_allclose(first, np.median(z, axis=0), rtol=1e-4, atol=1e-5)


def test_a_new_fit_starts_a_new_record():
    model = compiled(tiny_model(), 0.0, steps_per_execution=4)
    recorder = PercentileRecorder(X, "hidden", every=4)
    model.fit(X, Y, batch_size=1, epochs=1, verbose=0, callbacks=[recorder])
    model.fit(X, Y, batch_size=1, epochs=1, verbose=0, callbacks=[recorder])
    assert recorder.table["step"].tolist() == [4, 8]


def test_step_recorder_with_a_mapping():
    model = compiled(tiny_model(), 0.01, steps_per_execution=2)
    recorder = StepRecorder(lambda m: {"kernel_sum": float(np.sum(m.get_weights()[0]))}, 4)
    model.fit(X, Y, batch_size=1, epochs=2, shuffle=False, verbose=0, callbacks=[recorder])
    table = recorder.table
    assert list(table.columns) == ["step", "kernel_sum"]
    assert table["step"].tolist() == [0, 4, 8]
    assert table["kernel_sum"].iloc[0] == pytest.approx(W1.sum())
    assert table["kernel_sum"].iloc[-1] == pytest.approx(float(np.sum(model.get_weights()[0])))


def test_step_recorder_table_before_fit():
    table = StepRecorder(lambda m: {}, 1).table
    assert isinstance(table, pd.DataFrame) and list(table.columns) == ["step"] and table.empty


@pytest.mark.parametrize("every", [0, -3, 1.5, True, "2", None])
def test_recorders_bad_every(every):
    with pytest.raises(ValueError, match=r"^every must be a positive int"):
        StepRecorder(lambda m: {}, every)
    with pytest.raises(ValueError, match=r"^every must be a positive int"):
        PercentileRecorder(X, "hidden", every=every)


def test_step_recorder_measure_must_return_a_mapping():
    model = compiled(tiny_model(), 0.0, steps_per_execution=1)
    recorder = StepRecorder(lambda m: 1.0, 1)
    with pytest.raises(TypeError, match=r"^measure\(model\) must return a mapping.*float"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[recorder])


def test_percentile_recorder_x_that_does_not_fit_the_input():
    model = compiled(tiny_model(), 0.0, steps_per_execution=1)
    recorder = PercentileRecorder(X[:, :1], "hidden")
    with pytest.raises(ValueError, match=r"^x must have shape \(n, 2\)"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[recorder])
    with pytest.raises(TypeError, match=r"^x must hold real numbers"):
        PercentileRecorder(X.astype(str), "hidden")


def test_step_recorder_measure_not_callable():
    with pytest.raises(TypeError, match=r"^measure must be callable"):
        StepRecorder({"a": 1}, 1)


@pytest.mark.parametrize("layer_name", [None, "", 3])
def test_percentile_recorder_bad_layer_name(layer_name):
    with pytest.raises(TypeError, match=r"^layer_name must be a layer's name"):
        PercentileRecorder(X, layer_name)


def test_percentile_recorder_unknown_layer_name():
    model = compiled(tiny_model(), 0.0, steps_per_execution=1)
    recorder = PercentileRecorder(X, "nope")
    with pytest.raises(ValueError, match=r"^layer_name: no layer named 'nope'"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[recorder])


@pytest.mark.parametrize("units", [-1, [], [0, -2], "0", 1.0, True, [True]])
def test_percentile_recorder_bad_units(units):
    with pytest.raises(ValueError, match=r"^units must be a unit index"):
        PercentileRecorder(X, "hidden", units=units)


def test_percentile_recorder_unit_out_of_range():
    model = compiled(tiny_model(), 0.0, steps_per_execution=1)
    recorder = PercentileRecorder(X, "hidden", units=[1, 3])
    with pytest.raises(ValueError, match=r"^units must be below 3"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[recorder])


@pytest.mark.parametrize("percentiles", [(), (150,)])
def test_percentile_recorder_bad_percentiles(percentiles):
    with pytest.raises(ValueError, match=r"^percentiles must"):
        PercentileRecorder(X, "hidden", percentiles=percentiles)


def test_percentile_recorder_training_not_a_bool():
    with pytest.raises(TypeError, match=r"^training must be True or False"):
        PercentileRecorder(X, "hidden", training=1)
