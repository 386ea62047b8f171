"""Checkers of chapter 7's exercises."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bnbook.exercises.registry import Hint, call, checker, function, number


def _numpy(value: object) -> np.ndarray:
    """A Keras variable or tensor as a float64 NumPy array."""
    import keras

    if isinstance(value, keras.Variable):
        return np.asarray(value.numpy(), dtype=np.float64)
    return np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)


def _bn_layers(model: object) -> list:
    """The BatchNormalization layers of a functional model, in order."""
    import keras

    return [layer for layer in model.layers
            if isinstance(layer, keras.layers.BatchNormalization)]


# ex-07-what-trains: the parameter counts of way (a), BN frozen.

def _chapter_model() -> object:
    """The chapter's fine-tuning model: two conv-BN-ReLU blocks and a head."""
    import keras

    layers = keras.layers
    x = inputs = keras.Input(shape=(14, 14, 1))
    for filters in (16, 32):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
    outputs = layers.Dense(5, activation="softmax")(layers.Flatten()(x))
    return keras.Model(inputs, outputs)


def _counts(model: object) -> tuple[int, int]:
    """(trainable, non-trainable) parameter counts of ``model``."""
    trainable = sum(int(np.prod(v.shape)) for v in model.trainable_weights)
    return trainable, model.count_params() - trainable


@checker("ex-07-what-trains")
def _what_trains(answer: object) -> str:
    what = "(trainable, non_trainable) of way (a)"
    if answer is None or answer is Ellipsis:
        number(answer, what)
    if isinstance(answer, (str, dict, set)) or not hasattr(answer, "__len__") \
            or len(answer) != 2:
        raise Hint(f"expected a pair of numbers {what}, e.g. (1000, 20); "
                   f"got {type(answer).__name__}")
    guess = tuple(round(number(value, what)) for value in answer)
    model = _chapter_model()
    everything = model.count_params()
    head = _counts(model.layers[-1])[0]
    channels = sum(int(layer.gamma.shape[0]) for layer in _bn_layers(model))
    all_free = _counts(model)
    for layer in _bn_layers(model):
        layer.trainable = False
    truth = _counts(model)
    if guess == truth:
        return (f"way (a) trains {truth[0]:,} parameters and keeps "
                f"{truth[1]:,} fixed: your prediction is right")
    if guess == all_free:
        raise Hint("you counted gamma and beta as trainable: a BN layer with "
                   "trainable = False lists no trainable weights at all, so its "
                   "gamma and beta join the moving statistics among the "
                   "non-trainable parameters")
    if guess[1] == 0:
        raise Hint("the moving mean and variance are never trainable: BN "
                   "updates them itself, not the optimizer, so they count as "
                   "non-trainable in every way")
    if guess == (head, everything - head):
        raise Hint("that is way (c), the whole base frozen; in way (a) only the "
                   "BN layers are frozen and the convolutions train")
    if guess == (truth[0] - head, truth[1]):
        raise Hint("you left out the head: the fine-tuning model is the base "
                   "plus the new Dense(5) head, whose kernel and bias train")
    if guess == (truth[0] + channels, truth[1]):
        raise Hint("the convolutions have no bias (use_bias=False): count their "
                   "kernels only")
    if guess[1] == truth[1] and (guess[0] - truth[0]) % 5 == 0:
        raise Hint("your non-trainable count is right; recount the head: how "
                   "many features does Flatten give? With padding='same' a "
                   "stride of 2 halves the size and rounds up")
    if sum(guess) == everything:
        raise Hint(f"your total ({everything:,}) is right but the split is "
                   "not: which weights of a BN layer with trainable = False "
                   "can the optimizer change?")
    raise Hint("count layer by layer: a Conv2D kernel holds k·k·c_in·c_out "
               "numbers, a BN layer four vectors of its channel count, the head "
               "features·5 + 5; then sort them into trainable and not")


