"""The moving statistics of a model's BN layers: read them, recompute them."""

from __future__ import annotations

import numpy as np


def _check_model(model) -> None:
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")


def batchnorm_layers(model) -> list:
    """The model's ``BatchNormalization`` layers, nested models included, in order."""
    import keras

    _check_model(model)
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        elif isinstance(layer, keras.Model):
            found += batchnorm_layers(layer)
    return found


def moving_statistics(model) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A copy of every BN layer's moving mean and variance, by layer name."""
    return {layer.name: (np.array(layer.moving_mean.numpy()),
                         np.array(layer.moving_variance.numpy()))
            for layer in batchnorm_layers(model)}


def recalibrate(model, x, batch_size: int | None = None) -> None:
    """Replace every BN layer's moving statistics by statistics of ``x``.

    Forward passes in training mode, no optimizer step. The first batch
    replaces the old values, later ones are averaged in with equal weight, so
    one batch (the default, all of ``x``) gives ``x``'s exact statistics.
    """
    layers = batchnorm_layers(model)
    if not layers:
        raise ValueError("model has no BatchNormalization layer to recalibrate")
    try:
        x = np.asarray(x, dtype="float32")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"x must be an array of numbers ({exc})") from exc
    if x.ndim < 2 or len(x) < 2:
        raise ValueError(f"x must be a batch of at least 2 rows, got shape {x.shape}")
    if batch_size is None:
        batch_size = len(x)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 2:
        raise ValueError(f"batch_size must be an int of at least 2, got {batch_size!r}")
    saved = [(layer.momentum, getattr(layer, "renorm", False)) for layer in layers]
    try:
        for k, start in enumerate(range(0, len(x), batch_size)):
            for layer in layers:  # k = 0: momentum 0, the old values are replaced
                layer.momentum = k / (k + 1)
                if hasattr(layer, "renorm"):  # Keras 3.14+: plain batch statistics
                    layer.renorm = False
            model(x[start:start + batch_size], training=True)
    finally:
        for layer, (momentum, renorm) in zip(layers, saved, strict=True):
            layer.momentum = momentum
            if hasattr(layer, "renorm"):
                layer.renorm = renorm
    for layer in layers:
        if getattr(layer, "renorm", False):  # renorm's training steps derive the variance from this
            import keras

            layer.moving_stddev.assign(
                keras.ops.sqrt(layer.moving_variance + layer.epsilon))
