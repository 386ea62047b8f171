"""Accuracy of a trained model, in either of BN's two modes."""

from __future__ import annotations

import numpy as np


def _predictions(model, x, training: bool) -> np.ndarray:
    import keras

    if training:  # batch statistics, leaving the moving statistics as they are
        output, _ = model.stateless_call(
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            x, training=True)
    else:
        output = model(x, training=False)
    return keras.ops.convert_to_numpy(output)


def accuracy(model, x, y, *, training: bool = False) -> float:
    """Share of the rows of ``x`` whose predicted class is ``y``.

    Several outputs: the class is the largest one (logits or probabilities).
    One output: a probability, class 1 above 0.5. NaN outputs (a diverged
    model) count as 0. ``training=True`` normalizes with the statistics of
    ``x`` itself, as one batch, and leaves the moving statistics untouched.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not isinstance(training, bool):
        raise TypeError(f"training must be True or False, got {training!r}")
    try:
        y = np.asarray(y)
        x = np.asarray(x, dtype="float32")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"x must be an array of numbers ({exc})") from exc
    if y.ndim != 1 or len(y) != len(x) or len(x) == 0:
        raise ValueError(
            f"y must hold one class label per row of x: x has {len(x)} rows, "
            f"y has shape {y.shape}")
    try:  # a subclassed model that was never built on a shape has none
        expected = model.input_shape
    except (AttributeError, ValueError):
        expected = None
    if isinstance(expected, tuple) and (
            len(expected) != x.ndim or any(
                e is not None and e != a for e, a in zip(expected[1:], x.shape[1:],
                                                         strict=True))):
        raise ValueError(f"x must have rows of shape {expected[1:]}, got {x.shape[1:]}")
    output = np.nan_to_num(_predictions(model, x, training))
    output = output.reshape(len(x), -1)
    predicted = output[:, 0] > 0.5 if output.shape[1] == 1 else output.argmax(axis=1)
    return float(np.mean(predicted == y))
