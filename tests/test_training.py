"""bnbook.training: fit_quiet() and history_table()."""

from __future__ import annotations

import types
import warnings

import keras
import numpy as np
import pandas as pd
import pytest

from bnbook import training
from bnbook.training import fit_quiet, history_table, restart


def _weights(model):
    return [np.asarray(w).copy() for w in model.get_weights()]


def test_fit_quiet_returns_history_table(make_model, tiny_regression):
    x, y = tiny_regression
    model = make_model()
    before = _weights(model)
    table = fit_quiet(model, x, y, epochs=2, batch_size=8)
    assert isinstance(table, pd.DataFrame)
    assert list(table.index) == [1, 2]
    assert table.index.name == "epoch"
    assert list(table.columns) == ["loss"]
    assert np.isfinite(table["loss"]).all() and (table["loss"] > 0).all()
    # It trained: the weights moved, and the table is the model's own history.
    assert any(not np.array_equal(a, b) for a, b in zip(before, _weights(model), strict=True))
    assert table["loss"].tolist() == pytest.approx(
        [round(v, 4) for v in model.history.history["loss"]])


def test_fit_quiet_with_validation_data_and_metrics(make_model, tiny_regression):
    x, y = tiny_regression
    model = make_model(metrics=["mae"])
    table = fit_quiet(model, x[:24], y[:24], epochs=3, batch_size=8,
                      validation_data=(x[24:], y[24:]))
    assert list(table.index) == [1, 2, 3]
    assert set(table.columns) == {"loss", "mae", "val_loss", "val_mae"}
    # val_loss is the loss on the validation rows after that epoch.
    final = model.evaluate(x[24:], y[24:], verbose=0, return_dict=True)
    assert table["val_loss"].iloc[-1] == pytest.approx(final["loss"], abs=1e-3)


def test_fit_quiet_accepts_validation_list_and_python_lists(make_model, tiny_regression):
    x, y = tiny_regression
    model = make_model()
    table = fit_quiet(model, x.tolist(), y.tolist(), epochs=1,
                      validation_data=[x[:4], y[:4]])
    assert list(table.columns) == ["loss", "val_loss"]
    final = model.evaluate(x[:4], y[:4], verbose=0)
    assert table["val_loss"].iloc[0] == pytest.approx(final, abs=1e-4)


def test_fit_quiet_prints_nothing(make_model, tiny_regression, capfd):
    x, y = tiny_regression
    fit_quiet(make_model(), x, y, epochs=2, batch_size=8, validation_data=(x, y))
    out, _ = capfd.readouterr()
    assert out == ""


def test_fit_quiet_raises_no_warning(make_model, tiny_regression):
    x, y = tiny_regression
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_quiet(make_model(), x, y, epochs=1)


def test_fit_quiet_passes_callbacks(make_model, tiny_regression):
    x, y = tiny_regression
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((epoch, sorted(logs)))

    fit_quiet(make_model(), x, y, epochs=2, callbacks=[Record()])
    assert seen == [(0, ["loss"]), (1, ["loss"])]


def _run(make_model, x, y, **kwargs):
    model = make_model(seed=0)  # same initial weights every time
    keras.utils.set_random_seed(0)
    table = fit_quiet(model, x, y, epochs=2, batch_size=8, **kwargs)
    return table, _weights(model)


