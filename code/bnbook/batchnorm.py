"""Batch normalization in NumPy, following the conventions of Keras 3.

Statistics are taken over every axis except ``axis`` (the feature or channel
axis, as in ``keras.layers.BatchNormalization``). The batch variance is the
biased (population) one, epsilon sits inside the square root, and the moving
statistics follow ``moving = moving * momentum + batch * (1 - momentum)``, so
``momentum`` weights the *old* value (Keras default 0.99; PyTorch's
``momentum`` weights the new one). As in Keras 3, a layer whose ``trainable``
is False runs in inference mode even when called with ``training=True`` and
does not update its moving statistics. Computation runs in float64; results
come back in float32 for float16, float32 or integer input and in float64 for
float64 input. A Keras layer instead returns its compute dtype whatever the
input: float32 under the default policy (also for float64 input), float64
only for a layer created with ``dtype="float64"``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "BatchNorm", "BatchNormCache", "batch_moments", "batchnorm_backward", "batchnorm_forward",
]


@dataclass(frozen=True)
class BatchNormCache:
    """What the backward pass needs from the forward pass (float64 arrays)."""

    x_hat: np.ndarray
    mean: np.ndarray
    variance: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    axis: int
    reduce_axes: tuple[int, ...]
    count: int
    dtype: np.dtype


def _result_dtype(dtype: np.dtype) -> np.dtype:
    """float64 stays float64; everything else (float16/32, integers) becomes float32."""
    return np.dtype(np.float64) if np.dtype(dtype) == np.float64 else np.dtype(np.float32)


def _check_axis(axis: object, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"axis {axis} is out of range for an input of rank {ndim} "
            f"(allowed: {-ndim} to {ndim - 1})"
        )
    return int(axis) % ndim


def _check_epsilon(epsilon: object) -> float:
    if (isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.number))
            or not np.isfinite(epsilon) or epsilon <= 0):
        raise ValueError(f"epsilon must be a finite number > 0, got {epsilon!r}")
    return float(epsilon)


def _check_momentum(momentum: object) -> float:
    if (isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.number))
            or not 0 <= momentum <= 1):
        raise ValueError(f"momentum must be a number in [0, 1], got {momentum!r}")
    return float(momentum)


def _as_input(name: str, x: object) -> np.ndarray:
    array = np.asarray(x)
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim < 1:
        raise ValueError(f"{name} must have at least one axis, got a scalar")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite: it contains NaN or infinity")
    return array


def _check_param(name: str, value: object, channels: int, axis: int) -> np.ndarray:
    array = _as_input(name, value).astype(np.float64)
    if array.shape != (channels,):
        raise ValueError(
            f"{name} must have shape ({channels},), one value per position of axis {axis}, "
            f"got shape {array.shape}"
        )
    return array


def _broadcast(vector: np.ndarray, ndim: int, axis: int) -> np.ndarray:
    shape = [1] * ndim
    shape[axis] = vector.shape[0]
    return vector.reshape(shape)


def batch_moments(x: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature batch mean and biased variance (float64) over every axis but ``axis``."""
    array = _as_input("x", x)
    given_axis = axis
    axis = _check_axis(axis, array.ndim)
    if array.shape[axis] and array.size == 0:
        raise ValueError(
            f"x has no values per feature (axis={given_axis}, shape {array.shape}): "
            "the mean and variance of an empty batch are undefined"
        )
    reduce_axes = tuple(a for a in range(array.ndim) if a != axis)
    values = array.astype(np.float64)
    return values.mean(axis=reduce_axes), values.var(axis=reduce_axes)


