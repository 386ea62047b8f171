"""Checkers of chapter 4's exercises."""

from __future__ import annotations

import numpy as np

from bnbook.exercises.registry import (
    Hint,
    array,
    call,
    checker,
    function,
    number,
    relative_error,
)

# ex-04-axis: predict the parameter count of BN after a channels-first Conv2D.

_IMAGE = (3, 32, 32)  # channels first: 3 colours, 32 x 32 pixels
_FILTERS, _SIZE = 8, 3  # Conv2D(8, 3, use_bias=False), "valid" padding


def _axis_counts() -> dict[str, int]:
    """The model's parameter count, right, and as the usual mistakes give it."""
    conv = _SIZE * _SIZE * _IMAGE[0] * _FILTERS
    width = _IMAGE[2] - _SIZE + 1  # what axis=-1 keeps
    return {
        "truth": conv + 4 * width,
        "channels": conv + 4 * _FILTERS,
        "unshrunk": conv + 4 * _IMAGE[2],
        "trainable only": conv + 2 * width,
        "channels, trainable only": conv + 2 * _FILTERS,
        "BN only": 4 * width,
    }


@checker("ex-04-axis")
def _axis(answer: object) -> str:
    prediction = number(answer, "the model's count_params()")
    counts = _axis_counts()
    truth = counts["truth"]
    conv = counts["truth"] - counts["BN only"]
    if prediction == truth:
        return (f"count_params() is {truth}: {conv} for the kernel and 4 x 30 "
                f"for BN, which with axis=-1 keeps the last axis, the 30 "
                f"columns of the image, not its {_FILTERS} channels")
    hints = {
        "channels": "that is the count with axis=1, one set of four per "
                    "channel. The layer was left at its default axis=-1: "
                    "which axis of a channels-first output is last?",
        "unshrunk": "right axis, wrong length: a 3 x 3 convolution with "
                    "padding 'valid' shrinks 32 columns to how many?",
        "trainable only": "count_params() counts all four vectors of BN, the "
                          "non-trainable moving mean and variance too",
        "channels, trainable only": "two slips: count_params() counts all "
                                    "four vectors of BN, and axis=-1 is not "
                                    "the channel axis here",
        "BN only": "the convolution's kernel counts too: 3 x 3 x 3 x 8",
    }
    for name, hint in hints.items():
        if prediction == counts[name]:
            raise Hint(f"count_params() gives {truth}, not {prediction:g} "
                       f"(a count is exact): {hint}")
    raise Hint(f"count_params() gives {truth}, not {prediction:g}. Count "
               f"the kernel (k x k x c_in x c_out), then the shape of "
               f"gamma: BN keeps one set of four numbers per entry of the "
               f"axis that axis=-1 names")


# ex-04-fold: fold an inference-mode BN layer into the Dense or Conv2D before it.

_FOLD = "fold(kernel, bias, gamma, beta, mean, variance, epsilon)"
_KERNELS = ((6, 4), (5, 5), (3, 3, 2, 5), (1, 1, 4, 4))  # Dense, Conv2D
_TOLERANCE = 1e-5