def test_fit_quiet_is_deterministic(make_model, tiny_regression):
    x, y = tiny_regression
    table_a, weights_a = _run(make_model, x, y)
    table_b, weights_b = _run(make_model, x, y)
    pd.testing.assert_frame_equal(table_a, table_b)
    for a, b in zip(weights_a, weights_b, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fit_quiet_seeds_itself(make_model, tiny_regression):
    """A run depends only on the initial weights and ``seed``, not on the
    global random state left behind by whatever ran before (the tf.data
    shuffle order mixes its op seed with TensorFlow's global seed)."""
    x, y = tiny_regression
    model_a, model_b = make_model(seed=0), make_model(seed=1)
    model_b.set_weights(model_a.get_weights())
    keras.utils.set_random_seed(123)
    table_a = fit_quiet(model_a, x, y, epochs=2, batch_size=8, seed=5)
    keras.utils.set_random_seed(999)
    table_b = fit_quiet(model_b, x, y, epochs=2, batch_size=8, seed=5)
    pd.testing.assert_frame_equal(table_a, table_b)
    for a, b in zip(_weights(model_a), _weights(model_b), strict=True):
        np.testing.assert_array_equal(a, b)


def test_restart_and_seed_reproduce_a_run_with_dropout(tiny_regression):
    x, y = tiny_regression
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
        keras.layers.Dropout(0.5), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    initial = model.get_weights()
    first = fit_quiet(model, x, y, epochs=2, batch_size=8, seed=5)
    restart(model, initial)
    second = fit_quiet(model, x, y, epochs=2, batch_size=8, seed=5)
    pd.testing.assert_frame_equal(first, second)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0", None])
def test_fit_quiet_bad_seed(make_model, tiny_regression, seed):
    x, y = tiny_regression
    with pytest.raises(ValueError, match=r"^seed must be a non-negative int"):
        fit_quiet(make_model(), x, y, epochs=1, seed=seed)


class _SeenRows(keras.metrics.Metric):
    """Records the targets of every training batch (the row numbers, in this test)."""

    def __init__(self):
        super().__init__(name="seen")
        self.batches: list[list[int]] = []

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Keep the batch's rows; the symbolic build's placeholder has none."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows = keras.ops.convert_to_numpy(y_true)
        except Exception:  # a symbolic tensor while Keras builds the metric
            return
        self.batches.append(rows.ravel().round().astype(int).tolist())

    def result(self):
        """Nothing to report: the batches are the record."""
        return keras.ops.zeros(())


# TensorFlow's eager tensors warn when run_eagerly's fit converts them for NumPy.
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
@pytest.mark.parametrize("steps_per_execution", [1, 2])
def test_fit_quiet_shuffles_each_epoch_anew_over_all_rows(steps_per_execution):
    """The batches fit really sees: each epoch a new permutation of every row,
    drawn over the whole data set (not within windows of one batch). With 2
    steps an execution, an epoch of 3 steps takes the per-epoch data path."""
    rows, batch = 12, 5
    x = np.repeat(np.arange(rows, dtype="float32")[:, None], 4, axis=1)
    y = np.arange(rows, dtype="float32")
    seen = {}
    for seed in (3, 3, 4):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        metric = _SeenRows()
        model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse", metrics=[metric],
                      run_eagerly=True, steps_per_execution=steps_per_execution)
        fit_quiet(model, x, y, epochs=3, batch_size=batch, seed=seed)
        assert [len(b) for b in metric.batches] == [5, 5, 2] * 3
        epochs = np.array(sum(metric.batches, [])).reshape(3, rows)
        if seed in seen:
            np.testing.assert_array_equal(epochs, seen[seed])  # the seed fixes the orders
        seen[seed] = epochs
    epochs = seen[3]
    for order in epochs:
        assert sorted(order) == list(range(rows))
    assert len({tuple(order) for order in epochs}) == 3, "an epoch repeated another's order"
    # Shuffled over all rows: rows travel further than one batch from their place,
    # and the first batch of some epoch holds a row from beyond the first batch.
    assert np.abs(epochs - np.arange(rows)).max() >= 2 * batch
    assert any(max(order[:batch]) >= 2 * batch for order in epochs)
    assert not np.array_equal(seen[3], seen[4])


def test_fit_quiet_shuffles_from_seed(make_model, tiny_regression):
    x, y = tiny_regression
    _, seed0 = _run(make_model, x, y, seed=0)
    _, seed1 = _run(make_model, x, y, seed=1)
    assert any(not np.allclose(a, b) for a, b in zip(seed0, seed1, strict=True))
    # Without shuffling the seed has nothing to act on.
    _, fixed0 = _run(make_model, x, y, seed=0, shuffle=False)
    _, fixed1 = _run(make_model, x, y, seed=1, shuffle=False)
    for a, b in zip(fixed0, fixed1, strict=True):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ bad input


def test_fit_quiet_uncompiled_model(make_model, tiny_regression):
    x, y = tiny_regression
    with pytest.raises(ValueError, match=r"^model must be compiled"):
        fit_quiet(make_model(compiled=False), x, y, epochs=1)


