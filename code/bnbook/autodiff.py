"""Gradients on any Keras backend: one call, three implementations.

Keras 3 has no backend-neutral gradient API: TensorFlow records operations on
a ``GradientTape``, JAX transforms a pure function (``jax.value_and_grad``) and
PyTorch runs autograd on tensors that require a gradient. :func:`value_and_grad`
hides the difference behind JAX's signature, so the course code that looks at
gradients (``bnbook.inspect_layers``, ``bnbook.landscape``, chapter 3's check
of the backward pass) is written once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np

__all__ = ["backend_name", "to_numpy", "value_and_grad"]

BACKENDS = ("tensorflow", "jax", "torch")


def backend_name() -> str:
    """The Keras backend in use, checked to be one this course supports."""
    name = keras.backend.backend()
    if name not in BACKENDS:
        raise NotImplementedError(
            f"the course supports the Keras backends {list(BACKENDS)}; this is {name!r}"
        )
    return name


def _tensorflow(fn: Callable, compile: bool) -> Callable:
    import tensorflow as tf

    def run(params, *args):
        params = [tf.convert_to_tensor(p) for p in params]
        with tf.GradientTape() as tape:
            tape.watch(params)
            value = fn(params, *args)
        grads = tape.gradient(value, params, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return value, grads

    return tf.function(run, reduce_retracing=True) if compile else run


def _jax(fn: Callable, compile: bool) -> Callable:
    import jax

    run = jax.value_and_grad(lambda params, *args: fn(list(params), *args))
    return jax.jit(run) if compile else run


def _torch(fn: Callable) -> Callable:
    import torch

    def run(params, *args):
        params = [keras.ops.convert_to_tensor(p).detach().requires_grad_(True) for p in params]
        value = fn(params, *args)
        grads = torch.autograd.grad(value, params, allow_unused=True)
        grads = [torch.zeros_like(p) if g is None else g
                 for p, g in zip(params, grads, strict=True)]
        return value.detach(), grads

    return run


def _check_scalar(value: object) -> None:
    """Refuse a non-scalar value of ``fn``: a gradient needs one number."""
    shape = tuple(getattr(value, "shape", ()))
    if shape:
        raise ValueError(f"fn must return a scalar, got a value of shape {shape}")


def _scalar(fn: Callable) -> Callable:
    """``fn``, checked to return a scalar before JAX or PyTorch differentiates it."""

    def checked(params, *args):
        value = fn(params, *args)
        _check_scalar(value)
        return value

    return checked


def value_and_grad(fn: Callable, *, compile: bool = True) -> Callable:
    """``fn(params, *args) -> scalar`` becomes ``(params, *args) -> (value, grads)``.

    ``params`` is a list of tensors (or arrays); ``grads`` holds one gradient per
    parameter, in order, zeros where the value does not depend on it. ``compile``
    traces the function once (``tf.function``, ``jax.jit``; PyTorch runs eagerly):
    worth it when the gradient is taken many times. On JAX, ``fn`` must be pure:
    use ``stateless_call`` rather than calling a model that changes its state.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable as fn(params, *args), got {fn!r}")
    if not isinstance(compile, bool):
        raise TypeError(f"compile must be True or False, got {compile!r}")
    backend = backend_name()
    if backend == "tensorflow":  # checked after the call: its tape takes a vector's sum
        gradient = _tensorflow(fn, compile)
    elif backend == "jax":
        gradient = _jax(_scalar(fn), compile)
    else:
        gradient = _torch(_scalar(fn))

    def checked(params: Sequence, *args):
        if isinstance(params, (str, bytes)) or not isinstance(params, Sequence):
            raise TypeError(
                f"params must be a list of tensors or arrays, got {type(params).__name__}"
            )
        value, grads = gradient(list(params), *args)
        _check_scalar(value)
        return value, grads

    return checked


def to_numpy(values: Sequence, dtype=None) -> list[np.ndarray]:
    """Tensors of any backend (a list of them) as NumPy arrays."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(
            "values must be a list of tensors or arrays (wrap a single tensor in a list), "
            f"got {type(values).__name__}"
        )
    return [np.asarray(keras.ops.convert_to_numpy(v), dtype=dtype) for v in values]