def _fold_case(rng: np.random.Generator, shape: tuple[int, ...],
               epsilon: float) -> dict[str, object]:
    """Random float32 weights of a layer and of the BN layer after it."""
    c = shape[-1]

    def draw(low: float, high: float, size: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(low, high, size).astype(np.float32)

    sign = np.where(rng.random(c) < 0.5, -1.0, 1.0).astype(np.float32)
    return {
        "kernel": rng.normal(0, 0.5, shape).astype(np.float32),
        "bias": draw(-2, 2, (c,)), "gamma": sign * draw(0.3, 2, (c,)),
        "beta": draw(-1, 1, (c,)), "mean": draw(-3, 3, (c,)),
        "variance": draw(0.01, 1, (c,)), "epsilon": epsilon,
    }


def _folds(case: dict[str, object]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The folded (kernel, bias), right and as the usual mistakes give it."""
    w, b, gamma, beta, mean, var, eps = (
        np.asarray(case[k], dtype=np.float64) for k in
        ("kernel", "bias", "gamma", "beta", "mean", "variance", "epsilon"))
    scale = gamma / np.sqrt(var + eps)
    bias = beta + scale * (b - mean)
    square = w.shape[-2] == w.shape[-1]  # else the mistake cannot broadcast
    inputs = w * scale[:, None] if square else np.full(w.shape, np.nan)
    return {
        "right": (w * scale, bias),
        "no epsilon": (w * gamma / np.sqrt(var),
                       beta + gamma / np.sqrt(var) * (b - mean)),
        "variance": (w * gamma / (var + eps), beta + gamma / (var + eps) * (b - mean)),
        "no gamma": (w / np.sqrt(var + eps), beta + (b - mean) / np.sqrt(var + eps)),
        "inputs": (inputs, bias),
        "kernel unscaled": (w, bias),
        "bias ignored": (w * scale, beta - scale * mean),
        "mean unscaled": (w * scale, beta + scale * b - mean),
        "no beta": (w * scale, scale * (b - mean)),
        "bias unchanged": (w * scale, b),
    }


_KERNEL_HINTS = {
    "no epsilon": "close, but BN divides by sqrt(variance + epsilon): "
                  "epsilon is missing",
    "variance": "BN divides by the standard deviation, "
                "sqrt(variance + epsilon), not by the variance",
    "no gamma": "the scale of each output is gamma / sqrt(variance + "
                "epsilon): gamma is missing",
    "inputs": "the kernel is scaled along its input axis: each OUTPUT "
              "feature (the last axis) has its own BN scale",
    "kernel unscaled": "the kernel is unchanged: BN's scale multiplies the "
                       "whole output, so every column of the kernel too",
}
_BIAS_HINTS = {
    "bias ignored": "the new bias ignores the layer's own bias b: BN "
                    "subtracts the moving mean from (x W + b)",
    "mean unscaled": "BN scales (x W + b - mean) as a whole: the moving "
                     "mean must be multiplied by the scale too",
    "no beta": "BN adds beta after scaling: beta is missing",
    "bias unchanged": "the bias is unchanged: fold the moving mean, the "
                      "scale and beta into it",
}


def _matches(actual: np.ndarray, expected: np.ndarray) -> bool:
    return (actual.shape == expected.shape
            and relative_error(actual, expected) < _TOLERANCE)


def _diagnose(kernel: np.ndarray, bias: np.ndarray,
              folds: dict[str, tuple[np.ndarray, np.ndarray]],
              where: str) -> None:
    """Raise the hint of the mistake the folded weights look like."""
    right_kernel, right_bias = folds["right"]
    if not _matches(kernel, right_kernel):
        for name, hint in _KERNEL_HINTS.items():
            if _matches(kernel, folds[name][0]):
                raise Hint(f"{where}: {hint}")
        error = relative_error(kernel, right_kernel)
        raise Hint(f"{where}: the new kernel is off (relative error "
                   f"{error:.1e}); each output feature's column is "
                   f"multiplied by gamma / sqrt(variance + epsilon)")
    if not _matches(bias, right_bias):
        for name, hint in _BIAS_HINTS.items():
            if _matches(bias, folds[name][1]):
                raise Hint(f"{where}: {hint}")
        error = relative_error(bias, right_bias)
        raise Hint(f"{where}: the kernel is right, the new bias is off "
                   f"(relative error {error:.1e}); write BN's inference-"
                   f"mode output for x W + b and collect the constant")


@checker("ex-04-fold")
def _fold(answer: object) -> str:
    fold = function(answer, _FOLD)
    rng = np.random.default_rng(404)
    for shape in _KERNELS:
        for epsilon in (1e-3, 1e-5):
            case = _fold_case(rng, shape, epsilon)
            layer = "Dense" if len(shape) == 2 else "Conv2D"
            where = f"a {layer} kernel of shape {shape}"
            given = {k: np.copy(v) for k, v in case.items()}
            result = call(fold, **given, what=f"fold on {where}")
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise Hint(f"{_FOLD} must return two arrays, (kernel, bias)")
            kernel = array(result[0], f"the new kernel for {where}", shape)
            bias = array(result[1], f"the new bias for {where}", (shape[-1],))
            _diagnose(kernel, bias, _folds(case), where)
    return (f"kernel and bias match to {_TOLERANCE:.0e} for {len(_KERNELS)} "
            f"hidden layers (Dense and Conv2D), each with epsilon 1e-3 and "
            f"1e-5")


# ex-04-train-step: the loss and new state of one training step, stateless.

_STEP = "loss_and_updates(model, trainable, non_trainable, x, y)"


def _step_model(rng: np.random.Generator, features: int, units: int):
    """Dense -> BN -> relu -> Dense, with drawn weights and moving statistics."""
    import keras

    inputs = keras.Input((features,))
    x = keras.layers.Dense(units, use_bias=False)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu")(x)
    model = keras.Model(inputs, keras.layers.Dense(3)(x))
    model.set_weights([
        rng.normal(0, 0.5, (features, units)), rng.uniform(0.5, 2, units),
        rng.uniform(-1, 1, units), rng.uniform(-2, 2, units),
        rng.uniform(0.5, 3, units), rng.normal(0, 1, (units, 3)),
        rng.normal(0, 0.1, 3),
    ])
    return model


def _detached(value: object) -> object:
    """``value`` without its autograd history (PyTorch), else unchanged."""
    import keras

    try:
        return keras.ops.convert_to_numpy(keras.ops.stop_gradient(value))
    except Exception:  # not a tensor: array() says what it is
        return value


def _numpy(values: list) -> list[np.ndarray]:
    return [np.asarray(_detached(v), np.float64) for v in values]


def _step_result(result: object, count: int) -> tuple[float, list[np.ndarray]]:
    """The learner's (loss, new state) as a float and arrays, or a hint."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Hint(f"{_STEP} must return a pair: (loss, the new "
                   f"non-trainable values)")
    loss = array(_detached(result[0]), "the loss")
    if loss.size != 1:
        raise Hint(f"the loss has shape {loss.shape}: return one number, "
                   f"the mean over the batch")
    state = result[1]
    if not isinstance(state, (tuple, list)) or len(state) != count:
        raise Hint(f"the new non-trainable values must be a list of "
                   f"{count}, one per non-trainable variable, in order")
    arrays = [array(_detached(v), f"new non-trainable value {i}")
              for i, v in enumerate(state)]
    return float(loss.reshape(())), arrays


def _same(a: list[np.ndarray], b: list[np.ndarray], tolerance: float) -> bool:
    return all(x.shape == y.shape and np.allclose(x, y, atol=tolerance)
               for x, y in zip(a, b, strict=True))


@checker("ex-04-train-step")
def _train_step(answer: object) -> str:
    import keras

    step = function(answer, _STEP)
    rng = np.random.default_rng(44)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    for batch, features, units in ((16, 5, 4), (32, 3, 6)):
        model = _step_model(rng, features, units)
        x = rng.normal(1.5, 2.0, (batch, features)).astype(np.float32)
        y = rng.integers(0, 3, batch)
        trainable = [v.value for v in model.trainable_variables]
        state = [v.value for v in model.non_trainable_variables]
        old = _numpy(state)
        truths = {}
        for training in (True, False):
            logits, new = model.stateless_call(
                trainable, state, x, training=training)
            truths[training] = float(_detached(loss_fn(y, logits))), _numpy(new)
        loss, new_state = _step_result(
            call(step, model, trainable, state, x, y, what=_STEP), len(old))
        if not _same(_numpy(model.non_trainable_variables), old, 0):
            raise Hint("your function changed the model's own moving "
                       "statistics: a stateless step must not. Call "
                       "model.stateless_call, not model(x, ...)")
        right_loss, right_state = truths[True]
        if abs(loss - right_loss) > 1e-4 * max(1, abs(right_loss)):
            if abs(loss - truths[False][0]) < 1e-4 * max(1, abs(loss)):
                raise Hint("the loss is the inference-mode loss: like a "
                           "direct call, stateless_call runs the model in "
                           "inference mode unless it is told training=True")
            raise Hint(f"the loss is {loss:.4f}, the training-mode loss "
                       f"of this batch is {right_loss:.4f}: use the "
                       f"mean sparse categorical cross-entropy of the logits")
        if not _same(new_state, right_state, 1e-5):
            if _same(new_state, old, 1e-7):
                raise Hint("the returned moving statistics did not change: "
                           "return the new non-trainable values that "
                           "stateless_call gives back, not the ones you "
                           "were given")
            raise Hint("the returned non-trainable values are not the "
                       "moving statistics after this training-mode step")
    return ("training-mode loss and updated moving statistics match on 2 "
            "hidden models and batches; the models were left untouched")