@pytest.mark.parametrize("model", [None, "model", object(), keras.layers.Dense(1)])
def test_fit_quiet_not_a_model(model, tiny_regression):
    x, y = tiny_regression
    with pytest.raises(TypeError, match=r"^model must be a keras.Model"):
        fit_quiet(model, x, y, epochs=1)


@pytest.mark.parametrize("epochs", [0, -1, 1.0, True, "2", None])
def test_fit_quiet_bad_epochs(make_model, tiny_regression, epochs):
    x, y = tiny_regression
    with pytest.raises(ValueError, match=r"^epochs must be a positive int"):
        fit_quiet(make_model(), x, y, epochs=epochs)


@pytest.mark.parametrize("batch_size", [-1, 0, 8.0, False])
def test_fit_quiet_bad_batch_size(make_model, tiny_regression, batch_size):
    x, y = tiny_regression
    with pytest.raises(ValueError, match=r"^batch_size must be a positive int"):
        fit_quiet(make_model(), x, y, epochs=1, batch_size=batch_size)


def test_fit_quiet_accepts_numpy_integers(make_model, tiny_regression):
    x, y = tiny_regression
    table = fit_quiet(make_model(), x, y, epochs=np.int64(2), batch_size=np.int32(16))
    assert len(table) == 2


def test_fit_quiet_mismatched_lengths(make_model, tiny_regression):
    x, y = tiny_regression
    expected = r"^x/y must hold as many targets as inputs.*\(32, 4\).*\(31,\)"
    with pytest.raises(ValueError, match=expected):
        fit_quiet(make_model(), x, y[:31], epochs=1)


def test_fit_quiet_scalar_x(make_model):
    with pytest.raises(ValueError, match=r"^x/y must hold as many targets"):
        fit_quiet(make_model(), 1.0, [1.0], epochs=1)


def test_fit_quiet_scalar_y(make_model, tiny_regression):
    x, _ = tiny_regression
    with pytest.raises(ValueError, match=r"^x/y must hold as many targets"):
        fit_quiet(make_model(), x, 1.0, epochs=1)


@pytest.mark.parametrize("validation_data", [
    "xy", (np.zeros((4, 4)),), (np.zeros((4, 4)), np.zeros(4), np.zeros(4)), np.zeros((2, 4)),
])
def test_fit_quiet_validation_data_not_a_pair(make_model, tiny_regression, validation_data):
    x, y = tiny_regression
    with pytest.raises(ValueError, match=r"^validation_data must be a pair"):
        fit_quiet(make_model(), x, y, epochs=1, validation_data=validation_data)


def test_fit_quiet_validation_data_mismatched(make_model, tiny_regression):
    x, y = tiny_regression
    with pytest.raises(ValueError, match=r"^validation_data must hold as many targets"):
        fit_quiet(make_model(), x, y, epochs=1, validation_data=(x[:8], y[:7]))


