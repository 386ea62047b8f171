"""Probe the loss landscape around a model's weights, and the shift of its gradients.

The measures of Santurkar et al. (2018), "How does batch normalization help
optimization?", for any functional or Sequential Keras model:

- :func:`loss_and_gradients`: the mean loss on a batch and its gradient with
  respect to every trainable weight, at the model's weights or at others.
- :func:`gradient_path`, :func:`smoothness_along_gradient`: step from the
  weights along the negative gradient by several step sizes and measure the
  loss there (*loss variation*), how far the gradient has changed
  (*gradient predictiveness*: a small change means the gradient predicted the
  landscape well) and the largest ratio of gradient change to distance moved
  (an *effective beta-smoothness*, a local, directional Lipschitz constant of
  the gradient).
- :func:`internal_covariate_shift`: Santurkar et al.'s gradient-based measure
  of internal covariate shift. For a layer ``k``, ``G`` is the gradient of the
  loss with respect to layer ``k``'s weights; ``G'`` is the same gradient
  after every earlier layer has taken its update (here the plain SGD step
  ``-learning_rate * gradient``, all on the same batch). The layer's weights
  have not moved, so ``G' - G`` is caused only by the change of its input
  distribution (and of everything after it that the earlier layers affect).

Every forward pass runs through ``stateless_call``: the model's weights and its
non-trainable state (moving statistics of ``BatchNormalization``, random seed
states) never change, and every pass of one probe sees the same state, so a
random layer draws the same noise in each of them. By default the passes run
in training mode, as ``fit`` does. Any backend (``bnbook.autodiff``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence

import keras
import numpy as np
import pandas as pd

from bnbook.autodiff import to_numpy, value_and_grad
from bnbook.inspect_layers import (
    _check_batch,
    _check_bool,
    _check_layer_names,
    _check_loss,
    _check_model,
    _check_numbers,
)

__all__ = [
    "gradient_path",
    "internal_covariate_shift",
    "loss_and_gradients",
    "smoothness_along_gradient",
]


# ------------------------------------------------------------------ checks


def _positive(name: str, value: object) -> float:
    if (isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
            or not np.isfinite(value) or value <= 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _check_step_sizes(step_sizes: object) -> list[float]:
    if isinstance(step_sizes, (str, bytes)) or not isinstance(step_sizes, Sequence):
        raise TypeError(f"step_sizes must be a sequence of numbers, got {step_sizes!r}")
    if not step_sizes:
        raise ValueError("step_sizes must hold at least one step size, got none")
    for value in step_sizes:
        if (isinstance(value, bool)
                or not isinstance(value, (int, float, np.integer, np.floating))
                or not np.isfinite(value) or value <= 0):
            raise ValueError(f"step_sizes must be finite numbers > 0, got {list(step_sizes)}")
    return [float(value) for value in step_sizes]


def _check_weights(model: keras.Model, weights: object) -> list[np.ndarray] | None:
    if weights is None:
        return None
    variables = model.trainable_variables
    if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence):
        raise TypeError(
            "weights must be a list of arrays, one per trainable variable, or None; "
            f"got {type(weights).__name__}"
        )
    if len(weights) != len(variables):
        raise ValueError(
            f"weights must hold one array per trainable variable ({len(variables)}), "
            f"got {len(weights)}"
        )
    arrays = []
    for variable, value in zip(variables, weights, strict=True):
        array = _check_numbers(f"weights (the array for {variable.path})", value)
        if array.shape != tuple(variable.shape):
            raise ValueError(
                f"weights: the array for {variable.path} must have shape "
                f"{tuple(variable.shape)}, got {array.shape}"
            )
        arrays.append(array)
    return arrays


# ------------------------------------------------------------ the gradient


# One compiled gradient function per (model, loss_fn, training), traced once and
# reused by every probe of that model: a probe evaluates the gradient many times,
# and op-by-op eager execution would cost far more than the arithmetic. The
# function holds the model only through a weak reference.
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled_gradient(model: keras.Model, loss_fn: Callable, training: bool):
    functions = _COMPILED.setdefault(model, {})
    key = (id(loss_fn), training)
    if key not in functions or functions[key][0] is not loss_fn:
        model_ref = weakref.ref(model)

        def loss_of(weights, non_trainable, x, y):
            output, _ = model_ref().stateless_call(weights, non_trainable, x, training=training)
            return keras.ops.mean(loss_fn(y, output))

        functions[key] = (loss_fn, value_and_grad(loss_of))
    return functions[key][1]


def _gradient_fn(model: keras.Model, x, y, loss_fn: Callable, training: bool):
    """A function weights -> (loss, gradients) on one batch."""
    x_tensor = keras.ops.convert_to_tensor(x)
    y_tensor = keras.ops.convert_to_tensor(y)
    non_trainable = [keras.ops.convert_to_tensor(v.value) for v in model.non_trainable_variables]
    dtypes = [v.dtype for v in model.trainable_variables]
    compiled = _compiled_gradient(model, loss_fn, training)

    def evaluate(weights: list) -> tuple[float, list[np.ndarray]]:
        values = [keras.ops.convert_to_tensor(w, dtype=d)
                  for w, d in zip(weights, dtypes, strict=True)]
        loss, grads = compiled(values, non_trainable, x_tensor, y_tensor)
        return float(keras.ops.convert_to_numpy(loss)), to_numpy(grads, np.float64)

    return evaluate


def _current(model: keras.Model) -> list[np.ndarray]:
    return [np.array(v.numpy(), dtype=np.float64) for v in model.trainable_variables]


def _norm(arrays: Sequence[np.ndarray]) -> float:
    return float(np.sqrt(sum(float(np.sum(np.square(a))) for a in arrays)))


def loss_and_gradients(
    model: keras.Model,
    x,
    y,
    loss_fn: Callable,
    weights: Sequence[np.ndarray] | None = None,
    *,
    training: bool = True,
) -> tuple[float, list[np.ndarray]]:
    """The mean loss ``loss_fn(y, model(x))`` and its gradient, one array per trainable variable.

    ``weights`` (one array per ``model.trainable_variables``, in that order)
    evaluates at other weights than the model's own, without changing the
    model. Gradients come back in float64, in the order of
    ``model.trainable_variables``.
    """
    model = _check_model(model)
    loss_fn = _check_loss(loss_fn)
    training = _check_bool("training", training)
    x, y = _check_batch(model, x, y)
    arrays = _check_weights(model, weights)
    evaluate = _gradient_fn(model, x, y, loss_fn, training)
    return evaluate(_current(model) if arrays is None else arrays)


# ----------------------------------------------------- along the gradient


def gradient_path(
    model: keras.Model,
    x,
    y,
    loss_fn: Callable,
    step_sizes: Sequence[float],
    *,
    training: bool = True,
) -> pd.DataFrame:
    """Step along the negative gradient by each step size and measure loss and gradient there.

    With ``w`` the model's trainable weights and ``g`` the gradient of the mean
    loss at ``w`` on the batch ``(x, y)``, one row per step size ``eta``:
    ``step_size``; ``distance`` = ``||eta g||``, how far the weights moved;
    ``loss`` = the loss at ``w - eta g``; ``grad_change`` =
    ``||g(w - eta g) - g(w)||``; ``beta`` = ``grad_change / distance``. A first
    row with ``step_size`` 0 holds the starting point (``loss`` at ``w``,
    zero distance and change, ``beta`` NaN). Norms are taken over all trainable
    weights together.
    """
    model = _check_model(model)
    loss_fn = _check_loss(loss_fn)
    training = _check_bool("training", training)
    x, y = _check_batch(model, x, y)
    etas = _check_step_sizes(step_sizes)
    evaluate = _gradient_fn(model, x, y, loss_fn, training)
    start = _current(model)
    loss0, grad0 = evaluate(start)
    grad_norm = _norm(grad0)
    rows = [{"step_size": 0.0, "distance": 0.0, "loss": loss0, "grad_change": 0.0,
             "beta": float("nan")}]
    for eta in etas:
        moved = [w - eta * g for w, g in zip(start, grad0, strict=True)]
        loss, grad = evaluate(moved)
        change = _norm([a - b for a, b in zip(grad, grad0, strict=True)])
        distance = eta * grad_norm
        rows.append({"step_size": eta, "distance": distance, "loss": loss, "grad_change": change,
                     "beta": change / distance if distance > 0 else float("nan")})
    return pd.DataFrame(rows)


def smoothness_along_gradient(
    model: keras.Model,
    x,
    y,
    loss_fn: Callable,
    step_sizes: Sequence[float],
    *,
    training: bool = True,
) -> dict[str, float]:
    """Three summaries of :func:`gradient_path`, as Santurkar et al. (2018) plot them.

    - ``loss_variation``: the range (max - min) of the loss over the start and
      every step along the negative gradient;
    - ``gradient_change``: the largest ``||g(w - eta g) - g(w)||`` over the
      step sizes (gradient predictiveness: smaller is more predictive);
    - ``beta``: the largest ``grad_change / distance`` (effective
      beta-smoothness along the gradient; smaller is smoother).

    Also ``loss`` and ``grad_norm`` at the starting point. A NaN or infinite
    loss anywhere on the path makes the summaries NaN or infinite, not an error.
    """
    path = gradient_path(model, x, y, loss_fn, step_sizes, training=training)
    moved = path.iloc[1:]
    start = path.iloc[0]
    grad_norm = float(moved["distance"].iloc[0] / moved["step_size"].iloc[0])
    return {
        "loss": float(start["loss"]),
        "grad_norm": grad_norm,
        "loss_variation": float(path["loss"].max() - path["loss"].min()),
        "gradient_change": float(moved["grad_change"].max()),
        "beta": float(moved["beta"].max()),
    }


# ---------------------------------------------- internal covariate shift


def _layer_slices(model: keras.Model) -> list[tuple[str, list[int]]]:
    """Each layer with trainable weights, in the model's order, and their indices."""
    index = {id(v): i for i, v in enumerate(model.trainable_variables)}
    slices = []
    for layer in model.layers:
        own = [index[id(v)] for v in layer.trainable_variables if id(v) in index]
        if own:
            slices.append((layer.name, sorted(own)))
    return slices