# ex-07-unfreeze: prepare a model for phase 2 of fine-tuning.

def _pretrained_case(convolutional: bool, seed: int) -> tuple:
    """A base with two BN layers, a head, and a batch of its inputs."""
    import keras

    layers = keras.layers
    rng = np.random.default_rng(seed)
    shape = (6, 6, 2) if convolutional else (5,)
    x = inputs = keras.Input(shape=shape)
    for block, units in enumerate((4, 6)):
        if convolutional:
            x = layers.Conv2D(units, 3, strides=1 + block, padding="same",
                              use_bias=False, name=f"features_{block}")(x)
        else:
            x = layers.Dense(units, use_bias=False, name=f"features_{block}")(x)
        x = layers.BatchNormalization(name=f"norm_{block}")(x)
        x = layers.Activation("relu", name=f"relu_{block}")(x)
    if convolutional:
        x = layers.Flatten(name="flatten")(x)
    base = keras.Model(inputs, x, name="pretrained")
    outer = keras.Input(shape=shape)
    head = layers.Dense(3, activation="softmax", name="head")
    model = keras.Model(outer, head(base(outer)))
    for layer in _bn_layers(base):  # moving statistics of a pretraining
        size = layer.moving_mean.shape
        layer.moving_mean.assign(rng.normal(0.0, 1.0, size))
        layer.moving_variance.assign(rng.uniform(0.5, 2.0, size))
    batch = rng.normal(1.0, 2.0, (8, *shape)).astype("float32")
    return base, model, batch


def _record_compiles(model: object, base: object) -> list[dict]:
    """Wrap ``model.compile``: each call records the base's trainable flags."""
    compiled = model.compile
    records: list[dict] = []

    def compile_and_record(*args: object, **kwargs: object) -> object:
        records.append({layer.name: layer.trainable for layer in base.layers})
        return compiled(*args, **kwargs)

    model.compile = compile_and_record
    return records


def _statistics(base: object) -> list[np.ndarray]:
    """The moving means and variances of the base's BN layers."""
    return [_numpy(v) for layer in _bn_layers(base)
            for v in (layer.moving_mean, layer.moving_variance)]


def _check_prepared(prepare: Callable, convolutional: bool) -> None:
    """Phase 1, then ``prepare``: what phase 2 would train, and BN's mode."""
    import keras

    base, model, x = _pretrained_case(convolutional, seed=7 + convolutional)
    base.trainable = False  # phase 1: the head alone
    phase1 = keras.optimizers.Adam(1e-3)
    model.compile(optimizer=phase1, loss="sparse_categorical_crossentropy")
    records = _record_compiles(model, base)
    rate = 3e-4 if convolutional else 2e-5
    call(prepare, base, model, rate,
         what="prepare_for_finetuning(base, model, learning_rate)")
    norms = _bn_layers(base)
    thawed = [layer.name for layer in norms if layer.trainable]
    if thawed:
        raise Hint(f"after your function the BN layer {thawed[0]!r} is trainable: "
                   "base.trainable = True sets trainable on every layer inside "
                   "the base, BN layers included, so freeze the BN layers after "
                   "unfreezing the base (and find them in base.layers: "
                   "model.layers holds the whole base as one layer)")
    trained = {id(v) for v in model.trainable_weights}
    frozen = [layer.name for layer in base.layers if layer not in norms
              and any(id(v) not in trained for v in layer.weights)]
    if frozen:
        raise Hint(f"the base's layer {frozen[0]!r} will not train: unfreeze the "
                   "base (base.trainable = True) before you freeze its BN layers")
    if id(model.get_layer("head").kernel) not in trained:
        raise Hint("the head does not train any more: leave it trainable")
    if not records:
        raise Hint("your function does not compile the model again: it keeps the "
                   "optimizer and the training step of its last compile, made in "
                   "phase 1 with the base frozen (assigning "
                   "model.optimizer.learning_rate changes only that optimizer). "
                   "On TensorFlow fit then goes on training the head alone; JAX "
                   "and PyTorch stop with a ValueError. Compile after changing "
                   "trainable")
    if model.optimizer is phase1:
        raise Hint("you compiled with the optimizer of phase 1, which is built "
                   "for the head's variables alone: give compile a new "
                   "keras.optimizers.Adam(learning_rate)")
    if records[-1] != {layer.name: layer.trainable for layer in base.layers}:
        raise Hint("you compiled before you changed trainable: compile records "
                   "what trains, so set every flag first and compile last")
    got = float(_numpy(model.optimizer.learning_rate))
    if not np.isclose(got, rate, rtol=1e-5):
        raise Hint(f"the new optimizer's learning rate is {got:.3g}, not the "
                   f"learning_rate argument ({rate:g})")
    before = _statistics(base)
    model(x, training=True)  # as fit calls it
    if any(not np.array_equal(a, b)
           for a, b in zip(before, _statistics(base), strict=True)):
        raise Hint("the BN layers still update their moving statistics in "
                   "training: freeze them with layer.trainable = False")


