"""Quiet training: ``fit`` with no progress bars, history as a small table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bnbook import scale


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _pair(name: str, x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(
            f"{name} must hold as many targets as inputs, got {x.shape} and {y.shape}"
        )
    return x, y


def _dataset(x: np.ndarray, y: np.ndarray, batch_size: int):
    """A cached tf.data pipeline in the given order: far less per-epoch overhead than arrays."""
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((x, y)).cache().batch(batch_size).prefetch(2)


def _shuffled(x: np.ndarray, y: np.ndarray, batch_size: int, epochs: int, seed: int,
              one_pass: bool):
    """Batches, each epoch in its own order; and a callback ``fit`` needs, or None.

    The orders are NumPy permutations drawn from ``seed`` alone: not from
    TensorFlow's global seed (which its own shuffle mixes in), and setting no
    global seed spares a retrace of the training step. With ``one_pass``, one
    data set holds every epoch's batches in turn, to be fitted with
    ``steps_per_epoch`` (fast: one iterator for the whole run). Otherwise,
    each iteration of the data set is one epoch, in the order that the
    returned callback selects when the epoch begins (about 30 ms an epoch).
    """
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    orders = np.stack([rng.permutation(len(x)) for _ in range(epochs)])
    x_all, y_all = tf.constant(x), tf.constant(y)
    steps = -(-len(x) // batch_size)
    if one_pass:
        rows, callback = tf.data.Dataset.from_tensor_slices(orders), None
    else:
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        rows = tf.data.Dataset.range(1).map(lambda _: tf.gather(orders, epoch % epochs))
        callback = keras.callbacks.LambdaCallback(
            on_epoch_begin=lambda e, logs=None: epoch.assign(e))
    batches = rows.flat_map(lambda row: tf.data.Dataset.from_tensor_slices(row).batch(batch_size))
    steps_total = steps * epochs if one_pass else steps
    data = (batches.apply(tf.data.experimental.assert_cardinality(steps_total))
            .map(lambda index: (tf.gather(x_all, index), tf.gather(y_all, index))).prefetch(2))
    return data, callback


def _reseed_random_layers(model, seed: int) -> None:
    """Give each random layer (Dropout, noise) a state that follows from ``seed``.

    ``keras.utils.set_random_seed`` does not reach layers that already exist:
    their seed generators keep the state they were created with.
    """
    states = [v for v in model.variables if v.path.endswith("seed_generator_state")]
    for index, state in enumerate(states):
        value = np.array([(seed * 1009 + index) % 2**31, 0])
        state.assign(value.astype(state.dtype))


def _has_tensorflow() -> bool:
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        return False
    return True


def _progress_bar(epochs: int, name: str):
    """A callback drawing one tqdm bar over the epochs of a training run."""
    import keras
    from tqdm import tqdm

    bar = tqdm(total=epochs, desc=f"fit {name}", unit="epoch", leave=True, mininterval=0.5)
    return keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: bar.update(1),
                                          on_train_end=lambda logs: bar.close())


def fit_quiet(
    model,
    x,
    y,
    *,
    epochs: int,
    batch_size: int = 32,
    validation_data: tuple | None = None,
    shuffle: bool = True,
    seed: int = 0,
    callbacks: list | None = None,
) -> pd.DataFrame:
    """Train a compiled Keras model silently; return its history table.

    A run depends only on the model's weights and ``seed``: the shuffling (a
    NumPy permutation per epoch) and the random layers (Dropout, noise) follow
    from it, not from the global random state. In a scaled run
    (``bnbook.scale``) a progress bar follows the epochs. With TensorFlow installed
    the arrays go through a cached ``tf.data`` pipeline (any backend can read
    it); without it, through ``fit`` on the arrays. On PyTorch, which runs one
    step per call, a ``steps_per_execution`` above 1 is set back to 1.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise ValueError("model must be compiled before fit_quiet (call model.compile)")
    epochs = _positive_int("epochs", epochs)
    batch_size = _positive_int("batch_size", batch_size)
    x, y = _pair("x/y", x, y)
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (x_val, y_val)")
        validation_data = _pair("validation_data", *validation_data)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    if keras.backend.backend() == "torch" and model.steps_per_execution > 1:
        # PyTorch-specific: Keras runs one step per call there and refuses more.
        model.steps_per_execution = 1
    # Keras builds a model's optimizer and metrics on its first fit by drawing a
    # batch, then restarts the data: one epoch's order spent, so a first fit
    # would see other batches than a later fit from the same seed. Build first.
    model._symbolic_build(data_batch=(x[:batch_size], y[:batch_size]))
    if keras.backend.backend() != "tensorflow":
        # fit's own shuffle (no TensorFlow) and PyTorch's dropout draw from the global
        # generators; on TensorFlow, reseeding them would retrace the training step.
        keras.utils.set_random_seed(int(seed))
    _reseed_random_layers(model, int(seed))
    callbacks = list(callbacks or [])
    if scale.show_progress():
        callbacks.append(_progress_bar(epochs, model.name))
    common = {"epochs": epochs, "verbose": 0, "callbacks": callbacks}
    if _has_tensorflow():
        steps = -(-len(x) // batch_size)
        if shuffle:
            # One pass over all epochs only if no execution of several steps can
            # straddle two epochs.
            one_pass = steps % model.steps_per_execution == 0
            train, set_epoch = _shuffled(x, y, batch_size, epochs, int(seed), one_pass)
            if one_pass:
                common["steps_per_epoch"] = steps
            else:
                common["callbacks"] = [set_epoch, *callbacks]
        else:
            train = _dataset(x, y, batch_size)
        val = None if validation_data is None else _dataset(*validation_data, 1024)
        history = model.fit(train, validation_data=val, shuffle=False, **common)
    else:
        history = model.fit(x, y, batch_size=batch_size, shuffle=shuffle,
                            validation_data=validation_data, **common)
    return history_table(history)


def history_table(history, decimals: int = 4) -> pd.DataFrame:
    """A Keras ``History`` (or its ``.history`` dict) as a table, one row an epoch."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise TypeError(
            "history must be a keras History or a non-empty dict of metric lists, "
            f"got {type(history).__name__}"
        )
    lengths = {name: len(values) for name, values in logs.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"history must hold one value per epoch for every metric, got {lengths}")
    table = pd.DataFrame({name: np.asarray(values, dtype=float) for name, values in logs.items()})
    table.index = pd.RangeIndex(1, len(table) + 1, name="epoch")
    return table.round(decimals)


def restart(model, weights: list, learning_rate: float | None = None) -> None:
    """Put a compiled model back to ``weights`` with a fresh optimizer state.

    Re-using one compiled model for many runs saves re-tracing its training
    step, which on a small model costs more than the training itself.
    """
    import keras

    if not isinstance(model, keras.Model) or getattr(model, "optimizer", None) is None:
        raise ValueError("model must be a compiled keras.Model")
    if learning_rate is not None and (
        isinstance(learning_rate, bool)
        or not isinstance(learning_rate, (int, float))
        or learning_rate <= 0
    ):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    try:
        model.set_weights(weights)
    except ValueError as exc:
        raise ValueError(f"weights do not fit the model: {exc}") from exc
    rate = [v for v in model.optimizer.variables if v.path.endswith("/learning_rate")]
    if learning_rate is not None and not rate:
        raise ValueError(
            "learning_rate cannot be set: the model's optimizer follows a learning-rate "
            "schedule; compile it with a new schedule instead"
        )
    for variable in model.optimizer.variables:
        if not any(variable is kept for kept in rate):
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
    if learning_rate is not None:
        rate[0].assign(float(learning_rate))
    for metric in model.metrics:
        metric.reset_state()
