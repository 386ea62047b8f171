"""Quiet training: ``fit`` with no progress bars, history as a small table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from bnbook import scale


def _positive_int(name: str, value: object) -> int:
    """``value`` as an int >= 1, or a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _pair(name: str, x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets as arrays of finite numbers, one target per input, not empty."""
    if isinstance(x, Mapping):
        raise TypeError(
            f"{name}: the inputs must be one array (fit_quiet trains single-input "
            f"models), got {type(x).__name__}"
        )
    x, y = np.asarray(x), np.asarray(y)
    for array in (x, y):
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(
            f"{name} must hold as many targets as inputs, got {x.shape} and {y.shape}"
        )
    if len(x) == 0:
        raise ValueError(f"{name} must hold at least one sample, got none")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError(f"{name} must be finite: it contains NaN or infinity")
    return x, y


def _check_shapes(model, pairs: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Per-sample shapes checked against the model's input and output, where defined."""
    from bnbook.inspect_layers import _check_features, _check_targets

    for prefix, (x, y) in pairs.items():
        _check_features(f"{prefix}x", x, model)
        try:
            outputs = model.outputs
        except (AttributeError, ValueError):  # not built yet: checked again once built
            continue
        if outputs and len(outputs) == 1:
            _check_targets(f"{prefix}y", y, outputs[0])


def _check_seed(seed: object) -> int:
    """A seed NumPy accepts: an int in [0, 2**32)."""
    if (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
            or not 0 <= seed < 2**32):
        raise ValueError(f"seed must be a non-negative int below 2**32, got {seed!r}")
    return int(seed)


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
    seed = _check_seed(seed)
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    if callbacks is not None and (not isinstance(callbacks, Sequence)
                                  or isinstance(callbacks, (str, bytes))):
        raise TypeError(
            f"callbacks must be a list of keras callbacks, got {type(callbacks).__name__}"
        )
    # Every check before training: none may fail after an epoch has changed the weights.
    pairs = {"": (x, y)}
    if validation_data is not None:
        pairs["validation_data "] = validation_data
    _check_shapes(model, pairs)
    if keras.backend.backend() == "torch" and model.steps_per_execution > 1:
        # PyTorch-specific: Keras runs one step per call there and refuses more.
        model.steps_per_execution = 1
    # Keras builds a model's optimizer and metrics on its first fit by drawing a
    # batch, then restarts the data: one epoch's order spent, so a first fit
    # would see other batches than a later fit from the same seed. Build first.
    model._symbolic_build(data_batch=(x[:batch_size], y[:batch_size]))
    _check_shapes(model, pairs)  # a model built just now has its input and output now
    if keras.backend.backend() != "tensorflow":
        # fit's own shuffle (no TensorFlow) and PyTorch's dropout draw from the global
        # generators; on TensorFlow, reseeding them would retrace the training step.
        keras.utils.set_random_seed(seed)
    _reseed_random_layers(model, seed)
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
            train, set_epoch = _shuffled(x, y, batch_size, epochs, seed, one_pass)
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
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"decimals must be an int, got {decimals!r}")
    columns = {}
    for name, values in logs.items():
        array = np.asarray(values)
        if array.ndim != 1 or array.dtype.kind not in "biuf":
            raise TypeError(
                f"history[{name!r}] must be a list of numbers, one per epoch, got {values!r:.60}"
            )
        columns[name] = array.astype(float)
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"history must hold one value per epoch for every metric, got {lengths}")
    table = pd.DataFrame(columns)
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
        or not isinstance(learning_rate, (int, float, np.integer, np.floating))
        or not np.isfinite(learning_rate)
        or learning_rate <= 0
    ):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence):
        raise TypeError(
            "weights must be a list of arrays, as model.get_weights() returns, "
            f"got {type(weights).__name__}"
        )
    if not all(np.isfinite(np.asarray(w, dtype=float)).all() for w in weights):
        raise ValueError("weights must be finite: they contain NaN or infinity")
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


def seeded_kernels(weights: list, seed: int) -> list:
    """``weights`` with every kernel (2 or more axes) drawn anew, Glorot-uniform, from ``seed``.

    Biases and BN weights are kept. The global random state is left alone:
    resetting it (``keras.utils.set_random_seed``) would retrace ``fit``.
    """
    import keras

    if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence):
        raise TypeError(f"weights must be a list of arrays, got {type(weights).__name__}")
    seed = _check_seed(seed)
    weights = [np.asarray(w) for w in weights]
    kernels = [index for index, w in enumerate(weights) if w.ndim >= 2]
    for number, index in enumerate(kernels):
        draw = keras.initializers.GlorotUniform(seed=100 * seed + number)
        weights[index] = keras.ops.convert_to_numpy(draw(weights[index].shape))
    return weights