@pytest.mark.parametrize("validation_data", [
    (np.zeros((8, 4)), np.zeros(7)),  # lengths differ
    (np.zeros((8, 3)), np.zeros(8)),  # features do not fit the input
    (np.zeros((8, 4)), np.zeros((8, 2))),  # targets wider than the output
    (np.zeros((8, 4)), np.full(8, np.nan)),
])
def test_bad_arguments_do_not_train(make_model, tiny_regression, validation_data):
    """Validation happens before fit: a refused call leaves the weights alone."""
    x, y = tiny_regression
    for compiled_first in (True, False):
        model = make_model()
        if compiled_first:  # built and compiled: Keras would check the shapes only after an epoch
            fit_quiet(model, x, y, epochs=1)
        before = _weights(model)
        with pytest.raises(ValueError, match=r"^validation_data"):
            fit_quiet(model, x, y, epochs=1, validation_data=validation_data)
        for a, b in zip(before, _weights(model), strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"x": np.zeros((0, 4)), "y": np.zeros(0)}, ValueError, r"^x/y must hold at least one sample"),
    ({"x": np.full((8, 4), "a")}, TypeError, r"^x/y must hold real numbers"),
    ({"x": {"a": np.zeros((8, 4))}}, TypeError, r"^x/y: the inputs must be one array"),
    ({"x": np.zeros((8, 3))}, ValueError, r"^x must have shape \(n, 4\).*\(8, 3\)"),
    ({"x": np.zeros(8)}, ValueError, r"^x must have shape \(n, 4\)"),
    ({"y": np.zeros((8, 2))}, ValueError, r"^y must have 1 column\(s\).*\(8, 2\)"),
    ({"x": np.full((8, 4), np.nan)}, ValueError, r"^x/y must be finite"),
    ({"y": np.full(8, np.inf)}, ValueError, r"^x/y must be finite"),
    ({"shuffle": "no"}, TypeError, r"^shuffle must be True or False, got 'no'"),
    ({"shuffle": 1}, TypeError, r"^shuffle must be True or False"),
    ({"callbacks": keras.callbacks.Callback()}, TypeError, r"^callbacks must be a list"),
    ({"seed": 2**32}, ValueError, r"^seed must be a non-negative int below 2\*\*32"),
])
def test_fit_quiet_bad_data_and_options(make_model, kwargs, error, message):
    """Each refused before training, with a message naming the argument."""
    args = {"x": np.zeros((8, 4)), "y": np.zeros(8), **kwargs}
    x, y = args.pop("x"), args.pop("y")
    # A model without an Input is built for whatever features x has.
    models = [make_model()] + ([] if "x must have shape" in message else [_unbuilt()])
    for model in models:
        before = _weights(model)
        with pytest.raises(error, match=message):
            fit_quiet(model, x, y, epochs=1, **args)
        if before:  # the unbuilt model may have been built, but never trained
            for a, b in zip(before, _weights(model), strict=True):
                np.testing.assert_array_equal(a, b)


def _unbuilt():
    """A compiled Sequential model without an Input: built by its first fit."""
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    return model


def test_fit_quiet_unbuilt_model_and_numpy_bool_shuffle(tiny_regression):
    x, y = tiny_regression
    table = fit_quiet(_unbuilt(), x, y, epochs=1, shuffle=np.bool_(False))
    assert list(table.columns) == ["loss"]


# -------------------------------------------------------------- history_table


def test_history_table_from_dict():
    table = history_table({"loss": [0.5, 0.25, 0.125], "val_loss": [0.6, 0.3, 0.2]})
    assert list(table.index) == [1, 2, 3]
    assert table.index.name == "epoch"
    assert list(table.columns) == ["loss", "val_loss"]
    assert table["loss"].tolist() == [0.5, 0.25, 0.125]
    assert table.dtypes.eq(float).all()


def test_history_table_rounds():
    logs = {"loss": [0.123456789, 1 / 3]}
    assert history_table(logs)["loss"].tolist() == [0.1235, 0.3333]
    assert history_table(logs, decimals=2)["loss"].tolist() == [0.12, 0.33]


def test_history_table_from_history_object():
    history = keras.callbacks.History()
    history.history = {"loss": [2.0, 1.0], "accuracy": [np.float32(0.5), np.float32(0.75)]}
    table = history_table(history)
    assert list(table.index) == [1, 2]
    assert table["accuracy"].tolist() == [0.5, 0.75]
    duck = types.SimpleNamespace(history={"loss": [3.0]})
    assert history_table(duck)["loss"].tolist() == [3.0]


@pytest.mark.parametrize("bad", [{}, [], None, [0.5, 0.25], "loss",
                                 types.SimpleNamespace(history=[1.0])])
def test_history_table_bad_input(bad):
    with pytest.raises(TypeError, match=r"^history must be a keras History or a non-empty dict"):
        history_table(bad)


@pytest.mark.parametrize("values", [0.5, ["a"], [[1.0, 2.0]], None])
def test_history_table_metric_not_a_list_of_numbers(values):
    with pytest.raises(TypeError, match=r"^history\['loss'\] must be a list of numbers"):
        history_table({"loss": values})


@pytest.mark.parametrize("decimals", ["2", 1.5, True, None])
def test_history_table_bad_decimals(decimals):
    with pytest.raises(TypeError, match=r"^decimals must be an int"):
        history_table({"loss": [1.0]}, decimals=decimals)