def internal_covariate_shift(
    model: keras.Model,
    x,
    y,
    loss_fn: Callable,
    learning_rate: float,
    layer_names: Sequence[str] | None = None,
    *,
    training: bool = True,
) -> pd.DataFrame:
    """Santurkar et al.'s internal covariate shift of each named layer, on one batch.

    For layer ``k`` (all its trainable weights together), ``G`` is the gradient
    of the mean loss at the model's weights, and ``G'`` the gradient of the same
    weights after every layer before ``k`` (in ``model.layers`` order) has
    taken the plain SGD step ``-learning_rate * G_j``; layer ``k`` and the
    layers after it keep their weights. One row per layer: ``layer``,
    ``grad_norm`` = ``||G||``, ``shift`` = ``||G' - G||``, ``relative_shift`` =
    ``shift / grad_norm`` and ``cosine`` between ``G`` and ``G'`` (1 when the
    direction did not change). ``layer_names`` defaults to every layer with
    trainable weights; the first of them has no earlier layer and a shift of 0.
    """
    model = _check_model(model)
    loss_fn = _check_loss(loss_fn)
    training = _check_bool("training", training)
    x, y = _check_batch(model, x, y)
    rate = _positive("learning_rate", learning_rate)
    slices = _layer_slices(model)
    names = _check_layer_names(
        layer_names, [name for name, _ in slices],
        "layer_names: {unknown} are not layers of the model with trainable weights; "
        "those are {available}")
    evaluate = _gradient_fn(model, x, y, loss_fn, training)
    start = _current(model)
    _, grads = evaluate(start)
    position = {name: i for i, (name, _) in enumerate(slices)}
    rows = []
    for name in names:
        k = position[name]
        own = slices[k][1]
        earlier = [i for _, indices in slices[:k] for i in indices]
        before = np.concatenate([grads[i].ravel() for i in own])
        if earlier:
            moved = list(start)
            for i in earlier:
                moved[i] = start[i] - rate * grads[i]
            _, shifted_grads = evaluate(moved)
            after = np.concatenate([shifted_grads[i].ravel() for i in own])
        else:
            after = before
        grad_norm = float(np.linalg.norm(before))
        after_norm = float(np.linalg.norm(after))
        shift = float(np.linalg.norm(after - before))
        rows.append({
            "layer": name,
            "grad_norm": grad_norm,
            "shift": shift,
            "relative_shift": shift / grad_norm if grad_norm > 0 else float("nan"),
            "cosine": (float(before @ after) / (grad_norm * after_norm)
                       if grad_norm > 0 and after_norm > 0 else float("nan")),
        })
    return pd.DataFrame(rows)