def batchnorm_forward(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    axis: int = -1,
    epsilon: float = 1e-3,
) -> tuple[np.ndarray, BatchNormCache]:
    """Training-mode batch normalization of ``x``; returns ``(y, cache)``."""
    array = _as_input("x", x)
    given_axis = axis
    axis = _check_axis(axis, array.ndim)
    epsilon = _check_epsilon(epsilon)
    channels = array.shape[axis]
    gamma = _check_param("gamma", gamma, channels, given_axis)
    beta = _check_param("beta", beta, channels, given_axis)
    reduce_axes = tuple(a for a in range(array.ndim) if a != axis)
    count = array.size // channels if channels else 0
    if count < 2:
        raise ValueError(
            f"x has {count} value(s) per feature (axis={given_axis}, shape {array.shape}): "
            "training mode needs at least 2, since the batch variance of a single value is "
            "zero and every output would equal beta; use a batch of more than one sample "
            "or inference mode"
        )
    values = array.astype(np.float64)
    mean = values.mean(axis=reduce_axes, keepdims=True)
    variance = values.var(axis=reduce_axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(variance + epsilon)
    x_hat = (values - mean) * inv_std
    y = _broadcast(gamma, array.ndim, axis) * x_hat + _broadcast(beta, array.ndim, axis)
    dtype = _result_dtype(array.dtype)
    cache = BatchNormCache(x_hat, mean.reshape(-1), variance.reshape(-1), inv_std, gamma,
                           axis, reduce_axes, count, dtype)
    return y.astype(dtype), cache


def batchnorm_backward(
    dy: np.ndarray, cache: BatchNormCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients ``(dx, dgamma, dbeta)`` of a loss, given ``dy`` = dloss/dy."""
    if not isinstance(cache, BatchNormCache):
        raise TypeError(f"cache must come from batchnorm_forward, got {type(cache).__name__}")
    grad = _as_input("dy", dy)
    if grad.shape != cache.x_hat.shape:
        raise ValueError(
            f"dy must have the shape of x, {cache.x_hat.shape}, got {grad.shape}"
        )
    grad = grad.astype(np.float64)
    axes, m = cache.reduce_axes, cache.count
    dbeta = grad.sum(axis=axes)
    dgamma = (grad * cache.x_hat).sum(axis=axes)
    ndim, axis = grad.ndim, cache.axis
    # dx = gamma / (m * sigma) * (m * dy - sum(dy) - x_hat * sum(dy * x_hat))
    dx = (_broadcast(cache.gamma, ndim, axis) * cache.inv_std / m) * (
        m * grad - _broadcast(dbeta, ndim, axis) - cache.x_hat * _broadcast(dgamma, ndim, axis)
    )
    dtype = cache.dtype
    return dx.astype(dtype), dgamma.astype(dtype), dbeta.astype(dtype)


class BatchNorm:
    """A batch-normalization layer with Keras's defaults and update rule; float64 state.

    ``trainable=False`` freezes it as Keras 3 does: inference mode whatever
    ``training`` says, and no update of the moving statistics.
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 trainable: bool = True) -> None:
        """Store the settings; the weights are created on the first call."""
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"axis must be an int, got {axis!r}")
        self.axis = int(axis)
        self.momentum = _check_momentum(momentum)
        self.epsilon = _check_epsilon(epsilon)
        self.trainable = trainable
        self.gamma: np.ndarray | None = None
        self.beta: np.ndarray | None = None
        self.moving_mean: np.ndarray | None = None
        self.moving_variance: np.ndarray | None = None

    @property
    def trainable(self) -> bool:
        """False freezes the layer: inference mode, moving statistics left alone."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"trainable must be True or False, got {value!r}")
        self._trainable = bool(value)

    def __repr__(self) -> str:
        return (f"BatchNorm(axis={self.axis}, momentum={self.momentum}, "
                f"epsilon={self.epsilon}, trainable={self.trainable})")

    def _build(self, channels: int) -> None:
        self.gamma = np.ones(channels)
        self.beta = np.zeros(channels)
        self.moving_mean = np.zeros(channels)
        self.moving_variance = np.ones(channels)

    def __call__(self, x: np.ndarray, training: bool | None = False) -> np.ndarray:
        """Normalize ``x``: batch statistics (training; updates the moving ones) or moving ones.

        ``training=None`` means inference, as in Keras; a frozen layer
        (``trainable=False``) always runs in inference mode.
        """
        if training is not None and not isinstance(training, (bool, np.bool_)):
            raise TypeError(f"training must be True, False or None, got {training!r}")
        array = _as_input("x", x)
        axis = _check_axis(self.axis, array.ndim)
        channels = array.shape[axis]
        if self.gamma is None:
            self._build(channels)
        elif self.gamma.shape[0] != channels:
            raise ValueError(
                f"x has {channels} features along axis {self.axis}, but the layer was built "
                f"for {self.gamma.shape[0]}"
            )
        if training and self.trainable:  # Keras 3's gate: a frozen layer does not train
            y, cache = batchnorm_forward(array, self.gamma, self.beta, self.axis, self.epsilon)
            momentum = self.momentum
            self.moving_mean = self.moving_mean * momentum + cache.mean * (1.0 - momentum)
            self.moving_variance = (self.moving_variance * momentum
                                    + cache.variance * (1.0 - momentum))
            return y
        ndim = array.ndim
        scale = self.gamma / np.sqrt(self.moving_variance + self.epsilon)
        y = (array.astype(np.float64) - _broadcast(self.moving_mean, ndim, axis)) * _broadcast(
            scale, ndim, axis) + _broadcast(self.beta, ndim, axis)
        return y.astype(_result_dtype(array.dtype))