# -------------------------------------------------------------------- restart


def _optimizer_state(model):
    return {v.path.split("/", 1)[-1]: np.asarray(v) for v in model.optimizer.variables}


def test_restart_reproduces_a_fresh_run(make_model, tiny_regression):
    x, y = tiny_regression
    model = make_model(metrics=["mae"])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    initial = model.get_weights()
    first = fit_quiet(model, x, y, epochs=2, batch_size=8)
    assert _optimizer_state(model)["iteration"] == 8
    restart(model, initial)
    for a, b in zip(initial, _weights(model), strict=True):
        np.testing.assert_array_equal(a, b)
    state = _optimizer_state(model)
    assert state["iteration"] == 0
    assert state["learning_rate"] == pytest.approx(0.01)
    assert all(not value.any() for name, value in state.items()
               if name not in ("iteration", "learning_rate")), "moments not reset"
    second = fit_quiet(model, x, y, epochs=2, batch_size=8)
    pd.testing.assert_frame_equal(first, second)


def test_restart_with_new_learning_rate(make_model, tiny_regression):
    x, y = tiny_regression
    model = make_model()
    initial = model.get_weights()
    fit_quiet(model, x, y, epochs=1)
    restart(model, initial, learning_rate=0.5)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.5)
    restart(model, initial)  # None keeps the current rate
    assert float(model.optimizer.learning_rate) == pytest.approx(0.5)
    restart(model, initial, learning_rate=2)
    assert float(model.optimizer.learning_rate) == pytest.approx(2.0)


@pytest.mark.parametrize("model", [None, "model", keras.layers.Dense(1)])
def test_restart_not_a_model(model):
    with pytest.raises(ValueError, match=r"^model must be a compiled keras.Model"):
        restart(model, [])


def test_restart_uncompiled_model(make_model):
    model = make_model(compiled=False)
    with pytest.raises(ValueError, match=r"^model must be a compiled keras.Model"):
        restart(model, model.get_weights())


@pytest.mark.parametrize("learning_rate", [0, -0.1, True, "0.1", float("-inf"), float("inf"),
                                           float("nan")])
def test_restart_bad_learning_rate(make_model, learning_rate):
    model = make_model()
    with pytest.raises(ValueError, match=r"^learning_rate must be a positive number"):
        restart(model, model.get_weights(), learning_rate=learning_rate)


def test_restart_accepts_a_numpy_learning_rate(make_model):
    model = make_model()
    restart(model, model.get_weights(), learning_rate=np.float32(0.25))
    assert float(model.optimizer.learning_rate) == pytest.approx(0.25)


@pytest.mark.parametrize(("weights", "error", "message"), [
    (None, TypeError, r"^weights must be a list of arrays.*NoneType"),
    ("w", TypeError, r"^weights must be a list of arrays"),
    (np.zeros(3), TypeError, r"^weights must be a list of arrays.*ndarray"),
])
def test_restart_weights_not_a_list(make_model, weights, error, message):
    with pytest.raises(error, match=message):
        restart(make_model(), weights)


def test_restart_weights_with_nan(make_model):
    model = make_model()
    before = _weights(model)
    bad = [w.copy() for w in before]
    bad[0][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"^weights must be finite"):
        restart(model, bad)
    for a, b in zip(before, _weights(model), strict=True):
        np.testing.assert_array_equal(a, b)


def test_restart_weights_that_do_not_fit(make_model):
    model = make_model()
    before = _weights(model)
    wrong_shapes = [np.zeros((5, 3)), *before[1:]]
    with pytest.raises(ValueError, match=r"^weights do not fit the model"):
        restart(model, wrong_shapes)
    with pytest.raises(ValueError, match=r"^weights do not fit the model"):
        restart(model, before[:2])


def test_restart_with_learning_rate_schedule(make_model, tiny_regression):
    x, y = tiny_regression
    model = make_model()
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.5)
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
    initial = model.get_weights()
    first = fit_quiet(model, x, y, epochs=1)
    restart(model, initial)
    pd.testing.assert_frame_equal(first, fit_quiet(model, x, y, epochs=1))