@checker("ex-07-unfreeze")
def _unfreeze(answer: object) -> str:
    prepare = function(answer, "prepare_for_finetuning(base, model, learning_rate)")
    _check_prepared(prepare, convolutional=False)
    _check_prepared(prepare, convolutional=True)
    return ("on a dense and a convolutional base, compiled after the flags: "
            "BN stays frozen in training mode, everything else trains")


# ex-07-recalibrate: re-estimate every BN layer's statistics on new data.

def _recalibration_case(convolutional: bool, seed: int) -> tuple:
    """A base with three BN layers, stale statistics, and shifted inputs."""
    import keras

    layers = keras.layers
    rng = np.random.default_rng(seed)
    shape = (8, 8, 2) if convolutional else (6,)
    x = inputs = keras.Input(shape=shape)
    for block, units in enumerate((5, 4, 6)):
        if convolutional:
            x = layers.Conv2D(units, 3, strides=1 + block % 2, padding="same",
                              use_bias=False, name=f"features_{block}")(x)
        else:
            x = layers.Dense(units, name=f"features_{block}")(x)
        x = layers.BatchNormalization(epsilon=1e-2, name=f"norm_{block}")(x)
        x = layers.Activation("relu", name=f"relu_{block}")(x)
    base = keras.Model(inputs, x, name="pretrained")
    for layer in _bn_layers(base):  # trained scales and stale statistics
        size = layer.gamma.shape
        layer.gamma.assign(rng.uniform(0.5, 2.0, size))
        layer.beta.assign(rng.normal(0.0, 0.5, size))
        layer.moving_mean.assign(rng.normal(0.0, 1.0, size))
        layer.moving_variance.assign(rng.uniform(0.5, 2.0, size))
    samples = 24 if convolutional else 10  # few: n and n - 1 differ
    x = rng.normal(2.0, 3.0, (samples, *shape)).astype("float32")
    return base, x


def _recalibrated(base: object, x: np.ndarray, sequential: bool = True,
                  ddof: int = 0, output: bool = False) -> list[tuple]:
    """Each BN layer's input (mean, variance) on ``x``, or a mistaken variant."""
    # Variants: every layer measured through the stale statistics (not
    # sequential), the unbiased variance, the layer's output. ``base``
    # ends with the statistics it started with.
    import keras

    norms = _bn_layers(base)
    stale = _statistics(base)
    found = []
    for layer in norms:
        tensor = layer.output if output else layer.input
        z = _numpy(keras.Model(base.input, tensor)(x))
        z = z.reshape(-1, z.shape[-1])
        found.append((z.mean(axis=0), z.var(axis=0, ddof=ddof)))
        if sequential:
            layer.moving_mean.assign(found[-1][0])
            layer.moving_variance.assign(found[-1][1])
    for k, layer in enumerate(norms):
        layer.moving_mean.assign(stale[2 * k])
        layer.moving_variance.assign(stale[2 * k + 1])
    return found