@pytest.mark.skipif(not training._has_tensorflow(), reason="the tf.data pipeline")
def test_each_epoch_is_a_fresh_permutation_from_the_seed():
    x = np.arange(10, dtype="float32")[:, None]
    y = np.arange(10, dtype="float32")

    def epochs_seen(seed, one_pass=False):
        data, set_epoch = training._shuffled(x, y, 4, 3, seed, one_pass)
        if one_pass:  # fit takes three batches per epoch from one pass
            batches = [keras.ops.convert_to_numpy(b[1]) for b in data]
            assert [len(b) for b in batches] == [4, 4, 2] * 3 and set_epoch is None
            return np.concatenate(batches).reshape(3, 10)
        epochs = []
        for epoch in range(3):  # fit iterates the data once per epoch, after on_epoch_begin
            set_epoch.on_epoch_begin(epoch)
            batches = [keras.ops.convert_to_numpy(b[1]) for b in data]
            assert [len(b) for b in batches] == [4, 4, 2]
            epochs.append(np.concatenate(batches))
        return np.stack(epochs)

    seen = epochs_seen(5)
    np.testing.assert_array_equal(seen, epochs_seen(5, one_pass=True))
    for epoch in seen:
        assert sorted(epoch) == list(range(10))
    assert not np.array_equal(seen[0], seen[1]) and not np.array_equal(seen[1], seen[2])
    assert not np.array_equal(seen[0], np.arange(10))
    # Over all rows, not within windows of one batch: some row moves further.
    assert np.abs(seen - np.arange(10)).max() >= 4
    np.testing.assert_array_equal(seen, epochs_seen(5))
    assert not np.array_equal(seen, epochs_seen(6))


def test_fit_quiet_shuffles_by_seed(make_model, tiny_regression):
    x, y = tiny_regression
    start = make_model(seed=0).get_weights()
    results = {}
    for name, options in {"seed 5": {"seed": 5}, "seed 5 again": {"seed": 5},
                          "seed 6": {"seed": 6}, "no shuffle": {"shuffle": False}}.items():
        model = make_model(seed=0)
        model.set_weights(start)
        fit_quiet(model, x, y, epochs=2, batch_size=8, **options)
        results[name] = _weights(model)
    def same(a: str, b: str) -> bool:
        return all(np.array_equal(u, v) for u, v in zip(results[a], results[b], strict=True))

    assert same("seed 5", "seed 5 again")
    assert not same("seed 5", "seed 6") and not same("seed 5", "no shuffle")


def test_steps_per_execution_that_does_not_divide_an_epoch(tiny_regression):
    """Executions of 3 steps over 4-step epochs: the same batches, epoch by epoch,
    as one step at a time, and no execution runs into the next epoch."""
    x, y = tiny_regression
    tables = []
    for steps_per_execution in (1, 3):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse",
                      steps_per_execution=steps_per_execution)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            tables.append(fit_quiet(model, x, y, epochs=3, batch_size=len(x) // 4, seed=2))
        assert int(model.optimizer.iterations.numpy()) == 3 * 4
    pd.testing.assert_frame_equal(tables[0], tables[1], atol=1e-6)


def test_seeded_kernels_redraws_kernels_only_and_from_the_seed():
    weights = [np.zeros((3, 4), "float32"), np.ones(4, "float32"),
               np.zeros((4, 2), "float32")]
    first = training.seeded_kernels(weights, 1)
    again = training.seeded_kernels(weights, 1)
    other = training.seeded_kernels(weights, 2)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first[1], weights[1])  # not a kernel: kept
    assert not np.array_equal(first[0], other[0])
    assert not np.array_equal(first[0][:, :2], first[2][:3])  # each kernel its own draw
    limit = np.sqrt(6 / (3 + 4))  # Glorot-uniform
    assert np.abs(first[0]).max() <= limit and np.abs(first[0]).std() > 0
    np.testing.assert_array_equal(weights[0], 0)  # the input list is not changed


@pytest.mark.parametrize(("weights", "seed", "error"),
                         [("abc", 0, TypeError), ([np.zeros((2, 2))], -1, ValueError)])
def test_seeded_kernels_bad_arguments(weights, seed, error):
    with pytest.raises(error):
        training.seeded_kernels(weights, seed)