def _matches(statistics: list[np.ndarray], expected: list[tuple],
             which: slice = slice(None)) -> bool:
    """Whether the moving statistics equal ``expected`` (means, variances)."""
    pairs = list(zip(statistics[0::2], statistics[1::2], strict=True))[which]
    return all(
        np.allclose(mean, want_mean, rtol=1e-4, atol=1e-4 * np.sqrt(want_var))
        and np.allclose(var, want_var, rtol=1e-4, atol=1e-7)
        for (mean, var), (want_mean, want_var)
        in zip(pairs, expected[which], strict=True))


def _check_recalibration(recalibrate: Callable, convolutional: bool) -> None:
    """Run ``recalibrate`` on one hidden base; hint at the variant it matches."""
    base, x = _recalibration_case(convolutional, seed=70 + convolutional)
    stale = _statistics(base)
    truth = _recalibrated(base, x)
    variants = {
        "one pass": _recalibrated(base, x, sequential=False),
        "ddof": _recalibrated(base, x, ddof=1),
        "output": _recalibrated(base, x, output=True),
    }
    try:
        call(recalibrate, base, x, what="recalibrate(base, x)")
    except Hint as hint:
        if "shape" in str(hint).lower():
            raise Hint(f"{hint} (a BN layer keeps one mean and one variance per "
                       "channel, its last axis: average over every other axis, "
                       "the batch and the positions)") from None
        raise
    got = _statistics(base)
    if _matches(got, truth):
        return
    if all(np.array_equal(a, b) for a, b in zip(got, stale, strict=True)):
        raise Hint("the moving statistics did not change: assign the new values "
                   "to each BN layer's moving_mean and moving_variance "
                   "(layer.moving_mean.assign(...))")
    if _matches(got, variants["one pass"]):
        raise Hint("your first BN layer is right, the later ones are not: you "
                   "measured every layer's input through the stale statistics of "
                   "the layers before it. Recalibrate one layer at a time, in "
                   "order, so that each sees its input as the recalibrated "
                   "layers before it produce it")
    if _matches(got, variants["ddof"]):
        raise Hint("your variances are the unbiased estimate, divided by n - 1; "
                   "BN's batch variance divides by n")
    if _matches(got, variants["output"]):
        raise Hint("you measured each BN layer's output; its statistics are those "
                   "of its input (layer.input)")
    momentum = _bn_layers(base)[0].momentum
    partial = momentum * stale[0] + (1 - momentum) * truth[0][0]
    if np.allclose(got[0], partial, rtol=1e-4, atol=1e-6):
        raise Hint("your moving statistics moved only part of the way: a call "
                   "in training mode updates them as momentum · old + "
                   "(1 - momentum) · batch, and the momentum is 0.99. Assign "
                   "the new values themselves")
    if np.allclose(got[1], np.sqrt(truth[0][1]), rtol=1e-4):
        raise Hint("moving_variance holds a variance: you stored a standard "
                   "deviation")
    if _matches(got, truth, slice(0, 1)):
        raise Hint("your first BN layer is right, the later ones are not: "
                   "measure each layer's input after the layers before it are "
                   "recalibrated, through the whole base up to that layer")
    raise Hint("the first BN layer's statistics are wrong: its moving mean "
               "should be the mean of its input over every axis but the "
               "channels, its moving variance the variance (divided by n)")


@checker("ex-07-recalibrate")
def _recalibrate(answer: object) -> str:
    recalibrate = function(answer, "recalibrate(base, x)")
    _check_recalibration(recalibrate, convolutional=False)
    _check_recalibration(recalibrate, convolutional=True)
    return ("the moving statistics of a dense and a convolutional base, three "
            "BN layers each, match their inputs' statistics layer by layer")
